/*
 * test_csv_reader.c — csv_reader: quoting, line ends, BOM, embedded newlines, limits, encodings
 * (given, and detected: Windows-1252 and Mac Roman names each alone in a file),
 * the two-range parse of a big file (same rows, lines and rejects as one range), and the fast
 * tokenizer against libcsv (the same rows in the same order for every read size).
 */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "connectors/csv_reader.h"
#include "csv_rows.h"

static char tmpl[] = "/tmp/sp_csv_test_XXXXXX";
static char path[64];

static const char *write_file(const char *data, size_t n)
{
	snprintf(path, sizeof(path), "%s", tmpl);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static int g_no_thread; /* the whole group runs twice: background producer, then inline */

static sp_csv *open_str(const char *data, size_t n, const sp_csv_opts *o)
{
	sp_err err = { 0 };
	sp_csv *c = NULL;
	sp_csv_opts oo = { 0 };
	if (o)
		oo = *o;
	oo.no_thread = g_no_thread;
	assert_int_equal(sp_csv_open(write_file(data, n), &oo, &c, &err), SP_OK);
	unlink(path);
	return c;
}

#define OPEN(s) open_str(s, sizeof(s) - 1, NULL)

static void expect_row(sp_csv *c, int rc_want, long line, int n, ...)
{
	sp_err err = { 0 };
	sp_csv_row *r;
	int rc = sp_csv_next(c, &r, &err);
	assert_int_equal(rc, rc_want);
	assert_int_equal(r->line, line);
	assert_int_equal(r->n, n);
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *want = va_arg(ap, const char *);
		if (want)
			assert_string_equal(r->f[i], want);
	}
	va_end(ap);
}

static void expect_eof(sp_csv *c)
{
	sp_err err = { 0 };
	sp_csv_row *r;
	assert_int_equal(sp_csv_next(c, &r, &err), SP_EOF);
	sp_csv_close(c);
}

static void test_quotes(void **state)
{
	sp_csv *c = OPEN("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",  z  \n\"multi\nline\",2,3\nlast,,\n");
	expect_row(c, SP_OK, 1, 3, "a", "b", "c");
	expect_row(c, SP_OK, 2, 3, "x, y", "say \"hi\"", "z");
	expect_row(c, SP_OK, 3, 3, "multi\nline", "2", "3");
	expect_row(c, SP_OK, 5, 3, "last", "", "");
	expect_eof(c);
}

static void test_line_ends(void **state)
{
	sp_csv *c = OPEN("h1,h2\r\na,b\r\n\r\nc,d\r\n");
	expect_row(c, SP_OK, 1, 2, "h1", "h2");
	expect_row(c, SP_OK, 2, 2, "a", "b");
	expect_row(c, SP_OK, 4, 2, "c", "d");
	expect_eof(c);
	c = OPEN("h1,h2\ra,b\r\rc,d"); /* classic Mac, no final line end */
	expect_row(c, SP_OK, 1, 2, "h1", "h2");
	expect_row(c, SP_OK, 2, 2, "a", "b");
	expect_row(c, SP_OK, 4, 2, "c", "d");
	expect_eof(c);
	c = OPEN("h\n\"a\r\nb\"\nc\n"); /* CRLF inside a quoted field counts once */
	expect_row(c, SP_OK, 1, 1, "h");
	expect_row(c, SP_OK, 2, 1, "a\r\nb");
	expect_row(c, SP_OK, 4, 1, "c");
	expect_eof(c);
}

static void test_bom(void **state)
{
	sp_csv *c = OPEN("\xEF\xBB\xBFname,key\nx,1\n");
	expect_row(c, SP_OK, 1, 2, "name", "key");
	expect_row(c, SP_OK, 2, 2, "x", "1");
	expect_eof(c);
}

static void test_huge_field(void **state)
{
	size_t big = 300000;
	char *s = malloc(big + 100);
	strcpy(s, "a,b\n1,\"");
	size_t n = strlen(s);
	memset(s + n, 'x', big);
	n += big;
	memcpy(s + n, "\"\n2,ok\n", 7);
	n += 7;
	sp_csv_opts o = { .max_field = 100000 };
	sp_csv *c = open_str(s, n, &o);
	free(s);
	expect_row(c, SP_OK, 1, 2, "a", "b");
	sp_err err = { 0 };
	sp_csv_row *r;
	assert_int_equal(sp_csv_next(c, &r, &err), SP_REJECT);
	assert_string_equal(r->reject, "field too large");
	assert_int_equal(r->line, 2);
	expect_row(c, SP_OK, 3, 2, "2", "ok");
	expect_eof(c);
}

