/*
 * store.h — the database: connection, schema migrations, transactions and statements, the one
 * interface every stage and command talks to.
 *
 * What it does: opens the database (the embedded SQLite file: WAL, foreign keys on, busy
 * timeout; or a PostgreSQL server, store_pg.h, when the database setting is a postgresql:// or
 * postgres:// URL or a libpq conninfo string such as "service=NAME"), brings the schema to the current version (schema.c holds the migrations, one array
 * entry per version, applied in one transaction each), and wraps transactions and prepared
 * statements (sp_stmt: prepare, bind, step, read columns, finalize). No stage or command
 * includes sqlite3.h: they name operations here, so a second backend (PostgreSQL, issue 18)
 * replaces the inside of this module, not its callers.
 *
 * SQL: callers write the SQL they run in the common subset of SQLite and PostgreSQL as far as
 * they can (placeholders ?N or ?, ON CONFLICT upserts, window functions, COALESCE, CASE) and
 * bind every value (never formatted into the text). store_pg_sql.c translates the rest (see
 * store_pg.h: INSERT OR IGNORE, group_concat, ifnull, LIKE, a IS b, ...). What it cannot, the
 * caller writes portably: ON CONFLICT(key) DO UPDATE, not INSERT OR REPLACE; "x = 1", not an
 * integer as a condition ("WHERE p.carries"); sum(CASE WHEN c THEN 1 ELSE 0 END), not sum(c);
 * no select-list alias in WHERE; the same type on both sides of COALESCE/CASE/= (CAST(n AS
 * TEXT) to mix); a parameter's first use gives its type ("x = ?1 OR ?1 IS NULL", and
 * CAST(?1 AS TEXT) where it is also compared with text); no date functions but julianday();
 * CAST(trunc(x) AS INTEGER) for a real x (PostgreSQL rounds, SQLite truncates).
 *
 * Statements: sp_step() returns SP_ROW (a row is there to read), SP_DONE, or another value on
 * failure (sp_store_error() then gives the message); after SP_DONE or sp_reset() a statement
 * may be bound and stepped again. Column and parameter indexes are as in SQLite: parameters
 * from 1, columns from 0. sp_col_text() is NULL for SQL NULL and lives until the next step,
 * reset or finalize.
 *
 * Text binding: sp_bind_text() binds NULL for a NULL or empty string (a record field that is
 * absent); sp_bind_textn() binds exactly n bytes (n < 0: up to the NUL), copying them;
 * sp_bind_static() binds them without a copy: the caller keeps them unchanged until the
 * statement is stepped (the parse stage's hot path).
 *
 * Ownership: sp_store owns its connection; sp_store_close(NULL) is a no-op. Statements from
 * sp_store_prepare() belong to the caller (sp_finalize(NULL) is a no-op).
 *
 * Failure: every function returning int returns SP_OK or SP_EDB with the database's message and
 * the SQL in err.
 */
#ifndef SP_STORE_H
#define SP_STORE_H

#include <stdint.h>

#include "core/common.h"

typedef struct sp_store sp_store;
typedef struct sp_stmt sp_stmt;

enum { SP_ROW = 100, SP_DONE = 101 }; /* sp_step's results (SQLite's numbers) */

extern const char *const sp_schema_migrations[]; /* schema.c; index i brings version i to i+1 */
extern const int sp_schema_version;              /* number of migrations */

/* database names a PostgreSQL server (a URL or a conninfo string), not a SQLite file. */
int sp_store_is_server(const char *database);
/* A server's database setting carries a password (refused in the config: PGPASSWORD, ~/.pgpass). */
int sp_store_has_password(const char *database);

/* Open (creating the file and its directory, and migrating the schema) the database at path. */
int sp_store_open(const char *path, sp_store **out, sp_err *err);
/* Open the database at path only when it exists (migrating it): SP_ENOTFOUND "no database at
 * PATH" otherwise, and nothing is created (for the commands that only read). */
