/*
 * fetch.c — the fetch stage: bring each source's newest bytes into the raw store, safely.
 *
 * What it does, per source (sp_stage_fetch is called once per source by run.c), in four steps:
 *   1. open: reads the source's source_state (ETag, Last-Modified, the last good snapshot; a
 *      database error ends the fetch here, with no fetch row), then (fetch_open) its fetch keys
 *      (below), creates the temporary file raw/<source>/.part-XXXXXX (rawstore.h) and picks the
 *      conditional headers;
 *   2. download (fetch_download): streams the URL into the part file: http(s) through http.c
 *      (conditional, retried, size-capped), every page of a paginated JSON API (fetch_pages.c),
 *      file:// and plain paths (relative to the config's directory) by copying;
 *   3. commit the snapshot (fetch_commit, rawstore.c): verifies it (not empty; a zip opens; a gzip
 *      inflates to its end; XML, JSON and CSV look like what they claim), hashes it (sha256) and
 *      either drops it (same hash as the last good snapshot: 'unchanged') or fsyncs and renames it
 *      atomically to raw/<source>/<sha256>.<ext> ('new');
 *   4. record the outcome: in one transaction, writes a fetch row (new | unchanged | not_modified |
 *      failed) and updates source_state (record_outcome; fetch_record_failure for 'failed').
 *
 * Invariants:
 *   - A failed, truncated, oversized or unverifiable download never touches the last good
 *     snapshot or source_state.last_good_fetch; the temporary file is removed.
 *   - source_state.last_good_fetch moves only on 'new'; 'unchanged' and 'not_modified' confirm it
 *     (last_good_at, consecutive_failures = 0). So parse re-reads a source only when bytes changed.
 *   - Conditional headers are sent only when the last good snapshot's file is still on disk.
 *   - The credential (an API key, an OAuth2 token: auth.h) is read at fetch time and never
 *     stored, logged or put in a message; URLs are stored and shown redacted (sp_http_redact).
 *   - Stale .part-* files (a killed run) are removed at the start; the run lock makes that safe.
 *
 * Config keys of [source NAME] read here (all optional; their specs, with ranges, are
 * sp_fetch_keys and sp_fetch_page_keys below):
 *   retries = 3, timeout = 600 (s per attempt), connect_timeout = 20 (s),
 *   low_speed_limit = 1 (bytes/s), low_speed_time = 30 (s), max_bytes = 4G (suffix K, M, G),
 *   max_redirects = 5, retry_base_ms = $SPARKER_RETRY_BASE_MS or 1000, retry_after_max = 300 (s:
 *   the longest wait a server may ask for; more fails the fetch), wait_total_max = 900 (s: all
 *   the waits the server asks for in one fetch), ca_file = PEM bundle to trust instead of the
 *   system's (relative to the config's directory; verification itself can never be turned off).
 *   The credential keys (api_key_env, api_key_file, header_name, token_url, client_id,
 *   client_secret_env, client_secret_file, token_scope, token_auth) are auth.c's.
 *
 * A pair (format = sirene with `establishments_url`): the legal units (url) and the
 * establishments are fetched and verified both, each kept under its hash, and the snapshot is
 * their manifest (rawstore.h); either failing fails the fetch (fetch_pair). No conditional
 * requests for a pair.
 *
 * Paginated JSON APIs (format = json with `paging`, or the older `next = dotted.path` /
 * `page_param = page` alone; keys in sp_fetch_page_keys): every page is fetched in turn into one
 * snapshot of JSON Lines, see fetch_pages.c. Any page failing fails the fetch.
 *
 * Failure: returns < 0 with "SOURCE: what failed" in ctx->err (the failed fetch row is committed
 * first); run.c records the stage as failed and goes on with the other sources. SP_EDB when the
 * database itself failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connectors/fetch_int.h"
#include "connectors/http.h"
#include "connectors/rawstore.h"
#include "core/progress.h"
#include "pipeline/stage.h"


typedef struct fetch_state {
	char *etag, *last_modified;
	int64_t last_good_fetch;
	char *last_sha, *last_path;
} fetch_state;

typedef struct outcome {
	const char *status; /* new | unchanged | not_modified | failed */
	long http_status;
	char *etag, *last_modified;
	int64_t size;       /* -1 = NULL */
	char sha[65];
	char *path;         /* relative to raw_dir */
	const char *error;
	int attempts;
} outcome;

/* ---- config -------------------------------------------------------------------------------- */

