/*
 * cmd_init.c — `sparker init`: create the database (schema migrated), raw store and report dir,
 * and the directory of the log file when the config names one.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"

static int cmd_init(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_init_entry = {
	.name = "init",
	.fn = cmd_init,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "create the database and raw store of a configuration",
	.usage = "usage: sparker [-c CONFIG] init\n\n"
	         "Creates (or migrates) the database, the raw store and the report directory named in the\n"
	         "[sparker] section of CONFIG, and the directory of its log_file. Safe to run again.\n"
};

static int cmd_init(int argc, char **argv, sp_env *env)
{
	(void)argv;
	if (argc > 1) {
		sp_cmd_error("init: takes no arguments");
		return SP_EXIT_USAGE;
	}
	sp_err err;
	char *log_dir = NULL;
	const char *slash = env->cfg->log_file ? strrchr(env->cfg->log_file, '/') : NULL;
	if (slash && slash != env->cfg->log_file)
		log_dir = sp_xstrndup(env->cfg->log_file, (size_t)(slash - env->cfg->log_file));
	int rc = sp_mkdir_p(env->cfg->raw_dir, &err);
	if (rc == SP_OK)
		rc = sp_mkdir_p(env->cfg->report_dir, &err);
	if (rc == SP_OK && log_dir)
		rc = sp_mkdir_p(log_dir, &err);
	free(log_dir);
	if (rc != SP_OK) {
		sp_cmd_error("init: %s", err.msg);
		return SP_EXIT_FAIL;
	}
	sp_store *db = sp_cmd_open_db(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_store_close(db);
	if (!env->quiet)
		printf("database %s (schema version %d)\nraw store %s\nreports %s\n%s%s%s", env->cfg->database,
		       sp_schema_version, env->cfg->raw_dir, env->cfg->report_dir, env->cfg->log_file ? "log " : "",
		       env->cfg->log_file ? env->cfg->log_file : "", env->cfg->log_file ? "\n" : "");
	return SP_EXIT_OK;
}