static void test_unterminated_quote_bounded(void **state)
{
	/* an opening quote never closed: the rest of the file would be one field */
	size_t big = 3 * 1024 * 1024;
	char *s = malloc(big + 100);
	strcpy(s, "a,b\n1,\"never closed\n");
	size_t n = strlen(s);
	for (size_t i = 0; i < big; i++)
		s[n++] = (i % 50 == 49) ? '\n' : 'y';
	sp_csv_opts o = { .max_field = 64 * 1024 };
	sp_csv *c = open_str(s, n, &o);
	free(s);
	expect_row(c, SP_OK, 1, 2, "a", "b");
	sp_err err = { 0 };
	sp_csv_row *r;
	assert_int_equal(sp_csv_next(c, &r, &err), SP_REJECT);
	assert_string_equal(r->reject, "field too large");
	assert_int_equal(r->line, 2);
	int rc;
	long rows = 0;
	while ((rc = sp_csv_next(c, &r, &err)) == SP_OK || rc == SP_REJECT)
		rows++;
	assert_int_equal(rc, SP_EOF);
	assert_true(rows > 0);
	sp_csv_close(c);
}

static void test_too_many_columns(void **state)
{
	sp_csv_opts o = { .max_cols = 3 };
	const char s[] = "a,b,c\n1,2,3,4,5\nx,y,z\n";
	sp_csv *c = open_str(s, sizeof(s) - 1, &o);
	expect_row(c, SP_OK, 1, 3, "a", "b", "c");
	expect_row(c, SP_REJECT, 2, 3, "1", "2", "3");
	expect_row(c, SP_OK, 3, 3, "x", "y", "z");
	expect_eof(c);
}

static void test_invalid_utf8(void **state)
{
	sp_csv *c = OPEN("a,b\nok,caf\xC3\xA9\nbad,caf\xE9\n\xF0\x9F\x9A\x80,\xED\xA0\x80\n");
	expect_row(c, SP_OK, 1, 2, "a", "b");
	expect_row(c, SP_OK, 2, 2, "ok", "caf\xC3\xA9");
	sp_err err = { 0 };
	sp_csv_row *r;
	assert_int_equal(sp_csv_next(c, &r, &err), SP_REJECT);
	assert_string_equal(r->reject, "invalid UTF-8");
	assert_int_equal(r->line, 3);
	sp_buf ex = SP_BUF_INIT;
	sp_csv_excerpt(r, ',', &ex, 200);
	assert_string_equal(ex.buf, "bad,caf?");
	sp_buf_release(&ex);
	assert_int_equal(sp_csv_next(c, &r, &err), SP_REJECT); /* a surrogate */
	expect_eof(c);
}

static void test_latin1(void **state)
{
	sp_csv_opts o = { .encoding = "LATIN1" };
	const char s[] = "name\nSoci\xE9t\xE9 G\xE9n\xE9rale\n";
	sp_csv *c = open_str(s, sizeof(s) - 1, &o);
	expect_row(c, SP_OK, 1, 1, "name");
	expect_row(c, SP_OK, 2, 1, "Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale");
	expect_eof(c);
	o.encoding = "WINDOWS-1252";
	const char w[] = "x\n\x80 5\x81\n";
	c = open_str(w, sizeof(w) - 1, &o);
	expect_row(c, SP_OK, 1, 1, "x");
	expect_row(c, SP_OK, 2, 1, "\xE2\x82\xAC 5\xEF\xBF\xBD"); /* euro; 0x81 undefined -> U+FFFD */
	expect_eof(c);
	o.encoding = "MACINTOSH";
	const char m[] = "x\rQualtr\x8E\r";
	c = open_str(m, sizeof(m) - 1, &o);
	expect_row(c, SP_OK, 1, 1, "x");
	expect_row(c, SP_OK, 2, 1, "Qualtr\xC3\xA9");
	expect_eof(c);
	sp_err err = { 0 };
	o.encoding = "NO-SUCH-ENCODING";
	assert_int_equal(sp_csv_open("/dev/null", &o, &c, &err), SP_ECONFIG);
}

