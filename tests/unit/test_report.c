/*
 * test_report.c — the report's helpers: continents, text cleaning, ellipsis that never overflows
 * (accented and over-long text), word wrap in tables across pages, deterministic bytes, the
 * figures' percentage format, display names and websites, the funnel's scale breaks.
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

#include "reports/charts.h"
#include "reports/display.h"
#include "reports/figures.h"
#include "reports/pdf.h"

static void test_continent(void **state)
{
	(void)state;
	assert_string_equal(sp_continent("FR"), "Europe");
	assert_string_equal(sp_continent("fr"), "Europe");
	assert_string_equal(sp_continent("BR"), "South America");
	assert_string_equal(sp_continent("US"), "North America");
	assert_string_equal(sp_continent("JP"), "Asia");
	assert_string_equal(sp_continent("NG"), "Africa");
	assert_string_equal(sp_continent("NZ"), "Oceania");
	assert_string_equal(sp_continent("ZZ"), "Unknown");
	assert_string_equal(sp_continent(NULL), "Unknown");
	assert_string_equal(sp_continent("FRA"), "Unknown");
}

static void test_clean(void **state)
{
	(void)state;
	char *s = sp_pdf_clean("Soci\xC3\xA9t\xC3\xA9\tG\xE9n\xC3\xA9rale\xC3");
	assert_string_equal(s, "Soci\xC3\xA9t\xC3\xA9 G\xEF\xBF\xBDn\xC3\xA9rale\xEF\xBF\xBD");
	free(s);
	s = sp_pdf_clean(NULL);
	assert_string_equal(s, "");
	free(s);
	s = sp_pdf_clean("\xC0\xAF"); /* overlong '/' */
	assert_string_equal(s, "\xEF\xBF\xBD\xEF\xBF\xBD");
	free(s);
}

static void test_fit(void **state)
{
	(void)state;
	sp_err err;
	sp_pdf *p;
	if (sp_pdf_new(&p, "t", "t", 0, &err) != SP_OK)
		skip();
	const char *names[] = { "Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale", "Z\xC3\xBCrich", "S\xC3\xA3o Paulo",
				"\xC5\xA0koda", "G\xC3\xB6teborg",
				"The Extraordinarily Long-Named Autonomous Vehicle Aftermarket Diagnostics Cooperative" };
	for (size_t i = 0; i < SP_ARRAY_LEN(names); i++) {
		for (float w = 4; w < 300; w += 7) {
			char *f = sp_pdf_fit(p, names[i], 9, i % 2, w);
			assert_true(sp_pdf_width(p, f, 9, i % 2) <= w + 0.01f);
			/* the cut is at a code point: the result is valid UTF-8 */
			char *c = sp_pdf_clean(f);
			assert_string_equal(c, f);
			free(c);
			free(f);
		}
	}
	char *f = sp_pdf_fit(p, "Z\xC3\xBCrich", 9, 0, 500);
	assert_string_equal(f, "Z\xC3\xBCrich");
	free(f);
	sp_pdf_free(p);
}

/* A table over several pages, a wrapped paragraph and charts; the same calls give the same bytes. */
static void render(const char *path, int rows)
{
	sp_err err;
	sp_pdf *p;
	assert_int_equal(sp_pdf_new(&p, "T\xC3\xADtulo", "header", 1767225600, &err), SP_OK);
	sp_pdf_page(p);
	sp_pdf_heading(p, "G\xC3\xB6teborg", 1, 50);
	sp_pdf_para(p, SP_PDF_MARGIN, SP_PDF_CONTENT_W,
		    "A paragraph long enough to wrap several times: Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale, Z\xC3\xBCrich, "
		    "S\xC3\xA3o Paulo, \xC5\xA0koda, G\xC3\xB6teborg, and a word longer than the line "
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ.",
		    10, 0);
	const int64_t v[] = { 1000, 500, 300, 30, 3, 1, 0 };
	const char *lab[] = { "a", "b", "c", "d", "e", "f", "g" };
	sp_chart_funnel(p, lab, v, 7, "no data");
	const int64_t z[12] = { 0 };
	sp_chart_months(p, z, z, "a", "b", "no data at all");
	const sp_pdf_col cols[] = { { "#", 40, SP_ALIGN_RIGHT, 0 }, { "Name", 120, SP_ALIGN_LEFT, 2 },
				    { "Reason", 200, SP_ALIGN_LEFT, 2 } };
	sp_pdf_table_begin(p, cols, 3, 8);
	for (int i = 0; i < rows; i++) {
		char n[16];
		snprintf(n, sizeof(n), "%d", i);
		const char *r[] = { n, "Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale de Mobilit\xC3\xA9 et d'Innovation Automobile",
				    "keyword fast charging, category Electric Vehicles, code 27.20 from the registry" };
		sp_pdf_table_row(p, r);
	}
	sp_pdf_table_end(p);
	assert_true(sp_pdf_npages(p) > 2);
	assert_int_equal(sp_pdf_save(p, path, &err), SP_OK);
	sp_pdf_free(p);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long l = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)l + 1);
	assert_int_equal(fread(b, 1, (size_t)l, f), (size_t)l);
	fclose(f);
	*n = (size_t)l;
	return b;
}

