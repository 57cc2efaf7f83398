/*
 * store_pg_write.c — the writes of a transaction on PostgreSQL, sent without waiting for each
 * result (see store_pg.h, store_pg_int.h): pipelined writes, plain inserts by COPY, upserts by
 * batches of rows; all sent, and their results read, before anything that needs the server's
 * answer. Invariant: writes to one table keep their order; a read sees every write before it.
 */
#include "core/store_pg_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/store.h"

/*
 * Pipelined writes. Inside a transaction a write's result is not awaited: it is sent in libpq's
 * pipeline mode and its result read with the others at the next statement that needs the
 * server's answer (any read, a commit, sp_store_changes, last_id), or every PIPE_MAX writes.
 * So a failed write is reported by that later call, with the write's own message; the
 * transaction fails all the same. pipe_flush returns 1 when every queued write went well.
 */
enum { PIPE_MAX = 256 };

static int batch_send_all(sp_pg *pg);
static int batch_send_related(sp_pg *pg, const char *sql, const char *table, const sp_pg_stmt *self);

int sp_pgw_pipe_flush(sp_pg *pg)
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
		if (t != PGRES_PIPELINE_ABORTED && !sp_pg_result_ok(pg, r))
			ok = 0;
		PQclear(r);
	}
	if (!ok && !pg->errmsg)
		sp_pg_set_err(pg, PQerrorMessage(pg->conn));
	for (int left = 64; !PQexitPipelineMode(pg->conn) && left > 0; left--) /* results a failure left */
		PQclear(PQgetResult(pg->conn));
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
		sp_pg_result_ok(pg, r);
	PQclear(r);
	if (ok) {
		ok = PQputCopyData(pg->conn, c->rows.buf, (int)c->rows.len) == 1 && PQputCopyEnd(pg->conn, NULL) == 1;
		r = PQgetResult(pg->conn);
		ok = sp_pg_result_ok(pg, r) && ok;
		PQclear(r);
		while ((r = PQgetResult(pg->conn)))
			PQclear(r);
	}
	pg->changes = changes;
	return ok;
}

/* Send buffer i (after the pipelined writes) and drop it; 1 when it went well. */
static int copy_flush_one(sp_pg *pg, int i, int send)
{
	int ok = send && sp_pgw_pipe_flush(pg) && copy_send(pg, &pg->copies[i]);
	free(pg->copies[i].sql);
	sp_buf_release(&pg->copies[i].rows);
	memmove(&pg->copies[i], &pg->copies[i + 1], sizeof(pg->copies[0]) * (size_t)(pg->ncopies - i - 1));
	pg->ncopies--;
	pg->deferred = !ok;
	return ok;
}

