/*
 * cmd.h — what a command is, the entries of every command, and the helpers handlers share.
 *
 * A handler gets argv with argv[0] = the command name and returns a process exit code (SP_EXIT_*).
 * cli/ is the only layer that prints to the user or decides exit codes; the layers below return
 * an SP_E* code and one message in an sp_err, which the handler prints (sp_cmd_error) and maps
 * (sp_cmd_exit_code). main has already handled `COMMAND --help` (from the entry) and loaded the
 * config when the entry's flags ask for it; after the handler it checks that everything written
 * to stdout reached it (a full disk or closed pipe is an error, exit 1).
 */
#ifndef SP_CMD_H
#define SP_CMD_H

#include <stdio.h>

#include "core/common.h"
#include "core/config.h"
#include "core/lock.h"
#include "core/store.h"

enum {
	SP_CMD_NEEDS_CONFIG = 1 << 0, /* main loads -c CONFIG (default ./sparker.ini) into env->cfg */
	SP_CMD_LOGS = 1 << 1,         /* main opens the config's log_file into env->log */
};

typedef struct sp_env {
	const char *config_path;
	sp_config *cfg;
	int verbose;
	int quiet;
	const char *user; /* --user NAME; see sp_cmd_user */
	const char *hub;  /* --hub NAME; see sp_cmd_hub */
	FILE *log; /* where stage lines go: stderr or the config's log_file */
} sp_env;

typedef int (*sp_cmd_fn)(int argc, char **argv, sp_env *env);

/*
 * A command: one entry, defined beside its handler in cli/cmd_<name>.c (tmux's cmd_entry), listed
 * in the table of cli/main.c. `sparker help` and `sparker COMMAND --help` print from it.
 *
 * To add a command: write cli/cmd_<name>.c with a static handler and its `sp_cmd_<name>_entry`
 * (name, handler, flags, one-line summary, usage text with every option), declare the entry
 * below, add it to the table in main.c, document it in docs/sparker.1 and the README's table.
 */
typedef struct sp_cmd {
	const char *name;
	sp_cmd_fn fn;
	unsigned flags;
	const char *summary; /* one line, for `sparker help` */
	const char *usage;   /* full text for `sparker COMMAND --help` */
} sp_cmd;

extern const sp_cmd sp_cmd_help_entry;
extern const sp_cmd sp_cmd_version_entry;
extern const sp_cmd sp_cmd_init_entry;
extern const sp_cmd sp_cmd_check_entry;
extern const sp_cmd sp_cmd_migrate_entry;
extern const sp_cmd sp_cmd_taxonomy_entry;
extern const sp_cmd sp_cmd_score_entry;
extern const sp_cmd sp_cmd_run_entry;
extern const sp_cmd sp_cmd_status_entry;
extern const sp_cmd sp_cmd_runs_entry;
extern const sp_cmd sp_cmd_accept_entry;
extern const sp_cmd sp_cmd_report_entry;
extern const sp_cmd sp_cmd_export_entry;
extern const sp_cmd sp_cmd_show_entry;
extern const sp_cmd sp_cmd_link_entry;
extern const sp_cmd sp_cmd_unlink_entry;
extern const sp_cmd sp_cmd_explain_entry;
extern const sp_cmd sp_cmd_pin_entry;
extern const sp_cmd sp_cmd_diff_selection_entry;
extern const sp_cmd sp_cmd_decide_entry;
extern const sp_cmd sp_cmd_decisions_entry;
extern const sp_cmd sp_cmd_schedule_entry;
extern const sp_cmd sp_cmd_judgements_entry;
extern const sp_cmd sp_cmd_note_entry;
extern const sp_cmd sp_cmd_review_entry;
extern const sp_cmd sp_cmd_audit_entry;

/* The entry named name, or NULL. */
const sp_cmd *sp_cmd_find(const char *name);
void sp_cmd_usage(FILE *to, const sp_cmd *c);

/* Helpers for handlers. */
/* Open the config's database (creating/migrating it); prints the error and returns NULL on failure. */
sp_store *sp_cmd_open_db(sp_env *env);
/* For the commands that only read: open the database only when it exists; else print "no
 * database at X (run `sparker init`)" and return NULL, having created nothing. */
sp_store *sp_cmd_open_db_existing(sp_env *env);
/* 1 when the config's database exists; else prints the same message and returns 0. */
int sp_cmd_has_db(sp_env *env);
/*
 * For the bulk writer of an analysts' table that is no judgement (audit sample): take the
 * analysts' lock (core/lock.h: the run lock on SQLite, so it never interleaves with a run;
 * nothing on PostgreSQL), then open the database. (Judgements, one or imported, go through
 * sp_cmd_analyst_open instead and never wait.) Returns NULL after printing the error, with *code
 * the exit code (75 when a run holds the lock). Release with sp_lock_release(*lock) after
 * sp_store_close().
 */
