/*
 * cmd_decide.c — PLACEHOLDER until its owner lands the real commands.
 */
#include "cmd.h"
#include "run.h"

int sp_cmd_decide(int argc, char **argv, sp_env *env)
{
	(void)argc, (void)env;
	sp_cmd_error("%s: not implemented yet", argv[0]);
	return SP_EXIT_FAIL;
}

int sp_cmd_decisions(int argc, char **argv, sp_env *env)
{
	(void)argc, (void)env;
	sp_cmd_error("%s: not implemented yet", argv[0]);
	return SP_EXIT_FAIL;
}
