/*
 * select.c — band selection per cohort (see select.h for the rules).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/judgement.h"
#include "pipeline/select.h"

#define EPS 1e-9

static int item_cmp(const void *a, const void *b)
{
	const sp_sel_item *x = a, *y = b;
	if (fabs(x->score - y->score) >= EPS)
		return x->score > y->score ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static double band_dist(double k, double lo, double hi)
{
	if (k < lo - EPS)
		return lo - k;
	if (k > hi + EPS)
		return k - hi;
	return 0;
}

void sp_select_cohort(sp_sel_item *items, int n, double band_min, double band_max, sp_sel_result *r)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->band_lo = band_min * n;
	r->band_hi = band_max * n;
	if (n <= 0) {
		r->status = SP_SEL_EMPTY;
		snprintf(r->note, sizeof(r->note), "empty cohort");
		return;
	}
	qsort(items, (size_t)n, sizeof(*items), item_cmp);
	/* ranked relevant, unpinned: indexes into items */
	int *c = sp_xmalloc(sizeof(int) * (size_t)n);
	int m = 0;
	for (int i = 0; i < n; i++) {
		items[i].rank = i + 1;
		items[i].qualified = 0;
		if (items[i].pin > 0) {
			items[i].qualified = 1;
			r->pinned_in++;
		} else if (items[i].pin < 0) {
			r->pinned_out++;
		} else if (items[i].score > EPS) {
			c[m++] = i;
		}
	}
	r->relevant = m;
	int P = r->pinned_in;
	int best = -1;
	if (P + m < r->band_lo - EPS) {
		best = m;
		r->status = SP_SEL_TOO_FEW;
	} else {
		double best_drop = -1, best_mid = 0, mid = (r->band_lo + r->band_hi) / 2;
		double best_dist = INFINITY;
		for (int j = 0; j <= m; j++) {
			double hi_s = j > 0 ? items[c[j - 1]].score : INFINITY;
			double lo_s = j < m ? items[c[j]].score : 0;
			if (j > 0 && j < m && fabs(hi_s - lo_s) < EPS)
				continue; /* would split a tie */
			double drop = j == 0 ? 0 : hi_s - lo_s;
			double d = band_dist(P + j, r->band_lo, r->band_hi);
			double md = fabs(P + j - mid);
			int better;
			if (d < best_dist - EPS)
				better = 1;
			else if (d > best_dist + EPS)
				better = 0;
			else if (drop > best_drop + EPS)
				better = 1;
			else if (drop < best_drop - EPS)
				better = 0;
			else
				better = md <= best_mid + EPS; /* nearer the middle; on equality the larger list */
			if (better) {
				best = j;
				best_dist = d;
				best_drop = drop;
				best_mid = md;
			}
		}
		if (best_dist > EPS) {
			if (P > r->band_hi + EPS)
				r->status = SP_SEL_PINS;
			else if (floor(r->band_hi + EPS) < r->band_lo - EPS)
				r->status = SP_SEL_SMALL;
			else
				r->status = SP_SEL_TIES;
		}
	}
	for (int j = 0; j < best; j++)
		items[c[j]].qualified = 1;
	r->cut = best > 0 ? items[c[best - 1]].score : 0;
	r->next = best < m ? items[c[best]].score : 0;
	r->qualified = P + best;
	r->reached = r->status == SP_SEL_OK;
	double pct = 100.0 * r->qualified / n;
	switch (r->status) {
	case SP_SEL_OK:
		snprintf(r->note, sizeof(r->note), "%d of %d qualified (%.1f %%), cut at score %.2g (next %.2g)",
			 r->qualified, n, pct, r->cut, r->next);
		break;
	case SP_SEL_TOO_FEW:
		snprintf(r->note, sizeof(r->note),
			 "band not reached: only %d of %d (%.1f %%) have relevant evidence or a pin in, below %.1f %%",
			 r->qualified, n, pct, 100 * band_min);
		break;
	case SP_SEL_TIES:
		snprintf(r->note, sizeof(r->note),
			 "band not reached: equal scores straddle the band; cut nearest it: %d of %d (%.1f %%) at score %.2g",
			 r->qualified, n, pct, r->cut);
		break;
	case SP_SEL_PINS:
		snprintf(r->note, sizeof(r->note), "band exceeded: %d pinned in of %d (%.1f %%)", P, n, pct);
		break;
	case SP_SEL_SMALL:
		snprintf(r->note, sizeof(r->note),
			 "band not reached: cohort of %d is too small for a whole number inside the band; %d qualified (%.1f %%)",
			 n, r->qualified, pct);
		break;
	}
	free(c);
}