sp_store *sp_cmd_open_db_locked(sp_env *env, const char *what, sp_lock **lock, int *code);
/*
 * For the commands that record judgements (link, unlink, pin, decide, note, judgements remove,
 * review, audit label, and the imports below): never wait for a run. On SQLite, when the run lock is free, take it
 * (core/lock.h: an analyst's brief write), open the database and apply the inbox first
 * (pipeline/inbox.h: so the order of judgements is kept): a->inbox is NULL and judgements are
 * written directly. When another process holds it, open the database to read and the inbox
 * (a->inbox set, a->holder the holder's line): sp_inbox_record() then records into the inbox.
 * On PostgreSQL: no lock, no inbox. Returns SP_EXIT_OK, or the exit code after printing the
 * error, with nothing left open. Close with sp_cmd_analyst_close (releases everything; safe twice).
 */
typedef struct sp_cmd_analyst {
	sp_store *db;
	sp_lock *lock;
	struct sp_inbox *inbox;
	char holder[SP_ERR_MAX]; /* when inbox: who holds the lock, as the lock's refusal said it */
} sp_cmd_analyst;
int sp_cmd_analyst_open(sp_env *env, const char *what, sp_cmd_analyst *a);
void sp_cmd_analyst_close(sp_cmd_analyst *a);
/* After a judgement was recorded with id 0 and pending > 0 (into the inbox): say so on stderr,
 * one line, and return 1; else 0 (the caller prints what it stored). */
int sp_cmd_analyst_pending(const sp_env *env, const sp_cmd_analyst *a, int64_t pending);
/*
 * The bulk importers (decisions import, judgements import, audit import) open analyst access
 * too: with the lock, their rows are written in one transaction of the database, as always;
 * during a run (a->inbox), every row is checked against a read of the database as always and
 * queued in ONE transaction of the inbox (pipeline/inbox.h: a batch, applied together by the next
 * run). A file with a bad row queues nothing. sp_cmd_import_end commits when ok, else rolls back
 * (returns the commit's error). sp_cmd_import_queued says on stderr what was queued (n), or that
 * nothing was (bad lines).
 */
int sp_cmd_import_begin(sp_cmd_analyst *a, sp_err *err);
int sp_cmd_import_end(sp_cmd_analyst *a, int ok, sp_err *err);
void sp_cmd_import_queued(const sp_cmd_analyst *a, const char *file, int n, int bad);
/* Print "sparker: MSG" to stderr. */
void sp_cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Map a library return code to an exit code. */
int sp_cmd_exit_code(int rc);
/*
 * For commands that run stages (run, report): catch SIGINT and SIGTERM. The first one prints
 * "stopping after the current batch" at once and sets the stop request (core/stop.h) that the
 * stages look at; a second one exits at once (128 + the signal). sp_cmd_stop_exit(): the exit
 * code of a run that stopped on a request, 130 (SIGINT) or 143 (SIGTERM).
 */
void sp_cmd_catch_stop(void);
int sp_cmd_stop_exit(void);
/*
 * The importers' CSV reading: f through libcsv (opts: CSV_APPEND_NULL...) into on_field/on_row
 * with data, a line at a time, *line counting the lines read; stops early once *stop is set.
 * Returns NULL, or libcsv's reason for the line it could not read (*line: that line).
 */
const char *sp_cmd_csv_feed(FILE *f, int opts, void (*on_field)(void *, size_t, void *), void (*on_row)(int, void *),
			    void *data, long *line, const int *stop);
/* Open -o FILE for writing (or stdout when path is NULL or "-"). */
FILE *sp_cmd_open_out(const char *path);
/*
 * An entity id or SOURCE:KEY record reference -> the live entity id (sp_entity_resolve; unless
 * quiet, says on stderr when the id was merged and which id is used). Prints the error and
 * returns < 0 (SP_EUSAGE for an argument that is neither form) or SP_OK.
 */
int sp_cmd_resolve_entity(sp_store *db, const char *arg, int64_t *out, int quiet);
/* Print the judgements in force placed on a live entity ("judgements:" and one line each, with
 * "needs review" where its records are split). Prints the error and returns SP_EDB on failure.
 * cmd_judgements.c. */
int sp_cmd_judgements_on(sp_store *db, int64_t entity);
/* Print the news mentions of a live entity, a line per year after lead (cmd_entity.c: show, explain). */
int sp_cmd_mentions_on(sp_store *db, int64_t entity, const char *lead);
/* Who records a judgement: --user, else $SPARKER_USER, else the login name, else "unknown". */
const char *sp_cmd_user(const sp_env *env);
/* From where (pipeline/hub.h): --hub, else $SPARKER_HUB, else [sparker] hub; the configured
 * spelling of that [hub NAME], or NULL when none is named. main calls sp_cmd_hub_check once the
 * config is loaded: a name that is no configured hub is an error printed there (exit 2), so
 * sp_cmd_hub never returns one. */
const char *sp_cmd_hub(const sp_env *env);
int sp_cmd_hub_check(const sp_env *env);

#endif
