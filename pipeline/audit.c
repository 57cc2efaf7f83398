/*
 * audit.c — the audit of a cohort's selection (contract, strata, allocation and the math in
 * audit.h).
 *
 * All SQL on audit_draw and audit_sample is here; the labels are judgements (judgement.c writes
 * them, the commands call it) and are read here with LABEL_OF: the latest label in force
 * anchored to the sampled record. The pure part (Wilson, the stratified count, the allocation,
 * the generator) comes first and is unit-tested in tests/unit/test_audit.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/audit.h"

/* ---------------------------------------------------------------- the math */

void sp_audit_wilson(double x, double n, double z, double *lo, double *hi)
{
	if (!(n > 0)) {
		*lo = 0, *hi = 1;
		return;
	}
	double p = x / n;
	if (isinf(n)) {
		*lo = *hi = p;
		return;
	}
	double z2 = z * z, d = 1 + z2 / n;
	double c = (p + z2 / (2 * n)) / d;
	double h = z / d * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
	*lo = c - h < 0 ? 0 : c - h;
	*hi = c + h > 1 ? 1 : c + h;
	if (x <= 0)
		*lo = 0; /* exact at the ends (rounding) */
	if (x >= n)
		*hi = 1;
}

void sp_audit_count_strata(const sp_audit_stratum *s, int k, double z, sp_audit_count *out)
{
	memset(out, 0, sizeof(*out));
	int64_t known = 0; /* size of the strata with a label */
	for (int h = 0; h < k; h++) {
		out->size += s[h].size;
		out->labelled += s[h].labelled;
		out->yes += s[h].yes;
		if (s[h].labelled > 0)
			known += s[h].size;
		else
			out->unknown += s[h].size;
	}
	out->complete = out->unknown == 0;
	double p = 0, v = 0; /* v: sum w^2 (1 - f) / n */
	for (int h = 0; known > 0 && h < k; h++) {
		if (s[h].labelled <= 0)
			continue;
		double w = (double)s[h].size / (double)known, n = (double)s[h].labelled;
		double fpc = s[h].size > 1 ? (double)(s[h].size - s[h].labelled) / (double)(s[h].size - 1) : 0;
		if (fpc < 0)
			fpc = 0;
		p += w * (double)s[h].yes / n;
		v += w * w * fpc / n;
	}
	out->n_eff = known > 0 ? (v > 0 ? 1 / v : INFINITY) : 0;
	double lo = 0, hi = 1;
	sp_audit_wilson(p * out->n_eff, out->n_eff, z, &lo, &hi);
	if (isinf(out->n_eff))
		lo = hi = p;
	out->est = p * (double)known;
	out->lo = lo * (double)known;
	out->hi = hi * (double)known + (double)out->unknown;
	/* what the labels prove: every yes seen is relevant, every no is not */
	if (out->lo < (double)out->yes)
		out->lo = (double)out->yes;
	double most = (double)(out->size - (out->labelled - out->yes));
	if (out->hi > most)
		out->hi = most;
	if (out->est < out->lo)
		out->lo = out->est;
	if (out->est > out->hi)
		out->hi = out->est;
	if (out->size > 0) {
		out->p = out->est / (double)out->size;
		out->p_lo = out->lo / (double)out->size;
		out->p_hi = out->hi / (double)out->size;
	}
}

static double ratio(double a, double b)
{
	return a + b > 0 ? a / (a + b) : NAN;
}

void sp_audit_recall(const sp_audit_count *found, const sp_audit_count *missed, double *est, double *lo, double *hi)
{
	*est = ratio(found->est, missed->est);
	*lo = ratio(found->lo, missed->hi);
	*hi = ratio(found->hi, missed->lo);
}

