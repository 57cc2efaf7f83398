/*
 * store.c — the SQLite backend of store.h: connection, migrations, transactions, statements.
 * The only file of the program that includes sqlite3.h.
 */
#include "core/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sp_store {
	sqlite3 *db;
	char *path;
	int in_tx;
};

struct sp_stmt {
	sp_store *st;
	sqlite3_stmt *s;
};

const char *sp_store_path(const sp_store *st)
{
	return st ? st->path : "?";
}

int sp_store_in_tx(const sp_store *st)
{
	return st && st->in_tx;
}

int64_t sp_store_changes(sp_store *st)
{
	return (int64_t)sqlite3_changes(st->db);
}

/* ---- statements ---------------------------------------------------------------------------- */

int sp_step(sp_stmt *s)
{
	return sqlite3_step(s->s);
}

void sp_reset(sp_stmt *s)
{
	sqlite3_reset(s->s);
}

void sp_finalize(sp_stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->s);
	free(s);
}

int sp_stmt_params(sp_stmt *s)
{
	return sqlite3_bind_parameter_count(s->s);
}

int sp_bind_int(sp_stmt *s, int i, int v)
{
	return sqlite3_bind_int(s->s, i, v);
}

int sp_bind_int64(sp_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s->s, i, (sqlite3_int64)v);
}

int sp_bind_double(sp_stmt *s, int i, double v)
{
	return sqlite3_bind_double(s->s, i, v);
}

int sp_bind_null(sp_stmt *s, int i)
{
	return sqlite3_bind_null(s->s, i);
}

int sp_bind_textn(sp_stmt *s, int i, const char *v, int n)
{
	if (!v)
		return sqlite3_bind_null(s->s, i);
	return sqlite3_bind_text(s->s, i, v, n, SQLITE_TRANSIENT);
}

int sp_bind_static(sp_stmt *s, int i, const char *v, int n)
{
	if (!v)
		return sqlite3_bind_null(s->s, i);
	return sqlite3_bind_text(s->s, i, v, n, SQLITE_STATIC);
}

int sp_col_count(sp_stmt *s)
{
	return sqlite3_column_count(s->s);
}

int sp_col_null(sp_stmt *s, int i)
{
	return sqlite3_column_type(s->s, i) == SQLITE_NULL;
}

int sp_col_int(sp_stmt *s, int i)
{
	return sqlite3_column_int(s->s, i);
}

int64_t sp_col_int64(sp_stmt *s, int i)
{
	return (int64_t)sqlite3_column_int64(s->s, i);
}

double sp_col_double(sp_stmt *s, int i)
{
	return sqlite3_column_double(s->s, i);
}

const char *sp_col_text(sp_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s->s, i);
}

const char *sp_col_name(sp_stmt *s, int i)
{
	return sqlite3_column_name(s->s, i);
}

/* ---- connection ---------------------------------------------------------------------------- */

int sp_store_error(sp_store *st, sp_err *err, const char *what)
{
	return sp_err_set(err, SP_EDB, "database %s: %s: %s", st && st->path ? st->path : "?", what,
			  st && st->db ? sqlite3_errmsg(st->db) : "not open");
}

int sp_store_exec(sp_store *st, const char *sql, sp_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sp_err_set(err, SP_EDB, "database %s: %s (in: %.80s)", st->path, msg ? msg : "error", sql);
		sqlite3_free(msg);
		return SP_EDB;
	}
	return SP_OK;
}

int sp_store_prepare(sp_store *st, const char *sql, sp_stmt **out, sp_err *err)
{
	sqlite3_stmt *s = NULL;
	*out = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sp_err_set(err, SP_EDB, "database %s: %s (in: %.120s)", st->path, sqlite3_errmsg(st->db), sql);
		return SP_EDB;
	}
	*out = sp_xmalloc(sizeof(**out));
	**out = (sp_stmt){ st, s };
	return SP_OK;
}

int sp_bind_text(sp_stmt *s, int i, const char *v)
{
	if (!v || !*v)
		return sqlite3_bind_null(s->s, i);
	return sqlite3_bind_text(s->s, i, v, -1, SQLITE_TRANSIENT);
}

