/*
 * fetch.c — the fetch stage: bring each source's newest bytes into the raw store, safely.
 *
 * What it does, per source (sp_stage_fetch is called once per source by run.c):
 *   1. reads the source's fetch keys (below) and its source_state (ETag, Last-Modified, the last
 *      good snapshot);
 *   2. streams the URL into a temporary file raw/<source>/.part-XXXXXX: http(s) through http.c
 *      (conditional, retried, size-capped), file:// and plain paths (relative to the config's
 *      directory) by copying;
 *   3. verifies it: not empty; a zip opens with libzip; a gzip inflates to its end with a good CRC;
 *      plain XML (gleif, feed) starts with '<' after an optional BOM and white space, plain JSON with
 *      '{' or '[', plain CSV is not an HTML page;
 *   4. hashes it (sha256) and either drops it (same hash as the last good snapshot: 'unchanged') or
 *      fsyncs and renames it atomically to raw/<source>/<sha256>.<ext> ('new'), ext from the magic
 *      bytes (zip, gz) or else from the format (csv, xml, json);
 *   5. in one transaction, writes a fetch row for the outcome (new | unchanged | not_modified |
 *      failed) and updates source_state.
 *
 * Invariants:
 *   - A failed, truncated, oversized or unverifiable download never touches the last good
 *     snapshot or source_state.last_good_fetch; the temporary file is removed.
 *   - source_state.last_good_fetch moves only on 'new'; 'unchanged' and 'not_modified' confirm it
 *     (last_good_at, consecutive_failures = 0). So parse re-reads a source only when bytes changed.
 *   - Conditional headers are sent only when the last good snapshot's file is still on disk.
 *   - The API key (api_key_env) is read from the environment at fetch time and never stored,
 *     logged or put in a message; URLs are stored and shown redacted (sp_http_redact).
 *   - Stale .part-* files (a killed run) are removed at the start; the run lock makes that safe.
 *
 * Config keys of [source NAME] read here (all optional):
 *   retries = 3, timeout = 600 (s per attempt), connect_timeout = 20 (s),
 *   low_speed_limit = 1 (bytes/s), low_speed_time = 30 (s), max_bytes = 4G (suffix K, M, G),
 *   max_redirects = 5, retry_base_ms = $SPARKER_RETRY_BASE_MS or 1000, retry_after_max = 300 (s),
 *   ca_file = PEM bundle to trust instead of the system's (relative to the config's directory;
 *   verification itself can never be turned off),
 *   api_key_env = VAR, header_name = "Authorization: Bearer" (a name with ':' is followed by a
 *   space and the key, a bare name by ": " and the key).
 *
 * Paginated JSON APIs (format = json with `next = dotted.path.to.next.url` or `page_param = page`):
 * every page is fetched in turn (the API key only to the configured URL's origin; no conditional
 * requests) and the snapshot is one file of JSON Lines, one page per line, bytes as served except
 * line breaks (white space in JSON) turned to spaces; a single page stays one JSON document. Paging
 * stops at a missing/null/empty next link, a page whose `items` array is empty, a link back to the
 * same page, or `max_pages` (default 1000; reaching it is noted, not an error). `page_start`
 * (default 1) is the first page number when page_param is used. Any page failing fails the fetch.
 *
 * Failure: returns < 0 with "SOURCE: what failed" in ctx->err (the failed fetch row is committed
 * first); run.c records the stage as failed and goes on with the other sources. SP_EDB when the
 * database itself failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zip.h>
#include <zlib.h>

#include "connectors/archive.h"
#include "connectors/http.h"
#include "core/progress.h"
#include "pipeline/stage.h"

typedef struct fetch_opts {
	long retries, timeout, connect_timeout, low_speed_limit, low_speed_time, max_redirects;
	long retry_base_ms, retry_after_max;
	int64_t max_bytes;
	char *ca_file;       /* owned, absolute */
	char *secret_header; /* owned; wiped before free */
} fetch_opts;

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

