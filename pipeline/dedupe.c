/*
 * dedupe.c — the dedupe stage (contract in dedupe.h).
 *
 * Memory: one struct per candidate plus its strings in an arena (about 200 bytes per record),
 * block entries (16 bytes each, about 4 per record), edges. No SQL per pair: one SELECT in,
 * one transaction of prepared INSERT/UPDATEs out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/dedupe.h"
#include "core/store.h"

/* ---------------------------------------------------------------- arena */

typedef struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	char data[];
} arena_blk;

typedef struct arena {
	arena_blk *head;
} arena;

static const char *arena_dup(arena *a, const char *s)
{
	if (!s || !*s)
		return NULL;
	size_t n = strlen(s) + 1;
	if (!a->head || a->head->used + n > a->head->cap) {
		size_t cap = n > (1 << 20) ? n : (1 << 20);
		arena_blk *b = sp_xmalloc(sizeof(*b) + cap);
		b->next = a->head, b->used = 0, b->cap = cap;
		a->head = b;
	}
	char *p = a->head->data + a->head->used;
	memcpy(p, s, n);
	a->head->used += n;
	return p;
}

static void arena_free(arena *a)
{
	while (a->head) {
		arena_blk *n = a->head->next;
		free(a->head);
		a->head = n;
	}
}

/* ---------------------------------------------------------------- similarity */

double sp_dedupe_jw(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la == 0 || lb == 0)
		return 0.0;
	if (la == lb && memcmp(a, b, la) == 0)
		return 1.0;
	if (la > 64 || lb > 64) { /* long names: compare prefixes only */
		la = la > 64 ? 64 : la;
		lb = lb > 64 ? 64 : lb;
	}
	size_t range = (la > lb ? la : lb) / 2;
	range = range ? range - 1 : 0;
	char ma[64] = { 0 }, mb[64] = { 0 };
	size_t m = 0;
	for (size_t i = 0; i < la; i++) {
		size_t lo = i > range ? i - range : 0, hi = i + range + 1 < lb ? i + range + 1 : lb;
		for (size_t j = lo; j < hi; j++)
			if (!mb[j] && a[i] == b[j]) {
				ma[i] = mb[j] = 1;
				m++;
				break;
			}
	}
	if (!m)
		return 0.0;
	size_t t = 0, k = 0;
	for (size_t i = 0; i < la; i++) {
		if (!ma[i])
			continue;
		while (!mb[k])
			k++;
		if (a[i] != b[k])
			t++;
		k++;
	}
	double md = (double)m;
	double jaro = (md / la + md / lb + (md - t / 2.0) / md) / 3.0;
	size_t l = 0;
	while (l < 4 && l < la && l < lb && a[l] == b[l])
		l++;
	return jaro + l * 0.1 * (1.0 - jaro);
}

int sp_dedupe_priority(const sp_config *cfg, const char *source)
{
	const sp_source *s = cfg && source ? sp_config_source(cfg, source) : NULL;
	return s ? s->priority : 0;
}

/* ---------------------------------------------------------------- data */

enum { R_OVERRIDE, R_REGNUM, R_RALINK, R_LEI, R_DOMAIN, R_EXACT, R_SUBSET, R_FUZZY, R_SINGLE };
static const char *const rule_names[] = { "override", "regnum", "ra_link", "lei", "domain",
					  "exact_name", "name_subset", "fuzzy_name", "single" };

typedef struct cand {
	int64_t rid, old_eid;
	const char *label; /* first label of the domain, without get/try/hello... prefixes and '-' */
	const char *source, *srckey, *name, *key, *compact, *city, *domain, *founded, *regnum, *ra, *hard,
		*lei, *first_seen, *city_raw, *website, *last_seen, *postcode;
	char country[3];
	int year, active, prio, alone;
	int amb; /* one-word names: distinct longer names starting with that word in the country */
	/* reason */
	int rule, peer;
	float score;
} cand;

typedef struct edge {
	int a, b, rule, ev; /* ev: corroborating evidence, orders edges of one rule */
	float score;
} edge;

typedef struct dd {
	sp_ctx *ctx;
	arena ar;
	cand *c;
	int n, cap;
	int *parent, *size, *anchor, *miny, *maxy;
	const char **hard, **lei;
	const char **country, **city, **domain;
	edge *e;
	size_t ne, ecap;
	long block_cap, window, domain_cap;
	long capped_blocks, largest_block, capped_domains, refused;
	int64_t pairs;
} dd;

static void edge_add(dd *d, int a, int b, int rule, float score, int ev)
{
	if (d->ne == d->ecap) {
		d->ecap = d->ecap ? d->ecap * 2 : 1024;
		d->e = sp_xrealloc(d->e, d->ecap * sizeof(*d->e));
	}
	if (a > b) {
		int t = a;
		a = b, b = t;
	}
	d->e[d->ne++] = (edge){ a, b, rule, ev, score };
}

static int uf_find(dd *d, int x)
{
	while (d->parent[x] != x) {
		d->parent[x] = d->parent[d->parent[x]];
		x = d->parent[x];
	}
	return x;
}

static int str_conflict(const char *a, const char *b) { return a && b && strcmp(a, b) != 0; }

static int names_close(const cand *a, const cand *b);

