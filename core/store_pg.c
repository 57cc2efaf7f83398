/*
 * store_pg.c — the PostgreSQL backend (libpq): connection, schema, statements, the run lock.
 * See store_pg.h; the SQL translation is store_pg_sql.c. The only file including libpq-fe.h.
 *
 * Invariants: one statement's rows at a time are read from a PGresult the statement owns; a
 * SELECT without parameters reads through a WITH HOLD cursor (it survives the caller's commits,
 * and any other statement may run between two fetches); a rollback ends the cursors declared in
 * its transaction, so a statement remembers the rollback count it declared under and closes its
 * cursor only when no rollback came since.
 */
#include "core/store_pg.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/store.h"

enum { FETCH_ROWS = 1000 };
#define LOCK_KEY "1936747371, 1" /* the run lock: 'spar', 1 (advisory locks are per database) */

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
};

struct sp_pg_stmt {
	sp_pg *pg;
	char name[24], cursor[24];
	char *sql;     /* translated */
	int nparams, noop, use_cursor;
	int pipe;      /* a write (INSERT, UPDATE, DELETE without RETURNING): pipelined in a transaction */
	char *copy_sql; /* a plain INSERT INTO t (cols) VALUES ($1..$n): COPY t (cols) FROM STDIN */
	char **vals;   /* bound parameters, owned */
	int *lens;
	PGresult *res; /* the rows being read */
	int row, started, open, done;
	unsigned declared_at; /* pg->rollbacks when the cursor was declared */
};

static void set_err(sp_pg *pg, const char *msg)
{
	free(pg->errmsg);
	pg->errmsg = sp_xstrdup(msg && *msg ? msg : "error");
	size_t n = strlen(pg->errmsg);
	while (n && (pg->errmsg[n - 1] == '\n' || pg->errmsg[n - 1] == ' '))
		pg->errmsg[--n] = '\0';
}

const char *sp_pg_errmsg(const sp_pg *pg)
{
	return pg && pg->errmsg ? pg->errmsg : "error";
}

int sp_pg_in_tx(const sp_pg *pg)
{
	return pg->in_tx;
}

static int flush(sp_pg *pg);

int64_t sp_pg_changes(sp_pg *pg)
{
	flush(pg); /* a failure is reported by the next call */
	return pg->last_copy ? 1 : pg->changes;
}

/* A result's status is ok: keep its changed-row count; else keep its message. */
static int result_ok(sp_pg *pg, PGresult *r)
{
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (t == PGRES_EMPTY_QUERY) /* a statement translated to nothing (a PRAGMA) */
		return 1;
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
		const char *n = PQcmdTuples(r);
		if (n && *n)
			pg->changes = strtoll(n, NULL, 10);
		return 1;
	}
	if (!r && pg->deferred) /* a pipelined write failed: its message is kept */
		pg->deferred = 0;
	else
		set_err(pg, r ? PQresultErrorMessage(r) : PQerrorMessage(pg->conn));
	return 0;
}

/*
 * Pipelined writes. Inside a transaction a write's result is not awaited: it is sent in libpq's
 * pipeline mode and its result read with the others at the next statement that needs the
 * server's answer (any read, a commit, sp_store_changes, last_id), or every PIPE_MAX writes.
 * So a failed write is reported by that later call, with the write's own message; the
 * transaction fails all the same. pipe_flush returns 1 when every queued write went well.
 */
enum { PIPE_MAX = 256 };

