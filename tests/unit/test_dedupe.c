/*
 * test_dedupe.c — normalise + dedupe stages on records inserted directly into a temp database:
 * deterministic links, hard negatives, stable ids, merges, overrides, golden record, and a
 * labelled fixture measured pairwise (MEASURE line). Without a database: the id assignment
 * (sp_dedupe_assign_ids) and the golden record rule (sp_golden_compute).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/dedupe.h"
#include "pipeline/judgement.h"
#include "pipeline/golden.h"
#include "pipeline/normalise.h"
#include "pipeline/stage.h"
#include "pipeline/run.h"

typedef struct fx {
	char dir[64];
	sp_config *cfg;
	sp_store *db;
	sp_err err;
	sp_ctx ctx;
	int64_t next_id;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/sp-dedupe-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	char path[128];
	snprintf(path, sizeof(path), "%s/sparker.ini", f->dir);
	FILE *o = fopen(path, "w");
	fprintf(o, "[sparker]\ndatabase = sp.db\nraw_dir = raw\nreport_dir = rep\n"
		   "[source sirene]\nformat = sirene\nurl = s.csv\npriority = 50\n"
		   "[source ch]\nformat = companies_house\nurl = c.csv\npriority = 50\n"
		   "[source gleif]\nformat = gleif\nurl = g.xml\npriority = 40\n"
		   "[source cb]\nformat = csv\npreset = crunchbase\nurl = cb.csv\npriority = 30\n"
		   "[source feed]\nformat = feed\nurl = f.xml\nmode = append\npriority = 10\n"
		   "[source defeed]\nformat = feed\nurl = d.xml\nmode = append\ncountry = DE\n"
		   "[dedupe]\nblock_cap = 3\n");
	fclose(o);
	if (sp_config_load(path, &sp_run_vocab, &f->cfg, &f->err) != SP_OK)
		return -1;
	if (sp_store_open(f->cfg->database, &f->db, &f->err) != SP_OK)
		return -1;
	f->ctx = (sp_ctx){ .cfg = f->cfg, .db = f->db, .run_id = 1, .err = &f->err };
	snprintf(f->ctx.as_of, sizeof(f->ctx.as_of), "2025-06-30");
	f->next_id = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	sp_store_close(f->db);
	sp_config_free(f->cfg);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Insert one record: fields as "name|country|city|website|founded|regnum|lei|ra_id|ra_entity_id". */
static void rec(fx *f, const char *source, const char *key, const char *fields)
{
	char *dup = strdup(fields), *p = dup, *v[9] = { 0 };
	for (int i = 0; i < 9; i++) {
		v[i] = p;
		p = p ? strchr(p, '|') : NULL;
		if (p)
			*p++ = '\0';
	}
	sp_stmt *s;
	assert_int_equal(sp_store_prepare(f->db,
					  "INSERT INTO record (source, source_key, first_seen, last_seen, name, country, city,"
					  " website, founded, regnum, lei, ra_id, ra_entity_id) VALUES (?1,?2,?3,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"
					  " ON CONFLICT(source, source_key) DO UPDATE SET name = excluded.name, gone = 0",
					  &s, &f->err),
			 SP_OK);
	sp_bind_text(s, 1, source);
	sp_bind_text(s, 2, key);
	sp_bind_text(s, 3, f->ctx.as_of);
	for (int i = 0; i < 9; i++)
		sp_bind_text(s, 4 + i, v[i]);
	assert_int_equal(sp_store_step_done(f->db, s, &f->err), SP_OK);
	sp_finalize(s);
	free(dup);
}

static void run(fx *f, sp_counts *c)
{
	sp_counts tmp;
	if (!c)
		c = &tmp;
	memset(c, 0, sizeof(*c));
	if (sp_stage_normalise(&f->ctx, NULL, c) != SP_OK)
		fail_msg("normalise: %s", f->err.msg);
	memset(c, 0, sizeof(*c));
	if (sp_stage_dedupe(&f->ctx, NULL, c) != SP_OK)
		fail_msg("dedupe: %s", f->err.msg);
	f->ctx.run_id++;
}

static int64_t eid(fx *f, const char *source, const char *key)
{
	sp_stmt *s;
	int64_t id = 0;
	assert_int_equal(sp_store_prepare(f->db,
					  "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id"
					  " WHERE r.source = ?1 AND r.source_key = ?2",
					  &s, &f->err),
			 SP_OK);
	sp_bind_text(s, 1, source);
	sp_bind_text(s, 2, key);
	if (sp_step(s) == SP_ROW)
		id = sp_col_int64(s, 0);
	sp_finalize(s);
	if (!id)
		fail_msg("%s:%s has no entity", source, key);
	return id;
}

static char *q1(fx *f, const char *sql, int64_t arg)
{
	sp_stmt *s;
	assert_int_equal(sp_store_prepare(f->db, sql, &s, &f->err), SP_OK);
	sp_bind_int64(s, 1, arg);
	char *r = NULL;
	if (sp_step(s) == SP_ROW && sp_col_text(s, 0))
		r = strdup(sp_col_text(s, 0));
	sp_finalize(s);
	return r;
}

