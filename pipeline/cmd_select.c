/*
 * cmd_select.c — PLACEHOLDER until its owner lands the real commands.
 */
#include "cmd.h"
#include "run.h"

int sp_cmd_explain(int argc, char **argv, sp_env *env)
{
	(void)argc, (void)env;
	sp_cmd_error("%s: not implemented yet", argv[0]);
	return SP_EXIT_FAIL;
}

int sp_cmd_pin(int argc, char **argv, sp_env *env)
{
	(void)argc, (void)env;
	sp_cmd_error("%s: not implemented yet", argv[0]);
	return SP_EXIT_FAIL;
}

int sp_cmd_diff_selection(int argc, char **argv, sp_env *env)
{
	(void)argc, (void)env;
	sp_cmd_error("%s: not implemented yet", argv[0]);
	return SP_EXIT_FAIL;
}
