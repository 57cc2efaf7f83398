/*
 * cmd_entity.c — `sparker show`, `sparker link`, `sparker unlink`: look at an entity and store
 * analysts' judgements about which records belong together.
 *
 * show ENTITY_ID | SOURCE:KEY prints the golden record with the member (and source) that won
 * each field — by the same rule as the dedupe stage: highest source priority, then the most
 * recent record — then every member with the rule, score and peer that placed it, the ids
 * merged into it, the news items that mention it (kind = news feeds: "in the news 3 times in
 * 2026: ...", sp_cmd_mentions_on, also used by explain) and the judgements placed on it. A
 * merged entity id is followed (and said).
 *
 * link A B (same company), unlink A B (not the same company: kept apart, nothing else) and
 * unlink A (out of every automatic link) record one match judgement each (pipeline/judgement.h:
 * who, when, note; an identical one in force is not stored twice; the opposite judgement of the
 * pair is removed, recorded). A and B are SOURCE:KEY record references or entity ids (which
 * stand for the earliest record born in that id, so a merged id still names its own startup).
 * Written under the run lock; applied at the next dedupe run.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "pipeline/entity.h"
#include "pipeline/golden.h"
#include "pipeline/inbox.h"
#include "pipeline/judgement.h"
#include "pipeline/run.h"

static int cmd_show(int argc, char **argv, sp_env *env);
static int cmd_link(int argc, char **argv, sp_env *env);
static int cmd_unlink(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_show_entry = {
	.name = "show",
	.fn = cmd_show,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "an entity's golden record and why each member is in it",
	.usage = "usage: sparker [-c CONFIG] show ENTITY_ID | SOURCE:KEY\n"
};

const sp_cmd sp_cmd_link_entry = {
	.name = "link",
	.fn = cmd_link,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "judge two records (or entities) the same company",
	.usage = "usage: sparker [-c CONFIG] link A B [--note TEXT]\n\n"
	         "A and B are SOURCE:KEY record references or entity ids (an entity id stands for the\n"
	         "earliest record born in it). The judgement is stored with who and when, and respected\n"
	         "by every later dedupe run; `sparker judgements remove ID` takes it back.\n"
};

const sp_cmd sp_cmd_unlink_entry = {
	.name = "unlink",
	.fn = cmd_unlink,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "judge two records different companies, or take a record out",
	.usage = "usage: sparker [-c CONFIG] unlink A B [--note TEXT]\n"
	         "       sparker [-c CONFIG] unlink SOURCE:KEY [--note TEXT]\n\n"
	         "unlink A B: A and B are not the same company; they are kept apart, and their other\n"
	         "links stay. A and B are SOURCE:KEY or entity ids (an entity id, even a merged one,\n"
	         "stands for the earliest record born in it). unlink SOURCE:KEY: the record leaves its\n"
	         "entity and joins no other\n"
	         "automatically (its links are removed, recorded). Applied at the next dedupe run.\n"
};

static const char *txt(sp_stmt *s, int i)
{
	const char *v = sp_col_text(s, i);
	return v ? v : "";
}

static int is_number(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Record id of SOURCE:KEY, or 0 (sp_record_ref, entity.h). */
static int64_t record_of(sp_store *db, const char *ref)
{
	int64_t id;
	sp_err err;
	return sp_record_ref(db, ref, &id, &err) == SP_OK ? id : 0;
}

/* What `show` prints for one member: its record as normalised (display values only). */
typedef struct mrow {
	int64_t rid;
	char *source, *key, *name, *country, *city, *founded, *website, *rule, *peer, *reason;
	double score;
} mrow;

static int mrow_by_rid(const void *x, const void *y)
{
	const mrow *a = x, *b = y;
	return a->rid < b->rid ? -1 : (a->rid > b->rid);
}

