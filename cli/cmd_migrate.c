/*
 * cmd_migrate.c — `sparker migrate --to DEST`: copy the config's database (SQLite or PostgreSQL)
 * into an empty one of the other kind (pipeline/migrate.h), holding the run lock meanwhile.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/lock.h"
#include "pipeline/migrate.h"

static int cmd_migrate(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_migrate_entry = {
	.name = "migrate",
	.fn = cmd_migrate,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "copy the database into an empty one (SQLite <-> PostgreSQL)",
	.usage = "usage: sparker [-c CONFIG] migrate --to postgresql://USER@HOST[:PORT]/DB | service=NAME | FILE.db\n\n"
	         "Copies every table of the configured database (runs, records, entities, judgements, the raw\n"
	         "store's references...) into DEST, which is created or migrated to the same schema and must\n"
	         "hold no rows. One transaction: on failure DEST keeps nothing. Holds the run lock. Then point\n"
	         "[sparker] database at DEST. The password comes from PGPASSWORD or ~/.pgpass.\n"
};

static int cmd_migrate(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = { { "to", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
	const char *to = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c != 't') {
			sp_cmd_usage(stderr, &sp_cmd_migrate_entry);
			return SP_EXIT_USAGE;
		}
		to = optarg;
	}
	if (!to || !*to || optind < argc) {
		sp_cmd_error("migrate: name the destination: --to postgresql://... or --to FILE.db");
		return SP_EXIT_USAGE;
	}
	if (!strncmp(to, "sqlite:", 7))
		to += 7;
	if (sp_store_has_password(to)) {
		sp_cmd_error("migrate: --to carries a password: give it in PGPASSWORD or ~/.pgpass");
		return SP_EXIT_USAGE;
	}
	if (!strcmp(to, env->cfg->database)) {
		sp_cmd_error("migrate: --to names the configured database itself");
		return SP_EXIT_USAGE;
	}
	if (!sp_cmd_has_db(env))
		return SP_EXIT_FAIL;
	sp_err err;
	sp_lock *lock = NULL;
	if (sp_lock_take(env->cfg, "migrate", &lock, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return sp_cmd_exit_code(err.code);
	}
	sp_migrate_counts n;
	int rc = sp_migrate(env->cfg->database, to, &n, &err);
	sp_lock_release(lock);
	if (rc != SP_OK) {
		sp_cmd_error("migrate: %s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	if (!env->quiet)
		printf("migrate: %lld rows in %d tables copied from %s to %s\n", (long long)n.rows, n.tables,
		       env->cfg->database, to);
	return SP_EXIT_OK;
}