const sp_config_key sp_select_keys[] = {
	{ "select", "band_min", SP_KEY_NUMBER, .def = "0.08", .min = 0, .max = 100 },
	{ "select", "band_max", SP_KEY_NUMBER, .def = "0.10", .min = 0, .max = 100 },
	{ 0 },
};

int sp_select_band(const sp_config *cfg, double *band_min, double *band_max, sp_err *err)
{
	double lo = sp_config_num(cfg, "select", sp_select_keys, "band_min");
	double hi = sp_config_num(cfg, "select", sp_select_keys, "band_max");
	if (lo > 1 || hi > 1) { /* written as percentages */
		lo /= 100;
		hi /= 100;
	}
	if (!(lo >= 0 && hi <= 1 && lo <= hi)) {
		const sp_kv *kv = sp_config_find(cfg, "select", "band_min");
		if (!kv)
			kv = sp_config_find(cfg, "select", "band_max");
		return sp_err_set(err, SP_ECONFIG, "%s:%d: [select] band_min %g is above band_max %g (fractions such as "
				  "0.08, or percentages such as 8, with band_min <= band_max)",
				  cfg ? cfg->path : "?", kv ? kv->line : 0, lo, hi);
	}
	*band_min = lo;
	*band_max = hi;
	return SP_OK;
}

struct row {
	sp_sel_item it;
	int64_t cohort;
	int decided; /* accompanied|cocreation|invested */
	char *pin_note;
	char *decision;
};

