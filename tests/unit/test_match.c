/*
 * test_match.c — folding and word-boundary matching (match.c) and taxonomy syntax (taxonomy.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "taxonomy.h"

static void test_fold(void **state)
{
	(void)state;
	char *f = sp_match_fold("Bornes de Recharge (V2G) — ÉLECTRIQUE!");
	assert_string_equal(f, "bornes de recharge v2g electrique");
	free(f);
	f = sp_match_fold("  e-Mobility,  Straße  cœur ");
	assert_string_equal(f, "e mobility strasse coeur");
	free(f);
	f = sp_match_fold("ＡＢＣ ﬁnance"); /* NFKC: fullwidth letters, ligature */
	assert_string_equal(f, "abc finance");
	free(f);
	f = sp_match_fold(NULL);
	assert_string_equal(f, "");
	free(f);
	f = sp_match_fold("bad \xff\xfe utf8 caf\xc3\xa9");
	assert_string_equal(f, "bad utf8 cafe");
	free(f);
}

static void test_word_boundaries(void **state)
{
	(void)state;
	assert_false(sp_match_text("Every day we deliver", "ev"));
	assert_true(sp_match_text("EV charging for fleets", "ev"));
	assert_true(sp_match_text("chargers for (EV) owners", "ev"));
	assert_false(sp_match_text("a batteryless sensor", "battery"));
	assert_false(sp_match_text("revolution", "ev"));
	assert_true(sp_match_text("Battery.", "battery"));
	assert_false(sp_match_text("", "battery"));
}

static void test_accents_and_case(void **state)
{
	(void)state;
	assert_true(sp_match_text("Véhicule ÉLECTRIQUE", "vehicule electrique"));
	assert_true(sp_match_text("vehicule electrique", "véhicule électrique"));
	assert_true(sp_match_text("Entretien et réparation automobile", "reparation automobile"));
	assert_true(sp_match_text("MAINTENANCE PRÉDICTIVE", "maintenance predictive"));
}

static void test_phrases(void **state)
{
	(void)state;
	assert_true(sp_match_text("We do predictive maintenance for trucks", "predictive maintenance"));
	assert_false(sp_match_text("predictive analytics and maintenance", "predictive maintenance"));
	assert_true(sp_match_text("predictive-maintenance", "predictive maintenance"));
	assert_false(sp_match_text("charging stationary bikes", "charging station"));
	assert_true(sp_match_text("borne de recharge rapide", "borne de recharge"));
	assert_true(sp_match_text("e-mobility", "e mobility"));
	assert_true(sp_match_text("E Mobility", "e-mobility"));
}

static void test_prefix(void **state)
{
	(void)state;
	assert_true(sp_match_text("solid-state batteries", "batter*"));
	assert_false(sp_match_text("a batter of eggs", "batteri*"));
	assert_true(sp_match_text("electric vehicles", "electric vehic*"));
	assert_false(sp_match_text("electric bikes", "electric vehic*"));
}

struct hits {
	int ids[32];
	int n;
};

static void collect(void *user, int id, size_t pos, size_t len)
{
	(void)pos, (void)len;
	struct hits *h = user;
	if (h->n < 32)
		h->ids[h->n++] = id;
}

static int has(const struct hits *h, int id)
{
	for (int i = 0; i < h->n; i++)
		if (h->ids[i] == id)
			return 1;
	return 0;
}

static void test_matcher_many(void **state)
{
	(void)state;
	sp_matcher *m = sp_matcher_new();
	assert_int_equal(sp_matcher_add(m, "battery", 1), SP_OK);
	assert_int_equal(sp_matcher_add(m, "charging station", 2), SP_OK);
	assert_int_equal(sp_matcher_add(m, "charging", 3), SP_OK);
	assert_int_equal(sp_matcher_add(m, "casino", 4), SP_OK); /* a negative, same matcher */
	assert_int_equal(sp_matcher_add(m, "ev", 5), SP_OK);
	assert_int_equal(sp_matcher_add(m, "--", 6), SP_EUSAGE);
	assert_int_equal(sp_matcher_count(m), 5);
	char *f = sp_match_fold("Charging stations & battery swaps for every casino car park");
	struct hits h = { { 0 }, 0 };
	sp_matcher_scan(m, f, collect, &h);
	assert_false(has(&h, 2)); /* "stations" is not "station" */
	assert_true(has(&h, 3));
	assert_true(has(&h, 1));
	assert_true(has(&h, 4));
	assert_false(has(&h, 5));
	free(f);
	sp_matcher_free(m);
	sp_matcher_free(NULL);
}

static void test_taxonomy_items(void **state)
{
	(void)state;
	sp_tax_item *it = NULL;
	int n = 0;
	sp_err err;
	assert_int_equal(sp_taxonomy_parse_items("battery:3 charging station:3 borne de recharge:2.5; e-mobility, v2g", 0, 1,
						 7, "x:7", &it, &n, &err),
			 SP_OK);
	assert_int_equal(n, 5);
	assert_string_equal(it[0].text, "battery");
	assert_true(it[0].weight == 3);
	assert_string_equal(it[1].text, "charging station");
	assert_string_equal(it[2].text, "borne de recharge");
	assert_true(it[2].weight == 2.5);
	assert_string_equal(it[3].text, "e-mobility");
	assert_true(it[3].weight == 1);
	assert_string_equal(it[4].text, "v2g");
	for (int i = 0; i < n; i++)
		free(it[i].text), free(it[i].digits);
	free(it);
	it = NULL;
	n = 0;
	assert_int_equal(sp_taxonomy_parse_items("29.10 45.2:6;62", 1, 4, 3, "x:3", &it, &n, &err), SP_OK);
	assert_int_equal(n, 3);
	assert_string_equal(it[0].digits, "2910");
	assert_string_equal(it[1].digits, "452");
	assert_true(it[1].weight == 6);
	sp_tax_domain d = { 0 };
	d.codes = it;
	d.ncodes = n;
	assert_int_equal(sp_taxonomy_code_match(&d, "29.10"), 0);
	assert_int_equal(sp_taxonomy_code_match(&d, "45.20"), 1);
	assert_int_equal(sp_taxonomy_code_match(&d, "62.01"), 2);
	assert_int_equal(sp_taxonomy_code_match(&d, "29.31"), -1);
	assert_int_equal(sp_taxonomy_code_match(&d, "4"), -1);
	for (int i = 0; i < n; i++)
		free(it[i].text), free(it[i].digits);
	free(it);
	it = NULL;
	n = 0;
	assert_int_equal(sp_taxonomy_parse_items("battery:x", 0, 1, 9, "f.ini:9", &it, &n, &err), SP_ECONFIG);
	assert_non_null(strstr(err.msg, "f.ini:9"));
	free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),          cmocka_unit_test(test_word_boundaries),
		cmocka_unit_test(test_accents_and_case), cmocka_unit_test(test_phrases),
		cmocka_unit_test(test_prefix),        cmocka_unit_test(test_matcher_many),
		cmocka_unit_test(test_taxonomy_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