int sp_store_open_existing(const char *path, sp_store **out, sp_err *err);
/* Open (creating) a SQLite file of the caller's own beside the database (pipeline/inbox.h): WAL,
 * synchronous FULL, the same busy timeout, none of the database's migrations (the caller makes
 * its tables). SP_EUSAGE for a server's setting. */
int sp_store_open_side(const char *path, sp_store **out, sp_err *err);
/* A dry run's open: the database at path (migrated) when it exists, else *out = NULL and SP_OK;
 * nothing created, a file or a server's schema alike. */
int sp_store_open_if_exists(const char *path, sp_store **out, sp_err *err);
void sp_store_close(sp_store *st);
/* Where the database is, for messages (the file's path). */
const char *sp_store_path(const sp_store *st);

int sp_store_exec(sp_store *st, const char *sql, sp_err *err);
int sp_store_prepare(sp_store *st, const char *sql, sp_stmt **out, sp_err *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. rollback is safe to call when no transaction is open. */
int sp_store_begin(sp_store *st, sp_err *err);
int sp_store_commit(sp_store *st, sp_err *err);
void sp_store_rollback(sp_store *st);
/* 1 inside a transaction begun with sp_store_begin. */
int sp_store_in_tx(const sp_store *st);

/* Run a one-row query with up to 3 text parameters (NULL = SQL NULL); store integer column 0. */
int sp_store_int(sp_store *st, const char *sql, int64_t *out, sp_err *err, ...);
int64_t sp_store_last_id(sp_store *st);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t sp_store_changes(sp_store *st);
/* 1 when sp_store_changes() right after each write costs nothing (SQLite); 0 on a server, whose
 * writes in a transaction are batched and must be waited for (store_pg.h). */
int sp_store_cheap_changes(const sp_store *st);

/* Step a statement that returns no rows; resets it. */
int sp_store_step_done(sp_store *st, sp_stmt *s, sp_err *err);
/* Fill err from the connection's last error, with context. */
int sp_store_error(sp_store *st, sp_err *err, const char *what);

/* For `sparker migrate` (pipeline/migrate.h): the schema's tables (not views; not PostgreSQL's
 * sparker_schema), in creation order, each given to fn (stops at its first non-SP_OK); foreign
 * keys checked at commit in the transaction open (SQLite: defer_foreign_keys; PostgreSQL: SET
 * CONSTRAINTS ALL DEFERRED, the keys being DEFERRABLE); after rows were copied with their ids,
 * the next id assigned follows the largest (PostgreSQL's identity sequences; SQLite needs
 * nothing). */
int sp_store_each_table(sp_store *st, int (*fn)(const char *table, void *arg), void *arg, sp_err *err);
int sp_store_defer_keys(sp_store *st, sp_err *err);
int sp_store_sync_ids(sp_store *st, sp_err *err);

/* Statements (see above). */
int sp_step(sp_stmt *s);
void sp_reset(sp_stmt *s);
void sp_finalize(sp_stmt *s);
int sp_stmt_params(sp_stmt *s); /* how many parameters the SQL has */

int sp_bind_int(sp_stmt *s, int i, int v);
int sp_bind_int64(sp_stmt *s, int i, int64_t v);
int sp_bind_double(sp_stmt *s, int i, double v);
int sp_bind_null(sp_stmt *s, int i);
int sp_bind_text(sp_stmt *s, int i, const char *v);
int sp_bind_textn(sp_stmt *s, int i, const char *v, int n);
int sp_bind_static(sp_stmt *s, int i, const char *v, int n);

int sp_col_count(sp_stmt *s);
int sp_col_null(sp_stmt *s, int i);
int sp_col_int(sp_stmt *s, int i);
int64_t sp_col_int64(sp_stmt *s, int i);
double sp_col_double(sp_stmt *s, int i);
const char *sp_col_text(sp_stmt *s, int i);
const char *sp_col_name(sp_stmt *s, int i);
/* What column i of the row holds: SP_COL_NULL, _INT, _REAL or _TEXT (a copy binds it so). */
enum { SP_COL_NULL, SP_COL_INT, SP_COL_REAL, SP_COL_TEXT };
int sp_col_kind(sp_stmt *s, int i);

#endif