/* Try to union; returns 1 when joined (or already together), 0 when the guard refused. */
static int uf_union(dd *d, int a, int b, int rule, int ev)
{
	int ra = uf_find(d, a), rb = uf_find(d, b);
	if (ra == rb)
		return 1;
	if (rule != R_OVERRIDE) {
		if (str_conflict(d->hard[ra], d->hard[rb]) || str_conflict(d->lei[ra], d->lei[rb]))
			return 0;
		if (rule >= R_EXACT) {
			if (str_conflict(d->country[ra], d->country[rb]))
				return 0;
			if (ev < 2 && str_conflict(d->city[ra], d->city[rb]))
				return 0;
			if (str_conflict(d->domain[ra], d->domain[rb]))
				return 0;
			if (d->miny[ra] && d->miny[rb]) {
				int lo = d->miny[ra] < d->miny[rb] ? d->miny[ra] : d->miny[rb];
				int hi = d->maxy[ra] > d->maxy[rb] ? d->maxy[ra] : d->maxy[rb];
				if (hi - lo >= 2)
					return 0;
			}
			if (d->size[ra] + d->size[rb] > 100)
				return 0;
			if (!names_close(&d->c[d->anchor[ra]], &d->c[d->anchor[rb]]))
				return 0;
		}
	}
	if (d->size[ra] < d->size[rb] || (d->size[ra] == d->size[rb] && ra > rb)) {
		int t = ra;
		ra = rb, rb = t;
	}
	d->parent[rb] = ra;
	d->size[ra] += d->size[rb];
	if (d->anchor[rb] < d->anchor[ra])
		d->anchor[ra] = d->anchor[rb];
	if (!d->hard[ra])
		d->hard[ra] = d->hard[rb];
	if (!d->lei[ra])
		d->lei[ra] = d->lei[rb];
	if (!d->country[ra])
		d->country[ra] = d->country[rb];
	if (!d->city[ra])
		d->city[ra] = d->city[rb];
	if (!d->domain[ra])
		d->domain[ra] = d->domain[rb];
	if (d->miny[rb] && (!d->miny[ra] || d->miny[rb] < d->miny[ra]))
		d->miny[ra] = d->miny[rb];
	if (d->maxy[rb] > d->maxy[ra])
		d->maxy[ra] = d->maxy[rb];
	return 1;
}

static void reason_set(cand *x, int rule, float score, int peer)
{
	if (x->rule < 0 || rule < x->rule || (rule == x->rule && score > x->score)) {
		x->rule = rule;
		x->score = score;
		x->peer = peer;
	}
}

static void apply_edges(dd *d, size_t from)
{
	for (size_t i = from; i < d->ne; i++) {
		edge *e = &d->e[i];
		if (uf_union(d, e->a, e->b, e->rule, e->ev)) {
			reason_set(&d->c[e->a], e->rule, e->score, e->b);
			reason_set(&d->c[e->b], e->rule, e->score, e->a);
		} else
			d->refused++;
	}
}

/* ---------------------------------------------------------------- name comparison */

#define MAXTOK 16
typedef struct toks {
	const char *w[MAXTOK];
	int n[MAXTOK];
	int k;
} toks;

static void tokenize(const char *s, toks *t)
{
	t->k = 0;
	while (s && *s && t->k < MAXTOK) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		t->w[t->k] = w;
		t->n[t->k] = (int)(s - w);
		t->k++;
	}
}

static int tok_in(const toks *t, const char *w, int n)
{
	for (int i = 0; i < t->k; i++)
		if (t->n[i] == n && memcmp(t->w[i], w, (size_t)n) == 0)
			return 1;
	return 0;
}

/* Is every token of a in b? */
static int tok_subset(const toks *a, const toks *b)
{
	for (int i = 0; i < a->k; i++)
		if (!tok_in(b, a->w[i], a->n[i]))
			return 0;
	return 1;
}

static double tok_jw(const char *a, int na, const char *b, int nb)
{
	char x[65], y[65];
	na = na > 64 ? 64 : na, nb = nb > 64 ? 64 : nb;
	memcpy(x, a, (size_t)na), x[na] = 0;
	memcpy(y, b, (size_t)nb), y[nb] = 0;
	return sp_dedupe_jw(x, y);
}

