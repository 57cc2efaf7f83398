/*
 * test_startup.c — the startup rule (pipeline/startup.c) and the built-in thesis
 * (pipeline/taxonomy.c): closed never, directory yes, registry only when young and technological,
 * and the built-in text loads with every domain the programmes ask for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/run.h"
#include "pipeline/stage.h"
#include "pipeline/startup.h"
#include "pipeline/taxonomy.h"

static sp_startup_facts base(void)
{
	return (sp_startup_facts){ .as_of_year = 2020, .max_age_years = 10, .active = -1 };
}

static int judge(const sp_startup_facts *f, char *out, size_t n)
{
	sp_buf b = SP_BUF_INIT;
	int v = sp_startup_judge(f, &b);
	snprintf(out, n, "%s", sp_buf_str(&b));
	sp_buf_release(&b);
	return v;
}

static void test_closed_never(void **state)
{
	(void)state;
	char why[512];
	sp_startup_facts f = base();
	f.directory = "crunchbase";
	f.active = 0;
	f.status = "Was Acquired";
	f.status_ref = "crunchbase:x";
	assert_int_equal(judge(&f, why, sizeof(why)), SP_STARTUP_CLOSED);
	assert_non_null(strstr(why, "Closed (status \"Was Acquired\" in crunchbase:x)"));
	assert_non_null(strstr(why, "unless pinned"));
}

static void test_directory_is_startup(void **state)
{
	(void)state;
	char why[512];
	sp_startup_facts f = base();
	f.directory = "yc";
	f.founded_year = 1990; /* old does not matter for a startup source */
	assert_int_equal(judge(&f, why, sizeof(why)), SP_STARTUP_YES);
	assert_non_null(strstr(why, "seen in a startup source (yc)"));
	assert_non_null(strstr(why, "more than 10 years before 2020"));
}

static void test_registry_needs_young_and_technology(void **state)
{
	(void)state;
	char why[512];
	sp_startup_facts f = base();
	f.registry = "companies_house";
	f.founded_year = 2018;
	f.website = "example.co.uk";
	assert_int_equal(judge(&f, why, sizeof(why)), SP_STARTUP_NO); /* a young car wash with a website */
	assert_non_null(strstr(why, "Not a startup: only in registries (companies_house)"));
	assert_non_null(strstr(why, "no technology word"));
	assert_non_null(strstr(why, "website example.co.uk"));
	f.technology = "software";
	assert_int_equal(judge(&f, why, sizeof(why)), SP_STARTUP_YES);
	f.founded_year = 2005; /* technological but old: a company, not a startup */
	assert_int_equal(judge(&f, why, sizeof(why)), SP_STARTUP_NO);
	f.founded_year = 0;
	assert_int_equal(judge(&f, why, sizeof(why)), SP_STARTUP_NO);
	assert_non_null(strstr(why, "founding year unknown"));
	f.founded_year = 2021; /* founded after the run's date: not "young" either */
	assert_int_equal(judge(&f, why, sizeof(why)), SP_STARTUP_NO);
	f.founded_year = 2019;
	f.directory = "radar"; /* also seen in a startup source */
	f.technology = NULL;
	assert_int_equal(judge(&f, why, sizeof(why)), SP_STARTUP_YES);
}

static void test_builtin_thesis(void **state)
{
	(void)state;
	sp_config *cfg = NULL;
	sp_err err;
	assert_int_equal(sp_config_load_text("t.ini", "[sparker]\ndatabase = x.db\n", &sp_run_vocab, &cfg, &err), SP_OK);
	sp_taxonomy *t = NULL;
	assert_int_equal(sp_taxonomy_load(cfg, &t, &err), SP_OK);
	static const char *const want[] = { "electrification", "connectivity", "digital_services", "metaverse",
					    "sustainability",  "industry_4_0", "talent", "aftermarket_parts",
					    "repair_maintenance", "diagnostics", "fleet_mobility", "autonomy" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int found = 0;
		for (int d = 0; d < t->ndomains; d++)
			found |= !strcmp(t->domains[d].name, want[i]);
		assert_true(found);
	}
	assert_string_equal(t->base_name, "built-in");
	/* [score] comes from the thesis unless the config sets it */
	assert_true(sp_taxonomy_num(t, cfg, "score", sp_score_keys, "context_factor") == 0.25);
	sp_taxonomy_free(t);
	sp_config_free(cfg);
}

static void test_sections_on_top(void **state)
{
	(void)state;
	sp_config *cfg = NULL;
	sp_err err;
	const char *text = "[score]\ncontext_factor = 0.5\n"
			   "[taxonomy electrification]\nlabel = EV\nkeywords = solid-state batter*:3\n"
			   "[taxonomy space]\nkeywords = rocket:3\n";
	assert_int_equal(sp_config_load_text("t.ini", text, &sp_run_vocab, &cfg, &err), SP_OK);
	sp_taxonomy *t = NULL;
	assert_int_equal(sp_taxonomy_load(cfg, &t, &err), SP_OK);
	const sp_tax_domain *el = NULL, *sp = NULL;
	for (int d = 0; d < t->ndomains; d++) {
		if (!strcmp(t->domains[d].name, "electrification"))
			el = &t->domains[d];
		if (!strcmp(t->domains[d].name, "space"))
			sp = &t->domains[d];
	}
	assert_non_null(el);
	assert_non_null(sp);
	assert_string_equal(el->label, "EV");
	assert_string_equal(el->keywords[el->nkeywords - 1].text, "solid-state batter*");
	assert_true(el->nkeywords > 20); /* the built-in ones are still there */
	assert_true(sp_taxonomy_num(t, cfg, "score", sp_score_keys, "context_factor") == 0.5);
	sp_taxonomy_free(t);
	sp_config_free(cfg);
	/* taxonomy = none: only the config's sections */
	assert_int_equal(sp_config_load_text("t.ini", "[sparker]\ntaxonomy = none\n[taxonomy a]\nkeywords = x:3\n",
					     &sp_run_vocab, &cfg, &err),
			 SP_OK);
	assert_int_equal(sp_taxonomy_load(cfg, &t, &err), SP_OK);
	assert_int_equal(t->ndomains, 1);
	sp_taxonomy_free(t);
	sp_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_never),
		cmocka_unit_test(test_directory_is_startup),
		cmocka_unit_test(test_registry_needs_young_and_technology),
		cmocka_unit_test(test_builtin_thesis),
		cmocka_unit_test(test_sections_on_top),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