int sp_store_step_done(sp_store *st, sp_stmt *s, sp_err *err)
{
	int rc = sqlite3_step(s->s);
	sqlite3_reset(s->s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sp_store_error(st, err, "write");
	return SP_OK;
}

int sp_store_begin(sp_store *st, sp_err *err)
{
	if (sp_store_exec(st, "BEGIN IMMEDIATE", err) != SP_OK)
		return SP_EDB;
	st->in_tx = 1;
	return SP_OK;
}

int sp_store_commit(sp_store *st, sp_err *err)
{
	if (sp_store_exec(st, "COMMIT", err) != SP_OK)
		return SP_EDB;
	st->in_tx = 0;
	return SP_OK;
}

void sp_store_rollback(sp_store *st)
{
	if (st && st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (st)
		st->in_tx = 0;
}

int64_t sp_store_last_id(sp_store *st)
{
	return (int64_t)sqlite3_last_insert_rowid(st->db);
}

int sp_store_int(sp_store *st, const char *sql, int64_t *out, sp_err *err, ...)
{
	sp_stmt *s;
	if (sp_store_prepare(st, sql, &s, err) != SP_OK)
		return SP_EDB;
	va_list ap;
	va_start(ap, err);
	int n = sp_stmt_params(s);
	for (int i = 1; i <= n && i <= 3; i++)
		sp_bind_text(s, i, va_arg(ap, const char *));
	va_end(ap);
	int rc = sp_step(s);
	if (rc == SQLITE_ROW) {
		*out = sp_col_int64(s, 0);
		rc = SP_OK;
	} else if (rc == SQLITE_DONE) {
		*out = 0;
		rc = SP_ENOTFOUND;
		sp_err_set(err, SP_ENOTFOUND, "no row");
	} else {
		rc = sp_store_error(st, err, "query");
	}
	sp_finalize(s);
	return rc;
}

static int migrate(sp_store *st, sp_err *err)
{
	int64_t v = 0;
	sp_stmt *s;
	if (sp_store_prepare(st, "PRAGMA user_version", &s, err) != SP_OK)
		return SP_EDB;
	if (sp_step(s) == SQLITE_ROW)
		v = sp_col_int64(s, 0);
	sp_finalize(s);
	if (v > sp_schema_version)
		return sp_err_set(err, SP_EDB, "database %s has schema version %lld, newer than this sparker (%d): upgrade sparker",
				  st->path, (long long)v, sp_schema_version);
	for (; v < sp_schema_version; v++) {
		if (sp_store_begin(st, err) != SP_OK)
			return SP_EDB;
		if (sp_store_exec(st, sp_schema_migrations[v], err) != SP_OK) {
			sp_store_rollback(st);
			return sp_err_prefix(err, "migration to schema version %lld", (long long)v + 1);
		}
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %lld", (long long)v + 1);
		if (sp_store_exec(st, pragma, err) != SP_OK || sp_store_commit(st, err) != SP_OK) {
			sp_store_rollback(st);
			return SP_EDB;
		}
	}
	return SP_OK;
}

static int store_open(const char *path, int create, sp_store **out, sp_err *err)
{
	*out = NULL;
	struct stat sb;
	if (!create && stat(path, &sb) != 0)
		return sp_err_set(err, SP_ENOTFOUND, "no database at %s", path);
	const char *slash = strrchr(path, '/');
	if (create && slash && slash != path) {
		char *dir = sp_xstrndup(path, (size_t)(slash - path));
		int rc = sp_mkdir_p(dir, err);
		free(dir);
		if (rc != SP_OK)
			return rc;
	}
	sp_store *st = sp_xcalloc(1, sizeof(*st));
	st->path = sp_xstrdup(path);
	/* the database holds analysts' judgements: owner and group only */
	mode_t old = umask(007);
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		sp_store_error(st, err, "open");
		sp_store_close(st);
		return SP_EDB;
	}
	sqlite3_busy_timeout(st->db, 10000);
	if (sp_store_exec(st, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", err) != SP_OK ||
	    migrate(st, err) != SP_OK) {
		sp_store_close(st);
		return SP_EDB;
	}
	*out = st;
	return SP_OK;
}

int sp_store_open(const char *path, sp_store **out, sp_err *err)
{
	return store_open(path, 1, out, err);
}

int sp_store_open_existing(const char *path, sp_store **out, sp_err *err)
{
	return store_open(path, 0, out, err);
}

void sp_store_close(sp_store *st)
{
	if (!st)
		return;
	if (st->db)
		sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}
