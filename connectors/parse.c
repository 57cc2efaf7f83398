/*
 * parse.c — the parse stage: the current raw snapshot of a source -> record, reject, parse_stat,
 * unless a quality gate holds it back (gate.h, gate_hold).
 *
 * What it does, per source (see the contract in docs/HACKING.md):
 *   1. picks the snapshot current at ctx->as_of (normally source_state.last_good_fetch; see
 *      find_snapshot), or with ctx->accept (`sparker accept`) the snapshot the gates hold
 *      (find_held); checks the freshness gate max_age_days; does nothing (note "unchanged") when
 *      the snapshot equals parsed_fetch unless ctx->force, and nothing (note "nothing fetched")
 *      without a snapshot;
 *   2. opens the file (raw_dir/fetch.path) with the connector of the source's format
 *      (registry.c), before taking the write lock;
 *   3. in ONE transaction (BEGIN IMMEDIATE ... COMMIT), parse_apply: counts the source's live
 *      records; deletes that fetch's old reject rows; pulls every row; applies the pushdown filter
 *      (filter.h; out-of-scope rows are counted, not stored); upserts in-scope records on (source,
 *      source_key) with first_seen = as_of on first sight, last_seen = as_of, gone = 0,
 *      fetch_id/line of this file and a content hash; stores rejects; counts the live records the
 *      file lacks (for mode = snapshot this includes records still in the file but now out of
 *      scope, e.g. dissolved);
 *   4. checks the gates on those counts (rows, rejected, would be gone; gate.h), unless
 *      ctx->accept. Passed: marks those records gone = 1 (mode = snapshot), replaces parse_stat of
 *      the fetch, sets source_state.parsed_fetch, drops the source's hold, commits. Failed: rolls
 *      the whole transaction back (no record changed, nothing gone, parsed_fetch unchanged: the
 *      previous snapshot stays live), records the hold in gate_hold, keeps the file's rejects (a
 *      second pass that stores rejects only) and fails with SP_EGATE and the gate's message.
 *   mode = delta (a connector with full_file: gleif, json): step 1 picks the oldest stored fetch
 *   after parsed_fetch, and sp_stage_parse repeats until every one is applied, in order (forward
 *   only: a backfill to a date before parsed_fetch re-checks the scope, it does not rewind). A
 *   full file is applied as a snapshot; a delta file upserts the records it lists and marks
 *   nothing gone (the gates without min_rows and max_gone_pct). `accept` applies the held file
 *   only; the next run applies the files after it.
 *   A news feed (`kind = news`, feed.c) stores its items in news_item instead (upserted on
 *   (source, item key), never gone: pipeline/mention.c attaches them to startups) and holds no
 *   records: any the source had are marked gone. A directory feed whose item titles mostly read
 *   like headlines (six words or more) says so in the note.
 *   A file the connector cannot read (a garbage file) is held the same way ("unreadable") and
 *   fails with the connector's code. A kill, an error or a stop request (core/stop.h, looked at
 *   after every row: SP_EINTERRUPTED) at any point leaves the previous committed state (rollback).
 *
 * Speed: the connector runs ahead in the pump's thread (pump.h: reading, tokenizing, the checks
 * and the filter) while this thread stores; statements are prepared once per call and reused;
 * text is bound without a copy (sp_bind_static) from the record's buffers (no per-row allocation); a row whose key
 * already exists with the same content hash is refreshed with a narrow UPDATE instead of the full
 * upsert. Duplicate keys inside one file: the last row wins, by line number, not by arrival: the
 * CSV reader may hand out the rows of a big file's two halves interleaved (csv_reader.h), so a row
 * only replaces a record already written by the same fetch when its line is not smaller (equal: a
 * forced re-parse of the fetch). Memory is flat: the file is streamed, never loaded, also when it
 * is measured and rolled back.
 *
 * Guards: the gates (gate.h; a snapshot whose every row is rejected always fails, and so does one
 * without data rows that would mark a source's every record gone); at most `max_rejects_stored`
 * (100000) reject rows are stored per fetch, while parse_stat and the counts keep the true total.
 *
 * Counts: c->in = data rows read (stored + out of scope + rejected), c->out = rows written (0 when
 * held), c->rejected = rejected rows; the note ends with the connector's note about the file when
 * it has one ("; file is not UTF-8; read as windows-1252"). The source's `country` key fills
 * records without a country.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "connectors/filter.h"
#include "connectors/gate.h"
#include "connectors/scope.h"
#include "core/progress.h"
#include "core/stop.h"
#include "connectors/pump.h"
#include "pipeline/stage.h"

/* The parse keys of every [source]: country also fills records in normalise (and sirene's default). */
const sp_config_key sp_parse_keys[] = {
	{ "source *", "country", SP_KEY_STRING, .flags = 0 },
	{ "source *", "max_rejects_stored", SP_KEY_INT, .def = "100000", .min = 0, .max = SP_KEY_ANY },
	{ "source *", "parse_thread", SP_KEY_BOOL, .def = "yes" },
	{ 0 },
};

typedef struct parse_sql {
	sp_stmt *upsert, *touch, *reject, *del_reject, *news;
} parse_sql;

