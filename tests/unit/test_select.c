/*
 * test_select.c — the band selection (select.c): band, ties never split, too few relevant, pins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/select.h"

/* n items with ids 1..n and the given scores. */
static sp_sel_item *mk(int n, const double *scores)
{
	sp_sel_item *it = calloc((size_t)n, sizeof(*it));
	for (int i = 0; i < n; i++) {
		it[i].id = i + 1;
		it[i].score = scores ? scores[i] : 0;
	}
	return it;
}

static int qualified_of(const sp_sel_item *it, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (it[i].id == id)
			return it[i].qualified;
	return -1;
}

/* No two equal scores on both sides of the cut. */
static void assert_no_split(const sp_sel_item *it, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (it[i].qualified && !it[j].qualified && !it[i].pin && !it[j].pin && it[j].score > 0)
				assert_true(it[i].score > it[j].score + 1e-12);
}

static void test_band_largest_drop(void **state)
{
	(void)state;
	/* 100 entities; scores descending with a big drop after 9 (inside 8..10) */
	double s[100];
	for (int i = 0; i < 100; i++)
		s[i] = i < 9 ? 20 - i * 0.1 : (i < 40 ? 10 - i * 0.1 : 0);
	sp_sel_item *it = mk(100, s);
	sp_sel_result r;
	sp_select_cohort(it, 100, 0.08, 0.10, &r);
	assert_int_equal(r.qualified, 9);
	assert_int_equal(r.reached, 1);
	assert_int_equal(r.status, SP_SEL_OK);
	assert_int_equal(r.relevant, 40);
	assert_no_split(it, 100);
	/* rank 1 is the best score */
	for (int i = 0; i < 100; i++)
		if (it[i].id == 1)
			assert_int_equal(it[i].rank, 1);
	free(it);
}

static void test_band_bounds_many_relevant(void **state)
{
	(void)state;
	/* 1000 entities, all distinct positive scores: the share must be within 8..10 % */
	double *s = malloc(sizeof(double) * 1000);
	for (int i = 0; i < 1000; i++)
		s[i] = 1000 - i + (i % 7) * 0.01;
	sp_sel_item *it = mk(1000, s);
	sp_sel_result r;
	sp_select_cohort(it, 1000, 0.08, 0.10, &r);
	assert_true(r.qualified >= 80 && r.qualified <= 100);
	assert_int_equal(r.reached, 1);
	assert_no_split(it, 1000);
	free(it);
	free(s);
}

static void test_ties_never_split(void **state)
{
	(void)state;
	/* 100 entities: 7 at 10, then 5 at 8 (ranks 8..12 straddle 8..10), then lower */
	double s[100] = { 0 };
	for (int i = 0; i < 7; i++)
		s[i] = 10;
	for (int i = 7; i < 12; i++)
		s[i] = 8;
	for (int i = 12; i < 50; i++)
		s[i] = 3;
	sp_sel_item *it = mk(100, s);
	sp_sel_result r;
	sp_select_cohort(it, 100, 0.08, 0.10, &r);
	assert_no_split(it, 100);
	/* candidates: 7 (dist 1) or 12 (dist 2): nearest is 7 */
	assert_int_equal(r.qualified, 7);
	assert_int_equal(r.reached, 0);
	assert_int_equal(r.status, SP_SEL_TIES);
	assert_non_null(strstr(r.note, "band not reached"));
	free(it);

	/* a tie inside the band is fine: 8 at 10, 1 at 9, then 2 at 8 (cut 9 is inside) */
	double s2[100] = { 0 };
	for (int i = 0; i < 8; i++)
		s2[i] = 10;
	s2[8] = 9;
	s2[9] = 8;
	s2[10] = 8;
	for (int i = 11; i < 40; i++)
		s2[i] = 2;
	it = mk(100, s2);
	sp_select_cohort(it, 100, 0.08, 0.10, &r);
	assert_no_split(it, 100);
	assert_true(r.qualified == 8 || r.qualified == 9);
	assert_int_equal(r.reached, 1);
	free(it);
}