/* show, step 2: the entity row as the dedupe stage wrote it. */
static int show_entity(sp_store *db, int64_t eid)
{
	sp_err err;
	sp_stmt *s;
	if (sp_store_prepare(db,
			     "SELECT COALESCE(name,''), COALESCE(country,''), COALESCE(first_seen,''), COALESCE(CAST(cohort AS TEXT),''),"
			     " nsources, active, created_run FROM entity WHERE id = ?1",
			     &s, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EXIT_FAIL;
	}
	sp_bind_int64(s, 1, eid);
	if (sp_step(s) == SP_ROW) {
		printf("Entity %lld: %s%s%s%s\n", (long long)eid, txt(s, 0), *txt(s, 1) ? " (" : "", txt(s, 1),
		       *txt(s, 1) ? ")" : "");
		printf("  first seen %s, cohort %s, %d source%s, %s, created by run %s\n", *txt(s, 2) ? txt(s, 2) : "-",
		       *txt(s, 3) ? txt(s, 3) : "-", sp_col_int(s, 4), sp_col_int(s, 4) == 1 ? "" : "s",
		       sp_col_null(s, 5) ? "activity unknown"
							      : (sp_col_int(s, 5) ? "active" : "inactive"),
		       *txt(s, 6) ? txt(s, 6) : "-");
	}
	sp_finalize(s);
	return SP_EXIT_OK;
}

/* show, step 3: the golden record of the members, by the dedupe stage's own rule (golden.h). */
static void show_golden(const sp_golden_member *m, size_t n)
{
	sp_golden g;
	sp_golden_compute(m, n, &g);
	printf("\nGolden record (per field: highest source priority, then most recent record):\n");
	for (int f = 0; f < SP_GOLDEN_NFIELDS; f++) {
		const char *v = sp_golden_value(&g, m, f);
		if (v) {
			const sp_golden_member *w = &m[g.from[f]];
			printf("  %-8s %-40s from %s:%s (priority %d)\n", sp_golden_field_names[f], v, w->source,
			       w->source_key ? w->source_key : "", w->prio);
		} else {
			printf("  %-8s -\n", sp_golden_field_names[f]);
		}
	}
}

/* The member rows of an entity with their reasons, by record id. */
static mrow *members_read(sp_store *db, int64_t eid, size_t *n)
{
	sp_err err;
	sp_stmt *s;
	mrow *m = NULL;
	size_t cap = 0;
	*n = 0;
	if (sp_store_prepare(db,
			     "SELECT r.id, r.source, r.source_key, COALESCE(c.name, r.name, ''), COALESCE(c.country,''),"
			     " COALESCE(r.city,''), COALESCE(c.founded,''), COALESCE(r.website, c.domain, ''), m.rule,"
			     " m.score, COALESCE(p.source || ':' || p.source_key, ''), COALESCE(m.reason, '')"
			     " FROM member m JOIN record r ON r.id = m.record_id LEFT JOIN candidate c ON c.record_id = r.id"
			     " LEFT JOIN record p ON p.id = m.peer_record_id WHERE m.entity_id = ?1 ORDER BY r.id",
			     &s, &err) != SP_OK)
		return NULL;
	sp_bind_int64(s, 1, eid);
	while (sp_step(s) == SP_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			m = sp_xrealloc(m, cap * sizeof(*m));
		}
		mrow *x = &m[(*n)++];
		x->rid = sp_col_int64(s, 0);
		x->source = sp_xstrdup(txt(s, 1));
		x->key = sp_xstrdup(txt(s, 2));
		x->name = sp_xstrdup(txt(s, 3));
		x->country = sp_xstrdup(txt(s, 4));
		x->city = sp_xstrdup(txt(s, 5));
		x->founded = sp_xstrdup(txt(s, 6));
		x->website = sp_xstrdup(txt(s, 7));
		x->rule = sp_xstrdup(txt(s, 8));
		x->score = sp_col_double(s, 9);
		x->peer = sp_xstrdup(txt(s, 10));
		x->reason = sp_xstrdup(txt(s, 11));
	}
	sp_finalize(s);
	return m;
}

/* show, step 4: every member with the rule, score and peer that placed it, in golden order. */
static void show_members(sp_store *db, int64_t eid, const sp_golden_member *gm, size_t ngm)
{
	size_t n;
	mrow *m = members_read(db, eid, &n);
	printf("\nMembers (%zu):\n", n);
	for (size_t i = 0; i < ngm; i++) {
		mrow key = { .rid = gm[i].rid };
		const mrow *x = n ? bsearch(&key, m, n, sizeof(*m), mrow_by_rid) : NULL;
		if (!x)
			continue;
		printf("  %s:%s\n    \"%s\" %s %s %s %s\n    rule %s, score %.2f%s%s%s%s%s\n", x->source, x->key, x->name,
		       *x->country ? x->country : "-", *x->city ? x->city : "-", *x->founded ? x->founded : "-",
		       *x->website ? x->website : "-", x->rule, x->score, *x->peer ? ", matched with " : "", x->peer,
		       *x->reason ? " (" : "", x->reason, *x->reason ? ")" : "");
	}
	for (size_t i = 0; i < n; i++) {
		mrow *x = &m[i];
		free(x->source), free(x->key), free(x->name), free(x->country), free(x->city), free(x->founded);
		free(x->website), free(x->rule), free(x->peer), free(x->reason);
	}
	free(m);
}

