/*
 * charts.h — the report's charts, drawn with libharu primitives through pdf.h.
 *
 * Every chart is drawn at the cursor of the sp_pdf (it asks for its height with sp_pdf_need, so a
 * chart is never cut by a page break) and moves the cursor below itself. Labels are ellipsised to
 * their column, values are printed next to the bars (a chart is read for its shape, the number is
 * always there too). A chart whose values are all zero draws a framed "no data" box instead of an
 * empty frame: an empty year must say so.
 *
 * No allocation survives a call; nothing fails (drawing errors are recorded by pdf.c).
 */
#ifndef SP_CHARTS_H
#define SP_CHARTS_H

#include "reports/pdf.h"

/* A framed box of height h with msg in its middle. */
void sp_chart_nodata(sp_pdf *p, float h, const char *msg);

/*
 * The funnel: one centred bar per stage, its width proportional to its count, the count beside
 * it, and the percentages of the stage above and of the first stage on the right. Where a stage
 * falls below SP_CHART_BREAK of the stage that is the full width, the axis is broken: a dashed
 * line says that from there on the stage above it is the full width (and by what factor the
 * scale grows), so the stages keep their proportions inside each part and no bar is a sliver.
 */
#define SP_CHART_BREAK 0.01
#define SP_CHART_MAX_STAGES 16 /* stages beyond are not drawn */

/* The funnel's scale: ref[i] = the stage drawn at full width in stage i's part of the chart (the
 * largest stage, normally the first, before the first break); the PDF and the HTML summary draw
 * the bars from it. v[ref[i]] > 0 whenever some stage is. */
void sp_chart_funnel_refs(const int64_t *v, int n, int *ref);
void sp_chart_funnel(sp_pdf *p, const char *const *labels, const int64_t *v, int n, const char *nodata);

/*
 * Horizontal bars, one row per label: series a (dark) and, when b is not NULL, series b (light,
 * drawn inside a, e.g. qualified within integrated). Linear scale from 0 to the largest a.
 */
void sp_chart_hbars(sp_pdf *p, const char *const *labels, const int64_t *a, const int64_t *b, int n,
		    const char *name_a, const char *name_b, const char *nodata);

/* Twelve months of two series as grouped vertical bars, with a value above each bar. */
void sp_chart_months(sp_pdf *p, const int64_t *a, const int64_t *b, const char *name_a, const char *name_b,
		     const char *nodata);

#endif
