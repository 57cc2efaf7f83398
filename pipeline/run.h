/*
 * run.h — a run: the lock, the run row, and the stages it executes in order.
 *
 * What it does: sp_run_execute() takes the run lock (flock on "<database>.lock", so a killed run
 * never leaves a lock that blocks the next one: the kernel drops it with the process), marks runs
 * left 'running' by a dead process as 'killed', inserts a run row, then calls each selected stage
 * (per source for per-source stages), records a stage_run row for each call, and closes the run
 * with ok | partial (a source failed, the others went on) | failed (a global stage failed).
 *
 * Which stages: opts->job names a [job] of the config; or opts->stage (one stage), or
 * opts->from [.. opts->to]. opts->sources restricts per-source stages to those sources.
 * opts->dry_run lists what would run and writes nothing: on_stage gets, for each stage call, the
 * rows available to it now (counts.in; counts.note says what they are), no lock is taken and a
 * database that does not exist yet is not created.
 *
 * Before a fetch stage, the raw store (and each selected source's directory in it) is probed by
 * writing and removing a small file: when that fails (read-only, permissions, disk full) no fetch
 * is attempted, each fetch call is recorded failed with a message naming the path, and the other
 * stages go on from the snapshots already stored (run status partial, exit 4).
 *
 * opts->lock_held: the caller already holds the run lock (backfill holds it across its runs).
 * opts->on_start (may be NULL) is called once the run row exists, with its id, logical date and
 * the args stored in it.
 *
 * Stop requests (core/stop.h, set by the signal handlers cli/ installs): looked at before and after
 * every stage call, and by the long loops inside the stages. The run then ends at once with
 * SP_EINTERRUPTED: the interrupted stage call is recorded 'killed' (its transaction rolled back),
 * the run 'killed' with "interrupted by SIGTERM in stage parse of source s; ...".
 *
 * Budgets: [sparker] max_seconds.STAGE and max_rss_mb.STAGE (0 or absent: none) bound each call
 * of that stage (each source's call for fetch and parse). A stage with a memory budget has its
 * own peak measured: the kernel's peak is reset before each of its calls where the system allows
 * it (sp_peak_rss_reset; what time(1) then reports for the process is the peak since); other
 * calls record the process's peak so far, as always. sum->peak_kb stays the run's true peak. A call over budget
 * has r->budget set ("stage parse took 712 s, budget 600 s"), stored in stage_run.budget. With
 * [sparker] budget_action = fail (default warn) the call counts as failed (what it committed
 * stands): the run stops with a global stage, goes on as partial with a per-source one. Any other
 * budget_action is SP_ECONFIG before the run starts.
 *
 * The analysts' inbox (pipeline/inbox.h): on SQLite a run applies the judgements made during the
 * last run at its start, under its lock, before its first stage (sum->inbox_applied).
 *
 * opts->beside (the report only, when another process holds the lock): no lock, no run or stage
 * rows, no inbox applied; the report stage reads in one transaction and its `report` row goes
 * to the inbox on SQLite (stage.h: sp_ctx.beside).
 *
 * Test hook: SPARKER_TEST_STALL=STAGE:SECONDS sleeps that long inside the stage call (after its
 * stage_run row is written, before the stage runs), so tests can hold the lock or kill a run
 * mid-stage deterministically; sp_test_stall(NAME) is that sleep, for other places ("drain":
 * pipeline/inbox.h).
 *
 * It never prints: on_stage (may be NULL) is called after each stage call so the command can log.
 *
 * Returns SP_OK (all ok), SP_EIO with "partial" message when some source failed, SP_ELOCKED with
 * the holder named in err when another run holds the lock, or another code on failure.
 */
#ifndef SP_RUN_H
#define SP_RUN_H

#include "core/lock.h"
#include "pipeline/stage.h"

typedef struct sp_run_opts {
	const char *job;
	const char *stage;
	const char *from;
	const char *to;
	const char **sources;
	int nsources;
	const char *as_of; /* YYYY-MM-DD; NULL = today (UTC) */
	int year;
	const char *report_pdf, *report_csv; /* report stage: output paths, NULL = the default */
	const char *report_html; /* report stage: the HTML summary's path, NULL = none */
	int dry_run;
	int verbose;
	int quiet;
	const char *args;  /* the command line, stored in the run row */
	int lock_held;     /* the caller holds the run lock */
	int beside;        /* report only, beside another process's run: no lock, no run rows (sp_ctx.beside) */
	int accept;        /* parse applies each source's held snapshot, bypassing the gates (gate.h) */
	void (*on_start)(void *user, int64_t run_id, const char *as_of, const char *args);
} sp_run_opts;

typedef struct sp_stage_result {
	int64_t run_id;
	const char *stage;
	const char *source; /* NULL for global stages */
	int rc;
	const char *message; /* error message when rc < 0 */
	sp_counts counts;
	double seconds;
	long peak_kb;        /* peak memory: the call's own with a memory budget, else the process's so far */
	const char *budget;  /* NULL, or what the call exceeded: "stage parse took 712 s, budget 600 s" */
} sp_stage_result;

typedef void (*sp_stage_cb)(void *user, const sp_stage_result *r);

/* Outcome summary filled by sp_run_execute. */
typedef struct sp_run_summary {
	int64_t run_id;
	int stages_ok, stages_failed;
	int partial; /* at least one per-source stage failed */
	int failed;  /* the run stopped: a global stage failed, the database failed, or a signal */
	int over_budget; /* stage calls over their budget */
	long peak_kb;    /* the run's peak memory: the largest of its stage calls' */
	int inbox_applied, inbox_failed; /* the analysts' inbox applied at the start (pipeline/inbox.h) */
} sp_run_summary;

/*
 * What a config is checked against when it loads: the connector registry's formats and the
 * [source] keys of each format, the stage table, the key specs of every module that reads a
 * section ([dedupe], [score], [select], [taxonomy DOMAIN], [report], the gates below), and a check
 * that loads the taxonomy, the selection band and each source's filter.
 */
extern const sp_config_vocab sp_run_vocab;
/* The test hook above: sleep SECONDS when SPARKER_TEST_STALL is NAME:SECONDS (else nothing). */
void sp_test_stall(const char *name);
/* The quality gates and stage budgets of [sparker] and [source NAME] (min_rows, max_gone_pct,
 * max_reject_pct, max_age_days; [sparker] also max_seconds.STAGE, max_rss_mb.STAGE, budget_action). */
extern const sp_config_key sp_run_keys[];

int sp_run_execute(sp_config *cfg, const sp_run_opts *opts, sp_stage_cb on_stage, void *user,
		   sp_run_summary *sum, sp_err *err);


#endif
