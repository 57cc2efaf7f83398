/*
 * dedupe_prep.c — what the dedupe stage knows about its keys before it links anything.
 *
 * What it does: dd_prep() runs once after dd_load() and fills, per candidate and per run:
 *   - the source index (cand.sidx) and, per source, whether it is a snapshot (a directory or
 *     registry lists each company once; feeds in append mode repeat a company in many items);
 *   - hub postcodes (cand.hubpc): a postcode shared by more distinct names than [dedupe]
 *     postcode_cap is an incubator, a formation agent or a virtual office, not evidence; the
 *     largest are named in d->hubs for the stage note;
 *   - names repeated inside one source (cand.dupkey): a directory listing one name twice lists
 *     two companies, so neither is the other snapshot's only entry of that name; a snapshot
 *     source where more than one record in ten carries a repeated name is a list of listings
 *     (programmes, sites, branches), not a directory of companies, and loses its snapshot mark;
 *   - snapshot pairs (d->snappair): two sources most of whose names (>= 80 % of the smaller's
 *     distinct names, at least 20) appear in the other are two snapshots of one directory;
 *   - evidence-free records (cand.bare: no country, city, postcode, website or registry id) and,
 *     for them and for every alias (dd_alias.plain), whether the name is plain (cand.plain):
 *     three letters or fewer, or its rarest word used by more than three distinct names (a
 *     common word).
 *
 * Invariants: pure computation on the candidates and the config; every sort breaks ties by
 * candidate index, so the result does not depend on memory addresses.
 *
 * Memory: two temporary arrays of one entry per candidate (and, when evidence-free records
 * exist, one entry per word of each distinct name), freed before returning.
 *
 * Failure: none (allocation failure aborts, as everywhere in sparker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "pipeline/dedupe_int.h"

typedef struct pent {
	const char *k, *v; /* sort key and a second key (postcode and name, or name and -) */
	int s, idx;        /* source index; candidate */
} pent;

static int pent_cmp(const void *x, const void *y)
{
	const pent *a = x, *b = y;
	int c = strcmp(a->k, b->k);
	if (c)
		return c;
	if ((c = strcmp(a->v, b->v)) != 0)
		return c;
	if (a->s != b->s)
		return a->s - b->s;
	return a->idx - b->idx;
}

static void sources(dd *d)
{
	for (int i = 0; i < d->n; i++) {
		cand *x = &d->c[i];
		int s = 0;
		while (s < d->nsrc && d->src[s] != x->source && strcmp(d->src[s], x->source) != 0)
			s++;
		if (s == d->nsrc && s < DD_MAXSRC) {
			const sp_source *so = sp_config_source(d->ctx->cfg, x->source);
			d->src[d->nsrc++] = x->source;
			d->snap[s] = !so || so->mode != SP_MODE_APPEND; /* a delta source holds a whole registry */
		}
		x->sidx = s < DD_MAXSRC ? s : -1;
	}
}

void dd_hub_keep(dd_hub *h, const char *kind, const char *key, long names)
{
	for (int t = 0; t < DD_NHUB; t++)
		if (!h[t].key || names > h[t].names) {
			memmove(h + t + 1, h + t, (size_t)(DD_NHUB - 1 - t) * sizeof(*h));
			h[t] = (dd_hub){ kind, key, names };
			return;
		}
}

/* Postcodes with more distinct names than the cap: hubs. The three largest go to d->hubs. */
static void hub_postcodes(dd *d, pent *p)
{
	size_t n = 0;
	for (int i = 0; i < d->n; i++)
		if (d->c[i].postcode)
			p[n++] = (pent){ d->c[i].postcode, d->c[i].compact, 0, i };
	qsort(p, n, sizeof(*p), pent_cmp);
	dd_hub *top = d->hub;
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		long names = 1;
		for (; e < n && strcmp(p[e].k, p[s].k) == 0; e++)
			names += strcmp(p[e].v, p[e - 1].v) != 0;
		if (names > d->postcode_cap) {
			d->hub_postcodes++;
			for (size_t k = s; k < e; k++)
				d->c[p[k].idx].hubpc = 1;
			dd_hub_keep(top, "postcode", p[s].k, names);
		}
		s = e;
	}
	size_t at = 0;
	d->hubs[0] = 0;
	for (int t = 0; t < DD_NHUB && top[t].key && at < sizeof(d->hubs); t++)
		at += (size_t)snprintf(d->hubs + at, sizeof(d->hubs) - at, "%s%s %ld names", t ? ", " : "", top[t].key,
				       top[t].names);
}

