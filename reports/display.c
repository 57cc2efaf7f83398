/*
 * display.c — display case of names and clean websites for the report. See display.h.
 */
#include "reports/display.h"

#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "core/common.h"

/* Words kept as written in capitals (legal forms, common acronyms), compared case-insensitively;
 * a value differing from the upper case gives its display form ("GmbH"). */
static const char *const keep_words[] = {
	"SA", "SAS", "SASU", "SARL", "EURL", "SNC", "SCI", "SE", "AG", "KG", "GMBH:GmbH", "UG", "OHG", "EV:eV",
	"BV", "NV", "VOF", "AB", "OY", "OYJ", "AS", "ASA", "APS:ApS", "SPA:SpA", "SRL", "SRO:s.r.o.", "LTD:Ltd",
	"LLC", "LLP", "PLC", "INC:Inc", "CORP:Corp", "CO:Co", "AI", "IT", "IOT:IoT", "EV", "HR", "USA", "UK", "EU",
	"R&D", "B2B", "B2C", "SAAS:SaaS", NULL,
};
/* Short words in lower case inside a name (not the first word). */
static const char *const small_words[] = { "de", "du", "des", "la", "le", "les", "et", "and", "of", "the",
					   "von", "van", "der", "den", "di", "da", "do", "dos", "y", "e", "en", "für",
					   "und", NULL };

/* The word w (n bytes, upper case) as displayed, appended to b; first: the name's first word. */
static void add_word(sp_buf *b, const char *w, size_t n, int first)
{
	for (int i = 0; keep_words[i]; i++) {
		const char *k = keep_words[i], *colon = strchr(k, ':');
		size_t kn = colon ? (size_t)(colon - k) : strlen(k);
		if (kn == n && !strncasecmp(k, w, n)) {
			sp_buf_adds(b, colon ? colon + 1 : k);
			return;
		}
	}
	int vowel = 0, letters = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (strchr("AEIOUYaeiouy", c) || c >= 0x80)
			vowel = 1;
		if ((c >= 'A' && c <= 'Z') || c >= 0x80)
			letters++;
	}
	if (!vowel && letters >= 2) { /* BMW, KPMG */
		sp_buf_add(b, w, n);
		return;
	}
	if (!first)
		for (int i = 0; small_words[i]; i++)
			if (strlen(small_words[i]) == n && !strncasecmp(small_words[i], w, n) && (unsigned char)w[0] < 0x80) {
				for (size_t k = 0; k < n; k++)
					sp_buf_addc(b, (char)(w[k] | 0x20));
				return;
			}
	/* title case: the first letter, and a letter after '-', '.', '(', '/' or '&', stay upper; a
	 * letter after a digit too ("3D"); the others go to lower case */
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)w;
	utf8proc_ssize_t i = 0, len = (utf8proc_ssize_t)n;
	int start = 1, after_digit = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(s + i, len - i, &cp);
		if (k <= 0) { /* not UTF-8: copy the byte */
			sp_buf_addc(b, (char)s[i]);
			i++;
			continue;
		}
		utf8proc_int32_t out = cp;
		if (utf8proc_category(cp) == UTF8PROC_CATEGORY_LU && !start && !after_digit)
			out = utf8proc_tolower(cp);
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t m = utf8proc_encode_char(out, enc);
		sp_buf_add(b, (const char *)enc, (size_t)m);
		start = cp == '-' || cp == '.' || cp == '(' || cp == '/' || cp == '&';
		after_digit = cp >= '0' && cp <= '9';
		i += k;
	}
}

/* Whether s has a lower-case letter. */
static int has_lower(const char *s)
{
	const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(s), i = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(u + i, len - i, &cp);
		if (k <= 0)
			return 0;
		if (utf8proc_category(cp) == UTF8PROC_CATEGORY_LL)
			return 1;
		i += k;
	}
	return 0;
}

char *sp_display_name(const char *raw)
{
	if (!raw)
		return sp_xstrdup("");
	if (has_lower(raw))
		return sp_xstrdup(raw);
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, "");
	const char *p = raw;
	int first = 1;
	while (*p) {
		if (*p == ' ') {
			sp_buf_addc(&b, ' ');
			p++;
			continue;
		}
		size_t n = strcspn(p, " "), pre = 0, post = 0;
		/* "(UK)", "LTD.": the word inside its punctuation */
		while (pre < n && strchr("([\"'", p[pre]))
			pre++;
		while (post < n - pre && strchr(")],.;:\"'", p[n - 1 - post]))
			post++;
		sp_buf_add(&b, p, pre);
		if (n > pre + post)
			add_word(&b, p + pre, n - pre - post, first);
		sp_buf_add(&b, p + n - post, post);
		first = 0;
		p += n;
	}
	return sp_buf_detach(&b);
}

static int tracking(const char *k, size_t n)
{
	static const char *const names[] = { "gclid", "fbclid", "msclkid", "mc_cid", "mc_eid", "_ga", "ref", "yclid",
					     "igshid", "dclid", "gbraid", "wbraid", NULL };
	if (n >= 4 && !strncasecmp(k, "utm_", 4))
		return 1;
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !strncasecmp(names[i], k, n))
			return 1;
	return 0;
}

char *sp_display_website(const char *url)
{
	if (!url)
		return sp_xstrdup("");
	const char *u = url;
	while (*u == ' ')
		u++;
	if (!strncasecmp(u, "https://", 8))
		u += 8;
	else if (!strncasecmp(u, "http://", 7))
		u += 7;
	if (!strncasecmp(u, "www.", 4))
		u += 4;
	size_t path_n = strcspn(u, "?#");
	sp_buf b = SP_BUF_INIT;
	sp_buf_add(&b, u, path_n);
	sp_buf_adds(&b, "");
	const char *q = u[path_n] == '?' ? u + path_n + 1 : NULL;
	int nq = 0;
	while (q && *q && *q != '#') {
		size_t n = strcspn(q, "&#");
		size_t kn = strcspn(q, "=&#");
		if (kn > n)
			kn = n;
		if (n && !tracking(q, kn)) {
			sp_buf_addc(&b, nq++ ? '&' : '?');
			sp_buf_add(&b, q, n);
		}
		q += n;
		if (*q == '&')
			q++;
	}
	/* "domal.fr/" -> "domal.fr"; "x.io/?" never happens (empty queries are dropped) */
	if (!nq)
		while (b.len && b.buf[b.len - 1] == '/')
			b.buf[--b.len] = 0;
	return sp_buf_detach(&b);
}
