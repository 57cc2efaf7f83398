/*
 * fetch_pages.c — the fetch stage's paginated JSON APIs: every page of an API into one snapshot.
 * Private to the fetch stage (fetch_int.h); fetch.c calls sp_fetch_pages() for a json source with
 * `next` or `page_param`.
 *
 * What it does (format = json with `next = dotted.path.to.next.url` or `page_param = page`): every
 * page is fetched in turn into its own temporary file raw/<source>/.part-page-XXXXXX (the API key
 * only to the configured URL's origin; no conditional requests), parsed as JSON, and appended to
 * the stage's part file as one line: the snapshot is one file of JSON Lines, one page per line,
 * bytes as served except line breaks (white space in JSON) turned to spaces and a BOM dropped; a
 * single page stays one JSON document. Paging stops at a missing/null/empty next link, a page whose
 * `items` array is empty, a link back to the same page, or `max_pages` (default 1000; reaching it
 * is noted in pr->capped, not an error). `page_start` (default 1) is the first page number when
 * page_param is used. A next link may be absolute, relative to the page's URL, or file://.
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


int sp_fetch_pages(const sp_config *cfg, const sp_source *src, const fetch_opts *fo, const page_opts *po,
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
				rc = sp_fetch_copy_local(cur, pfd, room, NULL, &got, err);
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
		cur_http = sp_fetch_is_scheme(cur, "http://") || sp_fetch_is_scheme(cur, "https://");
	}
	free(cur);
	close(pfd);
	unlink(ptmp);
	free(ptmp);
	return rc;
}