static const char SQL_UPSERT[] =
	"INSERT INTO record(source, source_key, fetch_id, line, first_seen, last_seen, gone, hash,"
	" name, legal_form, other_names, country, city, postcode, website, founded, status, description,"
	" categories, codes, code_system, regnum, lei, ra_id, ra_entity_id, published)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
	" ?19, ?20, ?21, ?22, ?23, ?24)"
	" ON CONFLICT(source, source_key) DO UPDATE SET fetch_id = excluded.fetch_id, line = excluded.line,"
	" last_seen = excluded.last_seen, gone = 0, hash = excluded.hash, name = excluded.name,"
	" legal_form = excluded.legal_form, other_names = excluded.other_names, country = excluded.country,"
	" city = excluded.city, postcode = excluded.postcode, website = excluded.website,"
	" founded = excluded.founded, status = excluded.status, description = excluded.description,"
	" categories = excluded.categories, codes = excluded.codes, code_system = excluded.code_system,"
	" regnum = excluded.regnum, lei = excluded.lei, ra_id = excluded.ra_id,"
	" ra_entity_id = excluded.ra_entity_id, published = excluded.published"
	" WHERE record.fetch_id IS NOT excluded.fetch_id OR excluded.line >= record.line";

static const char SQL_TOUCH[] =
	"UPDATE record SET fetch_id = ?3, line = ?4, last_seen = ?5, gone = 0"
	" WHERE source = ?1 AND source_key = ?2 AND hash = ?6 AND (fetch_id IS NOT ?3 OR line <= ?4)";

/* A news feed's item (kind = news): never a record; kept in news_item for pipeline/mention.c. */
static const char SQL_NEWS[] =
	"INSERT INTO news_item(source, item_key, fetch_id, line, first_seen, last_seen, title, url, published,"
	" snippet, categories) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10)"
	" ON CONFLICT(source, item_key) DO UPDATE SET fetch_id = excluded.fetch_id, line = excluded.line,"
	" last_seen = excluded.last_seen, title = excluded.title, url = excluded.url, published = excluded.published,"
	" snippet = excluded.snippet, categories = excluded.categories";

static void sql_free(parse_sql *q)
{
	sp_finalize(q->news);
	sp_finalize(q->upsert);
	sp_finalize(q->touch);
	sp_finalize(q->reject);
	sp_finalize(q->del_reject);
	memset(q, 0, sizeof(*q));
}

static int sql_prepare(sp_store *st, parse_sql *q, sp_err *err)
{
	if (sp_store_prepare(st, SQL_UPSERT, &q->upsert, err) != SP_OK ||
	    sp_store_prepare(st, SQL_TOUCH, &q->touch, err) != SP_OK ||
	    sp_store_prepare(st, "INSERT INTO reject(run_id, source, fetch_id, line, reason, excerpt)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &q->reject, err) != SP_OK ||
	    sp_store_prepare(st, "DELETE FROM reject WHERE source = ?1 AND fetch_id = ?2", &q->del_reject, err) != SP_OK ||
	    sp_store_prepare(st, SQL_NEWS, &q->news, err) != SP_OK)
		return SP_EDB;
	return SP_OK;
}

/* Bind text from a buffer that outlives the step; empty binds NULL. */
static void bind_buf(sp_stmt *s, int i, const sp_buf *b)
{
	if (b->len)
		sp_bind_static(s, i, b->buf, (int)b->len);
	else
		sp_bind_null(s, i);
}

/* FNV-1a 64 over the fields (with their index), as 16 hex digits. */
static void record_hash(const sp_record *r, char out[17])
{
	uint64_t h = 1469598103934665603ULL;
	for (int f = 0; f < SP_F__COUNT; f++) {
		const unsigned char *p = (const unsigned char *)r->f[f].buf;
		for (size_t i = 0; i < r->f[f].len; i++) {
			h ^= p[i];
			h *= 1099511628211ULL;
		}
		h ^= (uint64_t)(0x100 + f);
		h *= 1099511628211ULL;
	}
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--, h >>= 4)
		out[i] = hex[h & 15];
	out[16] = 0;
}

static int step_done(sp_store *st, sp_stmt *s, sp_err *err, const char *what)
{
	int rc = sp_step(s);
	sp_reset(s);
	if (rc != SP_DONE)
		return sp_store_error(st, err, what);
	return SP_OK;
}

static int store_record(sp_store *st, parse_sql *q, const sp_source *src, int64_t fetch_id, const char *as_of,
			const sp_record *r, int try_touch, sp_err *err)
{
	char hash[17];
	record_hash(r, hash);
	if (try_touch) {
		sp_stmt *s = q->touch;
		sp_bind_static(s, 1, src->name, -1);
		bind_buf(s, 2, &r->f[SP_F_KEY]);
		sp_bind_int64(s, 3, fetch_id);
		sp_bind_int64(s, 4, r->line);
		sp_bind_static(s, 5, as_of, -1);
		sp_bind_static(s, 6, hash, 16);
		if (step_done(st, s, err, "parse: refresh record") != SP_OK)
			return SP_EDB;
		if (sp_store_changes(st) > 0)
			return SP_OK;
	}
	sp_stmt *s = q->upsert;
	sp_bind_static(s, 1, src->name, -1);
	bind_buf(s, 2, &r->f[SP_F_KEY]);
	sp_bind_int64(s, 3, fetch_id);
	sp_bind_int64(s, 4, r->line);
	sp_bind_static(s, 5, as_of, -1);
	sp_bind_static(s, 6, hash, 16);
	for (int f = SP_F_NAME; f < SP_F__COUNT; f++)
		bind_buf(s, 7 + (f - SP_F_NAME), &r->f[f]);
	return step_done(st, s, err, "parse: store record");
}

