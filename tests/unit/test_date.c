/*
 * test_date.c — the one date parser (core/date.h) and the promise it exists for: the pushdown
 * filter and the normalise stage read a record's founding date the same way.
 *
 * `agreement` runs real sources end to end (parse with filter.max_age_years, then normalise) on
 * tricky dates and checks, per record, that the filter kept it exactly when the date normalise
 * stores is empty or on/after the filter's bound; `filter_reads_like_parser` checks the same
 * without a database.
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
#include "core/date.h"
#include "core/store.h"
#include "connectors/connector.h"
#include "connectors/filter.h"
#include "pipeline/run.h"
#include "pipeline/stage.h"

static void date_is(const char *raw, sp_date_order order, const char *want)
{
	char out[SP_DATE_ISO_SIZE];
	memset(out, 'x', sizeof(out));
	int ok = sp_date_parse(raw, order, out, sizeof(out));
	if (strcmp(out, want) || ok != (*want != 0))
		fail_msg("date '%s' (order %d): got %d '%s' want '%s'", raw, (int)order, ok, out, want);
}

/* The same answer in all four orders. */
static void date_any(const char *raw, const char *want)
{
	for (int o = SP_DATE_DMY; o <= SP_DATE_MDY_ONLY; o++)
		date_is(raw, (sp_date_order)o, want);
}

static void forms(void **state)
{
	(void)state;
	date_any("2024-03-05", "2024-03-05");
	date_any("2024/03/05", "2024-03-05");
	date_any("2024.03.05", "2024-03-05");
	date_any("2024-3-5", "2024-03-05");
	date_any("  2024-03-05 \t", "2024-03-05");
	date_any("2006-01-02T15:04:05Z", "2006-01-02");
	date_any("2006-01-02t15:04:05Z", "2006-01-02");
	date_any("2006-01-02T15:04:05+02:00", "2006-01-02");
	date_any("2006-01-02 15:04", "2006-01-02");
	date_any("20200102", "2020-01-02");
	date_any("2019", "2019");
	date_any("\t2019 ", "2019");
	date_any("2019-07", "2019-07");
	date_any("Mon, 02 Jan 2006 15:04:05 +0000", "2006-01-02");
	date_any("Mon, 02 Jan 06 15:04:05 GMT", "2006-01-02");
	date_any("2 January 2020", "2020-01-02");
	date_any("2nd Jan 2020", "2020-01-02");
	date_any("Jan 2, 2020", "2020-01-02");
	date_any("March 2019", "2019-03");
	date_is("29/02/2024", SP_DATE_DMY, "2024-02-29");
	date_is("29/02/2024", SP_DATE_MDY, "2024-02-29");
	date_any("12/12/2021", "2021-12-12");
	date_any("12/12/2021 10:00", "2021-12-12");
	date_any("12/12/2021T10:00", "2021-12-12");
}

static void orders(void **state)
{
	(void)state;
	date_is("05/03/2024", SP_DATE_DMY, "2024-03-05");
	date_is("05/03/2024", SP_DATE_DMY_ONLY, "2024-03-05");
	date_is("5/3/2024", SP_DATE_MDY, "2024-05-03");
	date_is("5/3/2024", SP_DATE_MDY_ONLY, "2024-05-03");
	date_is("12.03.2021", SP_DATE_DMY, "2021-03-12");
	date_is("12-03-2021", SP_DATE_MDY, "2021-12-03");
	/* only one reading is a date: the plain orders take it, the _ONLY orders do not */
	date_is("03/25/2024", SP_DATE_DMY, "2024-03-25");
	date_is("03/25/2024", SP_DATE_MDY, "2024-03-25");
	date_is("03/25/2024", SP_DATE_DMY_ONLY, "");
	date_is("03/25/2024", SP_DATE_MDY_ONLY, "2024-03-25");
	date_is("25/03/2024", SP_DATE_MDY, "2024-03-25");
	date_is("25/03/2024", SP_DATE_MDY_ONLY, "");
	date_is("01/13/2020", SP_DATE_DMY_ONLY, "");
	date_is("6/1/2012", SP_DATE_MDY_ONLY, "2012-06-01");
	date_is("15/03/2021", SP_DATE_DMY_ONLY, "2021-03-15");
}

