/*
 * test_edition.c — report inputs to JSON and back (reports/edition_json.c): every kind of field
 * comes back with the same value (integers, reals to the last bit, NaN and infinity, strings,
 * NULL strings, fixed char arrays, embedded structs and arrays, arrays of structs), and the JSON
 * of what was read back is the JSON that was written.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reports/edition.h"

static void fill(sp_report_inputs *in)
{
	memset(in, 0, sizeof(*in));
	sp_figures *f = &in->f;
	in->epoch = 1767225600;
	f->year = 2025;
	f->programme = strdup("Prog \"quoted\" \xC3\xA9");
	f->config_sha256 = strdup("abc");
	f->version = strdup("0.1.0");
	f->cur.pulled = 9212, f->cur.known = -3, f->cur.dec_invested = 2;
	f->hist[3] = f->cur;
	f->cross[1].days_median = 0.1 + 0.2; /* not exactly 0.3 */
	f->band_min = 0.08, f->band_max = 1.0 / 3;
	snprintf(f->first_load, sizeof(f->first_load), "2025-01-15");
	f->month_int[12] = 77;
	f->ndomains = 2;
	f->domains = calloc(2, sizeof(*f->domains));
	f->domains[0] = (sp_fig_count){ strdup("mobility"), strdup("Mobility & fleets"), 10, 3 };
	f->domains[1] = (sp_fig_count){ strdup("(no domain)"), NULL, 5, 0 };
	f->nqual = 1;
	f->qual = calloc(1, sizeof(*f->qual));
	f->qual[0] = (sp_fig_qual){ .id = 543, .name = strdup("Mobio"), .website = NULL, .score = 41.123456789012345 };
	f->run_ids = strdup("1-3"), f->config_hashes = strdup("");
	f->restate.edition = 1, f->restate.run = 1, f->restate.changed = 1;
	f->restate.nmoved = 1;
	f->restate.moved = calloc(1, sizeof(*f->restate.moved));
	f->restate.moved[0] = (sp_fig_moved){ 3396, strdup("Voltbay"), 1 };
	f->restate.runs = strdup("3 (2025-06-30)");
	in->audited = 1;
	in->audit.year = 2025, in->audit.precision = 0.9, in->audit.recall = NAN, in->audit.found.n_eff = INFINITY;
	snprintf(in->audit.created, sizeof(in->audit.created), "2026-01-01T00:00:00Z");
}

static void test_round_trip(void **state)
{
	(void)state;
	sp_report_inputs in, back;
	sp_err err;
	fill(&in);
	char *j1 = sp_inputs_to_json(&in);
	assert_non_null(j1);
	assert_int_equal(sp_inputs_from_json(j1, &back, &err), SP_OK);
	char *j2 = sp_inputs_to_json(&back);
	assert_string_equal(j1, j2);
	assert_int_equal(back.epoch, in.epoch);
	assert_string_equal(back.f.programme, in.f.programme);
	assert_true(back.f.cross[1].days_median == in.f.cross[1].days_median);
	assert_true(back.f.band_max == in.f.band_max);
	assert_true(back.f.qual[0].score == in.f.qual[0].score);
	assert_null(back.f.qual[0].website);
	assert_null(back.f.domains[1].label);
	assert_string_equal(back.f.domains[0].label, "Mobility & fleets");
	assert_int_equal(back.f.cur.known, -3);
	assert_int_equal(back.f.hist[3].pulled, 9212);
	assert_int_equal(back.f.month_int[12], 77);
	assert_string_equal(back.f.first_load, "2025-01-15");
	assert_int_equal(back.f.restate.nmoved, 1);
	assert_string_equal(back.f.restate.moved[0].name, "Voltbay");
	assert_true(back.audited);
	assert_true(isnan(back.audit.recall));
	assert_true(isinf(back.audit.found.n_eff));
	free(j1), free(j2);
	sp_inputs_release(&in);
	sp_inputs_release(&back);
}

static void test_bad_json(void **state)
{
	(void)state;
	sp_report_inputs back;
	sp_err err;
	assert_int_equal(sp_inputs_from_json("{\"format\":", &back, &err), SP_EFORMAT);
	assert_int_equal(sp_inputs_from_json("{\"format\":2}", &back, &err), SP_EFORMAT);
	assert_int_equal(sp_inputs_from_json("{\"format\":1,\"figures\":{\"domains\":[3]}}", &back, &err), SP_EFORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_round_trip), cmocka_unit_test(test_bad_json) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
