/*
 * store_pg.c — the PostgreSQL backend (libpq): connection, schema, statements, the run lock.
 * See store_pg.h; the SQL translation is store_pg_sql.c, the writes of a transaction (sent
 * without waiting) store_pg_write.c; with store_pg_int.h, the only files including libpq-fe.h.
 *
 * Invariants: one statement's rows at a time are read from a PGresult the statement owns; a
 * SELECT without parameters reads through a WITH HOLD cursor (it survives the caller's commits,
 * and any other statement may run between two fetches); a rollback ends the cursors declared in
 * its transaction, so a statement remembers the rollback count it declared under and closes its
 * cursor only when no rollback came since.
 */
#include "core/store_pg_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/store.h"

enum { FETCH_ROWS = 1000 };
#define LOCK_KEY "1936747371, 1" /* the run lock: 'spar', 1 (advisory locks are per database) */


void sp_pg_set_err(sp_pg *pg, const char *msg)
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

int64_t sp_pg_changes(sp_pg *pg)
{
	if (pg->last_batched) { /* the last row alone, for its own count, read last (other batches wait) */
		sp_pgw_batch_send_last(pg);
		sp_pgw_pipe_flush(pg); /* a failure is reported by the next call */
		return pg->changes;
	}
	sp_pgw_flush(pg); /* a failure is reported by the next call */
	return pg->last_copy ? 1 : pg->changes;
}

/* A result's status is ok: keep its changed-row count; else keep its message. */
int sp_pg_result_ok(sp_pg *pg, PGresult *r)
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
		sp_pg_set_err(pg, r ? PQresultErrorMessage(r) : PQerrorMessage(pg->conn));
	return 0;
}

/* Run sql (no parameters, maybe several statements); 1 when it went well. */
static int run(sp_pg *pg, const char *sql)
{
	PGresult *r = sp_pgw_exec(pg, sql);
	int ok = sp_pg_result_ok(pg, r);
	PQclear(r);
	return ok;
}