static int parse_size(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || n < 0)
		return -1;
	while (*end == ' ')
		end++;
	long long mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1024LL; end++; break;
	case 'm': case 'M': mul = 1024LL * 1024; end++; break;
	case 'g': case 'G': mul = 1024LL * 1024 * 1024; end++; break;
	case 't': case 'T': mul = 1024LL * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	if (n > INT64_MAX / mul)
		return -1;
	*out = (int64_t)(n * mul);
	return 0;
}

static int check_size(const char *v, sp_err *err)
{
	int64_t n;
	if (parse_size(v, &n) != 0 || n <= 0)
		return sp_err_set(err, SP_ECONFIG, "must be a size such as 500M or 4G, not '%s'", v);
	return SP_OK;
}

static int check_header_name(const char *v, sp_err *err)
{
	if (strpbrk(v, "\r\n"))
		return sp_err_set(err, SP_ECONFIG, "holds a line break");
	return SP_OK;
}

static int check_param(const char *v, sp_err *err)
{
	if (!*v || strpbrk(v, "&=?#/ \t\r\n"))
		return sp_err_set(err, SP_ECONFIG, "must be a query parameter name, not '%s'", v);
	return SP_OK;
}

/* The fetch keys of every [source] (see the top of this file). */
const sp_config_key sp_fetch_keys[] = {
	{ "source *", "retries", SP_KEY_INT, .def = "3", .min = 0, .max = 20 },
	{ "source *", "timeout", SP_KEY_INT, .def = "600", .min = 0, .max = 7 * 86400 },
	{ "source *", "connect_timeout", SP_KEY_INT, .def = "20", .min = 1, .max = 3600 },
	{ "source *", "low_speed_limit", SP_KEY_INT, .def = "1", .min = 0, .max = 1L << 30 },
	{ "source *", "low_speed_time", SP_KEY_INT, .def = "30", .min = 0, .max = 86400 },
	{ "source *", "max_redirects", SP_KEY_INT, .def = "5", .min = 0, .max = 50 },
	/* the default is $SPARKER_RETRY_BASE_MS when set (tests), else this */
	{ "source *", "retry_base_ms", SP_KEY_INT, .def = "1000", .min = 0, .max = 600000 },
	{ "source *", "retry_after_max", SP_KEY_INT, .def = "300", .min = 0, .max = 86400 },
	{ "source *", "wait_total_max", SP_KEY_INT, .def = "900", .min = 0, .max = 7 * 86400 },
	{ "source *", "max_bytes", SP_KEY_STRING, .def = "4G", .check = check_size },
	{ "source *", "ca_file", SP_KEY_PATH, .flags = SP_KEY_READ },
	{ 0 },
};

/* The page keys of a paginated JSON API (format json: sp_connector_json lists them); what each
 * paging does is fetch_pages.c's. `paging` absent: next when `next` is set, page when
 * `page_param` is, else one document. */
const sp_config_key sp_fetch_page_keys[] = {
	{ "source *", "paging", SP_KEY_ENUM, .choices = "next|link|cursor|offset|page" },
	{ "source *", "next", SP_KEY_STRING, .check = check_header_name },
	{ "source *", "cursor_path", SP_KEY_STRING, .check = check_header_name },
	{ "source *", "cursor_param", SP_KEY_STRING, .def = "cursor", .check = check_param },
	{ "source *", "page_param", SP_KEY_STRING, .def = "page", .check = check_param },
	{ "source *", "page_start", SP_KEY_INT, .def = "1", .min = 0, .max = 1000000000 },
	{ "source *", "offset_param", SP_KEY_STRING, .def = "offset", .check = check_param },
	{ "source *", "page_size", SP_KEY_INT, .def = "0", .min = 0, .max = 1000000 },
	{ "source *", "page_size_param", SP_KEY_STRING, .def = "limit", .check = check_param },
	{ "source *", "max_pages", SP_KEY_INT, .def = "1000", .min = 1, .max = 1000000 },
	{ "source *", "page_pause_ms", SP_KEY_INT, .def = "0", .min = 0, .max = 600000 },
	{ 0 },
};

static void opts_release(fetch_opts *o)
{
	free(o->ca_file);
	o->ca_file = NULL;
	sp_auth_release(&o->auth);
}

sp_http_req sp_fetch_req(fetch_opts *fo, const char *url, int fd, const char *label)
{
	return (sp_http_req){
		.url = url,
		.fd = fd,
		.timeout = fo->timeout,
		.connect_timeout = fo->connect_timeout,
		.low_speed_limit = fo->low_speed_limit,
		.low_speed_time = fo->low_speed_time,
		.max_bytes = fo->max_bytes,
		.max_redirects = fo->max_redirects,
		.retries = (int)fo->retries,
		.retry_base_ms = fo->retry_base_ms,
		.retry_after_max = fo->retry_after_max,
		.wait_left = &fo->wait_left,
		.ca_file = fo->ca_file,
		.progress_label = label,
	};
}