static int pipe_flush(sp_pg *pg)
{
	if (PQpipelineStatus(pg->conn) == PQ_PIPELINE_OFF)
		return 1;
	int ok = PQpipelineSync(pg->conn), nulls = 0;
	while (ok) {
		PGresult *r = PQgetResult(pg->conn);
		if (!r) { /* the end of one write's results; a broken connection gives only these */
			if (++nulls > pg->piped + 1)
				break;
			continue;
		}
		ExecStatusType t = PQresultStatus(r);
		if (t == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (t != PGRES_PIPELINE_ABORTED && !result_ok(pg, r))
			ok = 0;
		PQclear(r);
	}
	if (!ok && !pg->errmsg)
		set_err(pg, PQerrorMessage(pg->conn));
	PQexitPipelineMode(pg->conn);
	pg->piped = 0;
	pg->deferred = !ok;
	return ok;
}

/*
 * Plain inserts by COPY. Inside a transaction the rows of an `INSERT INTO t (cols) VALUES ($1,
 * .., $n)` (nothing else: no ON CONFLICT, no expression) are kept in COPY's text format, one
 * buffer per statement, and sent by one COPY t (cols) FROM STDIN each when a statement needs the
 * server's answer (a read, a commit, sp_store_changes), when a pipelined write names the table t
 * (it could see or touch the rows), or every COPY_MAX bytes. The rows of each table go in their
 * order; between tables the order may change, which foreign keys allow because a transaction
 * on this backend checks them at commit (sp_pg_exec's BEGIN: SET CONSTRAINTS ALL DEFERRED). A
 * failure is reported like a pipelined write's. (COPY cannot run in pipeline mode: the
 * pipelined writes are read first.)
 */
enum { COPY_MAX = 1 << 20 };

static int copy_send(sp_pg *pg, struct copybuf *c)
{
	int64_t changes = pg->changes; /* a pipelined write's count stays the last one */
	PGresult *r = PQexec(pg->conn, c->sql);
	int ok = PQresultStatus(r) == PGRES_COPY_IN;
	if (!ok)
		result_ok(pg, r);
	PQclear(r);
	if (ok) {
		ok = PQputCopyData(pg->conn, c->rows.buf, (int)c->rows.len) == 1 && PQputCopyEnd(pg->conn, NULL) == 1;
		r = PQgetResult(pg->conn);
		ok = result_ok(pg, r) && ok;
		PQclear(r);
		while ((r = PQgetResult(pg->conn)))
			PQclear(r);
	}
	pg->changes = changes;
	return ok;
}

/* Send buffer i (after the pipelined writes) and drop it; 1 when it went well. */
static int copy_flush_one(sp_pg *pg, int i)
{
	int ok = pipe_flush(pg) && copy_send(pg, &pg->copies[i]);
	free(pg->copies[i].sql);
	sp_buf_release(&pg->copies[i].rows);
	memmove(&pg->copies[i], &pg->copies[i + 1], sizeof(pg->copies[0]) * (size_t)(pg->ncopies - i - 1));
	pg->ncopies--;
	pg->deferred = !ok;
	return ok;
}

/* Every write sent and its result read: 1 when all went well. */
static int flush(sp_pg *pg)
{
	int ok = pipe_flush(pg);
	while (ok && pg->ncopies)
		ok = copy_flush_one(pg, 0);
	while (pg->ncopies) /* after a failure: the transaction is lost, the rows too */
		copy_flush_one(pg, 0), pg->deferred = 1;
	return ok;
}

/* sql names table (as a whole word) */
static int names_table(const char *sql, const char *table)
{
	size_t n = strlen(table);
	for (const char *p = sql; (p = strcasestr(p, table)); p += n)
		if ((p == sql || (!isalnum((unsigned char)p[-1]) && p[-1] != '_')) && !isalnum((unsigned char)p[n]) && p[n] != '_')
			return 1;
	return 0;
}

/* Before a pipelined write: the buffered rows of the tables it names are sent. */
static int copy_flush_named(sp_pg *pg, const char *sql)
{
	for (int i = 0; i < pg->ncopies;)
		if (names_table(sql, pg->copies[i].table)) {
			if (!copy_flush_one(pg, i))
				return 0;
		} else {
			i++;
		}
	return 1;
}

/* One value in COPY's text format. */
static void copy_value(sp_buf *b, const char *v)
{
	if (!v) {
		sp_buf_adds(b, "\\N");
		return;
	}
	for (; *v; v++) {
		const char *esc = *v == '\\' ? "\\\\" : *v == '\t' ? "\\t" : *v == '\n' ? "\\n" : *v == '\r' ? "\\r" : NULL;
		if (esc)
			sp_buf_adds(b, esc);
		else
			sp_buf_addc(b, *v);
	}
}

/* Keep a plain insert's row; SP_DONE, or 1 (SQLite's error) when earlier writes failed. */
static int copy_add(sp_pg_stmt *s)
{
	sp_pg *pg = s->pg;
	int i = 0;
	while (i < pg->ncopies && strcmp(pg->copies[i].sql, s->copy_sql))
		i++;
	if (i == pg->ncopies && i == (int)(sizeof(pg->copies) / sizeof(pg->copies[0]))) {
		if (!copy_flush_one(pg, 0)) {
			pg->deferred = 0;
			return 1;
		}
		i--;
	}
	struct copybuf *c = &pg->copies[i];
	if (i == pg->ncopies) {
		pg->ncopies++;
		*c = (struct copybuf){ .sql = sp_xstrdup(s->copy_sql), .rows = SP_BUF_INIT };
		sscanf(s->copy_sql, "COPY %63s", c->table);
	}
	for (int k = 0; k < s->nparams; k++) {
		if (k)
			sp_buf_addc(&c->rows, '\t');
		copy_value(&c->rows, s->vals[k]);
	}
	sp_buf_addc(&c->rows, '\n');
	pg->last_copy = 1;
	s->started = s->done = 1;
	if (c->rows.len >= COPY_MAX && !copy_flush_one(pg, i)) {
		pg->deferred = 0;
		return 1;
	}
	return SP_DONE;
}

/* PQexec after the pending writes' results (NULL when one failed: result_ok says so). */
static PGresult *pg_exec(sp_pg *pg, const char *sql)
{
	pg->last_copy = 0;
	return flush(pg) ? PQexec(pg->conn, sql) : NULL;
}

/* Send a pipelined write; SP_DONE, or 1 (SQLite's error) when it cannot be sent. */
static int pipe_send(sp_pg_stmt *s)
{
	sp_pg *pg = s->pg;
	pg->last_copy = 0;
	if (!copy_flush_named(pg, s->sql)) {
		pg->deferred = 0;
		return 1;
	}
	if ((PQpipelineStatus(pg->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(pg->conn)) ||
	    !PQsendQueryPrepared(pg->conn, s->name, s->nparams, (const char *const *)s->vals, NULL, NULL, 0)) {
		set_err(pg, PQerrorMessage(pg->conn));
		return 1;
	}
	s->started = s->done = 1;
	if (++pg->piped >= PIPE_MAX && !pipe_flush(pg)) {
		pg->deferred = 0;
		return 1;
	}
	return SP_DONE;
}

/* Run sql (no parameters, maybe several statements); 1 when it went well. */
static int run(sp_pg *pg, const char *sql)
{
	PGresult *r = pg_exec(pg, sql);
	int ok = result_ok(pg, r);
	PQclear(r);
	return ok;
}

int sp_pg_exec(sp_pg *pg, const char *sql, sp_err *err)
{
	char *q = sp_pg_translate(sql, NULL);
	int ok = run(pg, q);
	if (ok && !strncmp(q, "BEGIN", 5)) { /* foreign keys at commit: the plain inserts' COPY comes later */
		pg->in_tx = 1;
		ok = run(pg, "SET CONSTRAINTS ALL DEFERRED");
	} else if (ok && (!strncmp(q, "COMMIT", 6) || !strncmp(q, "ROLLBACK", 8)))
		pg->in_tx = 0;
	free(q);
	if (!ok)
		return sp_err_set(err, SP_EDB, "%s (in: %.80s)", pg->errmsg, sql);
	return SP_OK;
}

void sp_pg_rollback(sp_pg *pg)
{
	if (!pg || !pg->conn)
		return;
	flush(pg);
	pg->deferred = 0;
	if (PQtransactionStatus(pg->conn) != PQTRANS_IDLE) {
		PQclear(PQexec(pg->conn, "ROLLBACK"));
		pg->rollbacks++;
	}
	pg->in_tx = 0;
}

int64_t sp_pg_last_id(sp_pg *pg)
{
	PGresult *r = pg_exec(pg, "SELECT lastval()");
	int64_t id = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return id;
}

/* ---- statements ---------------------------------------------------------------------------- */

static int is_select(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(')
		sql++;
	return !strncasecmp(sql, "SELECT", 6) || !strncasecmp(sql, "WITH", 4) || !strncasecmp(sql, "VALUES", 6);
}

/* The parameters the SQL never uses, and one whose type the server cannot infer (a first use
 * "?1 IS NULL"), are typed text; a retry per such parameter. 1 when prepared. */
static int prepare_typed(sp_pg_stmt *s)
{
	Oid *types = s->nparams ? sp_xcalloc((size_t)s->nparams, sizeof(Oid)) : NULL;
	for (int i = 0; i < s->nparams; i++) {
		char ref[16];
		snprintf(ref, sizeof(ref), "$%d", i + 1);
		const char *p = s->sql;
		size_t n = strlen(ref);
		while ((p = strstr(p, ref)) && isdigit((unsigned char)p[n]))
			p += n;
		if (!p)
			types[i] = 25; /* text */
	}
	int ok = 0;
	for (int tries = 0; !ok && tries <= s->nparams; tries++) {
		PGresult *r = flush(s->pg) ? PQprepare(s->pg->conn, s->name, s->sql, s->nparams, types) : NULL;
		ok = result_ok(s->pg, r);
		PQclear(r);
		const char *m = ok ? NULL : strstr(s->pg->errmsg, "could not determine data type of parameter $");
		int k = m ? atoi(m + strlen("could not determine data type of parameter $")) : 0;
		if (!ok && (k < 1 || k > s->nparams || types[k - 1]))
			break;
		if (!ok)
			types[k - 1] = 25;
	}
	free(types);
	return ok;
}

/* sql is INSERT INTO t (c1, .., cn) VALUES ($1, .., $n) and nothing else: "COPY t (c1, .., cn)
 * FROM STDIN", else NULL. */
static char *plain_insert(const char *sql, int nparams)
{
	char table[64], cols[4096];
	int at = 0;
	if (nparams < 1 || sscanf(sql, " INSERT INTO %63[A-Za-z0-9_\"] (%4095[^)]) VALUES (%n", table, cols, &at) != 2 || !at)
		return NULL;
	int ncols = 1;
	for (const char *c = cols; *c; c++)
		ncols += *c == ',';
	const char *p = sql + at;
	for (int k = 1; k <= nparams; k++) {
		int len = 0, n = 0;
		if (sscanf(p, " $%d %n", &n, &len) != 1 || n != k || !len)
			return NULL;
		p += len;
		if (*p++ != (k == nparams ? ')' : ','))
			return NULL;
	}
	p += strspn(p, " \t\n;");
	if (*p || ncols != nparams)
		return NULL;
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "COPY %s (%s) FROM STDIN", table, cols);
	return sp_buf_detach(&b);
}

static int is_write(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	return (!strncasecmp(sql, "INSERT", 6) || !strncasecmp(sql, "UPDATE", 6) || !strncasecmp(sql, "DELETE", 6)) &&
	       !strcasestr(sql, "RETURNING");
}

int sp_pg_prepare(sp_pg *pg, const char *sql, sp_pg_stmt **out, sp_err *err)
{
	sp_pg_stmt *s = sp_xcalloc(1, sizeof(*s));
	s->pg = pg;
	s->sql = sp_pg_translate(sql, &s->nparams);
	const char *p = s->sql;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == ';')
		p++;
	s->noop = !*p; /* a PRAGMA */
	s->use_cursor = !s->noop && s->nparams == 0 && is_select(s->sql);
	s->pipe = !s->noop && is_write(s->sql);
	s->copy_sql = s->pipe ? plain_insert(s->sql, s->nparams) : NULL;
	unsigned n = ++pg->next_name;
	snprintf(s->name, sizeof(s->name), "sp_s%u", n);
	snprintf(s->cursor, sizeof(s->cursor), "sp_c%u", n);
	if (s->nparams) {
		s->vals = sp_xcalloc((size_t)s->nparams, sizeof(char *));
		s->lens = sp_xcalloc((size_t)s->nparams, sizeof(int));
	}
	if (!s->noop) {
		int ok = prepare_typed(s);
		if (!ok) {
			sp_err_set(err, SP_EDB, "%s (in: %.120s)", pg->errmsg, sql);
			sp_pg_finalize(s);
			*out = NULL;
			return SP_EDB;
		}
	}
	*out = s;
	return SP_OK;
}

int sp_pg_params(const sp_pg_stmt *s)
{
	return s->nparams;
}

int sp_pg_bind(sp_pg_stmt *s, int i, const char *v, int n)
{
	if (i < 1 || i > s->nparams)
		return 25; /* SQLite's SQLITE_RANGE */
	free(s->vals[i - 1]);
	s->vals[i - 1] = v ? (n < 0 ? sp_xstrdup(v) : sp_xstrndup(v, (size_t)n)) : NULL;
	return SP_OK;
}

/* Declare the cursor and fetch its first rows (one round trip). */
static PGresult *cursor_open(sp_pg_stmt *s)
{
	sp_buf q = SP_BUF_INIT;
	sp_buf_addf(&q, "DECLARE %s NO SCROLL CURSOR WITH HOLD FOR %s; FETCH %d FROM %s", s->cursor, s->sql, FETCH_ROWS,
		    s->cursor);
	PGresult *r = pg_exec(s->pg, q.buf);
	sp_buf_release(&q);
	s->open = 1;
	s->declared_at = s->pg->rollbacks;
	return r;
}

static void cursor_close(sp_pg_stmt *s)
{
	if (!s->open)
		return;
	s->open = 0;
	if (s->declared_at != s->pg->rollbacks || PQtransactionStatus(s->pg->conn) == PQTRANS_INERROR)
		return;
	char q[48];
	snprintf(q, sizeof(q), "CLOSE %s", s->cursor);
	PQclear(pg_exec(s->pg, q));
}

static PGresult *cursor_fetch(sp_pg_stmt *s)
{
	char q[64];
	snprintf(q, sizeof(q), "FETCH %d FROM %s", FETCH_ROWS, s->cursor);
	return pg_exec(s->pg, q);
}

/* The first step: run the statement, or open its cursor. */
static int start(sp_pg_stmt *s)
{
	s->started = 1;
	s->pg->last_copy = 0;
	s->row = -1;
	if (s->use_cursor)
		s->res = cursor_open(s);
	else
		s->res = !flush(s->pg) ? NULL : PQexecPrepared(s->pg->conn, s->name, s->nparams, (const char *const *)s->vals, NULL, NULL, 0);
	if (!result_ok(s->pg, s->res)) {
		PQclear(s->res);
		s->res = NULL;
		cursor_close(s);
		s->done = 1;
		return 0;
	}
	if (s->use_cursor && PQntuples(s->res) < FETCH_ROWS)
		cursor_close(s);
	return 1;
}

int sp_pg_step(sp_pg_stmt *s)
{
	if (s->noop || s->done)
		return SP_DONE;
	if (!s->started && s->copy_sql && s->pg->in_tx)
		return copy_add(s);
	if (!s->started && s->pipe && s->pg->in_tx)
		return pipe_send(s);
	if (!s->started && !start(s))
		return 1; /* SQLite's SQLITE_ERROR */
	if (++s->row < PQntuples(s->res))
		return SP_ROW;
	if (!s->open) {
		s->done = 1;
		return SP_DONE;
	}
	PQclear(s->res);
	s->res = cursor_fetch(s);
	s->row = 0;
	if (!result_ok(s->pg, s->res)) {
		PQclear(s->res);
		s->res = NULL;
		s->open = 0;
		s->done = 1;
		return 1;
	}
	if (PQntuples(s->res) < FETCH_ROWS)
		cursor_close(s);
	if (PQntuples(s->res) > 0)
		return SP_ROW;
	s->done = 1;
	return SP_DONE;
}

void sp_pg_reset(sp_pg_stmt *s)
{
	cursor_close(s);
	PQclear(s->res);
	s->res = NULL;
	s->started = s->done = 0;
}

void sp_pg_finalize(sp_pg_stmt *s)
{
	if (!s)
		return;
	sp_pg_reset(s);
	if (!s->noop && s->pg->conn && PQtransactionStatus(s->pg->conn) != PQTRANS_INERROR) {
		char q[48];
		snprintf(q, sizeof(q), "DEALLOCATE %s", s->name);
		PQclear(pg_exec(s->pg, q));
	}
	for (int i = 0; i < s->nparams; i++)
		free(s->vals[i]);
	free(s->vals);
	free(s->lens);
	free(s->sql);
	free(s->copy_sql);
	free(s);
}

int sp_pg_col_count(sp_pg_stmt *s)
{
	if (s->res)
		return PQnfields(s->res);
	if (s->noop)
		return 0;
	PGresult *d = flush(s->pg) ? PQdescribePrepared(s->pg->conn, s->name) : NULL;
	int n = PQresultStatus(d) == PGRES_COMMAND_OK ? PQnfields(d) : 0;
	PQclear(d);
	return n;
}

const char *sp_pg_col_text(sp_pg_stmt *s, int i)
{
	if (!s->res || s->row < 0 || s->row >= PQntuples(s->res) || i < 0 || i >= PQnfields(s->res) ||
	    PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

int sp_pg_col_numeric(sp_pg_stmt *s, int i)
{
	if (!s->res || i < 0 || i >= PQnfields(s->res))
		return 0;
	Oid t = PQftype(s->res, i);
	return t == 20 || t == 21 || t == 23 ? 1 : t == 700 || t == 701 || t == 1700 ? 2 : 0; /* int8/2/4; float4/8, numeric */
}

const char *sp_pg_col_name(sp_pg_stmt *s, int i)
{
	return s->res && i >= 0 && i < PQnfields(s->res) ? PQfname(s->res, i) : "";
}

/* ---- connection and schema ----------------------------------------------------------------- */

/* SQLite's julianday() (text dates and times, 'now'; UTC whatever the session) and printf()
 * of one number as '%.Nf', for callers' SQL. */
static const char *const compat_sql =
	"CREATE OR REPLACE FUNCTION julianday(text) RETURNS double precision LANGUAGE sql STABLE AS"
	" $$ SELECT extract(epoch FROM CASE WHEN $1 = 'now' THEN now() AT TIME ZONE 'UTC'"
	" ELSE CAST($1 AS timestamp) END) / 86400.0 + 2440587.5 $$;"
	"CREATE OR REPLACE FUNCTION printf(text, double precision) RETURNS text LANGUAGE sql IMMUTABLE AS"
	" $$ SELECT CASE WHEN $1 ~ '^%\\.[0-9]f$' THEN CAST(round(CAST($2 AS numeric), CAST(substr($1, 3, 1) AS int)) AS text)"
	" ELSE CAST($2 AS text) END $$;";

static int schema_version(sp_pg *pg, int64_t *v)
{
	PGresult *r = pg_exec(pg, "SELECT version FROM sparker_schema");
	int ok = result_ok(pg, r);
	*v = ok && PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
	PQclear(r);
	return ok;
}

/* Bring the schema to sp_schema_version, one transaction per migration; the advisory
 * transaction lock keeps two processes from migrating at once. */
static int migrate(sp_pg *pg, const char *where, sp_err *err)
{
	for (;;) {
		if (!run(pg, "BEGIN") || !run(pg, "SELECT pg_advisory_xact_lock(1936747371, 2)"))
			break;
		int64_t v;
		if (!run(pg, "CREATE TABLE IF NOT EXISTS sparker_schema (version BIGINT NOT NULL)") || !schema_version(pg, &v))
			break;
		if (v < 0 && !(run(pg, "INSERT INTO sparker_schema VALUES (0)") && run(pg, compat_sql)))
			break;
		if (v < 0)
			v = 0;
		if (v > sp_schema_version) {
			sp_pg_rollback(pg);
			return sp_err_set(err, SP_EDB, "database %s has schema version %lld, newer than this sparker (%d): upgrade sparker",
					  where, (long long)v, sp_schema_version);
		}
		if (v == sp_schema_version)
			return run(pg, "COMMIT") ? SP_OK : sp_err_set(err, SP_EDB, "database %s: %s", where, pg->errmsg);
		char *ddl = sp_pg_translate_ddl(sp_schema_migrations[v]);
		char set[64];
		snprintf(set, sizeof(set), "UPDATE sparker_schema SET version = %lld", (long long)v + 1);
		int ok = run(pg, ddl) && run(pg, set) && run(pg, "COMMIT");
		free(ddl);
		if (!ok) {
			sp_pg_rollback(pg);
			return sp_err_set(err, SP_EDB, "database %s: migration to schema version %lld: %s", where, (long long)v + 1,
					  pg->errmsg);
		}
	}
	char *msg = sp_xstrdup(pg->errmsg ? pg->errmsg : "error");
	sp_pg_rollback(pg);
	sp_err_set(err, SP_EDB, "database %s: schema: %s", where, msg);
	free(msg);
	return SP_EDB;
}

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int connect_to(const char *conninfo, sp_pg **out, sp_err *err)
{
	sp_pg *pg = sp_xcalloc(1, sizeof(*pg));
	pg->conn = PQconnectdb(conninfo);
	*out = NULL;
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_err(pg, PQerrorMessage(pg->conn));
		sp_err_set(err, SP_EDB, "database %s: cannot connect: %s", conninfo, pg->errmsg);
		sp_pg_close(pg);
		return SP_EDB;
	}
	/* the server's notices never reach the terminal; its errors go to err */
	PQsetNoticeProcessor(pg->conn, quiet_notice, NULL);
	PQclear(PQexec(pg->conn, "SET client_min_messages = warning"));
	*out = pg;
	return SP_OK;
}

int sp_pg_open(const char *conninfo, int create, sp_pg **out, sp_err *err)
{
	sp_pg *pg;
	if (connect_to(conninfo, &pg, err) != SP_OK)
		return SP_EDB;
	if (!create) {
		PGresult *r = PQexec(pg->conn, "SELECT to_regclass('sparker_schema') IS NOT NULL");
		int there = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) && *PQgetvalue(r, 0, 0) == 't';
		PQclear(r);
		if (!there) {
			sp_pg_close(pg);
			return sp_err_set(err, SP_ENOTFOUND, "no database at %s", conninfo);
		}
	}
	if (migrate(pg, conninfo, err) != SP_OK) {
		sp_pg_close(pg);
		return SP_EDB;
	}
	*out = pg;
	return SP_OK;
}

void sp_pg_close(sp_pg *pg)
{
	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	for (int i = 0; i < pg->ncopies; i++) {
		free(pg->copies[i].sql);
		sp_buf_release(&pg->copies[i].rows);
	}
	free(pg->errmsg);
	free(pg);
}

/* ---- the run lock -------------------------------------------------------------------------- */

int sp_pg_lock_take(const char *conninfo, const char *what, sp_pg **out, sp_err *err)
{
	sp_pg *pg;
	*out = NULL;
	if (connect_to(conninfo, &pg, err) != SP_OK)
		return SP_EDB;
	PGresult *r = PQexec(pg->conn, "SELECT pg_try_advisory_lock(" LOCK_KEY ")");
	int got = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) && *PQgetvalue(r, 0, 0) == 't';
	PQclear(r);
	if (!got) {
		r = PQexec(pg->conn, "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
				     " WHERE l.locktype = 'advisory' AND l.classid = 1936747371 AND l.objid = 1 AND l.granted"
				     " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())");
		const char *holder = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? PQgetvalue(r, 0, 0) : "";
		sp_err_set(err, SP_ELOCKED, "another run holds the lock on %s (%s)", conninfo, *holder ? holder : "holder unknown");
		PQclear(r);
		sp_pg_close(pg);
		return SP_ELOCKED;
	}
	char host[64] = "?", when[32];
	gethostname(host, sizeof(host) - 1);
	sp_time_iso((int64_t)time(NULL), when, sizeof(when));
	char name[256];
	snprintf(name, sizeof(name), "pid %ld on %s since %s: %s", (long)getpid(), host, when, what);
	const char *vals[1] = { name };
	PQclear(PQexecParams(pg->conn, "SELECT set_config('application_name', $1, false)", 1, NULL, vals, NULL, NULL, 0));
	*out = pg;
	return SP_OK;
}
