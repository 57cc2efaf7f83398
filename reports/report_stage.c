/*
 * report_stage.c — the report stage (load the inputs, render, record the `report` row and the
 * edition) and the replay of an edition. See report_year.h; the PDF itself is report_year.c.
 */
#include "reports/report_year.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pipeline/audit.h"
#include "pipeline/inbox.h"
#include "reports/edition.h"
#include "reports/html.h"
#include "reports/restate.h"

void sp_report_paths(const sp_config *cfg, int year, const char *pdf_opt, const char *csv_opt, sp_buf *pdf, sp_buf *csv)
{
	sp_buf_reset(pdf);
	sp_buf_reset(csv);
	if (pdf_opt)
		sp_buf_adds(pdf, pdf_opt);
	else
		sp_buf_addf(pdf, "%s/sparker-%d.pdf", cfg->report_dir, year);
	size_t n = pdf_opt ? strlen(pdf_opt) : 0;
	if (csv_opt)
		sp_buf_adds(csv, csv_opt);
	else if (pdf_opt && n > 4 && !strcasecmp(pdf_opt + n - 4, ".pdf")) /* beside the PDF: X.pdf -> X.csv */
		sp_buf_addf(csv, "%.*s.csv", (int)(n - 4), pdf_opt);
	else if (pdf_opt)
		sp_buf_addf(csv, "%s.csv", pdf_opt);
	else
		sp_buf_addf(csv, "%s/sparker-%d.csv", cfg->report_dir, year);
}

/* Nothing at all to report for f->year: no record pulled or first seen, no startup of the cohort,
 * no decision about one or dated in the year, no run. */
static int year_is_empty(const sp_figures *f)
{
	const sp_fig_funnel *u = &f->cur;
	return !u->pulled && !u->in_scope && !u->integrated && !u->qualified && !u->accompanied && !u->cocreation &&
	       !u->invested && !u->dec_accompanied && !u->dec_cocreation && !u->dec_invested && !f->runs_ok &&
	       !f->runs_partial && !f->runs_failed && !f->runs_killed && !f->runs_other;
}

/* SP_ENOTFOUND "no data for Y ..." naming the cohorts the database holds. */
static int no_data(sp_ctx *ctx, int year)
{
	sp_buf years = SP_BUF_INIT;
	sp_stmt *s;
	if (sp_store_prepare(ctx->db, "SELECT DISTINCT cohort FROM entity WHERE merged_into IS NULL AND cohort IS NOT NULL"
				      " ORDER BY cohort", &s, ctx->err) == SP_OK) {
		while (sp_step(s) == SP_ROW)
			sp_buf_addf(&years, "%s%d", years.len ? ", " : "", sp_col_int(s, 0));
		sp_finalize(s);
	}
	int rc = sp_err_set(ctx->err, SP_ENOTFOUND, "no data for %d: no record pulled, no startup of cohort %d, no run"
			    " and no decision in %d; nothing written (%s%s)", year, year, year,
			    years.len ? "cohorts in the database: " : "the database holds no startup yet",
			    years.len ? years.buf : "");
	sp_buf_release(&years);
	return rc;
}

/* ---- files ----------------------------------------------------------------------------------- */

static int write_csv(const sp_figures *f, const char *written, const char *path, sp_err *err)
{
	FILE *o = fopen(path, "w");
	if (!o)
		return sp_err_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
	sp_figures_csv(f, written, o);
	if (ferror(o) | (fclose(o) != 0))
		return sp_err_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
	return SP_OK;
}

/* The HTML summary (html.h) to path, through a temporary file renamed into place. */
static int write_html(const sp_figures *f, const char *written, const char *path, sp_err *err)
{
	sp_buf tmp = SP_BUF_INIT;
	sp_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *o = fopen(tmp.buf, "w");
	int rc = SP_OK;
	if (!o)
		rc = sp_err_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
	else {
		sp_report_html(f, written, o);
		if ((ferror(o) | (fclose(o) != 0)) || rename(tmp.buf, path) != 0) {
			rc = sp_err_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
			unlink(tmp.buf);
		}
	}
	sp_buf_release(&tmp);
	return rc;
}

static int parent_dir(const char *path, sp_err *err)
{
	char *d = sp_xstrdup(path);
	char *slash = strrchr(d, '/');
	int rc = SP_OK;
	if (slash && slash != d) {
		*slash = 0;
		rc = sp_mkdir_p(d, err);
	}
	free(d);
	return rc;
}

/* The PDF and the CSV of in to pdf and csv, through temporary names renamed into place, and their
 * sha256. */
