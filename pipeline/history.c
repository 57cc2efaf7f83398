/*
 * history.c — selection_hist appends, run.judgement_upto, and the diff of two runs' selections.
 * See history.h.
 */
#include "pipeline/history.h"

#include <math.h>
#include <string.h>

/* What the score stage says of each entity now: score and selection, one row per entity. The
 * rank and the why ("rank 812 of 900 in cohort ...") are kept for qualified startups only: below
 * the cut they change whenever a startup joins the cohort, and would version every entity of it
 * each night for nothing a report or a diff shows. */
#define CURRENT                                                                                                 \
	"(SELECT k.entity_id AS entity_id, sc.score AS score, sc.domains AS domains, s.cohort AS cohort,"      \
	" s.qualified AS qualified, CASE WHEN s.qualified = 1 THEN s.rank END AS rank,"                        \
	" CASE WHEN s.qualified = 1 THEN s.why END AS why"                                                     \
	" FROM (SELECT entity_id FROM score UNION SELECT entity_id FROM selection) k"                          \
	" LEFT JOIN score sc ON sc.entity_id = k.entity_id LEFT JOIN selection s ON s.entity_id = k.entity_id)"

int sp_history_append(sp_store *db, int64_t run_id, int64_t *appended, sp_err *err)
{
	/* the newest row of each entity: l; a version differing in any value, or after a gone row */
	static const char *const changed =
		"INSERT INTO selection_hist (run_id, entity_id, gone, score, domains, cohort, qualified, rank, why)"
		" SELECT ?1, c.entity_id, 0, c.score, c.domains, c.cohort, c.qualified, c.rank, c.why FROM " CURRENT " c"
		" LEFT JOIN selection_hist l ON l.id = (SELECT max(hx.id) FROM selection_hist hx WHERE hx.entity_id = c.entity_id)"
		" WHERE l.id IS NULL OR l.gone = 1 OR c.score IS NOT l.score OR c.domains IS NOT l.domains"
		" OR c.cohort IS NOT l.cohort OR c.qualified IS NOT l.qualified OR c.rank IS NOT l.rank OR c.why IS NOT l.why"
		" ORDER BY c.entity_id";
	static const char *const gone =
		"INSERT INTO selection_hist (run_id, entity_id, gone)"
		" SELECT ?1, l.entity_id, 1 FROM selection_hist l"
		" WHERE l.id = (SELECT max(hx.id) FROM selection_hist hx WHERE hx.entity_id = l.entity_id) AND l.gone = 0"
		" AND NOT EXISTS (SELECT 1 FROM score sc WHERE sc.entity_id = l.entity_id)"
		" AND NOT EXISTS (SELECT 1 FROM selection s WHERE s.entity_id = l.entity_id)"
		" ORDER BY l.entity_id";
	int64_t before = 0, after = 0;
	int rc = appended ? sp_store_int(db, "SELECT count(*) FROM selection_hist", &before, err) : SP_OK;
	/* gone first: the rows just appended are the newest, and never gone */
	const char *const sql[] = { gone, changed };
	for (size_t i = 0; rc == SP_OK && i < 2; i++) {
		sp_stmt *s;
		if ((rc = sp_store_prepare(db, sql[i], &s, err)) != SP_OK)
			break;
		sp_bind_int64(s, 1, run_id);
		rc = sp_store_step_done(db, s, err);
		sp_finalize(s);
	}
	if (rc == SP_OK && appended && (rc = sp_store_int(db, "SELECT count(*) FROM selection_hist", &after, err)) == SP_OK)
		*appended = after - before;
	return rc;
}

int sp_history_mark_judgements(sp_store *db, int64_t run_id, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db, "UPDATE run SET judgement_upto = (SELECT COALESCE(max(j.id), 0) FROM judgement j)"
				      " WHERE id = ?1", &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, run_id);
	rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	return rc;
}

int sp_history_judgement_upto(sp_store *db, int64_t run, int64_t *upto, sp_err *err)
{
	sp_stmt *s;
	*upto = 0;
	int rc = sp_store_prepare(db, "SELECT COALESCE(judgement_upto, 0) FROM run WHERE id = ?1", &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, run);
	int r = sp_step(s);
	if (r == SP_ROW)
		*upto = sp_col_int64(s, 0);
	else if (r != SP_DONE)
		rc = sp_store_error(db, err, "judgement_upto");
	sp_finalize(s);
	return rc;
}

/* One side of a diff row from columns i.. (gone, cohort, qualified, rank, score). */
static void read_side(sp_stmt *s, int i, sp_hist_side *x)
{
	memset(x, 0, sizeof(*x));
	if (sp_col_null(s, i) || sp_col_int(s, i) != 0)
		return;
	x->present = 1;
	x->cohort = sp_col_null(s, i + 1) ? 0 : sp_col_int64(s, i + 1);
	x->qualified = sp_col_null(s, i + 2) ? 0 : sp_col_int(s, i + 2);
	x->rank = sp_col_null(s, i + 3) ? 0 : sp_col_int(s, i + 3);
	x->score = sp_col_null(s, i + 4) ? 0 : sp_col_double(s, i + 4);
}

static int in_list(const sp_hist_side *x, int year)
{
	return x->present && x->qualified == 1 && (year <= 0 || x->cohort == year);
}

int sp_history_diff(sp_store *db, int64_t from, int64_t to, int year,
		    int (*fn)(void *user, const sp_hist_change *c), void *user, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
		"SELECT k.entity_id, e.name, a.gone, a.cohort, a.qualified, a.rank, a.score,"
		" b.gone, b.cohort, b.qualified, b.rank, b.score"
		" FROM (SELECT DISTINCT entity_id FROM selection_hist WHERE run_id <= ?3) k"
		" LEFT JOIN selection_hist a ON a.id = " HIST_AS_OF("k.entity_id", "?1")
		" LEFT JOIN selection_hist b ON b.id = " HIST_AS_OF("k.entity_id", "?2")
		" LEFT JOIN entity e ON e.id = k.entity_id"
		" WHERE ?4 = 0 OR a.cohort = ?4 OR b.cohort = ?4 ORDER BY k.entity_id", &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, from);
	sp_bind_int64(s, 2, to);
	sp_bind_int64(s, 3, from > to ? from : to);
	sp_bind_int(s, 4, year > 0 ? year : 0);
	int r;
	while ((r = sp_step(s)) == SP_ROW) {
		sp_hist_change c = { .entity_id = sp_col_int64(s, 0), .name = sp_col_text(s, 1) };
		read_side(s, 2, &c.from);
		read_side(s, 7, &c.to);
		int a = in_list(&c.from, year), b = in_list(&c.to, year);
		if (!a && b)
			c.kinds |= SP_HIST_ENTERED;
		if (a && !b)
			c.kinds |= SP_HIST_LEFT;
		if (c.from.present && c.to.present && c.from.rank != c.to.rank)
			c.kinds |= SP_HIST_RANK;
		if (c.from.present && c.to.present && fabs(c.from.score - c.to.score) > 1e-9)
			c.kinds |= SP_HIST_SCORE;
		if (c.kinds && (rc = fn(user, &c)) != 0)
			break;
	}
	if (rc == SP_OK && r != SP_DONE)
		rc = sp_store_error(db, err, "diff-selection");
	sp_finalize(s);
	return rc;
}
