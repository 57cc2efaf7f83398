/*
 * inbox.c — the analysts' inbox on SQLite (contract in inbox.h).
 *
 * The file "<database>.inbox" holds one table, `pending`, made here (it is no part of the
 * database's schema and has no migrations: a column added later is added with a default). Every
 * write is one short transaction, so two analysts' commands and a run's drain never wait on each
 * other for long. All SQL on the inbox is here; what a judgement does is judgement.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/inbox.h"
#include "pipeline/run.h"

struct sp_inbox {
	sp_store *st;
	char batch[33]; /* inside sp_inbox_begin .. commit: the batch's token, given to each entry */
};

static const char inbox_schema[] =
	"CREATE TABLE IF NOT EXISTS pending ("
	"  id INTEGER PRIMARY KEY,"
	"  token TEXT NOT NULL UNIQUE,"       /* in judgement.origin once applied: 'ORIGIN inbox:TOKEN' */
	"  what TEXT NOT NULL,"               /* a judgement kind | clear (pin clear) | report */
	"  value TEXT, date TEXT, a TEXT, b TEXT, entity INTEGER, name TEXT, target INTEGER,"
	"  note TEXT, user TEXT, hub TEXT, created TEXT NOT NULL, origin TEXT,"
	"  records TEXT,"                     /* the startup's records then: encoded refs, space-separated */
	"  year INTEGER, path TEXT, csv_path TEXT, sha256 TEXT," /* report */
	"  failed TEXT,"                      /* why applying it was refused (then never applied) */
	"  as_of_run INTEGER, csv_sha256 TEXT, inputs TEXT," /* a report: its edition (reports/edition.h) */
	"  batch TEXT,"                       /* entries added in one transaction (an import): applied together */
	"  verbatim INTEGER,"                 /* 1: a row of `judgements import`, recorded verbatim */
	"  removes INTEGER);";                /* verbatim remove: the entry (of its batch) it removes */

/* Columns added to `pending` after inbox files were first made: an older file gets them (NULL). */
static const char *const inbox_added[][2] = { { "batch", "TEXT" }, { "verbatim", "INTEGER" }, { "removes", "INTEGER" } };

static int has_column(sp_store *st, const char *name)
{
	sp_buf q = SP_BUF_INIT;
	sp_buf_addf(&q, "SELECT %s FROM pending LIMIT 0", name);
	sp_stmt *s;
	sp_err e;
	int ok = sp_store_prepare(st, q.buf, &s, &e) == SP_OK;
	if (ok)
		sp_finalize(s);
	sp_buf_release(&q);
	return ok;
}

static int inbox_upgrade(sp_store *st, sp_err *err)
{
	for (size_t i = 0; i < SP_ARRAY_LEN(inbox_added); i++) {
		if (has_column(st, inbox_added[i][0]))
			continue;
		sp_buf q = SP_BUF_INIT;
		sp_buf_addf(&q, "ALTER TABLE pending ADD COLUMN %s %s", inbox_added[i][0], inbox_added[i][1]);
		int rc = sp_store_exec(st, q.buf, err);
		sp_buf_release(&q);
		if (rc != SP_OK && !has_column(st, inbox_added[i][0])) /* not added by another process meanwhile */
			return rc;
	}
	return SP_OK;
}

static char *inbox_path(const char *database)
{
	sp_buf p = SP_BUF_INIT;
	sp_buf_addf(&p, "%s.inbox", database);
	return sp_buf_detach(&p);
}

int sp_inbox_open(const char *database, sp_inbox **out, sp_err *err)
{
	*out = NULL;
	char *path = inbox_path(database);
	sp_store *st;
	int rc = sp_store_open_side(path, &st, err);
	free(path);
	if (rc == SP_OK && ((rc = sp_store_exec(st, inbox_schema, err)) != SP_OK || (rc = inbox_upgrade(st, err)) != SP_OK))
		sp_store_close(st);
	if (rc != SP_OK)
		return sp_err_prefix(err, "the analysts' inbox");
	*out = sp_xcalloc(1, sizeof(**out));
	(*out)->st = st;
	return SP_OK;
}