static int read_opts(const sp_config *cfg, const sp_source *src, fetch_opts *o, sp_err *err)
{
	memset(o, 0, sizeof(*o));
	long base_def = 1000;
	const char *env_base = getenv("SPARKER_RETRY_BASE_MS");
	if (env_base && *env_base) {
		char *end;
		long v = strtol(env_base, &end, 10);
		if (!*end && v >= 0)
			base_def = v;
	}
	const char *sec = src->section;
	o->retries = sp_config_int(cfg, sec, sp_fetch_keys, "retries");
	o->timeout = sp_config_int(cfg, sec, sp_fetch_keys, "timeout");
	o->connect_timeout = sp_config_int(cfg, sec, sp_fetch_keys, "connect_timeout");
	o->low_speed_limit = sp_config_int(cfg, sec, sp_fetch_keys, "low_speed_limit");
	o->low_speed_time = sp_config_int(cfg, sec, sp_fetch_keys, "low_speed_time");
	o->max_redirects = sp_config_int(cfg, sec, sp_fetch_keys, "max_redirects");
	const char *rb = sp_config_get(cfg, sec, "retry_base_ms", NULL);
	o->retry_base_ms = rb && *rb ? sp_config_int(cfg, sec, sp_fetch_keys, "retry_base_ms") : base_def;
	o->retry_after_max = sp_config_int(cfg, sec, sp_fetch_keys, "retry_after_max");
	o->wait_left = (double)sp_config_int(cfg, sec, sp_fetch_keys, "wait_total_max");
	if (parse_size(sp_config_str(cfg, sec, sp_fetch_keys, "max_bytes"), &o->max_bytes) != 0) /* checked at load */
		o->max_bytes = (int64_t)4 << 30;
	const char *ca = sp_config_str(cfg, sec, sp_fetch_keys, "ca_file");
	if (ca && *ca) {
		o->ca_file = sp_config_path(cfg, ca);
		if (access(o->ca_file, R_OK) != 0)
			return sp_err_set(err, SP_ECONFIG, "[%s] ca_file %s: %s", src->section, o->ca_file, strerror(errno));
	}
	return sp_auth_init(&o->auth, cfg, src, err);
}

/* ---- state --------------------------------------------------------------------------------- */

static char *col_dup(sp_stmt *s, int i)
{
	const char *t = sp_col_text(s, i);
	return t && *t ? sp_xstrdup(t) : NULL;
}

static void state_release(fetch_state *st)
{
	free(st->etag);
	free(st->last_modified);
	free(st->last_sha);
	free(st->last_path);
	memset(st, 0, sizeof(*st));
}

static int state_load(sp_store *db, const char *source, fetch_state *st, sp_err *err)
{
	memset(st, 0, sizeof(*st));
	sp_stmt *s;
	if (sp_store_prepare(db,
			     "SELECT s.etag, s.last_modified, s.last_good_fetch, f.sha256, f.path FROM source_state s"
			     " LEFT JOIN fetch f ON f.id = s.last_good_fetch WHERE s.source = ?1",
			     &s, err) != SP_OK)
		return SP_EDB;
	sp_bind_text(s, 1, source);
	int rc = sp_step(s);
	if (rc == SP_ROW) {
		st->etag = col_dup(s, 0);
		st->last_modified = col_dup(s, 1);
		st->last_good_fetch = sp_col_int64(s, 2);
		st->last_sha = col_dup(s, 3);
		st->last_path = col_dup(s, 4);
		rc = SP_OK;
	} else if (rc == SP_DONE) {
		rc = SP_OK;
	} else {
		rc = sp_store_error(db, err, "source_state");
	}
	sp_finalize(s);
	return rc;
}