/* show, step 5: the ids that were merged into this entity. */
static void show_merged_ids(sp_store *db, int64_t eid)
{
	sp_err err;
	sp_stmt *s;
	if (sp_store_prepare(db,
			     "SELECT old_id, COALESCE(CAST(run_id AS TEXT),''), COALESCE(reason,'') FROM entity_merge"
			     " WHERE into_id = ?1 ORDER BY old_id",
			     &s, &err) != SP_OK)
		return;
	sp_bind_int64(s, 1, eid);
	int first = 1;
	while (sp_step(s) == SP_ROW) {
		printf("%s  entity %s (run %s: %s)\n", first ? "\nMerged into this entity:\n" : "", txt(s, 0), txt(s, 1),
		       txt(s, 2));
		first = 0;
	}
	sp_finalize(s);
}

/* show, step 6: startups sharing a website with this one under other names (the dedupe stage's
 * review pairs of the domain rule: an acquirer and its acquisitions, a group; never merged).
 * GROUP BY, not DISTINCT: PostgreSQL orders a DISTINCT only by what it selects. */
static void show_group(sp_store *db, int64_t eid)
{
	sp_err err;
	sp_stmt *s;
	if (sp_store_prepare(db,
			     "SELECT mo.entity_id, ro.name, COALESCE(ro.website,''), p.reason"
			     " FROM review_pair p JOIN member ma ON ma.record_id IN (p.a, p.b) AND ma.entity_id = ?1"
			     " JOIN member mo ON mo.record_id = (CASE WHEN ma.record_id = p.a THEN p.b ELSE p.a END)"
			     " JOIN record ro ON ro.id = mo.record_id WHERE p.rule = 'domain' AND mo.entity_id <> ?1"
			     " GROUP BY mo.entity_id, ro.name, ro.website, p.reason ORDER BY mo.entity_id, min(ro.id)",
			     &s, &err) != SP_OK)
		return;
	sp_bind_int64(s, 1, eid);
	int first = 1;
	while (sp_step(s) == SP_ROW) {
		printf("%s  entity %s \"%s\" %s (%s)\n", first ? "\nSame group? (not merged):\n" : "", txt(s, 0), txt(s, 1),
		       txt(s, 2), txt(s, 3));
		first = 0;
	}
	sp_finalize(s);
}

/* The news items that mention a live entity (the view entity_mention, pipeline/mention.h), one
 * line per year, newest first: "in the news 3 times in 2026: "T1"; "T2"; "T3"". */