void sp_inbox_close(sp_inbox *ib)
{
	if (!ib)
		return;
	sp_store_close(ib->st);
	free(ib);
}

/* The inbox when its file exists (*out NULL otherwise: nothing pending). */
static int open_if_there(const char *database, sp_inbox **out, sp_err *err)
{
	*out = NULL;
	char *path = inbox_path(database);
	int there = access(path, F_OK) == 0;
	free(path);
	return there ? sp_inbox_open(database, out, err) : SP_OK;
}

/* ---------------------------------------------------------------- adding */

static void new_token(char out[33])
{
	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) { /* never on Linux >= 3.17; still unique enough */
		uint64_t x = (uint64_t)sp_now() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(sp_mono() * 1e9);
		for (size_t i = 0; i < sizeof(r); i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
			r[i] = (unsigned char)(x >> 56);
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* What one entry holds: a judgement's fields (what, records given) or a report's. */
typedef struct entry_in {
	const char *what;
	const sp_judgement *j;
	const char *records;
	const sp_report_row *r;
	int verbatim;    /* a row of an import: j->created kept, recorded verbatim */
	int64_t removes; /* a verbatim remove: the entry it removes */
} entry_in;

static void bind_judgement(sp_stmt *s, const sp_judgement *j, const char *records)
{
	sp_bind_text(s, 3, j->value);
	sp_bind_text(s, 4, j->date);
	sp_bind_text(s, 5, j->a);
	sp_bind_text(s, 6, j->b);
	if (j->entity > 0)
		sp_bind_int64(s, 7, j->entity);
	sp_bind_text(s, 8, j->name);
	if (j->target > 0)
		sp_bind_int64(s, 9, j->target);
	sp_bind_text(s, 10, j->note);
	sp_bind_text(s, 11, j->user && *j->user ? j->user : "unknown");
	sp_bind_text(s, 12, j->hub);
	sp_bind_text(s, 14, j->origin);
	sp_bind_text(s, 15, records);
}

static void bind_report(sp_stmt *s, const sp_report_row *r)
{
	sp_bind_int(s, 16, r->year);
	sp_bind_text(s, 17, r->path);
	sp_bind_text(s, 18, r->csv_path);
	sp_bind_text(s, 19, r->sha256);
	sp_bind_int64(s, 20, r->as_of_run);
	sp_bind_text(s, 21, r->csv_sha256);
	sp_bind_text(s, 22, r->inputs);
}

/* One entry (in the batch begun, if any); *id the entry. */
static int add_entry(sp_inbox *ib, const entry_in *in, int64_t *id, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(ib->st,
				  "INSERT INTO pending (token, what, value, date, a, b, entity, name, target, note, user, hub, created,"
				  " origin, records, year, path, csv_path, sha256, as_of_run, csv_sha256, inputs, batch, verbatim,"
				  " removes) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,"
				  "?23,?24,?25)",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	char token[33], now[32];
	new_token(token);
	sp_time_iso(sp_now(), now, sizeof(now));
	sp_bind_text(s, 1, token);
	sp_bind_text(s, 2, in->what);
	if (in->j)
		bind_judgement(s, in->j, in->records);
	sp_bind_text(s, 13, in->r ? in->r->created : in->verbatim ? in->j->created : now);
	if (in->r)
		bind_report(s, in->r);
	sp_bind_text(s, 23, ib->batch);
	if (in->verbatim)
		sp_bind_int(s, 24, 1);
	if (in->removes > 0)
		sp_bind_int64(s, 25, in->removes);
	rc = sp_store_step_done(ib->st, s, err);
	sp_finalize(s);
	*id = sp_store_last_id(ib->st);
	return rc == SP_OK ? SP_OK : sp_err_prefix(err, "the analysts' inbox");
}

/* The startup's records now (encoded, space-separated) and its name, read from db. */
static int startup_then(sp_store *db, int64_t entity, sp_buf *records, char **name, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "SELECT r.source || ':' || r.source_key, e.name FROM member m JOIN record r ON r.id = m.record_id"
				  " JOIN entity e ON e.id = m.entity_id WHERE m.entity_id = ?1 ORDER BY r.source, r.source_key",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, entity);
	int st;
	while ((st = sp_step(s)) == SP_ROW) {
		char *e = sp_judgement_ref_encode(sp_col_text(s, 0));
		sp_buf_addf(records, "%s%s", records->len ? " " : "", e);
		free(e);
		if (!*name && sp_col_text(s, 1))
			*name = sp_xstrdup(sp_col_text(s, 1));
	}
	if (st != SP_DONE)
		rc = sp_store_error(db, err, "reading the startup's records");
	else if (!records->len)
		rc = sp_err_set(err, SP_ENOTFOUND, "entity %lld has no records (merged, or its records are gone)", (long long)entity);
	sp_finalize(s);
	return rc;
}

/* An entry for a judgement on a startup (what: its kind, or "clear"): its records read now. */
static int add_anchored(sp_store *db, sp_inbox *ib, const char *what, const sp_judgement *j, int64_t *id, sp_err *err)
{
	sp_buf records = SP_BUF_INIT;
	char *name = NULL;
	int rc = startup_then(db, j->entity, &records, &name, err);
	if (rc == SP_OK) {
		sp_judgement k = *j;
		k.name = name;
		entry_in in = { .what = what, .j = &k, .records = records.buf };
		rc = add_entry(ib, &in, id, err);
	}
	free(name);
	sp_buf_release(&records);
	return rc;
}

int sp_inbox_record(sp_store *db, sp_inbox *ib, const sp_judgement *j, sp_judgement_out *out, sp_err *err)
{
	if (!ib)
		return sp_judgement_record(db, j, out, err);
	memset(out, 0, sizeof(*out));
	int rc = sp_judgement_check(db, j, err);
	if (rc != SP_OK)
		return rc;
	const char *what = sp_judgement_kind_names[j->kind];
	if (sp_judgement_anchored(j->kind))
		return add_anchored(db, ib, what, j, &out->pending, err);
	entry_in in = { .what = what, .j = j };
	return add_entry(ib, &in, &out->pending, err);
}

int sp_inbox_clear_pins(sp_store *db, sp_inbox *ib, int64_t entity, const sp_judgement *by, int *n, int64_t *pending,
			sp_err *err)
{
	*n = 0, *pending = 0;
	if (!ib)
		return sp_judgement_clear_pins_by(db, entity, by, n, err);
	sp_judgement k = *by;
	k.entity = entity;
	return add_anchored(db, ib, "clear", &k, pending, err);
}

int sp_inbox_add_report(sp_inbox *ib, const sp_report_row *r, sp_err *err)
{
	int64_t id;
	entry_in in = { .what = "report", .r = r };
	return add_entry(ib, &in, &id, err);
}

int sp_inbox_begin(sp_inbox *ib, sp_err *err)
{
	int rc = sp_store_begin(ib->st, err);
	if (rc != SP_OK)
		return sp_err_prefix(err, "the analysts' inbox");
	new_token(ib->batch);
	return SP_OK;
}

int sp_inbox_commit(sp_inbox *ib, sp_err *err)
{
	ib->batch[0] = '\0';
	int rc = sp_store_commit(ib->st, err);
	if (rc != SP_OK) {
		sp_store_rollback(ib->st);
		return sp_err_prefix(err, "the analysts' inbox");
	}
	return SP_OK;
}

void sp_inbox_rollback(sp_inbox *ib)
{
	if (!ib)
		return;
	ib->batch[0] = '\0';
	sp_store_rollback(ib->st);
}

/* The kind of entry id of the batch begun (NULL: none there); *what owned by the caller. */
static int batch_entry(sp_inbox *ib, int64_t id, char **what, sp_err *err)
{
	sp_stmt *s;
	*what = NULL;
	int rc = sp_store_prepare(ib->st, "SELECT what FROM pending WHERE id = ?1 AND batch = ?2", &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, id);
	sp_bind_text(s, 2, ib->batch);
	int st = sp_step(s);
	if (st == SP_ROW)
		*what = sp_xstrdup(sp_col_text(s, 0));
	else if (st != SP_DONE)
		rc = sp_store_error(ib->st, err, "reading the analysts' inbox");
	sp_finalize(s);
	return rc;
}

/* The records of j, encoded and space-separated, into b; refused when one is no SOURCE:KEY. */
static int encode_records(const sp_judgement *j, sp_buf *b, sp_err *err)
{
	for (size_t i = 0; i < j->nrecords; i++) {
		if (!strchr(j->records[i], ':'))
			return sp_err_set(err, SP_EUSAGE, "'%s' is not a record reference SOURCE:KEY", j->records[i]);
		char *e = sp_judgement_ref_encode(j->records[i]);
		sp_buf_addf(b, "%s%s", b->len ? " " : "", e);
		free(e);
	}
	return SP_OK;
}

int sp_inbox_add_verbatim(sp_inbox *ib, const sp_judgement *j, int64_t *id, sp_err *err)
{
	*id = 0;
	if (!ib->batch[0])
		return sp_err_set(err, SP_EUSAGE, "an imported judgement is queued inside sp_inbox_begin");
	if (!j->created || !*j->created || !j->user || !*j->user)
		return sp_err_set(err, SP_EUSAGE, "an imported judgement needs its user and time");
	int rc = sp_judgement_check(NULL, j, err); /* created given: its kind and value only */
	if (rc != SP_OK)
		return rc;
	if (sp_judgement_anchored(j->kind) && !j->nrecords)
		return sp_err_set(err, SP_EUSAGE, "a %s needs the records it was made on", sp_judgement_kind_names[j->kind]);
	char *what = NULL;
	if (j->kind == SP_J_REMOVE && (rc = batch_entry(ib, j->target, &what, err)) == SP_OK) {
		if (!what)
			rc = sp_err_set(err, SP_ENOTFOUND, "removes P%lld, which is no earlier entry of this import",
					(long long)j->target);
		else if (!strcmp(what, "remove"))
			rc = sp_err_set(err, SP_EUSAGE, "removes P%lld, itself a removal; record the judgement again instead",
					(long long)j->target);
	}
	free(what);
	sp_buf records = SP_BUF_INIT;
	if (rc == SP_OK)
		rc = encode_records(j, &records, err);
	if (rc == SP_OK) {
		sp_judgement k = *j;
		k.target = 0, k.entity = 0;
		entry_in in = { .what = sp_judgement_kind_names[j->kind], .j = &k, .records = records.buf, .verbatim = 1,
				.removes = j->kind == SP_J_REMOVE ? j->target : 0 };
		rc = add_entry(ib, &in, id, err);
	}
	sp_buf_release(&records);
	return rc;
}

/* ---------------------------------------------------------------- reading */

static const char *col(sp_stmt *s, int i)
{
	return sp_col_text(s, i);
}

#define ENTRY_COLS \
	"SELECT id, token, what, value, date, a, b, entity, name, target, note, user, hub, created, origin, records," \
	" year, path, csv_path, sha256, failed, as_of_run, csv_sha256, inputs, batch, verbatim, removes FROM pending"

static sp_inbox_row row_of(sp_stmt *s)
{
	sp_inbox_row r = {
		.id = sp_col_int64(s, 0), .what = col(s, 2), .value = col(s, 3), .date = col(s, 4), .a = col(s, 5),
		.b = col(s, 6), .entity = sp_col_int64(s, 7), .name = col(s, 8), .target = sp_col_int64(s, 9),
		.note = col(s, 10), .user = col(s, 11), .hub = col(s, 12), .created = col(s, 13), .origin = col(s, 14),
		.records = col(s, 15), .year = sp_col_int64(s, 16), .path = col(s, 17), .failed = col(s, 20),
		.removes = sp_col_int64(s, 26),
	};
	return r;
}

int sp_inbox_each(const char *database, int (*fn)(const sp_inbox_row *r, void *user), void *user, sp_err *err)
{
	sp_inbox *ib;
	int rc = open_if_there(database, &ib, err);
	if (rc != SP_OK || !ib)
		return rc;
	sp_stmt *s;
	if ((rc = sp_store_prepare(ib->st, ENTRY_COLS " ORDER BY id", &s, err)) == SP_OK) {
		int st, stop = 0;
		while (!stop && (st = sp_step(s)) == SP_ROW) {
			sp_inbox_row r = row_of(s);
			stop = fn(&r, user);
		}
		if (!stop && st != SP_DONE)
			rc = sp_store_error(ib->st, err, "reading the analysts' inbox");
		sp_finalize(s);
	}
	sp_inbox_close(ib);
	return rc;
}

/* ---------------------------------------------------------------- applying */

/* One entry read out of the inbox (the strings owned). */
typedef struct entry {
	int64_t id, entity, target, year, as_of_run;
	char *f[15]; /* token what value date a b name note user hub created origin records path csv_path */
	char *sha256, *csv_sha256, *inputs; /* a report's */
	char *batch;                        /* NULL: applied alone */
	int verbatim;
	int64_t removes;
} entry;

enum { E_TOKEN, E_WHAT, E_VALUE, E_DATE, E_A, E_B, E_NAME, E_NOTE, E_USER, E_HUB, E_CREATED, E_ORIGIN, E_RECORDS, E_PATH, E_CSV };

static char *dup_or_null(const char *s)
{
	return s ? sp_xstrdup(s) : NULL;
}

static void entry_free(entry *e)
{
	for (size_t i = 0; i < SP_ARRAY_LEN(e->f); i++)
		free(e->f[i]);
	free(e->sha256);
	free(e->csv_sha256);
	free(e->inputs);
	free(e->batch);
}

/* Every entry not marked failed, in order; *n of them. */
static int load_entries(sp_inbox *ib, entry **out, size_t *n, sp_err *err)
{
	sp_stmt *s;
	*out = NULL, *n = 0;
	int rc = sp_store_prepare(ib->st, ENTRY_COLS " WHERE failed IS NULL ORDER BY id", &s, err);
	if (rc != SP_OK)
		return rc;
	static const int cols[15] = { 1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15, 17, 18 };
	int st;
	while ((st = sp_step(s)) == SP_ROW) {
		*out = sp_xrealloc(*out, (*n + 1) * sizeof(**out));
		entry *e = &(*out)[(*n)++];
		memset(e, 0, sizeof(*e));
		e->id = sp_col_int64(s, 0), e->entity = sp_col_int64(s, 7), e->target = sp_col_int64(s, 9);
		e->year = sp_col_int64(s, 16);
		for (size_t i = 0; i < SP_ARRAY_LEN(cols); i++)
			e->f[i] = dup_or_null(col(s, cols[i]));
		e->sha256 = dup_or_null(col(s, 19));
		e->as_of_run = sp_col_int64(s, 21);
		e->csv_sha256 = dup_or_null(col(s, 22));
		e->inputs = dup_or_null(col(s, 23));
		e->batch = dup_or_null(col(s, 24));
		e->verbatim = sp_col_int64(s, 25) == 1;
		e->removes = sp_col_int64(s, 26);
	}
	if (st != SP_DONE)
		rc = sp_store_error(ib->st, err, "reading the analysts' inbox");
	sp_finalize(s);
	return rc;
}

/* Split the encoded records into refs (decoded); *n of them; free with free_refs. */
static char **split_records(const char *s, size_t *n)
{
	char **v = NULL;
	*n = 0;
	while (s && *s) {
		size_t k = strcspn(s, " ");
		if (k) {
			v = sp_xrealloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = sp_judgement_ref_decode(s, k);
		}
		s += k + (s[k] == ' ');
	}
	return v;
}

static void free_refs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Entries applied together: one alone, or the entries of one batch (in order); ids[i] the
 * judgement es[i] was recorded as (or matched), for the batch's removes and matches. */
typedef struct unit {
	const entry *es;
	size_t n;
	int64_t *ids;
} unit;

/* An imported row, verbatim: the file's time; a remove names the judgement of an earlier entry;
 * judgements matched by earlier entries are not matched again (judgement.h: taken). */
static void verbatim_of(const unit *u, size_t i, sp_judgement *j)
{
	const entry *e = &u->es[i];
	j->replay = 0, j->entity = 0, j->name = NULL;
	j->taken = u->ids, j->ntaken = i;
	for (size_t m = 0; m < i; m++)
		if (u->es[m].id == e->removes)
			j->target = u->ids[m];
}

/* Apply entry i of u (a judgement or a pin clear) inside the caller's transaction, with origin. */
static int apply_judgement(sp_store *db, const unit *u, size_t i, const char *origin, sp_err *err)
{
	const entry *e = &u->es[i];
	size_t nrefs;
	char **refs = split_records(e->f[E_RECORDS], &nrefs);
	sp_judgement j = {
		.value = e->f[E_VALUE], .date = e->f[E_DATE], .a = e->f[E_A], .b = e->f[E_B], .entity = e->entity,
		.records = (const char *const *)refs, .nrecords = nrefs, .target = e->target, .note = e->f[E_NOTE],
		.user = e->f[E_USER], .origin = origin, .hub = e->f[E_HUB], .created = e->f[E_CREATED], .replay = 1,
		.name = e->f[E_NAME],
	};
	if (e->verbatim)
		verbatim_of(u, i, &j);
	int rc, n;
	if (!strcmp(e->f[E_WHAT], "clear")) {
		rc = sp_judgement_clear_pins_by(db, e->entity, &j, &n, err);
	} else {
		int k = sp_judgement_kind_parse(e->f[E_WHAT]);
		sp_judgement_out out;
		j.kind = (sp_jkind)k;
		if (k < 0)
			rc = sp_err_set(err, SP_EUSAGE, "unknown entry '%s'", e->f[E_WHAT]);
		else if (e->verbatim && k == SP_J_REMOVE && !j.target)
			rc = sp_err_set(err, SP_EUSAGE, "removes P%lld, which is no earlier entry of its import", (long long)e->removes);
		else
			rc = sp_judgement_record(db, &j, &out, err);
		u->ids[i] = rc == SP_OK ? out.id : 0;
	}
	free_refs(refs, nrefs);
	return rc;
}

static void origin_of(const entry *e, sp_buf *origin)
{
	sp_buf_reset(origin);
	sp_buf_addf(origin, "%s%sinbox:%s", e->f[E_ORIGIN] ? e->f[E_ORIGIN] : "", e->f[E_ORIGIN] ? " " : "", e->f[E_TOKEN]);
}

/* *seen = 1 when a token of u is in the database: u was applied (in one transaction) already. */
static int unit_seen(sp_store *db, const unit *u, int *seen, sp_err *err)
{
	sp_buf origin = SP_BUF_INIT;
	int rc = SP_OK;
	*seen = 0;
	for (size_t i = 0; rc == SP_OK && !*seen && i < u->n; i++) {
		origin_of(&u->es[i], &origin);
		rc = sp_judgement_origin_seen(db, origin.buf, seen, err);
	}
	sp_buf_release(&origin);
	return rc;
}

/* Apply u in one transaction of db: skipped when it was applied already. */
static int apply_unit(sp_store *db, const unit *u, sp_err *err)
{
	const entry *e = &u->es[0];
	if (!strcmp(e->f[E_WHAT], "report")) { /* never in a batch */
		sp_report_row r = { .year = (int)e->year, .path = e->f[E_PATH], .csv_path = e->f[E_CSV], .sha256 = e->sha256,
				    .created = e->f[E_CREATED], .as_of_run = e->as_of_run, .csv_sha256 = e->csv_sha256,
				    .inputs = e->inputs };
		return sp_report_row_write(db, &r, 1, err);
	}
	int rc = sp_store_begin(db, err), seen = 0;
	if (rc == SP_OK)
		rc = unit_seen(db, u, &seen, err);
	sp_buf origin = SP_BUF_INIT;
	for (size_t i = 0; rc == SP_OK && !seen && i < u->n; i++) {
		origin_of(&u->es[i], &origin);
		if ((rc = apply_judgement(db, u, i, origin.buf, err)) != SP_OK && u->n > 1 && rc != SP_EDB && rc != SP_ENOMEM)
			sp_err_prefix(err, "entry P%lld of an import of %zu", (long long)u->es[i].id, u->n);
	}
	sp_buf_release(&origin);
	if (rc == SP_OK)
		rc = sp_store_commit(db, err);
	if (rc != SP_OK)
		sp_store_rollback(db);
	return rc;
}

/* The entries of u leave the inbox (applied), or stay marked failed, in one transaction. */
static int unit_done(sp_inbox *ib, const unit *u, const char *failed, sp_err *err)
{
	sp_stmt *s = NULL;
	int rc = sp_store_begin(ib->st, err);
	if (rc == SP_OK)
		rc = sp_store_prepare(ib->st, failed ? "UPDATE pending SET failed = ?2 WHERE id = ?1" : "DELETE FROM pending WHERE id = ?1",
				      &s, err);
	for (size_t i = 0; rc == SP_OK && i < u->n; i++) {
		sp_bind_int64(s, 1, u->es[i].id);
		if (failed)
			sp_bind_text(s, 2, failed);
		rc = sp_store_step_done(ib->st, s, err);
	}
	if (s)
		sp_finalize(s);
	if (rc == SP_OK)
		rc = sp_store_commit(ib->st, err);
	if (rc != SP_OK)
		sp_store_rollback(ib->st);
	return rc;
}

/* The entries from es[i] applied together: es[i] alone, or every entry of its batch. */
static size_t unit_len(const entry *es, size_t i, size_t n)
{
	size_t k = 1;
	while (es[i].batch && i + k < n && es[i + k].batch && !strcmp(es[i].batch, es[i + k].batch))
		k++;
	return k;
}

int sp_inbox_drain(const char *database, sp_store *db, sp_inbox_drained *out, sp_err *err)
{
	memset(out, 0, sizeof(*out));
	sp_inbox *ib;
	entry *es = NULL;
	size_t n = 0;
	int rc = open_if_there(database, &ib, err);
	if (rc != SP_OK || !ib)
		return rc;
	rc = load_entries(ib, &es, &n, err);
	for (size_t i = 0; rc == SP_OK && i < n;) {
		sp_err e;
		unit u = { .es = es + i, .n = unit_len(es, i, n) };
		u.ids = sp_xcalloc(u.n, sizeof(*u.ids));
		int arc = apply_unit(db, &u, &e);
		free(u.ids);
		if (arc == SP_EDB || arc == SP_ENOMEM) { /* the database, not the entry: stop, keep it */
			*err = e;
			rc = arc;
			break;
		}
		sp_test_stall("drain");
		if (arc == SP_OK)
			out->applied += (int)u.n;
		else
			out->failed += (int)u.n;
		rc = unit_done(ib, &u, arc == SP_OK ? NULL : e.msg, err);
		i += u.n;
	}
	for (size_t i = 0; i < n; i++)
		entry_free(&es[i]);
	free(es);
	sp_inbox_close(ib);
	return rc == SP_OK ? SP_OK : sp_err_prefix(err, "applying the analysts' inbox");
}
