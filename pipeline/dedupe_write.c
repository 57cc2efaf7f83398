/*
 * dedupe_write.c — the dedupe stage's output: clusters -> `entity`, `member`, `entity_merge`.
 *
 * What it does: dd_write() numbers the clusters in order of their earliest record, lets
 * sp_dedupe_assign_ids() (dedupe_ids.c) decide which id each keeps, and in ONE transaction
 *   - brings `member` to every candidate with the rule, score and peer that placed it (a
 *     record alone in its cluster, or placed by no rule, is "single" with score 1), and keeps
 *     `record_entity` (each record's last and home entity) up to date for the records it moved;
 *   - upserts one `entity` per cluster with its golden record (sp_golden_compute, golden.h);
 * writing only what changed: a member row as the last run left it (dd_load reads them) stays,
 * with the run_id of the run that placed it so; an entity row whose values are the same is not
 * rewritten; rows known new (an id above the largest, a record without a member or
 * record_entity row) are plain inserts, which a server takes in bulk (core/store.h). Fewer
 * writes, and on PostgreSQL fewer foreign-key checks at commit (one per row written);
 *   - for every old id that lost to a smaller one: merged_into + nsources 0 on its row, an
 *     `entity_merge` row, and earlier merges into it redirected (chains stay one hop deep);
 *   - gives entities whose records all disappeared nsources 0 and active NULL (the row stays:
 *     other tables may refer to it).
 * It then fills the stage counts: out = clusters, note = the linking statistics and how many
 * analysts' judgements now need review (their records split: judgement.h).
 *
 * Invariants: all SQL of the stage's output is here; which id and which field value are
 * decided elsewhere (dedupe_ids.c, golden.c) without SQL. Entity rows are written in cluster
 * order, merges in ascending old id.
 *
 * Ownership: reads the dd (owned by sp_stage_dedupe); everything allocated here is freed here.
 *
 * Failure: SP_EDB with ctx->err set, or SP_EINTERRUPTED on a stop request (core/stop.h, looked at
 * every cluster and every 1024 members); once the transaction is open it is rolled back, so a failed, stopped or
 * killed write leaves the previous run's entities and members intact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/stop.h"
#include "core/store.h"
#include "pipeline/dedupe.h"
#include "pipeline/dedupe_int.h"
#include "pipeline/golden.h"
#include "pipeline/judgement.h"

static const char *const rule_names[] = { "override", "regnum", "ra_link", "lei", "domain",
					  "snapshot_name", "exact_name", "previous_name", "name_subset", "fuzzy_name",
					  "single" };

/* A candidate and its cluster, named by the cluster's earliest candidate (its anchor). */
typedef struct gm {
	int anchor, idx;
} gm;

static int gm_cmp(const void *x, const void *y)
{
	const gm *a = x, *b = y;
	if (a->anchor != b->anchor)
		return a->anchor < b->anchor ? -1 : 1;
	return a->idx - b->idx;
}

/* The clusters: members m[start[g]..start[g+1]) of cluster g, clusters in order of earliest record. */
typedef struct clusters {
	gm *m;
	int *start;
	int n, largest; /* number of clusters; members of the largest */
} clusters;

static void clusters_build(dd *d, clusters *cs)
{
	cs->m = sp_xmalloc(((size_t)d->n + 1) * sizeof(*cs->m));
	for (int i = 0; i < d->n; i++)
		cs->m[i] = (gm){ d->anchor[dd_find(d, i)], i };
	qsort(cs->m, (size_t)d->n, sizeof(*cs->m), gm_cmp);
	cs->start = sp_xmalloc(((size_t)d->n + 2) * sizeof(int));
	cs->n = 0;
	for (int i = 0; i < d->n; i++)
		if (i == 0 || cs->m[i].anchor != cs->m[i - 1].anchor)
			cs->start[cs->n++] = i;
	cs->start[cs->n] = d->n;
	cs->largest = 0;
	for (int g = 0; g < cs->n; g++)
		if (cs->start[g + 1] - cs->start[g] > cs->largest)
			cs->largest = cs->start[g + 1] - cs->start[g];
}