/* A news item: title, the item's link (its website field holds it only with link_is_website, so
 * the key when it is a URL), the publication day when it reads, the summary. */
static int store_news(sp_store *st, parse_sql *q, const sp_source *src, int64_t fetch_id, const char *as_of,
		      sp_date_order order, const sp_record *r, sp_err *err)
{
	sp_stmt *s = q->news;
	char day[SP_DATE_ISO_SIZE] = "";
	sp_date_parse(sp_record_get(r, SP_F_PUBLISHED), order, day, sizeof(day));
	const sp_buf *url = r->f[SP_F_WEBSITE].len ? &r->f[SP_F_WEBSITE] : &r->f[SP_F_KEY];
	sp_bind_static(s, 1, src->name, -1);
	bind_buf(s, 2, &r->f[SP_F_KEY]);
	sp_bind_int64(s, 3, fetch_id);
	sp_bind_int64(s, 4, r->line);
	sp_bind_static(s, 5, as_of, -1);
	bind_buf(s, 6, &r->f[SP_F_NAME]);
	if (url->len > 8 && (!strncmp(url->buf, "http://", 7) || !strncmp(url->buf, "https://", 8)))
		bind_buf(s, 7, url);
	else
		sp_bind_null(s, 7);
	if (strlen(day) == 10)
		sp_bind_textn(s, 8, day, -1);
	else
		sp_bind_null(s, 8);
	bind_buf(s, 9, &r->f[SP_F_DESCRIPTION]);
	bind_buf(s, 10, &r->f[SP_F_CATEGORIES]);
	return step_done(st, s, err, "parse: store news item");
}

/* A name of six words or more reads like a headline, not a company (the directory-or-news hint). */
static int headline_like(const sp_buf *name)
{
	int words = 0, in = 0;
	for (size_t i = 0; i < name->len; i++) {
		int sp = name->buf[i] == ' ';
		words += !sp && !in;
		in = !sp;
	}
	return words >= 6;
}

static int store_reject(sp_store *st, parse_sql *q, sp_ctx *ctx, const sp_source *src, int64_t fetch_id,
			const sp_record *r, sp_err *err)
{
	sp_stmt *s = q->reject;
	sp_bind_int64(s, 1, ctx->run_id);
	sp_bind_static(s, 2, src->name, -1);
	sp_bind_int64(s, 3, fetch_id);
	sp_bind_int64(s, 4, r->line);
	if (r->reject_reason.len)
		bind_buf(s, 5, &r->reject_reason);
	else
		sp_bind_static(s, 5, "rejected", -1);
	bind_buf(s, 6, &r->excerpt);
	return step_done(st, s, err, "parse: store reject");
}

/* Absolute path of a fetch's file in the raw store (NULL when it has none). */
static int fetch_path(sp_ctx *ctx, int64_t fetch_id, char **path)
{
	sp_stmt *s;
	*path = NULL;
	if (sp_store_prepare(ctx->db, "SELECT path FROM fetch WHERE id = ?1", &s, ctx->err) != SP_OK)
		return SP_EDB;
	sp_bind_int64(s, 1, fetch_id);
	int rc = sp_step(s);
	if (rc == SP_ROW) {
		const char *p = sp_col_text(s, 0);
		if (p && *p) {
			sp_buf b = SP_BUF_INIT;
			if (p[0] == '/')
				sp_buf_adds(&b, p);
			else
				sp_buf_addf(&b, "%s/%s", ctx->cfg->raw_dir, p);
			*path = sp_buf_detach(&b);
		}
	} else if (rc != SP_DONE) {
		sp_finalize(s);
		return sp_store_error(ctx->db, ctx->err, "parse: read fetch");
	}
	sp_finalize(s);
	return SP_OK;
}