/* Every token of a has a close token in b (JW >= 0.88, or equal for 1-2 letter tokens). */
static int tok_soft_all(const toks *a, const toks *b)
{
	for (int i = 0; i < a->k; i++) {
		int ok = 0;
		for (int j = 0; j < b->k && !ok; j++) {
			if (a->n[i] == b->n[j] && memcmp(a->w[i], b->w[j], (size_t)a->n[i]) == 0)
				ok = 1;
			else if (a->n[i] > 2 && b->n[j] > 2 && tok_jw(a->w[i], a->n[i], b->w[j], b->n[j]) >= 0.88)
				ok = 1;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* One edit (substitution, insertion, deletion, adjacent transposition) apart, the edit neither
 * on the first character (rarely mistyped; Jaro-Winkler's rationale) nor on the last (brands of
 * one family often differ only there: Voltix / Voltiq). */
static int typo1(const char *a, int na, const char *b, int nb)
{
	if (na < nb) {
		const char *t = a;
		int tn = na;
		a = b, na = nb, b = t, nb = tn;
	}
	if (na - nb > 1 || nb < 5 || a[0] != b[0]) /* first letters are rarely mistyped */
		return 0;
	int i = 0;
	while (i < nb && a[i] == b[i])
		i++;
	if (na == nb) {
		if (i == na)
			return 0;
		if (i + 1 < na && a[i] == b[i + 1] && a[i + 1] == b[i] && memcmp(a + i + 2, b + i + 2, (size_t)(na - i - 2)) == 0)
			return 1; /* transposition */
		return i < na - 1 && memcmp(a + i + 1, b + i + 1, (size_t)(na - i - 1)) == 0; /* substitution */
	}
	/* a is one longer: deletion at i */
	return i < na - 1 && memcmp(a + i + 1, b + i, (size_t)(nb - i)) == 0;
}

/* Same tokens except exactly one pair that is typo1 apart (in order). */
static int typo_name(const toks *a, const toks *b)
{
	if (a->k != b->k)
		return 0;
	int diff = 0;
	for (int i = 0; i < a->k; i++) {
		if (a->n[i] == b->n[i] && memcmp(a->w[i], b->w[i], (size_t)a->n[i]) == 0)
			continue;
		if (++diff > 1 || !typo1(a->w[i], a->n[i], b->w[i], b->n[i]))
			return 0;
	}
	return diff == 1;
}

/* Loose closeness for the chain guard: anchors of two clusters must look alike. */
static int names_close(const cand *a, const cand *b)
{
	if (!a->key || !b->key)
		return 1;
	if (strcmp(a->key, b->key) == 0)
		return 1;
	toks ta, tb;
	tokenize(a->key, &ta), tokenize(b->key, &tb);
	if (tok_subset(&ta, &tb) || tok_subset(&tb, &ta))
		return 1;
	return sp_dedupe_jw(a->compact, b->compact) >= 0.85;
}

/* Score one pair; add an edge when it is a match. */
static void compare(dd *d, int i, int j)
{
	cand *a = &d->c[i], *b = &d->c[j];
	d->pairs++;
	if (a->alone || b->alone || !a->key || !b->key)
		return;
	if (a->country[0] && b->country[0] && strcmp(a->country, b->country) != 0)
		return;
	if (str_conflict(a->hard, b->hard) || str_conflict(a->lei, b->lei))
		return;
	int ev = 0, contra = 0, strong = 0; /* strong: a shared website, postcode or name-named domain */
	if (a->city && b->city) {
		if (strcmp(a->city, b->city) == 0)
			ev++;
		else
			contra++;
	}
	if (a->year && b->year) {
		int dy = abs(a->year - b->year);
		if (dy == 0)
			ev++;
		else if (dy >= 2)
			return;
	}
	if (a->domain && b->domain) {
		if (strcmp(a->domain, b->domain) == 0)
			ev += 2, strong = 1;
		else
			contra++;
	}
	if (a->postcode && b->postcode) {
		if (strcmp(a->postcode, b->postcode) == 0)
			ev++, strong = 1;
		else
			contra++;
	}
	/* a website named after the other record's exact name ("trycybra.io" for "Cybra") */
	if (strcmp(a->compact, b->compact) != 0 &&
	    ((a->label && strcmp(a->label, b->compact) == 0) || (b->label && strcmp(b->label, a->compact) == 0)))
		ev += 2, strong = 1;
	/* one source rarely lists a company twice under two names: single clues count across sources */
	int two_sources = a->source != b->source && strcmp(a->source, b->source) != 0;
	/*
	 * Two different keys of one source under two different names are two companies unless
	 * something strong says otherwise: a snapshot lists each company once, and in a startup hub
	 * city and founding year are shared by look-alike names (CircleCi / CircleUp, San Francisco,
	 * 2011). Likewise a similar-but-not-typo name needs strong evidence anywhere.
	 */
	int name_rules_ok = two_sources || strong;
	int rule = -1;
	float score = 0;
	if (strcmp(a->key, b->key) == 0) {
		if (contra <= ev)
			rule = R_EXACT, score = 1.0f;
	} else {
		toks ta, tb;
		tokenize(a->key, &ta), tokenize(b->key, &tb);
		if (ta.k == tb.k && tok_subset(&ta, &tb) && tok_subset(&tb, &ta)) {
			if (contra <= ev)
				rule = R_EXACT, score = 0.99f;
		} else if (!name_rules_ok) {
			/* same source, different names, nothing strong: no fuzzy rule */
		} else if (tok_subset(&ta, &tb) || tok_subset(&tb, &ta)) {
			const cand *sh = ta.k < tb.k ? a : b;
			if (ev >= 2 && contra == 0)
				rule = R_SUBSET, score = 0.9f;
			/* a bare brand and the one longer name of that brand in its country, plus one clue */
			else if (ev == 1 && contra == 0 && (ta.k == 1 || tb.k == 1) && sh->amb == 1 && two_sources)
				rule = R_SUBSET, score = 0.85f;
		} else if (typo_name(&ta, &tb)) {
			if ((ev >= 2 || strong) && contra == 0)
				rule = R_FUZZY, score = (float)sp_dedupe_jw(a->compact, b->compact);
		} else if (ta.k == tb.k && tok_soft_all(&ta, &tb) && tok_soft_all(&tb, &ta)) {
			double jw = sp_dedupe_jw(a->compact, b->compact);
			size_t len = strlen(a->compact) < strlen(b->compact) ? strlen(a->compact) : strlen(b->compact);
			(void)len;
			if (jw >= 0.90 && ev >= 2 && strong && contra == 0)
				rule = R_FUZZY, score = (float)jw;
		}
	}
	if (rule >= 0)
		edge_add(d, i, j, rule, score, ev - contra);
}

/* ---------------------------------------------------------------- blocking */

typedef struct bent {
	uint64_t h;
	int idx;
} bent;

static uint64_t fnv(const char *s, size_t n, uint64_t seed)
{
	uint64_t h = 1469598103934665603ULL ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int bent_cmp(const void *x, const void *y)
{
	const bent *a = x, *b = y;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->idx - b->idx;
}

static dd *g_sort_dd; /* qsort context for window_cmp (single-threaded stage) */
static int window_cmp(const void *x, const void *y)
{
	const cand *a = &g_sort_dd->c[((const bent *)x)->idx], *b = &g_sort_dd->c[((const bent *)y)->idx];
	int c = strcmp(a->country, b->country);
	if (c)
		return c;
	c = strcmp(a->compact ? a->compact : "", b->compact ? b->compact : "");
	if (c)
		return c;
	return ((const bent *)x)->idx - ((const bent *)y)->idx;
}

static void compare_block(dd *d, bent *blk, size_t n)
{
	if (n < 2)
		return;
	if ((long)n <= d->block_cap) {
		for (size_t x = 0; x < n; x++)
			for (size_t y = x + 1; y < n; y++)
				if (uf_find(d, blk[x].idx) != uf_find(d, blk[y].idx))
					compare(d, blk[x].idx, blk[y].idx);
		return;
	}
	d->capped_blocks++;
	if ((long)n > d->largest_block)
		d->largest_block = (long)n;
	g_sort_dd = d;
	qsort(blk, n, sizeof(*blk), window_cmp);
	for (size_t x = 0; x < n; x++)
		for (size_t y = x + 1; y < n && (long)(y - x) <= d->window; y++)
			if (uf_find(d, blk[x].idx) != uf_find(d, blk[y].idx))
				compare(d, blk[x].idx, blk[y].idx);
}

typedef struct brent {
	const char *country, *first, *key;
	int nfirst, idx;
} brent;

static int brent_cmp(const void *x, const void *y)
{
	const brent *a = x, *b = y;
	int c = strcmp(a->country, b->country);
	if (c)
		return c;
	int n = a->nfirst < b->nfirst ? a->nfirst : b->nfirst;
	c = memcmp(a->first, b->first, (size_t)n);
	if (c || a->nfirst != b->nfirst)
		return c ? c : a->nfirst - b->nfirst;
	c = strcmp(a->key, b->key);
	return c ? c : a->idx - b->idx;
}

/* For each one-word name: how many distinct longer names start with that word in its country
 * ("Voltiq" with "Voltiq Energie" only: 1; with "Voltiq Mobility" too: 2, ambiguous). */
static void brand_ambiguity(dd *d)
{
	brent *b = sp_xmalloc(((size_t)d->n + 1) * sizeof(*b));
	size_t n = 0;
	for (int i = 0; i < d->n; i++) {
		cand *x = &d->c[i];
		if (!x->key || !x->country[0])
			continue;
		int nf = (int)strcspn(x->key, " ");
		b[n++] = (brent){ x->country, x->key, x->key, nf, i };
	}
	qsort(b, n, sizeof(*b), brent_cmp);
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && strcmp(b[e].country, b[s].country) == 0 && b[e].nfirst == b[s].nfirst &&
		       memcmp(b[e].first, b[s].first, (size_t)b[s].nfirst) == 0)
			e++;
		int distinct = 0;
		for (size_t k = s; k < e; k++)
			if (b[k].key[b[k].nfirst] == ' ' && (k == s || strcmp(b[k].key, b[k - 1].key) != 0))
				distinct++;
		for (size_t k = s; k < e; k++)
			if (!b[k].key[b[k].nfirst])
				d->c[b[k].idx].amb = distinct;
		s = e;
	}
	free(b);
}

static void fuzzy_pass(dd *d)
{
	brand_ambiguity(d);
	/* document frequency of every token */
	size_t nt = 0, tcap = (size_t)d->n * 3 + 16;
	bent *tk = sp_xmalloc(tcap * sizeof(*tk));
	for (int i = 0; i < d->n; i++) {
		toks t;
		tokenize(d->c[i].key, &t);
		for (int k = 0; k < t.k; k++) {
			if (nt == tcap) {
				tcap *= 2;
				tk = sp_xrealloc(tk, tcap * sizeof(*tk));
			}
			tk[nt++] = (bent){ fnv(t.w[k], (size_t)t.n[k], 1), i };
		}
	}
	qsort(tk, nt, sizeof(*tk), bent_cmp);
	/* block entries: two rarest tokens, exact key, prefix */
	size_t nb = 0, bcap = (size_t)d->n * 4 + 16;
	bent *bl = sp_xmalloc(bcap * sizeof(*bl));
	for (int i = 0; i < d->n; i++) {
		cand *x = &d->c[i];
		if (!x->key || x->alone)
			continue;
		toks t;
		tokenize(x->key, &t);
		uint64_t best[2] = { 0, 0 };
		size_t bdf[2] = { (size_t)-1, (size_t)-1 };
		for (int k = 0; k < t.k; k++) {
			if (t.n[k] < 2)
				continue;
			uint64_t h = fnv(t.w[k], (size_t)t.n[k], 1);
			/* df by binary search for the first and last entries with this hash */
			size_t lo = 0, hi = nt;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (tk[mid].h < h)
					lo = mid + 1;
				else
					hi = mid;
			}
			size_t s = lo;
			hi = nt;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (tk[mid].h <= h)
					lo = mid + 1;
				else
					hi = mid;
			}
			size_t df = lo - s;
			if (h == best[0] || h == best[1])
				continue;
			if (df < bdf[0] || (df == bdf[0] && h < best[0])) {
				best[1] = best[0], bdf[1] = bdf[0];
				best[0] = h, bdf[0] = df;
			} else if (df < bdf[1] || (df == bdf[1] && h < best[1])) {
				best[1] = h, bdf[1] = df;
			}
		}
		if (nb + 24 > bcap) {
			bcap *= 2;
			bl = sp_xrealloc(bl, bcap * sizeof(*bl));
		}
		for (int k = 0; k < 2; k++)
			if (bdf[k] != (size_t)-1)
				bl[nb++] = (bent){ best[k] ^ 0x5bd1e995ULL, i };
		/* exact compact name; a domain label meets the record named like it */
		bl[nb++] = (bent){ fnv(x->compact, strlen(x->compact), 2), i };
		if (x->label && strcmp(x->label, x->compact) != 0)
			bl[nb++] = (bent){ fnv(x->label, strlen(x->label), 2), i };
		/* one-deletion neighbourhood of the first token (+ the second): typos meet */
		if (t.k >= 1 && t.n[0] >= 4 && t.n[0] <= 16) {
			char v[64];
			int n0 = t.n[0], n1 = t.k > 1 ? (t.n[1] < 30 ? t.n[1] : 30) : 0;
			for (int del = -1; del < n0; del++) {
				int m = 0;
				for (int q = 0; q < n0; q++)
					if (q != del)
						v[m++] = t.w[0][q];
				v[m++] = ' ';
				memcpy(v + m, t.k > 1 ? t.w[1] : "", (size_t)n1);
				m += n1;
				bl[nb++] = (bent){ fnv(v, (size_t)m, 4), i };
			}
		}
		size_t cl = strlen(x->compact);
		if (cl >= 4)
			bl[nb++] = (bent){ fnv(x->compact, cl < 6 ? cl : 6, 3), i };
	}
	free(tk);
	qsort(bl, nb, sizeof(*bl), bent_cmp);
	for (size_t s = 0; s < nb;) {
		size_t e = s + 1;
		while (e < nb && bl[e].h == bl[s].h)
			e++;
		compare_block(d, bl + s, e - s);
		s = e;
	}
	free(bl);
}