int sp_audit_allocate(const int64_t *size, const char *const *names, int k, int64_t n, int m, int64_t *a, sp_err *err)
{
	int64_t total = 0, base = 0;
	for (int h = 0; h < k; h++) {
		total += size[h];
		a[h] = size[h] < m ? size[h] : m;
		base += a[h];
	}
	if (n >= total) {
		for (int h = 0; h < k; h++)
			a[h] = size[h];
		return SP_OK;
	}
	if (n < base)
		return sp_err_set(err, SP_EUSAGE,
				  "a sample of %lld rejects is too small for %d strata at %d each: at least %lld are needed",
				  (long long)n, k, m, (long long)base);
	for (int64_t left = n - base; left > 0; left--) {
		int best = -1;
		double best_gap = 0;
		for (int h = 0; h < k; h++) {
			if (a[h] >= size[h])
				continue;
			double gap = (double)size[h] * (double)n / (double)total - (double)a[h];
			int better = best < 0 || gap > best_gap + 1e-12 ||
				     (fabs(gap - best_gap) <= 1e-12 &&
				      (size[h] > size[best] || (size[h] == size[best] && strcmp(names[h], names[best]) < 0)));
			if (better)
				best = h, best_gap = gap;
		}
		a[best]++;
	}
	return SP_OK;
}

uint64_t sp_audit_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias (rejection). */
static uint64_t below(uint64_t *s, uint64_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound, r;
	do
		r = sp_audit_rand(s);
	while (r >= limit);
	return r % bound;
}

void sp_audit_pick(int64_t *ids, size_t len, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n && i < len; i++) {
		size_t j = i + (size_t)below(s, (uint64_t)(len - i));
		int64_t t = ids[i];
		ids[i] = ids[j], ids[j] = t;
	}
}

/* ---------------------------------------------------------------- the cohort, in strata */

static char *dup_col(sp_stmt *s, int i)
{
	const char *v = sp_col_text(s, i);
	return v && *v ? sp_xstrdup(v) : NULL;
}

/*
 * The cohort's startups (?1) with their side, stratum and anchor record, in stratum then entity
 * order. The band's cut: the lowest score that qualified in the cohort (0: none qualified, every
 * scored reject is "low").
 */
static const char COHORT_SQL[] =
	"WITH c AS (SELECT COALESCE(min(sc.score), 0) AS cut FROM selection s JOIN score sc ON sc.entity_id = s.entity_id"
	"           WHERE s.cohort = ?1 AND s.qualified = 1 AND sc.score > 0),"
	" a AS (SELECT m.entity_id, min(m.record_id) AS rid FROM member m GROUP BY m.entity_id),"
	" x AS (SELECT s.entity_id, s.qualified, COALESCE(sc.score, 0) AS score, e.name,"
	"        COALESCE(NULLIF(CASE WHEN instr(sc.domains, ';') > 0 THEN substr(sc.domains, 1, instr(sc.domains, ';') - 1)"
	"                                ELSE sc.domains END, ''),"
	"                 (SELECT t.domain FROM tag t WHERE t.entity_id = s.entity_id GROUP BY t.domain"
	"                  ORDER BY sum(t.weight) DESC, t.domain LIMIT 1), 'none') AS domain,"
	"        r.source, r.source_key"
	"        FROM selection s JOIN entity_live e ON e.id = s.entity_id LEFT JOIN score sc ON sc.entity_id = s.entity_id"
	"        JOIN a ON a.entity_id = s.entity_id JOIN record r ON r.id = a.rid WHERE s.cohort = ?1)"
	" SELECT x.entity_id, x.qualified,"
	"        CASE WHEN x.qualified = 1 THEN 'qualified'"
	"             ELSE (CASE WHEN x.score <= 1e-9 THEN 'zero' WHEN c.cut > 0 AND x.score >= c.cut / 2 THEN 'near'"
	"                   ELSE 'low' END) || '/' || x.domain END AS stratum,"
	"        x.source, x.source_key, x.name, x.score"
	" FROM x, c ORDER BY x.qualified DESC, stratum, x.entity_id";

typedef struct unit {
	int64_t entity;
	int qualified;
	char *stratum, *source, *key, *name;
	double score;
} unit;

typedef struct cohort {
	unit *u;
	size_t n;
} cohort;

static void cohort_release(cohort *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->u[i].stratum), free(c->u[i].source), free(c->u[i].key), free(c->u[i].name);
	free(c->u);
	c->u = NULL, c->n = 0;
}

