/*
 * dedupe_alias.c — the previous_name rule: a rebrand is one company under two names.
 *
 * What it does: dd_alias_links() meets every alias (a previous or other name of a candidate,
 * candidate_alias, loaded by dd_load_aliases) with the candidates whose name has the same
 * compact key (spaces removed: "TANEX TECHNOLOGIES" meets "Tanex Tech"), and adds an R_ALIAS
 * edge when
 *   - the alias is distinctive (dd_alias.plain is 0: more than three letters, its rarest word
 *     used by at most three distinct names): an unrelated company that merely shares a
 *     common-word alias ("Solutions", "Consulting") never joins;
 *   - the two records come from two sources (a registry re-issues a dropped name to a new
 *     company: inside one source, an old name is not the same company);
 *   - nothing contradicts: same country or none, registry keys and LEIs not different, founding
 *     years less than two apart, no different city, website or postcode;
 *   - at least one corroboration (dd_evidence: city, founding year, a non-hub postcode, the
 *     website, a website named after the alias). An evidence-free record therefore never joins
 *     by an alias.
 * A pair with corroboration but a contradiction is a near miss for review. The edges join the
 * fuzzy edges (sorted and applied by the driver under the chain guard, which lets an alias join
 * clusters whose first names differ); the member's reason names the alias (dedupe_write.c).
 *
 * Invariants: entries are sorted by key then kind then index, so the edges do not depend on
 * memory addresses. A key held by more than [dedupe] block_cap names and aliases is skipped (it is
 * not distinctive). Memory: one 24-byte entry per candidate and per alias, freed on return.
 *
 * Failure: none (allocation failure aborts).
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/dedupe_int.h"

static int conflict(const char *a, const char *b) { return a && b && strcmp(a, b) != 0; }

/* Alias k (of candidate o) against candidate j named like it. */
static void alias_pair(dd *d, int k, int j)
{
	const dd_alias *al = &d->al[k];
	cand *o = &d->c[al->idx], *b = &d->c[j];
	if (al->idx == j || o->alone || b->alone || !o->key || !b->key)
		return;
	if (o->source == b->source || strcmp(o->source, b->source) == 0)
		return;
	if (o->country[0] && b->country[0] && strcmp(o->country, b->country) != 0)
		return;
	if (conflict(o->hard, b->hard) || conflict(o->lei, b->lei))
		return;
	int ev, contra, cflags, far;
	dd_evidence(o, b, &ev, &contra, &cflags, &far);
	if (far)
		return;
	if (b->label && strcmp(b->label, al->compact) == 0) /* the peer's website is named after the alias */
		ev += 2;
	if (ev >= 1 && contra == 0) {
		dd_edge_add(d, al->idx, j, R_ALIAS, 1.0f, ev);
		d->e[d->ne - 1].note = k;
	} else if (ev >= 1) {
		dd_near_add(d, al->idx, j, R_ALIAS, 1.0f, al->previous ? "previous name matches; a field contradicts"
									 : "other name matches; a field contradicts");
	}
}

void dd_alias_links(dd *d)
{
	size_t nal = 0;
	for (size_t k = 0; k < d->nal; k++)
		nal += !d->al[k].plain;
	if (!nal)
		return;
	kent *e = sp_xmalloc(((size_t)d->n + nal + 1) * sizeof(*e));
	size_t n = 0;
	for (int i = 0; i < d->n; i++)
		if (d->c[i].key && !d->c[i].alone)
			e[n++] = (kent){ d->c[i].compact, i, 0 };
	for (size_t k = 0; k < d->nal; k++)
		if (!d->al[k].plain)
			e[n++] = (kent){ d->al[k].compact, (int)k, 1 };
	qsort(e, n, sizeof(*e), sp_dd_kent_cmp);
	for (size_t s = 0; s < n;) {
		size_t t = s + 1, names = 0;
		while (t < n && strcmp(e[t].k, e[s].k) == 0)
			t++;
		while (s + names < t && e[s + names].kind == 0)
			names++;
		if (names && names < t - s && (long)(t - s) <= d->block_cap)
			for (size_t a = s + names; a < t; a++)
				for (size_t b = s; b < s + names; b++)
					alias_pair(d, e[a].idx, e[b].idx);
		s = t;
	}
	free(e);
}