/* An analyst's match judgement, recorded as the commands record it (judgement.h). */
static void override(fx *f, const char *kind, const char *a, const char *b)
{
	sp_judgement j = { .kind = sp_judgement_kind_parse(kind), .a = a, .b = b, .user = "test" };
	sp_judgement_out out;
	assert_true((int)j.kind >= 0);
	assert_int_equal(sp_judgement_record(f->db, &j, &out, &f->err), SP_OK);
}

static void voltiq(fx *f)
{
	rec(f, "sirene", "123456789", "VOLTIQ ENERGIE SAS|FR||||123456789|||");
	rec(f, "feed", "f1", "Voltiq Énergie|France|Paris|||||||");
	rec(f, "cb", "cb1", "Voltiq|FRA|Paris|https://www.Voltiq.fr/en?utm=x|2019-03-12||||");
	rec(f, "gleif", "969500ABCDEFGHIJKL12", "Voltiq Energie S.A.S.|FR|Paris|||||RA000189|123456789");
	rec(f, "feed", "f2", "Voltiq Énergie|FR||voltiq.fr||||||");
	/* hard negatives */
	rec(f, "cb", "cb2", "Voltiq Energie|DEU|Berlin|https://voltiq-energie.de|2020||||");     /* other country */
	rec(f, "feed", "f3", "Voltiq Mobility|FR|Paris|https://voltiq-mobility.fr||||||");         /* other suffix word */
	rec(f, "sirene", "987654321", "VOLTIQ ENERGIE|FR||||987654321|||");                    /* another SIREN */
	rec(f, "feed", "f4", "Acme|FR|Paris|https://www.linkedin.com/company/acme||||||");
	rec(f, "feed", "f5", "Zenith|FR|Lyon|https://www.linkedin.com/company/zenith||||||");       /* shared host */
}

static void links_and_negatives(void **state)
{
	fx *f = *state;
	voltiq(f);
	sp_counts c;
	run(f, &c);
	int64_t v = eid(f, "sirene", "123456789");
	assert_int_equal(eid(f, "gleif", "969500ABCDEFGHIJKL12"), v); /* RA000189 link */
	assert_int_equal(eid(f, "cb", "cb1"), v);
	assert_int_equal(eid(f, "feed", "f2"), v);                     /* same domain */
	assert_true(eid(f, "cb", "cb2") != v);                          /* same name, Germany */
	assert_true(eid(f, "feed", "f3") != v);                         /* Voltiq Mobility */
	assert_true(eid(f, "sirene", "987654321") != v);                /* another registry number */
	assert_true(eid(f, "feed", "f4") != eid(f, "feed", "f5"));      /* shared host is not identity */
	/* f1 (same name, Paris) is ambiguous between two SIRENs: it goes to one, never glues both */
	assert_true(eid(f, "feed", "f1") == v || eid(f, "feed", "f1") == eid(f, "sirene", "987654321"));
	/* reasons */
	char *rule = q1(f, "SELECT rule FROM member WHERE record_id = (SELECT id FROM record WHERE source_key = '969500ABCDEFGHIJKL12')", 0);
	assert_string_equal(rule, "ra_link");
	free(rule);
	/* golden record: name from the highest priority source (sirene, 50) */
	char *name = q1(f, "SELECT name FROM entity WHERE id = ?1", v);
	assert_string_equal(name, "VOLTIQ ENERGIE");
	free(name);
	char *web = q1(f, "SELECT website FROM entity WHERE id = ?1", v);
	assert_non_null(web);
	free(web);
	char *ns = q1(f, "SELECT nsources FROM entity WHERE id = ?1", v);
	assert_string_equal(ns, "4");
	free(ns);
	char *cohort = q1(f, "SELECT cohort FROM entity WHERE id = ?1", v);
	assert_string_equal(cohort, "2025");
	free(cohort);
	assert_non_null(strstr(c.note, "blocks over cap 3"));
}

/* Look-alike names in one hub city and year (real Crunchbase pairs) stay apart without strong
 * evidence; a typo across sources with city and year, or with the same website, still merges. */
static void lookalikes(void **state)
{
	fx *f = *state;
	rec(f, "cb", "circleci", "CircleCi|US|San Francisco||2011-09-01||||");
	rec(f, "cb", "circleup", "CircleUp|US|San Francisco||2011-10-01||||");
	rec(f, "cb", "zimperium", "Zimperium|US|San Francisco||2010-08-01||||");
	rec(f, "cb", "simperium", "Simperium|US|San Francisco||2010-06-01||||");
	rec(f, "news", "plated", "Plated|US|New York||||||");
	rec(f, "cb", "planted", "Planted|US|New York||2013||||");
	rec(f, "news", "n1", "Brightvolt|US|Austin||2019||||");
	rec(f, "cb", "c1", "Brigthvolt|US|Austin||2019||||");
	rec(f, "news", "n2", "Kolibri Charging|DE|Berlin|https://kolibri-charging.de|||||");
	rec(f, "cb", "c2", "Kolibri Chargign|DE||kolibri-charging.de|||||");
	run(f, NULL);
	assert_true(eid(f, "cb", "circleci") != eid(f, "cb", "circleup"));
	assert_true(eid(f, "cb", "zimperium") != eid(f, "cb", "simperium"));
	assert_true(eid(f, "news", "plated") != eid(f, "cb", "planted")); /* one typo, only a city */
	assert_int_equal(eid(f, "news", "n1"), eid(f, "cb", "c1"));         /* typo, city and year */
	assert_int_equal(eid(f, "news", "n2"), eid(f, "cb", "c2"));         /* same website */
}

