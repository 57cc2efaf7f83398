/*
 * dedupe_ids.c — which cluster keeps which entity id (contract in dedupe.h, "Stable ids").
 *
 * What it does: from the claims (member -> the entity it was in before, the entity it was born
 * in, and its cluster now)
 *   1. each old id goes to the cluster holding most of the records born in it, then most of its
 *      former members; ties go to the lower cluster number (the cluster with the earliest record);
 *   2. a cluster that won several old ids keeps the smallest; the others become merges into it;
 *   3. a home id that no cluster holds goes to the cluster, without an id or with a foreign one
 *      (born in none of its records), that holds most records born in it (ties: the lower
 *      cluster); a cluster winning several keeps the smallest; its foreign id is freed for the
 *      next pass, until no cluster takes one. This is the undo of a merge, also after the
 *      startup's own id was merged away while a part of it carried a new one;
 *   4. a cluster still without an id gets max_id + 1, + 2, ... in cluster order.
 * An id won in step 1 and held by no cluster at the end is merged into its cluster's id.
 * Unchanged input therefore keeps every id, a cluster that grows keeps its id, and a startup
 * split off again gets back the id it had before it was merged.
 *
 * Invariants: pure and deterministic — no SQL, no config, no globals; the result depends only
 * on the multiset of claims, nclusters and max_id. Every cluster ends with an id > 0, no two
 * clusters share one, and merges are in ascending old id (the writer replays them in that order).
 *
 * Ownership: out->id and out->merge are allocated here; sp_dedupe_ids_release frees them.
 * Failure: none (allocation failure aborts).
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/dedupe.h"

/* (id, cluster) with how many claims name it as old id and as home id */
typedef struct tally {
	int64_t id;
	int cluster, n, home;
} tally;

static int old_cmp(const void *x, const void *y)
{
	const sp_dedupe_claim *a = x, *b = y;
	if (a->old_id != b->old_id)
		return a->old_id < b->old_id ? -1 : 1;
	return a->cluster - b->cluster;
}

static int home_cmp(const void *x, const void *y)
{
	const sp_dedupe_claim *a = x, *b = y;
	if (a->home_id != b->home_id)
		return a->home_id < b->home_id ? -1 : 1;
	return a->cluster - b->cluster;
}

static int i64_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/*
 * Claims sorted by id then cluster -> per id (ascending) the winning cluster: most home claims,
 * then most claims, then the lower cluster. use_home: the id is home_id (step 3), else old_id.
 */
static size_t winners(const sp_dedupe_claim *cl, size_t ncl, int use_home, int64_t *won, int *won_g)
{
	size_t nwon = 0;
	for (size_t s = 0; s < ncl;) {
		int64_t id = use_home ? cl[s].home_id : cl[s].old_id;
		tally best = { id, -1, 0, 0 };
		size_t e = s;
		while (e < ncl && (use_home ? cl[e].home_id : cl[e].old_id) == id) {
			tally t = { id, cl[e].cluster, 0, 0 };
			while (e < ncl && (use_home ? cl[e].home_id : cl[e].old_id) == id && cl[e].cluster == t.cluster) {
				t.n++;
				t.home += cl[e].home_id == id;
				e++;
			}
			if (t.home > best.home || (t.home == best.home && t.n > best.n))
				best = t;
		}
		won[nwon] = id, won_g[nwon] = best.cluster, nwon++;
		s = e;
	}
	return nwon;
}

static int has_id(const int64_t *sorted, size_t n, int64_t id)
{
	return n && bsearch(&id, sorted, n, sizeof(*sorted), i64_cmp) != NULL;
}

/*
 * Step 3, one pass: clusters without an id, or whose id is foreign (born in none of its
 * records: a new id given to a part split off, or the id of a startup it was wrongly joined
 * to), take the home id of most of their records when no cluster holds it now. *changed: some
 * cluster took one (its former id is free for the next pass). tmp has room for ncl claims.
 */
