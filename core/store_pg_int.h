/*
 * store_pg_int.h — the PostgreSQL backend's own structures and the calls between its two files:
 * store_pg.c (connection, schema, statements, the run lock) and store_pg_write.c (the writes of
 * a transaction sent without waiting: pipelined, by COPY, by batches). Nothing else includes it.
 */
#ifndef SP_STORE_PG_INT_H
#define SP_STORE_PG_INT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "core/common.h"
#include "core/store_pg.h"

struct upsert;

struct sp_pg {
	PGconn *conn;
	char *errmsg;
	int64_t changes;
	int in_tx;
	unsigned rollbacks; /* how many rollbacks so far (cursors die with their transaction) */
	unsigned next_name;
	int piped;    /* writes sent in pipeline mode whose results are not read yet */
	int deferred; /* reading them failed: errmsg holds the first error */
	struct copybuf { /* rows of plain INSERTs not sent yet, one buffer per statement */
		char *sql;       /* COPY t (cols) FROM STDIN */
		char table[64];  /* t */
		sp_buf rows;     /* COPY's text format */
	} copies[8];
	int ncopies;
	int last_copy; /* the last write was such a row (sp_store_changes: 1) */
	struct batch { /* rows of upserts not sent yet, one batch per statement (see batch_add) */
		sp_pg_stmt *s;
		char **vals; /* rows x s->nparams, owned */
		int rows;
	} batches[8];
	int nbatches;
	sp_pg_stmt *last_batched; /* the last write is the last row of this statement's batch */
	char last_table[64]; /* the table of the last INSERT stepped (sp_pg_last_id) */
	sp_buf dealloc;      /* "DEALLOCATE a;DEALLOCATE b;..": prepared statements no longer used */
	int ndealloc;
};

struct sp_pg_stmt {
	sp_pg *pg;
	char name[24], cursor[24];
	char *sql;     /* translated */
	int nparams, noop, use_cursor;
	int pipe;      /* a write (INSERT, UPDATE, DELETE without RETURNING): pipelined in a transaction */
	char *copy_sql; /* a plain INSERT INTO t (cols) VALUES ($1..$n): COPY t (cols) FROM STDIN */
	char insert_table[64]; /* an INSERT's table, else "" */
	struct upsert *ups; /* an INSERT .. VALUES (..) ON CONFLICT ..: sent BATCH_ROWS rows at a time */
	char **vals;   /* bound parameters, owned */
	int *lens;
	PGresult *res; /* the rows being read */
	int row, started, open, done;
	unsigned declared_at; /* pg->rollbacks when the cursor was declared */
};

struct upsert {
	char table[64];
	char *head, *tuple, *tail; /* "INSERT INTO t (cols) VALUES ", "($1, ..)", " ON CONFLICT .." */
	int key[4], nkey;          /* the parameters of the conflict key (DO UPDATE) */
	int rows;                  /* rows per batch */
	char full[24];             /* the statement of a full batch, once prepared */
};

/* store_pg.c: keep a message; a result's status is ok (its changed-row count kept), else its
 * message kept (a NULL result after a failed write keeps that write's message). */
void sp_pg_set_err(sp_pg *pg, const char *msg);
int sp_pg_result_ok(sp_pg *pg, PGresult *r);

/* store_pg_write.c. The writes of a transaction: sp_pgw_pipe_send (any write), sp_pgw_copy_add
 * (a plain insert, s->copy_sql), sp_pgw_batch_add (an upsert, s->ups) return SP_DONE or 1 (an
 * earlier write failed: pg->errmsg). sp_pgw_flush sends them all and reads their results (1 when
 * all went well; else pg->deferred is set for the caller's sp_pg_result_ok(NULL)); sp_pgw_exec is
 * PQexec after sp_pgw_flush. sp_pgw_batch_send_last sends the last batched row alone (its own
 * count); sp_pgw_batch_send_stmt sends a statement's batch (finalize); sp_pgw_batch_drop
 * forgets every batch (rollback). */
int sp_pgw_pipe_flush(sp_pg *pg);
int sp_pgw_flush(sp_pg *pg);
PGresult *sp_pgw_exec(sp_pg *pg, const char *sql);
/* The same with one text parameter $1 (a value, bound: never formatted into the SQL). */
PGresult *sp_pgw_exec1(sp_pg *pg, const char *sql, const char *param);
int sp_pgw_pipe_send(sp_pg_stmt *s);
int sp_pgw_copy_add(sp_pg_stmt *s);
int sp_pgw_batch_add(sp_pg_stmt *s);
int sp_pgw_batch_send_last(sp_pg *pg);
int sp_pgw_batch_send_stmt(sp_pg *pg, sp_pg_stmt *s);
void sp_pgw_batch_drop(sp_pg *pg);
/* Drop prepared statement name (one that was prepared): later, with others, outside a
 * transaction (a DEALLOCATE each would wait for the server, and send every pending write). */
void sp_pgw_deallocate(sp_pg *pg, const char *name);
/* At prepare: the COPY statement of a plain insert, the batch form of an upsert, else NULL. */
char *sp_pgw_plain_insert(const char *sql, int nparams);
struct upsert *sp_pgw_upsert_parse(const char *sql, int nparams);
void sp_pgw_upsert_free(sp_pg *pg, struct upsert *u);

#endif