static int write_report(const sp_report_inputs *in, const char *pdf, const char *csv, char pdf_sha[65],
			char csv_sha[65], sp_err *err)
{
	sp_buf tpdf = SP_BUF_INIT, tcsv = SP_BUF_INIT;
	sp_buf_addf(&tpdf, "%s.tmp.%ld", pdf, (long)getpid());
	sp_buf_addf(&tcsv, "%s.tmp.%ld", csv, (long)getpid());
	char written[32];
	sp_time_iso(in->epoch, written, sizeof(written));
	int rc;
	FILE *probe = NULL;
	if ((rc = parent_dir(pdf, err)) != SP_OK || (rc = parent_dir(csv, err)) != SP_OK)
		goto out;
	if (!(probe = fopen(tpdf.buf, "wb"))) { /* a clear message for an unwritable place (libharu gives a code) */
		rc = sp_err_set(err, SP_EIO, "cannot write %s: %s", pdf, strerror(errno));
		goto out;
	}
	fclose(probe);
	if ((rc = sp_report_pdf(in, tpdf.buf, err)) != SP_OK || (rc = write_csv(&in->f, written, tcsv.buf, err)) != SP_OK)
		goto out;
	if (rename(tpdf.buf, pdf) != 0 || rename(tcsv.buf, csv) != 0) {
		rc = sp_err_set(err, SP_EIO, "cannot rename the report into %s: %s", pdf, strerror(errno));
		goto out;
	}
	if ((rc = sp_sha256_file(pdf, pdf_sha, err)) == SP_OK)
		rc = sp_sha256_file(csv, csv_sha, err);
out:
	if (rc != SP_OK)
		unlink(tpdf.buf), unlink(tcsv.buf);
	sp_buf_release(&tpdf);
	sp_buf_release(&tcsv);
	return rc;
}

/* ---- the stage ------------------------------------------------------------------------------ */

/* The inputs of year's report: figures, restatement, audit estimate, written time. */
static int load_inputs(sp_ctx *ctx, int year, sp_report_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->epoch = sp_now();
	int rc = sp_figures_load(ctx->db, ctx->cfg, year, &in->f, ctx->err);
	if (rc != SP_OK)
		return rc;
	if (year_is_empty(&in->f))
		return no_data(ctx, year);
	if ((rc = sp_restate_load(ctx->db, &in->f, ctx->err)) != SP_OK)
		return rc;
	if ((rc = sp_audit_exists(ctx->db, year, &in->audited, ctx->err)) == SP_OK && in->audited)
		rc = sp_audit_estimate_load(ctx->db, year, &in->audit, ctx->err);
	return rc;
}

