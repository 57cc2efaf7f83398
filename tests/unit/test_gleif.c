/*
 * test_gleif.c — the GLEIF LEI-CDF connector on fixtures: 2.1 (real sample, when ../shared is
 * there), 3.x with every mapped field, zip and gzip, LEI-CDF 1.0 register link, a record without
 * a name, truncated and non-XML files, XXE and billion laughs (must fail safe, fast).
 * `test_gleif --dump [-v] FILE...` runs the connector over files and prints a summary per file.
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

#define FX "tests/fixtures/xml/"

static void run_all(const char *path, all_t *a)
{
	sp_collect(&sp_connector_gleif, NULL, NULL, path, a);
}

static void check_gleif3(const char *path)
{
	all_t a;
	run_all(path, &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 3);
	assert_int_equal(a.rej, 1);
	assert_string_equal(F(&a, 0, SP_F_KEY), "969500ABCDEF12345678");
	assert_string_equal(F(&a, 0, SP_F_LEI), "969500ABCDEF12345678");
	assert_string_equal(F(&a, 0, SP_F_NAME), "Voltiq Énergie SAS");
	assert_string_equal(F(&a, 0, SP_F_OTHER_NAMES), "Voltiq SARL;VOLTIQ ENERGIE SAS");
	assert_string_equal(F(&a, 0, SP_F_CITY), "Lyon"); /* legal address, not headquarters */
	assert_string_equal(F(&a, 0, SP_F_COUNTRY), "FR");
	assert_string_equal(F(&a, 0, SP_F_POSTCODE), "69001");
	assert_string_equal(F(&a, 0, SP_F_STATUS), "ACTIVE");
	assert_string_equal(F(&a, 0, SP_F_FOUNDED), "2021-03-04T00:00:00+01:00");
	assert_string_equal(F(&a, 0, SP_F_LEGAL_FORM), "6CHY");
	assert_string_equal(F(&a, 0, SP_F_RA_ID), "RA000189");
	assert_string_equal(F(&a, 0, SP_F_RA_ENTITY_ID), "123456789");
	assert_int_equal(a.r[0].line, 1);
	/* 8888 = other: the OtherLegalForm text; no address: country from the jurisdiction */
	assert_string_equal(F(&a, 1, SP_F_LEGAL_FORM), "Private limited company");
	assert_string_equal(F(&a, 1, SP_F_COUNTRY), "GB");
	assert_string_equal(F(&a, 1, SP_F_RA_ID), "RA000585");
	assert_string_equal(F(&a, 1, SP_F_RA_ENTITY_ID), "01234567");
	/* no legal name: rejected with a reason */
	assert_string_equal(sp_buf_str(&a.r[2].reject_reason), "missing name");
	assert_int_equal(a.r[2].line, 3);
	/* LEI-CDF 1.0 style register link; "US-DE" jurisdiction -> "US" */
	assert_string_equal(F(&a, 3, SP_F_RA_ID), "RA000242");
	assert_string_equal(F(&a, 3, SP_F_RA_ENTITY_ID), "HRB 12345");
	assert_string_equal(F(&a, 3, SP_F_COUNTRY), "US");
	assert_string_equal(F(&a, 3, SP_F_LEGAL_FORM), "GMBH");
	free_all(&a);
}

static void cdf3_plain(void **state) { (void)state; check_gleif3(FX "gleif3.xml"); }
static void cdf3_gzip(void **state) { (void)state; check_gleif3(FX "gleif3.xml.gz"); }
static void cdf3_zip(void **state) { (void)state; check_gleif3(FX "gleif3.zip"); }

static void cdf21_real(void **state)
{
	(void)state;
	const char *path = "../shared/data/real/gleif/20180901-gleif-concatenated-file-lei2-Top10.xml";
	if (access(path, R_OK)) {
		printf("SKIP part: %s absent\n", path);
		return;
	}
	all_t a;
	run_all(path, &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 10);
	assert_string_equal(F(&a, 0, SP_F_KEY), "029200013A5N6ZD0F605");
	assert_string_equal(F(&a, 0, SP_F_NAME), "AFRINVEST SECURITIES LIMITED");
	assert_string_equal(F(&a, 0, SP_F_CITY), "LAGOS");
	assert_string_equal(F(&a, 0, SP_F_COUNTRY), "NG");
	assert_string_equal(F(&a, 0, SP_F_RA_ID), "RA000469");
	assert_string_equal(F(&a, 0, SP_F_RA_ENTITY_ID), "RC603315");
	free_all(&a);
}

static void broken_files(void **state)
{
	(void)state;
	all_t a;
	/* truncated snapshot: an error (a snapshot must not be half-applied), first record stands */
	run_all(FX "gleif_truncated.xml", &a);
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_int_equal(a.ok, 1);
	assert_non_null(strstr(a.err.msg, "not well-formed"));
	free_all(&a);
	run_all(FX "notxml.xml", &a);
	assert_int_equal(a.rc, SP_EFORMAT);
	free_all(&a);
	/* XML, but not LEI-CDF */
	run_all(FX "atom.xml", &a);
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_non_null(strstr(a.err.msg, "LEIRecord"));
	free_all(&a);
	/* missing file */
	run_all(FX "does-not-exist.xml", &a);
	assert_true(a.rc < 0);
	free_all(&a);
}

static void hostile(void **state)
{
	(void)state;
	all_t a;
	/* XXE: the external entity is never loaded */
	run_all(FX "gleif_xxe.xml", &a);
	assert_int_equal(a.ok, 1);
	assert_null(strstr(F(&a, 0, SP_F_NAME), "root:"));
	assert_string_equal(F(&a, 0, SP_F_NAME), "Leak");
	free_all(&a);
	/* billion laughs: refused, quickly, without expanding */
	long before = sp_peak_rss_kb();
	run_all(FX "gleif_laughs.xml", &a);
	assert_int_equal(a.ok, 0);
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_true(sp_peak_rss_kb() - before < 50 * 1024);
	free_all(&a);
}

static void close_null(void **state)
{
	(void)state;
	sp_connector_gleif.close(NULL);
	assert_ptr_equal(sp_connector_find("gleif"), &sp_connector_gleif);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--dump"))
		return sp_dump_main(&sp_connector_gleif, argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cdf3_plain),   cmocka_unit_test(cdf3_gzip), cmocka_unit_test(cdf3_zip),
		cmocka_unit_test(cdf21_real),   cmocka_unit_test(broken_files), cmocka_unit_test(hostile),
		cmocka_unit_test(close_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