static int get_num(const sp_config *cfg, const sp_source *src, const char *key, long def, long min, long max,
		   long *out, sp_err *err)
{
	const sp_kv *kv = sp_config_find(cfg, src->section, key);
	*out = def;
	if (!kv || !kv->value || !*kv->value)
		return SP_OK;
	char *end;
	errno = 0;
	long v = strtol(kv->value, &end, 10);
	if (errno || end == kv->value || *end || v < min || v > max)
		return sp_err_set(err, SP_ECONFIG, "%s:%d: [%s] %s must be a whole number from %ld to %ld, not '%s'",
				  cfg->path, kv->line, src->section, key, min, max, kv->value);
	*out = v;
	return SP_OK;
}

static void opts_release(fetch_opts *o)
{
	free(o->ca_file);
	o->ca_file = NULL;
	if (o->secret_header) {
		volatile char *p = o->secret_header;
		while (*p)
			*p++ = '\0';
		free(o->secret_header);
		o->secret_header = NULL;
	}
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
	if (get_num(cfg, src, "retries", 3, 0, 20, &o->retries, err) ||
	    get_num(cfg, src, "timeout", 600, 0, 7 * 86400L, &o->timeout, err) ||
	    get_num(cfg, src, "connect_timeout", 20, 1, 3600, &o->connect_timeout, err) ||
	    get_num(cfg, src, "low_speed_limit", 1, 0, 1L << 30, &o->low_speed_limit, err) ||
	    get_num(cfg, src, "low_speed_time", 30, 0, 86400, &o->low_speed_time, err) ||
	    get_num(cfg, src, "max_redirects", 5, 0, 50, &o->max_redirects, err) ||
	    get_num(cfg, src, "retry_base_ms", base_def, 0, 600000, &o->retry_base_ms, err) ||
	    get_num(cfg, src, "retry_after_max", 300, 0, 86400, &o->retry_after_max, err))
		return SP_ECONFIG;
	o->max_bytes = (int64_t)4 << 30;
	const sp_kv *kv = sp_config_find(cfg, src->section, "max_bytes");
	if (kv && kv->value && *kv->value && (parse_size(kv->value, &o->max_bytes) != 0 || o->max_bytes <= 0))
		return sp_err_set(err, SP_ECONFIG, "%s:%d: [%s] max_bytes must be a size such as 500M or 4G, not '%s'",
				  cfg->path, kv->line, src->section, kv->value);
	const char *ca = sp_config_get(cfg, src->section, "ca_file", NULL);
	if (ca && *ca) {
		o->ca_file = sp_config_path(cfg, ca);
		if (access(o->ca_file, R_OK) != 0)
			return sp_err_set(err, SP_ECONFIG, "[%s] ca_file %s: %s", src->section, o->ca_file, strerror(errno));
	}
	const char *var = sp_config_get(cfg, src->section, "api_key_env", NULL);
	if (var && *var) {
		const char *key = getenv(var);
		if (!key || !*key)
			return sp_err_set(err, SP_ECONFIG, "api_key_env: environment variable %s is not set", var);
		if (strpbrk(key, "\r\n"))
			return sp_err_set(err, SP_ECONFIG, "api_key_env: environment variable %s holds a line break", var);
		const char *name = sp_config_get(cfg, src->section, "header_name", "Authorization: Bearer");
		if (!*name || strpbrk(name, "\r\n"))
			return sp_err_set(err, SP_ECONFIG, "[%s] header_name is empty or holds a line break", src->section);
		sp_buf h = SP_BUF_INIT;
		sp_buf_addf(&h, "%s%s%s", name, strchr(name, ':') ? " " : ": ", key);
		o->secret_header = sp_buf_detach(&h);
	}
	return SP_OK;
}

