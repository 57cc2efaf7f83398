/*
 * dedupe.c — the dedupe stage's driver and its linking rules (contract in dedupe.h).
 *
 * What it does: sp_stage_dedupe() loads the candidates (dedupe_load.c), applies overrides, then
 * links records in the order of dedupe.h — registry keys, RA links, LEIs, domains, then fuzzy
 * names inside blocks — each link a union-find union checked by the chain guard (uf_union), and
 * hands the clusters to the writer (dedupe_write.c). Jaro-Winkler and the source priority live
 * here too.
 *
 * Invariants: every decision depends only on the candidates and the config, never on memory
 * addresses or hash order, so a rerun on unchanged input makes the same clusters: edges of a
 * pass are applied in a fixed order (fuzzy edges sorted by rule, evidence, score, records), and
 * every sort breaks ties by candidate index. A union refused by the guard is counted, not retried.
 *
 * Memory: one struct per candidate plus its strings in an arena (about 200 bytes per record),
 * block entries (16 bytes each, about 4 per record), edges. No SQL per pair: one SELECT in,
 * one transaction of prepared INSERT/UPDATEs out. The dd and everything hanging off it belong to
 * sp_stage_dedupe, which frees them on every path.
 *
 * Progress (core/progress.h): loading, comparing (blocks, with the total: a percentage and an
 * ETA) and writing. A stop request (core/stop.h) is looked at while loading, every 1024 blocks
 * compared and every 1024 clusters written: the stage then returns SP_EINTERRUPTED having
 * written nothing (the writer's transaction is rolled back).
 *
 * Failure: only reading and writing the database can fail (SP_EDB, ctx->err set); linking
 * itself cannot (allocation failure aborts, as everywhere in sparker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/stop.h"
#include "core/store.h"
#include "pipeline/dedupe.h"
#include "pipeline/dedupe_int.h"
#include "pipeline/mention.h"
#include "pipeline/redirect.h"

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

/* ---------------------------------------------------------------- edges and clusters */

void dd_edge_add(dd *d, int a, int b, int rule, float score, int ev)
{
	if (d->ne == d->ecap) {
		d->ecap = d->ecap ? d->ecap * 2 : 1024;
		d->e = sp_xrealloc(d->e, d->ecap * sizeof(*d->e));
	}
	if (a > b) {
		int t = a;
		a = b, b = t;
	}
	d->e[d->ne++] = (edge){ a, b, rule, ev, DD_NOTE_NONE, score };
}

int dd_find(dd *d, int x)
{
	while (d->parent[x] != x) {
		d->parent[x] = d->parent[d->parent[x]];
		x = d->parent[x];
	}
	return x;
}

static int str_conflict(const char *a, const char *b) { return a && b && strcmp(a, b) != 0; }

static int names_close(const cand *a, const cand *b);

/* Would joining roots ra and rb put both records of an analyst's `apart` pair in one cluster? */
static int apart_between(dd *d, int ra, int rb)
{
	if (!d->napart_root[ra] || !d->napart_root[rb])
		return 0;
	for (size_t k = 0; k < d->napart; k++) {
		int x = dd_find(d, d->apart[k].a), y = dd_find(d, d->apart[k].b);
		if ((x == ra && y == rb) || (x == rb && y == ra))
			return 1;
	}
	return 0;
}

