/*
 * test_match.c — folding and word-boundary matching (match.c) and taxonomy syntax (taxonomy.c).
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

#include "pipeline/match.h"
#include "pipeline/taxonomy.h"
#include "pipeline/run.h"

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

struct span1 {
	size_t pos, len;
};

static void span_cb(void *user, int id, size_t pos, size_t len)
{
	(void)id;
	struct span1 *s = user;
	s->pos = pos;
	s->len = len;
}

static void test_match_spans(void **state)
{
	(void)state;
	sp_matcher *m = sp_matcher_new();
	assert_int_equal(sp_matcher_add(m, "electric vehic*", 1), SP_OK);
	char *f = sp_match_fold("Smart electric vehicles!");
	struct span1 sp = { 0, 0 };
	sp_matcher_scan(m, f, span_cb, &sp);
	assert_int_equal(sp.pos, 6);
	assert_int_equal(sp.len, strlen("electric vehicles"));
	free(f);
	sp_matcher_free(m);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/sp_test_tax_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_taxonomy_load(void **state)
{
	(void)state;
	char *path = write_tmp("[sparker]\ndatabase = x.db\nraw_dir = raw\nreport_dir = rep\ntaxonomy = none\n"
			       "[score]\nkeyword_weight = 2\n"
			       "[taxonomy ev]\nlabel = EV\ncodes = 29.31 27.2:5\ncategories = Electric Vehicle; Battery\n"
			       "keywords = battery:3 charging station\nkeywords = borne de recharge:4\n"
			       "negative = battery farm\ncontext = car, vehicle*, ev\n");
	sp_config *cfg = NULL;
	sp_err err;
	assert_int_equal(sp_config_load(path, &sp_run_vocab, &cfg, &err), SP_OK);
	sp_taxonomy *t = NULL;
	assert_int_equal(sp_taxonomy_load(cfg, &t, &err), SP_OK);
	assert_int_equal(t->ndomains, 1);
	const sp_tax_domain *d = &t->domains[0];
	assert_string_equal(d->name, "ev");
	assert_string_equal(d->label, "EV");
	assert_int_equal(d->ncodes, 2);
	assert_true(d->codes[1].weight == 5);
	assert_int_equal(d->ncategories, 2);
	assert_int_equal(d->nkeywords, 3); /* keys accumulate */
	assert_string_equal(d->keywords[1].text, "charging station");
	assert_true(d->keywords[1].weight == 2); /* [score] keyword_weight */
	assert_int_equal(d->nnegatives, 1);
	assert_int_equal(d->ncontext, 3);
	assert_string_equal(d->context[1].text, "vehicle*");
	sp_taxonomy_free(t);
	sp_config_free(cfg);
	unlink(path);
	free(path);

	path = write_tmp("[sparker]\ndatabase = x.db\nraw_dir = raw\nreport_dir = rep\n"
			 "[taxonomy ev]\nkeywords = battery:3\nkeyword = typo\n");
	/* a misspelt key is refused when the config loads, with the key it resembles */
	assert_int_equal(sp_config_load(path, &sp_run_vocab, &cfg, &err), SP_ECONFIG);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, ":7: unknown key 'keyword' in [taxonomy ev] (did you mean 'keywords'?)"));
	unlink(path);
	free(path);

	path = write_tmp("[sparker]\ndatabase = x.db\nraw_dir = raw\nreport_dir = rep\ntaxonomy = none\n");
	assert_int_equal(sp_config_load(path, &sp_run_vocab, &cfg, &err), SP_OK); /* no job scores */
	assert_int_equal(sp_taxonomy_load(cfg, &t, &err), SP_ECONFIG);
	assert_non_null(strstr(err.msg, "no [taxonomy DOMAIN] section"));
	sp_config_free(cfg);
	unlink(path);
	free(path);

	/* a taxonomy file: its own errors are FILE:LINE of that file, refused when the config loads */
	char *tax = write_tmp("[taxonomy parts]\nkeywords = car parts:x\n");
	char text[512];
	snprintf(text, sizeof(text), "[sparker]\ndatabase = x.db\ntaxonomy = %s\n", tax);
	path = write_tmp(text);
	assert_int_equal(sp_config_load(path, &sp_run_vocab, &cfg, &err), SP_ECONFIG);
	assert_non_null(strstr(err.msg, tax));
	assert_non_null(strstr(err.msg, ":2: taxonomy parts: bad weight"));
	unlink(tax);
	free(tax);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),          cmocka_unit_test(test_word_boundaries),
		cmocka_unit_test(test_accents_and_case), cmocka_unit_test(test_phrases),
		cmocka_unit_test(test_prefix),        cmocka_unit_test(test_matcher_many),
		cmocka_unit_test(test_taxonomy_items), cmocka_unit_test(test_match_spans),
		cmocka_unit_test(test_taxonomy_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