/* Every member that was in an entity before claims that id (and its home id) for its cluster. */
static void assign_ids(const dd *d, const clusters *cs, int64_t max_id, sp_dedupe_ids *ids)
{
	sp_dedupe_claim *cl = sp_xmalloc(((size_t)d->n + 1) * sizeof(*cl));
	size_t ncl = 0;
	for (int g = 0; g < cs->n; g++)
		for (int i = cs->start[g]; i < cs->start[g + 1]; i++)
			if (d->c[cs->m[i].idx].old_eid > 0 || d->c[cs->m[i].idx].home_eid > 0)
				cl[ncl++] = (sp_dedupe_claim){ d->c[cs->m[i].idx].old_eid, d->c[cs->m[i].idx].home_eid, g };
	sp_dedupe_assign_ids(cl, ncl, cs->n, max_id, ids);
	free(cl);
}

/* ---------------------------------------------------------------- SQL */

typedef struct writer {
	sp_ctx *ctx;
	sp_stmt *ent, *mem, *mrg, *mrg2, *mrg3, *near, *home;
	sp_stmt *ent_new, *home_new; /* plain inserts of rows known new (a server copies them in bulk) */
	sp_stmt *mem_up;             /* a member row that changed */
	int64_t max_id;              /* the largest entity id before this run: ids above are new */
	sp_golden_member *gbuf; /* one cluster's members, for the golden rule */
} writer;

static int writer_prepare(writer *w)
{
	sp_store *db = w->ctx->db;
	sp_err *err = w->ctx->err;
	int rc;
	if ((rc = sp_store_prepare(db,
				   "INSERT INTO entity (id, name, country, city, founded, website, first_seen, cohort,"
				   " created_run, merged_into, active, nsources) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,NULL,?10,?11)"
				   " ON CONFLICT(id) DO UPDATE SET name = excluded.name, country = excluded.country,"
				   " city = excluded.city, founded = excluded.founded, website = excluded.website,"
				   " first_seen = excluded.first_seen, cohort = excluded.cohort, merged_into = NULL,"
				   " active = excluded.active, nsources = excluded.nsources"
				   " WHERE entity.name IS NOT excluded.name OR entity.country IS NOT excluded.country"
				   " OR entity.city IS NOT excluded.city OR entity.founded IS NOT excluded.founded"
				   " OR entity.website IS NOT excluded.website OR entity.first_seen IS NOT excluded.first_seen"
				   " OR entity.cohort IS NOT excluded.cohort OR entity.merged_into IS NOT NULL"
				   " OR entity.active IS NOT excluded.active OR entity.nsources IS NOT excluded.nsources",
				   &w->ent, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db,
				   "INSERT INTO entity (id, name, country, city, founded, website, first_seen, cohort,"
				   " created_run, active, nsources) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
				   &w->ent_new, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db, "INSERT INTO record_entity (record_id, entity_id, home_id) VALUES (?1,?2,?3)",
				   &w->home_new, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db,
				   "INSERT INTO member (record_id, entity_id, rule, score, peer_record_id, run_id, home_id, reason)"
				   " VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
				   &w->mem, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db,
				   "INSERT INTO member (record_id, entity_id, rule, score, peer_record_id, run_id, home_id, reason)"
				   " VALUES (?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(record_id) DO UPDATE SET entity_id = excluded.entity_id,"
				   " rule = excluded.rule, score = excluded.score, peer_record_id = excluded.peer_record_id,"
				   " run_id = excluded.run_id, home_id = excluded.home_id, reason = excluded.reason",
				   &w->mem_up, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db, "UPDATE entity SET merged_into = ?2, nsources = 0 WHERE id = ?1", &w->mrg,
				   err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db,
				   "INSERT INTO entity_merge (old_id, into_id, run_id, reason) VALUES (?1,?2,?3,?4)"
				   " ON CONFLICT(old_id) DO UPDATE SET into_id = excluded.into_id, run_id = excluded.run_id,"
				   " reason = excluded.reason",
				   &w->mrg2, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db, "INSERT INTO record_entity (record_id, entity_id, home_id) VALUES (?1,?2,?3)"
				       " ON CONFLICT(record_id) DO UPDATE SET entity_id = excluded.entity_id, home_id = excluded.home_id",
				   &w->home, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db, "INSERT INTO review_pair (a, b, rule, score, reason, run_id)"
				       " VALUES (?1,?2,?3,?4,?5,?6)", &w->near, err)) != SP_OK)
		return rc;
	return sp_store_prepare(db, "UPDATE entity_merge SET into_id = ?2 WHERE into_id = ?1", &w->mrg3, err);
}