/* Why the chain guard refuses to join roots ra and rb under rule (NULL: it does not). */
static const char *guard_refusal(dd *d, int ra, int rb, int rule, int ev)
{
	if (rule == R_OVERRIDE)
		return NULL;
	if (str_conflict(d->hard[ra], d->hard[rb]))
		return "guard: the clusters hold different registry numbers";
	if (str_conflict(d->lei[ra], d->lei[rb]))
		return "guard: the clusters hold different LEIs";
	/* an analyst who linked a record into a cluster said it is one company: its directories may
	 * list it more than once, so this guard steps aside for that cluster */
	if ((d->srcmask[ra] & d->srcmask[rb]) && !d->linked[ra] && !d->linked[rb])
		return "guard: both clusters hold a record of one directory (it lists each company once)";
	if (rule < R_SNAPSHOT)
		return NULL;
	if (str_conflict(d->country[ra], d->country[rb]))
		return "guard: the clusters are in different countries";
	if (rule == R_SNAPSHOT) /* one listing in two snapshots: its city or founding year may move */
		return str_conflict(d->domain[ra], d->domain[rb]) ? "guard: the clusters have different websites" : NULL;
	if (ev < 2 && str_conflict(d->city[ra], d->city[rb]))
		return "guard: the clusters are in different cities";
	if (str_conflict(d->domain[ra], d->domain[rb]))
		return "guard: the clusters have different websites";
	if (d->miny[ra] && d->miny[rb]) {
		int lo = d->miny[ra] < d->miny[rb] ? d->miny[ra] : d->miny[rb];
		int hi = d->maxy[ra] > d->maxy[rb] ? d->maxy[ra] : d->maxy[rb];
		if (hi - lo >= 2)
			return "guard: founding years two or more apart";
	}
	if (d->size[ra] + d->size[rb] > 100)
		return "guard: the cluster would exceed 100 records";
	/* an alias explains why the names differ (a rebrand) */
	if (rule != R_ALIAS && !names_close(&d->c[d->anchor[ra]], &d->c[d->anchor[rb]]))
		return "guard: the clusters' first names are not alike";
	return NULL;
}

/* A pair for the review queue; the first near_cap found are kept. */
void dd_near_add(dd *d, int a, int b, int rule, float score, const char *why)
{
	if (d->nnear >= d->near_cap)
		return;
	if (d->nnear % 1024 == 0)
		d->near = sp_xrealloc(d->near, (d->nnear + 1024) * sizeof(*d->near));
	d->near[d->nnear++] = (dd_near){ a, b, rule, score, why };
}

/* Join the clusters of a and b unless an analyst's apart pair or the chain guard forbids it.
 * Returns 1 when joined (or already together), 0 when refused (*why: the guard's reason, or
 * NULL for an apart pair). */
