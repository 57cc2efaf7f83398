/*
 * test_audit.c — the audit's math (pipeline/audit.c): Wilson's interval against published
 * values, the stratified count against a hand computation, the recall's pairing of ends, the
 * allocation (proportional with a minimum) and the sampler (uniform, reproducible, without
 * replacement).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/audit.h"

#define NEAR(a, b, eps) assert_true(fabs((a) - (b)) < (eps))

static void test_wilson_known(void **state)
{
	(void)state;
	double lo, hi;
	sp_audit_wilson(8, 10, SP_AUDIT_Z, &lo, &hi); /* 8/10: 0.4902 .. 0.9433 */
	NEAR(lo, 0.490162, 1e-5);
	NEAR(hi, 0.943318, 1e-5);
	sp_audit_wilson(0, 30, SP_AUDIT_Z, &lo, &hi); /* 0/30: upper z^2 / (n + z^2) */
	assert_true(lo == 0);
	NEAR(hi, 0.113513, 1e-5);
	sp_audit_wilson(30, 30, SP_AUDIT_Z, &lo, &hi);
	NEAR(lo, 0.886487, 1e-5);
	assert_true(hi == 1);
	sp_audit_wilson(0, 0, SP_AUDIT_Z, &lo, &hi); /* nothing known */
	assert_true(lo == 0 && hi == 1);
	sp_audit_wilson(1, 2, 0, &lo, &hi); /* z = 0: the point */
	NEAR(lo, 0.5, 1e-12);
	NEAR(hi, 0.5, 1e-12);
}

/* One stratum of an infinite population is Wilson on its own; a fully labelled one is exact. */
static void test_count_single(void **state)
{
	(void)state;
	sp_audit_stratum s = { .size = 1000000000, .labelled = 10, .yes = 8 };
	sp_audit_count c;
	sp_audit_count_strata(&s, 1, SP_AUDIT_Z, &c);
	NEAR(c.p, 0.8, 1e-9);
	NEAR(c.p_lo, 0.490162, 1e-5);
	NEAR(c.p_hi, 0.943318, 1e-5);
	assert_int_equal(c.complete, 1);
	sp_audit_stratum all = { .size = 40, .labelled = 40, .yes = 12 };
	sp_audit_count_strata(&all, 1, SP_AUDIT_Z, &c);
	assert_true(isinf(c.n_eff));
	NEAR(c.est, 12, 1e-9);
	NEAR(c.lo, 12, 1e-9);
	NEAR(c.hi, 12, 1e-9);
}

/*
 * Three strata, by hand (python): N = 900, 80, 20; n = 30, 10, 10; x = 0, 2, 5.
 * p = .9*0 + .08*.2 + .02*.5 = 0.026 -> 26 of 1000; n_eff = 1 / sum w^2 (N-n)/(N-1) / n = 37.429;
 * Wilson(0.026 * n_eff, n_eff) = [0.004517, 0.135723] -> [4.517, 135.723]; the low end is raised
 * to the 7 yes labels seen.
 */
static void test_count_stratified(void **state)
{
	(void)state;
	sp_audit_stratum s[] = { { 900, 30, 0 }, { 80, 10, 2 }, { 20, 10, 5 } };
	sp_audit_count c;
	sp_audit_count_strata(s, 3, SP_AUDIT_Z, &c);
	NEAR(c.est, 26, 1e-9);
	NEAR(c.n_eff, 37.4291, 1e-3);
	NEAR(c.hi, 135.7226, 1e-3);
	NEAR(c.lo, 7, 1e-9);
	assert_int_equal(c.yes, 7);
	assert_int_equal(c.labelled, 50);
	assert_int_equal(c.size, 1000);
	/* a stratum with no label: nothing to the estimate, all of it to the upper end */
	sp_audit_stratum u[] = { { 900, 30, 0 }, { 80, 10, 2 }, { 20, 10, 5 }, { 50, 0, 0 } };
	sp_audit_count_strata(u, 4, SP_AUDIT_Z, &c);
	assert_int_equal(c.complete, 0);
	assert_int_equal(c.unknown, 50);
	NEAR(c.est, 26, 1e-9);
	NEAR(c.hi, 185.7226, 1e-3);
	/* the upper end never exceeds the population minus the no labels seen */
	sp_audit_stratum small[] = { { 3, 2, 2 } };
	sp_audit_count_strata(small, 1, SP_AUDIT_Z, &c);
	assert_true(c.hi <= 3 + 1e-9 && c.lo >= 2 - 1e-9);
}