/* Company names as real exports spell them (UTF-8 here; each test writes them in a code page). */
static const char *const NAMES[] = {
	"Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale", "M\xC3\xBCller Pr\xC3\xA4zision GmbH", "Cr\xC3\xA8me Br\xC3\xBBl\xC3\xA9" "e SAS",
	"L\xE2\x80\x99Or\xC3\xA9" "al Tech", "\xC3\x85ngstr\xC3\xB6m Labs AB", "S\xC3\xA3o Paulo Motors", "Z\xC3\xBCrich Fintech AG",
	"Nestl\xC3\xA9 Robotics", "Pe\xC3\xB1" "a Energ\xC3\xAD" "a SL", "Bj\xC3\xB6rk Str\xC3\xB6m AB", "G\xC3\xB6teborg Charging",
	"Fran\xC3\xA7" "ais Mobilit\xC3\xA9", "\xC3\x89lectricit\xC3\xA9 Verte", "\xC3\x98resund Batteri ApS", "Caf\xC3\xA9 M\xC3\xBCller",
	"Stra\xC3\x9F" "e der Zukunft GmbH", "A\xC3\xA7ores Renov\xC3\xA1veis", "Citt\xC3\xA0 Elettrica", "K\xC3\xBChne Logistik",
	"B\xC3\xA4" "ckerei Sch\xC3\xB6n", "Se\xC3\xB1or Fr\xC3\xAD" "o", "H\xC3\xB4tel Dieu Tech", "\xC3\x86r\xC3\xB8 Energi",
	"Fran\xC3\xA7ois & Fils", "\xE2\x80\x9CQuoted\xE2\x80\x9D Startup", "Ni\xC3\xB1o Rob\xC3\xB3tica", "Ch\xC3\xA2teau Donn\xC3\xA9" "es",
	"Ma\xC3\xB1" "ana Labs",
};

/* s (UTF-8) in the code page to (an iconv name); 0 when it has no such spelling. */
static size_t to_page(const char *to, const char *s, char *out, size_t cap)
{
	iconv_t cd = iconv_open(to, "UTF-8");
	assert_true(cd != (iconv_t)-1);
	char *in = (char *)s, *o = out;
	size_t il = strlen(s), ol = cap;
	size_t r = iconv(cd, &in, &il, &o, &ol);
	iconv_close(cd);
	return r == (size_t)-1 ? 0 : (size_t)(o - out);
}

/* Without `encoding`, a file in Windows-1252 or Mac Roman is read as such, with one note, even
 * when it holds a single name; forced to UTF-8, its rows are rejected. */
static void test_detect_encoding(void **state)
{
	static const char *const pages[][2] = { { "WINDOWS-1252", "windows-1252" }, { "MACINTOSH", "mac-roman" } };
	for (int p = 0; p < 2; p++) {
		for (size_t k = 0; k < sizeof(NAMES) / sizeof(*NAMES); k++) {
			char buf[256] = "name\n";
			size_t n = to_page(pages[p][0], NAMES[k], buf + 5, sizeof(buf) - 8);
			if (!n)
				continue; /* no spelling in this code page */
			buf[5 + n] = '\n';
			sp_csv *c = open_str(buf, 6 + n, NULL);
			assert_non_null(sp_csv_note(c));
			char want[96];
			snprintf(want, sizeof(want), "file is not UTF-8; read as %s", pages[p][1]);
			if (strcmp(sp_csv_note(c), want))
				fail_msg("%s read as %s: %s", NAMES[k], pages[p][1], sp_csv_note(c));
			expect_row(c, SP_OK, 1, 1, "name");
			expect_row(c, SP_OK, 2, 1, NAMES[k]);
			expect_eof(c);
		}
	}
	/* forced UTF-8: rejected as before; a UTF-8 file: no note */
	char buf[64] = "name\n";
	size_t n = to_page("WINDOWS-1252", NAMES[0], buf + 5, sizeof(buf) - 8);
	buf[5 + n] = '\n';
	sp_csv_opts o = { .encoding = "UTF-8" };
	sp_csv *c = open_str(buf, 6 + n, &o);
	assert_null(sp_csv_note(c));
	expect_row(c, SP_OK, 1, 1, "name");
	expect_row(c, SP_REJECT, 2, 1, NULL);
	expect_eof(c);
	c = OPEN("name\nSoci\xC3\xA9t\xC3\xA9\n");
	assert_null(sp_csv_note(c));
	expect_row(c, SP_OK, 1, 1, "name");
	expect_row(c, SP_OK, 2, 1, "Soci\xC3\xA9t\xC3\xA9");
	expect_eof(c);
}

static void test_many_rows(void **state)
{
	/* rows across many read chunks and parser slices keep their fields and line numbers */
	size_t cap = 8 * 1024 * 1024, n = 0;
	char *s = malloc(cap);
	n += (size_t)sprintf(s + n, "k,name,note\n");
	for (int i = 1; i <= 100000; i++)
		n += (size_t)sprintf(s + n, "%d,\"Company %d, Ltd\",%s\n", i, i, i % 1000 ? "x" : "\"two\nlines\"");
	sp_csv *c = open_str(s, n, NULL);
	free(s);
	sp_err err = { 0 };
	sp_csv_row *r;
	assert_int_equal(sp_csv_next(c, &r, &err), SP_OK);
	long line = 2;
	for (int i = 1; i <= 100000; i++) {
		assert_int_equal(sp_csv_next(c, &r, &err), SP_OK);
		assert_int_equal(r->n, 3);
		assert_int_equal(atoi(r->f[0]), i);
		assert_int_equal(r->line, line);
		char want[64];
		snprintf(want, sizeof(want), "Company %d, Ltd", i);
		assert_string_equal(r->f[1], want);
		line += (i % 1000) ? 1 : 2;
	}
	expect_eof(c);
}

