/*
 * review.c — the review queues (contract in review.h): SQL and order only.
 *
 * All SQL on review_pair for reading is here (dedupe_write.c writes it). The exclusion of pairs
 * already judged reads judgement_active the way judgement.c writes match judgements: a and b
 * are 'SOURCE:KEY' strings with a < b byte-wise (SQLite's BINARY collation is memcmp, the same
 * order as strcmp for these NUL-free strings).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/review.h"

const char *const sp_review_field_names[SP_RV_NFIELDS] = {
	"name", "country", "city", "postcode", "website", "founded", "status", "registry", "categories", "description",
};

static char *dup_col(sp_stmt *s, int i)
{
	const char *v = sp_col_text(s, i);
	return v && *v ? sp_xstrdup(v) : NULL;
}

/* ---------------------------------------------------------------- pairs */

/* The queue: one row per pair, in order. ?1: none. */
static const char PAIRS_SQL[] =
	"WITH m AS MATERIALIZED (SELECT a, b FROM judgement_active"
	"                        WHERE kind IN ('link', 'apart', 'unsure') AND b IS NOT NULL),"
	" q AS (SELECT p.a, p.b, p.rule, p.score, p.reason,"
	"        ra.source || ':' || ra.source_key AS ref_a, rb.source || ':' || rb.source_key AS ref_b,"
	"        ma.entity_id AS ea, mb.entity_id AS eb,"
	"        COALESCE(sa.qualified, 0) AS qa, COALESCE(sb.qualified, 0) AS qb, ca.score AS xa, cb.score AS xb"
	"        FROM review_pair p JOIN record ra ON ra.id = p.a JOIN record rb ON rb.id = p.b"
	"        LEFT JOIN member ma ON ma.record_id = p.a LEFT JOIN member mb ON mb.record_id = p.b"
	"        LEFT JOIN selection sa ON sa.entity_id = ma.entity_id LEFT JOIN selection sb ON sb.entity_id = mb.entity_id"
	"        LEFT JOIN score ca ON ca.entity_id = ma.entity_id LEFT JOIN score cb ON cb.entity_id = mb.entity_id"
	"        WHERE ma.entity_id IS NULL OR mb.entity_id IS NULL OR ma.entity_id <> mb.entity_id)"
	" SELECT a, b, rule, score, reason, ref_a, ref_b, ea, eb, qa, qb, xa, xb FROM q"
	" WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.a = min(q.ref_a, q.ref_b) AND m.b = max(q.ref_a, q.ref_b))"
	" ORDER BY max(qa, qb) DESC, max(COALESCE(xa, -1e300), COALESCE(xb, -1e300)) DESC, score DESC, a, b";

/* One record as the pair shows it: shown values, then the keys compared (SP_RV_* order). */
static const char RECORD_SQL[] =
	"SELECT r.name, COALESCE(c.country, r.country), r.city, r.postcode, COALESCE(r.website, c.domain), r.founded,"
	" r.status, r.regnum, r.categories, r.description,"
	" c.name_key, c.country, c.city_key, upper(replace(r.postcode, ' ', '')), c.domain, c.founded_year,"
	" c.active, c.regnum_key"
	" FROM record r LEFT JOIN candidate c ON c.record_id = r.id WHERE r.id = ?1";

static int record_fill(sp_stmt *rs, sp_review_record *x, sp_store *db, sp_err *err)
{
	sp_bind_int64(rs, 1, x->id);
	int st = sp_step(rs);
	if (st == SP_ROW) {
		for (int f = 0; f < SP_RV_NFIELDS; f++)
			x->show[f] = dup_col(rs, f);
		for (int f = 0; f <= SP_RV_REGNUM; f++)
			x->key[f] = dup_col(rs, SP_RV_NFIELDS + f);
	}
	sp_reset(rs);
	return st == SP_ROW || st == SP_DONE ? SP_OK : sp_store_error(db, err, "review: reading a record");
}

static void side_from(sp_stmt *s, int id_col, int ref_col, int ent_col, int q_col, int x_col, sp_review_record *x)
{
	x->id = sp_col_int64(s, id_col);
	x->ref = dup_col(s, ref_col);
	x->entity = sp_col_int64(s, ent_col);
	x->qualified = sp_col_int(s, q_col);
	x->scored = !sp_col_null(s, x_col);
	x->score = sp_col_double(s, x_col);
}

int sp_review_pairs(sp_store *db, sp_review_pair **out, size_t *n, sp_err *err)
{
	*out = NULL, *n = 0;
	sp_stmt *s = NULL, *rs = NULL;
	int rc = sp_store_prepare(db, PAIRS_SQL, &s, err);
	if (rc == SP_OK)
		rc = sp_store_prepare(db, RECORD_SQL, &rs, err);
	sp_review_pair *v = NULL;
	size_t cnt = 0, cap = 0;
	int st = SP_DONE;
	while (rc == SP_OK && (st = sp_step(s)) == SP_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			v = sp_xrealloc(v, cap * sizeof(*v));
		}
		sp_review_pair *p = &v[cnt++];
		memset(p, 0, sizeof(*p));
		side_from(s, 0, 5, 7, 9, 11, &p->a);
		side_from(s, 1, 6, 8, 10, 12, &p->b);
		p->rule = dup_col(s, 2);
		p->score = sp_col_double(s, 3);
		p->reason = dup_col(s, 4);
		rc = record_fill(rs, &p->a, db, err);
		if (rc == SP_OK)
			rc = record_fill(rs, &p->b, db, err);
	}
	if (rc == SP_OK && st != SP_DONE)
		rc = sp_store_error(db, err, "review: reading the near misses");
	sp_finalize(s);
	sp_finalize(rs);
	if (rc != SP_OK) {
		sp_review_pairs_free(v, cnt);
		return rc;
	}
	*out = v, *n = cnt;
	return SP_OK;
}

