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
	fprintf(f, "[sparker]\ndatabase = db.sqlite\nraw_dir = raw\n\n%s", body);
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
	sqlite3_stmt *s;
	char abs[1024];
	if (file[0] == '/')
		snprintf(abs, sizeof(abs), "%s", file);
	else
		assert_non_null(realpath(file, abs));
	assert_int_equal(sp_store_prepare(e->db, "INSERT INTO fetch(run_id, source, url, fetched_at, path, status)"
					  " VALUES (1, ?1, ?2, 'now', ?2, 'new')", &s, &e->err), SP_OK);
	sqlite3_bind_text(s, 1, source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, abs, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	int64_t id = sp_store_last_id(e->db);
	assert_int_equal(sp_store_prepare(e->db, "INSERT INTO source_state(source, last_good_fetch) VALUES (?1, ?2)"
					  " ON CONFLICT(source) DO UPDATE SET last_good_fetch = excluded.last_good_fetch", &s, &e->err), SP_OK);
	sqlite3_bind_text(s, 1, source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, id);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
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
	sqlite3_stmt *s;
	assert_int_equal(sp_store_prepare(e->db, sql, &s, &e->err), SP_OK);
	if (a)
		sqlite3_bind_text(s, 1, a, -1, SQLITE_TRANSIENT);
	out[0] = 0;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
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
	env *e = env_new("[source ch]\nformat = companies_house\nurl = x\nfilter.active = yes\n"
			 "filter.max_age_years = 10\nfilter.code_prefixes = 62 29 45.2\n"
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
	fake_fetch(e, "ch", hdr);
	assert_true(parse(e, "ch", &c) < 0);
	assert_non_null(strstr(e->err.msg, "no data rows"));
	assert_int_equal(q_int(e, "SELECT count(*) FROM record WHERE source = ?1 AND gone = 0", "ch"), 4);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_unit),
		cmocka_unit_test(test_companies_house),
		cmocka_unit_test(test_filter_and_snapshot),
		cmocka_unit_test(test_sirene),
		cmocka_unit_test(test_crunchbase),
		cmocka_unit_test(test_missing_file_and_nothing_fetched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