static int uf_union(dd *d, int a, int b, int rule, int ev, const char **why)
{
	int ra = dd_find(d, a), rb = dd_find(d, b);
	*why = NULL;
	if (ra == rb)
		return 1;
	if (apart_between(d, ra, rb)) {
		d->apart_refused++;
		return 0;
	}
	if ((*why = guard_refusal(d, ra, rb, rule, ev)) != NULL)
		return 0;
	if (d->size[ra] < d->size[rb] || (d->size[ra] == d->size[rb] && ra > rb)) {
		int t = ra;
		ra = rb, rb = t;
	}
	d->parent[rb] = ra;
	d->size[ra] += d->size[rb];
	d->napart_root[ra] += d->napart_root[rb];
	d->srcmask[ra] |= d->srcmask[rb];
	d->linked[ra] |= d->linked[rb] | (rule == R_OVERRIDE);
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

static void reason_set(cand *x, const edge *e, int peer)
{
	if (x->rule < 0 || e->rule < x->rule || (e->rule == x->rule && e->score > x->score)) {
		x->rule = e->rule;
		x->score = e->score;
		x->peer = peer;
		x->note = e->note;
	}
}

void dd_apply_edges(dd *d, size_t from)
{
	for (size_t i = from; i < d->ne; i++) {
		edge *e = &d->e[i];
		const char *why;
		if (uf_union(d, e->a, e->b, e->rule, e->ev, &why)) {
			reason_set(&d->c[e->a], e, e->b);
			reason_set(&d->c[e->b], e, e->a);
			d->alias_links += e->rule == R_ALIAS;
		} else if (why) {
			d->refused++;
			dd_near_add(d, e->a, e->b, e->rule, e->score, why);
		}
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

/* Names that may share one website as one company: close names (names_close), or the same
 * leading word give or take a typo ("Meena" / "Medena Reseaux"). An acquirer's website on its
 * acquisitions joins names with nothing in common (BuildForge and Guardium on ibm.com). */
static int names_compatible(const cand *a, const cand *b)
{
	if (names_close(a, b))
		return 1;
	toks ta, tb;
	tokenize(a->key, &ta), tokenize(b->key, &tb);
	return ta.k && tb.k && ta.n[0] >= 4 && tb.n[0] >= 4 && tok_jw(ta.w[0], ta.n[0], tb.w[0], tb.n[0]) >= 0.85;
}

int dd_evidence(const cand *a, const cand *b, int *ev, int *contra, int *cflags, int *yearfar)
{
	int strong = 0;
	*ev = *contra = *cflags = *yearfar = 0;
	if (a->city && b->city) {
		if (strcmp(a->city, b->city) == 0)
			(*ev)++;
		else
			(*contra)++, *cflags |= 1;
	}
	if (a->year && b->year) {
		int dy = abs(a->year - b->year);
		if (dy == 0)
			(*ev)++;
		else if (dy >= 2)
			*yearfar = 1;
	}
	if (a->domain && b->domain) {
		if (strcmp(a->domain, b->domain) == 0)
			*ev += 2, strong = 1;
		else
			(*contra)++, *cflags |= 2;
	}
	if (a->postcode && b->postcode) {
		if (strcmp(a->postcode, b->postcode) == 0)
			*ev += !a->hubpc; /* evidence, never strong; a hub postcode (an incubator) is none */
		else
			(*contra)++, *cflags |= 4;
	}
	/* a website named after the other record's exact name ("trycybra.io" for "Cybra") */
	if (strcmp(a->compact, b->compact) != 0 &&
	    ((a->label && strcmp(a->label, b->compact) == 0) || (b->label && strcmp(b->label, a->compact) == 0)))
		*ev += 2, strong = 1;
	return strong;
}

/* Two names on one website, in one city, founded the same year, in two sources: a company that
 * changed its name (Fanpulse / FanVibe on fanvibe.com), not an acquirer and its acquisition
 * (those were founded years apart). */
static int renamed(const cand *a, const cand *b)
{
	return a->city && b->city && strcmp(a->city, b->city) == 0 && a->year && a->year == b->year &&
	       strcmp(a->source, b->source) != 0;
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
	if (a->bare || b->bare) { /* nothing but a name: only the same distinctive name */
		if (strcmp(a->key, b->key) == 0 && !a->plain && !b->plain)
			dd_edge_add(d, i, j, R_EXACT, 1.0f, 0);
		else if (strcmp(a->compact, b->compact) == 0)
			dd_near_add(d, i, j, -1, 1.0f, "same name, too plain to stand alone (no location or website)");
		return;
	}
	/* one listing in two snapshots of one directory: the same name, once in each */
	if (a->sidx >= 0 && b->sidx >= 0 && d->snappair[a->sidx][b->sidx] && !a->dupkey && !b->dupkey &&
	    strcmp(a->key, b->key) == 0 && !str_conflict(a->domain, b->domain)) {
		dd_edge_add(d, i, j, R_SNAPSHOT, 1.0f, 9);
		return;
	}
	int ev, contra, cflags, far; /* cflags: which fields contradict: 1 city, 2 website, 4 postcode */
	int strong = dd_evidence(a, b, &ev, &contra, &cflags, &far); /* a shared website or a name-named domain */
	if (far)
		return;
	/* one source rarely lists a company twice under two names: single clues count across sources */
	int two_sources = a->source != b->source && strcmp(a->source, b->source) != 0;
	/*
	 * Two different keys of one source under two different names are two companies unless
	 * something strong says otherwise: a snapshot lists each company once, and in a startup hub
	 * city and founding year are shared by look-alike names (CircleCi / CircleUp, San Francisco,
	 * 2011). Likewise a similar-but-not-typo name needs strong evidence anywhere.
	 */
	int name_rules_ok = two_sources || strong;
	static const char *const same_name_but[8] = {
		"same name; more against than for", "same name; different cities", "same name; different websites",
		"same name; different cities and websites", "same name; different postcodes",
		"same name; different cities and postcodes", "same name; different websites and postcodes",
		"same name; different cities, websites and postcodes",
	};
	int rule = -1;
	float score = 0;
	const char *why = NULL; /* a near miss: why no rule took the pair */
	if (strcmp(a->key, b->key) == 0) {
		if (contra <= ev)
			rule = R_EXACT, score = 1.0f;
		else
			why = same_name_but[cflags];
	} else {
		toks ta, tb;
		tokenize(a->key, &ta), tokenize(b->key, &tb);
		if (ta.k == tb.k && tok_subset(&ta, &tb) && tok_subset(&tb, &ta)) {
			if (contra <= ev)
				rule = R_EXACT, score = 0.99f;
			else
				why = same_name_but[cflags];
		} else if (!name_rules_ok) {
			/* same source, different names, nothing strong: no fuzzy rule */
			if (typo_name(&ta, &tb))
				why = "one source, names one letter apart, nothing strong links them";
		} else if (tok_subset(&ta, &tb) || tok_subset(&tb, &ta)) {
			const cand *sh = ta.k < tb.k ? a : b;
			/* a hub postcode (a coarse ZIP code, an incubator) is evidence here only when the
			 * short name is distinctive: "Gale" in "Chicago Public Schools Gale Comm Acad" */
			if (a->hubpc && a->postcode && b->postcode && strcmp(a->postcode, b->postcode) == 0 && !sh->plain)
				ev++;
			if (ev >= 2 && contra == 0)
				rule = R_SUBSET, score = 0.9f;
			/* a bare brand and the one longer name of that brand in its country, plus one clue */
			else if (ev == 1 && contra == 0 && (ta.k == 1 || tb.k == 1) && sh->amb == 1 && two_sources)
				rule = R_SUBSET, score = 0.85f;
			if (rule < 0 && ev >= 1)
				why = contra ? "one name contains the other; a field contradicts"
					     : "one name contains the other; too little evidence";
		} else if (typo_name(&ta, &tb)) {
			if ((ev >= 2 || strong) && contra == 0)
				rule = R_FUZZY, score = (float)sp_dedupe_jw(a->compact, b->compact);
			else
				why = contra ? "names one letter apart; a field contradicts"
					     : "names one letter apart; too little evidence";
		} else if (ta.k == tb.k && tok_soft_all(&ta, &tb) && tok_soft_all(&tb, &ta)) {
			double jw = sp_dedupe_jw(a->compact, b->compact);
			if (jw >= 0.90 && ev >= 2 && strong && contra == 0)
				rule = R_FUZZY, score = (float)jw;
			else if (jw >= 0.90 && ev >= 1)
				why = "similar names; too little strong evidence";
		}
	}
	if (rule >= 0)
		dd_edge_add(d, i, j, rule, score, ev - contra);
	else if (why)
		dd_near_add(d, i, j, -1, (float)sp_dedupe_jw(a->compact, b->compact), why);
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

/* Order of a capped block's sliding window: country, compact name, candidate. */
static int window_cmp(const void *x, const void *y, void *ctx)
{
	const dd *d = ctx;
	const cand *a = &d->c[((const bent *)x)->idx], *b = &d->c[((const bent *)y)->idx];
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
				if (dd_find(d, blk[x].idx) != dd_find(d, blk[y].idx))
					compare(d, blk[x].idx, blk[y].idx);
		return;
	}
	d->capped_blocks++;
	if ((long)n > d->largest_block)
		d->largest_block = (long)n;
	qsort_r(blk, n, sizeof(*blk), window_cmp, d);
	for (size_t x = 0; x < n; x++) {
		if ((x & 1023) == 1023 && sp_stop_requested())
			return; /* a huge block: the stage sees the request and writes nothing */
		for (size_t y = x + 1; y < n && (long)(y - x) <= d->window; y++)
			if (dd_find(d, blk[x].idx) != dd_find(d, blk[y].idx))
				compare(d, blk[x].idx, blk[y].idx);
	}
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
	sp_progress_start("dedupe: comparing", (int64_t)nb, "entries");
	size_t nblocks = 0;
	for (size_t s = 0; s < nb;) {
		size_t e = s + 1;
		while (e < nb && bl[e].h == bl[s].h)
			e++;
		compare_block(d, bl + s, e - s);
		s = e;
		if (sp_stop_requested())
			break; /* the stage sees the request and writes nothing */
		if ((++nblocks & 1023) == 0)
			sp_progress_update((int64_t)s);
	}
	sp_progress_end();
	free(bl);
}

/* ---------------------------------------------------------------- deterministic keys */

int sp_dd_kent_cmp(const void *x, const void *y)
{
	const kent *a = x, *b = y;
	int c = strcmp(a->k, b->k);
	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind - b->kind;
	return a->idx - b->idx;
}

static void redirect_links(dd *d, kent *k)
{
	size_t n = 0;
	for (int i = 0; i < d->n; i++) {
		if (d->c[i].alone || !d->c[i].domain)
			continue;
		k[n++] = (kent){ d->c[i].domain, i, 0 };
		if (d->c[i].moved)
			k[n++] = (kent){ d->c[i].moved, i, 1 };
	}
	qsort(k, n, sizeof(*k), sp_dd_kent_cmp);
	for (size_t s = 0, e; s < n; s = e) {
		size_t own = 0;
		for (e = s; e < n && strcmp(k[e].k, k[s].k) == 0; e++)
			own += k[e].kind == 0;
		if (own == e - s || (long)(e - s) > d->domain_cap)
			continue; /* nothing redirects here, or a hub */
		for (size_t x = s + own; x < e; x++)
			for (size_t y = s; y < s + own; y++) {
				cand *a = &d->c[k[x].idx], *b = &d->c[k[y].idx];
				if (k[x].idx == k[y].idx || str_conflict(a->postcode, b->postcode))
					continue;
				if (names_compatible(a, b)) {
					dd_edge_add(d, k[x].idx, k[y].idx, R_DOMAIN, 0.9f, 8);
					d->e[d->ne - 1].note = DD_NOTE_REDIRECT;
					d->redirect_links++;
				} else {
					d->group_pairs++;
					dd_near_add(d, k[x].idx, k[y].idx, R_DOMAIN, 0.0f,
						    "website redirects to the other's, different names: acquired? same group?");
				}
			}
	}
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
	qsort(k, n, sizeof(*k), sp_dd_kent_cmp);
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && strcmp(k[e].k, k[s].k) == 0)
			e++;
		for (size_t x = s + 1; x < e; x++)
			if (k[x].idx != k[s].idx)
				dd_edge_add(d, k[s].idx, k[x].idx, (k[s].kind || k[x].kind) ? R_RALINK : R_REGNUM, 1.0f, 9);
		s = e;
	}
	/* LEI */
	n = 0;
	for (int i = 0; i < d->n; i++)
		if (!d->c[i].alone && d->c[i].lei)
			k[n++] = (kent){ d->c[i].lei, i, 0 };
	qsort(k, n, sizeof(*k), sp_dd_kent_cmp);
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && strcmp(k[e].k, k[s].k) == 0)
			e++;
		for (size_t x = s + 1; x < e; x++)
			dd_edge_add(d, k[s].idx, k[x].idx, R_LEI, 1.0f, 9);
		s = e;
	}
	size_t det = 0;
	dd_apply_edges(d, det);
	det = d->ne;
	/* domains: every pair of a small group, when countries agree or names are close */
	n = 0;
	for (int i = 0; i < d->n; i++)
		if (!d->c[i].alone && d->c[i].domain)
			k[n++] = (kent){ d->c[i].domain, i, 0 };
	qsort(k, n, sizeof(*k), sp_dd_kent_cmp);
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && strcmp(k[e].k, k[s].k) == 0)
			e++;
		if ((long)(e - s) > d->domain_cap) {
			d->capped_domains++;
			dd_hub_keep(d->hub + DD_NHUB, "domain", k[s].k, (long)(e - s));
		} else {
			for (size_t x = s; x < e; x++)
				for (size_t y = x + 1; y < e; y++) {
					cand *a = &d->c[k[x].idx], *b = &d->c[k[y].idx];
					/* one website, two postal addresses: branches of a chain, not one record twice */
					if (str_conflict(a->postcode, b->postcode))
						continue;
					if (names_compatible(a, b)) {
						dd_edge_add(d, k[x].idx, k[y].idx, R_DOMAIN, 1.0f, 9);
					} else if (renamed(a, b)) { /* a pivot: one company, a new name */
						dd_edge_add(d, k[x].idx, k[y].idx, R_DOMAIN, 0.8f, 8);
						d->e[d->ne - 1].note = DD_NOTE_RENAMED;
					} else { /* an acquirer's website on its acquisitions: a group, not one company */
						d->group_pairs++;
						dd_near_add(d, k[x].idx, k[y].idx, R_DOMAIN, 0.0f, "same website, different names: same group?");
					}
				}
		}
		s = e;
	}
	if (d->redirects)
		redirect_links(d, k);
	free(k);
	dd_apply_edges(d, det);
}