/* ---- state --------------------------------------------------------------------------------- */

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t && *t ? sp_xstrdup((const char *)t) : NULL;
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
	sqlite3_stmt *s;
	if (sp_store_prepare(db,
			     "SELECT s.etag, s.last_modified, s.last_good_fetch, f.sha256, f.path FROM source_state s"
			     " LEFT JOIN fetch f ON f.id = s.last_good_fetch WHERE s.source = ?1",
			     &s, err) != SP_OK)
		return SP_EDB;
	sp_bind_text(s, 1, source);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		st->etag = col_dup(s, 0);
		st->last_modified = col_dup(s, 1);
		st->last_good_fetch = sqlite3_column_int64(s, 2);
		st->last_sha = col_dup(s, 3);
		st->last_path = col_dup(s, 4);
		rc = SP_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SP_OK;
	} else {
		rc = sp_store_error(db, err, "source_state");
	}
	sqlite3_finalize(s);
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
	sqlite3_stmt *s = NULL;
	int rc = sp_store_prepare(db,
				  "INSERT INTO fetch(run_id, source, url, fetched_at, http_status, etag, last_modified, size,"
				  " sha256, path, status, error, attempts) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
				  &s, err);
	if (rc != SP_OK)
		goto fail;
	if (ctx->run_id > 0)
		sqlite3_bind_int64(s, 1, ctx->run_id);
	sp_bind_text(s, 2, src->name);
	sp_bind_text(s, 3, shown_url);
	sp_bind_text(s, 4, now);
	if (o->http_status > 0)
		sqlite3_bind_int64(s, 5, o->http_status);
	sp_bind_text(s, 6, o->etag);
	sp_bind_text(s, 7, o->last_modified);
	if (o->size >= 0)
		sqlite3_bind_int64(s, 8, o->size);
	sp_bind_text(s, 9, o->sha);
	sp_bind_text(s, 10, o->path);
	sp_bind_text(s, 11, o->status);
	sp_bind_text(s, 12, o->error);
	sqlite3_bind_int(s, 13, o->attempts > 0 ? o->attempts : 1);
	rc = sp_store_step_done(db, s, err);
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SP_OK)
		goto fail;
	*fetch_id = sp_store_last_id(db);

	if (!strcmp(o->status, "failed")) {
		rc = sp_store_prepare(db,
				      "INSERT INTO source_state(source, consecutive_failures, last_error) VALUES (?1, 1, ?2)"
				      " ON CONFLICT(source) DO UPDATE SET consecutive_failures = consecutive_failures + 1,"
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
			sqlite3_bind_int64(s, 4, good);
		sp_bind_text(s, 5, now);
	}
	rc = sp_store_step_done(db, s, err);
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SP_OK)
		goto fail;
	if (sp_store_commit(db, err) != SP_OK) {
		rc = SP_EDB;
		goto fail;
	}
	return SP_OK;
fail:
	sqlite3_finalize(s);
	sp_store_rollback(db);
	return SP_EDB;
}

/* ---- local sources ------------------------------------------------------------------------- */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* file:///abs, file://localhost/abs; file://rel (not a standard form) is taken relative. */
static char *file_url_path(const sp_config *cfg, const char *url)
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
static int write_all(int fd, const char *p, size_t n, sp_err *err)
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

static int copy_local(const char *path, int fd, int64_t max_bytes, const char *label, int64_t *bytes, sp_err *err)
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
		if ((rc = write_all(fd, buf, (size_t)n, err)) != SP_OK)
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

/* ---- verification -------------------------------------------------------------------------- */

static const char *format_ext(const char *format)
{
	if (!strcmp(format, "gleif") || !strcmp(format, "feed"))
		return "xml";
	if (!strcmp(format, "json"))
		return "json";
	return "csv";
}

/* First significant byte of a plain file (after a UTF-8/UTF-16 BOM and white space), and the
 * next bytes for a small sniff. Returns the number of bytes in head. */