/* Insert the fetch row and update source_state, in one transaction. */
static int record_outcome(sp_ctx *ctx, const sp_source *src, const char *shown_url, const fetch_state *st,
			  const outcome *o, int64_t *fetch_id, sp_err *err)
{
	sp_store *db = ctx->db;
	char now[32];
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	if (sp_store_begin(db, err) != SP_OK)
		return SP_EDB;
	sp_stmt *s = NULL;
	int rc = sp_store_prepare(db,
				  "INSERT INTO fetch(run_id, source, url, fetched_at, http_status, etag, last_modified, size,"
				  " sha256, path, status, error, attempts) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
				  &s, err);
	if (rc != SP_OK)
		goto fail;
	if (ctx->run_id > 0)
		sp_bind_int64(s, 1, ctx->run_id);
	sp_bind_text(s, 2, src->name);
	sp_bind_text(s, 3, shown_url);
	sp_bind_text(s, 4, now);
	if (o->http_status > 0)
		sp_bind_int64(s, 5, o->http_status);
	sp_bind_text(s, 6, o->etag);
	sp_bind_text(s, 7, o->last_modified);
	if (o->size >= 0)
		sp_bind_int64(s, 8, o->size);
	sp_bind_text(s, 9, o->sha);
	sp_bind_text(s, 10, o->path);
	sp_bind_text(s, 11, o->status);
	sp_bind_text(s, 12, o->error);
	sp_bind_int(s, 13, o->attempts > 0 ? o->attempts : 1);
	rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	s = NULL;
	if (rc != SP_OK)
		goto fail;
	*fetch_id = sp_store_last_id(db);

	if (!strcmp(o->status, "failed")) {
		rc = sp_store_prepare(db,
				      "INSERT INTO source_state(source, consecutive_failures, last_error) VALUES (?1, 1, ?2)"
				      " ON CONFLICT(source) DO UPDATE SET consecutive_failures = source_state.consecutive_failures + 1,"
				      " last_error = excluded.last_error",
				      &s, err);
		if (rc != SP_OK)
			goto fail;
		sp_bind_text(s, 1, src->name);
		sp_bind_text(s, 2, o->error);
	} else {
		rc = sp_store_prepare(db,
				      "INSERT INTO source_state(source, etag, last_modified, last_good_fetch, last_good_at,"
				      " consecutive_failures, last_error) VALUES (?1, ?2, ?3, ?4, ?5, 0, NULL)"
				      " ON CONFLICT(source) DO UPDATE SET etag = excluded.etag,"
				      " last_modified = excluded.last_modified, last_good_fetch = excluded.last_good_fetch,"
				      " last_good_at = excluded.last_good_at, consecutive_failures = 0, last_error = NULL",
				      &s, err);
		if (rc != SP_OK)
			goto fail;
		int nm = !strcmp(o->status, "not_modified");
		sp_bind_text(s, 1, src->name);
		/* a 304 may omit the validators: keep the ones we sent */
		sp_bind_text(s, 2, o->etag ? o->etag : nm ? st->etag : NULL);
		sp_bind_text(s, 3, o->last_modified ? o->last_modified : nm ? st->last_modified : NULL);
		int64_t good = !strcmp(o->status, "new") ? *fetch_id : st->last_good_fetch;
		if (good > 0)
			sp_bind_int64(s, 4, good);
		sp_bind_text(s, 5, now);
	}
	rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	s = NULL;
	if (rc != SP_OK)
		goto fail;
	if (sp_store_commit(db, err) != SP_OK) {
		rc = SP_EDB;
		goto fail;
	}
	return SP_OK;
fail:
	sp_finalize(s);
	sp_store_rollback(db);
	return SP_EDB;
}

/* ---- local sources ------------------------------------------------------------------------- */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* file:///abs, file://localhost/abs; file://rel (not a standard form) is taken relative. */
char *sp_fetch_file_url_path(const sp_config *cfg, const char *url)
{
	const char *p = url + 7;
	if (!strncasecmp(p, "localhost/", 10))
		p += 9;
	sp_buf b = SP_BUF_INIT;
	for (; *p && *p != '?' && *p != '#'; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			sp_buf_addc(&b, (char)(hexval(p[1]) * 16 + hexval(p[2])));
			p += 2;
		} else {
			sp_buf_addc(&b, *p);
		}
	}
	char *raw = sp_buf_detach(&b);
	char *res = sp_config_path(cfg, raw);
	free(raw);
	return res;
}


/* write(2) all of p, retrying on EINTR; SP_EIO with the reason otherwise. */
int sp_fetch_write_all(int fd, const char *p, size_t n, sp_err *err)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return sp_err_set(err, SP_EIO, "write temporary file: %s", strerror(errno));
		off += (size_t)w;
	}
	return SP_OK;
}

