/*
 * test_parse.c — the CSV-family connectors on hand-made fixtures, the pushdown filter, and the
 * parse stage itself (records, rejects, parse_stat, snapshot/append, idempotence) on a real
 * SQLite database, without the fetch stage: fetch and source_state rows are inserted by hand.
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

#include "core/config.h"
#include "connectors/connector.h"
#include "connectors/filter.h"
#include "connectors/gate.h"
#include "pipeline/stage.h"
#include "core/store.h"
#include "pipeline/run.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/parse"
#endif

static char fx[1024];
static const char *fixture(const char *name)
{
	const char *root = getenv("SP_FIXTURES");
	snprintf(fx, sizeof(fx), "%s/%s", root ? root : FIXTURES, name);
	return fx;
}

typedef struct env {
	char dir[64];
	sp_config *cfg;
	sp_store *db;
	sp_err err;
	sp_ctx ctx;
} env;

static void write_cfg(env *e, const char *body)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/sparker.ini", e->dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	/* the fixtures are edge cases, a third of their rows rejected on purpose: the reject gate is
	 * off here (the gates are tested in test_gate_check below and tests/integration/test_gates.sh) */
	fprintf(f, "[sparker]\ndatabase = db.sqlite\nraw_dir = raw\nmax_reject_pct = 100\n\n%s", body);
	fclose(f);
	assert_int_equal(sp_config_load(p, &sp_run_vocab, &e->cfg, &e->err), SP_OK);
}