static int cohort_read(sp_store *db, int64_t year, cohort *c, sp_err *err)
{
	memset(c, 0, sizeof(*c));
	sp_stmt *s;
	int rc = sp_store_prepare(db, COHORT_SQL, &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, year);
	size_t cap = 0;
	int st;
	while ((st = sp_step(s)) == SP_ROW) {
		if (c->n == cap)
			c->u = sp_xrealloc(c->u, (cap = cap ? cap * 2 : 1024) * sizeof(*c->u));
		unit *u = &c->u[c->n++];
		u->entity = sp_col_int64(s, 0);
		u->qualified = sp_col_int(s, 1);
		u->stratum = dup_col(s, 2), u->source = dup_col(s, 3), u->key = dup_col(s, 4), u->name = dup_col(s, 5);
		u->score = sp_col_double(s, 6);
	}
	if (st != SP_DONE)
		rc = sp_store_error(db, err, "audit: reading the cohort");
	sp_finalize(s);
	if (rc == SP_OK && !c->n)
		rc = sp_err_set(err, SP_ENOTFOUND, "cohort %lld has no selection (run the score stage, see `sparker status`)",
				(long long)year);
	if (rc != SP_OK)
		cohort_release(c);
	return rc;
}

/* The strata of c as [first, end) index ranges (c is in stratum order). */
typedef struct range {
	size_t first, end;
} range;

static size_t strata_of(const cohort *c, range **out)
{
	size_t k = 0;
	*out = NULL;
	for (size_t i = 0; i < c->n; i++) {
		if (i && !strcmp(c->u[i].stratum, c->u[i - 1].stratum) && c->u[i].qualified == c->u[i - 1].qualified) {
			(*out)[k - 1].end = i + 1;
			continue;
		}
		*out = sp_xrealloc(*out, (k + 1) * sizeof(**out));
		(*out)[k++] = (range){ i, i + 1 };
	}
	return k;
}

/* ---------------------------------------------------------------- the draw */

static int draw_latest(sp_store *db, int64_t year, int64_t *id, sp_err *err)
{
	char y[24];
	snprintf(y, sizeof(y), "%lld", (long long)year);
	return sp_store_int(db, "SELECT COALESCE(max(id), 0) FROM audit_draw WHERE year = CAST(? AS INTEGER)", id, err, y);
}

/* The insert statements of one draw. */
static int draw_row(sp_store *db, const sp_audit_opts *o, uint64_t seed, int64_t nrej, int64_t nq, int64_t prej,
		    int64_t pq, int64_t *id, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "INSERT INTO audit_draw (year, seed, n_rejects, n_qualified, min_per_stratum, rejects, qualified,"
				  " score_run, user, created) VALUES (?1,?2,?3,?4,?5,?6,?7,(SELECT max(run_id) FROM selection),?8,?9)",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	char now[32];
	sp_time_iso(sp_now(), now, sizeof(now));
	sp_bind_int64(s, 1, o->year);
	sp_bind_int64(s, 2, (int64_t)seed);
	sp_bind_int64(s, 3, nrej);
	sp_bind_int64(s, 4, nq);
	sp_bind_int(s, 5, o->min > 0 ? o->min : 2);
	sp_bind_int64(s, 6, prej);
	sp_bind_int64(s, 7, pq);
	sp_bind_text(s, 8, o->user && *o->user ? o->user : "unknown");
	sp_bind_text(s, 9, now);
	rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	*id = sp_store_last_id(db);
	return rc;
}