static void set_postcode(fx *f, const char *source, const char *key, const char *pc)
{
	sp_stmt *s;
	assert_int_equal(sp_store_prepare(f->db, "UPDATE record SET postcode = ?3 WHERE source = ?1 AND source_key = ?2", &s, &f->err),
			 SP_OK);
	sp_bind_text(s, 1, source), sp_bind_text(s, 2, key), sp_bind_text(s, 3, pc);
	assert_int_equal(sp_store_step_done(f->db, s, &f->err), SP_OK);
	sp_finalize(s);
}

/* Issue 17: real-data failures, one rule each. */
static void hubs_groups_plain_names(void **state)
{
	fx *f = *state;
	/* a hub postcode (an incubator: more distinct names than postcode_cap 8) is no evidence:
	 * Voltiq / Voltaq, one typo apart, city + hub postcode only, stay apart */
	rec(f, "cb", "voltiq", "Voltiq|FR|Paris|||||||");
	rec(f, "sirene", "111111111", "VOLTAQ|FR|Paris||||||");
	set_postcode(f, "cb", "voltiq", "75011");
	set_postcode(f, "sirene", "111111111", "75011");
	static const char *const tenant[] = { "Abrova", "Bexlin", "Cordato", "Dunemark", "Elvitra", "Fojara", "Gustavel", "Hemlora", "Istrada" };
	for (size_t i = 0; i < SP_ARRAY_LEN(tenant); i++) {
		char k[16], fl[64];
		snprintf(k, sizeof(k), "2%08zu", i);
		snprintf(fl, sizeof(fl), "%s|FR|Paris||||||", tenant[i]);
		rec(f, "sirene", k, fl);
		set_postcode(f, "sirene", k, "75 011");
	}
	/* an acquirer's website on its acquisitions: a group, not one company */
	rec(f, "cb", "buildforge", "BuildForge|US|Austin|https://www.ibm.com/buildforge|||||");
	rec(f, "feed", "guardium", "Guardium|US||https://ibm.com||||||");
	/* evidence-free: a bare acronym never joins by name subset or a domain label ... */
	rec(f, "feed", "wit", "WIT|||||||||");
	rec(f, "cb", "witai", "Wit.ai|US|Palo Alto|https://wit.ai|2013||||");
	/* ... a distinctive exact name does */
	rec(f, "feed", "zen", "Zenzeve|||||||||");
	rec(f, "ch", "01234567", "ZENZEVE-LIMITED|GB|London|||01234567|||");
	/* glued descriptor: TANEXTECHNOLOGIES meets Tanex Tech */
	rec(f, "ch", "07654321", "TANEXTECHNOLOGIES LTD|GB|Leeds|||07654321|||");
	rec(f, "cb", "tanex", "Tanex Tech|GB|Leeds||||||");
	sp_counts c;
	run(f, &c);
	assert_true(eid(f, "cb", "voltiq") != eid(f, "sirene", "111111111"));
	assert_non_null(strstr(c.note, "hub postcodes over cap 8: 1 (largest 75011 11 names)"));
	assert_true(eid(f, "cb", "buildforge") != eid(f, "feed", "guardium"));
	char *why = q1(f, "SELECT reason FROM review_pair WHERE a = (SELECT id FROM record WHERE source_key = 'buildforge')", 0);
	assert_string_equal(why, "same website, different names: same group?");
	free(why);
	assert_true(eid(f, "feed", "wit") != eid(f, "cb", "witai"));
	assert_int_equal(eid(f, "feed", "zen"), eid(f, "ch", "01234567"));
	char *key = q1(f, "SELECT name_key FROM candidate WHERE record_id = (SELECT id FROM record WHERE source_key = '01234567')", 0);
	assert_string_equal(key, "zenzeve");
	free(key);
	assert_int_equal(eid(f, "ch", "07654321"), eid(f, "cb", "tanex"));
}

/* One column of a record: the statement for each column the tests set is written out (a column
 * name cannot be a bound parameter, and no SQL is formatted from values). */
static void set_field(fx *f, const char *field, const char *source, const char *key, const char *v)
{
	static const char *const sql[][2] = {
		{ "other_names", "UPDATE record SET other_names = ?3 WHERE source = ?1 AND source_key = ?2" },
		{ "founded", "UPDATE record SET founded = ?3 WHERE source = ?1 AND source_key = ?2" },
	};
	const char *q = NULL;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (!strcmp(sql[i][0], field))
			q = sql[i][1];
	assert_non_null(q);
	sp_stmt *s;
	assert_int_equal(sp_store_prepare(f->db, q, &s, &f->err), SP_OK);
	sp_bind_text(s, 1, source), sp_bind_text(s, 2, key), sp_bind_text(s, 3, v);
	assert_int_equal(sp_store_step_done(f->db, s, &f->err), SP_OK);
	sp_finalize(s);
}