/* ---------------------------------------------------------------- the stage */

/* Fuzzy edges: best first (rule, evidence, score), then by records. */
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

const sp_config_key sp_dedupe_keys[] = {
	{ "dedupe", "block_cap", SP_KEY_INT, .def = "50", .min = 1, .max = 1000000 },
	{ "dedupe", "window", SP_KEY_INT, .def = "20", .min = 1, .max = 1000000 },
	{ "dedupe", "domain_cap", SP_KEY_INT, .def = "20", .min = 1, .max = 1000000 },
	{ "dedupe", "postcode_cap", SP_KEY_INT, .def = "8", .min = 1, .max = 1000000 },
	{ "dedupe", "review_cap", SP_KEY_INT, .def = "20000", .min = 0, .max = SP_KEY_ANY },
	{ 0 },
};

static int attach_mentions(sp_ctx *ctx, sp_counts *c)
{
	int64_t items = 0, attached = 0;
	int rc = sp_mention_attach(ctx->db, ctx->cfg, ctx->run_id, &items, &attached, ctx->err);
	size_t len = strlen(c->note);
	if (rc == SP_OK && items && len + 2 < sizeof(c->note))
		snprintf(c->note + len, sizeof(c->note) - len, "%s%lld news items: %lld mentions of startups",
			 len ? "; " : "", (long long)items, (long long)attached);
	return rc;
}

