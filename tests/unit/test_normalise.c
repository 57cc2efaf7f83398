/*
 * test_normalise.c — the pure normalisation functions: names, countries, websites, codes (dates:
 * test_date.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/normalise.h"

static void name_is(const char *raw, const char *country, const char *display, const char *key, const char *form)
{
	sp_name n;
	sp_norm_name(raw, country, &n);
	if (strcmp(n.display, display) || strcmp(n.key, key) || (form ? !n.legal_form || strcmp(n.legal_form, form) : n.legal_form != NULL))
		fail_msg("name '%s' (%s): got display '%s' key '%s' form '%s'; want '%s' '%s' '%s'", raw,
			 country ? country : "-", n.display, n.key, n.legal_form ? n.legal_form : "(null)", display, key,
			 form ? form : "(null)");
	sp_name_release(&n);
}

static void names(void **state)
{
	(void)state;
	name_is("Voltiq Énergie SAS", "FR", "Voltiq Énergie", "voltiq energie", "sas");
	name_is("VOLTIQ ENERGIE", "FR", "VOLTIQ ENERGIE", "voltiq energie", NULL);
	name_is("SAS VOLTIQ ENERGIE", "FR", "VOLTIQ ENERGIE", "voltiq energie", "sas");
	name_is("S.A.R.L. Dupont Mobilité", "FR", "Dupont Mobilité", "dupont mobilite", "sarl");
	name_is("  Sas Voltiq", "FR", "Sas Voltiq", "sas voltiq", NULL); /* not in capitals: a word */
	name_is("SAS", "FR", "SAS", "sas", NULL);                           /* nothing would be left */
	name_is("Voltiq Energie S.A.S.", "FR", "Voltiq Energie", "voltiq energie", "sas");
	name_is("Voltiq Energie S.A.S", NULL, "Voltiq Energie", "voltiq energie", "sas");
	name_is("Acme Technologies Ltd", "GB", "Acme Technologies", "acme tech", "ltd");
	name_is("ACME TECH LIMITED", "GB", "ACME TECH", "acme tech", "limited");
	name_is("Müller & Söhne GmbH & Co. KG", "DE", "Müller & Söhne", "muller and sohne", "gmbh and co kg");
	name_is("Müller und Söhne", "DE", "Müller und Söhne", "muller and sohne", NULL);
	name_is("Dupont et Fils SARL", "FR", "Dupont et Fils", "dupont and fils", "sarl");
	name_is("Blitz UG (haftungsbeschränkt)", "DE", "Blitz", "blitz", "ug haftungsbeschrankt");
	name_is("Nordic Intl AB", "SE", "Nordic Intl", "nordic intl", "ab");
	name_is("Nordic International AB", "SE", "Nordic International", "nordic intl", "ab");
	name_is("Sakura K.K.", "JP", "Sakura", "sakura", "kk");
	name_is("Infosys Pvt. Ltd.", "IN", "Infosys", "infosys", "pvt ltd");
	name_is("2nd Story Software, Inc.", "US", "2nd Story Software", "2nd story software", "inc");
	name_is("arnie morton's of chicago", NULL, "arnie morton's of chicago", "arnie mortons of chicago", NULL);
	name_is("Limited", "GB", "Limited", "limited", NULL);          /* never empty */
	name_is("SAS", "FR", "SAS", "sas", NULL);
	name_is("Kraft AS", "FR", "Kraft AS", "kraft as", NULL);       /* AS is not French */
	name_is("Kraft AS", "NO", "Kraft", "kraft", "as");
	name_is("Ｖｏｌｔｉｑ", NULL, "Ｖｏｌｔｉｑ", "voltiq", NULL);     /* NFKC */
	name_is("The Voltiq Company", "US", "The Voltiq", "voltiq", "company");
	name_is("Voltiq Société par actions simplifiée", "FR", "Voltiq", "voltiq", "societe par actions simplifiee");
	name_is("Blitz Gesellschaft mit beschränkter Haftung", "DE", "Blitz", "blitz", "gesellschaft mit beschrankter haftung");
	name_is("Acme Limited Liability Company", "US", "Acme", "acme", "limited liability company");
	name_is("Pty Solar (Pty) Ltd", "ZA", "Pty Solar", "pty solar", "pty ltd");
	name_is("Shenzhen Volt Co., Ltd.", "CN", "Shenzhen Volt", "shenzhen volt", "co ltd");
	name_is("Volt S.A. de C.V.", "MX", "Volt", "volt", "sa de cv");
	name_is("", NULL, "", "", NULL);
}

static void country_is(const char *raw, const char *want)
{
	const char *c = sp_norm_country(raw);
	if ((want == NULL) != (c == NULL) || (want && strcmp(c, want)))
		fail_msg("country '%s': got %s want %s", raw, c ? c : "NULL", want ? want : "NULL");
}

static void countries(void **state)
{
	(void)state;
	country_is("FR", "FR");
	country_is("fra", "FR");
	country_is("France", "FR");
	country_is("Deutschland", "DE");
	country_is("DEU", "DE");
	country_is("United Kingdom", "GB");
	country_is("UK", "GB");
	country_is("England", "GB");
	country_is("USA", "US");
	country_is("United States", "US");
	country_is("España", "ES");
	country_is("espana", "ES");
	country_is("Schweiz", "CH");
	country_is("Côte d'Ivoire", "CI");
	country_is("Korea, Republic of", "KR");
	country_is("Brasil", "BR");
	country_is("日本", "JP");
	country_is("Narnia", NULL);
	country_is("", NULL);
	country_is("XX", NULL);
}

