/*
 * scope.c — the scope pass (contract in scope.h).
 *
 * The filter decides on an sp_record; the three fields it reads (status, founded, codes) are
 * copied from the stored row into one reused record, so the decision is the filter's own, made
 * by the same code as at parse time.
 */
#include <string.h>

#include "connectors/scope.h"

int sp_scope_apply(sp_store *db, const sp_source *src, const sp_filter *f, sp_scope_counts *n, sp_err *err)
{
	memset(n, 0, sizeof(*n));
	sp_stmt *q = NULL, *u = NULL;
	int rc = sp_store_prepare(db,
				  "SELECT id, COALESCE(status, ''), COALESCE(founded, ''), COALESCE(codes, ''), out_of_scope"
				  " FROM record WHERE source = ?1 AND gone = 0",
				  &q, err);
	if (rc == SP_OK)
		rc = sp_store_prepare(db, "UPDATE record SET out_of_scope = ?2 WHERE id = ?1", &u, err);
	if (rc != SP_OK) {
		sp_finalize(q);
		return rc;
	}
	sp_bind_static(q, 1, src->name, -1);
	sp_record r;
	sp_record_init(&r);
	int st;
	while (rc == SP_OK && (st = sp_step(q)) == SP_ROW) {
		sp_record_clear(&r);
		sp_record_sets(&r, SP_F_STATUS, sp_col_text(q, 1));
		sp_record_sets(&r, SP_F_FOUNDED, sp_col_text(q, 2));
		sp_record_sets(&r, SP_F_CODES, sp_col_text(q, 3));
		const char *was = sp_col_text(q, 4);
		const char *why = sp_filter_reason(f, &r);
		n->out += why != NULL;
		if ((why == NULL) == (was == NULL) && (!why || !strcmp(why, was)))
			continue;
		if (why && !was)
			n->left++;
		else if (!why)
			n->returned++;
		sp_bind_int64(u, 1, sp_col_int64(q, 0));
		if (why)
			sp_bind_static(u, 2, why, -1);
		else
			sp_bind_null(u, 2);
		rc = sp_store_step_done(db, u, err);
	}
	if (rc == SP_OK && st != SP_DONE)
		rc = sp_store_error(db, err, "scope: reading records");
	sp_record_release(&r);
	sp_finalize(q);
	sp_finalize(u);
	return rc;
}