static size_t sniff_head(const char *path, char *head, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	unsigned char buf[4096];
	size_t got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	size_t i = 0;
	if (got >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
		i = 3;
	while (i < got && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	size_t k = 0;
	for (; i < got && k + 1 < n; i++)
		head[k++] = (char)buf[i];
	head[k] = '\0';
	return k;
}

static int verify_file(const char *tmp, const sp_source *src, int64_t size, const char **ext, sp_err *err)
{
	if (size <= 0)
		return sp_err_set(err, SP_EFORMAT, "the download is empty");
	sp_stream_kind kind;
	if (sp_stream_detect(tmp, &kind, err) != SP_OK)
		return SP_EIO;
	if (kind == SP_KIND_ZIP) {
		int zerr = 0;
		zip_t *za = zip_open(tmp, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
		if (!za) {
			zip_error_t ze;
			zip_error_init_with_code(&ze, zerr);
			sp_err_set(err, SP_EFORMAT, "not a readable zip archive: %s", zip_error_strerror(&ze));
			zip_error_fini(&ze);
			return SP_EFORMAT;
		}
		zip_int64_t n = zip_get_num_entries(za, 0);
		int files = 0;
		for (zip_int64_t i = 0; i < n && !files; i++) {
			const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
			if (name && *name && name[strlen(name) - 1] != '/')
				files++;
		}
		zip_discard(za);
		if (!files)
			return sp_err_set(err, SP_EFORMAT, "zip archive has no file entry");
		*ext = "zip";
		return SP_OK;
	}
	if (kind == SP_KIND_GZIP) {
		gzFile gz = gzopen(tmp, "rb");
		if (!gz)
			return sp_err_set(err, SP_EIO, "cannot open the gzip download: %s", strerror(errno));
		gzbuffer(gz, 1 << 16);
		char *buf = sp_xmalloc(1 << 16);
		int r;
		int64_t total = 0;
		while ((r = gzread(gz, buf, 1 << 16)) > 0)
			total += r;
		int zerrno = Z_OK;
		const char *m = gzerror(gz, &zerrno);
		int bad = r < 0 || (zerrno != Z_OK && zerrno != Z_STREAM_END);
		if (bad)
			sp_err_set(err, SP_EFORMAT, "gzip data does not inflate: %s", m && *m ? m : "corrupt or truncated");
		free(buf);
		gzclose(gz);
		if (bad)
			return SP_EFORMAT;
		if (total == 0)
			return sp_err_set(err, SP_EFORMAT, "gzip data inflates to nothing");
		*ext = "gz";
		return SP_OK;
	}
	char head[64];
	size_t k = sniff_head(tmp, head, sizeof(head));
	*ext = format_ext(src->format);
	if (!strcmp(*ext, "xml")) {
		if (!k || head[0] != '<')
			return sp_err_set(err, SP_EFORMAT, "format %s: the download is not XML (does not start with '<')",
					  src->format);
	} else if (!strcmp(*ext, "json")) {
		if (!k || (head[0] != '{' && head[0] != '['))
			return sp_err_set(err, SP_EFORMAT, "format json: the download is not JSON (does not start with '{' or '[')");
	} else {
		if (!k)
			return sp_err_set(err, SP_EFORMAT, "the download holds only white space");
		if (!strncasecmp(head, "<!doctype html", 14) || !strncasecmp(head, "<html", 5))
			return sp_err_set(err, SP_EFORMAT, "format %s: the download is an HTML page, not CSV", src->format);
	}
	return SP_OK;
}

/* ---- paginated JSON APIs ------------------------------------------------------------------- */

typedef struct page_opts {
	const char *next_path;  /* dotted path of the next-page link, or NULL */
	const char *page_param; /* query parameter carrying the page number, or NULL */
	const char *items_path; /* dotted path of the items array (empty: the document) */
	long page_start, max_pages;
} page_opts;

static json_t *json_at(json_t *v, const char *path)
{
	if (!path || !*path)
		return v;
	char *dup = sp_xstrdup(path), *save = NULL;
	for (char *seg = strtok_r(dup, ".", &save); seg && v; seg = strtok_r(NULL, ".", &save)) {
		if (json_is_object(v)) {
			v = json_object_get(v, seg);
		} else if (json_is_array(v)) {
			char *end;
			long i = strtol(seg, &end, 10);
			v = (*end || i < 0) ? NULL : json_array_get(v, (size_t)i);
		} else {
			v = NULL;
		}
	}
	free(dup);
	return v;
}

/* base with its page_param set to n: replaced in place when the query has it, else appended. */
static char *page_url(const char *base, const char *param, long n)
{
	sp_buf b = SP_BUF_INIT;
	size_t qpos = strcspn(base, "?#");
	sp_buf_add(&b, base, qpos);
	const char *q = base[qpos] == '?' ? base + qpos + 1 : NULL;
	size_t plen = strlen(param);
	int first = 1, done = 0;
	if (q) {
		while (*q && *q != '#') {
			size_t k = strcspn(q, "&#");
			sp_buf_addc(&b, first ? '?' : '&');
			first = 0;
			if (!done && k >= plen && !strncmp(q, param, plen) && (k == plen || q[plen] == '=')) {
				sp_buf_addf(&b, "%s=%ld", param, n);
				done = 1;
			} else {
				sp_buf_add(&b, q, k);
			}
			q += k;
			if (*q == '&')
				q++;
		}
	}
	if (!done)
		sp_buf_addf(&b, "%c%s=%ld", first ? '?' : '&', param, n);
	return sp_buf_detach(&b);
}

static int is_scheme(const char *url, const char *scheme);

/* A next link seen from page cur: absolute URL, file:// URL, or relative (to cur's URL or directory). */
static char *resolve_next(const sp_config *cfg, const char *cur, int cur_http, const char *ref)
{
	if (is_scheme(ref, "http://") || is_scheme(ref, "https://"))
		return sp_xstrdup(ref);
	if (cur_http)
		return sp_http_resolve(cur, ref);
	if (is_scheme(ref, "file://"))
		return file_url_path(cfg, ref);
	if (ref[0] == '/')
		return sp_xstrdup(ref);
	const char *slash = strrchr(cur, '/');
	sp_buf b = SP_BUF_INIT;
	if (slash)
		sp_buf_add(&b, cur, (size_t)(slash - cur + 1));
	sp_buf_adds(&b, ref);
	return sp_buf_detach(&b);
}

/* Append the page file to out as one line (BOM dropped, CR/LF to spaces). */
static int append_page(const char *page, int out, int64_t *written, sp_err *err)
{
	int in = open(page, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return sp_err_set(err, SP_EIO, "read %s: %s", page, strerror(errno));
	char *buf = sp_xmalloc(1 << 16);
	int rc = SP_OK, first = 1;
	for (;;) {
		ssize_t n = read(in, buf, 1 << 16);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sp_err_set(err, SP_EIO, "read %s: %s", page, strerror(errno));
			break;
		}
		char *p = buf;
		if (first && n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) {
			p += 3;
			n -= 3;
		}
		first = 0;
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (p[i] == '\n' || p[i] == '\r')
				p[i] = ' ';
		if ((rc = write_all(out, p, (size_t)n, err)) != SP_OK)
			break;
		*written += n;
	}
	if (rc == SP_OK) {
		if (write(out, "\n", 1) != 1)
			rc = sp_err_set(err, SP_EIO, "write temporary file: %s", strerror(errno));
		else
			(*written)++;
	}
	free(buf);
	close(in);
	return rc;
}

typedef struct page_result {
	int64_t downloaded, written;
	int pages, capped, attempts;
	long http_status;
} page_result;

static int fetch_pages(const sp_config *cfg, const sp_source *src, const fetch_opts *fo, const page_opts *po,
		       const char *first, int first_http, const char *dir, int out, const char *label,
		       page_result *pr, sp_err *err)
{
	memset(pr, 0, sizeof(*pr));
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "%s/.part-page-XXXXXX", dir);
	char *ptmp = sp_buf_detach(&b);
	int pfd = mkstemp(ptmp);
	if (pfd < 0) {
		int e = errno;
		free(ptmp);
		return sp_err_set(err, SP_EIO, "cannot create a temporary file in %s: %s", dir, strerror(e));
	}
	char *cur = sp_xstrdup(first);
	int cur_http = first_http, rc = SP_OK;
	for (long i = 0;; i++) {
		if (i >= po->max_pages) {
			pr->capped = 1;
			break;
		}
		int64_t room = fo->max_bytes > 0 ? fo->max_bytes - pr->downloaded : 0;
		if (fo->max_bytes > 0 && room <= 0) {
			rc = sp_err_set(err, SP_EFORMAT, "pages exceed max_bytes = %lld", (long long)fo->max_bytes);
			break;
		}
		int64_t got = 0;
		char *shown = sp_http_redact(cur);
		if (cur_http) {
			sp_http_req req = {
				.url = cur,
				.fd = pfd,
				.secret_header = sp_http_same_origin(src->url, cur) ? fo->secret_header : NULL,
				.timeout = fo->timeout,
				.connect_timeout = fo->connect_timeout,
				.low_speed_limit = fo->low_speed_limit,
				.low_speed_time = fo->low_speed_time,
				.max_bytes = room,
				.max_redirects = fo->max_redirects,
				.retries = (int)fo->retries,
				.retry_base_ms = fo->retry_base_ms,
				.retry_after_max = fo->retry_after_max,
				.ca_file = fo->ca_file,
				.progress_label = label,
			};
			sp_http_resp resp;
			rc = sp_http_get(&req, &resp, err);
			pr->http_status = resp.status;
			pr->attempts += resp.attempts;
			got = resp.bytes;
			sp_http_resp_release(&resp);
		} else {
			pr->attempts++;
			if (ftruncate(pfd, 0) != 0 || lseek(pfd, 0, SEEK_SET) != 0)
				rc = sp_err_set(err, SP_EIO, "cannot truncate %s: %s", ptmp, strerror(errno));
			else
				rc = copy_local(cur, pfd, room, NULL, &got, err);
		}
		if (rc != SP_OK) {
			sp_err_prefix(err, "page %ld", i + 1);
			free(shown);
			break;
		}
		pr->downloaded += got;
		json_error_t je;
		json_t *doc = NULL;
		FILE *pf = fopen(ptmp, "rb");
		if (pf) {
			unsigned char bom[3];
			if (fread(bom, 1, 3, pf) != 3 || bom[0] != 0xEF || bom[1] != 0xBB || bom[2] != 0xBF)
				rewind(pf);
			doc = json_loadf(pf, JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &je);
			fclose(pf);
		} else {
			snprintf(je.text, sizeof(je.text), "%s", strerror(errno));
			je.line = 0;
		}
		if (!doc) {
			rc = sp_err_set(err, SP_EFORMAT, "page %ld (%s) is not JSON: %s (line %d)", i + 1, shown, je.text, je.line);
			free(shown);
			break;
		}
		free(shown);
		if ((rc = append_page(ptmp, out, &pr->written, err)) != SP_OK) {
			json_decref(doc);
			break;
		}
		pr->pages++;
		json_t *items = json_at(doc, po->items_path);
		int empty = !items || (json_is_array(items) && json_array_size(items) == 0);
		char *next = NULL;
		if (po->next_path) {
			json_t *nx = json_at(doc, po->next_path);
			if (json_is_string(nx) && *json_string_value(nx))
				next = resolve_next(cfg, cur, cur_http, json_string_value(nx));
		} else if (po->page_param) {
			next = page_url(src->url, po->page_param, po->page_start + i + 1);
		}
		json_decref(doc);
		if (!next || empty || !strcmp(next, cur)) {
			free(next);
			break;
		}
		free(cur);
		cur = next;
		cur_http = is_scheme(cur, "http://") || is_scheme(cur, "https://");
	}
	free(cur);
	close(pfd);
	unlink(ptmp);
	free(ptmp);
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

static void remove_stale_parts(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	sp_buf p = SP_BUF_INIT;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, ".part-", 6))
			continue;
		sp_buf_reset(&p);
		sp_buf_addf(&p, "%s/%s", dir, e->d_name);
		unlink(p.buf);
	}
	sp_buf_release(&p);
	closedir(d);
}