static void domain_is(const char *url, const char *want)
{
	char *d = sp_norm_domain(url);
	if ((want == NULL) != (d == NULL) || (want && strcmp(d, want)))
		fail_msg("domain '%s': got %s want %s", url, d ? d : "NULL", want ? want : "NULL");
	free(d);
}

static void domains(void **state)
{
	(void)state;
	domain_is("https://www.Voltiq.fr/en?utm=x", "voltiq.fr");
	domain_is("voltiq.fr", "voltiq.fr");
	domain_is("http://shop.voltiq.co.uk:8080/", "voltiq.co.uk");
	domain_is("www.voltiq.com.", "voltiq.com");
	domain_is("https://www.linkedin.com/company/voltiq", NULL);
	domain_is("https://voltiq.github.io", NULL);
	domain_is("https://voltiq.wixsite.com/home", NULL);
	domain_is("https://medium.com/@voltiq", NULL);
	domain_is("http://sites.google.com/view/voltiq", NULL);
	domain_is("https://voltiq.blogspot.com", NULL);
	domain_is("http://127.0.0.1/", NULL);
	domain_is("", NULL);
	domain_is("not a url", NULL);
	domain_is("mailto:info@voltiq.de", "voltiq.de");
}

static void code_is(const char *code, const char *sys, const char *want)
{
	char out[8];
	sp_norm_code(code, sys, out, sizeof(out));
	if (strcmp(out, want))
		fail_msg("code '%s': got '%s' want '%s'", code, out, want);
}

static void codes(void **state)
{
	(void)state;
	code_is("62012 - Business and domestic software development", "sic2007", "62.01");
	code_is("62.01Z", "naf2", "62.01");
	code_is("62.01", "nace2", "62.01");
	code_is("J62.01", NULL, "62.01");
	code_is("6201", NULL, "62.01");
	code_is("99999 - Dormant Company", "sic2007", "");
	code_is("62", NULL, "");
	char *c = sp_norm_codes("62012 - Software;62020 - Consultancy;62012 - Software", "sic2007");
	assert_string_equal(c, "62.01;62.02");
	free(c);
	assert_null(sp_norm_codes("", NULL));
}

static void misc(void **state)
{
	(void)state;
	assert_int_equal(sp_norm_active("Active"), 1);
	assert_int_equal(sp_norm_active("Active - Proposal to Strike off"), 1);
	assert_int_equal(sp_norm_active("Dissolved"), 0);
	assert_int_equal(sp_norm_active("closed"), 0);
	assert_int_equal(sp_norm_active("A"), 1);
	assert_int_equal(sp_norm_active("C"), 0);
	assert_int_equal(sp_norm_active("INACTIVE"), 0);
	assert_int_equal(sp_norm_active("operating"), 1);
	assert_int_equal(sp_norm_active(""), -1);
	char *k = sp_norm_regnum("1234567", "GB");
	assert_string_equal(k, "GB:01234567");
	free(k);
	k = sp_norm_regnum("SC123456", "GB");
	assert_string_equal(k, "GB:SC123456");
	free(k);
	k = sp_norm_regnum("123 456 789", "FR");
	assert_string_equal(k, "FR:123456789");
	free(k);
	k = sp_norm_regnum("12345678900012", "FR");
	assert_string_equal(k, "FR:123456789");
	free(k);
	k = sp_norm_ra_key("RA000585", "01234567");
	assert_string_equal(k, "GB:01234567");
	free(k);
	k = sp_norm_ra_key("RA000189", "123456789");
	assert_string_equal(k, "FR:123456789");
	free(k);
	assert_null(sp_norm_ra_key("RA000999", "1"));
	k = sp_norm_lei("5493001kjtiigc8y1r12");
	assert_string_equal(k, "5493001KJTIIGC8Y1R12");
	free(k);
	assert_null(sp_norm_lei("123"));
	k = sp_norm_city("München");
	assert_string_equal(k, "munich");
	free(k);
	k = sp_norm_city("LISBOA");
	assert_string_equal(k, "lisbon");
	free(k);
	k = sp_norm_city("Saint-Étienne");
	assert_string_equal(k, "saint etienne");
	free(k);
	assert_null(sp_norm_city(" "));
	assert_string_equal(sp_norm_city_country("munich"), "DE");
	assert_null(sp_norm_city_country("cambridge")); /* GB or US: says nothing */
	assert_null(sp_norm_city_country("paris"));
	const char *cc;
	k = sp_norm_location("Palo Alto, California, United States", &cc);
	assert_string_equal(k, "palo alto");
	assert_string_equal(cc, "US");
	free(k);
	k = sp_norm_location("München, Deutschland", &cc);
	assert_string_equal(k, "munich");
	assert_string_equal(cc, "DE");
	free(k);
	k = sp_norm_location("Lyon", &cc);
	assert_string_equal(k, "lyon");
	assert_null(cc);
	free(k);
	k = sp_norm_location("Springfield, Somewhere", &cc);
	assert_string_equal(k, "springfield");
	assert_null(cc);
	free(k);
	k = sp_norm_fold("  Bornes — électriques (V2G)  ");
	assert_string_equal(k, "bornes electriques v2g");
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names), cmocka_unit_test(countries),
		cmocka_unit_test(domains), cmocka_unit_test(codes), cmocka_unit_test(misc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