static env *env_new(const char *cfg_body)
{
	env *e = calloc(1, sizeof(*e));
	strcpy(e->dir, "/tmp/sp_parse_XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	write_cfg(e, cfg_body);
	int rc = sp_store_open(e->cfg->database, &e->db, &e->err);
	if (rc)
		fprintf(stderr, "%s\n", e->err.msg);
	assert_int_equal(rc, SP_OK);
	assert_int_equal(sp_store_exec(e->db, "INSERT INTO run(id, as_of, started) VALUES (1, '2025-12-31', 'now')", &e->err), SP_OK);
	e->ctx = (sp_ctx){ .cfg = e->cfg, .db = e->db, .run_id = 1, .as_of = "2025-12-31", .err = &e->err };
	return e;
}

static void env_free(env *e)
{
	sp_store_close(e->db);
	sp_config_free(e->cfg);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
}

/* Pretend fetch stored file as this source's current snapshot; returns the fetch id. */
static int64_t fake_fetch(env *e, const char *source, const char *file)
{
	sp_stmt *s;
	char abs[1024];
	if (file[0] == '/')
		snprintf(abs, sizeof(abs), "%s", file);
	else
		assert_non_null(realpath(file, abs));
	assert_int_equal(sp_store_prepare(e->db, "INSERT INTO fetch(run_id, source, url, fetched_at, path, status)"
					  " VALUES (1, ?1, ?2, 'now', ?2, 'new')", &s, &e->err), SP_OK);
	sp_bind_textn(s, 1, source, -1);
	sp_bind_textn(s, 2, abs, -1);
	assert_int_equal(sp_step(s), SP_DONE);
	sp_finalize(s);
	int64_t id = sp_store_last_id(e->db);
	assert_int_equal(sp_store_prepare(e->db, "INSERT INTO source_state(source, last_good_fetch) VALUES (?1, ?2)"
					  " ON CONFLICT(source) DO UPDATE SET last_good_fetch = excluded.last_good_fetch", &s, &e->err), SP_OK);
	sp_bind_textn(s, 1, source, -1);
	sp_bind_int64(s, 2, id);
	assert_int_equal(sp_step(s), SP_DONE);
	sp_finalize(s);
	return id;
}

static int parse(env *e, const char *source, sp_counts *c)
{
	memset(c, 0, sizeof(*c));
	int rc = sp_stage_parse(&e->ctx, sp_config_source(e->cfg, source), c);
	if (rc < 0)
		fprintf(stderr, "parse: %s\n", e->err.msg);
	return rc;
}

static int64_t q_int(env *e, const char *sql, const char *a)
{
	int64_t v = -1;
	int rc = sp_store_int(e->db, sql, &v, &e->err, a);
	if (rc == SP_ENOTFOUND)
		return -1;
	assert_int_equal(rc, SP_OK);
	return v;
}

static char *q_text(env *e, const char *sql, const char *a)
{
	static char out[512];
	sp_stmt *s;
	assert_int_equal(sp_store_prepare(e->db, sql, &s, &e->err), SP_OK);
	if (a)
		sp_bind_textn(s, 1, a, -1);
	out[0] = 0;
	if (sp_step(s) == SP_ROW && sp_col_text(s, 0))
		snprintf(out, sizeof(out), "%s", sp_col_text(s, 0));
	sp_finalize(s);
	return out;
}

static void test_companies_house(void **state)
{
	env *e = env_new("[source ch]\nformat = companies_house\nurl = x\n");
	fake_fetch(e, "ch", fixture("ch_edge.csv"));
	sp_counts c;
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	assert_int_equal(c.in, 8);
	assert_int_equal(c.rejected, 3);
	assert_int_equal(c.out, 5);
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1", "ch"), 4);
	assert_string_equal(q_text(e, "SELECT name FROM record WHERE source_key = ?1", "00000006"), "SECOND VERSION LTD");
	assert_int_equal(q_int(e, "SELECT line FROM record WHERE source_key = ?1", "00000006"), 10);
	assert_string_equal(q_text(e, "SELECT codes FROM record WHERE source_key = ?1", "12345678"), "62012;62020");
	assert_string_equal(q_text(e, "SELECT code_system FROM record WHERE source_key = ?1", "12345678"), "sic2007");
	assert_string_equal(q_text(e, "SELECT founded FROM record WHERE source_key = ?1", "12345678"), "2021-03-15");
	assert_string_equal(q_text(e, "SELECT other_names FROM record WHERE source_key = ?1", "12345678"),
			    "VOLTIQ LABS LTD;OLD VOLTIQ LTD");
	assert_string_equal(q_text(e, "SELECT regnum FROM record WHERE source_key = ?1", "12345678"), "12345678");
	assert_string_equal(q_text(e, "SELECT country FROM record WHERE source_key = ?1", "12345678"), "UNITED KINGDOM");
	assert_string_equal(q_text(e, "SELECT name FROM record WHERE source_key = ?1", "SC000002"), "\"QUOTED\" NAME LTD");
	assert_string_equal(q_text(e, "SELECT legal_form FROM record WHERE source_key = ?1", "SC000002"), "Private Limited Company");
	assert_int_equal(q_int(e, "SELECT line FROM reject WHERE reason = ?1", "missing name"), 5);
	assert_int_equal(q_int(e, "SELECT line FROM reject WHERE reason = ?1", "missing key"), 6);
	assert_int_equal(q_int(e, "SELECT line FROM reject WHERE reason = ?1", "bad column count"), 7);
	assert_true(strstr(q_text(e, "SELECT excerpt FROM reject WHERE reason = ?1", "missing key"), "NO NUMBER LTD") != NULL);
	assert_int_equal(q_int(e, "SELECT rows_read FROM parse_stat WHERE source = ?1", "ch"), 8);
	assert_int_equal(q_int(e, "SELECT rows_stored FROM parse_stat WHERE source = ?1", "ch"), 5);
	/* unchanged snapshot, not forced: nothing happens */
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	assert_int_equal(c.in, 0);
	assert_non_null(strstr(c.note, "unchanged"));
	/* forced: the same result, rejects replaced not doubled */
	e->ctx.force = 1;
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	assert_int_equal(c.rejected, 3);
	assert_int_equal(q_int(e, "SELECT count(*) FROM reject WHERE source = ?1", "ch"), 3);
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1", "ch"), 4);
	env_free(e);
}

static void test_filter_and_snapshot(void **state)
{
	/* max_gone_pct = 100: the fixture's 3 records lose 1 (33 %) on purpose, to test marking gone */
	env *e = env_new("[source ch]\nformat = companies_house\nurl = x\nfilter.active = yes\n"
			 "filter.max_age_years = 10\nfilter.code_prefixes = 62 29 45.2\nmax_gone_pct = 100\n"
			 "[source cha]\nformat = companies_house\nurl = x\nmode = append\n");
	fake_fetch(e, "ch", fixture("ch_edge.csv"));
	sp_counts c;
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	/* kept: 12345678 (62012, 2021), 00000006 twice (29100, 2020), 00000007 (45200, 2019); dissolved out */
	assert_int_equal(c.out, 4);
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1", "ch"), 3);
	assert_int_equal(q_int(e, "SELECT rows_out_of_scope FROM parse_stat WHERE source = ?1", "ch"), 1);
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source_key = ?1", "SC000002"), 0);

	/* the next snapshot lacks 00000007: it is marked gone, the others stay; first_seen is kept */
	char small[256];
	snprintf(small, sizeof(small), "%s/next.csv", e->dir);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "grep -v '\"AUTO REPAIR LTD\"' %s > %s", fixture("ch_edge.csv"), small);
	assert_int_equal(system(cmd), 0);
	strcpy(e->ctx.as_of, "2026-01-31");
	fake_fetch(e, "ch", small);
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	assert_int_equal(q_int(e, "SELECT gone FROM record WHERE source_key = ?1", "00000007"), 1);
	assert_int_equal(q_int(e, "SELECT gone FROM record WHERE source_key = ?1", "12345678"), 0);
	assert_string_equal(q_text(e, "SELECT first_seen FROM record WHERE source_key = ?1", "12345678"), "2025-12-31");
	assert_string_equal(q_text(e, "SELECT last_seen FROM record WHERE source_key = ?1", "12345678"), "2026-01-31");
	assert_int_equal(q_int(e, "SELECT rows_gone FROM parse_stat WHERE source = ?1 ORDER BY fetch_id DESC", "ch"), 1);
	/* back again: re-seen, gone = 0 */
	fake_fetch(e, "ch", fixture("ch_edge.csv"));
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	assert_int_equal(q_int(e, "SELECT gone FROM record WHERE source_key = ?1", "00000007"), 0);

	/* append mode: nothing is ever marked gone */
	fake_fetch(e, "cha", fixture("ch_edge.csv"));
	assert_int_equal(parse(e, "cha", &c), SP_OK);
	fake_fetch(e, "cha", small);
	assert_int_equal(parse(e, "cha", &c), SP_OK);
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1 AND gone = 1", "cha"), 0);
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1", "cha"), 4);
	env_free(e);
}

