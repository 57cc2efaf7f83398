/*
 * cmd.c — helpers shared by the command handlers: messages, exit codes, opening the database
 * (alone or under the run lock), output files, the analyst's name and entity arguments. Like
 * every file of cli/, it prints.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli/cmd.h"
#include "pipeline/entity.h"
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

static void no_database(const sp_env *env)
{
	sp_cmd_error("no database at %s (run `sparker init`)", env->cfg->database);
}

int sp_cmd_has_db(sp_env *env)
{
	if (access(env->cfg->database, F_OK) == 0)
		return 1;
	no_database(env);
	return 0;
}

sp_store *sp_cmd_open_db_existing(sp_env *env)
{
	sp_err err;
	sp_store *db = NULL;
	int rc = sp_store_open_existing(env->cfg->database, &db, &err);
	if (rc == SP_ENOTFOUND)
		no_database(env);
	else if (rc != SP_OK)
		sp_cmd_error("%s", err.msg);
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

const char *sp_cmd_user(const sp_env *env)
{
	const char *u = env->user;
	if (!u || !*u)
		u = getenv("SPARKER_USER");
	if (!u || !*u) {
		const struct passwd *pw = getpwuid(geteuid());
		u = pw ? pw->pw_name : NULL;
	}
	if (!u || !*u)
		u = getenv("USER");
	return u && *u ? u : "unknown";
}

int sp_cmd_resolve_entity(sp_store *db, const char *arg, int64_t *out, int quiet)
{
	sp_err err;
	int64_t asked = 0, live = 0;
	int rc = sp_entity_resolve(db, arg, &asked, &live, &err);
	if (rc != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return rc;
	}
	if (live != asked && !quiet)
		fprintf(stderr, "sparker: entity %lld was merged into %lld; using %lld\n", (long long)asked, (long long)live,
			(long long)live);
	*out = live;
	return SP_OK;
}
