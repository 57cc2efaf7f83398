/*
 * http.c — libcurl GET into a file with retries, limits and conditional headers. See http.h (what
 * it does, invariants, ownership, failure).
 *
 * Layout: URL helpers (redaction, resolution, origin, escaping, Link headers), the transfer
 * callbacks (on_write, and on_progress, which also abandons the transfer on a stop request,
 * core/stop.h), the waits a server asks for (server_wait_refused, sp_http_server_wait), then
 * sp_http_get() in three steps: get_setup (headers and handle options), get_transfer (attempts
 * with backoff between them) and attempt_outcome (what one attempt's result means: success,
 * retry, or a final error).
 */
#include "connectors/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/progress.h"
#include "core/stop.h"

#ifndef SP_VERSION
#define SP_VERSION "0"
#endif

#define SP_UA "sparker/" SP_VERSION " (+https://example.invalid/sparker)"

const char *sp_http_user_agent(void)
{
	return SP_UA;
}

static int curl_ready;

static int http_global_init(sp_err *err)
{
	if (curl_ready)
		return SP_OK;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return sp_err_set(err, SP_EIO, "libcurl initialisation failed");
	curl_ready = 1;
	return SP_OK;
}

/* ---- redaction ----------------------------------------------------------------------------- */

static int secret_param(const char *name, size_t n)
{
	static const char *const words[] = { "key", "token", "secret", "passw", "pwd", "auth", "sig", "credential",
					     "session" };
	char low[64];
	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	low[n] = '\0';
	for (size_t i = 0; i < SP_ARRAY_LEN(words); i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

char *sp_http_redact(const char *url)
{
	if (!url)
		return NULL;
	sp_buf b = SP_BUF_INIT;
	const char *p = url;
	const char *sch = strstr(url, "://");
	if (sch) {
		sp_buf_add(&b, url, (size_t)(sch + 3 - url));
		p = sch + 3;
		size_t auth_end = strcspn(p, "/?#");
		const char *at = memchr(p, '@', auth_end);
		if (at) {
			const char *last_at = at;
			while ((at = memchr(last_at + 1, '@', (size_t)(p + auth_end - last_at - 1))))
				last_at = at;
			sp_buf_adds(&b, "***@");
			p = last_at + 1;
		}
	}
	size_t path_len = strcspn(p, "?#");
	sp_buf_add(&b, p, path_len);
	p += path_len;
	if (*p == '?') {
		sp_buf_addc(&b, '?');
		p++;
		while (*p && *p != '#') {
			size_t n = strcspn(p, "&#");
			const char *eq = memchr(p, '=', n);
			if (eq && secret_param(p, (size_t)(eq - p))) {
				sp_buf_add(&b, p, (size_t)(eq - p) + 1);
				sp_buf_adds(&b, "***");
			} else {
				sp_buf_add(&b, p, n);
			}
			p += n;
			if (*p == '&') {
				sp_buf_addc(&b, '&');
				p++;
			}
		}
	}
	sp_buf_adds(&b, p); /* fragment, if any */
	return sp_buf_detach(&b);
}

/* ---- URLs ---------------------------------------------------------------------------------- */

char *sp_http_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	if (!u)
		return NULL;
	char *out = NULL, *res = NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK && curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		res = sp_xstrdup(out);
	curl_free(out);
	curl_url_cleanup(u);
	return res;
}

static char *url_origin(const char *url)
{
	CURLU *u = curl_url();
	if (!u)
		return NULL;
	char *sch = NULL, *host = NULL, *port = NULL, *res = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &sch, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		sp_buf b = SP_BUF_INIT;
		sp_buf_addf(&b, "%s://%s:%s", sch, host, port);
		for (char *p = b.buf; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		res = sp_buf_detach(&b);
	}
	curl_free(sch);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return res;
}

int sp_http_secure_for_secrets(const char *url)
{
	CURLU *u = curl_url();
	if (!u)
		return 0;
	char *sch = NULL, *host = NULL;
	int ok = 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &sch, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		ok = !strcasecmp(sch, "https") || (!strcasecmp(sch, "http") && (!strcmp(host, "127.0.0.1") ||
										!strcmp(host, "[::1]") || !strcasecmp(host, "localhost")));
	curl_free(sch);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

int sp_http_same_origin(const char *a, const char *b)
{
	char *x = url_origin(a), *y = url_origin(b);
	int same = x && y && !strcmp(x, y);
	free(x);
	free(y);
	return same;
}

char *sp_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, "");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			sp_buf_addc(&b, (char)*p);
		} else {
			sp_buf_addc(&b, '%');
			sp_buf_addc(&b, hex[*p >> 4]);
			sp_buf_addc(&b, hex[*p & 15]);
		}
	}
	return sp_buf_detach(&b);
}