static void test_sirene(void **state)
{
	env *e = env_new("[source fr]\nformat = sirene\nurl = x\n");
	fake_fetch(e, "fr", fixture("sirene_edge.csv"));
	sp_counts c;
	assert_int_equal(parse(e, "fr", &c), SP_OK);
	assert_int_equal(c.in, 5);
	assert_int_equal(c.out, 4);
	assert_int_equal(c.rejected, 1);
	assert_string_equal(q_text(e, "SELECT name FROM record WHERE source_key = ?1", "912345678"), "VOLTIQ ÉNERGIE");
	assert_string_equal(q_text(e, "SELECT other_names FROM record WHERE source_key = ?1", "912345678"), "VQE;VOLTIQ");
	assert_string_equal(q_text(e, "SELECT codes || '|' || code_system FROM record WHERE source_key = ?1", "912345678"), "62.01Z|naf2");
	assert_string_equal(q_text(e, "SELECT legal_form FROM record WHERE source_key = ?1", "912345678"), "5710");
	assert_string_equal(q_text(e, "SELECT country FROM record WHERE source_key = ?1", "912345678"), "FR");
	assert_string_equal(q_text(e, "SELECT founded FROM record WHERE source_key = ?1", "912345678"), "2022-04-01");
	assert_string_equal(q_text(e, "SELECT name FROM record WHERE source_key = ?1", "000325175"), "THIERRY JANOYER");
	assert_string_equal(q_text(e, "SELECT name FROM record WHERE source_key = ?1", "001807254"), "JACQUES-LUCIEN BRETON");
	assert_string_equal(q_text(e, "SELECT status FROM record WHERE source_key = ?1", "001807254"), "C");
	assert_string_equal(q_text(e, "SELECT code_system FROM record WHERE source_key = ?1", "005410220"), "nap");
	assert_string_equal(q_text(e, "SELECT reason FROM reject WHERE source = ?1", "fr"), "missing key");
	env_free(e);
}