static void writer_finalize(writer *w)
{
	sp_finalize(w->ent), sp_finalize(w->mem), sp_finalize(w->mrg);
	sp_finalize(w->mrg2), sp_finalize(w->mrg3), sp_finalize(w->near), sp_finalize(w->home);
	sp_finalize(w->ent_new), sp_finalize(w->home_new), sp_finalize(w->mem_up);
	w->ent = w->mem = w->mrg = w->mrg2 = w->mrg3 = w->near = w->home = w->ent_new = w->home_new = w->mem_up = NULL;
}

/* The entity row of one cluster: its id and its golden record. */
static int write_entity(writer *w, const dd *d, const gm *m, int n, int64_t id)
{
	for (int i = 0; i < n; i++) {
		const cand *x = &d->c[m[i].idx];
		sp_golden_member *y = &w->gbuf[i];
		y->rid = x->rid, y->source = x->source, y->source_key = x->srckey, y->prio = x->prio;
		y->last_seen = x->last_seen, y->first_seen = x->first_seen;
		sp_golden_member_fields(y, x->name, x->country, x->city_raw, x->founded, x->website, x->domain, x->active);
	}
	sp_golden g;
	sp_golden_compute(w->gbuf, (size_t)n, &g);
	sp_stmt *ent = id > w->max_id ? w->ent_new : w->ent; /* the same parameters */
	sp_bind_int64(ent, 1, id);
	sp_bind_text(ent, 2, sp_golden_value(&g, w->gbuf, SP_GOLDEN_NAME));
	sp_bind_text(ent, 3, sp_golden_value(&g, w->gbuf, SP_GOLDEN_COUNTRY));
	sp_bind_text(ent, 4, sp_golden_value(&g, w->gbuf, SP_GOLDEN_CITY));
	sp_bind_text(ent, 5, sp_golden_value(&g, w->gbuf, SP_GOLDEN_FOUNDED));
	sp_bind_text(ent, 6, sp_golden_value(&g, w->gbuf, SP_GOLDEN_WEBSITE));
	sp_bind_text(ent, 7, g.first_seen);
	if (g.first_seen)
		sp_bind_int(ent, 8, atoi(g.first_seen));
	else
		sp_bind_null(ent, 8);
	sp_bind_int64(ent, 9, w->ctx->run_id);
	if (g.from[SP_GOLDEN_ACTIVE] >= 0)
		sp_bind_int(ent, 10, w->gbuf[g.from[SP_GOLDEN_ACTIVE]].active);
	else
		sp_bind_null(ent, 10);
	sp_bind_int(ent, 11, g.nsources);
	return sp_store_step_done(w->ctx->db, ent, w->ctx->err);
}

/* The words of a member's reason beyond its rule (NULL: the rule says it all): for previous_name,
 * which name matched, the record's own alias or its peer's; for a domain link between different
 * names, that it is a rename. */
static const char *member_reason(const dd *d, const cand *x, char *buf, size_t n)
{
	if (x->note == DD_NOTE_RENAMED)
		return "same website under another name, same city and founding year: renamed";
	if (x->note == DD_NOTE_REDIRECT)
		return "one website redirects to the other's: renamed";
	if (x->rule != R_ALIAS || x->note < 0)
		return NULL;
	const dd_alias *al = &d->al[x->note];
	const char *kind = al->previous ? "previous name" : "other name";
	if (&d->c[al->idx] == x)
		snprintf(buf, n, "its %s \"%s\" is the peer's name", kind, al->name);
	else
		snprintf(buf, n, "matches %s \"%s\" of the peer", kind, al->name);
	return buf;
}

/* A member row: what placed the record in its cluster (entity id) and its home. */
typedef struct mrow {
	const char *rule, *reason;
	double score;
	int64_t peer, home; /* peer 0: none */
	char why[600];
} mrow;

static void member_row(const dd *d, const cand *x, int n, int64_t id, mrow *r)
{
	int single = n == 1 || x->rule < 0;
	r->rule = rule_names[single ? R_SINGLE : x->rule];
	r->score = single ? 1.0 : (double)x->score;
	r->peer = !single && x->peer >= 0 ? d->c[x->peer].rid : 0;
	r->home = x->home_eid > 0 ? x->home_eid : id;
	r->reason = single ? NULL : member_reason(d, x, r->why, sizeof(r->why));
}

static int str_same(const char *a, const char *b)
{
	a = a && *a ? a : NULL, b = b && *b ? b : NULL; /* an empty text is stored as NULL */
	return a == b || (a && b && !strcmp(a, b));
}