/* The current snapshot of the source (fetch id, 0 = none), the one applied last, and its path. */
static int find_snapshot(sp_ctx *ctx, const sp_source *src, int64_t *fetch_id, int64_t *parsed, char **path,
			 char **parsed_filter)
{
	sp_stmt *s;
	*fetch_id = 0;
	*parsed = 0;
	*path = NULL;
	*parsed_filter = NULL;
	/*
	 * The snapshot current at the run's logical date: the newest stored ('new') fetch made by a
	 * run whose as_of is not after ours. For a nightly run that is last_good_fetch; for a
	 * backfill of a past date it is the snapshot that was current then. Without such a fetch
	 * (a date before any fetch of this run history), last_good_fetch.
	 */
	/* mode = delta: every file counts, in order: the oldest stored fetch after the one applied
	 * last (then the next, sp_stage_parse loops), else the one applied last */
	static const char sql_delta[] =
		"SELECT COALESCE((SELECT f2.id FROM fetch f2 JOIN run r ON r.id = f2.run_id"
		"                 WHERE f2.source = ?1 AND f2.status = 'new' AND r.as_of <= ?2"
		"                 AND f2.id > COALESCE(s.parsed_fetch, 0) ORDER BY f2.id LIMIT 1),"
		" s.parsed_fetch, s.last_good_fetch), s.parsed_fetch, s.parsed_filter FROM source_state s WHERE s.source = ?1";
	if (sp_store_prepare(ctx->db, src->mode == SP_MODE_DELTA ? sql_delta :
			     "SELECT COALESCE((SELECT f2.id FROM fetch f2 JOIN run r ON r.id = f2.run_id"
			     "                 WHERE f2.source = ?1 AND f2.status = 'new' AND r.as_of <= ?2"
			     "                 ORDER BY r.as_of DESC, f2.id DESC LIMIT 1), s.last_good_fetch),"
			     " s.parsed_fetch, s.parsed_filter FROM source_state s WHERE s.source = ?1", &s, ctx->err) != SP_OK)
		return SP_EDB;
	sp_bind_static(s, 1, src->name, -1);
	sp_bind_static(s, 2, ctx->as_of, -1);
	int rc = sp_step(s);
	if (rc == SP_ROW) {
		*fetch_id = sp_col_int64(s, 0);
		*parsed = sp_col_int64(s, 1);
		const char *pf = sp_col_text(s, 2);
		*parsed_filter = sp_xstrdup(pf ? pf : "");
	} else if (rc != SP_DONE) {
		sp_finalize(s);
		return sp_store_error(ctx->db, ctx->err, "parse: read source_state");
	}
	sp_finalize(s);
	return *fetch_id ? fetch_path(ctx, *fetch_id, path) : SP_OK;
}

/* `sparker accept`: the snapshot the gates hold for the source instead of the current one. */
static int find_held(sp_ctx *ctx, const sp_source *src, int64_t *fetch_id, int64_t *parsed, char **path)
{
	sp_gate_hold h;
	*path = NULL;
	int rc = sp_gate_hold_get(ctx->db, src->name, &h, ctx->err);
	if (rc == SP_OK && !h.fetch_id)
		rc = sp_err_set(ctx->err, SP_ENOTFOUND, "source %s: no snapshot held to accept (gate %s: %s)", src->name,
				h.gate, h.message);
	if (rc != SP_OK)
		return rc;
	*fetch_id = h.fetch_id;
	if ((rc = sp_store_int(ctx->db, "SELECT COALESCE(parsed_fetch, 0) FROM source_state WHERE source = ?1", parsed,
			       ctx->err, src->name)) == SP_ENOTFOUND)
		*parsed = 0;
	else if (rc != SP_OK)
		return rc;
	return fetch_path(ctx, *fetch_id, path);
}

typedef struct parse_tally {
	int news;               /* a kind = news feed: items go to news_item, the source holds no records */
	int snapshot;           /* the file is the whole source: what it lacks is gone (mode = snapshot, or
	                         * a full file of mode = delta) */
	int delta;              /* a delta file of mode = delta: upserts only, nothing gone, no min_rows */
	int64_t before, added;  /* the source's records before; how many are new (a delta's new LEIs) */
	int64_t headlines;      /* a directory feed's items whose title reads like a headline */
	int64_t read, stored, out_of_scope, rejected;
	int64_t live, gone; /* the source's live records in scope before; how many are (or would be) marked gone */
	sp_scope_counts scope; /* stored records that left or re-entered the scope (scope.h) */
} parse_tally;

/* Step 3a: pull every row of the file; store its rejects and, unless rejects_only, its in-scope
 * records. */
static int parse_rows(sp_ctx *ctx, const sp_source *src, const sp_connector *conn, sp_parser *p,
		      const sp_filter *flt, int64_t fetch_id, int rejects_only, parse_tally *t)
{
	sp_store *st = ctx->db;
	sp_err *err = ctx->err;
	parse_sql q = { 0 };
	sp_pump *pm = NULL;
	const char *dcountry = sp_config_str(ctx->cfg, src->section, sp_parse_keys, "country");
	int64_t max_rejects = sp_config_int(ctx->cfg, src->section, sp_parse_keys, "max_rejects_stored");
	sp_date_order order = sp_date_order_config(ctx->cfg, src->section, NULL);
	int rc = sql_prepare(st, &q, err);
	if (rc != SP_OK)
		goto out;
	/* existing records: try the cheap refresh first */
	int64_t existing = 0;
	rc = sp_store_int(st, "SELECT EXISTS(SELECT 1 FROM record WHERE source = ?1)", &existing, err, src->name);
	if (rc != SP_OK)
		goto out;
	/* the refresh needs each write's count at once: free on SQLite, a round trip per row on a
	 * server (store.h), where the upsert alone leaves the same row */
	int touch = existing != 0 && sp_store_cheap_changes(st);
	sp_bind_static(q.del_reject, 1, src->name, -1);
	sp_bind_int64(q.del_reject, 2, fetch_id);
	if ((rc = step_done(st, q.del_reject, err, "parse: clear rejects")) != SP_OK)
		goto out;
	/* the connector, the key/name checks and the filter run in the pump's thread (pump.h) */
	int threaded = sp_config_bool(ctx->cfg, src->section, sp_parse_keys, "parse_thread");
	if ((rc = sp_pump_start(&pm, conn, p, flt, threaded, err)) != SP_OK)
		goto out;
	int64_t expect = 0; /* the rows of the source's last parsed file: the total the progress line shows */
	sp_err perr;
	if (sp_progress_enabled())
		sp_store_int(st, "SELECT COALESCE((SELECT rows_read FROM parse_stat WHERE source = ?1 ORDER BY fetch_id DESC"
			     " LIMIT 1), 0)", &expect, &perr, src->name);
	sp_progress_start(src->name, expect, "rows");
	int64_t next_progress = 0x10000;
	for (;;) {
		sp_record *rec;
		int64_t dropped = 0;
		rc = sp_pump_next(pm, &rec, &dropped, err);
		t->out_of_scope += dropped;
		t->read += dropped;
		if (rc == SP_EOF) {
			rc = SP_OK;
			break;
		}
		if (rc < 0)
			goto out;
		t->read++;
		if (sp_stop_requested()) { /* the caller rolls the file's transaction back */
			rc = sp_stop_err(err);
			goto out;
		}
		if (t->read >= next_progress) {
			sp_progress_update(t->read);
			next_progress = t->read + 0x10000;
		}
		if (rc == SP_REJECT) {
			t->rejected++;
			if (t->rejected <= max_rejects &&
			    (rc = store_reject(st, &q, ctx, src, fetch_id, rec, err)) != SP_OK)
				goto out;
			rc = SP_OK;
			continue;
		}
		if (rejects_only)
			continue;
		if (t->news) {
			if ((rc = store_news(st, &q, src, fetch_id, ctx->as_of, order, rec, err)) != SP_OK)
				goto out;
			t->stored++;
			continue;
		}
		if (dcountry && *dcountry && !rec->f[SP_F_COUNTRY].len)
			sp_record_sets(rec, SP_F_COUNTRY, dcountry);
		if ((rc = store_record(st, &q, src, fetch_id, ctx->as_of, rec, touch, err)) != SP_OK)
			goto out;
		t->stored++;
		t->headlines += conn == &sp_connector_feed && headline_like(&rec->f[SP_F_NAME]);
	}
out:
	sp_pump_stop(pm);
	sp_progress_end();
	sql_free(&q);
	return rc;
}