static void test_pdf_deterministic(void **state)
{
	(void)state;
	if (access(SP_PDF_FONT_DIR "/DejaVuSans.ttf", R_OK) != 0)
		skip();
	char a[64], b[64];
	snprintf(a, sizeof(a), "/tmp/sp-report-%ld-a.pdf", (long)getpid());
	snprintf(b, sizeof(b), "/tmp/sp-report-%ld-b.pdf", (long)getpid());
	render(a, 150);
	render(b, 150);
	size_t na, nb;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(x, y, na);
	assert_memory_equal(x, "%PDF-", 5);
	assert_non_null(memmem(x, na, "D:20260101000000Z", 17)); /* the info date from the epoch given */
	free(x);
	free(y);
	unlink(a);
	unlink(b);
}

static void test_pct(void **state)
{
	(void)state;
	char b[32];
	sp_fig_pct(1, 8, b, sizeof(b));
	assert_string_equal(b, "12.5 %");
	sp_fig_pct(1, 2500, b, sizeof(b));
	assert_string_equal(b, "0.04 %");
	sp_fig_pct(0, 5, b, sizeof(b));
	assert_string_equal(b, "0.0 %");
	sp_fig_pct(1, 0, b, sizeof(b));
	assert_string_equal(b, "\xE2\x80\x93");
}

static void name_is(const char *raw, const char *want)
{
	char *got = sp_display_name(raw);
	assert_string_equal(got, want);
	free(got);
}

static void site_is(const char *raw, const char *want)
{
	char *got = sp_display_website(raw);
	assert_string_equal(got, want);
	free(got);
}

static void test_display(void **state)
{
	(void)state;
	name_is("TANEX TECHNOLOGIES LTD", "Tanex Technologies Ltd");
	name_is("M\xC3\x96TOEK TECHNOLOGIES", "M\xC3\xB6toek Technologies");   /* MÖTOEK -> Mötoek */
	name_is("SOCIETE GENERALE DE MOBILITE SAS", "Societe Generale de Mobilite SAS");
	name_is("BMW GROUP GMBH", "BMW Group GmbH");
	name_is("DE LA RUE 3D PRINTING", "De la Rue 3D Printing");
	name_is("KARIX-ROBOTICS (UK) LLC", "Karix-Robotics (UK) LLC");
	name_is("Zephyeo Solu\xC3\xA7\xC3\xB5" "es", "Zephyeo Solu\xC3\xA7\xC3\xB5" "es"); /* mixed case: as it is */
	name_is("iPhone Repair LAB", "iPhone Repair LAB");
	name_is(NULL, "");
	site_is("https://www.domal.fr/?utm_source=feed&utm_medium=rss", "domal.fr");
	site_is("http://wateo.eu/?gclid=abc123", "wateo.eu");
	site_is("https://x.io/page?id=7&fbclid=zz&utm_campaign=y#top", "x.io/page?id=7");
	site_is("https://mobio.co/en/", "mobio.co/en");
	site_is("ionek.com", "ionek.com");
	site_is(NULL, "");
	/* the funnel's scale breaks below 1 % of the stage at full width */
	const int64_t v[] = { 9212, 5018, 1983, 189, 12, 4, 2 };
	int ref[7];
	sp_chart_funnel_refs(v, 7, ref);
	const int want[] = { 0, 0, 0, 0, 3, 3, 3 };
	for (int i = 0; i < 7; i++)
		assert_int_equal(ref[i], want[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_continent), cmocka_unit_test(test_clean), cmocka_unit_test(test_fit),
		cmocka_unit_test(test_pdf_deterministic), cmocka_unit_test(test_pct), cmocka_unit_test(test_display),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
