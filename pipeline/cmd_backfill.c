/*
 * cmd_backfill.c — PLACEHOLDER until its owner lands `run --backfill`.
 */
#include "cmd.h"
#include "run.h"

int sp_run_backfill(sp_env *env, const sp_run_opts *base, const char *range);

int sp_run_backfill(sp_env *env, const sp_run_opts *base, const char *range)
{
	(void)env, (void)base, (void)range;
	sp_cmd_error("run --backfill: not implemented yet");
	return SP_EXIT_FAIL;
}