/* Pick a[h] of each stratum and insert them. */
static int draw_units(sp_store *db, const cohort *c, const range *r, size_t k, const int64_t *a, int64_t draw,
		      const sp_audit_opts *o, uint64_t seed, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "INSERT INTO audit_sample (draw_id, year, side, stratum, stratum_size, sample_size, seed, source,"
				  " source_key, entity_id, name, score) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
				  &s, err);
	uint64_t state = seed;
	for (size_t h = 0; rc == SP_OK && h < k; h++) {
		size_t len = r[h].end - r[h].first;
		int64_t *idx = sp_xmalloc(len * sizeof(*idx));
		for (size_t i = 0; i < len; i++)
			idx[i] = (int64_t)(r[h].first + i);
		sp_audit_pick(idx, len, (size_t)a[h], &state);
		for (int64_t i = 0; rc == SP_OK && i < a[h]; i++) {
			const unit *u = &c->u[idx[i]];
			sp_bind_int64(s, 1, draw);
			sp_bind_int64(s, 2, o->year);
			sp_bind_text(s, 3, u->qualified ? "qualified" : "reject");
			sp_bind_text(s, 4, u->stratum);
			sp_bind_int64(s, 5, (int64_t)len);
			sp_bind_int64(s, 6, a[h]);
			sp_bind_int64(s, 7, (int64_t)seed);
			sp_bind_text(s, 8, u->source);
			sp_bind_text(s, 9, u->key);
			sp_bind_int64(s, 10, u->entity);
			sp_bind_text(s, 11, u->name);
			sp_bind_double(s, 12, u->score);
			rc = sp_store_step_done(db, s, err);
		}
		free(idx);
	}
	sp_finalize(s);
	return rc;
}

/* The label in force of a sampled row s: the latest label judgement anchored to its record. */
#define LABEL_OF(col)                                                                                     \
	"(SELECT j." col " FROM judgement_active j JOIN judgement_record a ON a.judgement_id = j.id"      \
	" WHERE j.kind = 'label' AND a.source = s.source AND a.source_key = s.source_key ORDER BY j.id DESC LIMIT 1)"

/* Sizes and allocation of every stratum; a[0] is the qualified stratum when there is one. */
static int allocate_all(const cohort *c, const range *r, size_t k, const sp_audit_opts *o, int64_t *a, int64_t *prej,
			int64_t *pq, int64_t *nq, sp_err *err)
{
	int64_t *size = sp_xmalloc(k * sizeof(*size));
	const char **names = sp_xmalloc(k * sizeof(*names));
	size_t q = 0; /* strata on the qualified side: 0 or 1, first */
	*prej = *pq = 0;
	for (size_t h = 0; h < k; h++) {
		size[h] = (int64_t)(r[h].end - r[h].first);
		names[h] = c->u[r[h].first].stratum;
		if (c->u[r[h].first].qualified)
			q++, *pq += size[h];
		else
			*prej += size[h];
	}
	int64_t want_q = o->qualified >= 0 ? o->qualified : (o->n + 3) / 4;
	*nq = want_q < *pq ? want_q : *pq;
	if (*nq > o->n)
		*nq = o->n;
	if (q)
		a[0] = *nq;
	int rc = sp_audit_allocate(size + q, names + q, (int)(k - q), o->n - *nq, o->min > 0 ? o->min : 2, a + q, err);
	free(size);
	free(names);
	return rc;
}

static int refuse_second(sp_store *db, int64_t year, int64_t prev, sp_err *err)
{
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)prev);
	int64_t n = 0, lab = 0;
	int rc = sp_store_int(db, "SELECT count(*) FROM audit_sample WHERE draw_id = CAST(? AS INTEGER)", &n, err, id);
	if (rc == SP_OK)
		rc = sp_store_int(db, "SELECT count(*) FROM audit_sample s WHERE draw_id = CAST(? AS INTEGER) AND " LABEL_OF("id")
				      " IS NOT NULL", &lab, err, id);
	if (rc != SP_OK)
		return rc;
	return sp_err_set(err, SP_EUSAGE,
			  "cohort %lld has a sample already (draw %lld: %lld startups, %lld labelled); --replace draws a new"
			  " one for the estimate (labels are judgements and stay)",
			  (long long)year, (long long)prev, (long long)n, (long long)lab);
}