static void test_close_early(void **state)
{
	size_t cap = 4 * 1024 * 1024, n = 0;
	char *s = malloc(cap);
	while (n < cap - 64)
		n += (size_t)sprintf(s + n, "some,row,of,data\n");
	sp_csv *c = open_str(s, n, NULL);
	free(s);
	expect_row(c, SP_OK, 1, 4, "some", "row", "of", "data");
	sp_csv_close(c); /* the producer is still ahead: it must stop and be joined */
}

/* Hostile input: random bytes drawn from the characters that matter; never a crash, rows come in
 * line order, fields respect the limits. */
static void test_random_input(void **state)
{
	static const char alphabet[] = ",,\"\"\r\n\n ab\xC3\xA9\xFF\x80\t";
	unsigned seed = 12345;
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(rand_r(&seed) % 20000);
		char *s = malloc(n + 1);
		for (size_t i = 0; i < n; i++)
			s[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		sp_csv_opts o = { .max_field = 64 + (size_t)(rand_r(&seed) % 4096), .max_cols = 1 + rand_r(&seed) % 40 };
		sp_csv *c = open_str(s, n, &o);
		free(s);
		sp_err err = { 0 };
		sp_csv_row *r;
		int rc;
		long last = 0;
		while ((rc = sp_csv_next(c, &r, &err)) == SP_OK || rc == SP_REJECT) {
			assert_true(r->line > last);
			last = r->line;
			assert_true(r->n <= o.max_cols);
			for (int i = 0; i < r->n; i++)
				assert_true(r->len[i] <= o.max_field || r->len[i] <= 256);
		}
		assert_int_equal(rc, SP_EOF);
		sp_csv_close(c);
	}
}

static void test_header_col(void **state)
{
	sp_csv *c = OPEN("CompanyName, CompanyNumber,X\n");
	sp_err err = { 0 };
	sp_csv_row *r;
	assert_int_equal(sp_csv_next(c, &r, &err), SP_OK);
	assert_int_equal(sp_csv_col(r, "CompanyNumber"), 1);
	assert_int_equal(sp_csv_col(r, "companyname"), 0);
	assert_int_equal(sp_csv_col(r, "Nope"), -1);
	expect_eof(c);
}

static void test_utf8_valid(void **state)
{
	assert_true(sp_utf8_valid("plain ascii text here", 21));
	assert_true(sp_utf8_valid("\xE2\x82\xAC\xF0\x9F\x98\x80", 7));
	assert_false(sp_utf8_valid("\xC0\xAF", 2));     /* overlong */
	assert_false(sp_utf8_valid("\xE2\x82", 2));     /* truncated */
	assert_false(sp_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(sp_utf8_valid("abcdefgh\xFF", 9));
}


/* ---- two ranges: the same rows, lines and rejects as one range ---------------------------- */

typedef struct sigs { char **v; size_t n, cap; char *first; int ranges; } sigs;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every row of the file as "line|rc|reject|n|f0\x1f f1...", sorted; the first row kept apart. */
static void collect(const char *data, size_t n, const sp_csv_opts *o, uint64_t split_min, sigs *out)
{
	sp_err err = { 0 };
	sp_csv *c = NULL;
	sp_csv_opts oo = { 0 };
	if (o)
		oo = *o;
	oo.no_thread = 0;
	oo.split_min = split_min;
	if (!oo.encoding) /* files split in two are UTF-8: their stray bytes are rejects, not a code page */
		oo.encoding = "UTF-8";
	assert_int_equal(sp_csv_open(write_file(data, n), &oo, &c, &err), SP_OK);
	unlink(path);
	memset(out, 0, sizeof(*out));
	sp_csv_row *r;
	int rc;
	size_t cap = 1 << 16;
	char *b = malloc(cap);
	while ((rc = sp_csv_next(c, &r, &err)) == SP_OK || rc == SP_REJECT) {
		size_t need = 64;
		for (int i = 0; i < r->n; i++)
			need += r->len[i] + 1;
		if (need > cap)
			b = realloc(b, cap = need * 2);
		size_t k = (size_t)snprintf(b, cap, "%012ld|%d|%s|%d|", r->line, rc, r->reject ? r->reject : "", r->n);
		for (int i = 0; i < r->n; i++) {
			memcpy(b + k, r->f[i], r->len[i]);
			k += r->len[i];
			b[k++] = 0x1f;
		}
		b[k] = 0;
		if (!out->first) {
			out->first = strdup(b);
			continue;
		}
		if (out->n == out->cap)
			out->v = realloc(out->v, (out->cap = out->cap ? out->cap * 2 : 1024) * sizeof(char *));
		out->v[out->n++] = strdup(b);
	}
	free(b);
	assert_int_equal(rc, SP_EOF);
	out->ranges = sp_csv_ranges(c);
	sp_csv_close(c);
	qsort(out->v, out->n, sizeof(char *), cmp_str);
}

static void sigs_free(sigs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s->first);
}