/* Issue 17: aliases (previous_name), renames on one website, distinctive subsets at a hub postcode. */
static void aliases_renames_hub_subsets(void **state)
{
	fx *f = *state;
	/* a rebrand: the registry's previous name is the directory's name */
	rec(f, "ch", "12000001", "ZENVO LTD|GB|London|||12000001|||");
	set_field(f, "other_names", "ch", "12000001", "TANEX TECHNOLOGIES LIMITED;ZENVO LABS LTD");
	set_field(f, "founded", "ch", "12000001", "2019-02-10");
	rec(f, "cb", "tanex", "Tanex Tech|GB|London||2019-01-15||||");
	/* the same alias with a contradicting city: a near miss, not a merge */
	rec(f, "ch", "12000002", "HOLDCO NINE LTD|GB|Manchester||2020-05-01|12000002|||");
	set_field(f, "other_names", "ch", "12000002", "LUMORA ANALYTICS LTD");
	rec(f, "cb", "lumora", "Lumora Analytics|GB|Bristol|https://lumora.ai|2020-02-01||||");
	/* one website, two names, one city and founding year: a rename */
	rec(f, "cb", "fanvibe", "FanVibe|US|San Francisco|https://fanvibe.com|2009||||");
	rec(f, "feed", "fanpulse", "Fanpulse|US|San Francisco|https://www.fanvibe.com|2009||||");
	/* at a hub postcode (a coarse ZIP: ten names), a distinctive short name inside a long one joins;
	 * a plain one ("Center") does not */
	static const char *const site[] = { "Chicago Public Schools Gale Academy", "Chicago Public Schools Abbott Academy",
					    "Chicago Public Schools Carver Academy", "Chicago Public Schools Dunbar Academy",
					    "Elm Center", "Fulton Center", "Grand Center", "Hyde Center", "Irving Center",
					    "Bright Center" };
	for (size_t i = 0; i < SP_ARRAY_LEN(site); i++) {
		char k[16], fl[80];
		snprintf(k, sizeof(k), "s%zu", i);
		snprintf(fl, sizeof(fl), "%s|US|Chicago||||||", site[i]);
		rec(f, "sirene", k, fl);
		set_postcode(f, "sirene", k, "60626");
	}
	rec(f, "cb", "gale", "Gale|US|Chicago||||||");
	set_postcode(f, "cb", "gale", "60626");
	rec(f, "cb", "center", "Center|US|Chicago||||||");
	set_postcode(f, "cb", "center", "60626");
	run(f, NULL);
	assert_int_equal(eid(f, "ch", "12000001"), eid(f, "cb", "tanex"));
	char *why = q1(f, "SELECT rule || ': ' || reason FROM member WHERE record_id = (SELECT id FROM record WHERE source_key = '12000001')", 0);
	assert_string_equal(why, "previous_name: its previous name \"TANEX TECHNOLOGIES\" is the peer's name");
	free(why);
	assert_true(eid(f, "ch", "12000002") != eid(f, "cb", "lumora"));
	why = q1(f, "SELECT reason FROM review_pair WHERE rule = 'previous_name'", 0);
	assert_string_equal(why, "previous name matches; a field contradicts");
	free(why);
	assert_int_equal(eid(f, "cb", "fanvibe"), eid(f, "feed", "fanpulse"));
	assert_int_equal(eid(f, "cb", "gale"), eid(f, "sirene", "s0"));
	assert_true(eid(f, "cb", "center") != eid(f, "sirene", "s4"));
	char *hub = q1(f, "SELECT key || ' ' || names FROM hub_key WHERE kind = 'postcode'", 0);
	assert_string_equal(hub, "60626 12");
	free(hub);
}

