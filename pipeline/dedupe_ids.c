/*
 * dedupe_ids.c — which cluster keeps which entity id (contract in dedupe.h, "Stable ids").
 *
 * What it does: from the claims (member -> the entity it was in before, the entity it was born
 * in, and its cluster now)
 *   1. each old id goes to the cluster holding most of the records born in it, then most of its
 *      former members; ties go to the lower cluster number (the cluster with the earliest record);
 *   2. a cluster that won several old ids keeps the smallest; the others become merges into it;
 *   3. a home id that no cluster won goes to the cluster without an id that holds most records
 *      born in it (ties: the lower cluster); a cluster winning several keeps the smallest. This
 *      is the undo of a merge;
 *   4. a cluster still without an id gets max_id + 1, + 2, ... in cluster order.
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
	out->merge = sp_xmalloc((nwon + 1) * sizeof(*out->merge));
	for (size_t w = 0; w < nwon; w++)
		if (won[w] != out->id[won_g[w]])
			out->merge[out->nmerge++] = (sp_dedupe_merge){ won[w], out->id[won_g[w]] };
	/* 3. clusters without an id: home ids that no cluster won */
	size_t nh = 0;
	for (size_t i = 0; i < ncl; i++)
		if (cl[i].home_id > 0 && !out->id[cl[i].cluster] &&
		    !(nwon && bsearch(&cl[i].home_id, won, nwon, sizeof(*won), i64_cmp)))
			cl[nh++] = cl[i]; /* compacts in place: nh <= i */
	if (nh) {
		qsort(cl, nh, sizeof(*cl), home_cmp);
		int64_t *hid = sp_xmalloc((nh + 1) * sizeof(int64_t));
		int *hg = sp_xmalloc((nh + 1) * sizeof(int));
		size_t nhw = winners(cl, nh, 1, hid, hg);
		out->revived = sp_xmalloc((nhw + 1) * sizeof(int64_t));
		for (size_t w = 0; w < nhw; w++) /* ascending: a cluster takes the smallest it won */
			if (!out->id[hg[w]]) {
				out->id[hg[w]] = hid[w];
				out->revived[out->nrevived++] = hid[w];
			}
		free(hid), free(hg);
	}
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