static int file_exists(const char *raw_dir, const char *rel)
{
	if (!rel)
		return 0;
	sp_buf p = SP_BUF_INIT;
	sp_buf_addf(&p, "%s/%s", raw_dir, rel);
	struct stat st;
	int ok = stat(p.buf, &st) == 0 && S_ISREG(st.st_mode);
	sp_buf_release(&p);
	return ok;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

static int is_scheme(const char *url, const char *scheme)
{
	return !strncasecmp(url, scheme, strlen(scheme));
}

int sp_stage_fetch(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	sp_err *err = ctx->err;
	const sp_config *cfg = ctx->cfg;
	fetch_opts fo;
	fetch_state st;
	outcome o;
	memset(&o, 0, sizeof(o));
	o.size = -1;
	char *shown = sp_http_redact(src->url);
	char *dir = NULL, *tmp = NULL, *local = NULL, *final = NULL;
	int fd = -1, rc;
	int is_http = is_scheme(src->url, "http://") || is_scheme(src->url, "https://");
	sp_http_resp resp;
	memset(&resp, 0, sizeof(resp));

	rc = state_load(ctx->db, src->name, &st, err);
	if (rc != SP_OK) {
		free(shown);
		return SP_EDB;
	}
	rc = read_opts(cfg, src, &fo, err);
	if (rc != SP_OK)
		goto failed;

	if (!is_http) {
		if (is_scheme(src->url, "file://")) {
			local = file_url_path(cfg, src->url);
		} else if (strstr(src->url, "://")) {
			rc = sp_err_set(err, SP_ECONFIG, "url %s: only http://, https://, file:// and paths are supported",
					shown);
			goto failed;
		} else {
			local = sp_config_path(cfg, src->url);
		}
	}

	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "%s/%s", cfg->raw_dir, src->name);
	dir = sp_buf_detach(&b);
	if ((rc = sp_mkdir_p(dir, err)) != SP_OK)
		goto failed;
	remove_stale_parts(dir);
	sp_buf_addf(&b, "%s/.part-XXXXXX", dir);
	tmp = sp_buf_detach(&b);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = sp_err_set(err, SP_EIO, "cannot create a temporary file in %s: %s", dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto failed;
	}

	int64_t bytes = 0;
	char label[96];
	snprintf(label, sizeof(label), "fetch %s", src->name);
	page_opts po = { 0 };
	if (!strcmp(src->format, "json")) {
		po.next_path = sp_config_get(cfg, src->section, "next", NULL);
		po.page_param = sp_config_get(cfg, src->section, "page_param", NULL);
		po.items_path = sp_config_get(cfg, src->section, "items", NULL);
		if (po.next_path && !*po.next_path)
			po.next_path = NULL;
		if (po.page_param && !*po.page_param)
			po.page_param = NULL;
		if ((rc = get_num(cfg, src, "page_start", 1, 0, 1000000000L, &po.page_start, err)) != SP_OK ||
		    (rc = get_num(cfg, src, "max_pages", 1000, 1, 1000000L, &po.max_pages, err)) != SP_OK)
			goto failed;
		if (po.page_param && !is_http) {
			rc = sp_err_set(err, SP_ECONFIG, "[%s] page_param needs an http(s) url", src->section);
			goto failed;
		}
	}
	int pages = 0, capped = 0;
	if (po.next_path || po.page_param) {
		page_result pr;
		rc = fetch_pages(cfg, src, &fo, &po, is_http ? src->url : local, is_http, dir, fd, label, &pr, err);
		o.http_status = pr.http_status;
		o.attempts = pr.attempts;
		if (rc != SP_OK)
			goto failed;
		c->in = pr.downloaded;
		bytes = pr.written;
		pages = pr.pages;
		capped = pr.capped;
	} else if (is_http) {
		int have_snapshot = st.last_good_fetch > 0 && file_exists(cfg->raw_dir, st.last_path);
		sp_http_req req = {
			.url = src->url,
			.fd = fd,
			.if_none_match = have_snapshot ? st.etag : NULL,
			.if_modified_since = have_snapshot ? st.last_modified : NULL,
			.secret_header = fo.secret_header,
			.timeout = fo.timeout,
			.connect_timeout = fo.connect_timeout,
			.low_speed_limit = fo.low_speed_limit,
			.low_speed_time = fo.low_speed_time,
			.max_bytes = fo.max_bytes,
			.max_redirects = fo.max_redirects,
			.retries = (int)fo.retries,
			.retry_base_ms = fo.retry_base_ms,
			.retry_after_max = fo.retry_after_max,
			.ca_file = fo.ca_file,
			.progress_label = label,
		};
		rc = sp_http_get(&req, &resp, err);
		o.http_status = resp.status;
		o.attempts = resp.attempts;
		bytes = resp.bytes;
		if (rc != SP_OK)
			goto failed;
		o.etag = resp.etag;
		o.last_modified = resp.last_modified;
		if (resp.status == 304) {
			o.status = "not_modified";
			close(fd);
			fd = -1;
			unlink(tmp);
			c->in = 0;
			snprintf(c->note, sizeof(c->note), "304 not modified");
			goto record;
		}
	} else {
		o.attempts = 1;
		rc = copy_local(local, fd, fo.max_bytes, label, &bytes, err);
		if (rc != SP_OK)
			goto failed;
	}
	if (!pages)
		c->in = bytes;
	o.size = bytes;

	if (fsync(fd) != 0) {
		rc = sp_err_set(err, SP_EIO, "fsync %s: %s", tmp, strerror(errno));
		goto failed;
	}
	close(fd);
	fd = -1;

	const char *ext = NULL;
	if ((rc = verify_file(tmp, src, bytes, &ext, err)) != SP_OK)
		goto failed;
	if ((rc = sp_sha256_file(tmp, o.sha, err)) != SP_OK)
		goto failed;
	char size_s[32];
	human_size(bytes, size_s, sizeof(size_s));
	if (st.last_sha && !strcmp(st.last_sha, o.sha) && file_exists(cfg->raw_dir, st.last_path)) {
		o.status = "unchanged";
		o.path = sp_xstrdup(st.last_path);
		unlink(tmp);
		snprintf(c->note, sizeof(c->note), "unchanged (%s)", size_s);
	} else {
		sp_buf_addf(&b, "%s/%s.%s", dir, o.sha, ext);
		final = sp_buf_detach(&b);
		if (rename(tmp, final) != 0) {
			rc = sp_err_set(err, SP_EIO, "rename %s -> %s: %s", tmp, final, strerror(errno));
			goto failed;
		}
		fsync_dir(dir);
		sp_buf_addf(&b, "%s/%s.%s", src->name, o.sha, ext);
		o.path = sp_buf_detach(&b);
		o.status = "new";
		c->out = 1;
		snprintf(c->note, sizeof(c->note), "new %s", size_s);
	}
	if (pages) {
		size_t n = strlen(c->note);
		snprintf(c->note + n, sizeof(c->note) - n, ", %d page%s%s", pages, pages == 1 ? "" : "s",
			 capped ? " (max_pages reached)" : "");
	}

record:;
	int64_t fid = 0;
	rc = record_outcome(ctx, src, shown, &st, &o, &fid, err);
	goto out;

failed:
	if (!err->msg[0])
		sp_err_set(err, rc < 0 ? rc : SP_EIO, "fetch failed");
	/* messages from http.c already name the URL; others get it here. The source's name is in
	 * the fetch row, the stage_run row and run.c's message, so it is not repeated. */
	if (!(is_http && strstr(err->msg, "GET ") == err->msg))
		sp_err_prefix(err, "%s", shown);
	{
		int code = rc < 0 ? rc : SP_EIO;
		char msg[SP_ERR_MAX];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		o.status = "failed";
		o.error = msg;
		o.sha[0] = '\0';
		free(o.path);
		o.path = NULL;
		o.etag = o.last_modified = NULL;
		if (fd >= 0) {
			close(fd);
			fd = -1;
		}
		if (tmp)
			unlink(tmp);
		int64_t fid = 0;
		sp_err e2;
		sp_err_clear(&e2);
		if (record_outcome(ctx, src, shown, &st, &o, &fid, &e2) != SP_OK) {
			sp_err_set(err, SP_EDB, "%s (and recording the failure failed: %s)", msg, e2.msg);
			rc = SP_EDB;
		} else {
			sp_err_set(err, code, "%s", msg);
			rc = code;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	sp_http_resp_release(&resp);
	opts_release(&fo);
	state_release(&st);
	free(o.path);
	free(shown);
	free(dir);
	free(tmp);
	free(local);
	free(final);
	return rc;
}
