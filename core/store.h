/*
 * store.h — the database connection, schema migrations and transactions.
 *
 * What it does: opens the SQLite file (WAL, foreign keys on, busy timeout), brings the schema to
 * the current version (schema.c holds the migrations, one array entry per version, applied in one
 * transaction each), and wraps transactions and prepared statements.
 *
 * Invariants: every SQL statement that carries data uses bound parameters, never formatted
 * values. Stages own their SQL (it lives in the stage's file) and only call this module for the
 * connection, transactions and the helpers below, so a second backend can replace this file.
 *
 * Ownership: sp_store owns the sqlite3 handle; sp_store_close(NULL) is a no-op.
 * Statements from sp_store_prepare() belong to the caller (sqlite3_finalize).
 *
 * Failure: every function returns SP_OK or SP_EDB with sqlite's message and the SQL in err.
 */
#ifndef SP_STORE_H
#define SP_STORE_H

#include <sqlite3.h>

#include "core/common.h"

typedef struct sp_store {
	sqlite3 *db;
	char *path;
	int in_tx;
} sp_store;

extern const char *const sp_schema_migrations[]; /* schema.c; index i brings version i to i+1 */
extern const int sp_schema_version;              /* number of migrations */

/* Open (creating the file and its directory, and migrating the schema) the database at path. */
int sp_store_open(const char *path, sp_store **out, sp_err *err);
/* Open the database at path only when it exists (migrating it): SP_ENOTFOUND "no database at
 * PATH" otherwise, and nothing is created (for the commands that only read). */
int sp_store_open_existing(const char *path, sp_store **out, sp_err *err);
void sp_store_close(sp_store *st);

int sp_store_exec(sp_store *st, const char *sql, sp_err *err);
int sp_store_prepare(sp_store *st, const char *sql, sqlite3_stmt **out, sp_err *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. rollback is safe to call when no transaction is open. */
int sp_store_begin(sp_store *st, sp_err *err);
int sp_store_commit(sp_store *st, sp_err *err);
void sp_store_rollback(sp_store *st);

/* Run a one-row query with up to 3 text parameters (NULL = SQL NULL); store integer column 0. */
int sp_store_int(sp_store *st, const char *sql, int64_t *out, sp_err *err, ...);
int64_t sp_store_last_id(sp_store *st);

/* Bind helpers: NULL or "" text binds SQL NULL. */
int sp_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Step a statement that returns no rows; resets it. */
int sp_store_step_done(sp_store *st, sqlite3_stmt *s, sp_err *err);

/* Fill err from the connection's last error, with context. */
int sp_store_error(sp_store *st, sp_err *err, const char *what);

#endif