static void not_dates(void **state)
{
	(void)state;
	date_any(NULL, "");
	date_any("", "");
	date_any("   ", "");
	date_any("NA", "");
	date_any("not a date", "");
	date_any("31/02/2024", ""); /* impossible day: never an impossible ISO date */
	date_any("29/02/2023", "");
	date_any("31/31/2020", "");
	date_any("00/00/0000", "");
	date_any("01/01/0001", "");
	date_any("2024-13-01", "");
	date_any("2024-02-30", "");
	date_any("2024-00-10", "");
	date_any("2024-05-00", "");
	date_any("2024-00", "");
	date_any("20241301", "");
	date_any("2024-03-05x", ""); /* trailing text that is no time */
	date_any("2024-03-051", "");
	date_any("2024-05x", "");
	date_any("0999", "");        /* years outside 1000..2999 */
	date_any("0999-01-01", "");
	date_any("3000-01-01", "");
	date_any("05/03/24", "");
	date_any("12/2019", "");
	date_any("01/02/20245", "");
	date_any("99999999999999999999", "");
	date_any("-1/-1/-1", "");
}

static void small_buffer(void **state)
{
	(void)state;
	char out[5];
	assert_true(sp_date_parse("2024-03-05", SP_DATE_DMY, out, sizeof(out)));
	assert_string_equal(out, "2024");
	assert_true(sp_date_parse("2024-03-05", SP_DATE_DMY, NULL, 0)); /* n = 0: nothing written */
}

static void first_day(void **state)
{
	(void)state;
	char d[SP_DATE_ISO_SIZE];
	assert_true(sp_date_first_day("2019", SP_DATE_DMY, d));
	assert_string_equal(d, "2019-01-01");
	assert_true(sp_date_first_day("March 2019", SP_DATE_DMY, d));
	assert_string_equal(d, "2019-03-01");
	assert_true(sp_date_first_day("07/06/2014", SP_DATE_MDY, d));
	assert_string_equal(d, "2014-07-06");
	assert_false(sp_date_first_day("31/02/2024", SP_DATE_DMY, d));
	assert_string_equal(d, "");
}

static void iso_valid(void **state)
{
	(void)state;
	/* run dates: --as-of, backfill ranges, decision dates */
	assert_true(sp_date_is_iso_valid("2024-02-29"));
	assert_false(sp_date_is_iso_valid("2023-02-29"));
	assert_false(sp_date_is_iso_valid("2024-13-01"));
	assert_false(sp_date_is_iso_valid("2024-1-01"));
	assert_false(sp_date_is_iso_valid("yesterday"));
	assert_false(sp_date_is_iso_valid(NULL));
	assert_true(sp_date_is_iso_valid("1900-01-01"));
	assert_true(sp_date_is_iso_valid("2200-12-31"));
	assert_false(sp_date_is_iso_valid("1899-12-31"));
	assert_false(sp_date_is_iso_valid("2201-01-01"));
	assert_false(sp_date_is_iso_valid("2024-01-01T00"));
	assert_false(sp_date_is_iso_valid("2024- 1-01"));
	assert_false(sp_date_is_iso_valid("2024-+1-01"));
}

/* ---------------------------------------------------------------- the filter and normalise agree */

static char tmpdir[64];

static sp_config *load_cfg(const char *body)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/sparker.ini", tmpdir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "[sparker]\ndatabase = db.sqlite\nraw_dir = raw\n\n%s", body);
	fclose(f);
	sp_config *cfg;
	sp_err err;
	if (sp_config_load(p, &sp_run_vocab, &cfg, &err) != SP_OK)
		fail_msg("config: %s", err.msg);
	return cfg;
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/sp_date_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void order_config(void **state)
{
	(void)state;
	sp_config *cfg = load_cfg("[source a]\nformat = csv\nurl = a.csv\n"
				  "[source b]\nformat = csv\nurl = b.csv\ndate_order = MDY\n"
				  "[source c]\nformat = csv\nurl = c.csv\ndate_order = dmy\npreset = crunchbase\n"
				  "[source d]\nformat = csv\nurl = d.csv\npreset = crunchbase\n");
	static const struct {
		const char *src;
		sp_date_order order;
		int declared;
	} want[] = {
		{ "a", SP_DATE_DMY, 0 }, { "b", SP_DATE_MDY, 1 }, { "c", SP_DATE_DMY, 1 },
		{ "d", SP_DATE_MDY, 1 }, /* date_order = ymd is refused when the config loads (test_config.c) */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const sp_source *s = sp_config_source(cfg, want[i].src);
		int declared = -1;
		assert_int_equal(sp_date_order_config(cfg, s->section, &declared), want[i].order);
		assert_int_equal(declared, want[i].declared);
		sp_filter f;
		sp_err err;
		assert_int_equal(sp_filter_init(&f, cfg, s, "2024-06-15", &err), SP_OK);
		assert_int_equal(f.date_order, want[i].order);
		sp_filter_release(&f);
	}
	sp_config_free(cfg);
}