/* The record's member row is already as the previous run left it. */
static int member_same(const cand *x, int64_t id, const mrow *r)
{
	const dd_oldmem *o = x->om;
	return o && o->eid == id && str_same(o->rule, r->rule) && !o->score_null && o->score == r->score &&
	       o->peer == r->peer && o->home == r->home && str_same(o->reason, r->reason);
}

static int member_step(writer *w, sp_stmt *s, const cand *x, int64_t id, const mrow *r)
{
	sp_bind_int64(s, 1, x->rid);
	sp_bind_int64(s, 2, id);
	sp_bind_text(s, 3, r->rule);
	sp_bind_double(s, 4, r->score);
	if (r->peer)
		sp_bind_int64(s, 5, r->peer);
	else
		sp_bind_null(s, 5);
	sp_bind_int64(s, 6, w->ctx->run_id);
	sp_bind_int64(s, 7, r->home);
	sp_bind_text(s, 8, r->reason);
	return sp_store_step_done(w->ctx->db, s, w->ctx->err);
}

/* The member and record_entity rows of one cluster's records that had them and changed (the
 * records placed for the first time: write_new). */
static int write_members(writer *w, const dd *d, const gm *m, int n, int64_t id)
{
	int rc = SP_OK;
	for (int i = 0; i < n && rc == SP_OK; i++) {
		if ((i & 1023) == 1023 && sp_stop_requested()) /* a huge cluster */
			return sp_stop_err(w->ctx->err);
		const cand *x = &d->c[m[i].idx];
		mrow r;
		member_row(d, x, n, id, &r);
		if (x->om && !member_same(x, id, &r))
			rc = member_step(w, w->mem_up, x, id, &r);
		if (rc == SP_OK && x->old_eid != id && x->home_eid > 0) {
			sp_bind_int64(w->home, 1, x->rid);
			sp_bind_int64(w->home, 2, id);
			sp_bind_int64(w->home, 3, x->home_eid);
			rc = sp_store_step_done(w->ctx->db, w->home, w->ctx->err);
		}
	}
	return rc;
}

/* A near miss to write: its record pair (smaller id first) and its place in dd.near. */
typedef struct near_ref {
	int64_t a, b;
	size_t k;
} near_ref;

static int near_cmp(const void *x, const void *y)
{
	const near_ref *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->k < q->k ? -1 : p->k > q->k;
}

/* The near misses whose records ended in two clusters (dd.near), for the review queue: each pair
 * once, as first found (a plain insert each, which a server takes in bulk). */
static int write_near(writer *w, dd *d)
{
	int rc = sp_store_exec(w->ctx->db, "DELETE FROM review_pair", w->ctx->err);
	near_ref *r = sp_xmalloc((d->nnear + 1) * sizeof(*r));
	size_t n = 0;
	for (size_t k = 0; k < d->nnear; k++) {
		const dd_near *x = &d->near[k];
		if (dd_find(d, x->a) == dd_find(d, x->b))
			continue;
		int64_t ra = d->c[x->a].rid, rb = d->c[x->b].rid;
		r[n++] = (near_ref){ ra < rb ? ra : rb, ra < rb ? rb : ra, k };
	}
	qsort(r, n, sizeof(*r), near_cmp);
	d->near_written = 0;
	for (size_t i = 0; i < n && rc == SP_OK; i++) {
		if (i && r[i].a == r[i - 1].a && r[i].b == r[i - 1].b)
			continue;
		const dd_near *x = &d->near[r[i].k];
		sp_bind_int64(w->near, 1, r[i].a);
		sp_bind_int64(w->near, 2, r[i].b);
		sp_bind_text(w->near, 3, x->rule >= 0 ? rule_names[x->rule] : NULL);
		sp_bind_double(w->near, 4, (double)x->score);
		sp_bind_text(w->near, 5, x->why);
		sp_bind_int64(w->near, 6, w->ctx->run_id);
		rc = sp_store_step_done(w->ctx->db, w->near, w->ctx->err);
		d->near_written++;
	}
	free(r);
	return rc;
}

