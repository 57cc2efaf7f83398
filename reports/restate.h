/*
 * restate.h — what changed in a year's report since the earlier report of that year.
 *
 * What it does: when a report of year Y is written and an earlier edition of Y exists (the newest
 * one whose as-of run is below this report's, edition.h), sp_restate_load() fills f->restate:
 * that edition's key figures (the funnel, decisions, the per-hub lines, read from its stored
 * inputs), the startups that entered and left the qualified list of Y between that run's selection
 * (selection_hist as of it, pipeline/history.h) and now, the runs after it whose logical date is
 * in Y (backfills), and the judgements recorded since it was written (id above the judgement_upto
 * of the run that wrote it: a report reads the judgements in force when it is written). These values
 * are part of the figures, so they are stored in the new edition and replay identically.
 * sp_restate_pdf() draws the "Restated since the report of DATE (run N)" part (nothing when there
 * is no earlier edition; one line when nothing changed); the CSV companion has them as section
 * "restated".
 *
 * Failure: SP_OK, SP_EDB, SP_EFORMAT (the earlier edition's inputs do not read back).
 */
#ifndef SP_RESTATE_H
#define SP_RESTATE_H

#include "reports/figures.h"
#include "reports/pdf.h"

/* f: loaded by sp_figures_load (year, data_run, cur, hubs). */
int sp_restate_load(sp_store *db, sp_figures *f, sp_err *err);
/* The key figures that can be restated: the funnel's and the decisions dated in the year. */
#define SP_RESTATE_NFIG 13
/* Its i-th figure: the name (returned), its value in fu, and (key not NULL) its CSV key. */
const char *sp_restate_fig(int i, const sp_fig_funnel *fu, int64_t *value, const char **key);

/* The part on the PDF: a page of its own when something changed, else one line at the cursor. */
void sp_restate_pdf(sp_pdf *p, const sp_figures *f);

#endif