static void stable_ids(void **state)
{
	fx *f = *state;
	voltiq(f);
	run(f, NULL);
	char *before = q1(f, "SELECT group_concat(record_id || '=' || entity_id, ',') FROM (SELECT * FROM member ORDER BY record_id)", 0);
	run(f, NULL);
	char *after = q1(f, "SELECT group_concat(record_id || '=' || entity_id, ',') FROM (SELECT * FROM member ORDER BY record_id)", 0);
	assert_string_equal(before, after);
	free(before), free(after);
	/* a cluster that gains a member keeps its id */
	int64_t v = eid(f, "sirene", "123456789");
	rec(f, "ch", "x", "Voltiq Energie|FR|Paris||2019||||");
	rec(f, "cb", "cb9", "Voltiq Énergie|FR|Paris|voltiq.fr|||||");
	run(f, NULL);
	assert_int_equal(eid(f, "sirene", "123456789"), v);
	assert_int_equal(eid(f, "cb", "cb9"), v);
	/* two clusters joined by an analyst: the older (smaller) id survives, the other is recorded */
	int64_t a = eid(f, "feed", "f4"), b = eid(f, "feed", "f5");
	override(f, "link", "feed:f4", "feed:f5");
	run(f, NULL);
	int64_t lo = a < b ? a : b, hi = a < b ? b : a;
	assert_int_equal(eid(f, "feed", "f4"), lo);
	assert_int_equal(eid(f, "feed", "f5"), lo);
	char *into = q1(f, "SELECT into_id FROM entity_merge WHERE old_id = ?1", hi);
	assert_non_null(into);
	assert_int_equal(atoll(into), lo);
	free(into);
	char *mi = q1(f, "SELECT merged_into FROM entity WHERE id = ?1", hi);
	assert_non_null(mi);
	assert_int_equal(atoll(mi), lo);
	free(mi);
	char *rule = q1(f, "SELECT rule FROM member WHERE record_id = (SELECT id FROM record WHERE source_key = 'f5')", 0);
	assert_string_equal(rule, "override");
	free(rule);
	/* undo of the link: f5 leaves f4 again and gets back the id it had before (revived) */
	override(f, "alone", "feed:f5", NULL);
	run(f, NULL);
	assert_int_equal(eid(f, "feed", "f4"), lo);
	assert_int_equal(eid(f, "feed", "f5"), hi);
	assert_null(q1(f, "SELECT merged_into FROM entity WHERE id = ?1", hi));
	assert_null(q1(f, "SELECT into_id FROM entity_merge WHERE old_id = ?1", hi));
	run(f, NULL); /* and an unchanged rerun changes nothing */
	assert_int_equal(eid(f, "feed", "f5"), hi);
	/* alone: the record leaves, the cluster keeps its id, and it stays out on every rerun */
	override(f, "alone", "cb:cb1", NULL);
	run(f, NULL);
	assert_int_equal(eid(f, "sirene", "123456789"), v);
	int64_t alone = eid(f, "cb", "cb1");
	assert_true(alone != v);
	run(f, NULL);
	assert_int_equal(eid(f, "cb", "cb1"), alone);
	assert_int_equal(eid(f, "sirene", "123456789"), v);
	assert_int_equal(eid(f, "feed", "f5"), hi);
}

/* A record that leaves the candidates (out of scope, or gone) and comes back returns to its
 * entity: the id is claimed through record_entity, which outlives the member row. */
static void returning_record(void **state)
{
	fx *f = *state;
	rec(f, "cb", "r1", "Torqly Systems|GB|London|torqly.io|2021||||");
	rec(f, "ch", "r2", "TORQLY SYSTEMS LTD|GB|London||2021|01234567|||");
	rec(f, "cb", "other", "Ampeai Ventures|NG|Lagos|ampeai.com|2020||||");
	run(f, NULL);
	int64_t t = eid(f, "cb", "r1"), a = eid(f, "cb", "other");
	assert_int_equal(eid(f, "ch", "r2"), t);
	assert_int_equal(sp_store_exec(f->db, "UPDATE record SET out_of_scope = 'test' WHERE source_key IN ('r1', 'r2')", &f->err), SP_OK);
	run(f, NULL);
	assert_null(q1(f, "SELECT entity_id FROM member WHERE record_id = (SELECT id FROM record WHERE source_key = 'r1')", 0));
	rec(f, "cb", "new", "Brand New Mobility|FR|Paris|brandnew.fr|2024||||"); /* a new id is given meanwhile */
	run(f, NULL);
	assert_int_equal(sp_store_exec(f->db, "UPDATE record SET out_of_scope = NULL", &f->err), SP_OK);
	run(f, NULL);
	assert_int_equal(eid(f, "cb", "r1"), t);
	assert_int_equal(eid(f, "ch", "r2"), t);
	assert_int_equal(eid(f, "cb", "other"), a);
	assert_true(eid(f, "cb", "new") != t);
}

/* A labelled fixture: companies rendered by several sources with the usual variations, plus
 * hard negatives. Pairwise precision/recall over every pair of records. */