static void test_crunchbase(void **state)
{
	env *e = env_new("[source cb]\nformat = csv\npreset = crunchbase\nencoding = MACINTOSH\nurl = x\n"
			 "[source cb2]\nformat = csv\npreset = crunchbase\nurl = x\n"
			 "[source m]\nformat = csv\nurl = x\nmap.key = uuid\nmap.name = name\nmap.website = domain\n"
			 "map.categories = category_list\ncategories_sep = |\ncountry = ZZ\n"
			 "[source bad]\nformat = csv\nurl = x\nmap.key = uuid\nmap.name = no_such_column\n");
	fake_fetch(e, "cb", fixture("crunchbase_mac.csv"));
	sp_counts c;
	assert_int_equal(parse(e, "cb", &c), SP_OK);
	assert_int_equal(c.in, 4);
	assert_int_equal(c.out, 3);
	assert_int_equal(c.rejected, 1);
	assert_string_equal(q_text(e, "SELECT name FROM record WHERE source_key = ?1", "/company/qualtre"), "Qualtré");
	assert_string_equal(q_text(e, "SELECT founded FROM record WHERE source_key = ?1", "/company/waywire"), "2012-06-01");
	assert_string_equal(q_text(e, "SELECT website FROM record WHERE source_key = ?1", "/company/waywire"), "http://www.waywire.com");
	assert_string_equal(q_text(e, "SELECT categories FROM record WHERE source_key = ?1", "/company/waywire"), "news");
	assert_string_equal(q_text(e, "SELECT country FROM record WHERE source_key = ?1", "/company/waywire"), "USA");
	assert_string_equal(q_text(e, "SELECT name FROM record WHERE source_key = ?1", "/company/x"), "2nd Story Software, Inc.");
	assert_int_equal(q_int(e, "SELECT line FROM reject WHERE source = ?1", "cb"), 5);

	fake_fetch(e, "cb2", fixture("cb_modern.csv"));
	assert_int_equal(parse(e, "cb2", &c), SP_OK);
	assert_int_equal(c.out, 2);
	assert_string_equal(q_text(e, "SELECT categories FROM record WHERE source = 'cb2' AND name = ?1", "Voltiq"),
			    "Energy;Electric Vehicle;Software");
	assert_string_equal(q_text(e, "SELECT website || '|' || description || '|' || founded FROM record"
				   " WHERE source = 'cb2' AND name = ?1", "Voltiq"),
			    "https://www.voltiq.fr/en|EV charging software|2021-05-01");

	fake_fetch(e, "m", fixture("cb_modern.csv"));
	assert_int_equal(parse(e, "m", &c), SP_OK);
	assert_string_equal(q_text(e, "SELECT categories || '|' || website || '|' || country FROM record"
				   " WHERE source = 'm' AND name = ?1", "Voltiq"),
			    "Energy;Electric Vehicle,Software|voltiq.fr|ZZ");

	fake_fetch(e, "bad", fixture("cb_modern.csv"));
	assert_true(parse(e, "bad", &c) < 0);
	assert_non_null(strstr(e->err.msg, "no_such_column"));
	env_free(e);
}

static void test_missing_file_and_nothing_fetched(void **state)
{
	env *e = env_new("[source ch]\nformat = companies_house\nurl = x\n");
	sp_counts c;
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	assert_non_null(strstr(c.note, "nothing fetched"));
	fake_fetch(e, "ch", "/nonexistent/file.csv");
	assert_true(parse(e, "ch", &c) < 0);
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1", "ch"), 0);
	/* a gzip cut short: the stage fails, nothing of it is committed, the previous state stands */
	fake_fetch(e, "ch", fixture("ch_edge.csv"));
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	char gz[256], cmd[1024];
	snprintf(gz, sizeof(gz), "%s/cut.csv.gz", e->dir);
	snprintf(cmd, sizeof(cmd), "python3 /dev/fd/3 3<<'EOF'\nimport gzip\nd = gzip.compress(open('%s', 'rb').read() * 200)\n"
		 "open('%s', 'wb').write(d[:len(d) // 2])\nEOF", fixture("ch_edge.csv"), gz);
	assert_int_equal(system(cmd), 0);
	fake_fetch(e, "ch", gz);
	assert_true(parse(e, "ch", &c) < 0);
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1 AND gone = 0", "ch"), 4);
	assert_int_equal(q_int(e, "SELECT count(*) FROM parse_stat WHERE source = ?1", "ch"), 1);
	/* a snapshot with a header and no rows does not wipe the source */
	char hdr[256];
	snprintf(hdr, sizeof(hdr), "%s/header_only.csv", e->dir);
	snprintf(cmd, sizeof(cmd), "head -1 %s > %s", fixture("ch_edge.csv"), hdr);
	assert_int_equal(system(cmd), 0);
	int64_t hdr_fetch = fake_fetch(e, "ch", hdr);
	assert_int_equal(parse(e, "ch", &c), SP_EGATE);
	assert_non_null(strstr(e->err.msg, "gate max_gone_pct = 20"));
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1 AND gone = 0", "ch"), 4);
	assert_int_equal(q_int(e, "SELECT fetch_id FROM gate_hold WHERE source = ?1", "ch"), hdr_fetch);
	/* ... not even with the gone gate off */
	sp_config_free(e->cfg);
	write_cfg(e, "[source ch]\nformat = companies_house\nurl = x\nmax_gone_pct = 100\n");
	e->ctx.cfg = e->cfg;
	assert_int_equal(parse(e, "ch", &c), SP_EGATE);
	assert_non_null(strstr(e->err.msg, "no data rows"));
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1 AND gone = 0", "ch"), 4);
	/* accepted: applied, bypassing the gates */
	e->ctx.accept = 1;
	assert_int_equal(parse(e, "ch", &c), SP_OK);
	e->ctx.accept = 0;
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1 AND gone = 0", "ch"), 0);
	assert_int_equal(q_int(e, "SELECT count(*) FROM gate_hold WHERE source = ?1", "ch"), 0);
	/* not a Companies House file */
	fake_fetch(e, "ch", fixture("cb_modern.csv"));
	assert_int_equal(parse(e, "ch", &c), SP_EFORMAT);
	env_free(e);
}