/* Names repeated inside a source; the share of names two sources have in common. */
static void name_overlap(dd *d, pent *p)
{
	size_t n = 0;
	for (int i = 0; i < d->n; i++)
		if (d->c[i].key && d->c[i].sidx >= 0)
			p[n++] = (pent){ d->c[i].key, "", d->c[i].sidx, i };
	qsort(p, n, sizeof(*p), pent_cmp);
	long(*shared)[DD_MAXSRC] = sp_xcalloc(DD_MAXSRC, sizeof(*shared));
	long names[DD_MAXSRC] = { 0 }, recs[DD_MAXSRC] = { 0 }, dups[DD_MAXSRC] = { 0 };
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && strcmp(p[e].k, p[s].k) == 0)
			e++;
		uint64_t in = 0;
		for (size_t k = s; k < e; k++) {
			recs[p[k].s]++;
			if ((k > s && p[k - 1].s == p[k].s) || (k + 1 < e && p[k + 1].s == p[k].s))
				d->c[p[k].idx].dupkey = 1, dups[p[k].s]++;
			in |= 1ULL << p[k].s;
		}
		for (int a = 0; a < d->nsrc; a++)
			if (in >> a & 1) {
				names[a]++;
				for (int b = a + 1; b < d->nsrc; b++)
					if (in >> b & 1)
						shared[a][b]++;
			}
		s = e;
	}
	for (int a = 0; a < d->nsrc; a++) /* more than one record in ten under a repeated name: listings */
		if (dups[a] * 10 > recs[a])
			d->snap[a] = 0;
	for (int a = 0; a < d->nsrc; a++)
		for (int b = a + 1; b < d->nsrc; b++) {
			long small = names[a] < names[b] ? names[a] : names[b];
			if (d->snap[a] && d->snap[b] && small >= 20 && shared[a][b] * 5 >= small * 4)
				d->snappair[a][b] = d->snappair[b][a] = 1;
		}
	free(shared);
}

typedef struct wdf {
	const char *w;
	int n;
} wdf;

static int wdf_cmp(const void *x, const void *y)
{
	const wdf *a = x, *b = y;
	int m = a->n < b->n ? a->n : b->n, c = memcmp(a->w, b->w, (size_t)m);
	return c ? c : a->n - b->n;
}

/* Words of a distinct name: where each word starts and how long it is (at most 16). */
static int words(const char *k, const char **w, int *len)
{
	int m = 0;
	while (*k && m < 16) {
		while (*k == ' ')
			k++;
		if (!*k)
			break;
		w[m] = k;
		while (*k && *k != ' ')
			k++;
		len[m] = (int)(k - w[m]);
		m++;
	}
	return m;
}

/* How many distinct names use the rarest word of key (w: the words of every distinct name, sorted). */
static size_t rarest_df(const wdf *w, size_t nw, const char *key)
{
	const char *ws[16];
	int wl[16], m = words(key, ws, wl);
	size_t rarest = (size_t)-1;
	for (int j = 0; j < m; j++) {
		wdf k = { ws[j], wl[j] };
		size_t lo = 0, hi = nw;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (wdf_cmp(&w[mid], &k) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		size_t s = lo;
		while (lo < nw && wdf_cmp(&w[lo], &k) == 0)
			lo++;
		if (lo - s < rarest)
			rarest = lo - s;
	}
	return rarest;
}

/* Evidence-free records, and whether their names (and every alias) are plain (by words of the
 * distinct names). */
static void plain_names(dd *d, pent *p)
{
	int nbare = 0;
	for (int i = 0; i < d->n; i++) {
		cand *x = &d->c[i];
		x->bare = x->key && !x->country[0] && !x->city && !x->postcode && !x->domain && !x->hard && !x->lei;
		nbare += x->bare;
	}
	if (!nbare && !d->nal && !d->hub_postcodes)
		return;
	size_t n = 0;
	for (int i = 0; i < d->n; i++)
		if (d->c[i].key)
			p[n++] = (pent){ d->c[i].key, "", 0, i };
	qsort(p, n, sizeof(*p), pent_cmp);
	size_t nw = 0, cap = n + 16;
	wdf *w = sp_xmalloc(cap * sizeof(*w));
	for (size_t k = 0; k < n; k++) {
		if (k && strcmp(p[k].k, p[k - 1].k) == 0)
			continue;
		const char *ws[16];
		int wl[16], m = words(p[k].k, ws, wl);
		for (int j = 0; j < m; j++) {
			if (nw == cap)
				w = sp_xrealloc(w, (cap *= 2) * sizeof(*w));
			w[nw++] = (wdf){ ws[j], wl[j] };
		}
	}
	qsort(w, nw, sizeof(*w), wdf_cmp);
	for (int i = 0; i < d->n; i++) {
		cand *x = &d->c[i];
		if (x->bare || x->hubpc)
			x->plain = strlen(x->compact) <= 3 || rarest_df(w, nw, x->key) > 3;
	}
	for (size_t k = 0; k < d->nal; k++)
		d->al[k].plain = strlen(d->al[k].compact) <= 3 || rarest_df(w, nw, d->al[k].key) > 3;
	free(w);
}

void dd_prep(dd *d)
{
	sources(d);
	pent *p = sp_xmalloc(((size_t)d->n + 1) * sizeof(*p));
	hub_postcodes(d, p);
	name_overlap(d, p);
	plain_names(d, p);
	free(p);
}
