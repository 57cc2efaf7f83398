/*
 * cmd.c — helpers shared by the command handlers: messages, exit codes, opening the database
 * (alone or under the run lock) and output files. Like every file of cli/, it prints.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "pipeline/run.h"

void sp_cmd_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sparker: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int sp_cmd_exit_code(int rc)
{
	switch (rc) {
	case SP_OK:
	case SP_EOF:
		return SP_EXIT_OK;
	case SP_ELOCKED:
		return SP_EXIT_LOCKED;
	case SP_EUSAGE:
		return SP_EXIT_USAGE;
	case SP_ECONFIG:
		return SP_EXIT_CONFIG;
	default:
		return SP_EXIT_FAIL;
	}
}

sp_store *sp_cmd_open_db(sp_env *env)
{
	sp_err err;
	sp_store *db = NULL;
	if (sp_store_open(env->cfg->database, &db, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return NULL;
	}
	return db;
}

sp_store *sp_cmd_open_db_locked(sp_env *env, const char *what, sp_lock **lock, int *code)
{
	sp_err err;
	*lock = NULL;
	if (sp_lock_take(env->cfg, what, lock, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		*code = sp_cmd_exit_code(err.code);
		return NULL;
	}
	sp_store *db = sp_cmd_open_db(env);
	if (!db) {
		sp_lock_release(*lock);
		*lock = NULL;
		*code = SP_EXIT_FAIL;
	}
	return db;
}

FILE *sp_cmd_open_out(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return stdout;
	FILE *f = fopen(path, "w");
	if (!f)
		sp_cmd_error("cannot write %s: %m", path);
	return f;
}