int sp_fetch_copy_local(const char *path, int fd, int64_t max_bytes, const char *label, int64_t *bytes, sp_err *err)
{
	*bytes = 0;
	int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return sp_err_set(err, SP_EIO, "read %s: %s", path, strerror(errno));
	struct stat stt;
	if (fstat(in, &stt) != 0 || !S_ISREG(stt.st_mode)) {
		close(in);
		return sp_err_set(err, SP_EIO, "read %s: not a regular file", path);
	}
	if (max_bytes > 0 && stt.st_size > max_bytes) {
		close(in);
		return sp_err_set(err, SP_EFORMAT, "read %s: %lld bytes exceeds max_bytes = %lld", path,
				  (long long)stt.st_size, (long long)max_bytes);
	}
	int prog = label && sp_progress_enabled();
	if (prog)
		sp_progress_start(label, (int64_t)stt.st_size, "B");
	char *buf = sp_xmalloc(1 << 16);
	int rc = SP_OK;
	for (;;) {
		ssize_t n = read(in, buf, 1 << 16);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sp_err_set(err, SP_EIO, "read %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (max_bytes > 0 && *bytes + n > max_bytes) {
			rc = sp_err_set(err, SP_EFORMAT, "read %s: exceeds max_bytes = %lld", path, (long long)max_bytes);
			break;
		}
		if ((rc = sp_fetch_write_all(fd, buf, (size_t)n, err)) != SP_OK)
			break;
		*bytes += n;
		if (prog)
			sp_progress_update(*bytes);
	}
	if (prog)
		sp_progress_end();
	free(buf);
	close(in);
	return rc;
}

/* ---- the stage ----------------------------------------------------------------------------- */

static void human_size(int64_t v, char *out, size_t n)
{
	const char *u[] = { "B", "KB", "MB", "GB", "TB" };
	double d = (double)v;
	int i = 0;
	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, n, "%lld B", (long long)v);
	else
		snprintf(out, n, "%.1f %s", d, u[i]);
}

/* One source's fetch, from open to the recorded outcome. */
typedef struct fetch_job {
	sp_ctx *ctx;
	const sp_source *src;
	char *shown;            /* the URL, redacted (for messages and the fetch row); owned */
	int is_http;
	char *local;            /* not http: the local path; owned */
	fetch_opts fo;
	fetch_state st;         /* source_state and the last good fetch */
	page_opts po;           /* po.paging set: a paginated JSON API */
	const char *if_none_match, *if_modified_since; /* conditional headers, borrowed from st */
	sp_rawstore_part part;  /* the temporary file the bytes go to */
	char label[96];         /* progress label */
	sp_http_resp resp;      /* non-paginated http: the response (o's validators point into it) */
	int64_t bytes;          /* bytes in the part file */
	int pages, capped;
	const char *pair_url;   /* sirene's establishments_url: the snapshot is a pair of files */
	outcome o;
} fetch_job;

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Where a url that is not http(s) points: file:// or a path relative to the config's directory. */
static int local_path(const sp_config *cfg, const char *url, const char *shown, char **out, sp_err *err)
{
	*out = NULL;
	if (sp_fetch_is_scheme(url, "file://"))
		*out = sp_fetch_file_url_path(cfg, url);
	else if (strstr(url, "://"))
		return sp_err_set(err, SP_ECONFIG, "url %s: only http://, https://, file:// and paths are supported", shown);
	else
		*out = sp_config_path(cfg, url);
	return SP_OK;
}

/* Page options of a json source (po->paging SP_PAGING_NONE: not paginated). */
static int read_page_opts(fetch_job *j, sp_err *err)
{
	const sp_config *cfg = j->ctx->cfg;
	const char *sec = j->src->section;
	page_opts *po = &j->po;
	po->paging = SP_PAGING_NONE;
	if (strcmp(j->src->format, "json"))
		return SP_OK;
#define PAGE_STR(k) nonempty(sp_config_str(cfg, sec, sp_fetch_page_keys, k))
	po->next_path = PAGE_STR("next");
	po->cursor_path = PAGE_STR("cursor_path");
	po->cursor_param = PAGE_STR("cursor_param");
	po->page_param = PAGE_STR("page_param");
	po->offset_param = PAGE_STR("offset_param");
	po->size_param = PAGE_STR("page_size_param");
#undef PAGE_STR
	po->items_path = sp_config_str(cfg, sec, sp_json_keys, "items");
	po->page_start = sp_config_int(cfg, sec, sp_fetch_page_keys, "page_start");
	po->max_pages = sp_config_int(cfg, sec, sp_fetch_page_keys, "max_pages");
	po->page_size = sp_config_int(cfg, sec, sp_fetch_page_keys, "page_size");
	po->pause_ms = sp_config_int(cfg, sec, sp_fetch_page_keys, "page_pause_ms");
	po->paging = sp_config_choice(cfg, sec, sp_fetch_page_keys, "paging");
	if (po->paging < 0 && po->next_path) /* the older keys alone */
		po->paging = SP_PAGING_NEXT;
	else if (po->paging < 0 && nonempty(sp_config_get(cfg, sec, "page_param", NULL)))
		po->paging = SP_PAGING_PAGE;
	if (po->paging == SP_PAGING_NEXT && !po->next_path)
		return sp_err_set(err, SP_ECONFIG, "[%s] paging = next needs next = dotted.path.of.the.next.url", sec);
	if (po->paging == SP_PAGING_CURSOR && !po->cursor_path)
		return sp_err_set(err, SP_ECONFIG, "[%s] paging = cursor needs cursor_path = dotted.path.of.the.cursor", sec);
	if (po->paging != SP_PAGING_CURSOR && po->cursor_path)
		return sp_err_set(err, SP_ECONFIG, "[%s] cursor_path is read with paging = cursor only", sec);
	if (po->paging > SP_PAGING_NEXT && !j->is_http)
		return sp_err_set(err, SP_ECONFIG, "[%s] paging by %s needs an http(s) url", sec,
				  po->paging == SP_PAGING_LINK ? "Link header" : "query parameter");
	return SP_OK;
}