static void measured(void **state)
{
	fx *f = *state;
	static const char *const brands[] = { "Voltiq", "Zenora", "Kalix", "Brimo", "Tessal", "Orvana", "Quenty", "Lumeo",
					      "Pravix", "Helion", "Norvik", "Cyrano", "Maelis", "Dorvo", "Fyndr", "Gavota",
					      "Ixora", "Jandel", "Kormi", "Laxus" };
	static const char *const descs[] = { "Energy", "Mobility", "Technologies", "Labs", "Analytics" };
	static const struct { const char *cc, *c3, *name, *city, *native, *form; } ctry[] = {
		{ "FR", "FRA", "France", "Paris", "Paris", "SAS" }, { "GB", "GBR", "United Kingdom", "London", "London", "Ltd" },
		{ "DE", "DEU", "Deutschland", "München", "Munich", "GmbH" }, { "US", "USA", "United States", "Boston", "Boston", "Inc." },
		{ "PT", "PRT", "Portugal", "Lisboa", "Lisbon", "Lda." },
	};
	int ntrue = 0;
	char truth[512][24];
	char keys[512][40];
	int nrec = 0;
	char buf[512], key[40];
	for (int b = 0; b < 20; b++)
		for (int k = 0; k < 2; k++) {
			int cidx = (b + k) % 5, t = ntrue++;
			const char *desc = descs[(b * 3 + k) % 5];
			char site[64];
			snprintf(site, sizeof(site), "%s%s.com", brands[b], k ? "-x" : "");
			for (size_t i = 0; site[i]; i++)
				site[i] = (char)(site[i] >= 'A' && site[i] <= 'Z' ? site[i] + 32 : site[i]);
			int year = 2015 + (b + k) % 9;
			/* k = 1: the same brand in another country (hard negative) */
			snprintf(key, sizeof(key), "r%d", nrec);
			snprintf(buf, sizeof(buf), "%s %s %s|%s|%s||%d-03-0%d|%s%05d|||", brands[b], desc, ctry[cidx].form,
				 ctry[cidx].cc, ctry[cidx].city, year, 1 + b % 9, ctry[cidx].cc, b * 10 + k);
			rec(f, "ch", key, buf), snprintf(truth[nrec], 24, "T%d", t), snprintf(keys[nrec], 40, "ch:%s", key), nrec++;
			snprintf(key, sizeof(key), "r%d", nrec);
			snprintf(buf, sizeof(buf), "%s|%s|%s|https://www.%s/en|%d||||", brands[b], ctry[cidx].c3, ctry[cidx].native, site,
				 year);
			rec(f, "cb", key, buf), snprintf(truth[nrec], 24, "T%d", t), snprintf(keys[nrec], 40, "cb:%s", key), nrec++;
			snprintf(key, sizeof(key), "r%d", nrec);
			char typo[64];
			snprintf(typo, sizeof(typo), "%s", brands[b]);
			if (b % 4 == 0) { /* transposition inside the brand */
				char t2 = typo[2];
				typo[2] = typo[3], typo[3] = t2;
			}
			snprintf(buf, sizeof(buf), "%s %s|%s|%s|http://%s||||", typo, desc, ctry[cidx].name, ctry[cidx].city, site);
			rec(f, "feed", key, buf), snprintf(truth[nrec], 24, "T%d", t), snprintf(keys[nrec], 40, "feed:%s", key), nrec++;
		}
	/* same brand, another descriptor word, same country and city: a different company */
	for (int b = 0; b < 10; b++) {
		int t = ntrue++;
		snprintf(key, sizeof(key), "r%d", nrec);
		snprintf(buf, sizeof(buf), "%s Robotics|%s|%s|https://%srobotics.io|2024||||", brands[b], ctry[b % 5].cc,
			 ctry[b % 5].city, brands[b]);
		rec(f, "cb", key, buf), snprintf(truth[nrec], 24, "T%d", t), snprintf(keys[nrec], 40, "cb:%s", key), nrec++;
	}
	run(f, NULL);
	long tp = 0, fp = 0, fn = 0;
	int64_t *e = calloc((size_t)nrec, sizeof(int64_t));
	for (int i = 0; i < nrec; i++) {
		char src[16];
		const char *colon = strchr(keys[i], ':');
		snprintf(src, sizeof(src), "%.*s", (int)(colon - keys[i]), keys[i]);
		e[i] = eid(f, src, colon + 1);
	}
	for (int i = 0; i < nrec; i++)
		for (int j = i + 1; j < nrec; j++) {
			int same_t = strcmp(truth[i], truth[j]) == 0, same_p = e[i] == e[j];
			if (same_t && same_p)
				tp++;
			else if (same_p)
				fp++, printf("INFO: false positive %s %s\n", keys[i], keys[j]);
			else if (same_t)
				fn++, printf("INFO: false negative %s %s\n", keys[i], keys[j]);
		}
	free(e);
	double p = tp + fp ? (double)tp / (tp + fp) : 1, r = tp + fn ? (double)tp / (tp + fn) : 1;
	printf("MEASURE: dedupe (unit fixture, %d records) precision=%.4f recall=%.4f f1=%.4f\n", nrec, p, r,
	       p + r ? 2 * p * r / (p + r) : 0);
	assert_true(p >= 0.995);
	assert_true(r >= 0.95);
}

static void similarity(void **state)
{
	(void)state;
	assert_true(sp_dedupe_jw("martha", "marhta") > 0.96 && sp_dedupe_jw("martha", "marhta") < 0.97);
	assert_true(sp_dedupe_jw("abc", "abc") == 1.0);
	assert_true(sp_dedupe_jw("abc", "xyz") == 0.0);
	assert_true(sp_dedupe_jw("", "abc") == 0.0);
}

/* Stable ids without SQL: keep, grow, join (smaller id survives), split (majority, then the
 * earlier cluster), new ids after max_id in cluster order; claims may come in any order. */