/* What a snapshot lacks is gone; a news feed holds no records: any it had (parsed while it was a
 * directory) are gone. */
static const char SQL_GONE_COUNT[] = "SELECT count(*) FROM record WHERE source = ?1 AND gone = 0"
	" AND out_of_scope IS NULL AND (fetch_id IS NULL OR fetch_id <> ?2)";
static const char SQL_NEWS_GONE_COUNT[] = "SELECT count(*) FROM record WHERE source = ?1 AND gone = 0 AND ?2 IS NOT NULL";
static const char SQL_GONE[] = "UPDATE record SET gone = 1 WHERE source = ?1 AND gone = 0"
	" AND out_of_scope IS NULL AND (fetch_id IS NULL OR fetch_id <> ?2)";
static const char SQL_NEWS_GONE[] = "UPDATE record SET gone = 1 WHERE source = ?1 AND gone = 0 AND ?2 IS NOT NULL";

/* Step 3b: the source's live records this snapshot lacks, now that parse_rows wrote it into the
 * open transaction: what applying it marks gone. */
static int count_gone(sp_ctx *ctx, const sp_source *src, int64_t fetch_id, int snapshot, int news, int64_t *n)
{
	sp_stmt *s;
	*n = 0;
	if (!snapshot && !news)
		return SP_OK;
	if (sp_store_prepare(ctx->db, news ? SQL_NEWS_GONE_COUNT : SQL_GONE_COUNT, &s, ctx->err) != SP_OK)
		return SP_EDB;
	sp_bind_static(s, 1, src->name, -1);
	sp_bind_int64(s, 2, fetch_id);
	int rc = sp_step(s);
	if (rc == SP_ROW)
		*n = sp_col_int64(s, 0);
	sp_finalize(s);
	return rc == SP_ROW ? SP_OK : sp_store_error(ctx->db, ctx->err, "parse: count gone");
}

/* Step 3c: apply the measured snapshot: mark what it lacks gone (mode = snapshot), replace its
 * parse_stat, move source_state.parsed_fetch to it, and drop the hold it supersedes. */
static int apply_snapshot(sp_ctx *ctx, const sp_source *src, int64_t fetch_id, const char *settings, parse_tally *t)
{
	sp_store *st = ctx->db;
	sp_err *err = ctx->err;
	sp_stmt *s;
	int rc;
	if (t->snapshot || t->news) {
		if (sp_store_prepare(st, t->news ? SQL_NEWS_GONE : SQL_GONE, &s, err) != SP_OK)
			return SP_EDB;
		sp_bind_static(s, 1, src->name, -1);
		sp_bind_int64(s, 2, fetch_id);
		rc = step_done(st, s, err, "parse: mark gone");
		sp_finalize(s);
		if (rc != SP_OK)
			return rc;
		t->gone = sp_store_changes(st);
	}
	char now[32];
	sp_time_iso(sp_now(), now, sizeof(now));
	if (sp_store_prepare(st, "INSERT INTO parse_stat(fetch_id, source, run_id, parsed_at,"
			     " rows_read, rows_out_of_scope, rows_rejected, rows_stored, rows_gone)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(fetch_id) DO UPDATE SET"
			     " source = excluded.source, run_id = excluded.run_id, parsed_at = excluded.parsed_at,"
			     " rows_read = excluded.rows_read, rows_out_of_scope = excluded.rows_out_of_scope,"
			     " rows_rejected = excluded.rows_rejected, rows_stored = excluded.rows_stored,"
			     " rows_gone = excluded.rows_gone", &s, err) != SP_OK)
		return SP_EDB;
	sp_bind_int64(s, 1, fetch_id);
	sp_bind_static(s, 2, src->name, -1);
	sp_bind_int64(s, 3, ctx->run_id);
	sp_bind_static(s, 4, now, -1);
	sp_bind_int64(s, 5, t->read);
	sp_bind_int64(s, 6, t->out_of_scope);
	sp_bind_int64(s, 7, t->rejected);
	sp_bind_int64(s, 8, t->stored);
	sp_bind_int64(s, 9, t->gone);
	rc = step_done(st, s, err, "parse: write parse_stat");
	sp_finalize(s);
	if (rc != SP_OK)
		return rc;
	if (sp_store_prepare(st, "UPDATE source_state SET parsed_fetch = ?2, parsed_filter = ?3 WHERE source = ?1", &s,
			     err) != SP_OK)
		return SP_EDB;
	sp_bind_static(s, 1, src->name, -1);
	sp_bind_int64(s, 2, fetch_id);
	sp_bind_static(s, 3, settings, -1);
	rc = step_done(st, s, err, "parse: update source_state");
	sp_finalize(s);
	if (rc != SP_OK)
		return rc;
	return sp_gate_hold_clear(st, src->name, fetch_id, err);
}