int sp_audit_sample(sp_store *db, const sp_audit_opts *o, sp_audit_drawn *out, sp_err *err)
{
	memset(out, 0, sizeof(*out));
	if (o->n <= 0)
		return sp_err_set(err, SP_EUSAGE, "the sample size must be positive");
	int rc = draw_latest(db, o->year, &out->replaced, err);
	if (rc == SP_OK && out->replaced && !o->replace)
		rc = refuse_second(db, o->year, out->replaced, err);
	if (rc != SP_OK)
		return rc;
	cohort c;
	if ((rc = cohort_read(db, o->year, &c, err)) != SP_OK)
		return rc;
	range *r;
	size_t k = strata_of(&c, &r);
	int64_t *a = sp_xcalloc(k, sizeof(*a));
	uint64_t mix = (uint64_t)sp_now() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(sp_mono() * 1e9);
	out->seed = o->seed_set ? o->seed : sp_audit_rand(&mix);
	out->seed &= 0x7fffffffffffffffULL; /* stored as a SQLite integer */
	rc = allocate_all(&c, r, k, o, a, &out->rejects, &out->qualified, &out->n_qualified, err);
	for (size_t h = 0; rc == SP_OK && h < k; h++)
		if (!c.u[r[h].first].qualified)
			out->n_rejects += a[h], out->strata++;
	if (rc == SP_OK)
		rc = sp_store_begin(db, err);
	if (rc == SP_OK) {
		rc = draw_row(db, o, out->seed, out->n_rejects, out->n_qualified, out->rejects, out->qualified, &out->draw_id, err);
		if (rc == SP_OK)
			rc = draw_units(db, &c, r, k, a, out->draw_id, o, out->seed, err);
		if (rc == SP_OK) {
			char id[24];
			snprintf(id, sizeof(id), "%lld", (long long)out->draw_id);
			rc = sp_store_int(db, "SELECT count(*) FROM audit_sample s WHERE draw_id = CAST(? AS INTEGER) AND "
					      LABEL_OF("id") " IS NOT NULL", &out->labelled, err, id);
		}
		if (rc == SP_OK)
			rc = sp_store_commit(db, err);
		if (rc != SP_OK)
			sp_store_rollback(db);
	}
	free(a);
	free(r);
	cohort_release(&c);
	return rc;
}

/* ---------------------------------------------------------------- the items */

static int year_of(sp_store *db, int64_t year, int64_t *y, sp_err *err)
{
	char b[24];
	snprintf(b, sizeof(b), "%lld", (long long)year);
	int rc = sp_store_int(db, "SELECT COALESCE(CASE WHEN CAST(?1 AS INTEGER) > 0 THEN CAST(?1 AS INTEGER) END,"
			      " (SELECT year FROM audit_draw ORDER BY id DESC LIMIT 1), 0)", y, err, b);
	int64_t d = 0;
	if (rc == SP_OK && *y)
		rc = draw_latest(db, *y, &d, err);
	if (rc == SP_OK && !d)
		rc = year ? sp_err_set(err, SP_ENOTFOUND, "cohort %lld has no audit sample (draw one with `sparker audit sample"
					" --year %lld --n N`)", (long long)year, (long long)year)
			  : sp_err_set(err, SP_ENOTFOUND, "no audit sample yet (draw one with `sparker audit sample --year Y --n N`)");
	return rc;
}

static const char ITEMS_SQL[] =
	"WITH d AS (SELECT max(id) AS id FROM audit_draw WHERE year = ?1),"
	" i AS (SELECT s.id, s.source || ':' || s.source_key AS ref, m.entity_id, s.side, s.stratum, s.name AS name_then,"
	"        " LABEL_OF("value") " AS label, " LABEL_OF("id") " AS label_id"
	"        FROM audit_sample s JOIN d ON s.draw_id = d.id"
	"        LEFT JOIN record r ON r.source = s.source AND r.source_key = s.source_key"
	"        LEFT JOIN member m ON m.record_id = r.id)"
	" SELECT i.id, i.ref, i.entity_id, COALESCE(e.name, i.name_then), e.country, i.stratum, sc.domains, sc.reasons,"
	"        sel.why, i.side = 'qualified', sc.score, i.label, i.label_id"
	" FROM i LEFT JOIN entity e ON e.id = i.entity_id LEFT JOIN score sc ON sc.entity_id = i.entity_id"
	" LEFT JOIN selection sel ON sel.entity_id = i.entity_id"
	" ORDER BY i.label IS NOT NULL, i.id";

