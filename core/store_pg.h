/*
 * store_pg.h — the PostgreSQL backend of store.h (libpq), for core/store.c and core/lock.c only:
 * stages and commands talk to store.h, never to this.
 *
 * What it does: a connection (sp_pg) from a URL or conninfo string (the password from PGPASSWORD
 * or ~/.pgpass, as libpq reads them), the schema (the same migrations as SQLite, through
 * sp_pg_translate_ddl, with the version in a table sparker_schema), and statements (sp_pg_stmt)
 * whose SQLite-dialect SQL is translated once at prepare (sp_pg_translate) and prepared by name
 * (a finalized statement is dropped later, with others, outside a transaction: store_pg_write.c).
 * Parameters are bound as text; a SELECT without parameters reads through a cursor, 1000 rows at
 * a time (memory stays flat on the score stage's scans), any other statement is executed whole
 * at its first step. Inside a transaction writes do not wait for their result: a plain INSERT's
 * rows go by COPY, other writes in libpq's pipeline mode, both sent when a statement needs the
 * server's answer (store_pg.c says when); so a failed write is reported by a later call of the
 * same transaction, with its own message. Columns are read from the text results (a boolean
 * reads 1 or 0).
 *
 * Ownership: sp_pg owns its PGconn; a statement belongs to its caller (store.c).
 */
#ifndef SP_STORE_PG_H
#define SP_STORE_PG_H

#include <stdint.h>

#include "core/common.h"

typedef struct sp_pg sp_pg;
typedef struct sp_pg_stmt sp_pg_stmt;

/* Connect; with create = 0, SP_ENOTFOUND when the database holds no sparker schema yet. */
int sp_pg_open(const char *conninfo, int create, sp_pg **out, sp_err *err);
void sp_pg_close(sp_pg *pg);
const char *sp_pg_errmsg(const sp_pg *pg);
int sp_pg_exec(sp_pg *pg, const char *sql, sp_err *err);
int sp_pg_in_tx(const sp_pg *pg);
int64_t sp_pg_changes(sp_pg *pg);
int64_t sp_pg_last_id(sp_pg *pg);
void sp_pg_rollback(sp_pg *pg);

int sp_pg_prepare(sp_pg *pg, const char *sql, sp_pg_stmt **out, sp_err *err);
int sp_pg_step(sp_pg_stmt *s);
void sp_pg_reset(sp_pg_stmt *s);
void sp_pg_finalize(sp_pg_stmt *s);
int sp_pg_params(const sp_pg_stmt *s);
/* Bind parameter i (from 1) to n bytes of v (n < 0: to the NUL), copied; v NULL: SQL NULL. */
int sp_pg_bind(sp_pg_stmt *s, int i, const char *v, int n);
int sp_pg_col_count(sp_pg_stmt *s);
const char *sp_pg_col_text(sp_pg_stmt *s, int i); /* NULL for SQL NULL */
const char *sp_pg_col_name(sp_pg_stmt *s, int i);
/* Column i's type is an integer (1), a floating-point number (2), else 0. */
int sp_pg_col_numeric(sp_pg_stmt *s, int i);

/* The run lock: a session advisory lock on its own connection, taken without waiting.
 * SP_ELOCKED naming the holder (its application_name: "pid N on HOST since T: what"). */
int sp_pg_lock_take(const char *conninfo, const char *what, sp_pg **out, sp_err *err);

/*
 * The translation (pure functions, tests/unit/test_store_pg.c). sp_pg_translate: ? and ?N ->
 * $N (*nparams: the highest), INSERT OR IGNORE -> ON CONFLICT DO NOTHING, group_concat ->
 * string_agg, ifnull -> coalesce, instr -> strpos, two-argument min/max -> least/greatest,
 * round(x, n) on numeric, LIKE -> ILIKE, a IS b -> IS NOT DISTINCT FROM, INTEGER -> BIGINT,
 * REAL -> DOUBLE PRECISION, rowid -> ctid, BEGIN IMMEDIATE -> BEGIN, the reserved words fetch
 * and user (a table, a column) quoted; a PRAGMA statement is dropped. sp_pg_translate_ddl adds
 * a migration's rules: an `id INTEGER PRIMARY KEY` (not REFERENCES) is an identity column, TEXT
 * columns collate "C" (bytes, like SQLite's BINARY, whatever the database's locale), foreign keys
 * are DEFERRABLE (checked at once all the same), and SQLite's RAISE(ABORT) triggers become
 * plpgsql functions and triggers; one whole-text rewrite (store_pg_sql.c ddl_fixes) makes
 * judgement_place.carries an integer as on SQLite. Both return a new
 * string (free it).
 */
char *sp_pg_translate(const char *sql, int *nparams);
char *sp_pg_translate_ddl(const char *sql);

#endif