/* One parameter's value of a link-value (quoted or a token); *p moves past it. */
static char *link_param_value(const char **p)
{
	const char *q = *p;
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, "");
	if (*q == '"') {
		for (q++; *q && *q != '"'; q++) {
			if (*q == '\\' && q[1])
				q++;
			sp_buf_addc(&b, *q);
		}
		if (*q == '"')
			q++;
	} else {
		while (*q && *q != ';' && *q != ',' && *q != ' ' && *q != '\t')
			sp_buf_addc(&b, *q++);
	}
	*p = q;
	return sp_buf_detach(&b);
}

/* 1 when the space-separated relation types in v include rel (any case). */
static int rel_has(const char *v, const char *rel)
{
	size_t n = strlen(rel);
	for (const char *p = v; *p;) {
		p += strspn(p, " \t");
		size_t k = strcspn(p, " \t");
		if (k == n && !strncasecmp(p, rel, n))
			return 1;
		p += k;
	}
	return 0;
}

char *sp_http_link_rel(const char *value, const char *rel)
{
	const char *p = value;
	while (p && *p) {
		p += strspn(p, " \t,");
		if (*p != '<')
			return NULL;
		const char *end = strchr(p, '>');
		if (!end)
			return NULL;
		const char *uri = p + 1;
		size_t ulen = (size_t)(end - uri);
		int match = 0;
		p = end + 1;
		for (;;) { /* ; name=value ... up to the next ',' */
			p += strspn(p, " \t");
			if (*p != ';')
				break;
			p++;
			p += strspn(p, " \t");
			size_t nlen = strcspn(p, "=;, \t");
			int is_rel = nlen == 3 && !strncasecmp(p, "rel", 3);
			p += nlen;
			p += strspn(p, " \t");
			if (*p != '=')
				continue;
			p++;
			p += strspn(p, " \t");
			char *v = link_param_value(&p);
			match |= is_rel && rel_has(v, rel);
			free(v);
		}
		if (match)
			return sp_xstrndup(uri, ulen);
		while (*p && *p != ',')
			p++;
	}
	return NULL;
}

/* ---- one transfer -------------------------------------------------------------------------- */

struct xfer {
	CURL *h;
	int fd;
	sp_buf *mem;
	int64_t bytes, max;
	int oversized;
	int io_errno;
	int progress;
	int have_total;
	const char *label;
};

static size_t on_write(char *p, size_t sz, size_t nm, void *user)
{
	struct xfer *x = user;
	size_t len = sz * nm;
	long code = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 300)
		return len; /* an error page: not data, not kept */
	if (x->max > 0 && x->bytes + (int64_t)len > x->max) {
		x->oversized = 1;
		return 0; /* aborts with CURLE_WRITE_ERROR */
	}
	if (x->mem) {
		sp_buf_add(x->mem, p, len);
		x->bytes += (int64_t)len;
		return len;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(x->fd, p + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			x->io_errno = errno;
			return 0;
		}
		off += (size_t)w;
	}
	x->bytes += (int64_t)len;
	return len;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)ultotal, (void)ulnow;
	struct xfer *x = user;
	if (sp_stop_requested())
		return 1; /* aborts with CURLE_ABORTED_BY_CALLBACK */
	if (!x->progress)
		return 0;
	if (!x->have_total && dltotal > 0) {
		x->have_total = 1;
		sp_progress_start(x->label, (int64_t)dltotal, "B");
	}
	sp_progress_update((int64_t)dlnow);
	return 0;
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