static void test_filter_unit(void **state)
{
	/* the dates the connectors convert: test_date.c */
	assert_true(sp_status_inactive("Dissolved"));
	assert_true(sp_status_inactive("Converted/Closed"));
	assert_true(sp_status_inactive("C"));
	assert_true(sp_status_inactive("closed"));
	assert_true(sp_status_inactive("Liquidation"));
	assert_false(sp_status_inactive("Active"));
	assert_false(sp_status_inactive("Active - Proposal to Strike off"));
	assert_false(sp_status_inactive("operating"));
	assert_false(sp_status_inactive("A"));
	assert_false(sp_status_inactive(""));
}

/* The gates on counts alone (connectors/gate.h): which fails first, strictly over the limit, 100 = off. */
static void test_gate_check(void **state)
{
	sp_gate_limits l = { .min_rows = 0, .max_gone_pct = 20, .max_reject_pct = 5, .max_age_days = 0 };
	sp_gate_hold h;
	/* the night of issue 15: 3 rows instead of 1,530 */
	sp_gate_counts c = { .read = 3, .rejected = 0, .live = 1530, .gone = 1527, .snapshot = 1 };
	assert_int_equal(sp_gate_check(&l, &c, "ch", 9, &h), 1);
	assert_string_equal(h.gate, "max_gone_pct");
	assert_int_equal(h.fetch_id, 9);
	assert_non_null(strstr(h.message, "source ch: snapshot fetch 9: 3 rows, 99.8 % of live records would be gone"));
	assert_non_null(strstr(h.message, "gate max_gone_pct = 20"));
	assert_non_null(strstr(h.message, "`sparker accept ch`"));
	/* exactly at the limit passes; append mode never counts gone; 100 turns the gate off */
	c = (sp_gate_counts){ .read = 400, .rejected = 20, .live = 100, .gone = 20, .snapshot = 1 };
	assert_int_equal(sp_gate_check(&l, &c, "ch", 9, &h), 0);
	c.gone = 21;
	assert_int_equal(sp_gate_check(&l, &c, "ch", 9, &h), 1);
	c.snapshot = 0;
	assert_int_equal(sp_gate_check(&l, &c, "ch", 9, &h), 0);
	c = (sp_gate_counts){ .read = 10, .rejected = 0, .live = 10, .gone = 10, .snapshot = 1 };
	l.max_gone_pct = 100;
	assert_int_equal(sp_gate_check(&l, &c, "ch", 9, &h), 0);
	/* rejects: 5 % passes, more fails; min_rows is checked first */
	c = (sp_gate_counts){ .read = 100, .rejected = 5, .snapshot = 1 };
	assert_int_equal(sp_gate_check(&l, &c, "ch", 9, &h), 0);
	c.rejected = 6;
	assert_int_equal(sp_gate_check(&l, &c, "ch", 9, &h), 1);
	assert_string_equal(h.gate, "max_reject_pct");
	assert_true(h.measured > 5.99 && h.measured < 6.01);
	l.min_rows = 101;
	assert_int_equal(sp_gate_check(&l, &c, "ch", 9, &h), 1);
	assert_string_equal(h.gate, "min_rows");
	/* every row rejected fails with every gate off, in any mode, even on a first load */
	l = (sp_gate_limits){ .max_gone_pct = 100, .max_reject_pct = 100 };
	c = (sp_gate_counts){ .read = 7, .rejected = 7 };
	assert_int_equal(sp_gate_check(&l, &c, "feed", 3, &h), 1);
	assert_string_equal(h.gate, "no_valid_rows");
	/* an empty snapshot fails even on a first load (0 records is never ok); an empty append feed
	 * is no failure */
	c = (sp_gate_counts){ .snapshot = 1 };
	assert_int_equal(sp_gate_check(&l, &c, "ch", 3, &h), 1);
	assert_string_equal(h.gate, "no_valid_rows");
	assert_non_null(strstr(h.message, "has no data rows (0 records)"));
	c = (sp_gate_counts){ .live = 5 };
	assert_int_equal(sp_gate_check(&l, &c, "ch", 3, &h), 0);
	/* freshness: off at 0; strictly older fails, with nothing to apply unless a snapshot waits */
	assert_int_equal(sp_gate_check_age(&l, 400, "2024-01-01", "ch", 0, &h), 0);
	l.max_age_days = 7;
	assert_int_equal(sp_gate_check_age(&l, 7, "2024-01-01", "ch", 0, &h), 0);
	assert_int_equal(sp_gate_check_age(&l, 8, "2024-01-01", "ch", 0, &h), 1);
	assert_string_equal(h.gate, "max_age_days");
	assert_int_equal(h.fetch_id, 0);
	assert_null(strstr(h.message, "accept"));
	assert_int_equal(sp_gate_check_age(&l, 8, "2024-01-01", "ch", 12, &h), 1);
	assert_non_null(strstr(h.message, "snapshot fetch 12 not applied"));
	(void)state;
}

