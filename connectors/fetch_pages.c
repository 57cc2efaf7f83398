/*
 * fetch_pages.c — the fetch stage's paginated JSON APIs: every page of one pull into one snapshot.
 * Private to the fetch stage (fetch_int.h); fetch.c calls sp_fetch_pages() for a json source whose
 * `paging` is set (or the older `next` / `page_param` alone).
 *
 * What it does: every page is fetched in turn into its own temporary file
 * raw/<source>/.part-page-XXXXXX (the credential only to the configured URL's origin, auth.h; no
 * conditional requests), parsed as JSON (one page at a time: memory follows the page, never the
 * pull), and appended to the stage's part file as one line: the snapshot is one file of JSON
 * Lines, one page per line, bytes as served except line breaks (white space in JSON) turned to
 * spaces and a BOM dropped. The part file is renamed into the raw store only when every page
 * came (fetch.c), so a pull that fails midway never replaces the last good snapshot.
 *
 * The paging rule (next_page_url, the one place that says what the next page is):
 *   next    the URL at the dotted path `next` in the page (absolute, relative to the page's URL,
 *           or file://);
 *   link    the HTTP Link header's rel="next" URL;
 *   cursor  the value at the dotted path `cursor_path` (a string or a number) sent as the query
 *           parameter `cursor_param` (default cursor) on the configured URL;
 *   offset  the configured URL with `offset_param` (default offset) = the items read so far
 *           (starting from the offset the URL carries, else 0);
 *   page    the configured URL with `page_param` (default page) = page_start + pages read.
 * `page_size` > 0 sets `page_size_param` (default limit) on every request. Paging stops at a page
 * without items (no `items` array or an empty one), a missing/null/empty next link or cursor,
 * the same link or cursor twice, or `max_pages`. A short page does not end offset or page paging
 * (an API may cap the page size it is asked for, or filter a page, without saying so): the empty
 * page after the last one does, at the price of one request (default 1000; reaching it is noted in pr->capped, not an
 * error). Between pages: `page_pause_ms`, and the rate-limit reset when the last answer said
 * X-RateLimit-Remaining: 0 (http.h: the same caps as Retry-After).
 *
 * Invariants: the bytes downloaded over all pages stay within max_bytes; the page file is removed
 * before returning, whatever happened.
 * Ownership: the caller owns out (the stage's part file); strings returned here are the caller's.
 * Failure: any page failing fails the fetch: SP_EIO / SP_EFORMAT / SP_EINTERRUPTED with "page N:
 * ..." or "page N (URL) is not JSON: ..." in err (URLs redacted).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "connectors/connector.h"
#include "connectors/fetch_int.h"
#include "connectors/http.h"


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

/* base with the query parameter param set to value (already escaped): replaced in place when
 * the query has it, else appended. */
static char *url_with_param(const char *base, const char *param, const char *value)
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
				sp_buf_addf(&b, "%s=%s", param, value);
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
		sp_buf_addf(&b, "%c%s=%s", first ? '?' : '&', param, value);
	return sp_buf_detach(&b);
}

static char *url_with_num(const char *base, const char *param, long n)
{
	char v[32];
	snprintf(v, sizeof(v), "%ld", n);
	return url_with_param(base, param, v);
}

/* The whole-number value of param in url's query, or def. */
static long query_num(const char *url, const char *param, long def)
{
	const char *q = strchr(url, '?');
	size_t plen = strlen(param);
	while (q && *q && *q != '#') {
		q++;
		if (!strncmp(q, param, plen) && q[plen] == '=') {
			char *end;
			long v = strtol(q + plen + 1, &end, 10);
			return (*end == '&' || *end == '#' || !*end) && v >= 0 ? v : def;
		}
		q += strcspn(q, "&#");
	}
	return def;
}