static void revive_pass(const sp_dedupe_claim *cl, size_t ncl, int nclusters, int64_t *id, sp_dedupe_ids *out,
			sp_dedupe_claim *tmp, int *changed)
{
	unsigned char *own = sp_xcalloc((size_t)nclusters + 1, 1); /* cluster holds a record born in its id */
	int64_t *kept = sp_xmalloc(((size_t)nclusters + 1) * sizeof(int64_t));
	size_t nkept = 0, nh = 0;
	for (size_t i = 0; i < ncl; i++)
		if (id[cl[i].cluster] && cl[i].home_id == id[cl[i].cluster])
			own[cl[i].cluster] = 1;
	for (int g = 0; g < nclusters; g++)
		if (id[g])
			kept[nkept++] = id[g];
	qsort(kept, nkept, sizeof(*kept), i64_cmp);
	for (size_t i = 0; i < ncl; i++)
		if (cl[i].home_id > 0 && !own[cl[i].cluster] && !has_id(kept, nkept, cl[i].home_id))
			tmp[nh++] = cl[i];
	*changed = 0;
	if (nh) {
		qsort(tmp, nh, sizeof(*tmp), home_cmp);
		int64_t *hid = sp_xmalloc((nh + 1) * sizeof(int64_t));
		int *hg = sp_xmalloc((nh + 1) * sizeof(int));
		size_t nhw = winners(tmp, nh, 1, hid, hg);
		out->revived = sp_xrealloc(out->revived, (out->nrevived + nhw + 1) * sizeof(int64_t));
		for (size_t w = 0; w < nhw; w++) /* ascending: a cluster takes the smallest it won */
			if (!own[hg[w]]) {
				id[hg[w]] = hid[w], own[hg[w]] = 1;
				out->revived[out->nrevived++] = hid[w];
				*changed = 1;
			}
		free(hid), free(hg);
	}
	free(own), free(kept);
}

void sp_dedupe_assign_ids(sp_dedupe_claim *cl, size_t ncl, int nclusters, int64_t max_id, sp_dedupe_ids *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sp_xcalloc((size_t)nclusters + 1, sizeof(int64_t));
	int64_t *won = sp_xmalloc((ncl + 1) * sizeof(int64_t));
	int *won_g = sp_xmalloc((ncl + 1) * sizeof(int));
	/* 1. old ids, claimed by former members */
	if (ncl)
		qsort(cl, ncl, sizeof(*cl), old_cmp); /* old_id 0 sorts first */
	size_t first = 0;
	while (first < ncl && cl[first].old_id <= 0)
		first++;
	size_t nwon = winners(cl + first, ncl - first, 0, won, won_g);
	/* 2. each cluster keeps the smallest id it won (won[] is ascending) */
	for (size_t w = 0; w < nwon; w++)
		if (!out->id[won_g[w]])
			out->id[won_g[w]] = won[w];
	/* 3. home ids held by no cluster, until no cluster takes one (each pass gives one more
	 *    cluster an id born in it, so at most nclusters passes; one when nothing moved) */
	sp_dedupe_claim *tmp = sp_xmalloc((ncl + 1) * sizeof(*tmp));
	for (int changed = 1, pass = 0; changed && pass <= nclusters; pass++)
		revive_pass(cl, ncl, nclusters, out->id, out, tmp, &changed);
	free(tmp);
	if (out->nrevived)
		qsort(out->revived, out->nrevived, sizeof(*out->revived), i64_cmp);
	/* merges: an id won but held by no cluster now goes into the id its cluster holds */
	int64_t *held = sp_xmalloc(((size_t)nclusters + 1) * sizeof(int64_t));
	size_t nheld = 0;
	for (int g = 0; g < nclusters; g++)
		if (out->id[g])
			held[nheld++] = out->id[g];
	qsort(held, nheld, sizeof(*held), i64_cmp);
	out->merge = sp_xmalloc((nwon + 1) * sizeof(*out->merge));
	for (size_t w = 0; w < nwon; w++)
		if (!has_id(held, nheld, won[w]))
			out->merge[out->nmerge++] = (sp_dedupe_merge){ won[w], out->id[won_g[w]] };
	free(held);
	/* 4. new ids */
	for (int g = 0; g < nclusters; g++)
		if (!out->id[g])
			out->id[g] = ++max_id, out->created++;
	free(won), free(won_g);
}

void sp_dedupe_ids_release(sp_dedupe_ids *ids)
{
	if (!ids)
		return;
	free(ids->id), free(ids->merge), free(ids->revived);
	memset(ids, 0, sizeof(*ids));
}