/* ---------------------------------------------------------------- deterministic keys */

typedef struct kent {
	const char *k;
	int idx, kind;
} kent;

static int kent_cmp(const void *x, const void *y)
{
	const kent *a = x, *b = y;
	int c = strcmp(a->k, b->k);
	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind - b->kind;
	return a->idx - b->idx;
}

static void key_links(dd *d)
{
	kent *k = sp_xmalloc(((size_t)d->n * 2 + 1) * sizeof(*k));
	size_t n;
	/* registry keys and GLEIF RA links */
	n = 0;
	for (int i = 0; i < d->n; i++) {
		if (d->c[i].alone)
			continue;
		if (d->c[i].regnum)
			k[n++] = (kent){ d->c[i].regnum, i, 0 };
		if (d->c[i].ra)
			k[n++] = (kent){ d->c[i].ra, i, 1 };
	}
	qsort(k, n, sizeof(*k), kent_cmp);
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && strcmp(k[e].k, k[s].k) == 0)
			e++;
		for (size_t x = s + 1; x < e; x++)
			if (k[x].idx != k[s].idx)
				edge_add(d, k[s].idx, k[x].idx, (k[s].kind || k[x].kind) ? R_RALINK : R_REGNUM, 1.0f, 9);
		s = e;
	}
	/* LEI */
	n = 0;
	for (int i = 0; i < d->n; i++)
		if (!d->c[i].alone && d->c[i].lei)
			k[n++] = (kent){ d->c[i].lei, i, 0 };
	qsort(k, n, sizeof(*k), kent_cmp);
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && strcmp(k[e].k, k[s].k) == 0)
			e++;
		for (size_t x = s + 1; x < e; x++)
			edge_add(d, k[s].idx, k[x].idx, R_LEI, 1.0f, 9);
		s = e;
	}
	size_t det = 0;
	apply_edges(d, det);
	det = d->ne;
	/* domains: every pair of a small group, when countries agree or names are close */
	n = 0;
	for (int i = 0; i < d->n; i++)
		if (!d->c[i].alone && d->c[i].domain)
			k[n++] = (kent){ d->c[i].domain, i, 0 };
	qsort(k, n, sizeof(*k), kent_cmp);
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && strcmp(k[e].k, k[s].k) == 0)
			e++;
		if ((long)(e - s) > d->domain_cap) {
			d->capped_domains++;
		} else {
			for (size_t x = s; x < e; x++)
				for (size_t y = x + 1; y < e; y++) {
					cand *a = &d->c[k[x].idx], *b = &d->c[k[y].idx];
					int same_country = !a->country[0] || !b->country[0] || strcmp(a->country, b->country) == 0;
					/* one website, two postal addresses: branches of a chain, not one record twice */
					if (str_conflict(a->postcode, b->postcode))
						continue;
					if (same_country || names_close(a, b))
						edge_add(d, k[x].idx, k[y].idx, R_DOMAIN, 1.0f, 9);
				}
		}
		s = e;
	}
	free(k);
	apply_edges(d, det);
}

