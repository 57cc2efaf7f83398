/*
 * test_fetch.c — unit tests of http.c's pure parts: URL redaction and the User-Agent.
 * (The transfers themselves are tested against tests/http_server.py in tests/integration.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

static void check(const char *in, const char *want)
{
	char *got = sp_http_redact(in);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_redact_plain(void **state)
{
	(void)state;
	check("https://example.org/data/file.zip", "https://example.org/data/file.zip");
	check("http://127.0.0.1:8080/a.csv?page=2&size=10", "http://127.0.0.1:8080/a.csv?page=2&size=10");
	check("data/local.csv", "data/local.csv");
	check("file:///srv/x.csv", "file:///srv/x.csv");
	assert_null(sp_http_redact(NULL));
}

static void test_redact_userinfo(void **state)
{
	(void)state;
	check("https://user:pa55@example.org/x", "https://***@example.org/x");
	check("https://user:p@ss@example.org/x?q=1", "https://***@example.org/x?q=1");
	check("https://token@example.org", "https://***@example.org");
	/* an @ in the path or query is not userinfo */
	check("https://example.org/a@b?mail=x@y", "https://example.org/a@b?mail=x@y");
}

static void test_redact_query(void **state)
{
	(void)state;
	check("https://api.example.org/v1?q=ai&api_key=SECRET&page=3",
	      "https://api.example.org/v1?q=ai&api_key=***&page=3");
	check("https://x.org/?access_token=abc", "https://x.org/?access_token=***");
	check("https://x.org/?Password=abc&sig=zz#frag", "https://x.org/?Password=***&sig=***#frag");
	check("https://x.org/?apikey=1&flag", "https://x.org/?apikey=***&flag");
}

static void test_user_agent(void **state)
{
	(void)state;
	const char *ua = sp_http_user_agent();
	assert_true(strncmp(ua, "sparker/", 8) == 0);
	assert_non_null(strstr(ua, "(+https://"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_plain),
		cmocka_unit_test(test_redact_userinfo),
		cmocka_unit_test(test_redact_query),
		cmocka_unit_test(test_user_agent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