/* Parse data with one range and with two; same header, same multiset of rows. Returns ranges used. */
static int same_both_ways(const char *data, size_t n, const sp_csv_opts *o)
{
	sigs one, two;
	collect(data, n, o, UINT64_MAX, &one);
	collect(data, n, o, 1, &two);
	assert_int_equal(one.ranges, 1);
	if (one.first || two.first)
		assert_string_equal(one.first, two.first);
	assert_int_equal(one.n, two.n);
	for (size_t i = 0; i < one.n; i++)
		assert_string_equal(one.v[i], two.v[i]);
	int ranges = two.ranges;
	sigs_free(&one);
	sigs_free(&two);
	return ranges;
}

/* A file of about size bytes: quoted fields with commas, doubled quotes and embedded newlines
 * (often), CRLF or LF, a few rejects (invalid UTF-8, too many columns). */
static char *gen_csv(size_t size, unsigned seed, const char *eol, int bom, size_t *len)
{
	char *s = malloc(size + 4096);
	size_t n = 0;
	if (bom)
		n += (size_t)sprintf(s + n, "\xEF\xBB\xBF");
	n += (size_t)sprintf(s + n, "\"key\",\"name\",\"note\"%s", eol);
	for (int i = 0; n < size; i++) {
		int k = rand_r(&seed) % 10;
		if (k == 0)
			n += (size_t)sprintf(s + n, "%d,\"multi%sline, \"\"quoted\"\"%s\",x%s", i, eol, eol, eol);
		else if (k == 1)
			n += (size_t)sprintf(s + n, "%d,\"bad \xFF utf8\",y%s", i, eol);
		else if (k == 2)
			n += (size_t)sprintf(s + n, "%d,a,b,c,d,e%s", i, eol);
		else if (k == 3)
			n += (size_t)sprintf(s + n, "%s", eol); /* a blank line */
		else
			n += (size_t)sprintf(s + n, "\"%d\",\"Company %d, Ltd\",  plain %d  %s", i, i, i, eol);
	}
	*len = n;
	return s;
}

static void test_ranges_same_rows(void **state)
{
	sp_csv_opts o = { .max_cols = 4 };
	for (unsigned seed = 1; seed <= 6; seed++) {
		size_t n;
		char *s = gen_csv(600 * 1024 + seed * 7919, seed, seed % 2 ? "\n" : "\r\n", seed == 3, &n);
		assert_int_equal(same_both_ways(s, n, &o), 2);
		free(s);
	}
}

static void test_ranges_cut_in_quoted_field(void **state)
{
	/* the middle of the file is inside one big quoted field (with line ends): the cut comes after it */
	size_t cap = 2 * 1024 * 1024, n = 0;
	char *s = malloc(cap);
	n += (size_t)sprintf(s + n, "k,v\n");
	for (int i = 0; n < 300 * 1024; i++)
		n += (size_t)sprintf(s + n, "%d,\"row %d\"\n", i, i);
	n += (size_t)sprintf(s + n, "big,\"");
	for (int i = 0; i < 5000; i++)
		n += (size_t)sprintf(s + n, "line %d of a long, \"\"quoted\"\" field\n", i);
	n += (size_t)sprintf(s + n, "\"\n");
	for (int i = 0; n < 800 * 1024; i++)
		n += (size_t)sprintf(s + n, "%d,\"after %d\"\n", i, i);
	assert_int_equal(same_both_ways(s, n, NULL), 2);
	/* with a limit below the big field, no cut before it (one range, still the same rows) */
	sp_csv_opts o = { .max_field = 64 * 1024 };
	same_both_ways(s, n, &o);
	free(s);
}

