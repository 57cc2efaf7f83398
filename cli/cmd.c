/*
 * cmd.c — helpers shared by the command handlers: messages, exit codes, the SIGINT/SIGTERM
 * handlers of a run, opening the database (alone or under the run lock), output files, the
 * analyst's name and hub, and entity arguments. Like every file of cli/, it prints.
 */
#include <csv.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli/cmd.h"
#include "core/stop.h"
#include "pipeline/entity.h"
#include "pipeline/hub.h"
#include "pipeline/inbox.h"
#include "pipeline/run.h"

/* ---- SIGINT/SIGTERM under a run ------------------------------------------------------------- */

static volatile sig_atomic_t stop_to_tty; /* stderr is a terminal: erase the progress line first */

/* Async-signal-safe: a flag, one write(2), or _exit on the second signal. */
static void on_stop_signal(int sig)
{
	if (sp_stop_requested())
		_exit(128 + sig);
	sp_stop_request(sig);
	static const char msg[] = "\r\033[Ksparker: stopping after the current batch (a second signal stops at once)\n";
	size_t skip = stop_to_tty ? 0 : 4; /* "\r\033[K" */
	ssize_t w = write(STDERR_FILENO, msg + skip, sizeof(msg) - 1 - skip);
	(void)w;
}

void sp_cmd_catch_stop(void)
{
	sp_stop_reset();
	stop_to_tty = isatty(STDERR_FILENO);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int sp_cmd_stop_exit(void)
{
	int sig = sp_stop_requested();
	return sig ? 128 + sig : SP_EXIT_FAIL;
}

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
	case SP_EINTERRUPTED:
		return sp_cmd_stop_exit();
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
	if (sp_store_is_server(env->cfg->database) || access(env->cfg->database, F_OK) == 0)
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
	if (sp_lock_take_analyst(env->cfg, what, lock, &err) != SP_OK) {
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

static int analyst_open(sp_env *env, const char *what, sp_cmd_analyst *a)
{
	memset(a, 0, sizeof(*a));
	sp_err err;
	int rc = sp_lock_take_analyst(env->cfg, what, &a->lock, &err);
	if (rc == SP_ELOCKED) { /* a run (or another analyst's write): read the database, write the inbox */
		const char *h = strchr(err.msg, '(');
		snprintf(a->holder, sizeof(a->holder), "%s", h ? h + 1 : err.msg);
		size_t n = strlen(a->holder);
		if (h && n && a->holder[n - 1] == ')')
			a->holder[n - 1] = '\0';
		if ((a->db = sp_cmd_open_db(env)) == NULL)
			return SP_EXIT_FAIL;
		if ((rc = sp_inbox_open(env->cfg->database, &a->inbox, &err)) != SP_OK) {
			sp_cmd_error("%s", err.msg);
			return SP_EXIT_FAIL;
		}
		return SP_EXIT_OK;
	}
	if (rc != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	if ((a->db = sp_cmd_open_db(env)) == NULL)
		return SP_EXIT_FAIL;
	sp_inbox_drained d;
	if (a->lock && sp_inbox_drain(env->cfg->database, a->db, &d, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EXIT_FAIL;
	}
	if (a->lock && d.failed)
		sp_cmd_error("%d judgement%s of the inbox refused now (see `sparker judgements list`)", d.failed,
			     d.failed == 1 ? "" : "s");
	return SP_EXIT_OK;
}

int sp_cmd_analyst_open(sp_env *env, const char *what, sp_cmd_analyst *a)
{
	int code = analyst_open(env, what, a);
	if (code != SP_EXIT_OK)
		sp_cmd_analyst_close(a); /* nothing left open on failure: the caller just returns code */
	return code;
}

void sp_cmd_analyst_close(sp_cmd_analyst *a)
{
	sp_inbox_close(a->inbox);
	sp_store_close(a->db);
	sp_lock_release(a->lock);
	a->inbox = NULL, a->db = NULL, a->lock = NULL;
}

/* Who holds the lock, in words: "a run is in progress" or "another analyst is writing". */
static const char *held_by(const sp_cmd_analyst *a)
{
	int analyst = strstr(a->holder, "(an analyst's write)") != NULL; /* core/lock.c's mark */
	return analyst ? "another analyst is writing" : "a run is in progress";
}

int sp_cmd_analyst_pending(const sp_env *env, const sp_cmd_analyst *a, int64_t pending)
{
	if (!pending)
		return 0;
	fprintf(stderr, "sparker: recorded (pending %lld); %s (%s): the next run applies it\n", (long long)pending,
		held_by(a), a->holder);
	return 1;
}

int sp_cmd_import_begin(sp_cmd_analyst *a, sp_err *err)
{
	return a->inbox ? sp_inbox_begin(a->inbox, err) : sp_store_begin(a->db, err);
}

int sp_cmd_import_end(sp_cmd_analyst *a, int ok, sp_err *err)
{
	int rc = SP_OK;
	if (ok)
		rc = a->inbox ? sp_inbox_commit(a->inbox, err) : sp_store_commit(a->db, err);
	if (!ok || rc != SP_OK) {
		sp_inbox_rollback(a->inbox);
		sp_store_rollback(a->db);
	}
	return rc;
}

void sp_cmd_import_queued(const sp_cmd_analyst *a, const char *file, int n, int bad)
{
	if (bad)
		fprintf(stderr, "%s: nothing queued, %d bad line%s; %s (%s): correct the file and import it again\n", file, bad,
			bad == 1 ? "" : "s", held_by(a), a->holder);
	else
		fprintf(stderr, "%s: %d judgement%s queued; %s (%s): the next run applies them\n", file, n, n == 1 ? "" : "s",
			held_by(a), a->holder);
}

const char *sp_cmd_csv_feed(FILE *f, int opts, void (*on_field)(void *, size_t, void *), void (*on_row)(int, void *),
			    void *data, long *line, const int *stop)
{
	struct csv_parser p;
	const char *why = NULL;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	csv_init(&p, (unsigned char)opts);
	while (!why && !*stop && (len = getline(&buf, &cap, f)) > 0) {
		(*line)++;
		if (csv_parse(&p, buf, (size_t)len, on_field, on_row, data) != (size_t)len)
			why = csv_strerror(csv_error(&p));
	}
	free(buf);
	if (!why && !*stop)
		csv_fini(&p, on_field, on_row, data);
	csv_free(&p);
	return why;
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

/* The hub name asked for and where it came from (NULL: none). */
static const char *hub_asked(const sp_env *env, const char **from)
{
	*from = "--hub";
	if (env->hub && *env->hub)
		return env->hub;
	const char *h = getenv("SPARKER_HUB");
	*from = "SPARKER_HUB";
	return h && *h ? h : NULL;
}

const char *sp_cmd_hub(const sp_env *env)
{
	const char *from, *h = hub_asked(env, &from);
	if (!env->cfg)
		return NULL;
	return h ? sp_hub_find(env->cfg, h) : sp_hub_default(env->cfg);
}

int sp_cmd_hub_check(const sp_env *env)
{
	const char *from, *h = hub_asked(env, &from);
	if (!h || !env->cfg || sp_hub_find(env->cfg, h))
		return SP_OK;
	sp_buf names = SP_BUF_INIT;
	int it = 0;
	const char *n;
	while ((n = sp_hub_next(env->cfg, &it)))
		sp_buf_addf(&names, "%s%s", names.len ? " " : "", n);
	sp_cmd_error("%s %s: %s has no [hub %s] section (%s%s)", from, h, env->cfg->path, h,
		     names.len ? "hubs: " : "no hub is configured", sp_buf_str(&names));
	sp_buf_release(&names);
	return SP_EUSAGE;
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