/* ---------------------------------------------------------------- load */

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int load(dd *d)
{
	sp_ctx *ctx = d->ctx;
	sqlite3_stmt *s;
	int rc = sp_store_prepare(ctx->db,
				  "SELECT c.record_id, c.source, r.source_key, c.name, c.name_key, c.country, c.city_key,"
				  " c.domain, c.founded, c.founded_year, c.regnum_key, c.lei, c.ra_key, c.active, c.first_seen,"
				  " r.city, r.website, r.last_seen, m.entity_id, r.postcode"
				  " FROM candidate c JOIN record r ON r.id = c.record_id"
				  " LEFT JOIN member m ON m.record_id = c.record_id ORDER BY c.record_id",
				  &s, ctx->err);
	if (rc != SP_OK)
		return rc;
	const char *last_src = NULL;
	int last_prio = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 1024;
			d->c = sp_xrealloc(d->c, (size_t)d->cap * sizeof(*d->c));
		}
		cand *x = &d->c[d->n++];
		memset(x, 0, sizeof(*x));
		x->rid = sqlite3_column_int64(s, 0);
		const char *src = col(s, 1);
		if (!last_src || strcmp(last_src, src) != 0) {
			last_src = arena_dup(&d->ar, src);
			last_prio = sp_dedupe_priority(ctx->cfg, src);
		}
		x->source = last_src;
		x->prio = last_prio;
		x->srckey = arena_dup(&d->ar, col(s, 2));
		x->name = arena_dup(&d->ar, col(s, 3));
		x->key = arena_dup(&d->ar, col(s, 4));
		if (x->key) {
			char buf[512];
			size_t m = 0;
			for (const char *p = x->key; *p && m + 1 < sizeof(buf); p++)
				if (*p != ' ')
					buf[m++] = *p;
			buf[m] = 0;
			x->compact = arena_dup(&d->ar, buf);
		}
		if (!x->compact)
			x->compact = "";
		const char *cc = col(s, 5);
		if (cc && strlen(cc) == 2)
			memcpy(x->country, cc, 3);
		x->city = arena_dup(&d->ar, col(s, 6));
		x->domain = arena_dup(&d->ar, col(s, 7));
		x->founded = arena_dup(&d->ar, col(s, 8));
		if (x->domain) {
			static const char *const pre[] = { "get", "try", "hello", "use", "join", "go", "my", "the", "with" };
			const char *p = x->domain;
			size_t ln = strcspn(p, ".");
			for (size_t k = 0; k < SP_ARRAY_LEN(pre); k++) {
				size_t pl = strlen(pre[k]);
				if (ln > pl + 2 && strncmp(p, pre[k], pl) == 0) {
					p += pl, ln -= pl;
					break;
				}
			}
			char lb[128];
			size_t m = 0;
			for (size_t k = 0; k < ln && m + 1 < sizeof(lb); k++)
				if (p[k] != '-')
					lb[m++] = p[k];
			lb[m] = 0;
			x->label = arena_dup(&d->ar, lb);
		}
		x->year = sqlite3_column_int(s, 9);
		x->regnum = arena_dup(&d->ar, col(s, 10));
		x->lei = arena_dup(&d->ar, col(s, 11));
		x->ra = arena_dup(&d->ar, col(s, 12));
		x->hard = x->regnum ? x->regnum : x->ra;
		x->active = sqlite3_column_type(s, 13) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 13);
		x->first_seen = arena_dup(&d->ar, col(s, 14));
		x->city_raw = arena_dup(&d->ar, col(s, 15));
		x->website = arena_dup(&d->ar, col(s, 16));
		x->last_seen = arena_dup(&d->ar, col(s, 17));
		x->old_eid = sqlite3_column_int64(s, 18);
		const char *pc = col(s, 19);
		if (pc) { /* postcode key: upper-case letters and digits */
			char pb[32];
			size_t m = 0;
			for (; *pc && m + 1 < sizeof(pb); pc++)
				if ((*pc >= '0' && *pc <= '9') || (*pc >= 'A' && *pc <= 'Z'))
					pb[m++] = *pc;
				else if (*pc >= 'a' && *pc <= 'z')
					pb[m++] = (char)(*pc - 32);
			pb[m] = 0;
			x->postcode = arena_dup(&d->ar, pb);
		}
		x->rule = -1;
		x->peer = -1;
	}
	if (rc != SQLITE_DONE) {
		rc = sp_store_error(ctx->db, ctx->err, "dedupe: reading candidates");
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return SP_OK;
}