int sp_pg_exec(sp_pg *pg, const char *sql, sp_err *err)
{
	char *q = sp_pg_translate(sql, NULL);
	int begin = !strncmp(q, "BEGIN", 5) && q[5 + strspn(q + 5, " ;")] == '\0';
	/* a transaction (sp_store_begin) sees one snapshot: what analysts commit meanwhile waits
	 * for the next run; foreign keys are checked at commit (the plain inserts' COPY comes later) */
	int ok = run(pg, begin ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : q);
	if (ok && begin) {
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
	sp_pgw_batch_drop(pg);
	sp_pgw_flush(pg);
	pg->deferred = 0;
	if (PQtransactionStatus(pg->conn) != PQTRANS_IDLE) {
		PQclear(PQexec(pg->conn, "ROLLBACK"));
		pg->rollbacks++;
	}
	pg->in_tx = 0;
}

/* The id the last INSERT was given: its table's sequence in this session (writes of different
 * tables may reach the server in another order: store_pg_write.c), else lastval(). */
int64_t sp_pg_last_id(sp_pg *pg)
{
	PGresult *r = pg->last_table[0]
			      ? sp_pgw_exec1(pg, "SELECT currval(pg_get_serial_sequence($1, 'id'))", pg->last_table)
			      : sp_pgw_exec(pg, "SELECT lastval()");
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

/* How parameter k is used in sql: *uses occurrences, *is_tests of them "$k IS [NOT] NULL",
 * *first_is when the first is one (the server cannot type a parameter first met there). */
static void param_uses(const char *sql, int k, int *uses, int *is_tests, int *first_is)
{
	char ref[16];
	snprintf(ref, sizeof(ref), "$%d", k);
	size_t n = strlen(ref);
	*uses = *is_tests = *first_is = 0;
	for (const char *p = sql; (p = strstr(p, ref)); p += n) {
		if (isdigit((unsigned char)p[n]))
			continue;
		const char *q = p + n + strspn(p + n, " ");
		int is = !strncasecmp(q, "IS ", 3);
		q += is ? 3 + strspn(q + 3, " ") : 0;
		if (is && !strncasecmp(q, "NOT ", 4))
			q += 4 + strspn(q + 4, " ");
		is = is && !strncasecmp(q, "NULL", 4) && !isalnum((unsigned char)q[4]);
		*first_is |= !*uses && is;
		(*uses)++;
		*is_tests += is;
	}
}

/* Prepare the statement. A parameter never used, or used only in IS [NOT] NULL tests, is typed
 * text; one the server still cannot type (first met in such a test, used again after) is typed
 * text on a retry, inside a savepoint when a transaction is open (a failed prepare aborts it). */
static int prepare_typed(sp_pg_stmt *s)
{
	sp_pg *pg = s->pg;
	Oid *types = s->nparams ? sp_xcalloc((size_t)s->nparams, sizeof(Oid)) : NULL;
	int risky = 0;
	for (int i = 0; i < s->nparams; i++) {
		int uses, is_tests, first_is;
		param_uses(s->sql, i + 1, &uses, &is_tests, &first_is);
		if (uses == is_tests)
			types[i] = 25; /* text */
		else
			risky |= first_is;
	}
	int ok = sp_pgw_flush(pg), save = ok && risky && pg->in_tx;
	if (save)
		ok = run(pg, "SAVEPOINT sp_prepare");
	for (int tries = 0; ok && tries <= s->nparams; tries++) {
		PGresult *r = PQprepare(pg->conn, s->name, s->sql, s->nparams, types);
		int done = sp_pg_result_ok(pg, r);
		PQclear(r);
		if (done)
			break;
		const char *m = strstr(pg->errmsg, "could not determine data type of parameter $");
		int k = m ? atoi(m + strlen("could not determine data type of parameter $")) : 0;
		if (k < 1 || k > s->nparams || types[k - 1] || (save && !run(pg, "ROLLBACK TO SAVEPOINT sp_prepare")))
			ok = 0;
		else
			types[k - 1] = 25;
	}
	if (save && ok)
		ok = run(pg, "RELEASE SAVEPOINT sp_prepare");
	free(types);
	return ok;
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
	s->copy_sql = s->pipe ? sp_pgw_plain_insert(s->sql, s->nparams) : NULL;
	s->ups = s->pipe && !s->copy_sql ? sp_pgw_upsert_parse(s->sql, s->nparams) : NULL;
	if (sscanf(s->sql, " INSERT INTO %63[A-Za-z0-9_\"]", s->insert_table) != 1)
		s->insert_table[0] = '\0';
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
			s->noop = 1; /* nothing to deallocate */
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
	PGresult *r = sp_pgw_exec(s->pg, q.buf);
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
	PQclear(sp_pgw_exec(s->pg, q));
}

static PGresult *cursor_fetch(sp_pg_stmt *s)
{
	char q[64];
	snprintf(q, sizeof(q), "FETCH %d FROM %s", FETCH_ROWS, s->cursor);
	return sp_pgw_exec(s->pg, q);
}

/* The first step: run the statement, or open its cursor. */
static int start(sp_pg_stmt *s)
{
	s->started = 1;
	s->pg->last_copy = 0;
	s->pg->last_batched = NULL;
	s->row = -1;
	if (s->use_cursor)
		s->res = cursor_open(s);
	else
		s->res = !sp_pgw_flush(s->pg) ? NULL : PQexecPrepared(s->pg->conn, s->name, s->nparams, (const char *const *)s->vals, NULL, NULL, 0);
	if (!sp_pg_result_ok(s->pg, s->res)) {
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
	if (!s->started && s->insert_table[0])
		snprintf(s->pg->last_table, sizeof(s->pg->last_table), "%s", s->insert_table);
	if (!s->started && s->copy_sql && s->pg->in_tx)
		return sp_pgw_copy_add(s);
	if (!s->started && s->ups && s->pg->in_tx)
		return sp_pgw_batch_add(s);
	if (!s->started && s->pipe && s->pg->in_tx)
		return sp_pgw_pipe_send(s);
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
	if (!sp_pg_result_ok(s->pg, s->res)) {
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
	sp_pgw_batch_send_stmt(s->pg, s); /* a failure is reported by the next call */
	sp_pg_reset(s);
	if (!s->noop)
		sp_pgw_deallocate(s->pg, s->name);
	for (int i = 0; i < s->nparams; i++)
		free(s->vals[i]);
	free(s->vals);
	free(s->lens);
	free(s->sql);
	free(s->copy_sql);
	sp_pgw_upsert_free(s->pg, s->ups);
	free(s);
}

int sp_pg_col_count(sp_pg_stmt *s)
{
	if (s->res)
		return PQnfields(s->res);
	if (s->noop)
		return 0;
	PGresult *d = sp_pgw_flush(s->pg) ? PQdescribePrepared(s->pg->conn, s->name) : NULL;
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
	PGresult *r = sp_pgw_exec(pg, "SELECT version FROM sparker_schema");
	int ok = sp_pg_result_ok(pg, r);
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
		char next[24];
		snprintf(next, sizeof(next), "%lld", (long long)v + 1);
		PGresult *r = NULL;
		int ok = run(pg, ddl) &&
			 sp_pg_result_ok(pg, r = sp_pgw_exec1(pg, "UPDATE sparker_schema SET version = $1::bigint", next)) &&
			 run(pg, "COMMIT");
		PQclear(r);
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
		sp_pg_set_err(pg, PQerrorMessage(pg->conn));
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
	sp_pgw_batch_drop(pg);
	sp_buf_release(&pg->dealloc);
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
