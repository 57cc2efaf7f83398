/*
 * test_pump.c — the parse/store pipeline (connectors/pump.c) on a synthetic connector: every row
 * is returned or counted out of scope, in the connector's order, threaded exactly as inline;
 * key/name checks and the filter are applied; an error ends the stream after the rows before it;
 * stopping early (storing failed) joins the thread without waiting for the end of the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "connectors/pump.h"

/* The synthetic connector: row i (1-based) is
 *   i % 7 == 0  out of scope (rec->in_scope = 0)
 *   i % 11 == 0 rejected by the connector ("bad row")
 *   i % 13 == 0 no key; i % 17 == 0 no name
 *   i % 19 == 0 status "dissolved" (the filter, filter.active, drops it)
 * and after n rows: SP_EOF, or the error SP_EFORMAT when fail is set. */
struct sp_parser {
	long i, n;
	int fail;
	long calls_after_end;
};

static int syn_next(sp_parser *p, sp_record *rec, sp_err *err)
{
	if (p->i >= p->n) {
		p->calls_after_end++;
		return p->fail ? sp_err_set(err, SP_EFORMAT, "broken at row %ld", p->i + 1) : SP_EOF;
	}
	long i = ++p->i;
	char b[64];
	sp_record_clear(rec);
	rec->line = i;
	if (i % 11 == 0)
		return sp_record_reject(rec, "bad row", "x", 1);
	snprintf(b, sizeof(b), "K%ld", i);
	if (i % 13)
		sp_record_sets(rec, SP_F_KEY, b);
	snprintf(b, sizeof(b), "Name %ld", i);
	if (i % 17)
		sp_record_sets(rec, SP_F_NAME, b);
	sp_record_sets(rec, SP_F_STATUS, i % 19 ? "Active" : "Dissolved");
	rec->in_scope = i % 7 != 0;
	return SP_OK;
}

static const sp_connector syn = { "synthetic", NULL, syn_next, NULL, NULL, NULL, NULL };

/* What the parse stage expects for row i: 'S' store, 'R' reject, 'O' out of scope. */
static char expect(long i)
{
	if (i % 11 == 0 || i % 13 == 0 || i % 17 == 0)
		return 'R'; /* rejects first: a row without a key is rejected even when out of scope */
	if (i % 7 == 0 || i % 19 == 0)
		return 'O';
	return 'S';
}

/* Drain a pump over n rows; returns the final code and checks every row. */
static int drain(long n, int fail, int threaded, long *out_of_scope)
{
	sp_parser p = { 0, n, fail, 0 };
	sp_filter flt = { .active = 1 };
	sp_pump *pm = NULL;
	sp_err err = { 0 };
	assert_int_equal(sp_pump_start(&pm, &syn, &p, &flt, threaded, &err), SP_OK);
	long want = 1;
	int64_t oos = 0;
	int rc;
	sp_record *r;
	while ((rc = sp_pump_next(pm, &r, &oos, &err)) == SP_OK || rc == SP_REJECT) {
		while (expect(want) == 'O')
			want++;
		assert_int_equal(r->line, want); /* in order, nothing lost */
		assert_int_equal(rc == SP_REJECT ? 'R' : 'S', expect(want));
		if (rc == SP_REJECT && want % 11)
			assert_string_equal(r->reject_reason.buf, want % 13 == 0 ? "missing key" : "missing name");
		want++;
	}
	while (want <= n && expect(want) == 'O')
		want++;
	assert_int_equal(want, n + 1);
	long o = 0;
	for (long i = 1; i <= n; i++)
		o += expect(i) == 'O';
	assert_int_equal(oos, o);
	if (fail) {
		char want_msg[64];
		snprintf(want_msg, sizeof(want_msg), "broken at row %ld", n + 1);
		assert_string_equal(err.msg, want_msg);
	}
	/* the end is sticky */
	int64_t more = 0;
	assert_int_equal(sp_pump_next(pm, &r, &more, &err), rc);
	assert_int_equal(more, 0);
	sp_pump_stop(pm);
	assert_int_equal(p.calls_after_end, 1); /* the connector is not asked past its end */
	*out_of_scope = (long)oos;
	return rc;
}

static void test_every_row_in_order(void **state)
{
	static const long sizes[] = { 0, 1, 255, 256, 257, 768, 769, 10000 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		long a, b;
		assert_int_equal(drain(sizes[k], 0, 1, &a), SP_EOF);
		assert_int_equal(drain(sizes[k], 0, 0, &b), SP_EOF);
		assert_int_equal(a, b);
	}
}

static void test_error_after_rows(void **state)
{
	long oos;
	sp_err err = { 0 };
	for (int threaded = 0; threaded < 2; threaded++) {
		assert_int_equal(drain(1000, 1, threaded, &oos), SP_EFORMAT);
		sp_parser p = { 0, 300, 1, 0 };
		sp_filter flt = { 0 };
		sp_pump *pm = NULL;
		sp_pump_start(&pm, &syn, &p, &flt, threaded, &err);
		sp_record *r;
		int64_t o = 0;
		int rc;
		while ((rc = sp_pump_next(pm, &r, &o, &err)) >= 0 && rc != SP_EOF)
			;
		assert_int_equal(rc, SP_EFORMAT);
		assert_string_equal(err.msg, "broken at row 301");
		sp_pump_stop(pm);
	}
}

/* The store fails after a few rows: stop at once, the producer is joined, nothing leaks (ASan). */
static void test_stop_early(void **state)
{
	for (int threaded = 0; threaded < 2; threaded++) {
		for (int after = 0; after < 3; after++) {
			sp_parser p = { 0, 1000000, 0, 0 };
			sp_filter flt = { 0 };
			sp_pump *pm = NULL;
			sp_err err = { 0 };
			sp_pump_start(&pm, &syn, &p, &flt, threaded, &err);
			sp_record *r;
			int64_t o = 0;
			for (int i = 0; i < after * 100; i++)
				assert_true(sp_pump_next(pm, &r, &o, &err) >= 0);
			sp_pump_stop(pm);
			assert_true(p.i < p.n); /* it did not read the whole "file" */
		}
	}
	sp_pump_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_in_order),
		cmocka_unit_test(test_error_after_rows),
		cmocka_unit_test(test_stop_early),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