/*
 * Step 1, open: what to fetch (options, the local path or URL, pages), the part file to fetch
 * into, and the conditional headers: the last good fetch's validators, sent only when its
 * snapshot is still on disk.
 */
static int fetch_open(fetch_job *j, sp_err *err)
{
	const sp_config *cfg = j->ctx->cfg;
	const sp_source *src = j->src;
	int rc = read_opts(cfg, src, &j->fo, err);
	if (rc != SP_OK)
		return rc;
	if (!j->is_http && (rc = local_path(cfg, src->url, j->shown, &j->local, err)) != SP_OK)
		return rc;
	if (!strcmp(src->format, "sirene")) {
		j->pair_url = sp_config_str(cfg, src->section, sp_sirene_keys, "establishments_url");
		if (j->pair_url && !*j->pair_url)
			j->pair_url = NULL;
	}
	if (j->pair_url) { /* the fetch row names both */
		char *e = sp_http_redact(j->pair_url);
		sp_buf b = SP_BUF_INIT;
		sp_buf_addf(&b, "%s + %s", j->shown, e);
		free(e);
		free(j->shown);
		j->shown = sp_buf_detach(&b);
	}
	if ((rc = sp_rawstore_open(cfg->raw_dir, src->name, &j->part, err)) != SP_OK)
		return rc;
	snprintf(j->label, sizeof(j->label), "fetch %s", src->name);
	if ((rc = read_page_opts(j, err)) != SP_OK)
		return rc;
	if (j->is_http && j->po.paging == SP_PAGING_NONE && j->st.last_good_fetch > 0 &&
	    sp_rawstore_exists(cfg->raw_dir, j->st.last_path)) {
		j->if_none_match = j->st.etag;
		j->if_modified_since = j->st.last_modified;
	}
	return SP_OK;
}

/* The request for one GET of url into fd with the source's options (unconditional). */
/* Step 2, download into the part file: every page, one http(s) GET, or a local copy. A 304 sets
 * o.status = "not_modified" and discards the part. */
static int fetch_download(fetch_job *j, sp_counts *c, sp_err *err)
{
	fetch_opts *fo = &j->fo;
	outcome *o = &j->o;
	int rc;
	if (j->po.paging != SP_PAGING_NONE) {
		page_result pr;
		rc = sp_fetch_pages(j->ctx->cfg, j->src, fo, &j->po, j->is_http ? j->src->url : j->local, j->is_http,
				 j->part.dir, j->part.fd, j->label, &pr, err);
		o->http_status = pr.http_status;
		o->attempts = pr.attempts;
		if (rc != SP_OK)
			return rc;
		c->in = pr.downloaded;
		j->bytes = pr.written;
		j->pages = pr.pages;
		j->capped = pr.capped;
		if (!j->pages)
			c->in = j->bytes;
		return SP_OK;
	}
	if (!j->is_http) {
		o->attempts = 1;
		rc = sp_fetch_copy_local(j->local, j->part.fd, fo->max_bytes, j->label, &j->bytes, err);
		if (rc == SP_OK)
			c->in = j->bytes;
		return rc;
	}
	sp_http_req req = sp_fetch_req(fo, j->src->url, j->part.fd, j->label);
	req.if_none_match = j->if_none_match;
	req.if_modified_since = j->if_modified_since;
	rc = sp_auth_get(&fo->auth, &req, &j->resp, err);
	o->http_status = j->resp.status;
	o->attempts = j->resp.attempts;
	j->bytes = j->resp.bytes;
	if (rc != SP_OK)
		return rc;
	o->etag = j->resp.etag;
	o->last_modified = j->resp.last_modified;
	if (j->resp.status == 304) {
		o->status = "not_modified";
		sp_rawstore_discard(&j->part);
		c->in = 0;
		snprintf(c->note, sizeof(c->note), "304 not modified");
		return SP_OK;
	}
	c->in = j->bytes;
	return SP_OK;
}