/*
 * Founding dates around the bound 2014-06-15 (as-of 2024-06-15, filter.max_age_years = 10) that a
 * second reading would easily get wrong: day first regardless of the source's order, no day/month
 * swap, no calendar check, a date-like prefix taken for the date, fewer forms.
 */
static const char *const tricky[] = {
	"07/06/2014",     /* mdy: 6 July (in); day first would say 7 June (out) */
	"06/07/2014",     /* mdy: 7 June (out); day first would say 6 July (in) */
	"03/25/2010",     /* only month first is a date: 25 March 2010 */
	"31/02/2010",     /* no such day: no date, kept */
	"29/02/2013",     /* the same, not a leap year */
	"2010-13-01",     /* no such month: no date, kept */
	"2010-02-30",
	"2010-00-10",
	"2014-6-20",      /* one-digit month: 20 June 2014, not 2014-01-01 */
	"2010.05.03",     /* other forms the parser reads */
	"20100503",
	"2 January 2010",
	"Jan 2, 2010",
	"March 2010",
	"Mon, 02 Jan 2006 15:04:05 +0000",
	"2010-05-03x",    /* a date followed by junk is no date */
	"2010-05-031",
	"2010-05x",
	"0999-01-01",     /* years outside 1000..2999 are no date */
	"0999",
	"2010 ",          /* trailing space */
	/* and plain ones, at the bound */
	"2014-06-15", "2014-06-14", "2014-06-15T00:00:00Z", "2014", "2014-06", "2014-07", "2015",
	"15/06/2014", "14/06/2014", "06/15/2014", "06/14/2014", "01/13/2020", "", "not a date",
};

/* Pure: the filter keeps a record exactly when sp_date_parse with the source's order finds no
 * date or one on/after min_date. */
static void filter_reads_like_parser(void **state)
{
	(void)state;
	sp_config *cfg = load_cfg("[source d]\nformat = csv\nurl = d.csv\nfilter.max_age_years = 10\n"
				  "[source m]\nformat = csv\nurl = m.csv\nfilter.max_age_years = 10\ndate_order = mdy\n");
	const char *srcs[] = { "d", "m" };
	for (int k = 0; k < 2; k++) {
		const sp_source *s = sp_config_source(cfg, srcs[k]);
		sp_filter f;
		sp_err err;
		assert_int_equal(sp_filter_init(&f, cfg, s, "2024-06-15", &err), SP_OK);
		assert_string_equal(f.min_date, "2014-06-15");
		sp_date_order order = sp_date_order_config(cfg, s->section, NULL); /* as normalise reads it */
		sp_record r;
		sp_record_init(&r);
		for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
			sp_record_clear(&r);
			sp_record_sets(&r, SP_F_FOUNDED, tricky[i]);
			char iso[SP_DATE_ISO_SIZE], day[SP_DATE_ISO_SIZE];
			sp_date_parse(tricky[i], order, iso, sizeof(iso));
			sp_date_first_day(iso, SP_DATE_DMY, day);
			int want = !*iso || strcmp(day, f.min_date) >= 0;
			if (sp_filter_keep(&f, &r) != want)
				fail_msg("source %s, founded '%s': filter %s, normalise reads '%s'", srcs[k], tricky[i],
					 want ? "drops" : "keeps", iso);
		}
		sp_record_release(&r);
		sp_filter_release(&f);
	}
	sp_config_free(cfg);
}

/* Exact answers for the tricky cases, so a change of the reading shows here too. */
static void former_disagreements(void **state)
{
	(void)state;
	date_is("07/06/2014", SP_DATE_MDY, "2014-07-06");
	date_is("03/25/2010", SP_DATE_DMY, "2010-03-25");
	date_any("31/02/2010", "");
	date_any("2010-13-01", "");
	date_any("2014-6-20", "2014-06-20");
	date_any("2010.05.03", "2010-05-03");
	date_any("20100503", "2010-05-03");
	date_any("2010-05-03x", "");
	date_any("0999-01-01", "");
	date_any("2010 ", "2010");
}

static void exec_ok(sp_store *db, const char *sql, sp_err *err)
{
	if (sp_store_exec(db, sql, err) != SP_OK)
		fail_msg("%s: %s", sql, err->msg);
}

/* End to end: the same CSV through a filtered and an unfiltered source of each date order, parse
 * then normalise; a key is in the filtered source iff normalise gives the unfiltered record no
 * date or one on/after the bound. */