/* The largest hub keys of this run (hub_key, for `sparker status`), replacing the last run's. */
static int write_hubs(sp_ctx *ctx, const dd *d)
{
	sp_stmt *s = NULL;
	int rc = sp_store_exec(ctx->db, "DELETE FROM hub_key", ctx->err);
	if (rc == SP_OK)
		rc = sp_store_prepare(ctx->db, "INSERT INTO hub_key (kind, key, names, run_id) VALUES (?1,?2,?3,?4)"
				      " ON CONFLICT (kind, key) DO UPDATE SET names = excluded.names, run_id = excluded.run_id",
				      &s, ctx->err);
	for (size_t k = 0; k < SP_ARRAY_LEN(d->hub) && rc == SP_OK; k++) {
		if (!d->hub[k].key)
			continue;
		sp_bind_text(s, 1, d->hub[k].kind);
		sp_bind_text(s, 2, d->hub[k].key);
		sp_bind_int64(s, 3, d->hub[k].names);
		sp_bind_int64(s, 4, ctx->run_id);
		rc = sp_store_step_done(ctx->db, s, ctx->err);
	}
	sp_finalize(s);
	return rc;
}

/* Old ids that lost to a smaller id in the same cluster; ids given back are merges no more. */
static int write_merges(writer *w, const sp_dedupe_ids *ids)
{
	sp_store *db = w->ctx->db;
	int rc = SP_OK;
	sp_stmt *unmerge = NULL;
	if (ids->nrevived)
		rc = sp_store_prepare(db, "DELETE FROM entity_merge WHERE old_id = ?1", &unmerge, w->ctx->err);
	for (size_t k = 0; k < ids->nrevived && rc == SP_OK; k++) {
		sp_bind_int64(unmerge, 1, ids->revived[k]);
		rc = sp_store_step_done(db, unmerge, w->ctx->err);
	}
	sp_finalize(unmerge);
	for (size_t k = 0; k < ids->nmerge && rc == SP_OK; k++) {
		int64_t old = ids->merge[k].old_id, into = ids->merge[k].into;
		sp_bind_int64(w->mrg, 1, old);
		sp_bind_int64(w->mrg, 2, into);
		if ((rc = sp_store_step_done(db, w->mrg, w->ctx->err)) != SP_OK)
			break;
		sp_bind_int64(w->mrg2, 1, old);
		sp_bind_int64(w->mrg2, 2, into);
		sp_bind_int64(w->mrg2, 3, w->ctx->run_id);
		sp_bind_text(w->mrg2, 4, "clusters joined");
		if ((rc = sp_store_step_done(db, w->mrg2, w->ctx->err)) != SP_OK)
			break;
		sp_bind_int64(w->mrg3, 1, old);
		sp_bind_int64(w->mrg3, 2, into);
		rc = sp_store_step_done(db, w->mrg3, w->ctx->err);
	}
	if (rc == SP_OK)
		rc = sp_store_exec(db,
				   "UPDATE entity SET merged_into = (SELECT into_id FROM entity_merge WHERE old_id = entity.id)"
				   " WHERE merged_into IS NOT NULL AND id IN (SELECT old_id FROM entity_merge);"
				   "UPDATE entity SET nsources = 0, active = NULL WHERE merged_into IS NULL AND nsources != 0"
				   " AND id NOT IN (SELECT entity_id FROM member)",
				   w->ctx->err);
	return rc;
}

/* The member rows, then the record_entity rows, of the records without them (placed for the
 * first time, or members again), after every entity: on a server, a table's plain inserts go in
 * bulk as long as no other write to that table comes between. */
static int write_new(writer *w, const dd *d, const clusters *cs, const sp_dedupe_ids *ids)
{
	int rc = SP_OK;
	for (int pass = 0; pass < 2; pass++)
		for (int g = 0; g < cs->n && rc == SP_OK; g++) {
			int n = cs->start[g + 1] - cs->start[g];
			for (int i = cs->start[g]; i < cs->start[g + 1] && rc == SP_OK; i++) {
				const cand *x = &d->c[cs->m[i].idx];
				if (pass == 0 && !x->om) {
					mrow r;
					member_row(d, x, n, ids->id[g], &r);
					rc = member_step(w, w->mem, x, ids->id[g], &r);
				} else if (pass == 1 && x->home_eid <= 0) {
					sp_bind_int64(w->home_new, 1, x->rid);
					sp_bind_int64(w->home_new, 2, ids->id[g]);
					sp_bind_int64(w->home_new, 3, ids->id[g]);
					rc = sp_store_step_done(w->ctx->db, w->home_new, w->ctx->err);
				}
			}
		}
	return rc;
}

/* Each cluster's entity and members: first the clusters keeping an old id (their entity rows
 * upserted), then those with a new id (plain inserts), so that neither kind of write to entity
 * interrupts the other's batch on a server; every entity row still comes before its members. */