/*
 * The snapshot failed a gate (h) and its parse was rolled back: record the hold, then keep the
 * snapshot's rejects (a second pass over the file that stores rejects only, so `export rejects`
 * shows why; memory stays flat), each in a transaction of its own. A failing second pass only
 * loses the rejects. Returns code (SP_EGATE, or the code of an unreadable file) with h's message,
 * or SP_EDB.
 */
static int hold_snapshot(sp_ctx *ctx, const sp_source *src, const sp_connector *conn, sp_parser **p,
			 const char *path, const sp_filter *flt, const sp_gate_hold *h, int code)
{
	int rc = sp_store_begin(ctx->db, ctx->err);
	if (rc == SP_OK)
		rc = sp_gate_hold_put(ctx->db, src->name, ctx->run_id, ctx->as_of, h, ctx->err);
	if (rc == SP_OK)
		rc = sp_store_commit(ctx->db, ctx->err);
	if (rc != SP_OK) {
		sp_store_rollback(ctx->db);
		return rc;
	}
	if (conn && h->counts.rejected > 0) {
		conn->close(*p);
		*p = NULL;
		parse_tally t = { 0 };
		rc = conn->open(p, ctx->cfg, src, path, ctx->err);
		if (rc >= 0 && (rc = sp_store_begin(ctx->db, ctx->err)) == SP_OK &&
		    (rc = parse_rows(ctx, src, conn, *p, flt, h->fetch_id, 1, &t)) == SP_OK)
			rc = sp_store_commit(ctx->db, ctx->err);
		sp_store_rollback(ctx->db);
		if (rc == SP_EDB)
			return rc;
	}
	return sp_err_set(ctx->err, code, "%s", h->message);
}

/* The snapshot could not be read (code, ctx->err says why): hold it as unreadable. Returns code. */
static int hold_unreadable(sp_ctx *ctx, const sp_source *src, int64_t fetch_id, int code)
{
	char why[SP_ERR_MAX];
	const char *m = ctx->err->msg;
	size_t n = strlen(src->name);
	if (!strncmp(m, "source ", 7) && !strncmp(m + 7, src->name, n) && m[7 + n] == ':')
		m += 7 + n + 1 + (m[8 + n] == ' ');
	snprintf(why, sizeof(why), "%s", m);
	sp_gate_hold h;
	sp_gate_unreadable(src->name, fetch_id, why, &h);
	return hold_snapshot(ctx, src, NULL, NULL, NULL, NULL, &h, code);
}

/* The freshness gate, before parsing; unapplied = the snapshot this call would apply, or 0. */
static int check_age(sp_ctx *ctx, const sp_source *src, const sp_gate_limits *lim, int64_t unapplied)
{
	if (lim->max_age_days <= 0)
		return SP_OK;
	int64_t days = 0;
	char last[11];
	int rc = sp_gate_age(ctx->db, src->name, ctx->as_of, &days, last, ctx->err);
	if (rc == SP_ENOTFOUND) /* no successful fetch before this date: nothing to measure */
		return SP_OK;
	if (rc != SP_OK)
		return rc;
	sp_gate_hold h;
	if (!sp_gate_check_age(lim, days, last, src->name, unapplied, &h))
		return SP_OK;
	return hold_snapshot(ctx, src, NULL, NULL, NULL, NULL, &h, SP_EGATE);
}

/* Steps 3 and 4: parse into one transaction, measure, then apply and commit, or (a gate fails,
 * unless ctx->accept) roll back and hold the snapshot. */