static void id_assignment(void **state)
{
	(void)state;
	sp_dedupe_ids ids;
	/* unchanged input: every cluster keeps its id, nothing new, nothing merged */
	sp_dedupe_claim same[] = { { 9, 9, 2 }, { 5, 5, 0 }, { 3, 3, 1 }, { 5, 5, 0 } };
	sp_dedupe_assign_ids(same, SP_ARRAY_LEN(same), 3, 9, &ids);
	assert_int_equal(ids.id[0], 5);
	assert_int_equal(ids.id[1], 3);
	assert_int_equal(ids.id[2], 9);
	assert_int_equal(ids.nmerge, 0);
	assert_int_equal(ids.created, 0);
	sp_dedupe_ids_release(&ids);

	/*
	 * cluster 0: two old members of 7 and one of 4 -> joined: keeps 4, 7 merged into 4
	 * cluster 1: one old member of 3;  cluster 2: two of 3 -> 3 goes to cluster 2 (majority)
	 * cluster 3: one of 6;  cluster 4: one of 6 -> tie: 6 goes to cluster 3 (earlier record)
	 * clusters 1, 4 and 5 win nothing -> 21, 22, 23 (after max_id 20, in cluster order)
	 */
	sp_dedupe_claim cl[] = { { 6, 6, 4 }, { 7, 7, 0 }, { 3, 3, 2 }, { 4, 4, 0 }, { 3, 3, 1 }, { 7, 7, 0 }, { 6, 6, 3 }, { 3, 3, 2 } };
	sp_dedupe_assign_ids(cl, SP_ARRAY_LEN(cl), 6, 20, &ids);
	assert_int_equal(ids.id[0], 4);
	assert_int_equal(ids.id[1], 21);
	assert_int_equal(ids.id[2], 3);
	assert_int_equal(ids.id[3], 6);
	assert_int_equal(ids.id[4], 22);
	assert_int_equal(ids.id[5], 23);
	assert_int_equal(ids.created, 3);
	assert_int_equal(ids.nmerge, 1);
	assert_int_equal(ids.merge[0].old_id, 7);
	assert_int_equal(ids.merge[0].into, 4);
	sp_dedupe_ids_release(&ids);

	/* three old ids in one cluster: the smallest survives, merges in ascending old id */
	sp_dedupe_claim three[] = { { 12, 12, 0 }, { 8, 8, 0 }, { 10, 10, 0 } };
	sp_dedupe_assign_ids(three, SP_ARRAY_LEN(three), 1, 12, &ids);
	assert_int_equal(ids.id[0], 8);
	assert_int_equal(ids.nmerge, 2);
	assert_int_equal(ids.merge[0].old_id, 10);
	assert_int_equal(ids.merge[1].old_id, 12);
	assert_int_equal(ids.merge[1].into, 8);
	sp_dedupe_ids_release(&ids);

	/*
	 * Undo of a merge. Entity 1 (records born in 1) absorbed entity 3 (records born in 3);
	 * now they are apart again: cluster 0 holds two records born in 3 (old id 1), cluster 1
	 * one record born in 1 (old id 1). Home first: 1 stays with cluster 1 although cluster 0
	 * holds more of its former members, and cluster 0 takes back 3 (revived, not new).
	 */
	sp_dedupe_claim undo[] = { { 1, 3, 0 }, { 1, 3, 0 }, { 1, 1, 1 } };
	sp_dedupe_assign_ids(undo, SP_ARRAY_LEN(undo), 2, 9, &ids);
	assert_int_equal(ids.id[0], 3);
	assert_int_equal(ids.id[1], 1);
	assert_int_equal(ids.nrevived, 1);
	assert_int_equal(ids.revived[0], 3);
	assert_int_equal(ids.created, 0);
	assert_int_equal(ids.nmerge, 0);
	sp_dedupe_ids_release(&ids);

	/* the steady state after that merge (one cluster, both homes) keeps 1 and revives nothing;
	 * a home id that a cluster won as its old id is never revived elsewhere */
	sp_dedupe_claim kept[] = { { 1, 3, 0 }, { 1, 1, 0 }, { 5, 5, 1 }, { 0, 5, 2 } };
	sp_dedupe_assign_ids(kept, SP_ARRAY_LEN(kept), 3, 9, &ids);
	assert_int_equal(ids.id[0], 1);
	assert_int_equal(ids.id[1], 5);
	assert_int_equal(ids.id[2], 10);
	assert_int_equal(ids.nrevived, 0);
	sp_dedupe_ids_release(&ids);

	/*
	 * Startup 42 split (alone z1): z2 got the new id 61. Then z1 was wrongly linked to entity 27:
	 * cluster 0 = z1 + w wins 42 and 27 and keeps 27; cluster 1 = z2 holds 61, born in none of
	 * its records, while 42 (z2's home) is held by no cluster: it takes 42 back, 61 goes into it.
	 */
	sp_dedupe_claim foreign[] = { { 42, 42, 0 }, { 27, 27, 0 }, { 61, 42, 1 } };
	sp_dedupe_assign_ids(foreign, SP_ARRAY_LEN(foreign), 2, 61, &ids);
	assert_int_equal(ids.id[0], 27);
	assert_int_equal(ids.id[1], 42);
	assert_int_equal(ids.nmerge, 1);
	assert_int_equal(ids.merge[0].old_id, 61);
	assert_int_equal(ids.merge[0].into, 42);
	assert_int_equal(ids.nrevived, 1);
	assert_int_equal(ids.revived[0], 42);
	assert_int_equal(ids.created, 0);
	sp_dedupe_ids_release(&ids);
	/* ... and once every wrong judgement is undone, z1 + z2 are 42 again and w is 27 */
	sp_dedupe_claim undone[] = { { 27, 42, 0 }, { 42, 42, 0 }, { 27, 27, 1 } };
	sp_dedupe_assign_ids(undone, SP_ARRAY_LEN(undone), 2, 61, &ids);
	assert_int_equal(ids.id[0], 42);
	assert_int_equal(ids.id[1], 27);
	assert_int_equal(ids.nmerge, 0);
	assert_int_equal(ids.nrevived, 0);
	sp_dedupe_ids_release(&ids);
	/* a foreign id is freed for the next pass: cluster 0 holds 5 (born in cluster 1's records)
	 * and takes its own 8 back; then cluster 1 takes 5 */
	sp_dedupe_claim chain[] = { { 5, 8, 0 }, { 0, 5, 1 } };
	sp_dedupe_assign_ids(chain, SP_ARRAY_LEN(chain), 2, 9, &ids);
	assert_int_equal(ids.id[0], 8);
	assert_int_equal(ids.id[1], 5);
	assert_int_equal(ids.nmerge, 0);
	assert_int_equal(ids.created, 0);
	sp_dedupe_ids_release(&ids);

	/* no claims at all (first run) and no clusters */
	sp_dedupe_assign_ids(NULL, 0, 2, 0, &ids);
	assert_int_equal(ids.id[0], 1);
	assert_int_equal(ids.id[1], 2);
	assert_int_equal(ids.created, 2);
	sp_dedupe_ids_release(&ids);
	sp_dedupe_assign_ids(NULL, 0, 0, 5, &ids);
	assert_int_equal(ids.created, 0);
	sp_dedupe_ids_release(&ids);
}