static int write_clusters(writer *w, const dd *d, const clusters *cs, const sp_dedupe_ids *ids)
{
	int rc = SP_OK, done = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int g = 0; g < cs->n && rc == SP_OK; g++) {
			if ((ids->id[g] > w->max_id) != pass)
				continue;
			if (sp_stop_requested())
				return sp_stop_err(w->ctx->err);
			if ((++done & 1023) == 1023)
				sp_progress_update(done);
			const gm *m = cs->m + cs->start[g];
			int n = cs->start[g + 1] - cs->start[g];
			if ((rc = write_entity(w, d, m, n, ids->id[g])) == SP_OK)
				rc = write_members(w, d, m, n, ids->id[g]);
		}
	return rc == SP_OK ? write_new(w, d, cs, ids) : rc;
}

/* The whole output in one transaction; rolled back on any error after BEGIN. */
static int write_all(dd *d, const clusters *cs, const sp_dedupe_ids *ids, int64_t max_id)
{
	sp_ctx *ctx = d->ctx;
	int rc;
	if ((rc = sp_store_exec(ctx->db, "PRAGMA cache_size = -262144", ctx->err)) != SP_OK)
		return rc;
	if ((rc = sp_store_begin(ctx->db, ctx->err)) != SP_OK)
		return rc;
	writer w = { .ctx = ctx, .max_id = max_id };
	w.gbuf = sp_xmalloc(((size_t)cs->largest + 1) * sizeof(*w.gbuf));
	/* members of records no longer candidates (dd_load's candidates: joined to their record) */
	if ((rc = sp_store_exec(ctx->db, "DELETE FROM member WHERE NOT EXISTS (SELECT 1 FROM candidate c"
				" JOIN record r ON r.id = c.record_id WHERE c.record_id = member.record_id)", ctx->err)) == SP_OK)
		rc = writer_prepare(&w);
	sp_progress_start("dedupe: writing", cs->n, "entities");
	if (rc == SP_OK)
		rc = write_clusters(&w, d, cs, ids);
	if (rc == SP_OK)
		rc = write_merges(&w, ids);
	if (rc == SP_OK)
		rc = write_near(&w, d);
	if (rc == SP_OK)
		rc = write_hubs(ctx, d);
	sp_progress_end();
	writer_finalize(&w);
	free(w.gbuf);
	if (rc == SP_OK)
		rc = sp_store_commit(ctx->db, ctx->err);
	if (rc != SP_OK)
		sp_store_rollback(ctx->db);
	return rc;
}

int dd_write(dd *d, sp_counts *cnt)
{
	sp_ctx *ctx = d->ctx;
	clusters cs;
	clusters_build(d, &cs);
	sp_dedupe_ids ids = { 0 };
	int64_t max_id = 0;
	int rc = sp_store_int(ctx->db, "SELECT COALESCE(max(id),0) FROM entity", &max_id, ctx->err);
	if (rc == SP_OK) {
		assign_ids(d, &cs, max_id, &ids);
		rc = write_all(d, &cs, &ids, max_id);
	}
	sp_judgement_counts jc = { 0 };
	if (rc == SP_OK) /* after the commit: where the analysts' judgements land now */
		rc = sp_judgement_count(ctx->db, &jc, ctx->err);
	char redir[96] = "";
	if (d->redirects)
		snprintf(redir, sizeof(redir), "; redirects asked %ld (to another domain %ld), renames by redirect %ld",
			 d->redirect_asked, d->redirect_moved, d->redirect_links);
	if (rc == SP_OK) {
		cnt->out = cs.n;
		snprintf(cnt->note, sizeof(cnt->note),
			 "%d entities (%ld new, %zu merged, %zu given back their id); %lld pairs compared; blocks over cap %ld:"
			 " %ld (largest %ld, window %ld); domains over cap %ld: %ld; guard refused %ld; kept apart by analysts"
			 " %ld; near misses for review %zu; judgements needing review %lld; hub postcodes over cap %ld: %ld%s%s%s;"
			 " same website, different names (same group?): %ld%s",
			 cs.n, ids.created, ids.nmerge, ids.nrevived, (long long)d->pairs, d->block_cap, d->capped_blocks,
			 d->largest_block, d->window, d->domain_cap, d->capped_domains, d->refused, d->apart_refused,
			 d->near_written, (long long)jc.review, d->postcode_cap, d->hub_postcodes, d->hubs[0] ? " (largest " : "",
			 d->hubs, d->hubs[0] ? ")" : "", d->group_pairs, redir);
	}
	sp_dedupe_ids_release(&ids);
	free(cs.m), free(cs.start);
	return rc;
}