static int retryable_status(long s)
{
	return s >= 500 || s == 429 || s == 408;
}

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	if (!rng_state)
		rng_state = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)(sp_mono() * 1e6) ^ 0x9E3779B97F4A7C15ull;
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* Backoff before attempt k+1 (k = 0 for the first retry): "equal jitter" on base * 2^k, capped. */
static long backoff_ms(long base, int k)
{
	if (base <= 0)
		return 0;
	long long d = base;
	for (int i = 0; i < k && d < 300000; i++)
		d *= 2;
	if (d > 300000)
		d = 300000;
	long long half = d / 2;
	return (long)(half + (long long)(rng_next() % (uint64_t)(half + 1)));
}

/* Wait ms milliseconds in slices of 50, giving up (-1) on a stop request. */
int sp_http_sleep_ms(long ms)
{
	double end = sp_mono() + (double)ms / 1000;
	for (;;) {
		if (sp_stop_requested())
			return -1;
		double left = end - sp_mono();
		if (left <= 0)
			return 0;
		long slice = left < 0.05 ? (long)(left * 1e9) : 50000000L;
		struct timespec ts = { 0, slice };
		nanosleep(&ts, NULL);
	}
}

static char *header_value(CURL *h, const char *name)
{
	struct curl_header *hd = NULL;
	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || !hd || !hd->value)
		return NULL;
	return sp_xstrdup(hd->value);
}

void sp_http_resp_release(sp_http_resp *r)
{
	if (!r)
		return;
	free(r->etag);
	free(r->last_modified);
	free(r->link_next);
	r->etag = r->last_modified = r->link_next = NULL;
}

/* ---- waits the server asks for -------------------------------------------------------------- */