static void test_recall(void **state)
{
	(void)state;
	sp_audit_count f = { .est = 90, .lo = 80, .hi = 95 }, m = { .est = 10, .lo = 5, .hi = 20 };
	double r, lo, hi;
	sp_audit_recall(&f, &m, &r, &lo, &hi);
	NEAR(r, 0.9, 1e-12);
	NEAR(lo, 0.8, 1e-12);      /* 80 / (80 + 20) */
	NEAR(hi, 95.0 / 100, 1e-12); /* 95 / (95 + 5) */
	sp_audit_count z = { 0 };
	sp_audit_recall(&z, &z, &r, &lo, &hi);
	assert_true(isnan(r));
}

static void test_allocate(void **state)
{
	(void)state;
	int64_t size[] = { 3000, 200, 50, 1 };
	const char *names[] = { "zero/none", "low/a", "near/a", "near/b" };
	int64_t a[4];
	sp_err err;
	assert_int_equal(sp_audit_allocate(size, names, 4, 100, 2, a, &err), SP_OK);
	assert_int_equal(a[0] + a[1] + a[2] + a[3], 100);
	assert_int_equal(a[3], 1); /* never above the stratum */
	assert_true(a[2] >= 2);
	assert_true(a[0] >= 90 && a[0] <= 93); /* ~ 3000/3251 of 100 */
	assert_true(a[1] >= 5 && a[1] <= 7);
	/* too small: the message gives the minimum */
	assert_int_equal(sp_audit_allocate(size, names, 4, 5, 2, a, &err), SP_EUSAGE);
	assert_non_null(strstr(err.msg, "at least 7"));
	/* more than there is: everything */
	assert_int_equal(sp_audit_allocate(size, names, 4, 5000, 2, a, &err), SP_OK);
	assert_true(a[0] == 3000 && a[1] == 200 && a[2] == 50 && a[3] == 1);
}

static void test_pick(void **state)
{
	(void)state;
	/* reproducible; without replacement; every element equally likely (chi-square, loose) */
	int64_t v[10], w[10];
	int count[10] = { 0 };
	for (int t = 0; t < 20000; t++) {
		for (int i = 0; i < 10; i++)
			v[i] = i;
		uint64_t s = (uint64_t)t * 7919;
		sp_audit_pick(v, 10, 3, &s);
		assert_true(v[0] != v[1] && v[1] != v[2] && v[0] != v[2]);
		for (int i = 0; i < 3; i++)
			count[v[i]]++;
	}
	double chi = 0;
	for (int i = 0; i < 10; i++)
		chi += (count[i] - 6000.0) * (count[i] - 6000.0) / 6000.0;
	assert_true(chi < 30); /* 9 degrees of freedom: p < 0.001 at 27.9 */
	for (int i = 0; i < 10; i++)
		v[i] = w[i] = i;
	uint64_t s1 = 42, s2 = 42;
	sp_audit_pick(v, 10, 5, &s1);
	sp_audit_pick(w, 10, 5, &s2);
	assert_memory_equal(v, w, sizeof(v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wilson_known), cmocka_unit_test(test_count_single),
		cmocka_unit_test(test_count_stratified), cmocka_unit_test(test_recall),
		cmocka_unit_test(test_allocate), cmocka_unit_test(test_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
