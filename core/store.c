/*
 * store.c — store.h: which backend a database names (sp_store_is_server), the SQLite backend
 * (connection, migrations, transactions, statements), and the dispatch of every call to the
 * PostgreSQL backend (store_pg.c) when the store is a server. The only file of the program that
 * includes sqlite3.h.
 */
#include "core/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/store_pg.h"

struct sp_store {
	sqlite3 *db;
	char *path;
	int in_tx;
	sp_pg *pg; /* a PostgreSQL server: db is NULL */
};

struct sp_stmt {
	sp_store *st;
	sqlite3_stmt *s;
	sp_pg_stmt *pg; /* on a server: s is NULL */
};

const char *sp_store_path(const sp_store *st)
{
	return st ? st->path : "?";
}

int sp_store_in_tx(const sp_store *st)
{
	return st && (st->pg ? sp_pg_in_tx(st->pg) : st->in_tx);
}

int sp_store_cheap_changes(const sp_store *st)
{
	return !st->pg;
}

int64_t sp_store_changes(sp_store *st)
{
	return st->pg ? sp_pg_changes(st->pg) : (int64_t)sqlite3_changes(st->db);
}

/* libpq's conninfo keywords that start a "key=value ..." database setting */
static const char *const conninfo_keys[] = {
	"host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service", "sslmode",
	"application_name", "connect_timeout", "options", "target_session_attrs", "sslrootcert", NULL,
};

int sp_store_is_server(const char *database)
{
	if (!database)
		return 0;
	if (!strncmp(database, "postgresql://", 13) || !strncmp(database, "postgres://", 11))
		return 1;
	size_t n = strspn(database, "abcdefghijklmnopqrstuvwxyz_");
	const char *eq = database + n + strspn(database + n, " \t");
	if (!n || *eq != '=')
		return 0;
	for (int i = 0; conninfo_keys[i]; i++)
		if (strlen(conninfo_keys[i]) == n && !strncmp(database, conninfo_keys[i], n))
			return 1;
	return 0;
}

int sp_store_has_password(const char *database)
{
	if (!sp_store_is_server(database))
		return 0;
	const char *s = strstr(database, "://");
	if (s) { /* URL: user:password@ before the host, or ?password= / &password= */
		s += 3;
		size_t auth = strcspn(s, "/?#");
		const char *at = memchr(s, '@', auth);
		if (at && memchr(s, ':', (size_t)(at - s)))
			return 1;
		const char *q = strchr(s, '?');
		for (const char *k = q; k; k = strchr(k + 1, '&'))
			if (!strncmp(k + 1, "password=", 9))
				return 1;
		return 0;
	}
	for (const char *k = database; (k = strstr(k, "password")); k++) /* conninfo: a password= key */
		if ((k == database || k[-1] == ' ' || k[-1] == '\t') && k[8 + strspn(k + 8, " \t")] == '=')
			return 1;
	return 0;
}

/* ---- statements ---------------------------------------------------------------------------- */

int sp_step(sp_stmt *s)
{
	return s->pg ? sp_pg_step(s->pg) : sqlite3_step(s->s);
}

void sp_reset(sp_stmt *s)
{
	if (s->pg)
		sp_pg_reset(s->pg);
	else
		sqlite3_reset(s->s);
}

void sp_finalize(sp_stmt *s)
{
	if (!s)
		return;
	if (s->pg)
		sp_pg_finalize(s->pg);
	else
		sqlite3_finalize(s->s);
	free(s);
}

int sp_stmt_params(sp_stmt *s)
{
	return s->pg ? sp_pg_params(s->pg) : sqlite3_bind_parameter_count(s->s);
}