int sp_audit_items(sp_store *db, int64_t year, int64_t *year_out, sp_audit_item **out, size_t *n, sp_err *err)
{
	*out = NULL, *n = 0;
	int64_t y = 0;
	int rc = year_of(db, year, &y, err);
	sp_stmt *s = NULL;
	if (rc == SP_OK)
		rc = sp_store_prepare(db, ITEMS_SQL, &s, err);
	if (rc != SP_OK)
		return rc;
	*year_out = y;
	sp_bind_int64(s, 1, y);
	sp_audit_item *v = NULL;
	size_t cnt = 0, cap = 0;
	int st;
	while ((st = sp_step(s)) == SP_ROW) {
		if (cnt == cap)
			v = sp_xrealloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
		sp_audit_item *x = &v[cnt++];
		memset(x, 0, sizeof(*x));
		x->sample_id = sp_col_int64(s, 0);
		x->ref = dup_col(s, 1);
		x->entity = sp_col_int64(s, 2);
		x->name = dup_col(s, 3), x->country = dup_col(s, 4), x->stratum = dup_col(s, 5);
		x->domains = dup_col(s, 6), x->reasons = dup_col(s, 7), x->why = dup_col(s, 8);
		x->qualified_side = sp_col_int(s, 9);
		x->scored = !sp_col_null(s, 10);
		x->score = sp_col_double(s, 10);
		const char *l = sp_col_text(s, 11);
		snprintf(x->label, sizeof(x->label), "%s", l ? l : "");
		x->label_id = sp_col_int64(s, 12);
	}
	if (st != SP_DONE)
		rc = sp_store_error(db, err, "audit: reading the sample");
	sp_finalize(s);
	if (rc != SP_OK) {
		sp_audit_items_free(v, cnt);
		return rc;
	}
	*out = v, *n = cnt;
	return SP_OK;
}

void sp_audit_items_free(sp_audit_item *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		sp_audit_item *x = &v[i];
		free(x->ref), free(x->name), free(x->country), free(x->stratum), free(x->domains), free(x->reasons);
		free(x->why);
	}
	free(v);
}

/* ---------------------------------------------------------------- the estimate */

static const char STRATA_SQL[] =
	"SELECT s.stratum, s.side = 'qualified', max(s.stratum_size), count(*),"
	" sum(CASE WHEN " LABEL_OF("value") " IS NOT NULL THEN 1 ELSE 0 END),"
	" sum(CASE WHEN " LABEL_OF("value") " = 'yes' THEN 1 ELSE 0 END)"
	" FROM audit_sample s WHERE s.draw_id = ?1 GROUP BY s.side, s.stratum ORDER BY s.side = 'qualified' DESC, s.stratum";

static int draw_read(sp_store *db, sp_audit_estimate *e, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "SELECT d.seed, d.created, d.user, COALESCE(d.score_run, 0),"
				  " COALESCE((SELECT max(run_id) FROM selection), 0) FROM audit_draw d WHERE d.id = ?1",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, e->draw_id);
	if (sp_step(s) == SP_ROW) {
		e->seed = (uint64_t)sp_col_int64(s, 0);
		snprintf(e->created, sizeof(e->created), "%s", sp_col_text(s, 1));
		snprintf(e->user, sizeof(e->user), "%s", sp_col_text(s, 2));
		e->score_run = sp_col_int64(s, 3);
		e->now_run = sp_col_int64(s, 4);
	} else {
		rc = sp_store_error(db, err, "audit: reading the draw");
	}
	sp_finalize(s);
	return rc;
}

static int strata_read(sp_store *db, sp_audit_estimate *e, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db, STRATA_SQL, &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, e->draw_id);
	size_t cap = 0;
	int st;
	while ((st = sp_step(s)) == SP_ROW) {
		if (e->nstrata == cap)
			e->strata = sp_xrealloc(e->strata, (cap = cap ? cap * 2 : 32) * sizeof(*e->strata));
		sp_audit_stratum_row *r = &e->strata[e->nstrata++];
		r->name = dup_col(s, 0);
		r->qualified_side = sp_col_int(s, 1);
		r->s.size = sp_col_int64(s, 2);
		r->drawn = sp_col_int64(s, 3);
		r->s.labelled = sp_col_int64(s, 4);
		r->s.yes = sp_col_int64(s, 5);
	}
	if (st != SP_DONE)
		rc = sp_store_error(db, err, "audit: reading the strata");
	sp_finalize(s);
	return rc;
}