int sp_report_row_write(sp_store *db, const sp_report_row *r, int once, sp_err *err)
{
	int rc = sp_store_begin(db, err);
	int64_t n = 0;
	char year[16];
	snprintf(year, sizeof(year), "%d", r->year);
	if (rc == SP_OK && once)
		rc = sp_store_int(db, "SELECT count(*) FROM report WHERE year = CAST(?1 AS INTEGER) AND sha256 = ?2 AND created = ?3",
				  &n, err, year, r->sha256, r->created);
	sp_stmt *s = NULL;
	if (rc == SP_OK && !n &&
	    (rc = sp_store_prepare(db, "INSERT INTO report (year, path, csv_path, sha256, run_id, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				   &s, err)) == SP_OK) {
		sp_bind_int(s, 1, r->year);
		sp_bind_text(s, 2, r->path);
		sp_bind_text(s, 3, r->csv_path);
		sp_bind_text(s, 4, r->sha256);
		if (r->run_id)
			sp_bind_int64(s, 5, r->run_id);
		sp_bind_text(s, 6, r->created);
		rc = sp_store_step_done(db, s, err);
	}
	sp_finalize(s);
	sp_edition e = { .year = r->year, .as_of_run = r->as_of_run, .run_id = r->run_id, .created = (char *)r->created,
			 .path = (char *)r->path, .csv_path = (char *)r->csv_path, .pdf_sha256 = (char *)r->sha256,
			 .csv_sha256 = (char *)r->csv_sha256, .inputs = (char *)r->inputs };
	if (rc == SP_OK && !n && r->inputs)
		rc = sp_edition_record(db, &e, err);
	if (rc == SP_OK)
		rc = sp_store_commit(db, err);
	if (rc != SP_OK)
		sp_store_rollback(db);
	return rc;
}

/* The `report` row and its edition, in one transaction; beside a run on SQLite (one writer, busy
 * for the run's stage) into the inbox, which the next run applies (pipeline/inbox.h). */
static int record_report(sp_ctx *ctx, const sp_report_inputs *in, const char *pdf, const char *csv,
			 const char *pdf_sha, const char *csv_sha)
{
	char written[32];
	sp_time_iso(in->epoch, written, sizeof(written));
	char *json = sp_inputs_to_json(in);
	if (!json)
		return sp_err_set(ctx->err, SP_ENOMEM, "report: out of memory serializing its inputs");
	sp_report_row r = { .year = in->f.year, .path = pdf, .csv_path = csv, .sha256 = pdf_sha, .created = written,
			    .run_id = ctx->run_id, .as_of_run = in->f.data_run, .csv_sha256 = csv_sha, .inputs = json };
	int rc;
	if (!ctx->beside || sp_store_is_server(ctx->cfg->database)) {
		rc = sp_report_row_write(ctx->db, &r, 0, ctx->err);
	} else {
		sp_inbox *ib;
		if ((rc = sp_inbox_open(ctx->cfg->database, &ib, ctx->err)) == SP_OK)
			rc = sp_inbox_add_report(ib, &r, ctx->err);
		sp_inbox_close(ib);
	}
	free(json);
	return rc;
}

int sp_stage_report(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	(void)src;
	int year = ctx->year;
	if (year <= 0)
		year = atoi(ctx->as_of) - 1;
	if (year < 1900 || year > 9999)
		return sp_err_set(ctx->err, SP_EUSAGE, "report: %d is not a year", year);
	sp_buf pdf = SP_BUF_INIT, csv = SP_BUF_INIT;
	sp_report_paths(ctx->cfg, year, ctx->report_pdf, ctx->report_csv, &pdf, &csv);
	sp_report_inputs in;
	char pdf_sha[65], csv_sha[65], written[32];
	int rc = load_inputs(ctx, year, &in);
	if (rc == SP_OK)
		rc = write_report(&in, pdf.buf, csv.buf, pdf_sha, csv_sha, ctx->err);
	sp_time_iso(in.epoch, written, sizeof(written));
	if (rc == SP_OK && ctx->report_html && ((rc = parent_dir(ctx->report_html, ctx->err)) == SP_OK))
		rc = write_html(&in.f, written, ctx->report_html, ctx->err);
	if (rc == SP_OK)
		rc = record_report(ctx, &in, pdf.buf, csv.buf, pdf_sha, csv_sha);
	if (rc == SP_OK) {
		c->in = in.f.cur.integrated;
		c->out = in.f.nqual;
		snprintf(c->note, sizeof(c->note), "wrote %s", pdf.buf);
	}
	sp_inputs_release(&in);
	sp_buf_release(&pdf);
	sp_buf_release(&csv);
	return rc;
}

/* ---- the replay ----------------------------------------------------------------------------- */

int sp_report_replay(sp_store *db, int year, int64_t run, const char *pdf, const char *csv, sp_replay *out,
		     sp_err *err)
{
	memset(out, 0, sizeof(*out));
	sp_edition e;
	int rc = sp_edition_find(db, year, run, &e, err);
	if (rc != SP_OK)
		return rc;
	out->edition = e.id, out->as_of_run = e.as_of_run;
	snprintf(out->created, sizeof(out->created), "%s", e.created ? e.created : "");
	snprintf(out->pdf_sha256, sizeof(out->pdf_sha256), "%s", e.pdf_sha256 ? e.pdf_sha256 : "");
	snprintf(out->csv_sha256, sizeof(out->csv_sha256), "%s", e.csv_sha256 ? e.csv_sha256 : "");
	sp_report_inputs in;
	if ((rc = sp_inputs_from_json(e.inputs, &in, err)) != SP_OK) {
		sp_err_prefix(err, "the report of %d written on %.10s", year, out->created);
		sp_edition_release(&e);
		return rc;
	}
	sp_edition_release(&e);
	rc = write_report(&in, pdf, csv, out->pdf_now, out->csv_now, err);
	sp_inputs_release(&in);
	if (rc != SP_OK)
		return rc;
	out->pdf_same = !strcmp(out->pdf_now, out->pdf_sha256);
	out->csv_same = !strcmp(out->csv_now, out->csv_sha256);
	if (!out->pdf_same || !out->csv_same)
		return sp_err_set(err, SP_EFORMAT, "the %s rendered again differs from the report sent on %.10s (recorded "
				  "sha256 %s, now %s): the renderer changed since that report was written",
				  !out->pdf_same ? "PDF" : "CSV", out->created, !out->pdf_same ? out->pdf_sha256 : out->csv_sha256,
				  !out->pdf_same ? out->pdf_now : out->csv_now);
	return SP_OK;
}