static void test_all_equal(void **state)
{
	(void)state;
	double s[50];
	for (int i = 0; i < 50; i++)
		s[i] = 5;
	sp_sel_item *it = mk(50, s);
	sp_sel_result r;
	sp_select_cohort(it, 50, 0.08, 0.10, &r);
	assert_no_split(it, 50);
	/* either none or all 50: none is nearest to [4, 5] */
	assert_int_equal(r.qualified, 0);
	assert_int_equal(r.reached, 0);
	free(it);
}

static void test_too_few_relevant(void **state)
{
	(void)state;
	double s[200] = { 0 };
	s[3] = 7;
	s[10] = 4;
	s[150] = 4;
	sp_sel_item *it = mk(200, s);
	sp_sel_result r;
	sp_select_cohort(it, 200, 0.08, 0.10, &r);
	assert_int_equal(r.qualified, 3);
	assert_int_equal(r.reached, 0);
	assert_int_equal(r.status, SP_SEL_TOO_FEW);
	assert_int_equal(qualified_of(it, 200, 4), 1);
	assert_int_equal(qualified_of(it, 200, 11), 1);
	assert_int_equal(qualified_of(it, 200, 151), 1);
	assert_int_equal(qualified_of(it, 200, 1), 0);
	free(it);
}

static void test_pins(void **state)
{
	(void)state;
	double s[100];
	for (int i = 0; i < 100; i++)
		s[i] = 100 - i; /* all relevant, distinct */
	sp_sel_item *it = mk(100, s);
	it[0].pin = -1;  /* best one pinned out */
	it[99].pin = 1;  /* worst one pinned in */
	it[98].pin = 1;
	sp_sel_result r;
	sp_select_cohort(it, 100, 0.08, 0.10, &r);
	assert_int_equal(qualified_of(it, 100, 1), 0);
	assert_int_equal(qualified_of(it, 100, 100), 1);
	assert_int_equal(qualified_of(it, 100, 99), 1);
	assert_int_equal(r.pinned_in, 2);
	assert_int_equal(r.pinned_out, 1);
	assert_true(r.qualified >= 8 && r.qualified <= 10); /* pinned-in count in the share */
	int ranked = 0;
	for (int i = 0; i < 100; i++)
		ranked += it[i].qualified && !it[i].pin;
	assert_int_equal(ranked, r.qualified - 2);
	free(it);

	/* pinned in with score 0 (no evidence) still qualifies */
	double z[10] = { 0 };
	it = mk(10, z);
	it[5].pin = 1;
	sp_select_cohort(it, 10, 0.08, 0.10, &r);
	assert_int_equal(r.qualified, 1);
	assert_int_equal(qualified_of(it, 10, 6), 1);
	free(it);
}

static void test_empty_and_small(void **state)
{
	(void)state;
	sp_sel_result r;
	sp_select_cohort(NULL, 0, 0.08, 0.10, &r);
	assert_int_equal(r.qualified, 0);
	double s[5] = { 9, 8, 7, 0, 0 };
	sp_sel_item *it = mk(5, s);
	sp_select_cohort(it, 5, 0.08, 0.10, &r);
	/* band [0.4, 0.5] holds no whole number: nearest is 0 */
	assert_int_equal(r.qualified, 0);
	assert_int_equal(r.reached, 0);
	free(it);
	double t[10] = { 9, 8, 7, 0, 0, 0, 0, 0, 0, 0 };
	it = mk(10, t);
	sp_select_cohort(it, 10, 0.08, 0.10, &r);
	assert_int_equal(r.qualified, 1);
	assert_int_equal(r.reached, 1);
	assert_int_equal(qualified_of(it, 10, 1), 1);
	free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_band_largest_drop), cmocka_unit_test(test_band_bounds_many_relevant),
		cmocka_unit_test(test_ties_never_split),  cmocka_unit_test(test_all_equal),
		cmocka_unit_test(test_too_few_relevant),  cmocka_unit_test(test_pins),
		cmocka_unit_test(test_empty_and_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
