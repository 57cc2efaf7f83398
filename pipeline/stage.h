/*
 * stage.h — what a pipeline stage is, and the context a run hands to it.
 *
 * A stage is a function that reads what earlier stages wrote (and the config) and replaces its
 * own output, inside transactions of its own, so that a kill leaves the last committed state.
 * Running a stage twice on the same input is running it once (idempotent).
 *
 * Per-source stages (fetch, parse) are called once per selected source, with src set; the others
 * once per run, with src NULL. run.c creates one stage_run row per call, fills its counts from
 * sp_counts, and records status from the return code. A stage that fails returns < 0 with one
 * message in ctx->err; run.c decides whether the run goes on (a failing source does not stop the
 * other sources; a failing global stage stops the run).
 *
 * Stages never print: progress goes through sp_progress (progress.h), which is silent unless
 * stderr is a terminal; messages go back in err.
 */
#ifndef SP_STAGE_H
#define SP_STAGE_H

#include "core/common.h"
#include "core/config.h"
#include "core/store.h"

typedef struct sp_counts {
	int64_t in, out, rejected;
	char note[512]; /* short free text for stage_run.message, e.g. "304 not modified" */
} sp_counts;

typedef struct sp_ctx {
	sp_config *cfg;
	sp_store *db;
	int64_t run_id;
	char as_of[11];      /* logical date YYYY-MM-DD */
	int year;            /* --year, 0 if not given (report, score) */
	const char *report_pdf, *report_csv; /* report: output paths, NULL = the default */
	const char *report_html; /* report: the one-page HTML summary's path, NULL = none */
	int verbose;
	int quiet;
	int dry_run;
	int force;           /* reprocess even when input is unchanged (set by --stage/--from) */
	int accept;          /* parse: apply the snapshot the quality gates held, bypassing them (`accept`) */
	/* score: when set, called inside the stage's transaction once the new selection is made
	 * (selection_prev holding the one before); the transaction is then rolled back, so nothing
	 * is written (`sparker score --preview`). Its return code is the stage's. */
	int (*preview)(void *user, sp_store *db, sp_err *err);
	void *preview_user;
	/* report: run beside another process's run (run.h: opts->beside): the stage writes nothing
	 * into the database; on SQLite its `report` row goes to the inbox (pipeline/inbox.h). */
	int beside;
	sp_err *err;
} sp_ctx;

typedef int (*sp_stage_fn)(sp_ctx *ctx, const sp_source *src, sp_counts *counts);

typedef struct sp_stage {
	const char *name;
	sp_stage_fn run;
	int per_source;
	const char *help;
} sp_stage;

/* The stage table, in pipeline order, is in run.c: the one list of stages. */
/* The stage's place in pipeline order (0 = fetch), or -1 for an unknown name. */
int sp_stage_index(const char *name);

/* The stage functions (each in its own module). */
int sp_stage_fetch(sp_ctx *ctx, const sp_source *src, sp_counts *c);     /* connectors/fetch.c */
int sp_stage_parse(sp_ctx *ctx, const sp_source *src, sp_counts *c);     /* connectors/parse.c */
int sp_stage_normalise(sp_ctx *ctx, const sp_source *src, sp_counts *c); /* pipeline/normalise_stage.c */
int sp_stage_dedupe(sp_ctx *ctx, const sp_source *src, sp_counts *c);    /* pipeline/dedupe.c */
int sp_stage_score(sp_ctx *ctx, const sp_source *src, sp_counts *c);     /* pipeline/score.c */
int sp_stage_report(sp_ctx *ctx, const sp_source *src, sp_counts *c);    /* reports/report_stage.c */

/* A row of table `report` (a report written) and its edition (table report_edition).
 * sp_report_row_write() writes both in a transaction of its own; once = 1 (the inbox's replay) writes nothing when the same year, checksum and time
 * are there already. */
typedef struct sp_report_row {
	int year;
	const char *path, *csv_path, *sha256, *created;
	int64_t run_id;    /* 0: none (a report written beside a run) */
	int64_t as_of_run; /* the edition (reports/edition.h): the newest run that wrote data */
	const char *csv_sha256, *inputs; /* inputs: the edition's JSON; NULL writes no edition */
} sp_report_row;
int sp_report_row_write(sp_store *db, const sp_report_row *r, int once, sp_err *err); /* reports/report_stage.c */

/* The keys of sections read by stages without a header of their own (the others are in the
 * headers of their modules: dedupe.h, select.h, taxonomy.h; pipeline/run.c gathers them all). */
extern const sp_config_key sp_score_keys[];  /* pipeline/score.c: [score] */
extern const sp_config_key sp_report_keys[]; /* reports/figures.c: [report] */

#endif