static void test_ranges_hostile(void **state)
{
	/* random bytes from the characters that matter (stray quotes, CR, spaces): the exact scan */
	static const char alphabet[] = ",,\"\r\n\n  ab\xC3\xA9\t";
	unsigned seed = 777;
	for (int round = 0; round < 12; round++) {
		size_t n = 520 * 1024 + (size_t)(rand_r(&seed) % 100000);
		char *s = malloc(n);
		/* mostly well-formed rows with random noise, so that cuts exist */
		size_t k = 0;
		while (k < n) {
			if (rand_r(&seed) % 8 == 0) {
				s[k++] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
			} else {
				int m = snprintf(s + k, n - k, "\"v\",w x,\"y\"\"z\"\n");
				k += m > 0 && (size_t)m < n - k ? (size_t)m : n - k;
			}
		}
		sp_csv_opts o = { .max_field = 4096 + (size_t)(rand_r(&seed) % 65536), .max_cols = 64 };
		int rg = same_both_ways(s, n, &o);
		if (getenv("SP_TEST_VERBOSE"))
			fprintf(stderr, "hostile round %d: %d ranges\n", round, rg);
		free(s);
	}
	/* the same with the scalar scan forced on well-formed files */
	setenv("SPARKER_CSV_SCALAR_SCAN", "1", 1);
	for (unsigned seed2 = 11; seed2 <= 13; seed2++) {
		size_t n;
		char *s = gen_csv(700 * 1024, seed2, seed2 % 2 ? "\r\n" : "\n", 0, &n);
		assert_int_equal(same_both_ways(s, n, NULL), 2);
		free(s);
	}
	unsetenv("SPARKER_CSV_SCALAR_SCAN");
}


/* Quoting corners before the middle of the file that change where rows start far after them: a
 * stray quote in an unquoted field, text after a closing quote, a quote after spaces, spaces
 * before an opening quote, CR + spaces + LF between rows. A scan that got libcsv's state wrong
 * would cut inside a row. Run with the fast and the scalar scan. */
static void test_ranges_tricky(void **state)
{
	static const char *const corner[] = {
		"ab\"c,d\n",            /* literal quote in an unquoted field: no quoted text follows */
		"x,\"abc\"d, still quoted", /* text after a closing quote: libcsv stays in the quoted field */
		"x,\"abc\" \" still quoted", /* a quote after spaces after a closing quote: literal */
		"x,  \"opened after spaces", /* spaces, then an opening quote */
		"x,y\r  \n\r \t\n",       /* CR, spaces, LF: one line end for the reader */
		"\"a\"\"\"\"b\",\"\"\n",   /* doubled quotes, empty quoted field */
	};
	static const char *const closer[] = { "", "\"\n", "\"\n", "\"\n", "", "" };
	for (int scalar = 0; scalar < 2; scalar++) {
		if (scalar)
			setenv("SPARKER_CSV_SCALAR_SCAN", "1", 1);
		for (size_t k = 0; k < sizeof(corner) / sizeof(*corner); k++) {
			size_t cap = 1024 * 1024, n = 0;
			char *s = malloc(cap);
			n += (size_t)sprintf(s + n, "h1,h2\n");
			for (int i = 0; n < 300 * 1024; i++)
				n += (size_t)sprintf(s + n, "\"%d\",\"before\"\n", i);
			n += (size_t)sprintf(s + n, "%s", corner[k]);
			for (int i = 0; n < 560 * 1024; i++)
				n += (size_t)sprintf(s + n, "plain text line %d\n", i); /* no quote, no comma */
			n += (size_t)sprintf(s + n, "%s", closer[k]);
			for (int i = 0; n < 800 * 1024; i++)
				n += (size_t)sprintf(s + n, "\"%d\",\"after\"\n", i);
			same_both_ways(s, n, NULL);
			free(s);
		}
	}
	unsetenv("SPARKER_CSV_SCALAR_SCAN");
}

static void test_ranges_small_or_packed(void **state)
{
	/* below the size limit, zip/gzip never reach here (their streams are not plain): one range */
	sigs a;
	collect("k,v\n1,2\n", 8, NULL, 0, &a);
	assert_int_equal(a.ranges, 1);
	assert_int_equal(a.n, 1);
	sigs_free(&a);
	/* a CR-only file has no LF to cut at: one range, same rows */
	size_t n;
	char *s = gen_csv(600 * 1024, 5, "\r", 0, &n);
	assert_int_equal(same_both_ways(s, n, NULL), 1);
	free(s);
}

/* ---- the fast tokenizer gives what libcsv gives ------------------------------------------ */

/* Every row, in order (csv_rows.h), of data read with options o; the stream must end at SP_EOF. */
static char *rows_of(const char *data, size_t n, sp_csv_opts o, int libcsv_only)
{
	sp_err err = { 0 };
	char *rows = csv_rows(write_file(data, n), o, libcsv_only, &err);
	unlink(path);
	assert_non_null(rows);
	char end[32];
	snprintf(end, sizeof(end), "end %d\n", SP_EOF);
	size_t rl = strlen(rows), el = strlen(end);
	assert_true(rl >= el && !strcmp(rows + rl - el, end));
	return rows;
}

