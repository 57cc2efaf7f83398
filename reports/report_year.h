/*
 * report_year.h — the yearly funnel report (PDF + CSV companion) and the `report` row.
 *
 * sp_stage_report() (stage.h) writes the report for ctx->year, or for the year before ctx->as_of
 * when ctx->year is 0, to the paths sp_report_paths() gives: ctx->report_pdf / ctx->report_csv
 * (from the run options) when set, else REPORT_DIR/sparker-Y.pdf and .csv; a PDF path given
 * without a CSV path puts the CSV beside it (X.pdf -> X.csv). With ctx->report_html, the one-page
 * HTML summary (html.h) is written there too. Every file is written to a temporary name and
 * renamed, so a reader never sees half a report. A year with no data at all
 * (no record pulled or first seen, no startup of the cohort, no decision, no run) is not
 * reported: SP_ENOTFOUND "no data for Y: ..." naming the cohorts the database holds, nothing
 * written. A year with some data but empty sections gets a report that says "no data" there.
 *
 * The PDF depends only on the database, the config and sp_now() (SOURCE_DATE_EPOCH): the run that
 * writes it is not named in it (the cover names the newest run that wrote data), so regenerating a
 * report from the same database gives the same bytes.
 */
#ifndef SP_REPORT_YEAR_H
#define SP_REPORT_YEAR_H

#include "reports/figures.h"
#include "pipeline/stage.h"

/* The report's two paths for year (an option left NULL gives the default), into pdf and csv. */
void sp_report_paths(const sp_config *cfg, int year, const char *pdf_opt, const char *csv_opt, sp_buf *pdf,
		     sp_buf *csv);

#endif