static int parse_apply(sp_ctx *ctx, const sp_source *src, const sp_connector *conn, sp_parser **p, const char *path,
		       const sp_filter *flt, const sp_gate_limits *lim, const char *settings, int64_t fetch_id,
		       parse_tally *t)
{
	int64_t stored_before = 0;
	int rc = sp_store_begin(ctx->db, ctx->err);
	if (rc == SP_OK)
		rc = sp_store_int(ctx->db, "SELECT count(*) FROM record WHERE source = ?1 AND gone = 0 AND out_of_scope IS NULL",
				  &t->live, ctx->err, src->name);
	if (rc == SP_OK)
		rc = sp_store_int(ctx->db, "SELECT count(*) FROM record WHERE source = ?1", &stored_before, ctx->err,
				  src->name);
	t->before = stored_before;
	if (rc == SP_OK)
		rc = parse_rows(ctx, src, conn, *p, flt, fetch_id, 0, t);
	/* mode = delta: the connector read the file's header by now (full or delta) */
	t->delta = rc == SP_OK && src->mode == SP_MODE_DELTA && conn->full_file && !conn->full_file(*p);
	t->snapshot = !t->news && (src->mode == SP_MODE_SNAPSHOT || (src->mode == SP_MODE_DELTA && !t->delta));
	int64_t after = 0;
	if (rc == SP_OK && (rc = sp_store_int(ctx->db, "SELECT count(*) FROM record WHERE source = ?1", &after, ctx->err,
					      src->name)) == SP_OK)
		t->added = after - t->before;
	/* records stored before that the filter now excludes: out of scope (kept), not gone (a first
	 * parse has none: every record it stored passed this filter) */
	if (rc == SP_OK && stored_before)
		rc = sp_scope_apply(ctx->db, src, flt, &t->scope, ctx->err);
	if (rc == SP_OK)
		rc = count_gone(ctx, src, fetch_id, t->snapshot, t->news, &t->gone);
	sp_gate_hold h;
	sp_gate_counts gc = { t->read, t->rejected, t->live, t->gone, t->snapshot };
	sp_gate_limits dlim = *lim;
	if (t->delta) /* a day's delta is small by nature */
		dlim.min_rows = 0;
	if (rc == SP_OK && !ctx->accept && sp_gate_check(&dlim, &gc, src->name, fetch_id, &h)) {
		sp_store_rollback(ctx->db);
		return hold_snapshot(ctx, src, conn, p, path, flt, &h, SP_EGATE);
	}
	if (rc == SP_OK)
		rc = apply_snapshot(ctx, src, fetch_id, settings, t);
	if (rc == SP_OK)
		rc = sp_store_commit(ctx->db, ctx->err);
	if (rc == SP_OK)
		return SP_OK;
	sp_store_rollback(ctx->db);
	return rc == SP_EFORMAT || rc == SP_EIO ? hold_unreadable(ctx, src, fetch_id, rc) : rc;
}

/* The snapshot was parsed already with these filter settings: only re-check the scope of the
 * stored records (the as-of date moved: startups age out), in a transaction of its own. */
static int scope_only(sp_ctx *ctx, const sp_source *src, int64_t fetch_id, sp_counts *c)
{
	sp_filter flt;
	int rc = sp_filter_init(&flt, ctx->cfg, src, ctx->as_of, ctx->err);
	if (rc != SP_OK)
		return rc;
	sp_scope_counts n;
	if ((rc = sp_store_begin(ctx->db, ctx->err)) == SP_OK && (rc = sp_scope_apply(ctx->db, src, &flt, &n, ctx->err)) == SP_OK)
		rc = sp_store_commit(ctx->db, ctx->err);
	if (rc != SP_OK)
		sp_store_rollback(ctx->db);
	else
		snprintf(c->note, sizeof(c->note), "unchanged since last parse (fetch %lld); scope: %lld left, %lld returned",
			 (long long)fetch_id, (long long)n.left, (long long)n.returned);
	sp_filter_release(&flt);
	return rc;
}

/* Step 1: which snapshot, and whether it needs parsing. *todo = 0 when nothing is to be parsed
 * (the note says why; an unchanged snapshot only had its scope re-checked). */
static int pick(sp_ctx *ctx, const sp_source *src, const sp_gate_limits *lim, const char *settings, int64_t *fetch_id,
		int64_t *parsed, char **path, int *todo, sp_counts *c)
{
	char *parsed_filter = NULL;
	*todo = 0;
	int rc = ctx->accept ? find_held(ctx, src, fetch_id, parsed, path)
			     : find_snapshot(ctx, src, fetch_id, parsed, path, &parsed_filter);
	int same_filter = ctx->accept || (parsed_filter && !strcmp(parsed_filter, settings));
	free(parsed_filter);
	if (rc != SP_OK)
		return rc;
	if (!*fetch_id || !*path) {
		snprintf(c->note, sizeof(c->note), "nothing fetched yet");
		return SP_OK;
	}
	if (!ctx->accept && (rc = check_age(ctx, src, lim, *fetch_id != *parsed ? *fetch_id : 0)) != SP_OK)
		return rc;
	if (!ctx->force && *parsed == *fetch_id && same_filter) {
		if ((rc = scope_only(ctx, src, *fetch_id, c)) != SP_OK)
			return rc;
		return sp_gate_hold_clear(ctx->db, src->name, *fetch_id, ctx->err); /* e.g. fresh again */
	}
	*todo = 1;
	return SP_OK;
}

/* One snapshot (the current one; with mode = delta the next unapplied file): *applied = its fetch
 * id when it was parsed and applied, else 0. */