/* The golden rule without a database: per field the member first in golden order that has it. */
static void golden_rule(void **state)
{
	(void)state;
	sp_golden_member m[4];
	memset(m, 0, sizeof(m));
	m[0] = (sp_golden_member){ .rid = 1, .source = "feed", .prio = 10, .last_seen = "2025-06-01", .first_seen = "2024-02-01" };
	sp_golden_member_fields(&m[0], "Voltiq Energie", "FR", "Paris", "2019", NULL, "voltiq.fr", 1);
	m[1] = (sp_golden_member){ .rid = 2, .source = "sirene", .prio = 50, .last_seen = "2025-01-01", .first_seen = "2025-01-01" };
	sp_golden_member_fields(&m[1], "VOLTIQ ENERGIE", "FRA", "", NULL, NULL, NULL, -1);
	m[2] = (sp_golden_member){ .rid = 3, .source = "feed", .prio = 10, .last_seen = "2025-06-01" };
	sp_golden_member_fields(&m[2], "Voltiq", NULL, "Lyon", NULL, "https://voltiq.fr", NULL, 0);
	m[3] = (sp_golden_member){ .rid = 4, .source = "cb", .prio = 30, .last_seen = NULL };
	sp_golden_member_fields(&m[3], NULL, "FR", NULL, "2019-03-12", NULL, NULL, -1);
	sp_golden g;
	sp_golden_compute(m, 4, &g);
	assert_string_equal(sp_golden_value(&g, m, SP_GOLDEN_NAME), "VOLTIQ ENERGIE"); /* priority 50 */
	assert_string_equal(sp_golden_value(&g, m, SP_GOLDEN_COUNTRY), "FR");          /* "FRA" is no code */
	assert_int_equal(g.from[SP_GOLDEN_COUNTRY], 3);                               /* cb (30) over feed (10) */
	assert_int_equal(g.from[SP_GOLDEN_CITY], 2);         /* same priority and date: higher record id */
	assert_string_equal(sp_golden_value(&g, m, SP_GOLDEN_FOUNDED), "2019-03-12");
	assert_string_equal(sp_golden_value(&g, m, SP_GOLDEN_WEBSITE), "https://voltiq.fr");
	assert_string_equal(sp_golden_value(&g, m, SP_GOLDEN_ACTIVE), "no");
	assert_string_equal(g.first_seen, "2024-02-01");
	assert_int_equal(g.nsources, 3);
	/* the order of the members does not matter */
	sp_golden_member r[4] = { m[3], m[2], m[1], m[0] };
	sp_golden h;
	sp_golden_compute(r, 4, &h);
	for (int f = 0; f < SP_GOLDEN_NFIELDS; f++)
		assert_int_equal(r[h.from[f]].rid, m[g.from[f]].rid);
	sp_golden_compute(m, 0, &h);
	assert_null(sp_golden_value(&h, m, SP_GOLDEN_NAME));
	assert_int_equal(h.nsources, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(similarity),
		cmocka_unit_test(id_assignment),
		cmocka_unit_test(golden_rule),
		cmocka_unit_test_setup_teardown(links_and_negatives, setup, teardown),
		cmocka_unit_test_setup_teardown(lookalikes, setup, teardown),
		cmocka_unit_test_setup_teardown(hubs_groups_plain_names, setup, teardown),
		cmocka_unit_test_setup_teardown(aliases_renames_hub_subsets, setup, teardown),
		cmocka_unit_test_setup_teardown(stable_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(returning_record, setup, teardown),
		cmocka_unit_test_setup_teardown(measured, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
