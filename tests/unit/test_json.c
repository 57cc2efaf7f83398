/*
 * test_json.c — the JSON API connector: dotted-path mapping (nested objects, array index, map
 * over arrays, GLEIF's {"$": ...}), '|' alternatives, constants, presets, a top-level array,
 * JSON Lines, rejects (not an object, no key, no name), broken/oversized documents, and the real
 * GLEIF golden-copy JSON and INSEE API samples when ../shared is present.
 * `test_json --dump [-v] FILE...` (with SP_DUMP_CONFIG/SP_DUMP_SOURCE) runs it over files.
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

#include "connector_dump.h"
#include "pipeline/run.h"

#define FX "tests/fixtures/json/"

static char tmpdir[256];
static sp_config *cfg;

/* A config with one source per test scenario. */
static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sp-json-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	char ini[512];
	snprintf(ini, sizeof(ini), "%s/json.ini", tmpdir);
	FILE *f = fopen(ini, "w");
	if (!f)
		return -1;
	fprintf(f, "[sparker]\ndatabase = x.db\nraw_dir = raw\nreport_dir = rep\n\n"
	           "[source page]\nformat = json\nurl = p.json\nitems = data.items\nnext = links.next\n"
	           "map.key = id\nmap.name = name|legal.name|alt_name\nmap.website = web.url\nmap.country = country\n"
	           "map.founded = founded\nmap.categories = tags\nmap.codes = codes.code\nmap.status = active\n"
	           "map.lei = lei\nmap.other_names = nicknames.1\nconst.code_system = nace2\n\n"
	           "[source plain]\nformat = json\nurl = a.json\n\n"
	           "[source small]\nformat = json\nurl = a.json\nmax_json_mb = 1\n\n"
	           "[source gleif]\nformat = json\nurl = g.json\npreset = gleif\n\n"
	           "[source insee]\nformat = json\nurl = i.json\npreset = insee\n\n"
	           "[job nightly]\nstages = parse\n");
	fclose(f);
	sp_err err;
	return sp_config_load(ini, &sp_run_vocab, &cfg, &err) == SP_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sp_config_free(cfg);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void run_all(const char *source, const char *path, all_t *a)
{
	const sp_source *src = sp_config_source(cfg, source);
	assert_non_null(src);
	sp_collect(&sp_connector_json, cfg, src, path, a);
}