/* A rate-limit header as a whole number (-1 when absent or not a number). */
static long long header_num(CURL *h, const char *name)
{
	char *v = header_value(h, name);
	if (!v)
		return -1;
	char *end;
	long long n = strtoll(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	int ok = end != v && !*end && n >= 0;
	free(v);
	return ok ? n : -1;
}

/* Seconds until the rate limit resets (X-RateLimit-Reset or RateLimit-Reset: seconds, or an epoch
 * time when above 10^9), or -1 when the response does not say. */
static long rate_reset_s(CURL *h)
{
	long long r = header_num(h, "X-RateLimit-Reset");
	if (r < 0)
		r = header_num(h, "RateLimit-Reset");
	if (r < 0)
		return -1;
	if (r > 1000000000LL)
		r = r > (long long)time(NULL) ? r - (long long)time(NULL) : 0;
	return r > 86400L * 366 ? 86400L * 366 : (long)r;
}

/* Seconds a 2xx asks the next request to wait: its rate limit is spent (Remaining: 0). */
static long rate_wait_next(CURL *h)
{
	long long left = header_num(h, "X-RateLimit-Remaining");
	if (left < 0)
		left = header_num(h, "RateLimit-Remaining");
	if (left != 0)
		return 0;
	long r = rate_reset_s(h);
	return r > 0 ? r : 0;
}

/* 1 (with the reason in why) when a wait of seconds is more than the request allows. */
static int server_wait_refused(const sp_http_req *req, long seconds, const char *what, sp_buf *why)
{
	if (seconds > req->retry_after_max) {
		sp_buf_addf(why, "the server asks to wait %ld s (%s), more than retry_after_max = %ld s", seconds, what,
			    req->retry_after_max);
		return 1;
	}
	if (req->wait_left && (double)seconds > *req->wait_left) {
		sp_buf_addf(why, "the server asks to wait %ld s (%s), more than the %.0f s left of wait_total_max", seconds,
			    what, *req->wait_left);
		return 1;
	}
	return 0;
}

int sp_http_server_wait(const sp_http_req *req, long seconds, const char *what, sp_err *err)
{
	if (seconds <= 0)
		return SP_OK;
	sp_buf why = SP_BUF_INIT;
	if (server_wait_refused(req, seconds, what, &why)) {
		sp_err_set(err, SP_EIO, "%s", sp_buf_str(&why));
		sp_buf_release(&why);
		return SP_EIO;
	}
	sp_buf_release(&why);
	if (req->wait_left)
		*req->wait_left -= (double)seconds;
	if (sp_http_sleep_ms(seconds * 1000L) != 0)
		return sp_err_set(err, SP_EINTERRUPTED, "interrupted by a signal while waiting %ld s (%s)", seconds, what);
	return SP_OK;
}

/* ---- the GET: setup, transfer with retries, outcome ------------------------------------------ */

/* One sp_http_get call: the request, the libcurl handle with its headers, the transfer state. */
typedef struct get_call {
	const sp_http_req *req;
	CURL *h;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer x;
	int conditional; /* If-None-Match or If-Modified-Since is sent */
	int cross_origin; /* a redirect to another origin was refused (a credential would go with it) */
} get_call;

/* Before each request (a redirect's too): a credential header other than Authorization (which
 * libcurl itself drops when the host changes) never goes to another origin: the transfer stops. */
static int on_prereq(void *user, char *ip, char *local_ip, int port, int local_port)
{
	(void)ip, (void)local_ip, (void)port, (void)local_port;
	get_call *g = user;
	char *eff = NULL;
	if (curl_easy_getinfo(g->h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff && !sp_http_same_origin(g->req->url, eff)) {
		g->cross_origin = 1;
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

/* Request headers (conditional ones, the credential) and every option of the handle. */
static void get_setup(get_call *g)
{
	const sp_http_req *req = g->req;
	CURL *h = g->h;
	sp_buf line = SP_BUF_INIT;
	if (req->if_none_match && *req->if_none_match) {
		sp_buf_addf(&line, "If-None-Match: %s", req->if_none_match);
		g->hdrs = curl_slist_append(g->hdrs, line.buf);
	}
	if (req->if_modified_since && *req->if_modified_since) {
		sp_buf_reset(&line);
		sp_buf_addf(&line, "If-Modified-Since: %s", req->if_modified_since);
		g->hdrs = curl_slist_append(g->hdrs, line.buf);
	}
	if (req->secret_header && *req->secret_header) {
		g->hdrs = curl_slist_append(g->hdrs, req->secret_header);
		if (strncasecmp(req->secret_header, "Authorization:", 14)) {
			curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
			curl_easy_setopt(h, CURLOPT_PREREQDATA, g);
		}
	}
	sp_buf_release(&line);
	g->conditional = (req->if_none_match && *req->if_none_match) ||
			 (req->if_modified_since && *req->if_modified_since);

	g->x = (struct xfer){ .h = h, .fd = req->fd, .mem = req->mem, .max = req->max_bytes, .label = req->progress_label };
	g->x.progress = req->progress_label && sp_progress_enabled();

	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req->post_fields ? 0L : 1L);
	if (req->post_fields)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->post_fields);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, req->max_redirects);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, SP_UA);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, g->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &g->x);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &g->x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L); /* the callback also watches for signals */
	if (g->hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, g->hdrs);
	if (req->timeout > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, req->timeout);
	if (req->connect_timeout > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, req->connect_timeout);
	if (req->low_speed_limit > 0 && req->low_speed_time > 0) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, req->low_speed_limit);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, req->low_speed_time);
	}
	if (req->max_bytes > 0)
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
	/* TLS: libcurl verifies peer and host by default; sparker never turns that off. A ca_file
	 * only changes which authorities are trusted. */
	if (req->ca_file && *req->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
}

/* The final response's validators into resp. */
static void keep_validators(CURL *h, sp_http_resp *resp)
{
	free(resp->etag);
	free(resp->last_modified);
	resp->etag = header_value(h, "ETag");
	resp->last_modified = header_value(h, "Last-Modified");
}

/*
 * The outcome of one attempt (curl_easy_perform returned cc, resp->status and resp->bytes are
 * set): SP_OK for a 2xx with the whole body or a 304 to a conditional request; else an error code
 * with the reason in why, *retry set when another attempt may succeed and *wait_ms to an honoured
 * Retry-After.
 */
