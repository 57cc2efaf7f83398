/*
 * backfill.h — replay parse..score for a range of logical dates, one run per date, resumable.
 *
 * sp_backfill() checks the range and the stage range (usage errors: SP_EUSAGE with the message),
 * takes the run lock once for every date (unless base->dry_run), and for each date that has no
 * ok run of the same key and config hash calls sp_run_execute() with that as-of date. A date
 * whose run fails stops the backfill: the return code is that run's, res->last its summary,
 * res->run_failed is set and err says where it stopped and how to resume.
 *
 * It never prints. The hooks (each may be NULL) tell the caller what happens:
 *   on_date     every date, before its run; prev_run is the ok run that already did it (then the
 *               date is skipped) or 0
 *   on_stage    every stage call, as sp_run_execute()'s on_stage (also in dry runs)
 *   on_run_end  after each date's run: its options, return code, summary, error and seconds
 * base->on_start, when set, is called at each run's start as for a single run.
 */
#ifndef SP_BACKFILL_H
#define SP_BACKFILL_H

#include "pipeline/run.h"

typedef struct sp_backfill_hooks {
	void *user;
	void (*on_date)(void *user, const char *date, int64_t prev_run);
	sp_stage_cb on_stage;
	void (*on_run_end)(void *user, const sp_run_opts *o, int rc, const sp_run_summary *sum, const sp_err *err,
			   double seconds);
} sp_backfill_hooks;

typedef struct sp_backfill_result {
	int total;          /* dates in the range */
	int ran, skipped;   /* runs made; dates already done */
	int run_failed;     /* the last run failed and stopped the backfill */
	sp_run_summary last; /* summary of the last run made */
} sp_backfill_result;

int sp_backfill(sp_config *cfg, const sp_run_opts *base, const char *range, const sp_backfill_hooks *hooks,
		sp_backfill_result *res, sp_err *err);

#endif