static int parse_once(sp_ctx *ctx, const sp_source *src, sp_counts *c, int64_t *applied)
{
	int64_t fetch_id = 0, parsed = 0;
	*applied = 0;
	char *path = NULL;
	sp_gate_limits lim;
	sp_buf settings = SP_BUF_INIT;
	sp_filter_settings(ctx->cfg, src, &settings);
	int todo = 0;
	int rc = sp_gate_limits_read(ctx->cfg, src, &lim, ctx->err);
	if (rc == SP_OK)
		rc = pick(ctx, src, &lim, sp_buf_str(&settings), &fetch_id, &parsed, &path, &todo, c);
	if (rc != SP_OK || !todo) {
		free(path);
		sp_buf_release(&settings);
		return rc;
	}
	const sp_connector *conn = sp_connector_find(src->format);
	sp_filter flt = { 0 };
	sp_parser *p = NULL;
	parse_tally t = { 0 };
	t.news = sp_source_kind_of(ctx->cfg, src) == SP_KIND_NEWS; /* only feeds (checked at load) */
	if (!conn) {
		rc = sp_err_set(ctx->err, SP_ECONFIG, "source %s: no connector for format '%s'", src->name, src->format);
		goto out;
	}
	if ((rc = sp_filter_init(&flt, ctx->cfg, src, ctx->as_of, ctx->err)) != SP_OK)
		goto out;
	rc = conn->open(&p, ctx->cfg, src, path, ctx->err);
	if (rc == SP_EFORMAT || rc == SP_EIO) {
		rc = hold_unreadable(ctx, src, fetch_id, rc);
		goto out;
	}
	if (rc < 0) {
		if (strncmp(ctx->err->msg, "source ", 7))
			sp_err_prefix(ctx->err, "source %s", src->name);
		goto out;
	}
	sp_store_exec(ctx->db, "PRAGMA cache_size = -16384", ctx->err); /* 16 MiB page cache */
	rc = parse_apply(ctx, src, conn, &p, path, &flt, &lim, sp_buf_str(&settings), fetch_id, &t);
	c->in = t.read;
	c->rejected = t.rejected;
	if (rc != SP_OK) {
		if (rc != SP_EDB && rc != SP_EGATE && rc != SP_EFORMAT && rc != SP_EIO)
			sp_err_prefix(ctx->err, "source %s: parse of fetch %lld", src->name, (long long)fetch_id);
		goto out;
	}
	c->out = t.stored;
	*applied = fetch_id;
	char dnote[160];
	const char *fnote = conn->note ? conn->note(p) : NULL; /* e.g. the file's detected encoding */
	if (!fnote && src->mode == SP_MODE_DELTA) {
		snprintf(dnote, sizeof(dnote), "%s: %lld records listed, %lld of them new, the others untouched",
			 t.delta ? "delta applied on the last snapshot" : "full file (a new base for the deltas)",
			 (long long)t.stored, (long long)t.added);
		fnote = dnote;
	}
	if (!fnote && t.stored >= 5 && 2 * t.headlines > t.stored)
		fnote = "most item titles read like news headlines: is this feed kind = news?";
	snprintf(c->note, sizeof(c->note),
		 "fetch %lld%s: %lld read, %lld %s, %lld out of scope, %lld rejected, %lld gone; stored records"
		 " leaving the scope %lld, returning %lld%s%s%s",
		 (long long)fetch_id, ctx->accept ? " accepted (gates bypassed)" : "", (long long)t.read,
		 (long long)t.stored, t.news ? "news items stored" : "stored", (long long)t.out_of_scope,
		 (long long)t.rejected, (long long)t.gone,
		 (long long)t.scope.left, (long long)t.scope.returned,
		 parsed == fetch_id && !ctx->force && !ctx->accept ? " (parsed again: the filter settings changed)" : "",
		 fnote ? "; " : "", fnote ? fnote : "");
out:
	if (p)
		conn->close(p);
	sp_filter_release(&flt);
	free(path);
	sp_buf_release(&settings);
	return rc;
}

int sp_stage_parse(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	int64_t applied = 0, last = 0;
	int rc = parse_once(ctx, src, c, &applied);
	if (src->mode != SP_MODE_DELTA || ctx->accept) /* accept applies the one held file; the next run the rest */
		return rc;
	/* mode = delta: apply every file fetched since the last one applied, in order (a night that
	 * fetched two deltas, or a parse that was held, must not skip one); counts add up */
	sp_counts one;
	int files = 1;
	while (rc == SP_OK && applied > last) {
		last = applied;
		int64_t more = 0; /* a stored fetch after it (not: a second scope pass for nothing) */
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)last);
		if ((rc = sp_store_int(ctx->db, "SELECT EXISTS(SELECT 1 FROM fetch f JOIN run r ON r.id = f.run_id"
				       " WHERE f.source = ?1 AND f.status = 'new' AND r.as_of <= ?2 AND f.id > CAST(?3 AS INTEGER))",
				       &more, ctx->err, src->name, ctx->as_of, id)) != SP_OK || !more)
			break;
		memset(&one, 0, sizeof(one));
		int force = ctx->force;
		ctx->force = 0; /* a forced parse applies the current file again once, not in a loop */
		rc = parse_once(ctx, src, &one, &applied);
		ctx->force = force;
		if (rc != SP_OK || applied <= last)
			break;
		files++;
		c->in += one.in, c->out += one.out, c->rejected += one.rejected;
		snprintf(c->note, sizeof(c->note), "%d files applied in order; last: %s", files, one.note);
	}
	return rc;
}