int sp_audit_estimate_load(sp_store *db, int64_t year, sp_audit_estimate *e, sp_err *err)
{
	memset(e, 0, sizeof(*e));
	int rc = year_of(db, year, &e->year, err);
	if (rc == SP_OK)
		rc = draw_latest(db, e->year, &e->draw_id, err);
	if (rc == SP_OK)
		rc = draw_read(db, e, err);
	if (rc == SP_OK)
		rc = strata_read(db, e, err);
	if (rc != SP_OK) {
		sp_audit_estimate_release(e);
		return rc;
	}
	sp_audit_stratum *q = sp_xmalloc((e->nstrata + 1) * sizeof(*q)), *m = sp_xmalloc((e->nstrata + 1) * sizeof(*m));
	int nq = 0, nm = 0;
	for (size_t i = 0; i < e->nstrata; i++) {
		if (e->strata[i].qualified_side)
			q[nq++] = e->strata[i].s;
		else
			m[nm++] = e->strata[i].s;
	}
	sp_audit_count_strata(q, nq, SP_AUDIT_Z, &e->found);
	sp_audit_count_strata(m, nm, SP_AUDIT_Z, &e->missed);
	free(q);
	free(m);
	int known = e->found.size && e->found.labelled;
	e->precision = known ? e->found.p : NAN;
	e->precision_lo = known ? e->found.p_lo : NAN;
	e->precision_hi = known ? e->found.p_hi : NAN;
	sp_audit_recall(&e->found, &e->missed, &e->recall, &e->recall_lo, &e->recall_hi);
	if (!e->found.labelled || !e->missed.labelled)
		e->recall = NAN; /* the ends stand; the point needs both sides */
	return SP_OK;
}

void sp_audit_estimate_release(sp_audit_estimate *e)
{
	for (size_t i = 0; e && i < e->nstrata; i++)
		free(e->strata[i].name);
	if (e)
		free(e->strata), e->strata = NULL, e->nstrata = 0;
}

int sp_audit_exists(sp_store *db, int64_t year, int *exists, sp_err *err)
{
	int64_t id = 0;
	int rc = draw_latest(db, year, &id, err);
	*exists = rc == SP_OK && id > 0;
	return rc;
}

int sp_audit_label_counts(sp_store *db, int prev, int64_t *tp, int64_t *fp, int64_t *fn, sp_err *err)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "WITH l AS (SELECT p.entity_id AS e, j.value AS v, row_number() OVER (PARTITION BY p.entity_id"
		 "  ORDER BY j.id DESC) AS rk FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id"
		 "  AND p.carries = 1 WHERE j.kind = 'label')"
		 " SELECT COALESCE(sum(CASE WHEN l.v = 'yes' AND x.qualified = 1 THEN 1 ELSE 0 END), 0),"
		 " COALESCE(sum(CASE WHEN l.v = 'no' AND x.qualified = 1 THEN 1 ELSE 0 END), 0),"
		 " COALESCE(sum(CASE WHEN l.v = 'yes' AND COALESCE(x.qualified, 0) = 0 THEN 1 ELSE 0 END), 0)"
		 " FROM l LEFT JOIN %s x ON x.entity_id = l.e WHERE l.rk = 1",
		 prev ? "selection_prev" : "selection");
	sp_stmt *q = NULL;
	int rc = sp_store_prepare(db, sql, &q, err);
	if (rc == SP_OK) {
		if (sp_step(q) == SP_ROW) {
			*tp = sp_col_int64(q, 0);
			*fp = sp_col_int64(q, 1);
			*fn = sp_col_int64(q, 2);
		} else {
			rc = sp_store_error(db, err, "audit labels");
		}
	}
	sp_finalize(q);
	return rc;
}
