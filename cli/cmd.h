/*
 * cmd.h — the command table's types and the handlers (one cmd_*.c file per group).
 *
 * A handler gets argv with argv[0] = the command name and returns a process exit code (SP_EXIT_*).
 * Handlers are the only code besides main that print to the user or decide exit codes.
 * main has already handled `COMMAND --help` (from the table) and loaded the config when the
 * command's flags ask for it.
 */
#ifndef SP_CMD_H
#define SP_CMD_H

#include <stdio.h>

#include "core/common.h"
#include "core/config.h"
#include "core/store.h"

enum {
	SP_CMD_NEEDS_CONFIG = 1 << 0, /* main loads -c CONFIG (default ./sparker.ini) into env->cfg */
};

typedef struct sp_env {
	const char *config_path;
	sp_config *cfg;
	int verbose;
	int quiet;
	FILE *log; /* where stage lines go: stderr or the config's log_file */
} sp_env;

typedef int (*sp_cmd_fn)(int argc, char **argv, sp_env *env);

typedef struct sp_cmd {
	const char *name;
	sp_cmd_fn fn;
	unsigned flags;
	const char *summary; /* one line, for `sparker help` */
	const char *usage;   /* full text for `sparker COMMAND --help` */
} sp_cmd;

extern const sp_cmd sp_commands[];
const sp_cmd *sp_cmd_find(const char *name);
void sp_cmd_usage(FILE *to, const sp_cmd *c);

/* Helpers for handlers. */
/* Open the config's database (creating/migrating it); prints the error and returns NULL on failure. */
sp_store *sp_cmd_open_db(sp_env *env);
/*
 * For commands that write analysts' tables: take the run lock (so they never interleave with a
 * run), then open the database. Returns NULL after printing the error, with *code the exit code
 * (75 when a run holds the lock). Release with sp_lock_release(*lock) after sp_store_close().
 */
struct sp_lock;
sp_store *sp_cmd_open_db_locked(sp_env *env, const char *what, struct sp_lock **lock, int *code);
/* Print "sparker: MSG" to stderr. */
void sp_cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Map a library return code to an exit code. */
int sp_cmd_exit_code(int rc);
/* Open -o FILE for writing (or stdout when path is NULL or "-"). */
FILE *sp_cmd_open_out(const char *path);
/*
 * An entity id or SOURCE:KEY record reference -> the live entity id (merges followed by
 * sp_entity_live; unless quiet, says on stderr when the id was merged). Prints the error and
 * returns < 0 (SP_EUSAGE for an argument that is neither) or SP_OK. cmd_select.c.
 */
int sp_cmd_resolve_entity(sp_store *db, const char *arg, int64_t *out, int quiet);

/* Handlers. */
int sp_cmd_help(int argc, char **argv, sp_env *env);     /* sparker.c */
int sp_cmd_version(int argc, char **argv, sp_env *env);  /* sparker.c */
int sp_cmd_init(int argc, char **argv, sp_env *env);     /* cmd_init.c */
int sp_cmd_run(int argc, char **argv, sp_env *env);      /* cmd_run.c */
int sp_cmd_status(int argc, char **argv, sp_env *env);   /* cmd_status.c */
int sp_cmd_runs(int argc, char **argv, sp_env *env);     /* cmd_status.c */
int sp_cmd_export(int argc, char **argv, sp_env *env);   /* cmd_export.c */
int sp_cmd_report(int argc, char **argv, sp_env *env);   /* cmd_report.c */
int sp_cmd_show(int argc, char **argv, sp_env *env);     /* cmd_entity.c */
int sp_cmd_link(int argc, char **argv, sp_env *env);     /* cmd_entity.c */
int sp_cmd_unlink(int argc, char **argv, sp_env *env);   /* cmd_entity.c */
int sp_cmd_explain(int argc, char **argv, sp_env *env);  /* cmd_select.c */
int sp_cmd_pin(int argc, char **argv, sp_env *env);      /* cmd_select.c */
int sp_cmd_diff_selection(int argc, char **argv, sp_env *env); /* cmd_select.c */
int sp_cmd_decide(int argc, char **argv, sp_env *env);   /* cmd_decide.c */
int sp_cmd_decisions(int argc, char **argv, sp_env *env); /* cmd_decide.c */
int sp_cmd_schedule(int argc, char **argv, sp_env *env); /* cmd_schedule.c */

#endif