/* Both tokenizers on data with options o: the same rows, lines and rejects, in the same order. */
static void agree(const char *data, size_t n, sp_csv_opts o)
{
	char *want = rows_of(data, n, o, 1);
	char *got = rows_of(data, n, o, 0);
	if (strcmp(want, got)) {
		fprintf(stderr, "tokenizers disagree (chunk %zu, delim '%c'), input:\n%.*s\nlibcsv:\n%s\nfast:\n%s\n",
			o.chunk, o.delim ? o.delim : ',', (int)n, data, want, got);
		fail();
	}
	free(want);
	free(got);
}

/* Read sizes that cut rows everywhere (1 byte, odd sizes, about one row, the default). */
static const size_t chunks[] = { 1, 2, 3, 5, 7, 13, 16, 17, 31, 64, 100, 4096, 0 };
#define NCHUNKS (sizeof(chunks) / sizeof(*chunks))

static void test_tokenizers_agree_corners(void **state)
{
	static const char *const corner[] = {
		"a,b,c\n1,2,3\n",
		"\"a\",\"b\",\"c\"\r\n\"1\",\"2\",\"3\"\r\n",
		"\"a\"\"b\",\"\"\"\",\"\"\"\"\"\"\",\"\"\n",      /* doubled quotes, empty quoted */
		"\"multi\nline\r\nand\rcr\",x\n\"a\nb\"\n",        /* line ends inside quotes */
		"a,,c,\n,\n,,\n",                                 /* empty fields, trailing delimiter */
		"\n\n\r\n\r\ra,b\n\r\n",                          /* blank lines, CR-only, CRLF */
		"x,y\r  \n\r \t\nz\n",                            /* CR, spaces, LF */
		"  a  ,\t b\t,  \"c\"  ,\"d\"  ,e\n",             /* spaces around fields */
		"ab\"c,d\"\"e\"\n\"x\"y,\"z\" \"w\"\n",           /* quotes in unquoted fields, text after a closing quote */
		"\"unterminated,a,b\nc,d\n",                      /* a quote never closed */
		"a,b\nc,d",                                       /* no line end at the end */
		"\"a\",\"b\"",                                    /* quoted, no line end at the end */
		"a,\"b\"",
		"\"a\"\"",
		"k,v\n1,caf\xC3\xA9\n2,\"\xE2\x82\xAC \xF0\x9F\x98\x80\"\n", /* UTF-8 */
		"k,v\n1,bad \xFF\n2,\"bad \xC3\"\n3,ok\n",        /* invalid UTF-8 */
		"a,b,c,d,e,f,g,h,i,j,k,l\n1,2\n",                 /* too many columns (max_cols 5) */
		"\xEF\xBB\xBF\"h1\",\"h2\"\n\"1\",\"2\"\n",        /* BOM */
		"a;b;c\n\"x;y\";z\n",                             /* another delimiter inside quotes */
		"a\tb\t\"c\td\"\n \ta\t\n",                       /* tabs */
		"\"0123456789abcdef0123456789abcdef\",\"0123456789abcdef\"\n0123456789abcdefg,h\n",
		"\"\"\n\"\",\"\"\n,\n",
		"a\r\"b\"\r\"c\r\n\"\r",
		"\"x\"\r\n\"y\"\n\r",
	};
	static const char nul[] = "k,v\n1,nul \0 inside\n2,\"nul\0\"\n3,ok\n"; /* NUL bytes: strlen would stop */
	static const char delims[] = { ',', ';', '\t', '|' };
	for (size_t k = 0; k <= sizeof(corner) / sizeof(*corner); k++) {
		const char *in = k < sizeof(corner) / sizeof(*corner) ? corner[k] : nul;
		size_t n = in == nul ? sizeof(nul) - 1 : strlen(in);
		for (size_t d = 0; d < sizeof(delims); d++)
			for (size_t ch = 0; ch < NCHUNKS; ch++)
				agree(in, n, (sp_csv_opts){ .delim = delims[d], .chunk = chunks[ch], .max_cols = 5 });
	}
}