int sp_cmd_mentions_on(sp_store *db, int64_t entity, const char *lead)
{
	sp_err err;
	sp_stmt *s;
	if (sp_store_prepare(db, "SELECT year, count(*) OVER (PARTITION BY year), COALESCE(title, url, '')"
			     " FROM (SELECT DISTINCT item_id, year, title, url, published FROM entity_mention WHERE entity_id = ?1)"
			     " ORDER BY year DESC, published DESC, item_id DESC", &s, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EDB;
	}
	sp_bind_int64(s, 1, entity);
	int year = -1, shown = 0, total = 0;
	while (sp_step(s) == SP_ROW) {
		if (sp_col_int(s, 0) != year) {
			if (year != -1)
				printf("%s\n", total > shown ? "; ..." : "");
			year = sp_col_int(s, 0);
			total = sp_col_int(s, 1);
			shown = 0;
			printf("%sin the news %d time%s in %d: ", lead, total, total == 1 ? "" : "s", year);
		}
		if (shown < 5)
			printf("%s\"%s\"", shown++ ? "; " : "", txt(s, 2));
	}
	if (year != -1)
		printf("%s\n", total > shown ? "; ..." : "");
	sp_finalize(s);
	return SP_OK;
}

static int cmd_show(int argc, char **argv, sp_env *env)
{
	if (argc != 2) {
		sp_cmd_usage(stderr, sp_cmd_find("show"));
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	int64_t eid = 0;
	int rc = sp_cmd_resolve_entity(db, argv[1], &eid, 0);
	int code = rc == SP_OK ? show_entity(db, eid) : rc == SP_EUSAGE ? SP_EXIT_USAGE : SP_EXIT_FAIL;
	if (code == SP_EXIT_OK) {
		sp_err err;
		sp_golden_member *gm = NULL;
		size_t ngm = 0;
		if (sp_golden_load(db, env->cfg, eid, &gm, &ngm, &err) != SP_OK) {
			sp_cmd_error("show: %s", err.msg);
			code = SP_EXIT_FAIL;
		} else {
			show_golden(gm, ngm);
			show_members(db, eid, gm, ngm);
			show_merged_ids(db, eid);
			show_group(db, eid);
			printf("\n");
			if (sp_cmd_mentions_on(db, eid, "") != SP_OK)
				code = SP_EXIT_FAIL;
			if (sp_cmd_judgements_on(db, eid) != SP_OK)
				code = SP_EXIT_FAIL;
		}
		sp_golden_members_free(gm, ngm);
	}
	sp_store_close(db);
	return code;
}

/* Turn an argument into a SOURCE:KEY reference. An entity id stands for the earliest record born
 * in it (member.home_id) among the live entity's records, else the live entity's earliest: so
 * `unlink 3 1` after `link 3 1` names Linioa's record and Ampeai's, not one record twice. */
static char *resolve_ref(sp_store *db, const char *arg, int allow_entity)
{
	if (strchr(arg, ':')) {
		if (!record_of(db, arg)) {
			sp_cmd_error("no record %s (expected SOURCE:KEY of a stored record)", arg);
			return NULL;
		}
		return sp_xstrdup(arg);
	}
	if (!allow_entity || !is_number(arg)) {
		sp_cmd_error("'%s' is not a record reference SOURCE:KEY%s", arg, allow_entity ? " or an entity id" : "");
		return NULL;
	}
	int64_t id;
	if (sp_cmd_resolve_entity(db, arg, &id, 0) != SP_OK)
		return NULL;
	sp_stmt *s;
	sp_err err;
	char *ref = NULL;
	if (sp_store_prepare(db,
			     "SELECT r.source || ':' || r.source_key FROM member m JOIN record r ON r.id = m.record_id"
			     " WHERE m.entity_id = ?1 ORDER BY m.home_id IS ?2 DESC, r.id LIMIT 1",
			     &s, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return NULL;
	}
	sp_bind_int64(s, 1, id);
	sp_bind_int64(s, 2, atoll(arg)); /* a merged id: the record born in it, not its host's */
	if (sp_step(s) == SP_ROW)
		ref = sp_xstrdup(txt(s, 0));
	sp_finalize(s);
	if (!ref)
		sp_cmd_error("entity %lld has no records", (long long)id);
	return ref;
}

/* link A B | unlink A B | unlink A: one match judgement. */
static int store_override(int argc, char **argv, sp_env *env, int link)
{
	static const struct option opts[] = { { "note", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	const char *note = NULL;
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (o == 'n')
			note = optarg;
		else {
			sp_cmd_usage(stderr, sp_cmd_find(argv[0]));
			return SP_EXIT_USAGE;
		}
	}
	int nargs = argc - optind;
	if (nargs != 2 && (link || nargs != 1)) {
		sp_cmd_usage(stderr, sp_cmd_find(argv[0]));
		return SP_EXIT_USAGE;
	}
	sp_jkind kind = link ? SP_J_LINK : nargs == 2 ? SP_J_APART : SP_J_ALONE;
	sp_err err;
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, argv[0], &an);
	sp_store *db = an.db;
	char *a = NULL, *b = NULL;
	if (code != SP_EXIT_OK)
		goto out;
	code = SP_EXIT_FAIL;
	a = resolve_ref(db, argv[optind], kind != SP_J_ALONE);
	b = nargs == 2 && a ? resolve_ref(db, argv[optind + 1], 1) : NULL;
	if (!a || (nargs == 2 && !b))
		goto out;
	if (b && !strcmp(a, b)) {
		sp_cmd_error("%s: %s and %s are the same record %s", argv[0], argv[optind], argv[optind + 1], a);
		code = SP_EXIT_USAGE;
		goto out;
	}
	sp_judgement j = { .kind = kind, .a = a, .b = b, .note = note, .user = sp_cmd_user(env), .hub = sp_cmd_hub(env),
			   .origin = "cli" };
	sp_judgement_out res;
	if (sp_inbox_record(db, an.inbox, &j, &res, &err) != SP_OK) {
		sp_cmd_error("%s: %s", argv[0], err.msg);
		code = sp_cmd_exit_code(err.code);
		goto out;
	}
	code = SP_EXIT_OK;
	if (sp_cmd_analyst_pending(env, &an, res.pending) || env->quiet)
		goto out;
	if (res.same)
		printf("Already recorded: %s %s%s%s (judgement %lld); nothing stored.\n", sp_judgement_kind_names[kind], a,
		       b ? " " : "", b ? b : "", (long long)res.id);
	else
		printf("Stored: %s %s%s%s (judgement %lld%s). It applies at the next dedupe run"
		       " (sparker run --stage dedupe, or the nightly job).\n",
		       sp_judgement_kind_names[kind], a, b ? " " : "", b ? b : "", (long long)res.id,
		       res.superseded ? "; the judgements it contradicts are removed" : "");
out:
	free(a), free(b);
	sp_cmd_analyst_close(&an);
	return code;
}

static int cmd_link(int argc, char **argv, sp_env *env)
{
	return store_override(argc, argv, env, 1);
}

static int cmd_unlink(int argc, char **argv, sp_env *env)
{
	return store_override(argc, argv, env, 0);
}
