/*
 * match.c — folding and word-boundary phrase matching (see match.h for the contract).
 *
 * Phrases are kept in an array sorted by their first folded word; scanning walks the words of the
 * text and binary-searches each one, then compares the following words. Single-word prefix
 * phrases ("batter*") live in a short separate list checked against every word.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "pipeline/match.h"

struct entry {
	char *first; /* first folded word */
	char *rest;  /* following folded words ("" when one word) */
	size_t first_len, rest_len;
	int prefix;  /* last word is a prefix */
	int id;
};

struct sp_matcher {
	struct entry *words; /* sorted by first after the first scan (lazy) */
	int nwords, capwords;
	struct entry *pre;   /* single-word prefixes */
	int npre, cappre;
	int sorted;
};

static int is_word_cp(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

/* Copy s replacing invalid UTF-8 sequences by spaces. */
static char *sanitize(const char *s)
{
	size_t n = strlen(s);
	char *out = sp_xmalloc(n + 1);
	size_t i = 0, o = 0;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0 || cp < 0) {
			out[o++] = ' ';
			i++;
			continue;
		}
		memcpy(out + o, s + i, (size_t)k);
		o += (size_t)k;
		i += (size_t)k;
	}
	out[o] = '\0';
	return out;
}

char *sp_match_fold(const char *s)
{
	if (!s)
		return sp_xstrdup("");
	utf8proc_uint8_t *mapped = NULL;
	const int opts = UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
			 UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE;
	utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, 0, &mapped, opts);
	if (r < 0) {
		char *clean = sanitize(s);
		r = utf8proc_map((const utf8proc_uint8_t *)clean, 0, &mapped, opts);
		free(clean);
		if (r < 0)
			return sp_xstrdup("");
	}
	sp_buf b = SP_BUF_INIT;
	sp_buf_add(&b, "", 0);
	int pending_space = 0;
	const utf8proc_uint8_t *p = mapped;
	utf8proc_ssize_t left = r;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, left, &cp);
		if (k <= 0)
			break;
		if (is_word_cp(cp)) {
			if (pending_space && b.len)
				sp_buf_addc(&b, ' ');
			pending_space = 0;
			if (cp == 0x153) /* œ */
				sp_buf_adds(&b, "oe");
			else if (cp == 0xE6) /* æ */
				sp_buf_adds(&b, "ae");
			else if (cp == 0xF8) /* ø */
				sp_buf_addc(&b, 'o');
			else
				sp_buf_add(&b, (const char *)p, (size_t)k);
		} else {
			pending_space = 1;
		}
		p += k;
		left -= k;
	}
	free(mapped);
	return sp_buf_detach(&b);
}

sp_matcher *sp_matcher_new(void)
{
	return sp_xcalloc(1, sizeof(sp_matcher));
}

static void entry_free(struct entry *e)
{
	free(e->first);
	free(e->rest);
}

void sp_matcher_free(sp_matcher *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nwords; i++)
		entry_free(&m->words[i]);
	for (int i = 0; i < m->npre; i++)
		entry_free(&m->pre[i]);
	free(m->words);
	free(m->pre);
	free(m);
}

int sp_matcher_count(const sp_matcher *m)
{
	return m ? m->nwords + m->npre : 0;
}

int sp_matcher_add(sp_matcher *m, const char *phrase, int id)
{
	size_t pl = strlen(phrase);
	while (pl && (phrase[pl - 1] == ' ' || phrase[pl - 1] == '\t'))
		pl--;
	int prefix = pl && phrase[pl - 1] == '*';
	char *raw = sp_xstrndup(phrase, prefix ? pl - 1 : pl);
	char *f = sp_match_fold(raw);
	free(raw);
	if (!*f) {
		free(f);
		return SP_EUSAGE;
	}
	struct entry e = { 0 };
	char *sp = strchr(f, ' ');
	e.first = sp ? sp_xstrndup(f, (size_t)(sp - f)) : sp_xstrdup(f);
	e.rest = sp_xstrdup(sp ? sp + 1 : "");
	e.first_len = strlen(e.first);
	e.rest_len = strlen(e.rest);
	e.prefix = prefix;
	e.id = id;
	free(f);
	if (prefix && !e.rest_len) {
		if (m->npre == m->cappre) {
			m->cappre = m->cappre ? m->cappre * 2 : 8;
			m->pre = sp_xrealloc(m->pre, sizeof(*m->pre) * (size_t)m->cappre);
		}
		m->pre[m->npre++] = e;
	} else {
		if (m->nwords == m->capwords) {
			m->capwords = m->capwords ? m->capwords * 2 : 16;
			m->words = sp_xrealloc(m->words, sizeof(*m->words) * (size_t)m->capwords);
		}
		m->words[m->nwords++] = e;
		m->sorted = 0;
	}
	return SP_OK;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->first, y->first);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Compare a text word (w, n bytes) with a NUL-terminated word. */
static int word_cmp(const char *w, size_t n, const char *s, size_t sl)
{
	size_t k = n < sl ? n : sl;
	int c = memcmp(w, s, k);
	if (c)
		return c;
	return (n > sl) - (n < sl);
}

void sp_matcher_scan(const sp_matcher *cm, const char *t, sp_match_cb cb, void *user)
{
	sp_matcher *m = (sp_matcher *)cm; /* sorting lazily is not a visible change */
	if (!m->sorted) {
		if (m->nwords > 1)
			qsort(m->words, (size_t)m->nwords, sizeof(*m->words), entry_cmp);
		m->sorted = 1;
	}
	const char *p = t;
	while (*p) {
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t wl = (size_t)(p - w);
		const char *after = *p ? p + 1 : p; /* start of the next word */
		/* binary search the first entry whose first word equals w */
		int lo = 0, hi = m->nwords;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (word_cmp(w, wl, m->words[mid].first, m->words[mid].first_len) > 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (int i = lo; i < m->nwords && !word_cmp(w, wl, m->words[i].first, m->words[i].first_len); i++) {
			const struct entry *e = &m->words[i];
			if (!e->rest_len) {
				cb(user, e->id, (size_t)(w - t), wl);
				continue;
			}
			if (!*p || strncmp(after, e->rest, e->rest_len))
				continue;
			char end = after[e->rest_len];
			if (!e->prefix && end != ' ' && end != '\0')
				continue;
			size_t stop = (size_t)(after - t) + e->rest_len;
			while (e->prefix && t[stop] && t[stop] != ' ')
				stop++;
			cb(user, e->id, (size_t)(w - t), stop - (size_t)(w - t));
		}
		for (int i = 0; i < m->npre; i++) {
			const struct entry *e = &m->pre[i];
			if (wl >= e->first_len && !memcmp(w, e->first, e->first_len))
				cb(user, e->id, (size_t)(w - t), wl);
		}
		if (*p)
			p++;
	}
}

static void found_cb(void *user, int id, size_t pos, size_t len)
{
	(void)id, (void)pos, (void)len;
	*(int *)user = 1;
}

int sp_match_text(const char *text, const char *phrase)
{
	sp_matcher *m = sp_matcher_new();
	int found = 0;
	if (sp_matcher_add(m, phrase, 0) == SP_OK) {
		char *f = sp_match_fold(text);
		sp_matcher_scan(m, f, found_cb, &found);
		free(f);
	}
	sp_matcher_free(m);
	return found;
}