/* ---------------------------------------------------------------- overrides */

static dd *g_ref_dd;
static int ref_cmp(const void *x, const void *y)
{
	const cand *a = &g_ref_dd->c[*(const int *)x], *b = &g_ref_dd->c[*(const int *)y];
	int c = strcmp(a->source, b->source);
	return c ? c : strcmp(a->srckey ? a->srckey : "", b->srckey ? b->srckey : "");
}

static int ref_find(dd *d, const int *by, const char *ref)
{
	const char *colon = ref ? strchr(ref, ':') : NULL;
	if (!colon)
		return -1;
	size_t sl = (size_t)(colon - ref);
	int lo = 0, hi = d->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		const cand *x = &d->c[by[mid]];
		int c = strncmp(x->source, ref, sl);
		if (c == 0 && x->source[sl])
			c = 1;
		if (c == 0)
			c = strcmp(x->srckey ? x->srckey : "", colon + 1);
		if (c == 0)
			return by[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int overrides(dd *d, long *nover)
{
	sqlite3_stmt *s;
	int rc = sp_store_prepare(d->ctx->db, "SELECT kind, a, b FROM override ORDER BY id", &s, d->ctx->err);
	if (rc != SP_OK)
		return rc;
	int *by = sp_xmalloc(((size_t)d->n + 1) * sizeof(int));
	for (int i = 0; i < d->n; i++)
		by[i] = i;
	g_ref_dd = d;
	qsort(by, (size_t)d->n, sizeof(int), ref_cmp);
	int *la = NULL, *lb = NULL;
	size_t nl = 0, lcap = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *kind = col(s, 0);
		int a = ref_find(d, by, col(s, 1));
		if (a < 0)
			continue;
		if (strcmp(kind, "unlink") == 0) {
			d->c[a].alone = 1;
			size_t w = 0; /* drop earlier links touching a */
			for (size_t i = 0; i < nl; i++)
				if (la[i] != a && lb[i] != a)
					la[w] = la[i], lb[w] = lb[i], w++;
			nl = w;
		} else {
			int b = ref_find(d, by, col(s, 2));
			if (b < 0 || b == a)
				continue;
			if (nl == lcap) {
				lcap = lcap ? lcap * 2 : 16;
				la = sp_xrealloc(la, lcap * sizeof(int));
				lb = sp_xrealloc(lb, lcap * sizeof(int));
			}
			la[nl] = a, lb[nl] = b, nl++;
		}
		(*nover)++;
	}
	sqlite3_finalize(s);
	for (size_t i = 0; i < nl; i++)
		edge_add(d, la[i], lb[i], R_OVERRIDE, 1.0f, 9);
	apply_edges(d, 0);
	free(la), free(lb), free(by);
	return SP_OK;
}

/* ---------------------------------------------------------------- clusters, ids, output */

typedef struct gm {
	int root, idx;
} gm;

static dd *g_gm_dd;
static int gm_cmp(const void *x, const void *y) /* by cluster (earliest record), then golden order */
{
	const gm *a = x, *b = y;
	const cand *ca = &g_gm_dd->c[a->idx], *cb = &g_gm_dd->c[b->idx];
	int aa = g_gm_dd->anchor[a->root], ab = g_gm_dd->anchor[b->root];
	if (aa != ab)
		return aa < ab ? -1 : 1;
	if (ca->prio != cb->prio)
		return ca->prio > cb->prio ? -1 : 1;
	int c = strcmp(cb->last_seen ? cb->last_seen : "", ca->last_seen ? ca->last_seen : "");
	if (c)
		return c;
	return ca->rid > cb->rid ? -1 : (ca->rid < cb->rid);
}

typedef struct claim {
	int64_t eid;
	int g, count;
} claim;

static int claim_cmp(const void *x, const void *y)
{
	const claim *a = x, *b = y;
	if (a->eid != b->eid)
		return a->eid < b->eid ? -1 : 1;
	return a->g - b->g;
}

static int write_out(dd *d, sp_counts *cnt)
{
	sp_ctx *ctx = d->ctx;
	int n = d->n, rc;
	gm *m = sp_xmalloc(((size_t)n + 1) * sizeof(*m));
	for (int i = 0; i < n; i++)
		m[i] = (gm){ uf_find(d, i), i };
	g_gm_dd = d;
	qsort(m, (size_t)n, sizeof(*m), gm_cmp);
	/* groups */
	int ng = 0;
	int *gstart = sp_xmalloc(((size_t)n + 2) * sizeof(int));
	for (int i = 0; i < n; i++)
		if (i == 0 || m[i].root != m[i - 1].root)
			gstart[ng++] = i;
	gstart[ng] = n;
	/* claims of old ids */
	claim *cl = sp_xmalloc(((size_t)n + 1) * sizeof(*cl));
	size_t ncl = 0;
	for (int g = 0; g < ng; g++)
		for (int i = gstart[g]; i < gstart[g + 1]; i++)
			if (d->c[m[i].idx].old_eid > 0)
				cl[ncl++] = (claim){ d->c[m[i].idx].old_eid, g, 1 };
	qsort(cl, ncl, sizeof(*cl), claim_cmp);
	int64_t *gid = sp_xcalloc((size_t)ng + 1, sizeof(int64_t));
	/* winners: per old id, the group with most members (ties: lower g = earlier record) */
	int64_t *won = sp_xmalloc((ncl + 1) * sizeof(int64_t));
	int *won_g = sp_xmalloc((ncl + 1) * sizeof(int));
	size_t nwon = 0;
	for (size_t s = 0; s < ncl;) {
		size_t e = s;
		int bestg = -1, bestc = 0;
		while (e < ncl && cl[e].eid == cl[s].eid) {
			size_t f = e;
			int c = 0;
			while (f < ncl && cl[f].eid == cl[e].eid && cl[f].g == cl[e].g)
				f++, c++;
			if (c > bestc)
				bestc = c, bestg = cl[e].g;
			e = f;
		}
		won[nwon] = cl[s].eid, won_g[nwon] = bestg, nwon++;
		s = e;
	}
	/* each group keeps the smallest id it won (won[] is in ascending id order) */
	for (size_t w = 0; w < nwon; w++)
		if (!gid[won_g[w]])
			gid[won_g[w]] = won[w];
	int64_t next_id = 0;
	if ((rc = sp_store_int(ctx->db, "SELECT COALESCE(max(id),0) FROM entity", &next_id, ctx->err)) != SP_OK)
		goto out;
	long created = 0, merged = 0;
	for (int g = 0; g < ng; g++)
		if (!gid[g])
			gid[g] = ++next_id, created++;

	sqlite3_stmt *ent = NULL, *mem = NULL, *mrg = NULL, *mrg2 = NULL, *mrg3 = NULL;
	if ((rc = sp_store_exec(ctx->db, "PRAGMA cache_size = -262144", ctx->err)) != SP_OK)
		goto out;
	if ((rc = sp_store_begin(ctx->db, ctx->err)) != SP_OK)
		goto out;
	if ((rc = sp_store_exec(ctx->db, "DELETE FROM member", ctx->err)) != SP_OK)
		goto fail;
	if ((rc = sp_store_prepare(ctx->db,
				   "INSERT INTO entity (id, name, country, city, founded, website, first_seen, cohort,"
				   " created_run, merged_into, active, nsources) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,NULL,?10,?11)"
				   " ON CONFLICT(id) DO UPDATE SET name = excluded.name, country = excluded.country,"
				   " city = excluded.city, founded = excluded.founded, website = excluded.website,"
				   " first_seen = excluded.first_seen, cohort = excluded.cohort, merged_into = NULL,"
				   " active = excluded.active, nsources = excluded.nsources",
				   &ent, ctx->err)) != SP_OK)
		goto fail;
	if ((rc = sp_store_prepare(ctx->db,
				   "INSERT INTO member (record_id, entity_id, rule, score, peer_record_id, run_id)"
				   " VALUES (?1,?2,?3,?4,?5,?6)",
				   &mem, ctx->err)) != SP_OK)
		goto fail;
	if ((rc = sp_store_prepare(ctx->db, "UPDATE entity SET merged_into = ?2, nsources = 0 WHERE id = ?1", &mrg,
				   ctx->err)) != SP_OK)
		goto fail;
	if ((rc = sp_store_prepare(ctx->db,
				   "INSERT OR REPLACE INTO entity_merge (old_id, into_id, run_id, reason) VALUES (?1,?2,?3,?4)",
				   &mrg2, ctx->err)) != SP_OK)
		goto fail;
	if ((rc = sp_store_prepare(ctx->db,
				   "UPDATE entity_merge SET into_id = ?2 WHERE into_id = ?1",
				   &mrg3, ctx->err)) != SP_OK)
		goto fail;
	const char **srcs = sp_xmalloc(((size_t)n + 1) * sizeof(char *));
	for (int g = 0; g < ng; g++) {
		const cand *name = NULL, *country = NULL, *city = NULL, *founded = NULL, *web = NULL, *act = NULL;
		const char *fs = NULL;
		int nsrc = 0;
		for (int i = gstart[g]; i < gstart[g + 1]; i++) {
			const cand *x = &d->c[m[i].idx];
			if (!name && x->name) name = x;
			if (!country && x->country[0]) country = x;
			if (!city && x->city_raw) city = x;
			if (!founded && x->founded) founded = x;
			if (!web && (x->website || x->domain)) web = x;
			if (!act && x->active >= 0) act = x;
			if (x->first_seen && (!fs || strcmp(x->first_seen, fs) < 0))
				fs = x->first_seen;
			int seen = 0;
			for (int k = 0; k < nsrc && !seen; k++)
				seen = srcs[k] == x->source || strcmp(srcs[k], x->source) == 0;
			if (!seen)
				srcs[nsrc++] = x->source;
		}
		sqlite3_bind_int64(ent, 1, gid[g]);
		sp_bind_text(ent, 2, name ? name->name : NULL);
		sp_bind_text(ent, 3, country ? country->country : NULL);
		sp_bind_text(ent, 4, city ? city->city_raw : NULL);
		sp_bind_text(ent, 5, founded ? founded->founded : NULL);
		sp_bind_text(ent, 6, web ? (web->website ? web->website : web->domain) : NULL);
		sp_bind_text(ent, 7, fs);
		if (fs)
			sqlite3_bind_int(ent, 8, atoi(fs));
		else
			sqlite3_bind_null(ent, 8);
		sqlite3_bind_int64(ent, 9, ctx->run_id);
		if (act)
			sqlite3_bind_int(ent, 10, act->active);
		else
			sqlite3_bind_null(ent, 10);
		sqlite3_bind_int(ent, 11, nsrc);
		if ((rc = sp_store_step_done(ctx->db, ent, ctx->err)) != SP_OK)
			break;
		for (int i = gstart[g]; i < gstart[g + 1] && rc == SP_OK; i++) {
			const cand *x = &d->c[m[i].idx];
			int single = gstart[g + 1] - gstart[g] == 1 || x->rule < 0;
			sqlite3_bind_int64(mem, 1, x->rid);
			sqlite3_bind_int64(mem, 2, gid[g]);
			sp_bind_text(mem, 3, rule_names[single ? R_SINGLE : x->rule]);
			sqlite3_bind_double(mem, 4, single ? 1.0 : (double)x->score);
			if (!single && x->peer >= 0)
				sqlite3_bind_int64(mem, 5, d->c[x->peer].rid);
			else
				sqlite3_bind_null(mem, 5);
			sqlite3_bind_int64(mem, 6, ctx->run_id);
			rc = sp_store_step_done(ctx->db, mem, ctx->err);
		}
		if (rc != SP_OK)
			break;
	}
	free(srcs);
	/* old ids that lost to a smaller id in the same group: merged */
	for (size_t w = 0; w < nwon && rc == SP_OK; w++) {
		int64_t into = gid[won_g[w]];
		if (won[w] == into)
			continue;
		merged++;
		sqlite3_bind_int64(mrg, 1, won[w]);
		sqlite3_bind_int64(mrg, 2, into);
		if ((rc = sp_store_step_done(ctx->db, mrg, ctx->err)) != SP_OK)
			break;
		sqlite3_bind_int64(mrg2, 1, won[w]);
		sqlite3_bind_int64(mrg2, 2, into);
		sqlite3_bind_int64(mrg2, 3, ctx->run_id);
		sp_bind_text(mrg2, 4, "clusters joined");
		if ((rc = sp_store_step_done(ctx->db, mrg2, ctx->err)) != SP_OK)
			break;
		sqlite3_bind_int64(mrg3, 1, won[w]);
		sqlite3_bind_int64(mrg3, 2, into);
		if ((rc = sp_store_step_done(ctx->db, mrg3, ctx->err)) != SP_OK)
			break;
	}
	if (rc == SP_OK)
		rc = sp_store_exec(ctx->db,
				   "UPDATE entity SET merged_into = (SELECT into_id FROM entity_merge WHERE old_id = entity.id)"
				   " WHERE merged_into IS NOT NULL AND id IN (SELECT old_id FROM entity_merge);"
				   "UPDATE entity SET nsources = 0, active = NULL WHERE merged_into IS NULL AND nsources != 0"
				   " AND id NOT IN (SELECT entity_id FROM member)",
				   ctx->err);
	sqlite3_finalize(ent), sqlite3_finalize(mem), sqlite3_finalize(mrg), sqlite3_finalize(mrg2), sqlite3_finalize(mrg3);
	ent = mem = mrg = mrg2 = mrg3 = NULL;
	if (rc != SP_OK)
		goto fail;
	if ((rc = sp_store_commit(ctx->db, ctx->err)) != SP_OK)
		goto fail;
	cnt->out = ng;
	snprintf(cnt->note, sizeof(cnt->note),
		 "%d entities (%ld new, %ld merged); %lld pairs compared; blocks over cap %ld: %ld (largest %ld, "
		 "window %ld); domains over cap %ld: %ld; guard refused %ld",
		 ng, created, merged, (long long)d->pairs, d->block_cap, d->capped_blocks, d->largest_block, d->window,
		 d->domain_cap, d->capped_domains, d->refused);
	goto out;
fail:
	sqlite3_finalize(ent), sqlite3_finalize(mem), sqlite3_finalize(mrg), sqlite3_finalize(mrg2), sqlite3_finalize(mrg3);
	sp_store_rollback(ctx->db);
out:
	free(m), free(gstart), free(cl), free(gid), free(won), free(won_g);
	return rc;
}

static int edge_cmp(const void *x, const void *y)
{
	const edge *a = x, *b = y;
	if (a->rule != b->rule)
		return a->rule - b->rule;
	if (a->ev != b->ev)
		return a->ev > b->ev ? -1 : 1;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->a != b->a)
		return a->a - b->a;
	return a->b - b->b;
}

