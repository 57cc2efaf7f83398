/*
 * dedupe_load.c — the dedupe stage's input: candidates into memory, overrides onto them.
 *
 * What it does: dd_load() reads every candidate joined to its record and to the entity it was
 * last and first placed in (record_entity: kept while a record is out of the candidates, so a
 * record that comes back claims its entity again) in ONE SELECT ordered by record id, and derives per candidate what linking needs
 * (compact name key, domain label, postcode key, source priority); dd_load_aliases() then reads
 * their previous and other names (candidate_alias) in the same order. dd_overrides() reads the
 * analysts' match judgements in force (judgement.h; in id order) and applies them: `alone A`
 * marks A alone, `apart A B` keeps A's and B's clusters from ever joining (dd_apart), `link A B`
 * becomes a forced union. References that name no current candidate are skipped. (Which
 * judgements are in force is the log's business: `alone A` there already removed the links of A.)
 *
 * Invariants: candidates keep the SELECT's order (record id), which every later tie-break relies
 * on. Strings are copied into the run's arena; an empty string is stored as NULL.
 *
 * Ownership: everything allocated here hangs off the dd and is freed by sp_stage_dedupe
 * (dd_arena_free for the strings).
 *
 * Failure: SP_EDB with ctx->err set when a query fails, SP_EINTERRUPTED on a stop request
 * (core/stop.h); nothing is written.
 */
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/stop.h"
#include "core/store.h"
#include "pipeline/dedupe.h"
#include "pipeline/dedupe_int.h"

/* ---------------------------------------------------------------- arena */

/* n bytes from the arena, at a multiple of align (a power of two) */
static void *arena_alloc(dd_arena *a, size_t n, size_t align)
{
	size_t at = a->head ? (a->head->used + align - 1) & ~(align - 1) : 0;
	if (!a->head || at + n > a->head->cap) {
		size_t cap = n > (1 << 20) ? n : (1 << 20);
		dd_arena_blk *b = sp_xmalloc(sizeof(*b) + cap);
		b->next = a->head, b->used = 0, b->cap = cap;
		a->head = b;
		at = 0;
	}
	a->head->used = at + n;
	return a->head->data + at;
}

static const char *arena_dup(dd_arena *a, const char *s)
{
	if (!s || !*s)
		return NULL;
	size_t n = strlen(s) + 1;
	return memcpy(arena_alloc(a, n, 1), s, n);
}

void dd_arena_free(dd_arena *a)
{
	while (a->head) {
		dd_arena_blk *n = a->head->next;
		free(a->head);
		a->head = n;
	}
}

/* ---------------------------------------------------------------- load */

static const char *col(sp_stmt *s, int i)
{
	return sp_col_text(s, i);
}

/* The first label of a domain without a marketing prefix or '-' ("trycybra.io" -> "cybra"):
 * what a website named after the company's name looks like. */
static const char *domain_label(dd_arena *ar, const char *domain)
{
	static const char *const pre[] = { "get", "try", "hello", "use", "join", "go", "my", "the", "with" };
	const char *p = domain;
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
	return arena_dup(ar, lb);
}

/* A name key without its spaces ("tanex tech" -> "tanextech"). */
static const char *compact_key(dd_arena *ar, const char *key)
{
	char buf[512];
	size_t m = 0;
	for (const char *p = key; *p && m + 1 < sizeof(buf); p++)
		if (*p != ' ')
			buf[m++] = *p;
	buf[m] = 0;
	return arena_dup(ar, buf);
}

/* Postcode key: upper-case letters and digits only. */
static const char *postcode_key(dd_arena *ar, const char *pc)
{
	char pb[32];
	size_t m = 0;
	for (; *pc && m + 1 < sizeof(pb); pc++)
		if ((*pc >= '0' && *pc <= '9') || (*pc >= 'A' && *pc <= 'Z'))
			pb[m++] = *pc;
		else if (*pc >= 'a' && *pc <= 'z')
			pb[m++] = (char)(*pc - 32);
	pb[m] = 0;
	return arena_dup(ar, pb);
}