/* Random CSV-ish text: rows of fields, quoted or not, with every hazard now and then. */
static char *gen_hazards(unsigned *seed, char delim, size_t *len)
{
	static const char *const bits[] = { "x", "Ltd", "caf\xC3\xA9", "\xFF", "\"", "\"\"", " ", "\t",
		"\r", "\n", "\r\n", "0123456789ABCDEFGHIJ", "\0", "a b" };
	size_t cap = 8192, n = 0;
	char *s = malloc(cap);
	int rows = rand_r(seed) % 40;
	for (int r = 0; r < rows && n + 512 < cap; r++) {
		int fields = 1 + rand_r(seed) % 8;
		for (int f = 0; f < fields; f++) {
			int quoted = rand_r(seed) % 2;
			if (rand_r(seed) % 15 == 0)
				s[n++] = ' ';
			if (quoted)
				s[n++] = '"';
			int parts = rand_r(seed) % 5;
			for (int p = 0; p < parts; p++) {
				int hazard = rand_r(seed) % 6 == 0;
				const char *b = bits[hazard ? 3 + rand_r(seed) % 11 : rand_r(seed) % 3];
				size_t bl = strcmp(b, "") ? strlen(b) : 1; /* "\0" is one NUL byte */
				if (quoted && !strcmp(b, "\""))
					b = "\"\"", bl = 2; /* mostly doubled inside quotes */
				if (quoted && rand_r(seed) % 40 == 0)
					b = "\"", bl = 1;   /* and sometimes not */
				memcpy(s + n, b, bl);
				n += bl;
				if (rand_r(seed) % 8 == 0)
					s[n++] = delim;
			}
			if (quoted && rand_r(seed) % 30)
				s[n++] = '"';
			if (rand_r(seed) % 15 == 0)
				s[n++] = ' ';
			if (f + 1 < fields)
				s[n++] = delim;
		}
		const char *eol = rand_r(seed) % 5 == 0 ? "\r\n" : rand_r(seed) % 10 == 0 ? "\r" : "\n";
		memcpy(s + n, eol, strlen(eol));
		n += strlen(eol);
	}
	*len = n;
	return s;
}

static void test_tokenizers_agree_random(void **state)
{
	static const char delims[] = { ',', ';', '\t' };
	unsigned seed = 4242;
	for (int round = 0; round < 3000; round++) {
		char delim = delims[rand_r(&seed) % 3];
		size_t n;
		char *s = gen_hazards(&seed, delim, &n);
		sp_csv_opts o = { .delim = delim, .chunk = chunks[rand_r(&seed) % NCHUNKS],
				  .max_cols = 1 + rand_r(&seed) % 10 };
		agree(s, n, o);
		free(s);
	}
}

/* Fields over max_field: both tokenizers reject the row with "field too large", quoted or not,
 * whichever read cuts it; the rows around it are the same. */
static void test_tokenizers_field_too_large(void **state)
{
	char s[4096];
	size_t n = 0;
	n += (size_t)sprintf(s + n, "k,v\n1,ok\n2,");
	memset(s + n, 'x', 300), n += 300;
	n += (size_t)sprintf(s + n, "\n3,\"");
	memset(s + n, 'y', 300), n += 300;
	n += (size_t)sprintf(s + n, "\"\n4,ok\n");
	for (size_t ch = 0; ch < NCHUNKS; ch++) {
		sp_csv_opts o = { .max_field = 100, .chunk = chunks[ch] };
		for (int lib = 0; lib < 2; lib++) {
			char *rows = rows_of(s, n, o, lib);
			const char *r3 = strstr(rows, "\n3|"), *r4 = strstr(rows, "\n4|");
			assert_non_null(r3);
			assert_non_null(r4);
			assert_non_null(strstr(r3, "|field too large|"));
			assert_non_null(strstr(r4, "|field too large|"));
			assert_non_null(strstr(rows, "\n5|0||2|4\x1fok\x1f\n")); /* the row after both */
			free(rows);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_huge_field),
		cmocka_unit_test(test_unterminated_quote_bounded),
		cmocka_unit_test(test_too_many_columns),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_latin1),
		cmocka_unit_test(test_detect_encoding),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_close_early),
		cmocka_unit_test(test_random_input),
		cmocka_unit_test(test_header_col),
		cmocka_unit_test(test_utf8_valid),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_no_thread = 1;
	rc |= cmocka_run_group_tests(tests, NULL, NULL);
	const struct CMUnitTest ranges[] = {
		cmocka_unit_test(test_ranges_same_rows),
		cmocka_unit_test(test_ranges_cut_in_quoted_field),
		cmocka_unit_test(test_ranges_hostile),
		cmocka_unit_test(test_ranges_tricky),
		cmocka_unit_test(test_ranges_small_or_packed),
		cmocka_unit_test(test_tokenizers_agree_corners),
		cmocka_unit_test(test_tokenizers_agree_random),
		cmocka_unit_test(test_tokenizers_field_too_large),
	};
	return rc | cmocka_run_group_tests(ranges, NULL, NULL);
}
