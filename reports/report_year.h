/*
 * report_year.h — the yearly funnel report (PDF + CSV companion), the `report` row and its
 * edition, and the replay of an edition.
 *
 * sp_stage_report() (stage.h; reports/report_stage.c) writes the report for ctx->year, or for the
 * year before ctx->as_of when ctx->year is 0, to the paths sp_report_paths() gives:
 * ctx->report_pdf / ctx->report_csv (from the run options) when set, else REPORT_DIR/sparker-Y.pdf
 * and .csv; a PDF path given without a CSV path puts the CSV beside it (X.pdf -> X.csv). With
 * ctx->report_html, the one-page HTML summary (html.h) is written there too. Every file is written
 * to a temporary name and renamed, so a reader never sees half a report. A year with no data at
 * all (no record pulled or first seen, no startup of the cohort, no decision, no run) is not
 * reported: SP_ENOTFOUND "no data for Y: ..." naming the cohorts the database holds, nothing
 * written. A year with some data but empty sections gets a report that says "no data" there.
 * The stage loads the inputs (figures.h, the restatement against the year's earlier edition:
 * restate.h, the audit estimate, sp_now()), renders them, and records the `report` row and a
 * report_edition row (edition.h) in one transaction.
 *
 * The PDF depends only on its inputs (sp_report_pdf: no config, no database, no clock): the run
 * that writes it is not named in it (the cover names the newest run that wrote data), so
 * regenerating a report from the same database gives the same bytes, and a stored edition renders
 * the bytes that were sent.
 *
 * sp_report_replay(): the newest edition of year written as of run (edition.h) rendered again from
 * its stored inputs to pdf and csv; out says which edition and whether each file's sha256 is the
 * one recorded. SP_OK only when both are; SP_EFORMAT "... differs from the report sent ..." when
 * not (the renderer changed since); SP_ENOTFOUND listing the editions of the year. Writes nothing
 * to the database.
 */
#ifndef SP_REPORT_YEAR_H
#define SP_REPORT_YEAR_H

#include "reports/edition.h"
#include "reports/figures.h"
#include "pipeline/stage.h"

/* The report's two paths for year (an option left NULL gives the default), into pdf and csv. */
void sp_report_paths(const sp_config *cfg, int year, const char *pdf_opt, const char *csv_opt, sp_buf *pdf,
		     sp_buf *csv);

/* The PDF of in, to path. */
int sp_report_pdf(const sp_report_inputs *in, const char *path, sp_err *err);

typedef struct sp_replay {
	int64_t edition, as_of_run;
	char created[32];            /* when the edition was written */
	char pdf_sha256[65], csv_sha256[65];       /* recorded */
	char pdf_now[65], csv_now[65];             /* of the files written now */
	int pdf_same, csv_same;
} sp_replay;
int sp_report_replay(sp_store *db, int year, int64_t run, const char *pdf, const char *csv, sp_replay *out,
		     sp_err *err);

#endif
