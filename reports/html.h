/*
 * html.h — the one-page HTML summary of a year's key figures, for e-mail (`report --html FILE`).
 *
 * Written from the same sp_figures as the PDF and the CSV, with the same names (SP_FIG_DEFS): the
 * headline numbers against their targets, the funnel (bars proportional to the counts, broken as
 * the PDF's, charts.h), the years side by side and the cross-year figures; a line on what was
 * restated since the year's earlier report, when anything was (restate.h). A pure function of f
 * and written (no config). Self-contained: inline
 * CSS, no image, script, font or link to anything outside the file; UTF-8; every string from the
 * data is HTML-escaped.
 *
 * The caller owns the stream and checks it for write errors.
 */
#ifndef SP_HTML_H
#define SP_HTML_H

#include <stdio.h>

#include "reports/figures.h"

void sp_report_html(const sp_figures *f, const char *written, FILE *out);

#endif
