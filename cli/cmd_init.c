/*
 * cmd_init.c — `sparker init`: create the database (schema migrated), raw store and report dir.
 */
#include "cli/cmd.h"

static int cmd_init(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_init_entry = {
	.name = "init",
	.fn = cmd_init,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "create the database and raw store of a configuration",
	.usage = "usage: sparker [-c CONFIG] init\n\n"
	         "Creates (or migrates) the database, the raw store and the report directory named in the\n"
	         "[sparker] section of CONFIG. Safe to run again.\n"
};

static int cmd_init(int argc, char **argv, sp_env *env)
{
	(void)argv;
	if (argc > 1) {
		sp_cmd_error("init: takes no arguments");
		return SP_EXIT_USAGE;
	}
	sp_err err;
	if (sp_mkdir_p(env->cfg->raw_dir, &err) != SP_OK || sp_mkdir_p(env->cfg->report_dir, &err) != SP_OK) {
		sp_cmd_error("init: %s", err.msg);
		return SP_EXIT_FAIL;
	}
	sp_store *db = sp_cmd_open_db(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_store_close(db);
	if (!env->quiet)
		printf("database %s (schema version %d)\nraw store %s\nreports %s\n", env->cfg->database,
		       sp_schema_version, env->cfg->raw_dir, env->cfg->report_dir);
	return SP_EXIT_OK;
}