/* Step 3, commit the snapshot: verify, hash, then unchanged (dropped) or new (renamed into the
 * raw store); the note says which. */
static int fetch_commit(fetch_job *j, sp_counts *c, sp_err *err)
{
	outcome *o = &j->o;
	o->size = j->bytes;
	int is_new = 0;
	int rc = sp_rawstore_commit(&j->part, j->src->format, j->bytes, j->st.last_sha, j->st.last_path, o->sha,
				    &o->path, &is_new, err);
	if (rc != SP_OK)
		return rc;
	char size_s[32];
	human_size(j->bytes, size_s, sizeof(size_s));
	if (is_new) {
		o->status = "new";
		c->out = 1;
		snprintf(c->note, sizeof(c->note), "new %s", size_s);
	} else {
		o->status = "unchanged";
		snprintf(c->note, sizeof(c->note), "unchanged (%s)", size_s);
	}
	if (j->pages) {
		size_t n = strlen(c->note);
		snprintf(c->note + n, sizeof(c->note) - n, ", %d page%s%s", j->pages, j->pages == 1 ? "" : "s",
			 j->capped ? " (max_pages reached)" : "");
	}
	return SP_OK;
}

/* ---- a snapshot of two files (sirene: legal units + establishments) ------------------------- */

/* One file of a pair into fd: a local copy or one unconditional GET (no validators are kept for a
 * pair: the hashes decide whether it changed). */
static int pair_download(fetch_job *j, const char *url, int fd, int64_t *bytes, sp_err *err)
{
	int rc;
	*bytes = 0;
	if (!sp_fetch_is_scheme(url, "http://") && !sp_fetch_is_scheme(url, "https://")) {
		char *local = NULL;
		rc = local_path(j->ctx->cfg, url, url, &local, err);
		if (rc == SP_OK)
			rc = sp_fetch_copy_local(local, fd, j->fo.max_bytes, j->label, bytes, err);
		free(local);
		j->o.attempts++;
		return rc;
	}
	sp_http_req req = sp_fetch_req(&j->fo, url, fd, j->label); /* no credential: public files */
	sp_http_resp resp;
	memset(&resp, 0, sizeof(resp));
	rc = sp_http_get(&req, &resp, err);
	j->o.http_status = resp.status;
	j->o.attempts += resp.attempts;
	*bytes = resp.bytes;
	sp_http_resp_release(&resp);
	return rc;
}

/*
 * Steps 2 and 3 for a pair: both files are downloaded and verified before either is kept (a
 * failure of either fails the fetch: the last good pair stays), then each is kept under its own
 * hash and the snapshot is their manifest (rawstore.h): new when either file changed, else
 * unchanged.
 */
