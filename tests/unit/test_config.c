/*
 * test_config.c — the configuration checked completely when it loads (core/config.h): unknown
 * sections and keys with "did you mean", keys of another format, sections and keys given twice,
 * continuation lines, types and ranges, the program's own specs (every default valid), the check
 * hook (taxonomy, filters, band), every problem collected, typed getters reading defaults from
 * the specs, and the paths `sparker check` looks at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "connectors/filter.h"
#include "connectors/gate.h"
#include "core/config.h"
#include "pipeline/dedupe.h"
#include "pipeline/run.h"
#include "pipeline/select.h"
#include "pipeline/taxonomy.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sp-config-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *write_ini(const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/t.ini", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* The config fails to load, and its first problem contains needle. */
static void refused(const sp_config_vocab *v, const char *text, const char *needle)
{
	sp_config *cfg = NULL;
	sp_err err;
	if (sp_config_load(write_ini(text), v, &cfg, &err) != SP_ECONFIG)
		fail_msg("loaded, but should fail with '%s':\n%s", needle, text);
	assert_null(cfg);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

static sp_config *loads(const sp_config_vocab *v, const char *text)
{
	sp_config *cfg = NULL;
	sp_err err;
	if (sp_config_load(write_ini(text), v, &cfg, &err) != SP_OK)
		fail_msg("refused: %s\n%s", err.msg, text);
	return cfg;
}

/* ---------------------------------------------------------------- did you mean */

static void distance_and_closest(void **state)
{
	(void)state;
	assert_int_equal(sp_config_distance("priority", "priority", 3), 0);
	assert_int_equal(sp_config_distance("priorty", "priority", 3), 1);     /* a letter left out */
	assert_int_equal(sp_config_distance("filter.actve", "filter.active", 3), 1);
	assert_int_equal(sp_config_distance("band_mn", "band_min", 3), 1);
	assert_int_equal(sp_config_distance("stgaes", "stages", 3), 1);       /* two neighbours swapped */
	assert_int_equal(sp_config_distance("URL", "url", 3), 0);             /* case does not count */
	assert_int_equal(sp_config_distance("kitten", "sitting", 3), 3);
	assert_int_equal(sp_config_distance("abc", "uvwxyz", 2), 3);          /* stops at max + 1 */
	static const char *const names[] = { "sparker", "source", "job", "taxonomy", "score", "select", "report" };
	assert_string_equal(sp_config_closest("sprker", names, 7), "sparker");
	assert_string_equal(sp_config_closest("selct", names, 7), "select");
	assert_string_equal(sp_config_closest("taxonmy", names, 7), "taxonomy");
	assert_null(sp_config_closest("weather", names, 7)); /* nothing close: no guess */
	assert_null(sp_config_closest("x", names, 7));
}

/* ---------------------------------------------------------------- the program's vocabulary */

#define SRC "[source a]\nformat = csv\nurl = a.csv\nmap.key = id\nmap.name = name\n"

static void mistakes_refused(void **state)
{
	(void)state;
	const sp_config_vocab *v = &sp_run_vocab;
	refused(v, SRC "filter.actve = yes\n", "t.ini:6: unknown key 'filter.actve' in [source a] (did you mean 'filter.active'?)");
	refused(v, SRC "priorty = 5\n", "t.ini:6: unknown key 'priorty' in [source a] (did you mean 'priority'?)");
	refused(v, "[sprker]\ndatabase = x.db\n", "t.ini:1: unknown section [sprker] (did you mean [sparker]?)");
	refused(v, "[sourc a]\nformat = csv\n", "t.ini:1: unknown section [sourc a] (did you mean [source a]?)");
	refused(v, "[weather]\n", "t.ini:1: unknown section [weather]");
	refused(v, "[select]\nband_mn = 0.1\n", "t.ini:2: unknown key 'band_mn' in [select] (did you mean 'band_min'?)");
	refused(v, SRC "[source a]\nformat = csv\nurl = b.csv\n", "t.ini:6: [source a] appears twice (first at line 1)");
	refused(v, "[score]\nmin_score = 3\n[select]\n[score]\n", "t.ini:4: [score] appears twice (first at line 1)");
	refused(v, SRC "priority = 1\npriority = 2\n", "t.ini:7: 'priority' is set twice in [source a] (first at line 6)");
	refused(v, SRC "priority = high\n", "t.ini:6: [source a] priority must be a whole number from -1000000 to 1000000, not 'high'");
	refused(v, SRC "priority = 1.5\n", "must be a whole number");
	refused(v, "[select]\nband_min = 0.3\nband_max = 0.2\n", "t.ini:2: [select] band_min 0.3 is above band_max 0.2");
	refused(v, "[select]\nband_min = 8\nband_max = 6\n", "band_min 0.08 is above band_max 0.06");
	refused(v, "[select]\nband_max = 101\n", "t.ini:2: [select] band_max must be a number from 0 to 100, not '101'");
	refused(v, SRC "filter.max_age_years = ten\n", "t.ini:6: [source a] filter.max_age_years must be a whole number from 0 to 1000, not 'ten'");
	refused(v, SRC "filter.code_prefixes = 62 software\n", "t.ini:6: [source a] filter.code_prefixes: 'software' is not an activity code prefix");
	refused(v, "[score]\nkeyword_weight = lots\n", "t.ini:2: [score] keyword_weight must be a number >= 0, not 'lots'");
	refused(v, SRC "filter.active = maybe\n", "t.ini:6: [source a] filter.active must be yes or no (or true/false, on/off, 1/0), not 'maybe'");
	refused(v, SRC "mode = snapshott\n", "must be one of snapshot, append, delta, not 'snapshott' (did you mean 'snapshot'?)");
	refused(v, SRC "date_order = ymd\n", "t.ini:6: [source a] date_order must be one of dmy, mdy, not 'ymd'");
	refused(v, SRC "encoding = KLINGON\n", "'KLINGON' is not an encoding iconv knows");
	refused(v, SRC "delimiter = ab\n", "t.ini:6: [source a] delimiter: must be one character or 'tab', not 'ab'");
	refused(v, SRC "max_bytes = lots\n", "max_bytes: must be a size such as 500M or 4G");
	refused(v, "[job n]\nstages = fetch dance\n", "t.ini:2: unknown stage 'dance'");
	refused(v, "[job n]\nstages = fetch fetch\n", "stage 'fetch' is listed twice");
	refused(v, "[job n]\nschedule = 0 3 * * *\n", "t.ini:1: [job n] has no 'stages'");
	refused(v, "[job]\nstages = fetch\n", "t.ini:1: [job] needs a name: [job NAME]");
	refused(v, "[score x]\nmin_score = 1\n", "t.ini:1: [score x] takes no name: write [score]");
	refused(v, "database = x.db\n[sparker]\n", "t.ini:1: 'database' is outside any section");
	refused(v, "[sparker]\nmax_seconds.fecth = 10\n", "unknown key 'max_seconds.fecth' in [sparker] (did you mean 'max_seconds.fetch'?)");
	refused(v, "[sparker]\nbudget_action = stop\n", "budget_action must be one of warn, fail, not 'stop'");
	refused(v, "[sparker]\nmax_gone_pct = 120\n", "max_gone_pct must be a number from 0 to 100");
	refused(v, SRC "map.nmae = Name\n", "t.ini:6: unknown key 'map.nmae' in [source a] (did you mean 'map.name'?)");
	refused(v, "[source j]\nformat = json\nurl = a.json\nmap.colour = x\n", "unknown key 'map.colour' in [source j]");
	/* a key of another format: said so, not guessed at */
	refused(v, SRC "items = data\n", "t.ini:6: 'items' is not a key of format csv (only of json)");
	refused(v, SRC "link_is_website = yes\n", "'link_is_website' is not a key of format csv (only of feed)");
	refused(v, "[source g]\nformat = gleif\nurl = g.xml\ndelimiter = ;\n",
		"'delimiter' is not a key of format gleif (only of companies_house, sirene, csv)");
	/* an indented line continues the key above it: only keys that accumulate take one */
	refused(v, "[source a]\nformat = csv\n  url = a.csv\n", "t.ini:3: indented line continues 'format'");
	/* the taxonomy: read when the config loads */
	refused(v, "[taxonomy ev]\nkeywords = battery:x\n", "t.ini:2: taxonomy ev: bad weight in 'battery:x'");
	refused(v, "[taxonomy ev]\ncodes = 29.10 cars\n", "'cars' is not an activity code");
	refused(v, "[taxonomy ev]\nlabel = EV\n", "t.ini:2: taxonomy ev: no codes, categories or keywords");
	refused(v, "[taxonomy ev]\nkeywords = battery\nkeyword = typo\n", "t.ini:3: unknown key 'keyword' in [taxonomy ev] (did you mean 'keywords'?)");
	refused(v, "[taxonomy ev]\nkeywords = battery\nweight = heavy\n", "t.ini:3: [taxonomy ev] weight must be a number >= 0, not 'heavy'");
	refused(v, "[sparker]\ntaxonomy = none\n[job nightly]\nstages = fetch parse score\n",
		"t.ini:4: [job nightly] runs score, which needs a [taxonomy DOMAIN] section");
	/* a section without keys is still a section */
	refused(v, "[taxonomy ev]\n", "t.ini:1: taxonomy ev: no codes, categories or keywords");
	refused(v, "[source a]\n", "t.ini:1: [source a] has no 'format' (one of companies_house, sirene, gleif, feed, csv, json)");
	refused(v, "[job n]\n", "t.ini:1: [job n] has no 'stages'");
	/* not an INI file */
	refused(v, "[sparker]\nthis line is wrong\n", "t.ini:2: syntax error");
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/d.ini", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	sp_config *cfg = NULL;
	sp_err err;
	assert_int_equal(sp_config_load(dir, v, &cfg, &err), SP_ECONFIG);
	assert_non_null(strstr(err.msg, "d.ini: is a directory, expected an INI file"));
}

static void good_configs_load(void **state)
{
	(void)state;
	const sp_config_vocab *v = &sp_run_vocab;
	/* everything valid: any case for yes/no and choices, an empty value is the default, keys that
	 * accumulate repeat and continue on indented lines, the other engineers' gates and budgets */
	sp_config *cfg = loads(v, "[sparker]\ndatabase = db/x.db\nmax_gone_pct = 20\nmax_reject_pct = 5\nmin_rows = 10\n"
				  "max_age_days = 2\nmax_seconds.fetch = 600\nmax_rss_mb.parse = 2048\nbudget_action = FAIL\n"
				  "[source a]\nformat = csv\nurl = a.csv\nmap.key = id\nmap.name = name\nmode = Append\n"
				  "filter.active = On\nfilter.max_age_years =\nencoding = latin1\nmin_rows = 0\nmax_gone_pct = 50\n"
				  "[source f]\nformat = feed\nurl = f.xml\nlink_is_website = TRUE\nmax_text = 100\n"
				  "[source j]\nformat = json\nurl = j.json\nitems = data\nnext = links.next\nmap.website = url\n"
				  "const.code_system = nace2\npreset = gleif\n"
				  "[dedupe]\nblock_cap = 3\n[select]\nband_min = 8\nband_max = 10\n"
				  "[report]\ntarget_accompanied = 12\n"
				  "[job nightly]\nstages = fetch, parse; normalise dedupe score\nschedule = 15 2 * * *\n"
				  "[taxonomy evx]\nlabel = EV\nkeywords = battery:3\nkeywords = charging station:2\n"
				  "  wallbox:2\ncodes = 29.31\n");
	assert_int_equal(cfg->nsources, 3);
	assert_int_equal(cfg->sources[0].mode, SP_MODE_APPEND);
	assert_int_equal(cfg->jobs[0].nstages, 5);
	assert_int_equal(sp_config_bool(cfg, "source a", sp_filter_keys, "filter.active"), 1);
	assert_null(sp_config_str(cfg, "source a", sp_filter_keys, "filter.max_age_years")); /* empty: unset */
	assert_int_equal(sp_config_bool(cfg, "source f", sp_parse_keys, "parse_thread"), 1);  /* the default */
	assert_int_equal(sp_config_int(cfg, "dedupe", sp_dedupe_keys, "block_cap"), 3);
	assert_int_equal(sp_config_int(cfg, "dedupe", sp_dedupe_keys, "window"), 20);       /* the default */
	assert_int_equal(sp_config_int(cfg, "sparker", sp_run_keys, "max_seconds.fetch"), 600);
	assert_int_equal(sp_config_choice(cfg, "sparker", sp_run_keys, "budget_action"), 1); /* fail */
	assert_true(sp_config_num(cfg, "source a", sp_gate_keys, "max_gone_pct") == 50);
	assert_true(sp_config_num(cfg, "sparker", sp_gate_keys, "max_gone_pct") == 20);
	double lo, hi;
	sp_err err;
	assert_int_equal(sp_select_band(cfg, &lo, &hi, &err), SP_OK); /* percentages */
	assert_true(lo > 0.079 && lo < 0.081 && hi > 0.099 && hi < 0.101);
	sp_taxonomy *t = NULL;
	assert_int_equal(sp_taxonomy_load(cfg, &t, &err), SP_OK);
	assert_string_equal(t->domains[t->ndomains - 1].name, "evx"); /* on top of the built-in thesis */
	assert_int_equal(t->domains[t->ndomains - 1].nkeywords, 3); /* two keys and a continuation line */
	sp_taxonomy_free(t);
	sp_config_free(cfg);
	/* no config at all is a config: every default */
	cfg = loads(v, "");
	assert_true(sp_config_num(cfg, "select", sp_select_keys, "band_min") == 0.08);
	assert_int_equal(sp_config_choice(cfg, "sparker", sp_run_keys, "budget_action"), 0); /* warn */
	sp_config_free(cfg);
	/* and no config, as unit tests pass connectors: the getters give the defaults */
	assert_int_equal(sp_config_int(NULL, NULL, sp_dedupe_keys, "review_cap"), 20000);
	assert_int_equal(sp_config_bool(NULL, NULL, sp_parse_keys, "parse_thread"), 1);
}

/* Every program spec: defaults of its type and inside its range, choices and names well formed. */
static void check_spec_array(const sp_config_key *arr)
{
	for (const sp_config_key *k = arr; k->name; k++) {
		assert_non_null(k->section);
		size_t n = strlen(k->name);
		if (k->type == SP_KEY_ENUM)
			assert_non_null(k->choices);
		if (n >= 2 && !strcmp(k->name + n - 2, ".*") && !k->names)
			fail_msg("family %s lists no names", k->name);
		if (!k->def)
			continue;
		/* the default must load through the same checks as a value written in a config */
		char text[512], sec[64];
		snprintf(sec, sizeof(sec), "%s", k->section);
		char *star = strstr(sec, " *");
		if (star)
			strcpy(star, " x");
		if (!strcmp(sec, "source x"))
			continue; /* checked per format below */
		snprintf(text, sizeof(text), "[%s]\n%s = %s\n%s", sec, k->name, k->def,
			 !strcmp(sec, "taxonomy x") ? "keywords = a\n" : "");
		sp_config *cfg = loads(&sp_run_vocab, text);
		sp_config_free(cfg);
	}
}

static void program_specs_consistent(void **state)
{
	(void)state;
	const sp_config_key *arr;
	for (size_t i = 0; (arr = sp_run_vocab.keys(i)); i++)
		check_spec_array(arr);
	const char *format;
	for (size_t f = 0; (format = sp_run_vocab.format(f)); f++) {
		for (size_t i = 0; (arr = sp_run_vocab.source_keys(format, i)); i++) {
			for (const sp_config_key *k = arr; k->name; k++) {
				if (!k->def || strchr(k->name, '*') || strcmp(k->section, "source *"))
					continue;
				char text[512];
				snprintf(text, sizeof(text), "[source s]\nformat = %s\nurl = x\n%s = %s\n", format, k->name, k->def);
				sp_config *cfg = loads(&sp_run_vocab, text);
				sp_config_free(cfg);
			}
		}
	}
}

static void every_problem_collected(void **state)
{
	(void)state;
	sp_config_problems p = { .n = 0 };
	sp_config *cfg = NULL;
	sp_err err;
	int rc = sp_config_load_all(write_ini("[sprker]\n" SRC "priorty = 5\nfilter.actve = yes\n"
					      "[select]\nband_min = 0.5\nband_max = 0.1\n[taxonomy ev]\nkeywords = a:b\n"),
				    &sp_run_vocab, &cfg, &p, &err);
	assert_int_equal(rc, SP_ECONFIG);
	assert_null(cfg);
	assert_int_equal(p.n, 5);
	const char *want[] = { "t.ini:1: unknown section [sprker]", "t.ini:7: unknown key 'priorty'",
			       "t.ini:8: unknown key 'filter.actve'", "t.ini:13: taxonomy ev: bad weight",
			       "t.ini:10: [select] band_min 0.5 is above band_max 0.1" };
	for (size_t i = 0; i < 5; i++)
		if (!strstr(p.text.buf, want[i]))
			fail_msg("problems lack '%s':\n%s", want[i], p.text.buf);
	assert_non_null(strstr(err.msg, want[0])); /* err: the first */
	assert_string_equal(p.first, err.msg);
	sp_buf_release(&p.text);
}

/* ---------------------------------------------------------------- a vocabulary of its own */

static const char *colour_at(size_t i)
{
	static const char *const c[] = { "red", "green" };
	return i < 2 ? c[i] : NULL;
}

static const char *none_at(size_t i)
{
	(void)i;
	return NULL;
}

static int even(const char *v, sp_err *err)
{
	return atoi(v) % 2 ? sp_err_set(err, SP_ECONFIG, "'%s' is odd", v) : SP_OK;
}

static const sp_config_key test_keys[] = {
	{ "box", "size", SP_KEY_INT, .def = "4", .min = 1, .max = 10, .check = even },
	{ "box", "ratio", SP_KEY_NUMBER, .def = "0.5", .min = 0, .max = 1 },
	{ "box", "open", SP_KEY_BOOL, .def = "no" },
	{ "box", "shape", SP_KEY_ENUM, .def = "cube", .choices = "cube|ball" },
	{ "box", "paint.*", SP_KEY_STRING, .names = colour_at },
	{ "box", "label", SP_KEY_STRING, .flags = SP_KEY_REQUIRED },
	{ "shelf *", "item", SP_KEY_STRING, .flags = SP_KEY_REPEAT },
	{ 0 },
};

static const sp_config_key *test_keys_at(size_t i)
{
	return i == 0 ? test_keys : NULL;
}

static int hook_calls;
static void test_hook(const sp_config *cfg, sp_config_problems *p)
{
	hook_calls++;
	if (sp_config_int(cfg, "box", test_keys, "size") == 8)
		sp_config_problem_at(p, cfg, 1, "eight is too many");
}

static const sp_config_vocab test_vocab = { none_at, none_at, test_keys_at, NULL, test_hook };

static void own_vocabulary(void **state)
{
	(void)state;
	const sp_config_vocab *v = &test_vocab;
	sp_config *cfg = loads(v, "[box]\nlabel = x\npaint.red = 1\n[shelf top]\nitem = a\nitem = b\n  c\n");
	assert_int_equal(sp_config_int(cfg, "box", test_keys, "size"), 4);
	assert_true(sp_config_num(cfg, "box", test_keys, "ratio") == 0.5);
	assert_int_equal(sp_config_bool(cfg, "box", test_keys, "open"), 0);
	assert_int_equal(sp_config_choice(cfg, "box", test_keys, "shape"), 0);
	assert_string_equal(sp_config_str(cfg, "box", test_keys, "paint.red"), "1");
	assert_null(sp_config_str(cfg, "box", test_keys, "paint.green"));
	int it = 0, n = 0;
	while (sp_config_kv_next(cfg, "shelf top", &it))
		n++;
	assert_int_equal(n, 3);
	sp_config_free(cfg);
	refused(v, "[box]\n", "t.ini:1: [box] has no 'label'");
	refused(v, "[box]\nlabel = x\nsize = 0\n", "[box] size must be a whole number from 1 to 10, not '0'");
	refused(v, "[box]\nlabel = x\nsize = 3\n", "t.ini:3: [box] size: '3' is odd");
	refused(v, "[box]\nlabel = x\nratio = 1e999\n", "[box] ratio must be a number from 0 to 1");
	refused(v, "[box]\nlabel = x\nshape = bal\n", "shape must be one of cube, ball, not 'bal' (did you mean 'ball'?)");
	refused(v, "[box]\nlabel = x\npaint.grene = 1\n", "unknown key 'paint.grene' in [box] (did you mean 'paint.green'?)");
	refused(v, "[box]\nlabel = x\nsiez = 2\n", "unknown key 'siez' in [box] (did you mean 'size'?)");
	refused(v, "[bx]\n", "unknown section [bx] (did you mean [box]?)");
	refused(v, "[shelf]\n", "[shelf] needs a name: [shelf NAME]");
	hook_calls = 0;
	refused(v, "[box]\nlabel = x\nsize = 8\n", "t.ini:1: eight is too many");
	assert_int_equal(hook_calls, 1);
}

/* ---------------------------------------------------------------- paths (`sparker check`) */

static void paths_checked(void **state)
{
	(void)state;
	char file[300];
	snprintf(file, sizeof(file), "%s/plain", tmpdir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	sp_config *cfg = loads(&sp_run_vocab, "[sparker]\ndatabase = new/deeper/x.db\nraw_dir = plain/raw\n"
					      "report_dir = plain\nlog_file = .\n"
					      "[source a]\nformat = feed\nurl = a.xml\nca_file = no-such.pem\n");
	sp_config_problems p = { .n = 0 };
	assert_int_equal(sp_config_check_paths(cfg, &p), 4);
	const char *want[] = { "t.ini:3: [sparker] raw_dir: cannot create", "plain is not a directory",
			       "t.ini:4: [sparker] report_dir:", "t.ini:5: [sparker] log_file:", "is a directory",
			       "t.ini:9: [source a] ca_file = no-such.pem: cannot read" };
	for (size_t i = 0; i < SP_ARRAY_LEN(want); i++)
		if (!strstr(p.text.buf, want[i]))
			fail_msg("path problems lack '%s':\n%s", want[i], p.text.buf);
	assert_null(strstr(p.text.buf, "database")); /* new/deeper can be created */
	char created[300];
	snprintf(created, sizeof(created), "%s/new", tmpdir);
	assert_int_not_equal(access(created, F_OK), 0); /* and was not */
	sp_buf_release(&p.text);
	sp_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(distance_and_closest),    cmocka_unit_test(mistakes_refused),
		cmocka_unit_test(good_configs_load),       cmocka_unit_test(program_specs_consistent),
		cmocka_unit_test(every_problem_collected), cmocka_unit_test(own_vocabulary),
		cmocka_unit_test(paths_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
