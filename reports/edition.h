/*
 * edition.h — report editions: what a report was rendered from, kept so that it can be rendered
 * again byte for byte (`sparker report --year Y --as-of-run N`).
 *
 * What it does: the renderers (the PDF in report_year.c, the CSV companion, the HTML summary)
 * are pure functions of one sp_report_inputs: the figures (figures.h; they carry the values from
 * the config and the program that the report prints), the audit estimate (when the year has a
 * draw), and the written time. Every report written appends one report_edition row (schema 12)
 * in the transaction of its `report` row: the year, the as-of run (the newest run that wrote
 * data: the run the PDF's cover names), the written time, the PDF's and the CSV's sha256, the
 * paths, and the inputs serialized as JSON (sp_inputs_to_json; sp_inputs_from_json reads them
 * back into the same struct, so the replay renders exactly what was sent). Numbers keep their
 * exact value (integers as integers, reals with 17 significant digits; NaN and infinities as
 * strings).
 *
 * Editions of a year: sp_edition_find() gives the newest edition of year written as of run N
 * (as_of_run <= N; SP_ENOTFOUND listing the editions there are); sp_edition_before() the newest
 * one whose as_of_run is below a run (the earlier report a new one restates, restate.h).
 *
 * Invariants: report_edition is append-only (triggers refuse UPDATE and DELETE); only this module
 * writes it. A replay writes no edition and no report row.
 * Ownership: sp_report_inputs owns its figures and audit (sp_inputs_release); sp_edition owns its
 * strings (sp_edition_release). _release(NULL) is a no-op.
 * Failure: SP_EDB (the database), SP_EFORMAT (inputs that do not read back), SP_ENOTFOUND.
 */
#ifndef SP_EDITION_H
#define SP_EDITION_H

#include "pipeline/audit.h"
#include "reports/figures.h"

typedef struct sp_report_inputs {
	sp_figures f;
	int64_t epoch;           /* the written time (sp_now() then) */
	int audited;             /* the year had an audit draw: audit holds its estimate (no strata) */
	sp_audit_estimate audit;
} sp_report_inputs;

void sp_inputs_release(sp_report_inputs *in);
/* The inputs as JSON text (caller frees; NULL only when out of memory). */
char *sp_inputs_to_json(const sp_report_inputs *in);
int sp_inputs_from_json(const char *json, sp_report_inputs *in, sp_err *err);

typedef struct sp_edition {
	int64_t id, year, as_of_run, run_id;
	char *created, *path, *csv_path, *pdf_sha256, *csv_sha256, *inputs;
} sp_edition;
void sp_edition_release(sp_edition *e);

/* Append an edition (in the caller's transaction); e->id is ignored. */
int sp_edition_record(sp_store *db, const sp_edition *e, sp_err *err);
/* The newest edition of year with as_of_run <= run. */
int sp_edition_find(sp_store *db, int year, int64_t run, sp_edition *out, sp_err *err);
/* The newest edition of year with as_of_run < run (SP_ENOTFOUND, err untouched: none). */
int sp_edition_before(sp_store *db, int year, int64_t run, sp_edition *out, sp_err *err);

#endif