static int fetch_pair(fetch_job *j, sp_counts *c, sp_err *err)
{
	static const char *const roles[] = { SP_SIRENE_UNITS, SP_SIRENE_ESTABLISHMENTS };
	const char *fmt = j->src->format;
	sp_rawstore_part ep = { .fd = -1 }, mp = { .fd = -1 };
	int64_t ebytes = 0;
	char sha[65];
	char *paths[2] = { NULL, NULL };
	int is_new = 0;
	int rc = pair_download(j, j->src->url, j->part.fd, &j->bytes, err);
	if (rc != SP_OK)
		sp_err_prefix(err, "legal units");
	if (rc == SP_OK && (rc = sp_rawstore_open_more(&j->part, &ep, err)) == SP_OK &&
	    (rc = pair_download(j, j->pair_url, ep.fd, &ebytes, err)) != SP_OK)
		sp_err_prefix(err, "establishments");
	if (rc == SP_OK && (rc = sp_rawstore_verify(&j->part, fmt, j->bytes, err)) != SP_OK)
		sp_err_prefix(err, "legal units");
	if (rc == SP_OK && (rc = sp_rawstore_verify(&ep, fmt, ebytes, err)) != SP_OK)
		sp_err_prefix(err, "establishments");
	if (rc == SP_OK)
		rc = sp_rawstore_commit(&j->part, fmt, j->bytes, NULL, NULL, sha, &paths[0], &is_new, err);
	if (rc == SP_OK)
		rc = sp_rawstore_commit(&ep, fmt, ebytes, NULL, NULL, sha, &paths[1], &is_new, err);
	if (rc == SP_OK && (rc = sp_rawstore_open_more(&j->part, &mp, err)) == SP_OK)
		rc = sp_rawstore_write_manifest(&mp, roles, (const char *const *)paths, 2, err);
	if (rc == SP_OK)
		rc = sp_rawstore_commit(&mp, fmt, 1, j->st.last_sha, j->st.last_path, j->o.sha, &j->o.path, &is_new, err);
	if (rc == SP_OK) {
		char s1[32], s2[32];
		human_size(j->bytes, s1, sizeof(s1));
		human_size(ebytes, s2, sizeof(s2));
		j->o.size = j->bytes + ebytes;
		j->o.status = is_new ? "new" : "unchanged";
		c->in = j->o.size;
		c->out = is_new;
		snprintf(c->note, sizeof(c->note), "%s pair: legal units %s + establishments %s", is_new ? "new" : "unchanged",
			 s1, s2);
	}
	sp_rawstore_release(&ep);
	sp_rawstore_release(&mp);
	free(paths[0]);
	free(paths[1]);
	return rc;
}

/*
 * Step 4 after a failure (rc < 0, message in err): the part file is removed and a 'failed' fetch
 * row recorded with the message, which gets the URL in front unless it already names it (http.c's
 * "GET URL: ..."). Returns the code to give the run: rc, or SP_EDB when recording failed too.
 */
static int fetch_record_failure(fetch_job *j, int rc, sp_err *err)
{
	if (!err->msg[0])
		sp_err_set(err, rc < 0 ? rc : SP_EIO, "fetch failed");
	/* The source's name is in the fetch row, the stage_run row and run.c's message, so it is not
	 * repeated. */
	if (!(j->is_http && strstr(err->msg, "GET ") == err->msg))
		sp_err_prefix(err, "%s", j->shown);
	int code = rc < 0 ? rc : SP_EIO;
	char msg[SP_ERR_MAX];
	snprintf(msg, sizeof(msg), "%s", err->msg);
	outcome *o = &j->o;
	o->status = "failed";
	o->error = msg;
	o->sha[0] = '\0';
	free(o->path);
	o->path = NULL;
	o->etag = o->last_modified = NULL;
	sp_rawstore_discard(&j->part);
	int64_t fid = 0;
	sp_err e2;
	sp_err_clear(&e2);
	if (record_outcome(j->ctx, j->src, j->shown, &j->st, o, &fid, &e2) != SP_OK) {
		sp_err_set(err, SP_EDB, "%s (and recording the failure failed: %s)", msg, e2.msg);
		return SP_EDB;
	}
	sp_err_set(err, code, "%s", msg);
	return code;
}

static void job_release(fetch_job *j)
{
	sp_rawstore_release(&j->part);
	sp_http_resp_release(&j->resp);
	opts_release(&j->fo);
	state_release(&j->st);
	free(j->o.path);
	free(j->shown);
	free(j->local);
}

int sp_stage_fetch(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	sp_err *err = ctx->err;
	fetch_job j;
	memset(&j, 0, sizeof(j));
	j.ctx = ctx;
	j.src = src;
	j.part.fd = -1;
	j.o.size = -1;
	j.shown = sp_http_redact(src->url);
	j.is_http = sp_fetch_is_scheme(src->url, "http://") || sp_fetch_is_scheme(src->url, "https://");
	int rc = state_load(ctx->db, src->name, &j.st, err);
	if (rc != SP_OK) {
		job_release(&j);
		return SP_EDB;
	}
	if ((rc = fetch_open(&j, err)) == SP_OK && j.pair_url)
		rc = fetch_pair(&j, c, err);
	else if (rc == SP_OK && (rc = fetch_download(&j, c, err)) == SP_OK && !j.o.status)
		rc = fetch_commit(&j, c, err);
	if (rc == SP_OK) {
		int64_t fid = 0;
		rc = record_outcome(ctx, src, j.shown, &j.st, &j.o, &fid, err); /* step 4: the fetch row */
	} else {
		rc = fetch_record_failure(&j, rc, err);
	}
	job_release(&j);
	return rc;
}