/* rows are in id order when this runs */
static struct row *row_find(struct row *rows, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (rows[mid].it.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && rows[lo].it.id == id ? &rows[lo] : NULL;
}

/*
 * Pins and committee decisions (sp_decision_pins_in: a pin in), read from the judgements in
 * force on the entity that carries each now (judgement.h: the view judgement_place), so they
 * follow the startup's records through every merge and undo. An explicit pin wins over a
 * decision; of two pins on one entity (two startups merged, each pinned) the later wins; of
 * several decisions the earliest is named.
 */
static int load_pins(sp_store *db, struct row *rows, size_t n, sp_err *err)
{
	sp_stmt *q = NULL;
	int rc = sp_store_prepare(db,
				  "SELECT p.entity_id, j.kind, j.value, j.note, j.date FROM judgement_active j"
				  " JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1"
				  " WHERE j.kind IN ('pin', 'decision')"
				  " ORDER BY j.kind = 'pin', CASE WHEN j.kind = 'pin' THEN j.id END, j.date DESC, j.id DESC",
				  &q, err);
	if (rc != SP_OK)
		return rc;
	int s;
	while ((s = sp_step(q)) == SP_ROW) {
		struct row *r = row_find(rows, n, sp_col_int64(q, 0));
		if (!r)
			continue;
		const char *kind = sp_col_text(q, 1);
		const char *value = sp_col_text(q, 2);
		const char *note = sp_col_text(q, 3);
		if (!strcmp(kind, "decision")) { /* decisions first, newest first: the earliest is kept */
			if (!sp_decision_pins_in(value))
				continue;
			free(r->decision);
			sp_buf b = SP_BUF_INIT;
			sp_buf_addf(&b, "%s on %s", value, sp_col_text(q, 4));
			r->decision = sp_buf_detach(&b);
			r->it.pin = 1;
			r->decided = 1;
		} else { /* then pins, oldest first: the last one wins, and over a decision */
			r->it.pin = value && !strcmp(value, "in") ? 1 : value && !strcmp(value, "out") ? -1 : 0;
			r->decided = 0;
			free(r->pin_note);
			r->pin_note = note && *note ? sp_xstrdup(note) : NULL;
		}
	}
	if (s != SP_DONE)
		rc = sp_store_error(db, err, "select: read pins and decisions");
	sp_finalize(q);
	return rc;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return (x->cohort > y->cohort) - (x->cohort < y->cohort);
}

static const char *status_word(int st)
{
	switch (st) {
	case SP_SEL_TOO_FEW: return "too few relevant";
	case SP_SEL_TIES: return "ties straddle the band";
	case SP_SEL_PINS: return "pins exceed the band";
	case SP_SEL_SMALL: return "cohort too small";
	default: return "ok";
	}
}

/* Every live entity with its cohort and score (0 without a score row), in id order. */
static int read_rows(sp_store *db, struct row **out, size_t *nout, sp_err *err)
{
	sp_stmt *q = NULL;
	*out = NULL;
	*nout = 0;
	int rc = sp_store_prepare(db,
				  "SELECT e.id, COALESCE(e.cohort, 0), COALESCE(s.score, 0)"
				  " FROM entity_live e LEFT JOIN score s ON s.entity_id = e.id ORDER BY e.id",
				  &q, err);
	if (rc != SP_OK)
		return rc;
	struct row *rows = NULL;
	size_t nrows = 0, cap = 0;
	int s;
	while ((s = sp_step(q)) == SP_ROW) {
		if (nrows == cap) {
			cap = cap ? cap * 2 : 1024;
			rows = sp_xrealloc(rows, sizeof(*rows) * cap);
		}
		struct row *r = &rows[nrows++];
		memset(r, 0, sizeof(*r));
		r->it.id = sp_col_int64(q, 0);
		r->cohort = sp_col_int64(q, 1);
		r->it.score = sp_col_double(q, 2);
	}
	if (s != SP_DONE)
		rc = sp_store_error(db, err, "select: read scores");
	sp_finalize(q);
	*out = rows;
	*nout = nrows;
	return rc;
}

static void free_rows(struct row *rows, size_t nrows)
{
	for (size_t i = 0; i < nrows; i++) {
		free(rows[i].pin_note);
		free(rows[i].decision);
	}
	free(rows);
}

/* The statements that write one run's selection. */
struct writer {
	sp_stmt *ins;  /* selection row */
	sp_stmt *band; /* cohort_band row */
	sp_stmt *upd;  /* prefix score.reasons of a pinned entity with why */
	double bmin, bmax;
	int64_t run_id;
	sp_buf why;
};

static int writer_prepare(sp_store *db, struct writer *w, sp_err *err)
{
	int rc = sp_store_prepare(db, "INSERT INTO selection(entity_id, cohort, qualified, rank, why, run_id) VALUES (?,?,?,?,?,?)",
				  &w->ins, err);
	if (rc == SP_OK)
		rc = sp_store_prepare(db, "INSERT INTO cohort_band(cohort, integrated, qualified, band_min, band_max, reached, run_id)"
					  " VALUES (?,?,?,?,?,?,?)",
				      &w->band, err);
	if (rc == SP_OK)
		rc = sp_store_prepare(db, "UPDATE score SET reasons = ?1 || '. ' || COALESCE(reasons, '') WHERE entity_id = ?2",
				      &w->upd, err);
	return rc;
}

static void writer_release(struct writer *w)
{
	sp_finalize(w->ins);
	sp_finalize(w->band);
	sp_finalize(w->upd);
	sp_buf_release(&w->why);
}

/* Why an entity of a cohort of n is (not) in the selection, into why (reset first). */
static void why_text(sp_buf *why, const sp_sel_item *it, const struct row *r, int n, int64_t cohort,
		     const sp_sel_result *res)
{
	sp_buf_reset(why);
	if (it->pin > 0 && r->decided)
		sp_buf_addf(why, "committee decision %s (counts as pinned in)", r->decision);
	else if (it->pin > 0)
		sp_buf_addf(why, "pinned in by an analyst%s%s", r->pin_note ? ": " : "", r->pin_note ? r->pin_note : "");
	else if (it->pin < 0)
		sp_buf_addf(why, "pinned out by an analyst%s%s", r->pin_note ? ": " : "", r->pin_note ? r->pin_note : "");
	else if (it->qualified)
		sp_buf_addf(why, "score %.4g, rank %d of %d in cohort %lld, at or above the cut %.4g (next %.4g)",
			    it->score, it->rank, n, (long long)cohort, res->cut, res->next);
	else if (it->score > 1e-9)
		sp_buf_addf(why, "score %.4g below the cut %.4g of cohort %lld", it->score, res->cut, (long long)cohort);
	else
		sp_buf_addf(why, "no relevant evidence");
	if (!res->reached && (it->qualified || it->score > 1e-9))
		sp_buf_addf(why, " [%s]", res->note);
}

/*
 * Select inside one cohort (rows[0..n), all of the same cohort) and write its selection rows, the
 * reasons of its pinned entities and its cohort_band row. items is scratch, grown as needed;
 * *res gets the cohort's result even when writing fails.
 */
static int select_cohort(sp_store *db, struct writer *w, const struct row *rows, int n, sp_sel_item **items,
			 sp_sel_result *res, sp_err *err)
{
	int rc = SP_OK;
	*items = sp_xrealloc(*items, sizeof(**items) * (size_t)n);
	sp_sel_item *its = *items;
	for (int i = 0; i < n; i++) {
		its[i] = rows[i].it;
		its[i].tag = i;
	}
	sp_select_cohort(its, n, w->bmin, w->bmax, res);
	int64_t cohort = rows[0].cohort;
	for (int i = 0; rc == SP_OK && i < n; i++) {
		const sp_sel_item *it = &its[i];
		why_text(&w->why, it, &rows[it->tag], n, cohort, res);
		sp_bind_int64(w->ins, 1, it->id);
		sp_bind_int64(w->ins, 2, cohort);
		sp_bind_int(w->ins, 3, it->qualified);
		sp_bind_int(w->ins, 4, it->rank);
		sp_bind_text(w->ins, 5, w->why.buf);
		sp_bind_int64(w->ins, 6, w->run_id);
		rc = sp_store_step_done(db, w->ins, err);
		if (rc == SP_OK && it->pin) {
			/* exports and the report read score.reasons: say why a pinned one is (not) there */
			sp_bind_textn(w->upd, 1, w->why.buf, -1);
			sp_bind_int64(w->upd, 2, it->id);
			rc = sp_store_step_done(db, w->upd, err);
		}
	}
	if (rc == SP_OK) {
		sp_bind_int64(w->band, 1, cohort);
		sp_bind_int(w->band, 2, res->n);
		sp_bind_int(w->band, 3, res->qualified);
		sp_bind_double(w->band, 4, w->bmin);
		sp_bind_double(w->band, 5, w->bmax);
		sp_bind_int(w->band, 6, res->reached);
		sp_bind_int64(w->band, 7, w->run_id);
		rc = sp_store_step_done(db, w->band, err);
	}
	return rc;
}

/* "+N entered, -M left; Q qualified in C cohorts (band not reached: ...)" into note, comparing
 * selection with selection_prev. */
static int summary_note(sp_store *db, int64_t total_q, int ncohorts, int notreached, sp_buf *cohorts_note, char *note,
			size_t note_size, sp_err *err)
{
	int64_t entered = 0, left = 0;
	int rc = sp_store_int(db,
			      "SELECT count(*) FROM selection s LEFT JOIN selection_prev p ON p.entity_id = s.entity_id"
			      " WHERE s.qualified = 1 AND COALESCE(p.qualified, 0) = 0",
			      &entered, err);
	if (rc == SP_OK)
		rc = sp_store_int(db,
				  "SELECT count(*) FROM selection_prev p LEFT JOIN selection s ON s.entity_id = p.entity_id"
				  " WHERE p.qualified = 1 AND COALESCE(s.qualified, 0) = 0",
				  &left, err);
	if (rc == SP_OK)
		snprintf(note, note_size, "+%lld entered, -%lld left; %lld qualified in %d cohort%s%s%s%s",
			 (long long)entered, (long long)left, (long long)total_q, ncohorts, ncohorts == 1 ? "" : "s",
			 notreached ? " (band not reached: " : "", notreached ? sp_buf_str(cohorts_note) : "",
			 notreached ? ")" : "");
	return rc;
}

int sp_select_run(sp_store *db, const sp_config *cfg, int64_t run_id, int64_t *qualified, char *note,
		  size_t note_size, sp_err *err)
{
	struct writer w = { .run_id = run_id, .why = SP_BUF_INIT };
	int rc = sp_select_band(cfg, &w.bmin, &w.bmax, err);
	if (rc != SP_OK)
		return rc;
	if ((rc = sp_store_exec(db, "DELETE FROM selection_prev;"
				    "INSERT INTO selection_prev(entity_id, cohort, qualified) SELECT entity_id, cohort, qualified FROM selection;",
				err)) != SP_OK)
		return rc;
	struct row *rows;
	size_t nrows;
	rc = read_rows(db, &rows, &nrows, err);
	if (rc == SP_OK)
		rc = load_pins(db, rows, nrows, err);
	if (rc == SP_OK)
		rc = sp_store_exec(db, "DELETE FROM selection; DELETE FROM cohort_band;", err);
	if (rc == SP_OK)
		rc = writer_prepare(db, &w, err);
	if (rc == SP_OK && nrows)
		qsort(rows, nrows, sizeof(*rows), row_cmp);
	/* rows sorted by cohort: each run of one cohort is selected on its own */
	int64_t total_q = 0;
	int ncohorts = 0, notreached = 0;
	sp_buf cohorts_note = SP_BUF_INIT;
	sp_sel_item *items = NULL;
	for (size_t a = 0; rc == SP_OK && a < nrows;) {
		size_t b = a;
		while (b < nrows && rows[b].cohort == rows[a].cohort)
			b++;
		sp_sel_result res;
		rc = select_cohort(db, &w, rows + a, (int)(b - a), &items, &res, err);
		total_q += res.qualified;
		ncohorts++;
		if (!res.reached) {
			notreached++;
			sp_buf_addf(&cohorts_note, "%s%lld: %s", cohorts_note.len ? ", " : "", (long long)rows[a].cohort,
				    status_word(res.status));
		}
		a = b;
	}
	free(items);
	writer_release(&w);
	free_rows(rows, nrows);
	if (rc == SP_OK)
		rc = summary_note(db, total_q, ncohorts, notreached, &cohorts_note, note, note_size, err);
	if (rc == SP_OK && qualified)
		*qualified = total_q;
	sp_buf_release(&cohorts_note);
	return rc;
}

int sp_select_changes(sp_store *db, int (*fn)(void *user, const sp_sel_change *c), void *user, sp_err *err)
{
	sp_stmt *q = NULL;
	int rc = sp_store_prepare(
		db,
		"SELECT x.entity_id, x.cohort, x.entered, COALESCE(s.score, 0), COALESCE(s.evidence, 0), e.name, s.domains"
		" FROM (SELECT s.entity_id, s.cohort, 1 AS entered FROM selection s"
		"       LEFT JOIN selection_prev p ON p.entity_id = s.entity_id"
		"       WHERE s.qualified = 1 AND COALESCE(p.qualified, 0) = 0"
		"       UNION ALL SELECT p.entity_id, p.cohort, 0 FROM selection_prev p"
		"       LEFT JOIN selection s ON s.entity_id = p.entity_id"
		"       WHERE p.qualified = 1 AND COALESCE(s.qualified, 0) = 0) x"
		" LEFT JOIN score s ON s.entity_id = x.entity_id LEFT JOIN entity e ON e.id = x.entity_id"
		" ORDER BY x.entered DESC, COALESCE(s.score, 0) DESC, x.entity_id",
		&q, err);
	int step = SP_DONE;
	while (rc == SP_OK && (step = sp_step(q)) == SP_ROW) {
		sp_sel_change c = { .entity_id = sp_col_int64(q, 0), .cohort = sp_col_int(q, 1),
				    .entered = sp_col_int(q, 2), .score = sp_col_double(q, 3),
				    .evidence = sp_col_double(q, 4), .name = sp_col_text(q, 5),
				    .domains = sp_col_text(q, 6) };
		rc = fn(user, &c);
	}
	if (rc == SP_OK && step != SP_DONE)
		rc = sp_store_error(db, err, "selection changes");
	sp_finalize(q);
	return rc;
}
