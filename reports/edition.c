/*
 * edition.c — the report_edition rows: append, find the edition of a year as of a run, and the
 * one before a run. See edition.h.
 */
#include "reports/edition.h"

#include <stdlib.h>
#include <string.h>

void sp_edition_release(sp_edition *e)
{
	if (!e)
		return;
	free(e->created), free(e->path), free(e->csv_path), free(e->pdf_sha256), free(e->csv_sha256), free(e->inputs);
	memset(e, 0, sizeof(*e));
}

int sp_edition_record(sp_store *db, const sp_edition *e, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "INSERT INTO report_edition (year, as_of_run, run_id, created, path, csv_path, pdf_sha256,"
				  " csv_sha256, inputs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, e->year);
	sp_bind_int64(s, 2, e->as_of_run);
	if (e->run_id)
		sp_bind_int64(s, 3, e->run_id);
	else
		sp_bind_null(s, 3);
	sp_bind_text(s, 4, e->created);
	sp_bind_text(s, 5, e->path);
	sp_bind_text(s, 6, e->csv_path);
	sp_bind_text(s, 7, e->pdf_sha256);
	sp_bind_text(s, 8, e->csv_sha256);
	sp_bind_text(s, 9, e->inputs);
	rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	return rc;
}

static char *dup_col(sp_stmt *s, int i)
{
	const char *v = sp_col_text(s, i);
	return v ? sp_xstrdup(v) : NULL;
}

/* The newest edition of year with as_of_run <= run (strict: < run). */
static int edition_at(sp_store *db, int year, int64_t run, int strict, sp_edition *out, sp_err *err)
{
	memset(out, 0, sizeof(*out));
	sp_stmt *s;
	int rc = sp_store_prepare(db, strict ?
		"SELECT id, year, as_of_run, run_id, created, path, csv_path, pdf_sha256, csv_sha256, inputs FROM report_edition"
		" WHERE year = ?1 AND as_of_run < ?2 ORDER BY as_of_run DESC, id DESC LIMIT 1" :
		"SELECT id, year, as_of_run, run_id, created, path, csv_path, pdf_sha256, csv_sha256, inputs FROM report_edition"
		" WHERE year = ?1 AND as_of_run <= ?2 ORDER BY as_of_run DESC, id DESC LIMIT 1", &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int(s, 1, year);
	sp_bind_int64(s, 2, run);
	int r = sp_step(s);
	if (r == SP_ROW) {
		out->id = sp_col_int64(s, 0), out->year = sp_col_int64(s, 1), out->as_of_run = sp_col_int64(s, 2);
		out->run_id = sp_col_null(s, 3) ? 0 : sp_col_int64(s, 3);
		out->created = dup_col(s, 4), out->path = dup_col(s, 5), out->csv_path = dup_col(s, 6);
		out->pdf_sha256 = dup_col(s, 7), out->csv_sha256 = dup_col(s, 8), out->inputs = dup_col(s, 9);
	} else if (r == SP_DONE) {
		rc = SP_ENOTFOUND;
	} else {
		rc = sp_store_error(db, err, "report_edition");
	}
	sp_finalize(s);
	return rc;
}

/* "no report of Y as of run N: editions of Y: run 12 (2025-12-31, PATH), ..." */
static int not_found(sp_store *db, int year, int64_t run, sp_err *err)
{
	sp_buf b = SP_BUF_INIT;
	sp_stmt *s;
	if (sp_store_prepare(db, "SELECT as_of_run, created, path FROM report_edition WHERE year = ?1 ORDER BY id", &s, err) == SP_OK) {
		sp_bind_int(s, 1, year);
		while (sp_step(s) == SP_ROW)
			sp_buf_addf(&b, "%srun %lld (%.10s, %s)", b.len ? ", " : "", (long long)sp_col_int64(s, 0),
				    sp_col_text(s, 1) ? sp_col_text(s, 1) : "?", sp_col_text(s, 2) ? sp_col_text(s, 2) : "?");
		sp_finalize(s);
	}
	int rc = sp_err_set(err, SP_ENOTFOUND, "no report of %d was written as of run %lld; %s%s", year, (long long)run,
			    b.len ? "the reports of it there are, by the run their data is as of: " : "none of that year was ever written",
			    b.len ? b.buf : "");
	sp_buf_release(&b);
	return rc;
}

int sp_edition_find(sp_store *db, int year, int64_t run, sp_edition *out, sp_err *err)
{
	int rc = edition_at(db, year, run, 0, out, err);
	return rc == SP_ENOTFOUND ? not_found(db, year, run, err) : rc;
}

int sp_edition_before(sp_store *db, int year, int64_t run, sp_edition *out, sp_err *err)
{
	return edition_at(db, year, run, 1, out, err);
}
