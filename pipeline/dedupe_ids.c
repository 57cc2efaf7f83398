/*
 * dedupe_ids.c — which cluster keeps which entity id (contract in dedupe.h, "Stable ids").
 *
 * What it does: from the claims (member -> the entity it was in before, and its cluster now)
 *   1. each old id goes to the cluster holding most of its former members; ties go to the
 *      lower cluster number, i.e. the cluster with the earliest record;
 *   2. a cluster that won several old ids keeps the smallest; the others become merges into it;
 *   3. a cluster that won none gets max_id + 1, + 2, ... in cluster order.
 * Unchanged input therefore keeps every id, and a cluster that grows keeps its id.
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

static int claim_cmp(const void *x, const void *y)
{
	const sp_dedupe_claim *a = x, *b = y;
	if (a->old_id != b->old_id)
		return a->old_id < b->old_id ? -1 : 1;
	return a->cluster - b->cluster;
}

void sp_dedupe_assign_ids(sp_dedupe_claim *cl, size_t ncl, int nclusters, int64_t max_id, sp_dedupe_ids *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sp_xcalloc((size_t)nclusters + 1, sizeof(int64_t));
	if (ncl)
		qsort(cl, ncl, sizeof(*cl), claim_cmp);
	/* winners: per old id (ascending), the cluster with most claims on it */
	int64_t *won = sp_xmalloc((ncl + 1) * sizeof(int64_t));
	int *won_g = sp_xmalloc((ncl + 1) * sizeof(int));
	size_t nwon = 0;
	for (size_t s = 0; s < ncl;) {
		size_t e = s;
		int bestg = -1, bestc = 0;
		while (e < ncl && cl[e].old_id == cl[s].old_id) {
			size_t f = e;
			int c = 0;
			while (f < ncl && cl[f].old_id == cl[e].old_id && cl[f].cluster == cl[e].cluster)
				f++, c++;
			if (c > bestc)
				bestc = c, bestg = cl[e].cluster;
			e = f;
		}
		won[nwon] = cl[s].old_id, won_g[nwon] = bestg, nwon++;
		s = e;
	}
	/* each cluster keeps the smallest id it won (won[] is ascending) */
	for (size_t w = 0; w < nwon; w++)
		if (!out->id[won_g[w]])
			out->id[won_g[w]] = won[w];
	for (int g = 0; g < nclusters; g++)
		if (!out->id[g])
			out->id[g] = ++max_id, out->created++;
	/* the other ids a cluster won are merged into the one it kept */
	out->merge = sp_xmalloc((nwon + 1) * sizeof(*out->merge));
	for (size_t w = 0; w < nwon; w++)
		if (won[w] != out->id[won_g[w]])
			out->merge[out->nmerge++] = (sp_dedupe_merge){ won[w], out->id[won_g[w]] };
	free(won), free(won_g);
}

void sp_dedupe_ids_release(sp_dedupe_ids *ids)
{
	if (!ids)
		return;
	free(ids->id), free(ids->merge);
	memset(ids, 0, sizeof(*ids));
}