int dd_load(dd *d)
{
	sp_ctx *ctx = d->ctx;
	sp_stmt *s;
	int rc = sp_store_prepare(ctx->db,
				  "SELECT c.record_id, c.source, r.source_key, c.name, c.name_key, c.country, c.city_key,"
				  " c.domain, c.founded, c.founded_year, c.regnum_key, c.lei, c.ra_key, c.active, c.first_seen,"
				  " r.city, r.website, r.last_seen, h.entity_id, r.postcode, h.home_id, rd.final_domain,"
				  " m.entity_id, m.rule, m.score, m.peer_record_id, m.home_id, m.reason"
				  " FROM candidate c JOIN record r ON r.id = c.record_id"
				  " LEFT JOIN record_entity h ON h.record_id = c.record_id"
				  " LEFT JOIN member m ON m.record_id = c.record_id"
				  " LEFT JOIN redirect rd ON ?1 AND rd.domain = c.domain ORDER BY c.record_id",
				  &s, ctx->err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int(s, 1, d->redirects);
	const char *last_src = NULL;
	int last_prio = 0;
	sp_progress_start("dedupe: loading", 0, "candidates");
	while ((rc = sp_step(s)) == SP_ROW) {
		if ((d->n & 1023) == 1023) {
			if (sp_stop_requested()) {
				sp_progress_end();
				sp_finalize(s);
				return sp_stop_err(ctx->err);
			}
			sp_progress_update(d->n);
		}
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 1024;
			d->c = sp_xrealloc(d->c, (size_t)d->cap * sizeof(*d->c));
		}
		cand *x = &d->c[d->n++];
		memset(x, 0, sizeof(*x));
		x->rid = sp_col_int64(s, 0);
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
		x->compact = x->key ? compact_key(&d->ar, x->key) : "";
		const char *cc = col(s, 5);
		if (cc && strlen(cc) == 2)
			memcpy(x->country, cc, 3);
		x->city = arena_dup(&d->ar, col(s, 6));
		x->domain = arena_dup(&d->ar, col(s, 7));
		x->founded = arena_dup(&d->ar, col(s, 8));
		if (x->domain)
			x->label = domain_label(&d->ar, x->domain);
		x->year = sp_col_int(s, 9);
		x->regnum = arena_dup(&d->ar, col(s, 10));
		x->lei = arena_dup(&d->ar, col(s, 11));
		x->ra = arena_dup(&d->ar, col(s, 12));
		x->hard = x->regnum ? x->regnum : x->ra;
		x->active = sp_col_null(s, 13) ? -1 : sp_col_int(s, 13);
		x->first_seen = arena_dup(&d->ar, col(s, 14));
		x->city_raw = arena_dup(&d->ar, col(s, 15));
		x->website = arena_dup(&d->ar, col(s, 16));
		x->last_seen = arena_dup(&d->ar, col(s, 17));
		x->old_eid = sp_col_int64(s, 18);
		x->home_eid = sp_col_int64(s, 20);
		if (sp_col_int64(s, 22) > 0) { /* the record's member row (kept in the arena: most have none on a first run) */
			dd_oldmem *om = arena_alloc(&d->ar, sizeof(*om), _Alignof(dd_oldmem));
			om->eid = sp_col_int64(s, 22);
			om->rule = arena_dup(&d->ar, col(s, 23));
			om->score_null = sp_col_null(s, 24);
			om->score = sp_col_double(s, 24);
			om->peer = sp_col_int64(s, 25);
			om->home = sp_col_int64(s, 26);
			om->reason = arena_dup(&d->ar, col(s, 27));
			x->om = om;
		}
		const char *mv = col(s, 21);
		if (mv && x->domain && strcmp(mv, x->domain) != 0)
			x->moved = arena_dup(&d->ar, mv);
		const char *pc = col(s, 19);
		if (pc)
			x->postcode = postcode_key(&d->ar, pc);
		x->rule = -1;
		x->peer = -1;
		x->note = DD_NOTE_NONE;
	}
	sp_progress_end();
	if (rc != SP_DONE) {
		rc = sp_store_error(ctx->db, ctx->err, "dedupe: reading candidates");
		sp_finalize(s);
		return rc;
	}
	sp_finalize(s);
	return SP_OK;
}