/* Limits: [source NAME], else [sparker], else the defaults; a bad value names file and line. */
static void test_gate_limits(void **state)
{
	env *e = env_new("[source a]\nformat = csv\nurl = x\nmax_gone_pct = 50\n\n"
			 "[source b]\nformat = csv\nurl = x\nmin_rows = 7\n");
	sp_gate_limits l;
	assert_int_equal(sp_gate_limits_read(e->cfg, sp_config_source(e->cfg, "a"), &l, &e->err), SP_OK);
	assert_true(l.max_gone_pct == 50 && l.max_reject_pct == 100 && l.min_rows == 0 && l.max_age_days == 0);
	assert_int_equal(sp_gate_limits_read(e->cfg, sp_config_source(e->cfg, "b"), &l, &e->err), SP_OK);
	assert_true(l.min_rows == 7 && l.max_gone_pct == 20); /* its own, and the default */
	/* a bad limit is refused when the configuration loads (core/config.h), before any parse */
	char p[160];
	snprintf(p, sizeof(p), "%s/bad.ini", e->dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "[sparker]\ndatabase = db.sqlite\n[source b]\nformat = csv\nurl = x\nmin_rows = 1.5\n");
	fclose(f);
	sp_config *bad = NULL;
	assert_int_equal(sp_config_load(p, &sp_run_vocab, &bad, &e->err), SP_ECONFIG);
	assert_non_null(strstr(e->err.msg, "bad.ini:6:"));
	assert_non_null(strstr(e->err.msg, "min_rows"));
	env_free(e);
	e = env_new("[source a]\nformat = csv\nurl = x\n");
	assert_int_equal(sp_gate_limits_read(e->cfg, sp_config_source(e->cfg, "a"), &l, &e->err), SP_OK);
	assert_true(l.max_gone_pct == 20 && l.max_reject_pct == 100); /* write_cfg's [sparker] */
	env_free(e);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_unit),
		cmocka_unit_test(test_gate_check),
		cmocka_unit_test(test_gate_limits),
		cmocka_unit_test(test_companies_house),
		cmocka_unit_test(test_filter_and_snapshot),
		cmocka_unit_test(test_sirene),
		cmocka_unit_test(test_crunchbase),
		cmocka_unit_test(test_missing_file_and_nothing_fetched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