/* Every write sent and its result read: 1 when all went well. */
int sp_pgw_flush(sp_pg *pg)
{
	if (pg->deferred) /* a failure read earlier and not reported yet: this call reports it */
		return 0;
	int ok = batch_send_all(pg) && sp_pgw_pipe_flush(pg);
	while (ok && pg->ncopies)
		ok = copy_flush_one(pg, 0, 1);
	while (pg->ncopies) /* after a failure: the transaction is lost, the rows too; the message stays */
		copy_flush_one(pg, 0, 0);
	pg->deferred = !ok;
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
			if (!copy_flush_one(pg, i, 1))
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
int sp_pgw_copy_add(sp_pg_stmt *s)
{
	sp_pg *pg = s->pg;
	if (pg->deferred) { /* an earlier write failed: say so now */
		pg->deferred = 0;
		return 1;
	}
	pg->last_batched = NULL;
	if (!batch_send_related(pg, s->copy_sql, s->insert_table, NULL)) {
		pg->deferred = 0;
		return 1;
	}
	int i = 0;
	while (i < pg->ncopies && strcmp(pg->copies[i].sql, s->copy_sql))
		i++;
	if (i == pg->ncopies && i == (int)(sizeof(pg->copies) / sizeof(pg->copies[0]))) {
		if (!copy_flush_one(pg, 0, 1)) {
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
	if (c->rows.len >= COPY_MAX && !copy_flush_one(pg, i, 1)) {
		pg->deferred = 0;
		return 1;
	}
	return SP_DONE;
}

/*
 * Upserts by batches. Inside a transaction the rows of an `INSERT INTO t (cols) VALUES (..)
 * ON CONFLICT ..` (no parameter after VALUES) are sent BATCH_ROWS at a time as one multi-row
 * INSERT, pipelined: the same as one INSERT each in order, because a batch never holds two rows
 * of the same conflict key (such a row sends the batch first; DO NOTHING needs no key: a
 * repeated row is skipped either way). sp_store_changes after such a row sends it alone, for
 * its own count. Before any other write, the batch is sent, so writes keep their order.
 */
enum { BATCH_ROWS = 100 };

/* A full batch runs with the generic plan of its statement: the server would otherwise plan
 * its BATCH_ROWS-row VALUES list anew for each of its first five runs (plan_cache_mode auto),
 * which costs more than running it, and every statement prepared (each source's parse, each
 * stage) starts over. The setting goes back at once (and with the transaction if it fails). */
static const char GENERIC[] = "SET plan_cache_mode = force_generic_plan";
static const char GENERIC_END[] = "RESET plan_cache_mode";


void sp_pgw_upsert_free(sp_pg *pg, struct upsert *u)
{
	if (!u)
		return;
	if (u->full[0])
		sp_pgw_deallocate(pg, u->full);
	free(u->head);
	free(u->tuple);
	free(u->tail);
	free(u);
}

/* The index (from 0) of name in the comma-separated list cols, else -1. */
static int col_index(const char *cols, const char *name, size_t n)
{
	int i = 0;
	for (const char *c = cols; *c; i++) {
		c += strspn(c, " ");
		size_t len = strcspn(c, ", )");
		if (len == n && !strncmp(c, name, n))
			return i;
		c += len;
		c += strspn(c, " ");
		if (*c != ',')
			break;
		c++;
	}
	return -1;
}

/* The element i (from 0) of the tuple "(a, b, ..)" is "$k": k, else 0. */
static int tuple_param(const char *tuple, int i)
{
	const char *c = tuple + 1;
	for (int k = 0; k < i && c; k++)
		c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL;
	int n = 0, len = 0;
	return c && sscanf(c, " $%d %n", &n, &len) == 1 && (c[len] == ',' || c[len] == ')') ? n : 0;
}

struct upsert *sp_pgw_upsert_parse(const char *sql, int nparams)
{
	char table[64], cols[2048], keys[256];
	int at = 0;
	if (nparams < 1 || sscanf(sql, " INSERT INTO %63[A-Za-z0-9_\"] (%2047[^)]) VALUES %n", table, cols, &at) != 2 || !at)
		return NULL;
	const char *tuple = sql + at, *end = strchr(tuple, ')'), *tail = end ? end + 1 : NULL;
	const char *quote = end ? strchr(tuple, '\'') : NULL;
	if (*tuple != '(' || !end || memchr(tuple + 1, '(', (size_t)(end - tuple - 1)) || strchr(tail, '$') ||
	    (quote && quote < end))
		return NULL; /* a parenthesis or a quote inside the tuple: not this simple form */
	int k = 0;
	if (sscanf(tail, " ON CONFLICT (%255[^)]) %n", keys, &k) != 1 || !k) {
		if (sscanf(tail, " ON CONFLICT DO NOTHING %n", &k), !k || tail[k])
			return NULL;
		keys[0] = '\0';
	} else if (!strstr(tail, "DO UPDATE") && !strstr(tail, "DO NOTHING")) {
		return NULL;
	}
	struct upsert *u = sp_xcalloc(1, sizeof(*u));
	snprintf(u->table, sizeof(u->table), "%s", table);
	for (const char *c = keys; *c && u->nkey < 4;) { /* key columns -> their parameters */
		c += strspn(c, " ,");
		if (!*c)
			break;
		size_t len = strcspn(c, ", ");
		int i = len ? col_index(cols, c, len) : -1, p = i >= 0 ? tuple_param(tuple, i) : 0;
		if (!p) {
			free(u);
			return NULL;
		}
		u->key[u->nkey++] = p;
		c += len;
	}
	if (*keys && (u->nkey == 0 || strspn(keys, ", ") == strlen(keys) || u->nkey == 4)) {
		free(u);
		return NULL;
	}
	u->head = sp_xstrndup(sql, (size_t)(tuple - sql));
	u->tuple = sp_xstrndup(tuple, (size_t)(tail - tuple));
	u->tail = sp_xstrdup(tail);
	u->rows = nparams * BATCH_ROWS <= 32767 ? BATCH_ROWS : 32767 / nparams;
	return u;
}

/* The multi-row statement for rows rows: the tuple again with its parameters renumbered. */
static char *upsert_sql(const struct upsert *u, int nparams, int rows)
{
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, u->head);
	for (int r = 0; r < rows; r++) {
		if (r)
			sp_buf_adds(&b, ", ");
		for (const char *c = u->tuple; *c; c++) {
			char *e;
			long k = *c == '$' ? strtol(c + 1, &e, 10) : 0;
			if (k > 0) {
				sp_buf_addf(&b, "$%ld", k + (long)r * nparams);
				c = e - 1;
			} else {
				sp_buf_addc(&b, *c);
			}
		}
	}
	sp_buf_adds(&b, u->tail);
	return sp_buf_detach(&b);
}

/* Forget batch i (its values freed); the later batches move up, keeping their order. */
static void batch_forget(sp_pg *pg, int i)
{
	struct batch *b = &pg->batches[i];
	int n = b->rows * b->s->nparams;
	for (int k = 0; k < n; k++)
		free(b->vals[k]);
	free(b->vals);
	if (pg->last_batched == b->s)
		pg->last_batched = NULL;
	memmove(b, b + 1, sizeof(*b) * (size_t)(pg->nbatches - i - 1));
	pg->nbatches--;
}

void sp_pgw_batch_drop(sp_pg *pg)
{
	while (pg->nbatches)
		batch_forget(pg, pg->nbatches - 1);
	pg->last_batched = NULL;
}

/* Send batch i's rows (pipelined), the last one alone when last_alone, and forget the batch.
 * The COPY rows of the tables its statement names go first. 1 when sent. */
static int batch_send(sp_pg *pg, int i, int last_alone)
{
	struct batch *b = &pg->batches[i];
	sp_pg_stmt *s = b->s;
	struct upsert *u = s->ups;
	int m = b->rows - (last_alone ? 1 : 0), n = s->nparams, ok = copy_flush_named(pg, s->sql);
	if (ok && m == u->rows && !u->full[0] && (ok = sp_pgw_pipe_flush(pg))) { /* a full batch: prepared once */
		char name[24], *q = upsert_sql(u, n, m);
		snprintf(name, sizeof(name), "%s_b", s->name);
		PGresult *r = PQprepare(pg->conn, name, q, n * m, NULL);
		if ((ok = sp_pg_result_ok(pg, r)))
			snprintf(u->full, sizeof(u->full), "%s", name);
		PQclear(r);
		free(q);
	}
	const char *const *v = (const char *const *)b->vals;
	ok = ok && (PQpipelineStatus(pg->conn) != PQ_PIPELINE_OFF || PQenterPipelineMode(pg->conn));
	if (ok && m > 0 && m == u->rows) { /* its generic plan: see GENERIC */
		ok = PQsendQueryParams(pg->conn, GENERIC, 0, NULL, NULL, NULL, NULL, 0) &&
		     PQsendQueryPrepared(pg->conn, u->full, n * m, v, NULL, NULL, 0) &&
		     PQsendQueryParams(pg->conn, GENERIC_END, 0, NULL, NULL, NULL, NULL, 0);
		pg->piped += 2 * ok;
	} else if (ok && m == 1) { /* one row: the statement itself, prepared */
		ok = PQsendQueryPrepared(pg->conn, s->name, n, v, NULL, NULL, 0);
	} else if (ok && m > 0) {
		char *q = upsert_sql(u, n, m);
		ok = PQsendQueryParams(pg->conn, q, n * m, NULL, v, NULL, NULL, 0);
		free(q);
	}
	pg->piped += ok && m > 0;
	if (ok && last_alone)
		ok = PQsendQueryPrepared(pg->conn, s->name, n, v + (size_t)m * n, NULL, NULL, 0) && ++pg->piped;
	if (!ok && !pg->deferred)
		sp_pg_set_err(pg, PQerrorMessage(pg->conn));
	batch_forget(pg, i);
	if (ok && pg->piped >= PIPE_MAX)
		ok = sp_pgw_pipe_flush(pg);
	pg->deferred = !ok;
	return ok;
}

/* Every batch, in the order they were opened. */
static int batch_send_all(sp_pg *pg)
{
	int ok = 1;
	while (ok && pg->nbatches)
		ok = batch_send(pg, 0, 0);
	return ok;
}

/* The batch of statement s, or -1. */
static int batch_of(const sp_pg *pg, const sp_pg_stmt *s)
{
	for (int i = 0; i < pg->nbatches; i++)
		if (pg->batches[i].s == s)
			return i;
	return -1;
}

int sp_pgw_batch_send_stmt(sp_pg *pg, sp_pg_stmt *s)
{
	int i = batch_of(pg, s);
	return i < 0 || batch_send(pg, i, 0);
}

int sp_pgw_batch_send_last(sp_pg *pg)
{
	int i = pg->last_batched ? batch_of(pg, pg->last_batched) : -1;
	return i < 0 || batch_send(pg, i, 1);
}

/* Before a write of sql to table (NULL: unknown, e.g. an UPDATE): the other statements' batches
 * that it could see or touch, or that could see or touch its rows, are sent, in their order:
 * those of a table sql names, and those whose statement names table. */
static int batch_send_related(sp_pg *pg, const char *sql, const char *table, const sp_pg_stmt *self)
{
	for (int i = 0; i < pg->nbatches;) {
		struct batch *b = &pg->batches[i];
		if (b->s != self && (!table || names_table(sql, b->s->ups->table) || names_table(b->s->sql, table))) {
			if (!batch_send(pg, i, 0))
				return 0;
		} else {
			i++;
		}
	}
	return 1;
}

/* Keep an upsert's row; SP_DONE, or 1 (SQLite's error) when earlier writes failed. Each
 * statement has a batch of its own, so that a writer alternating two upserts (an entity and its
 * records' homes) still sends them BATCH_ROWS at a time; writes to other tables may overtake
 * them, which is the same for the rows of a transaction whose foreign keys are checked at commit,
 * as long as neither statement names the other's table (then the older batch goes first). */
int sp_pgw_batch_add(sp_pg_stmt *s)
{
	sp_pg *pg = s->pg;
	if (pg->deferred) { /* an earlier write failed: say so now */
		pg->deferred = 0;
		return 1;
	}
	struct upsert *u = s->ups;
	int n = s->nparams, ok = batch_send_related(pg, s->sql, u->table, s), i = batch_of(pg, s);
	pg->last_copy = 0;
	for (int r = 0; ok && i >= 0 && r < pg->batches[i].rows; r++) { /* the same conflict key: send first */
		int same = u->nkey > 0;
		for (int k = 0; same && k < u->nkey; k++) {
			const char *a = pg->batches[i].vals[r * n + u->key[k] - 1], *b = s->vals[u->key[k] - 1];
			same = a && b && !strcmp(a, b);
		}
		if (same && (ok = batch_send(pg, i, 0)))
			i = -1;
	}
	if (ok && i < 0 && pg->nbatches == (int)(sizeof(pg->batches) / sizeof(pg->batches[0])))
		ok = batch_send(pg, 0, 0);
	if (!ok) {
		pg->deferred = 0;
		return 1;
	}
	if (i < 0) {
		i = pg->nbatches++;
		pg->batches[i] = (struct batch){ .s = s, .vals = sp_xcalloc((size_t)(u->rows * n), sizeof(char *)) };
	}
	struct batch *b = &pg->batches[i];
	for (int k = 0; k < n; k++)
		b->vals[b->rows * n + k] = s->vals[k] ? sp_xstrdup(s->vals[k]) : NULL;
	b->rows++;
	pg->last_batched = s;
	s->started = s->done = 1;
	if (b->rows == u->rows && !batch_send(pg, i, 0)) {
		pg->deferred = 0;
		return 1;
	}
	return SP_DONE;
}

/* Statements no longer used are dropped DEALLOC_MAX at a time, in one round trip, when no
 * transaction is open (so that a failure there cannot touch one: it is ignored, the session
 * keeps the statement). */
enum { DEALLOC_MAX = 64 };

void sp_pgw_deallocate(sp_pg *pg, const char *name)
{
	sp_buf_addf(&pg->dealloc, "DEALLOCATE %s;", name);
	if (++pg->ndealloc < DEALLOC_MAX || pg->in_tx || !pg->conn || PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
		return;
	PQclear(sp_pgw_exec(pg, pg->dealloc.buf));
	sp_buf_release(&pg->dealloc);
	pg->ndealloc = 0;
}

/* PQexec after the pending writes' results (NULL when one failed: result_ok says so). */
PGresult *sp_pgw_exec(sp_pg *pg, const char *sql)
{
	return sp_pgw_exec1(pg, sql, NULL);
}

PGresult *sp_pgw_exec1(sp_pg *pg, const char *sql, const char *param)
{
	pg->last_copy = 0;
	pg->last_batched = NULL;
	if (!sp_pgw_flush(pg))
		return NULL;
	return param ? PQexecParams(pg->conn, sql, 1, NULL, &param, NULL, NULL, 0) : PQexec(pg->conn, sql);
}

/* Send a pipelined write; SP_DONE, or 1 (SQLite's error) when it cannot be sent. */
int sp_pgw_pipe_send(sp_pg_stmt *s)
{
	sp_pg *pg = s->pg;
	if (pg->deferred) { /* an earlier write failed: say so now */
		pg->deferred = 0;
		return 1;
	}
	pg->last_copy = 0;
	pg->last_batched = NULL;
	if (!batch_send_all(pg) || !copy_flush_named(pg, s->sql)) {
		pg->deferred = 0;
		return 1;
	}
	if ((PQpipelineStatus(pg->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(pg->conn)) ||
	    !PQsendQueryPrepared(pg->conn, s->name, s->nparams, (const char *const *)s->vals, NULL, NULL, 0)) {
		sp_pg_set_err(pg, PQerrorMessage(pg->conn));
		return 1;
	}
	s->started = s->done = 1;
	if (++pg->piped >= PIPE_MAX && !sp_pgw_pipe_flush(pg)) {
		pg->deferred = 0;
		return 1;
	}
	return SP_DONE;
}

/* sql is INSERT INTO t (c1, .., cn) VALUES ($1, .., $n) and nothing else: "COPY t (c1, .., cn)
 * FROM STDIN", else NULL. */
char *sp_pgw_plain_insert(const char *sql, int nparams)
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