static int attempt_outcome(get_call *g, CURLcode cc, sp_http_resp *resp, sp_buf *why, int *retry, long *wait_s)
{
	const struct xfer *x = &g->x;
	long status = resp->status;
	*retry = 0;
	*wait_s = 0;
	if (g->cross_origin) {
		sp_buf_adds(why, "redirected to another origin: refused, the credential header would go with it");
		return SP_EIO;
	}
	if (sp_stop_requested() || cc == CURLE_ABORTED_BY_CALLBACK) {
		sp_buf_adds(why, "interrupted by a signal");
		return SP_EINTERRUPTED;
	}
	if (x->oversized || cc == CURLE_FILESIZE_EXCEEDED) {
		resp->oversized = 1;
		sp_buf_addf(why, "body exceeds max_bytes = %lld", (long long)g->req->max_bytes);
		return SP_EFORMAT;
	}
	if (x->io_errno) {
		sp_buf_addf(why, "cannot write the temporary file: %s", strerror(x->io_errno));
		return SP_EIO;
	}
	if (cc != CURLE_OK) {
		sp_buf_addf(why, "%s", *g->errbuf ? g->errbuf : curl_easy_strerror(cc));
		if (status)
			sp_buf_addf(why, " (HTTP %ld)", status);
		*retry = retryable_curl(cc);
		return SP_EIO;
	}
	if (status == 304 && g->conditional) {
		keep_validators(g->h, resp);
		resp->bytes = 0;
		return SP_OK;
	}
	if (status < 200 || status >= 300) {
		sp_buf_addf(why, "HTTP %ld", status);
		*retry = retryable_status(status);
		if (*retry && (status == 429 || status == 503)) {
			curl_off_t ra = -1;
			long reset;
			if (curl_easy_getinfo(g->h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0) {
				*wait_s = ra > 86400L * 366 ? 86400L * 366 : (long)ra;
				sp_buf_addf(why, " (Retry-After %ld s)", *wait_s);
			} else if ((reset = rate_reset_s(g->h)) > 0) {
				*wait_s = reset;
				sp_buf_addf(why, " (rate limit resets in %ld s)", reset);
			}
		}
		return SP_EIO;
	}
	curl_off_t cl = -1, got = 0;
	curl_easy_getinfo(g->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	curl_easy_getinfo(g->h, CURLINFO_SIZE_DOWNLOAD_T, &got);
	if (cl >= 0 && got != cl) {
		sp_buf_addf(why, "body cut short: %lld of %lld bytes", (long long)got, (long long)cl);
		*retry = 1;
		return SP_EIO;
	}
	keep_validators(g->h, resp);
	char *eff = NULL, *ref = NULL;
	struct curl_header *hd = NULL;
	for (size_t i = 0; !ref && curl_easy_header(g->h, "Link", i, CURLH_HEADER, -1, &hd) == CURLHE_OK; i++)
		ref = hd->value ? sp_http_link_rel(hd->value, "next") : NULL;
	if (ref && curl_easy_getinfo(g->h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
		resp->link_next = sp_http_resolve(eff, ref);
	free(ref);
	resp->wait_next = rate_wait_next(g->h);
	return SP_OK;
}

/* Attempts until one succeeds, one fails for good, the retries run out or a signal arrives; the
 * file is truncated before each, and a backoff (or Retry-After) waited between them. */
static int get_transfer(get_call *g, sp_http_resp *resp, sp_buf *why)
{
	const sp_http_req *req = g->req;
	int rc = SP_EIO;
	for (int attempt = 0; attempt <= (req->retries > 0 ? req->retries : 0); attempt++) {
		resp->attempts = attempt + 1;
		if (!req->mem && (ftruncate(req->fd, 0) != 0 || lseek(req->fd, 0, SEEK_SET) != 0)) {
			sp_buf_reset(why);
			sp_buf_addf(why, "cannot truncate the temporary file: %s", strerror(errno));
			return SP_EIO;
		}
		if (req->mem)
			sp_buf_reset(req->mem);
		g->x.bytes = 0;
		g->x.oversized = 0;
		g->x.io_errno = 0;
		g->x.have_total = 0;
		g->errbuf[0] = '\0';
		if (g->x.progress)
			sp_progress_start(req->progress_label, 0, "B");
		CURLcode cc = curl_easy_perform(g->h);
		if (g->x.progress)
			sp_progress_end();
		long status = 0;
		curl_easy_getinfo(g->h, CURLINFO_RESPONSE_CODE, &status);
		resp->status = status;
		resp->bytes = g->x.bytes;
		int retry;
		long wait_s;
		sp_buf_reset(why);
		rc = attempt_outcome(g, cc, resp, why, &retry, &wait_s);
		if (rc == SP_OK || !retry || attempt >= req->retries)
			break;
		if (wait_s > 0) {
			sp_buf no = SP_BUF_INIT;
			int refused = server_wait_refused(req, wait_s, "Retry-After or rate limit", &no);
			if (refused)
				sp_buf_addf(why, ": %s", sp_buf_str(&no));
			sp_buf_release(&no);
			if (refused)
				break;
			if (req->wait_left)
				*req->wait_left -= (double)wait_s;
		}
		long wait_ms = backoff_ms(req->retry_base_ms, attempt);
		if (wait_ms < wait_s * 1000L)
			wait_ms = wait_s * 1000L;
		if (sp_http_sleep_ms(wait_ms) != 0) {
			sp_buf_adds(why, "; retries abandoned: interrupted by a signal");
			return SP_EINTERRUPTED;
		}
	}
	return rc;
}

int sp_http_get(const sp_http_req *req, sp_http_resp *resp, sp_err *err)
{
	memset(resp, 0, sizeof(*resp));
	if (http_global_init(err) != SP_OK)
		return SP_EIO;
	char *shown = sp_http_redact(req->url);
	get_call g = { .req = req, .h = curl_easy_init() };
	if (!g.h) {
		sp_err_set(err, SP_EIO, "%s %s: cannot create a libcurl handle", req->post_fields ? "POST" : "GET", shown);
		free(shown);
		return SP_EIO;
	}
	get_setup(&g);
	sp_buf why = SP_BUF_INIT;
	int rc = get_transfer(&g, resp, &why);
	if (rc != SP_OK)
		sp_err_set(err, rc, "%s %s: %s (%d attempt%s)", req->post_fields ? "POST" : "GET", shown, sp_buf_str(&why),
			   resp->attempts, resp->attempts == 1 ? "" : "s");
	sp_buf_release(&why);
	curl_slist_free_all(g.hdrs);
	curl_easy_cleanup(g.h);
	free(shown);
	return rc;
}

/* ---- HEAD: where a URL ends after redirects ------------------------------------------------- */

static int head_progress(void *user, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)user, (void)a, (void)b, (void)c, (void)d;
	return sp_stop_requested() ? 1 : 0;
}

int sp_http_final_url(const sp_http_head_req *req, char **final_url, long *status, sp_err *err)
{
	*final_url = NULL;
	*status = 0;
	if (http_global_init(err) != SP_OK)
		return SP_EIO;
	char *shown = sp_http_redact(req->url);
	CURL *h = curl_easy_init();
	struct curl_slist *to = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	int rc = SP_OK;
	if (!h) {
		rc = sp_err_set(err, SP_EIO, "HEAD %s: cannot create a libcurl handle", shown);
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, req->max_redirects);
	curl_easy_setopt(h, CURLOPT_USERAGENT, SP_UA);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, head_progress);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (req->timeout > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, req->timeout);
	if (req->connect_to && *req->connect_to) { /* every host and port to this one (tests: 127.0.0.1) */
		char line[300];
		snprintf(line, sizeof(line), "::%s", req->connect_to);
		to = curl_slist_append(NULL, line);
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, to);
	}
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (cc == CURLE_ABORTED_BY_CALLBACK && sp_stop_requested()) {
		rc = sp_stop_err(err);
	} else if (cc != CURLE_OK) {
		rc = sp_err_set(err, SP_EIO, "HEAD %s: %s", shown, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else {
		char *eff = NULL;
		curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
		*final_url = sp_xstrdup(eff ? eff : req->url);
	}
out:
	curl_slist_free_all(to);
	if (h)
		curl_easy_cleanup(h);
	free(shown);
	return rc;
}