static void page_mapping(void **state)
{
	(void)state;
	all_t a;
	run_all("page", FX "page.json", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	assert_int_equal(a.rej, 3);
	assert_string_equal(F(&a, 0, SP_F_KEY), "sr-1");
	assert_string_equal(F(&a, 0, SP_F_NAME), "Quanly");
	assert_string_equal(F(&a, 0, SP_F_WEBSITE), "https://quanly.io");
	assert_string_equal(F(&a, 0, SP_F_COUNTRY), "US");
	assert_string_equal(F(&a, 0, SP_F_FOUNDED), "2020");
	assert_string_equal(F(&a, 0, SP_F_CATEGORIES), "Cosmetics;Beauty");
	assert_string_equal(F(&a, 0, SP_F_CODES), "62.01;63.11"); /* mapped over an array of objects */
	assert_string_equal(F(&a, 0, SP_F_STATUS), "true");
	assert_string_equal(F(&a, 0, SP_F_LEI), "969500ABCDEF12345678"); /* {"$": ...} */
	assert_string_equal(F(&a, 0, SP_F_OTHER_NAMES), "Quan");          /* array index */
	assert_string_equal(F(&a, 0, SP_F_CODE_SYSTEM), "nace2");         /* const. */
	assert_int_equal(a.r[0].line, 1);
	/* integer key, null name -> the next alternative, string category, real number */
	assert_string_equal(F(&a, 1, SP_F_KEY), "42");
	assert_string_equal(F(&a, 1, SP_F_NAME), "Fallback GmbH");
	assert_string_equal(F(&a, 1, SP_F_CATEGORIES), "Mobility");
	assert_string_equal(F(&a, 1, SP_F_FOUNDED), "2019.5");
	assert_string_equal(REASON(&a, 2), "missing name"); /* blank name */
	assert_string_equal(REASON(&a, 3), "item is not an object");
	assert_string_equal(REASON(&a, 4), "missing key");
	assert_int_equal(a.r[4].line, 5);
	free_all(&a);
}

static void array_and_lines(void **state)
{
	(void)state;
	all_t a;
	run_all("plain", FX "array.json", &a); /* no mapping: id/name by default; top-level array */
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	assert_string_equal(F(&a, 1, SP_F_KEY), "a2");
	assert_string_equal(F(&a, 1, SP_F_NAME), "Beta");
	free_all(&a);
	run_all("plain", FX "lines.jsonl", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 3);
	assert_int_equal(a.rej, 1);
	assert_string_equal(F(&a, 0, SP_F_NAME), "Line One");
	assert_string_equal(REASON(&a, 2), "invalid json line");
	assert_string_equal(F(&a, 3, SP_F_KEY), "l3");
	free_all(&a);
}

static void errors(void **state)
{
	(void)state;
	all_t a;
	run_all("page", FX "truncated.json", &a);
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_non_null(strstr(a.err.msg, "not valid JSON"));
	free_all(&a);
	run_all("page", FX "noitems.json", &a);
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_non_null(strstr(a.err.msg, "data.items"));
	free_all(&a);
	/* map.colour (no such record field) is refused when the config loads: test_config.c */
	run_all("plain", FX "missing.json", &a);
	assert_true(a.rc < 0);
	free_all(&a);
}

static void too_big(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/big.json", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[", f);
	for (int i = 0; i < 40000; i++)
		fprintf(f, "%s{\"id\": \"k%d\", \"name\": \"a fairly long company name number %d\"}", i ? "," : "", i, i);
	fputs("]", f);
	fclose(f);
	all_t a;
	run_all("small", path, &a); /* max_json_mb = 1 */
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_non_null(strstr(a.err.msg, "larger than max_json_mb"));
	free_all(&a);
	run_all("plain", path, &a); /* default 256 MB */
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 40000);
	free_all(&a);
}

static void real_samples(void **state)
{
	(void)state;
	const char *g = "../shared/data/real/gleif/20240505-0000-gleif-goldencopy-lei2-intra-day.json";
	const char *i = "../shared/data/real/sirene/insee-api-api_results.json";
	if (access(g, R_OK) || access(i, R_OK)) {
		printf("SKIP part: ../shared/data/real absent\n");
		return;
	}
	all_t a;
	run_all("gleif", g, &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 577);
	assert_string_equal(F(&a, 0, SP_F_KEY), "097900BID10000147476");
	assert_string_equal(F(&a, 0, SP_F_NAME), "ALFA REY s.r.o.");
	assert_string_equal(F(&a, 0, SP_F_CITY), "Nové Mesto nad Váhom");
	assert_string_equal(F(&a, 0, SP_F_RA_ID), "RA000526");
	assert_string_equal(F(&a, 0, SP_F_FOUNDED), "2017-09-20T08:00:00+02:00");
	printf("INFO: GLEIF golden-copy JSON: %d records, %d rejects\n", a.ok, a.rej);
	free_all(&a);
	run_all("insee", i, &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 20);
	assert_string_equal(F(&a, 0, SP_F_KEY), "420820078");
	assert_string_equal(F(&a, 0, SP_F_NAME), "DANEY"); /* sole trader: nomUniteLegale */
	assert_string_equal(F(&a, 0, SP_F_CODES), "32.20Z");
	printf("INFO: INSEE API JSON: %d records, %d rejects\n", a.ok, a.rej);
	free_all(&a);
}

static void registry(void **state)
{
	(void)state;
	sp_connector_json.close(NULL);
	assert_ptr_equal(sp_connector_find("json"), &sp_connector_json);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--dump"))
		return sp_dump_main(&sp_connector_json, argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(page_mapping), cmocka_unit_test(array_and_lines), cmocka_unit_test(errors),
		cmocka_unit_test(too_big),      cmocka_unit_test(real_samples),    cmocka_unit_test(registry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