/* The candidate with record id rid (d->c is ordered by record id), or -1. */
static int cand_of_rid(const dd *d, int64_t rid)
{
	int lo = 0, hi = d->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (d->c[mid].rid < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && d->c[lo].rid == rid ? lo : -1;
}

int dd_load_aliases(dd *d)
{
	sp_stmt *s;
	int rc = sp_store_prepare(d->ctx->db,
				  "SELECT record_id, name, name_key, kind FROM candidate_alias ORDER BY record_id, rowid", &s,
				  d->ctx->err);
	if (rc != SP_OK)
		return rc;
	while ((rc = sp_step(s)) == SP_ROW) {
		int idx = cand_of_rid(d, sp_col_int64(s, 0));
		const char *key = col(s, 2);
		if (idx < 0 || !key || !*key)
			continue;
		if (d->nal == d->alcap) {
			d->alcap = d->alcap ? d->alcap * 2 : 256;
			d->al = sp_xrealloc(d->al, d->alcap * sizeof(*d->al));
		}
		dd_alias *a = &d->al[d->nal++];
		*a = (dd_alias){ idx, arena_dup(&d->ar, col(s, 1)), compact_key(&d->ar, key), arena_dup(&d->ar, key),
				 col(s, 3) && strcmp(col(s, 3), "previous") == 0, 0 };
	}
	if (rc != SP_DONE)
		rc = sp_store_error(d->ctx->db, d->ctx->err, "dedupe: reading aliases");
	else
		rc = SP_OK;
	sp_finalize(s);
	return rc;
}

/* ---------------------------------------------------------------- overrides */

/* Candidate indexes by (source, source key), for looking up SOURCE:KEY references. */
static int ref_cmp(const void *x, const void *y, void *ctx)
{
	const dd *d = ctx;
	const cand *a = &d->c[*(const int *)x], *b = &d->c[*(const int *)y];
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

/* Pairs an analyst said are different companies: kept for the union-find guard (dd_apart). */
static void apart_add(dd *d, int a, int b)
{
	if (d->napart == d->apart_cap) {
		d->apart_cap = d->apart_cap ? d->apart_cap * 2 : 16;
		d->apart = sp_xrealloc(d->apart, d->apart_cap * sizeof(*d->apart));
	}
	d->apart[d->napart++] = (dd_pair){ a, b };
	d->c[a].napart++, d->c[b].napart++;
}

int dd_overrides(dd *d, long *nover)
{
	sp_stmt *s;
	int rc = sp_store_prepare(d->ctx->db,
				  "SELECT kind, a, b FROM judgement_active WHERE kind IN ('link', 'apart', 'alone') ORDER BY id", &s,
				  d->ctx->err);
	if (rc != SP_OK)
		return rc;
	int *by = sp_xmalloc(((size_t)d->n + 1) * sizeof(int));
	for (int i = 0; i < d->n; i++)
		by[i] = i;
	qsort_r(by, (size_t)d->n, sizeof(int), ref_cmp, d);
	int *la = NULL, *lb = NULL;
	size_t nl = 0, lcap = 0;
	while ((rc = sp_step(s)) == SP_ROW) {
		const char *kind = col(s, 0);
		int a = ref_find(d, by, col(s, 1));
		if (a < 0)
			continue;
		if (strcmp(kind, "alone") == 0) {
			d->c[a].alone = 1;
		} else {
			int b = ref_find(d, by, col(s, 2));
			if (b < 0 || b == a)
				continue;
			if (strcmp(kind, "apart") == 0) {
				apart_add(d, a, b);
			} else {
				if (nl == lcap) {
					lcap = lcap ? lcap * 2 : 16;
					la = sp_xrealloc(la, lcap * sizeof(int));
					lb = sp_xrealloc(lb, lcap * sizeof(int));
				}
				la[nl] = a, lb[nl] = b, nl++;
			}
		}
		(*nover)++;
	}
	if (rc != SP_DONE)
		rc = sp_store_error(d->ctx->db, d->ctx->err, "dedupe: reading judgements");
	else
		rc = SP_OK;
	sp_finalize(s);
	if (rc == SP_OK) {
		for (int i = 0; i < d->n; i++) /* every candidate is its own root still */
			d->napart_root[i] = d->c[i].napart;
		for (size_t i = 0; i < nl; i++)
			dd_edge_add(d, la[i], lb[i], R_OVERRIDE, 1.0f, 9);
		dd_apply_edges(d, 0);
	}
	free(la), free(lb), free(by);
	return rc;
}