/* On a server every parameter is bound as text (the server converts it to the column's type). */
static int pg_bindf(sp_stmt *s, int i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pg_bindf(sp_stmt *s, int i, const char *fmt, ...)
{
	char v[40];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	return sp_pg_bind(s->pg, i, v, -1);
}

int sp_bind_int(sp_stmt *s, int i, int v)
{
	return s->pg ? pg_bindf(s, i, "%d", v) : sqlite3_bind_int(s->s, i, v);
}

int sp_bind_int64(sp_stmt *s, int i, int64_t v)
{
	return s->pg ? pg_bindf(s, i, "%lld", (long long)v) : sqlite3_bind_int64(s->s, i, (sqlite3_int64)v);
}

int sp_bind_double(sp_stmt *s, int i, double v)
{
	return s->pg ? pg_bindf(s, i, "%.17g", v) : sqlite3_bind_double(s->s, i, v);
}

int sp_bind_null(sp_stmt *s, int i)
{
	return s->pg ? sp_pg_bind(s->pg, i, NULL, 0) : sqlite3_bind_null(s->s, i);
}

int sp_bind_textn(sp_stmt *s, int i, const char *v, int n)
{
	if (s->pg)
		return sp_pg_bind(s->pg, i, v, n);
	if (!v)
		return sqlite3_bind_null(s->s, i);
	return sqlite3_bind_text(s->s, i, v, n, SQLITE_TRANSIENT);
}

int sp_bind_static(sp_stmt *s, int i, const char *v, int n)
{
	if (s->pg)
		return sp_pg_bind(s->pg, i, v, n);
	if (!v)
		return sqlite3_bind_null(s->s, i);
	return sqlite3_bind_text(s->s, i, v, n, SQLITE_STATIC);
}

int sp_col_count(sp_stmt *s)
{
	return s->pg ? sp_pg_col_count(s->pg) : sqlite3_column_count(s->s);
}

int sp_col_null(sp_stmt *s, int i)
{
	return s->pg ? sp_pg_col_text(s->pg, i) == NULL : sqlite3_column_type(s->s, i) == SQLITE_NULL;
}

/* A server's column as a number: its text, a boolean's t/f as 1/0. */
static int64_t pg_col_int64(sp_stmt *s, int i)
{
	const char *v = sp_pg_col_text(s->pg, i);
	if (!v)
		return 0;
	if (*v == 't' || *v == 'f')
		return *v == 't';
	if (strpbrk(v, ".eE"))
		return (int64_t)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

int sp_col_int(sp_stmt *s, int i)
{
	return s->pg ? (int)pg_col_int64(s, i) : sqlite3_column_int(s->s, i);
}

int64_t sp_col_int64(sp_stmt *s, int i)
{
	return s->pg ? pg_col_int64(s, i) : (int64_t)sqlite3_column_int64(s->s, i);
}

double sp_col_double(sp_stmt *s, int i)
{
	if (s->pg) {
		const char *v = sp_pg_col_text(s->pg, i);
		return !v ? 0 : *v == 't' ? 1 : *v == 'f' ? 0 : strtod(v, NULL);
	}
	return sqlite3_column_double(s->s, i);
}

const char *sp_col_text(sp_stmt *s, int i)
{
	return s->pg ? sp_pg_col_text(s->pg, i) : (const char *)sqlite3_column_text(s->s, i);
}

int sp_col_kind(sp_stmt *s, int i)
{
	if (s->pg) {
		int n = sp_pg_col_numeric(s->pg, i);
		return !sp_pg_col_text(s->pg, i) ? SP_COL_NULL : n == 1 ? SP_COL_INT : n == 2 ? SP_COL_REAL : SP_COL_TEXT;
	}
	switch (sqlite3_column_type(s->s, i)) {
	case SQLITE_NULL: return SP_COL_NULL;
	case SQLITE_INTEGER: return SP_COL_INT;
	case SQLITE_FLOAT: return SP_COL_REAL;
	default: return SP_COL_TEXT;
	}
}

const char *sp_col_name(sp_stmt *s, int i)
{
	return s->pg ? sp_pg_col_name(s->pg, i) : sqlite3_column_name(s->s, i);
}

/* ---- connection ---------------------------------------------------------------------------- */

int sp_store_error(sp_store *st, sp_err *err, const char *what)
{
	return sp_err_set(err, SP_EDB, "database %s: %s: %s", st && st->path ? st->path : "?", what,
			  st && st->pg ? sp_pg_errmsg(st->pg) : st && st->db ? sqlite3_errmsg(st->db) : "not open");
}

int sp_store_exec(sp_store *st, const char *sql, sp_err *err)
{
	if (st->pg)
		return sp_pg_exec(st->pg, sql, err) == SP_OK ? SP_OK : sp_err_prefix(err, "database %s", st->path);
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
	if (st->pg) {
		sp_pg_stmt *ps;
		if (sp_pg_prepare(st->pg, sql, &ps, err) != SP_OK)
			return sp_err_prefix(err, "database %s", st->path);
		*out = sp_xcalloc(1, sizeof(**out));
		**out = (sp_stmt){ st, NULL, ps };
		return SP_OK;
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sp_err_set(err, SP_EDB, "database %s: %s (in: %.120s)", st->path, sqlite3_errmsg(st->db), sql);
		return SP_EDB;
	}
	*out = sp_xmalloc(sizeof(**out));
	**out = (sp_stmt){ st, s, NULL };
	return SP_OK;
}

int sp_bind_text(sp_stmt *s, int i, const char *v)
{
	if (s->pg)
		return sp_pg_bind(s->pg, i, v && *v ? v : NULL, -1);
	if (!v || !*v)
		return sqlite3_bind_null(s->s, i);
	return sqlite3_bind_text(s->s, i, v, -1, SQLITE_TRANSIENT);
}

int sp_store_step_done(sp_store *st, sp_stmt *s, sp_err *err)
{
	int rc = sp_step(s);
	sp_reset(s);
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
	if (st && st->pg)
		sp_pg_rollback(st->pg);
	if (st && st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (st)
		st->in_tx = 0;
}

int64_t sp_store_last_id(sp_store *st)
{
	return st->pg ? sp_pg_last_id(st->pg) : (int64_t)sqlite3_last_insert_rowid(st->db);
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

int sp_store_each_table(sp_store *st, int (*fn)(const char *table, void *arg), void *arg, sp_err *err)
{
	const char *sql = st->pg ? "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r'"
				   " AND c.relnamespace = CAST(to_regnamespace(current_schema()) AS oid)"
				   " AND c.relname <> 'sparker_schema' ORDER BY c.oid"
				 : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY rowid";
	sp_stmt *s;
	if (sp_store_prepare(st, sql, &s, err) != SP_OK)
		return SP_EDB;
	/* the names first: fn may use the connection */
	char **names = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sp_step(s)) == SP_ROW) {
		names = sp_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = sp_xstrdup(sp_col_text(s, 0));
	}
	rc = rc == SP_DONE ? SP_OK : sp_store_error(st, err, "tables");
	sp_finalize(s);
	for (size_t i = 0; i < n; i++) {
		if (rc == SP_OK)
			rc = fn(names[i], arg);
		free(names[i]);
	}
	free(names);
	return rc;
}

int sp_store_defer_keys(sp_store *st, sp_err *err)
{
	return sp_store_exec(st, st->pg ? "SET CONSTRAINTS ALL DEFERRED" : "PRAGMA defer_foreign_keys = ON", err);
}

int sp_store_sync_ids(sp_store *st, sp_err *err)
{
	if (!st->pg)
		return SP_OK;
	return sp_store_exec(st,
			     "DO $$ DECLARE t record; BEGIN FOR t IN SELECT table_name FROM information_schema.columns"
			     " WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES' LOOP"
			     " EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), GREATEST(1, (SELECT max(id) FROM %I)),"
			     " (SELECT max(id) FROM %I) IS NOT NULL)', t.table_name, t.table_name, t.table_name); END LOOP; END $$",
			     err);
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
	if (sp_store_is_server(path)) {
		sp_pg *pg;
		int rc = sp_pg_open(path, create, &pg, err);
		if (rc != SP_OK)
			return rc;
		sp_store *st = sp_xcalloc(1, sizeof(*st));
		st->path = sp_xstrdup(path);
		st->pg = pg;
		*out = st;
		return SP_OK;
	}
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

int sp_store_open_side(const char *path, sp_store **out, sp_err *err)
{
	*out = NULL;
	if (sp_store_is_server(path))
		return sp_err_set(err, SP_EUSAGE, "%s: a side file is a SQLite file, not a server", path);
	sp_store *st = sp_xcalloc(1, sizeof(*st));
	st->path = sp_xstrdup(path);
	mode_t old = umask(007);
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		sp_store_error(st, err, "open");
		sp_store_close(st);
		return SP_EDB;
	}
	sqlite3_busy_timeout(st->db, 10000);
	if (sp_store_exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err) != SP_OK) {
		sp_store_close(st);
		return SP_EDB;
	}
	*out = st;
	return SP_OK;
}

int sp_store_open_existing(const char *path, sp_store **out, sp_err *err)
{
	return store_open(path, 0, out, err);
}

int sp_store_open_if_exists(const char *path, sp_store **out, sp_err *err)
{
	int rc = store_open(path, 0, out, err);
	return rc == SP_ENOTFOUND ? SP_OK : rc;
}

void sp_store_close(sp_store *st)
{
	if (!st)
		return;
	if (st->db)
		sqlite3_close_v2(st->db);
	sp_pg_close(st->pg);
	free(st->path);
	free(st);
}