static void record_release(sp_review_record *x)
{
	free(x->ref);
	for (int f = 0; f < SP_RV_NFIELDS; f++)
		free(x->show[f]), free(x->key[f]);
}

void sp_review_pairs_free(sp_review_pair *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		record_release(&v[i].a);
		record_release(&v[i].b);
		free(v[i].rule), free(v[i].reason);
	}
	free(v);
}

int sp_review_agree(const sp_review_pair *p, int f)
{
	if (f < 0 || f >= SP_RV_NFIELDS || !p->a.key[f] || !p->b.key[f])
		return SP_RV_MISSING;
	return strcmp(p->a.key[f], p->b.key[f]) ? SP_RV_DIFFERS : SP_RV_SAME;
}

/* ---------------------------------------------------------------- selection */

/* ?1 cohort, ?2 how many per side. The pin an entity carries now: its latest pin in force. */
static const char SELECTION_SQL[] =
	"WITH pins AS (SELECT p.entity_id, j.value, row_number() OVER (PARTITION BY p.entity_id ORDER BY j.id DESC) AS k"
	"              FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1"
	"              WHERE j.kind = 'pin'),"
	" x AS (SELECT s.entity_id, e.name, e.country, sc.score, sc.domains, sc.reasons, s.why, s.rank, s.qualified,"
	"        pn.value AS pin FROM selection s JOIN entity e ON e.id = s.entity_id"
	"        LEFT JOIN score sc ON sc.entity_id = s.entity_id LEFT JOIN pins pn ON pn.entity_id = s.entity_id AND pn.k = 1"
	"        WHERE s.cohort = ?1)"
	" SELECT * FROM (SELECT * FROM x WHERE qualified = 1 ORDER BY rank DESC LIMIT ?2)"
	" UNION ALL SELECT * FROM (SELECT * FROM x WHERE qualified = 0 AND (score > 0 OR pin IS NOT NULL)"
	"                          ORDER BY rank LIMIT ?2)"
	" ORDER BY qualified DESC, rank";

static int cohort_read(sp_store *db, int64_t year, sp_review_cohort *c, sp_err *err)
{
	memset(c, 0, sizeof(*c));
	int64_t y = 0;
	sp_stmt *s;
	int rc = sp_store_prepare(db, "SELECT CASE WHEN ?1 > 0 THEN (SELECT ?1 FROM selection WHERE cohort = ?1 LIMIT 1)"
				      " ELSE (SELECT max(cohort) FROM selection) END", &s, err);
	if (rc == SP_OK) {
		sp_bind_int64(s, 1, year);
		if (sp_step(s) == SP_ROW)
			y = sp_col_int64(s, 0);
		else
			rc = sp_store_error(db, err, "review: finding the cohort");
		sp_finalize(s);
	}
	if (rc != SP_OK)
		return rc;
	if (!y)
		return year ? sp_err_set(err, SP_ENOTFOUND, "cohort %lld has no selection (see `sparker status`)", (long long)year)
			    : sp_err_set(err, SP_ENOTFOUND, "no cohort has a selection yet (run `sparker run --stage score`)");
	c->cohort = y;
	if ((rc = sp_store_prepare(db, "SELECT integrated, qualified, reached, band_min, band_max FROM cohort_band WHERE cohort = ?1",
				   &s, err)) != SP_OK)
		return rc;
	sp_bind_int64(s, 1, y);
	if (sp_step(s) == SP_ROW) {
		c->integrated = sp_col_int(s, 0), c->qualified = sp_col_int(s, 1);
		c->reached = sp_col_int(s, 2);
		c->band_min = sp_col_double(s, 3), c->band_max = sp_col_double(s, 4);
	}
	sp_finalize(s);
	return SP_OK;
}

int sp_review_selection(sp_store *db, int64_t year, int each, sp_review_cohort *c, sp_review_startup **out, size_t *n,
			sp_err *err)
{
	*out = NULL, *n = 0;
	int rc = cohort_read(db, year, c, err);
	sp_stmt *s = NULL;
	if (rc == SP_OK)
		rc = sp_store_prepare(db, SELECTION_SQL, &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, c->cohort);
	sp_bind_int(s, 2, each > 0 ? each : 10);
	sp_review_startup *v = NULL;
	size_t cnt = 0, cap = 0;
	int st;
	while ((st = sp_step(s)) == SP_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 32;
			v = sp_xrealloc(v, cap * sizeof(*v));
		}
		sp_review_startup *x = &v[cnt++];
		memset(x, 0, sizeof(*x));
		x->entity = sp_col_int64(s, 0);
		x->name = dup_col(s, 1), x->country = dup_col(s, 2);
		x->scored = !sp_col_null(s, 3);
		x->score = sp_col_double(s, 3);
		x->domains = dup_col(s, 4), x->reasons = dup_col(s, 5), x->why = dup_col(s, 6);
		x->rank = sp_col_int(s, 7);
		x->qualified = sp_col_int(s, 8);
		const char *pin = sp_col_text(s, 9);
		if (pin && (!strcmp(pin, "in") || !strcmp(pin, "out")))
			snprintf(x->pin, sizeof(x->pin), "%s", pin);
	}
	if (st != SP_DONE)
		rc = sp_store_error(db, err, "review: reading the selection");
	sp_finalize(s);
	if (rc != SP_OK) {
		sp_review_selection_free(v, cnt);
		return rc;
	}
	*out = v, *n = cnt;
	return SP_OK;
}

void sp_review_selection_free(sp_review_startup *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name), free(v[i].country), free(v[i].domains), free(v[i].reasons), free(v[i].why);
	free(v);
}
