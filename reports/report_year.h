/*
 * report_year.h — the yearly funnel report (PDF + CSV companion) and the `report` row.
 *
 * sp_stage_report() (stage.h) writes the report for ctx->year, or for the year before ctx->as_of
 * when ctx->year is 0, to REPORT_DIR/sparker-Y.pdf and .csv, unless the command set other paths
 * with sp_report_set_paths() first (a process-wide setting: `sparker report` is one report per
 * process). Both files are written to a temporary name and renamed, so a reader never sees half
 * a report. After success, sp_report_last_paths() gives what was written.
 *
 * The PDF depends only on the database, the config and sp_now() (SOURCE_DATE_EPOCH): the run that
 * writes it is not named in it (the cover names the newest run that wrote data), so regenerating a
 * report from the same database gives the same bytes.
 */
#ifndef SP_REPORT_YEAR_H
#define SP_REPORT_YEAR_H

#include "reports/figures.h"
#include "pipeline/stage.h"

/* NULL keeps the default for that file. The strings must outlive the stage call. */
void sp_report_set_paths(const char *pdf, const char *csv);
/* The files the last successful report wrote (valid until the next report). */
void sp_report_last_paths(const char **pdf, const char **csv);

/* Render the PDF of figures f to path (epoch: date written). */
int sp_report_pdf(const sp_figures *f, const sp_config *cfg, int64_t epoch, const char *path, sp_err *err);

#endif