int sp_stage_dedupe(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	(void)src;
	dd d;
	memset(&d, 0, sizeof(d));
	d.ctx = ctx;
	d.block_cap = sp_config_int(ctx->cfg, "dedupe", sp_dedupe_keys, "block_cap");
	d.window = sp_config_int(ctx->cfg, "dedupe", sp_dedupe_keys, "window");
	d.domain_cap = sp_config_int(ctx->cfg, "dedupe", sp_dedupe_keys, "domain_cap");
	d.postcode_cap = sp_config_int(ctx->cfg, "dedupe", sp_dedupe_keys, "postcode_cap");
	d.near_cap = (size_t)sp_config_int(ctx->cfg, "dedupe", sp_dedupe_keys, "review_cap");
	d.redirects = sp_redirect_enabled(ctx->cfg);
	int rc = sp_redirect_refresh(ctx, &d.redirect_asked, &d.redirect_moved);
	if (rc == SP_OK)
		rc = dd_load(&d);
	if (rc == SP_OK)
		rc = dd_load_aliases(&d);
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
	d.napart_root = sp_xcalloc(n1, sizeof(int));
	d.srcmask = sp_xcalloc(n1, sizeof(uint64_t));
	d.linked = sp_xcalloc(n1, 1);
	dd_prep(&d);
	for (int i = 0; i < d.n; i++) {
		d.parent[i] = i, d.size[i] = 1, d.anchor[i] = i;
		d.miny[i] = d.maxy[i] = d.c[i].year;
		d.hard[i] = d.c[i].hard;
		d.lei[i] = d.c[i].lei;
		d.country[i] = d.c[i].country[0] ? d.c[i].country : NULL;
		d.city[i] = d.c[i].city;
		d.domain[i] = d.c[i].domain;
		int si = d.c[i].sidx;
		d.srcmask[i] = si >= 0 && d.snap[si] ? 1ULL << si : 0;
	}
	long nover = 0;
	if ((rc = dd_overrides(&d, &nover)) != SP_OK)
		goto out;
	key_links(&d);
	size_t from = d.ne;
	dd_alias_links(&d);
	fuzzy_pass(&d);
	if (sp_stop_requested()) {
		rc = sp_stop_err(ctx->err);
		goto out;
	}
	/* fuzzy edges: best first, then by records (deterministic) */
	if (d.ne - from > 1)
		qsort(d.e + from, d.ne - from, sizeof(*d.e), edge_cmp);
	dd_apply_edges(&d, from);
	rc = dd_write(&d, c);
	if (rc == SP_OK) /* the entities exist now: attach the news items to them (mention.h) */
		rc = attach_mentions(ctx, c);
out:
	free(d.c), free(d.parent), free(d.size), free(d.anchor), free(d.miny), free(d.maxy);
	free(d.hard), free(d.lei), free(d.country), free(d.city), free(d.domain), free(d.e);
	free(d.napart_root), free(d.srcmask), free(d.linked), free(d.apart), free(d.near), free(d.al);
	dd_arena_free(&d.ar);
	return rc;
}

