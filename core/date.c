/*
 * date.c — the one date parser (see date.h for the contract).
 *
 * sp_date_parse() looks at the shape of the text once (the length of its leading digit run and
 * the character after it) and hands it to exactly one reader: year only, yyyymmdd, year first,
 * day/month first, or words. Each reader fills a `when` (the parts and the precision the text
 * gives); one place (put_iso) checks the year window and the calendar and writes the output, so
 * no reader can let an impossible date out.
 */
#include "core/date.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { YEAR_MIN = 1000, YEAR_MAX = 2999 };

/* A parsed date and how much of it the text gave. */
typedef enum { YEAR = 1, MONTH, DAY } precision;
typedef struct when {
	int y, m, d;
	precision prec;
} when;

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* 1 when y-m-d is a real calendar day (any year). */
static int real_day(int y, int m, int d)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12 || d < 1)
		return 0;
	return d <= dim[m - 1] + (m == 2 && leap(y));
}

static int year_ok(int y) { return y >= YEAR_MIN && y <= YEAR_MAX; }

/* Exactly ndig digits at s into *v; 0 if one of them is not a digit. */
static int digits(const char *s, int ndig, int *v)
{
	int x = 0;
	for (int i = 0; i < ndig; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 1;
}

/* The value of the digits s[i..j) (known to be digits, at most 4). */
static int value(const char *s, size_t i, size_t j)
{
	int v = 0;
	for (; i < j; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* End of the run of digits starting at s[i], at most s[len]. */
static size_t digit_run(const char *s, size_t i, size_t len)
{
	while (i < len && isdigit((unsigned char)s[i]))
		i++;
	return i;
}

static int is_sep(char c) { return c == '-' || c == '/' || c == '.'; }

/* 1..12 for a word starting with an English month's first three letters, else 0. */
static int month_of(const char *w, size_t n)
{
	static const char *const en[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
	if (n < 3)
		return 0;
	char lw[4];
	for (int i = 0; i < 3; i++)
		lw[i] = (char)tolower((unsigned char)w[i]);
	lw[3] = 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(lw, en[i], 3) == 0)
			return i + 1;
	return 0;
}

/* "yyyy<sep>mm" or "yyyy<sep>mm<sep>dd" + optional 'T'/'t'/' ' and anything. s[4] is the separator. */
static int read_year_first(const char *s, size_t len, when *t)
{
	char sep = s[4];
	digits(s, 4, &t->y);
	size_t i = 5, j = digit_run(s, i, len);
	if (j == i || j - i > 2)
		return 0;
	t->m = value(s, i, j);
	if (j == len) { /* yyyy-mm */
		t->prec = MONTH;
		return 1;
	}
	if (s[j] != sep)
		return 0;
	i = j + 1;
	j = digit_run(s, i, len);
	if (j == i || j - i > 2)
		return 0;
	t->d = value(s, i, j);
	if (j < len && s[j] != 'T' && s[j] != 't' && s[j] != ' ')
		return 0;
	t->prec = DAY;
	return 1;
}

/* p1/p2 as day and month of t (DAY precision), in the order given; see sp_date_order. */
static void day_month(int p1, int p2, sp_date_order order, when *t)
{
	int month_first;
	if (order == SP_DATE_DMY_ONLY)
		month_first = 0;
	else if (order == SP_DATE_MDY_ONLY)
		month_first = 1;
	else if (p1 > 12 && p2 <= 12)
		month_first = 0;
	else if (p2 > 12 && p1 <= 12)
		month_first = 1;
	else
		month_first = order == SP_DATE_MDY;
	t->m = month_first ? p1 : p2;
	t->d = month_first ? p2 : p1;
	t->prec = DAY;
}

/*
 * "p1<sep>p2<sep>yyyy" + optional ' '/'T' and anything; a is the length of p1 (1 or 2), s[a] the
 * separator. Which of p1/p2 is the day: see sp_date_order.
 */
static int read_day_month(const char *s, size_t a, size_t len, sp_date_order order, when *t)
{
	char sep = s[a];
	int p1 = value(s, 0, a), p2;
	size_t i = a + 1, j = digit_run(s, i, len);
	if (j - i < 1 || j - i > 2 || j >= len || s[j] != sep)
		return 0;
	p2 = value(s, i, j);
	i = j + 1;
	j = digit_run(s, i, len);
	if (j - i != 4 || (j < len && s[j] != ' ' && s[j] != 'T'))
		return 0;
	digits(s + i, 4, &t->y);
	day_month(p1, p2, order, t);
	return 1;
}

/*
 * The two shapes nearly every registry row has, exactly ten characters: "yyyy-mm-dd" and
 * "dd/mm/yyyy" (any one separator, twice). Read as the general readers would, without their
 * scanning: the parse stage reads a date per row, twice. 0 when s is neither.
 */
static int read_fast(const char *s, sp_date_order order, when *t)
{
#define D(i) isdigit((unsigned char)s[i])
	if (D(0) && D(1) && D(2) && D(3) && s[4] == '-' && D(5) && D(6) && s[7] == '-' && D(8) && D(9) && !s[10]) {
		t->y = value(s, 0, 4), t->m = value(s, 5, 7), t->d = value(s, 8, 10);
		t->prec = DAY;
		return 1;
	}
	if (D(0) && D(1) && is_sep(s[2]) && D(3) && D(4) && s[5] == s[2] && D(6) && D(7) && D(8) && D(9) && !s[10]) {
		t->y = value(s, 6, 10);
		day_month(value(s, 0, 2), value(s, 3, 5), order, t);
		return 1;
	}
#undef D
	return 0;
}

/*
 * Dates in words: RFC 822 "Mon, 02 Jan 2006 15:04:05 +0000", "2 January 2020", "2nd Jan 2020",
 * "Jan 2, 2020", "March 2019". Words are runs of letters and digits; the word before a ':' is a
 * time and ends the date. A number that fits no slot (a second year, a day after the year) makes
 * the text no date; words that are no month (weekdays, "of") are ignored.
 */
static int read_words(const char *s, size_t len, when *t)
{
	int day = 0, mon = 0, year = 0;
	const char *p = s, *e = s + len;
	while (p < e) {
		while (p < e && !isalnum((unsigned char)*p))
			p++;
		const char *w = p;
		while (p < e && isalnum((unsigned char)*p))
			p++;
		size_t wn = (size_t)(p - w);
		if (!wn)
			break;
		if (p < e && *p == ':')
			break;
		if (isdigit((unsigned char)*w)) {
			size_t k = 0;
			while (k < wn && isdigit((unsigned char)w[k]))
				k++;
			int v = k <= 4 ? value(w, 0, k) : 0;
			if (k == 4 && !year)
				year = v;
			else if (k <= 2 && !day && !year && (wn == k || (wn - k == 2)))
				day = v; /* "2", "02", "2nd" */
			else if (k == 2 && mon && day && !year)
				year = v < 50 ? 2000 + v : 1900 + v;
			else
				return 0;
		} else {
			int mm = month_of(w, wn);
			if (mm && !mon)
				mon = mm;
		}
	}
	if (!year || !mon)
		return 0;
	t->y = year, t->m = mon, t->d = day;
	t->prec = day ? DAY : MONTH; /* "March 2019" */
	return 1;
}

/* Write v as ndig decimal digits at p (v >= 0, fits). */
static void put_digits(char *p, int v, int ndig)
{
	for (int i = ndig - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
}

/*
 * t as ISO 8601 at its precision into out (n bytes, truncated and NUL-terminated when short), or
 * 0 when t is no real date in the year window. Formatted by hand: the parse stage calls this for
 * every row, twice (connector and pushdown filter), and snprintf is most of a parse's date cost.
 */
static int put_iso(const when *t, char *out, size_t n)
{
	if (!year_ok(t->y))
		return 0;
	char iso[SP_DATE_ISO_SIZE];
	size_t len = 4;
	put_digits(iso, t->y, 4);
	if (t->prec >= MONTH) {
		if (t->m < 1 || t->m > 12)
			return 0;
		iso[4] = '-';
		put_digits(iso + 5, t->m, 2);
		len = 7;
	}
	if (t->prec == DAY) {
		if (!real_day(t->y, t->m, t->d))
			return 0;
		iso[7] = '-';
		put_digits(iso + 8, t->d, 2);
		len = 10;
	}
	if (n) {
		size_t k = len < n - 1 ? len : n - 1;
		memcpy(out, iso, k);
		out[k] = '\0';
	}
	return 1;
}

int sp_date_parse(const char *raw, sp_date_order order, char *out, size_t n)
{
	if (n)
		out[0] = '\0';
	if (!raw)
		return 0;
	when t = { 0, 0, 0, DAY };
	if (read_fast(raw, order, &t))
		return put_iso(&t, out, n);
	while (isspace((unsigned char)*raw))
		raw++;
	size_t len = strlen(raw);
	while (len && isspace((unsigned char)raw[len - 1]))
		len--;
	if (len == 0)
		return 0;
	size_t a = digit_run(raw, 0, len); /* the leading digits decide the shape */
	int ok;
	if (a == len && a == 4) {
		ok = digits(raw, 4, &t.y);
		t.prec = YEAR;
	} else if (a == len && a == 8) /* yyyymmdd */
		ok = digits(raw, 4, &t.y) && digits(raw + 4, 2, &t.m) && digits(raw + 6, 2, &t.d);
	else if (a == 4 && len > 5 && is_sep(raw[4]))
		ok = read_year_first(raw, len, &t);
	else if ((a == 1 || a == 2) && len > a && is_sep(raw[a]) && isdigit((unsigned char)raw[a + 1]))
		ok = read_day_month(raw, a, len, order, &t);
	else
		ok = read_words(raw, len, &t);
	return ok && put_iso(&t, out, n);
}

int sp_date_first_day(const char *raw, sp_date_order order, char out[SP_DATE_ISO_SIZE])
{
	char iso[SP_DATE_ISO_SIZE];
	out[0] = '\0';
	if (!sp_date_parse(raw, order, iso, sizeof(iso)))
		return 0;
	size_t k = strlen(iso); /* 4, 7 or 10 */
	memcpy(out, "0000-01-01", SP_DATE_ISO_SIZE);
	memcpy(out, iso, k);
	return 1;
}

int sp_date_is_iso_valid(const char *s)
{
	int y, m, d;
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
		return 0;
	return y >= 1900 && y <= 2200 && real_day(y, m, d);
}

int64_t sp_date_days(const char *iso)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(iso) - 1900;
	tm.tm_mon = atoi(iso + 5) - 1;
	tm.tm_mday = atoi(iso + 8);
	tm.tm_hour = 12;
	return (int64_t)timegm(&tm) / 86400;
}

void sp_date_from_days(int64_t days, char out[SP_DATE_ISO_SIZE])
{
	time_t t = (time_t)(days * 86400 + 43200);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, SP_DATE_ISO_SIZE, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

const sp_config_key sp_date_keys[] = {
	{ "source *", "date_order", SP_KEY_ENUM, .choices = "dmy|mdy" },
	{ 0 },
};

sp_date_order sp_date_order_config(const sp_config *cfg, const char *section, int *declared)
{
	int ord = sp_config_choice(cfg, section, sp_date_keys, "date_order"); /* -1: not set */
	const char *preset = sp_config_get(cfg, section, "preset", NULL); /* the format's key, any format */
	int mdy = ord >= 0 ? ord == 1 : preset && !strcasecmp(preset, "crunchbase");
	if (declared)
		*declared = ord >= 0 || mdy;
	return mdy ? SP_DATE_MDY : SP_DATE_DMY;
}