/* A next link seen from page cur: absolute URL, file:// URL, or relative (to cur's URL or directory). */
static char *resolve_next(const sp_config *cfg, const char *cur, int cur_http, const char *ref)
{
	if (sp_fetch_is_scheme(ref, "http://") || sp_fetch_is_scheme(ref, "https://"))
		return sp_xstrdup(ref);
	if (cur_http)
		return sp_http_resolve(cur, ref);
	if (sp_fetch_is_scheme(ref, "file://"))
		return sp_fetch_file_url_path(cfg, ref);
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
		if ((rc = sp_fetch_write_all(out, p, (size_t)n, err)) != SP_OK)
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


/* One pull: where it is, what the last page said. */
typedef struct pager {
	const sp_config *cfg;
	const sp_source *src;
	fetch_opts *fo;
	const page_opts *po;
	char *base;       /* the configured URL with page_size set: the other pages' URLs are made from it */
	char *cur;        /* this page's URL (or local path) */
	int cur_http;
	char *cursor;     /* cursor paging: the last cursor sent */
	long offset;      /* offset paging: this page's offset */
	long index;       /* pages read */
	char *link_next;  /* the last answer's Link rel="next" */
	long wait_next;   /* seconds the last answer asked to wait (rate limit spent) */
	int64_t room;     /* bytes this page may have (0: no limit) */
} pager;

static int is_http(const char *u)
{
	return sp_fetch_is_scheme(u, "http://") || sp_fetch_is_scheme(u, "https://");
}

/* The paging rule (see the top of this file): the next page's URL after the page just read (its
 * document and item count), or NULL when it was the last. */
static char *next_page_url(pager *pg, json_t *doc, long nitems)
{
	const page_opts *po = pg->po;
	char *next = NULL;
	if (nitems == 0)
		return NULL;
	switch (po->paging) {
	case SP_PAGING_NEXT: {
		json_t *nx = json_at(doc, po->next_path);
		if (json_is_string(nx) && *json_string_value(nx))
			next = resolve_next(pg->cfg, pg->cur, pg->cur_http, json_string_value(nx));
		break;
	}
	case SP_PAGING_LINK:
		next = pg->link_next ? sp_xstrdup(pg->link_next) : NULL;
		break;
	case SP_PAGING_CURSOR: {
		json_t *c = json_at(doc, po->cursor_path);
		char num[32], *v = NULL;
		if (json_is_string(c) && *json_string_value(c))
			v = sp_xstrdup(json_string_value(c));
		else if (json_is_integer(c) || json_is_real(c))
			v = (snprintf(num, sizeof(num), "%.17g", json_number_value(c)), sp_xstrdup(num));
		if (v && (!pg->cursor || strcmp(v, pg->cursor))) {
			char *e = sp_http_escape(v);
			next = url_with_param(pg->base, po->cursor_param, e);
			free(e);
			free(pg->cursor);
			pg->cursor = v;
			v = NULL;
		}
		free(v);
		break;
	}
	case SP_PAGING_OFFSET:
		pg->offset += nitems;
		next = url_with_num(pg->base, po->offset_param, pg->offset);
		break;
	case SP_PAGING_PAGE:
		next = url_with_num(pg->base, po->page_param, po->page_start + pg->index);
		break;
	}
	if (next && !strcmp(next, pg->cur)) {
		free(next);
		next = NULL;
	}
	return next;
}

/* Bring pg->cur into the page file pfd: over http (the credential to the source's origin only) or
 * by a local copy. *got = bytes. */
static int page_download(pager *pg, int pfd, const char *ptmp, const char *label, page_result *pr, int64_t *got,
			 sp_err *err)
{
	free(pg->link_next);
	pg->link_next = NULL;
	pg->wait_next = 0;
	if (!pg->cur_http) {
		pr->attempts++;
		if (ftruncate(pfd, 0) != 0 || lseek(pfd, 0, SEEK_SET) != 0)
			return sp_err_set(err, SP_EIO, "cannot truncate %s: %s", ptmp, strerror(errno));
		return sp_fetch_copy_local(pg->cur, pfd, pg->room, NULL, got, err);
	}
	sp_http_req req = sp_fetch_req(pg->fo, pg->cur, pfd, label);
	req.max_bytes = pg->room;
	sp_http_resp resp;
	int same = sp_http_same_origin(pg->src->url, pg->cur);
	int rc = sp_auth_get(same ? &pg->fo->auth : NULL, &req, &resp, err);
	pr->http_status = resp.status;
	pr->attempts += resp.attempts;
	*got = resp.bytes;
	pg->link_next = resp.link_next;
	resp.link_next = NULL;
	pg->wait_next = resp.wait_next;
	sp_http_resp_release(&resp);
	return rc;
}

/* The page file as one JSON document (a BOM skipped), or SP_EFORMAT naming the page. */
static int page_load(const char *ptmp, const char *shown, long n, json_t **doc, sp_err *err)
{
	json_error_t je;
	FILE *pf = fopen(ptmp, "rb");
	*doc = NULL;
	if (pf) {
		unsigned char bom[3];
		if (fread(bom, 1, 3, pf) != 3 || bom[0] != 0xEF || bom[1] != 0xBB || bom[2] != 0xBF)
			rewind(pf);
		*doc = json_loadf(pf, JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &je);
		fclose(pf);
	} else {
		snprintf(je.text, sizeof(je.text), "%s", strerror(errno));
		je.line = 0;
	}
	if (!*doc)
		return sp_err_set(err, SP_EFORMAT, "page %ld (%s) is not JSON: %s (line %d)", n, shown, je.text, je.line);
	return SP_OK;
}

/* Before every page but the first: the configured pause, and the wait a spent rate limit asks. */
static int page_wait(pager *pg, sp_err *err)
{
	if (pg->index == 0)
		return SP_OK;
	if (pg->po->pause_ms > 0 && sp_http_sleep_ms(pg->po->pause_ms) != 0)
		return sp_err_set(err, SP_EINTERRUPTED, "interrupted by a signal between pages");
	if (pg->wait_next <= 0)
		return SP_OK;
	sp_http_req req = sp_fetch_req(pg->fo, pg->cur, -1, NULL);
	return sp_http_server_wait(&req, pg->wait_next, "X-RateLimit-Reset", err);
}

/* One page: wait, download, read, append to out; *next = the next page's URL or NULL. */
static int page_one(pager *pg, int pfd, const char *ptmp, int out, const char *label, page_result *pr, char **next,
		    sp_err *err)
{
	*next = NULL;
	int64_t got = 0;
	int rc = page_wait(pg, err);
	if (rc == SP_OK)
		rc = page_download(pg, pfd, ptmp, label, pr, &got, err);
	if (rc != SP_OK)
		return sp_err_prefix(err, "page %ld", pg->index + 1);
	pr->downloaded += got;
	char *shown = sp_http_redact(pg->cur);
	json_t *doc = NULL;
	rc = page_load(ptmp, shown, pg->index + 1, &doc, err);
	free(shown);
	if (rc == SP_OK)
		rc = append_page(ptmp, out, &pr->written, err);
	if (rc == SP_OK) {
		pr->pages++;
		pg->index++;
		json_t *items = json_at(doc, pg->po->items_path);
		long nitems = !items ? 0 : json_is_array(items) ? (long)json_array_size(items) : 1;
		*next = next_page_url(pg, doc, nitems);
	}
	json_decref(doc);
	return rc;
}

int sp_fetch_pages(const sp_config *cfg, const sp_source *src, fetch_opts *fo, const page_opts *po,
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
	pager pg = { .cfg = cfg, .src = src, .fo = fo, .po = po, .cur_http = first_http };
	pg.base = po->page_size > 0 && po->size_param ? url_with_num(first, po->size_param, po->page_size) : sp_xstrdup(first);
	pg.cur = sp_xstrdup(pg.base);
	pg.offset = po->offset_param ? query_num(pg.base, po->offset_param, 0) : 0;
	int rc = SP_OK;
	for (;;) {
		if (pg.index >= po->max_pages) {
			pr->capped = 1;
			break;
		}
		pg.room = fo->max_bytes > 0 ? fo->max_bytes - pr->downloaded : 0;
		if (fo->max_bytes > 0 && pg.room <= 0) {
			rc = sp_err_set(err, SP_EFORMAT, "pages exceed max_bytes = %lld", (long long)fo->max_bytes);
			break;
		}
		char *next;
		if ((rc = page_one(&pg, pfd, ptmp, out, label, pr, &next, err)) != SP_OK || !next)
			break;
		free(pg.cur);
		pg.cur = next;
		pg.cur_http = is_http(pg.cur);
	}
	free(pg.base);
	free(pg.cur);
	free(pg.cursor);
	free(pg.link_next);
	close(pfd);
	unlink(ptmp);
	free(ptmp);
	return rc;
}
