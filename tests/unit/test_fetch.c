/*
 * test_fetch.c — unit tests of http.c's pure parts (URL redaction, User-Agent, Link headers,
 * escaping, where a secret may go) and of the
 * archive streams fetch relies on (a truncated gzip must be an error, not a short file).
 * (The transfers themselves are tested against tests/http_server.py in tests/integration.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>

#include "connectors/archive.h"
#include "connectors/http.h"

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

static void link_is(const char *value, const char *want)
{
	char *got = sp_http_link_rel(value, "next");
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_link_next(void **state)
{
	(void)state;
	link_is("<https://a.org/x?page=2>; rel=\"next\"", "https://a.org/x?page=2");
	link_is("<https://a.org/x?page=9>; rel=\"last\", <https://a.org/x?page=2&a=1,2>; rel=\"next\"",
		"https://a.org/x?page=2&a=1,2");
	link_is("</p3>; title=\"a, b; c\"; REL=next", "/p3");
	link_is("<https://a.org/p2>; rel=\"prev next\"", "https://a.org/p2");
	link_is("<https://a.org/p1>; rel=\"prev\"", NULL);
	link_is("<https://a.org/p1>; rel=nextpage", NULL);
	link_is("garbage", NULL);
	link_is("", NULL);
}

static void test_escape_and_secure(void **state)
{
	(void)state;
	char *e = sp_http_escape("b0s=+/ x&y~");
	assert_string_equal(e, "b0s%3D%2B%2F%20x%26y~");
	free(e);
	assert_true(sp_http_secure_for_secrets("https://auth.example.org/token"));
	assert_true(sp_http_secure_for_secrets("http://127.0.0.1:8080/token"));
	assert_true(sp_http_secure_for_secrets("http://localhost/token"));
	assert_false(sp_http_secure_for_secrets("http://auth.example.org/token"));
	assert_false(sp_http_secure_for_secrets("http://127.0.0.1.evil.org/token"));
	assert_false(sp_http_secure_for_secrets("ftp://127.0.0.1/token"));
}

/* Write n bytes of text as gzip to path, then cut the file to keep bytes (0 = whole). */
static void make_gz(const char *path, size_t n, long keep)
{
	gzFile g = gzopen(path, "wb");
	assert_non_null(g);
	char line[64];
	for (size_t i = 0; i < n / 32; i++) {
		snprintf(line, sizeof(line), "row %08zu,%08zx,abcdefghijk\n", i, i * 2654435761u);
		gzwrite(g, line, (unsigned)strlen(line));
	}
	gzclose(g);
	if (keep > 0)
		assert_int_equal(truncate(path, keep), 0);
}

static int64_t read_all(const char *path, int *rc_out)
{
	sp_err err;
	sp_err_clear(&err);
	sp_stream *s = NULL;
	assert_int_equal(sp_stream_open(path, NULL, 0, &s, &err), SP_OK);
	assert_int_equal(sp_stream_kind_of(s), SP_KIND_GZIP);
	char buf[4096];
	ssize_t r;
	int64_t total = 0;
	while ((r = sp_stream_read(s, buf, sizeof(buf), &err)) > 0)
		total += r;
	*rc_out = (int)r;
	sp_stream_close(s);
	return total;
}

static void test_gzip_truncated_is_an_error(void **state)
{
	(void)state;
	char path[] = "/tmp/sp_test_fetch_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	int rc;
	make_gz(path, 200000, 0);
	assert_true(read_all(path, &rc) >= 190000);
	assert_int_equal(rc, 0);
	make_gz(path, 200000, 3000);
	read_all(path, &rc);
	assert_int_equal(rc, SP_EFORMAT);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_plain),
		cmocka_unit_test(test_redact_userinfo),
		cmocka_unit_test(test_redact_query),
		cmocka_unit_test(test_user_agent),
		cmocka_unit_test(test_link_next),
		cmocka_unit_test(test_escape_and_secure),
		cmocka_unit_test(test_gzip_truncated_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