int sp_stage_dedupe(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	(void)src;
	dd d;
	memset(&d, 0, sizeof(d));
	d.ctx = ctx;
	d.block_cap = sp_config_get_long(ctx->cfg, "dedupe", "block_cap", 50);
	d.window = sp_config_get_long(ctx->cfg, "dedupe", "window", 20);
	d.domain_cap = sp_config_get_long(ctx->cfg, "dedupe", "domain_cap", 20);
	int rc = load(&d);
	if (rc != SP_OK)
		goto out;
	c->in = d.n;
	size_t n1 = (size_t)d.n + 1;
	d.parent = sp_xmalloc(n1 * sizeof(int));
	d.size = sp_xmalloc(n1 * sizeof(int));
	d.anchor = sp_xmalloc(n1 * sizeof(int));
	d.miny = sp_xmalloc(n1 * sizeof(int));
	d.maxy = sp_xmalloc(n1 * sizeof(int));
	d.hard = sp_xmalloc(n1 * sizeof(char *));
	d.lei = sp_xmalloc(n1 * sizeof(char *));
	d.country = sp_xmalloc(n1 * sizeof(char *));
	d.city = sp_xmalloc(n1 * sizeof(char *));
	d.domain = sp_xmalloc(n1 * sizeof(char *));
	for (int i = 0; i < d.n; i++) {
		d.parent[i] = i, d.size[i] = 1, d.anchor[i] = i;
		d.miny[i] = d.maxy[i] = d.c[i].year;
		d.hard[i] = d.c[i].hard;
		d.lei[i] = d.c[i].lei;
		d.country[i] = d.c[i].country[0] ? d.c[i].country : NULL;
		d.city[i] = d.c[i].city;
		d.domain[i] = d.c[i].domain;
	}
	long nover = 0;
	if ((rc = overrides(&d, &nover)) != SP_OK)
		goto out;
	key_links(&d);
	size_t from = d.ne;
	fuzzy_pass(&d);
	/* fuzzy edges: best first, then by records (deterministic) */
	if (d.ne - from > 1)
		qsort(d.e + from, d.ne - from, sizeof(*d.e), edge_cmp);
	apply_edges(&d, from);
	rc = write_out(&d, c);
out:
	free(d.c), free(d.parent), free(d.size), free(d.anchor), free(d.miny), free(d.maxy);
	free(d.hard), free(d.lei), free(d.country), free(d.city), free(d.domain), free(d.e);
	arena_free(&d.ar);
	return rc;
}