static void agreement(void **state)
{
	(void)state;
	char csv[128];
	snprintf(csv, sizeof(csv), "%s/dates.csv", tmpdir);
	FILE *f = fopen(csv, "w");
	assert_non_null(f);
	fprintf(f, "uuid,name,founded_on\n");
	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
		fprintf(f, "k%zu,Company %zu,\"%s\"\n", i, i, tricky[i]);
	fclose(f);
	char body[2048];
	const char *map = "format = csv\nmap.key = uuid\nmap.name = name\nmap.founded = founded_on\n";
	snprintf(body, sizeof(body),
		 "[source fd]\n%surl = %s\nfilter.max_age_years = 10\n"
		 "[source ad]\n%surl = %s\n"
		 "[source fdd]\n%surl = %s\nfilter.max_age_years = 10\ndate_order = dmy\n"
		 "[source add]\n%surl = %s\ndate_order = dmy\n"
		 "[source fm]\n%surl = %s\nfilter.max_age_years = 10\ndate_order = mdy\n"
		 "[source am]\n%surl = %s\ndate_order = mdy\n"
		 "[source fcb]\nformat = csv\npreset = crunchbase\nurl = %s\nfilter.max_age_years = 10\n"
		 "[source acb]\nformat = csv\npreset = crunchbase\nurl = %s\n",
		 map, csv, map, csv, map, csv, map, csv, map, csv, map, csv, csv, csv);
	sp_config *cfg = load_cfg(body);
	sp_store *db;
	sp_err err;
	assert_int_equal(sp_store_open(cfg->database, &db, &err), SP_OK);
	exec_ok(db, "INSERT INTO run(id, as_of, started) VALUES (1, '2024-06-15', 'now')", &err);
	sp_ctx ctx = { .cfg = cfg, .db = db, .run_id = 1, .as_of = "2024-06-15", .err = &err };
	sp_counts c;
	for (int i = 0; i < cfg->nsources; i++) {
		char sql[1024];
		snprintf(sql, sizeof(sql),
			 "INSERT INTO fetch(run_id, source, url, fetched_at, path, status) VALUES (1, '%s', '%s', 'now', '%s', 'new');"
			 "INSERT INTO source_state(source, last_good_fetch) VALUES ('%s', last_insert_rowid());",
			 cfg->sources[i].name, csv, csv, cfg->sources[i].name);
		exec_ok(db, sql, &err);
		memset(&c, 0, sizeof(c));
		if (sp_stage_parse(&ctx, &cfg->sources[i], &c) < 0)
			fail_msg("parse %s: %s", cfg->sources[i].name, err.msg);
	}
	memset(&c, 0, sizeof(c));
	if (sp_stage_normalise(&ctx, NULL, &c) < 0)
		fail_msg("normalise: %s", err.msg);
	/* every key of each unfiltered source, its normalised date, and whether the filtered twin has it */
	sp_stmt *s;
	assert_int_equal(sp_store_prepare(db,
					  "SELECT a.source, r.source_key, coalesce(c.founded, ''), r.founded,"
					  "  EXISTS(SELECT 1 FROM record x WHERE x.source = 'f' || substr(a.source, 2)"
					  "         AND x.source_key = r.source_key AND x.gone = 0)"
					  " FROM candidate c JOIN record r ON r.id = c.record_id"
					  " JOIN (SELECT DISTINCT source FROM record WHERE source LIKE 'a%') a ON a.source = r.source"
					  " ORDER BY a.source, r.source_key",
					  &s, &err), SP_OK);
	int rows = 0, dropped = 0;
	while (sp_step(s) == SP_ROW) {
		const char *src = sp_col_text(s, 0), *key = sp_col_text(s, 1);
		const char *founded = sp_col_text(s, 2), *raw = sp_col_text(s, 3);
		int kept = sp_col_int(s, 4);
		char day[SP_DATE_ISO_SIZE];
		sp_date_first_day(founded, SP_DATE_DMY, day);
		int want = !*founded || strcmp(day, "2014-06-15") >= 0;
		if (kept != want)
			fail_msg("source %s key %s founded '%s' normalised '%s': the filter %s it", src, key, raw ? raw : "",
				 founded, kept ? "kept" : "dropped");
		rows++;
		dropped += !kept;
	}
	sp_finalize(s);
	size_t n = sizeof(tricky) / sizeof(tricky[0]);
	assert_int_equal(rows, 4 * (int)n);
	assert_true(dropped > 0 && dropped < rows);
	sp_store_close(db);
	sp_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forms),
		cmocka_unit_test(orders),
		cmocka_unit_test(not_dates),
		cmocka_unit_test(small_buffer),
		cmocka_unit_test(first_day),
		cmocka_unit_test(iso_valid),
		cmocka_unit_test(order_config),
		cmocka_unit_test(filter_reads_like_parser),
		cmocka_unit_test(former_disagreements),
		cmocka_unit_test(agreement),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
