/*
 * http.h — one HTTP(S) GET into a file, with the politeness and the paranoia a nightly batch needs
 * (a thin wrapper around libcurl's easy interface).
 *
 * What it does: sp_http_get() downloads req->url into the open file descriptor req->fd (which it
 * truncates before every attempt) or into the buffer req->mem, following redirects up to a limit,
 * accepting compressed transfer (the file holds the decoded body), sending If-None-Match /
 * If-Modified-Since when given, and retrying with exponential backoff and equal jitter on
 * timeouts, connection errors, a body cut short, HTTP 5xx, 408 and 429. With req->post_fields it
 * POSTs that form instead (an OAuth2 token request) and follows no redirect. It does not retry
 * any other 4xx, a redirect loop, a TLS verification failure, or a body larger than max_bytes.
 *
 * Waits the server asks for (the one rule, sp_http_server_wait): Retry-After (seconds or an
 * HTTP date) on a 429 or 503, else X-RateLimit-Reset / RateLimit-Reset (seconds, or an epoch time
 * when above 10^9), is waited before the retry; on a 2xx, X-RateLimit-Remaining: 0 with its reset
 * is handed back (resp->wait_next) for the caller to wait before its next request. A wait longer
 * than req->retry_after_max, or than what is left of the caller's total (*req->wait_left), is not
 * waited: the request fails at once, saying so, so a hostile server cannot stall a nightly run.
 *
 * Invariants:
 *   - TLS peer and host verification are always on (libcurl's defaults are never weakened).
 *   - Only http and https are spoken, including after a redirect.
 *   - req->secret_header (e.g. "Authorization: Bearer KEY") is sent as is and never copied into
 *     resp, err or anything else this module writes. It never follows a redirect to another
 *     origin: libcurl drops an Authorization header there, and any other (X-Api-Key: KEY) makes
 *     the request fail ("redirected to another origin: refused ..."). URLs in messages go through
 *     sp_http_redact() (userinfo and credential-like query values masked).
 *   - Success (SP_OK) means: a 2xx with a body whose length matches Content-Length when the
 *     server sent one, or a 304 when conditional headers were sent (resp->status tells which;
 *     the file is then empty). Anything else is an error and the file content is meaningless.
 *
 * Ownership: resp's strings belong to resp; release them with sp_http_resp_release().
 * Global state: libcurl's global init is done once, on first use (not thread-safe; sparker is
 * single-threaded).
 *
 * Failure: SP_EIO with one message naming the (redacted) URL, the last HTTP status or curl error,
 * and the number of attempts; SP_EFORMAT for a body over max_bytes; SP_EINTERRUPTED when a stop
 * was requested (core/stop.h: SIGINT or SIGTERM under a run) during a transfer or a backoff: the
 * transfer is abandoned within curl's next progress callback. Never prints (progress goes
 * through progress.h, which is silent off a terminal).
 */
#ifndef SP_HTTP_H
#define SP_HTTP_H

#include <stdint.h>

#include "core/common.h"

typedef struct sp_http_req {
	const char *url;
	int fd;                        /* output: truncated and rewritten by every attempt */
	const char *if_none_match;     /* ETag from the last good fetch, or NULL */
	const char *if_modified_since; /* Last-Modified from the last good fetch, or NULL */
	const char *secret_header;     /* full header line carrying a credential, or NULL; never logged */
	const char *post_fields;       /* POST this application/x-www-form-urlencoded body instead of a
	                                  GET, following no redirect; may carry a credential: never logged */
	sp_buf *mem;                   /* when set, the body goes here (reset by every attempt), not to fd */
	long timeout;                  /* total seconds per attempt (0 = none) */
	long connect_timeout;          /* seconds */
	long low_speed_limit;          /* bytes/second ... */
	long low_speed_time;           /* ... below which for this many seconds the attempt is aborted */
	int64_t max_bytes;             /* 0 = no limit */
	long max_redirects;
	int retries;                   /* attempts after the first */
	long retry_base_ms;            /* backoff base: attempt k waits ~ base * 2^k (equal jitter) */
	long retry_after_max;          /* longest wait the server may ask for, seconds: more fails at once */
	double *wait_left;             /* seconds the server may still make the caller wait in all
	                                  (decreased by each such wait), or NULL: no total */
	const char *ca_file;           /* extra trust: a CA bundle (PEM) instead of the system's; NULL = system */
	const char *progress_label;    /* for progress.h; NULL = none */
} sp_http_req;

typedef struct sp_http_resp {
	long status;           /* final HTTP status (0 when none was received) */
	char *etag;            /* of the final response, or NULL */
	char *last_modified;
	int64_t bytes;         /* decoded bytes written to the file */
	int attempts;
	int oversized;         /* the body went over max_bytes */
	char *link_next;       /* a 2xx's Link header rel="next", resolved against the final URL, or NULL */
	long wait_next;        /* a 2xx said X-RateLimit-Remaining: 0: seconds until its reset, else 0 */
} sp_http_resp;

int sp_http_get(const sp_http_req *req, sp_http_resp *resp, sp_err *err);
void sp_http_resp_release(sp_http_resp *resp);

/* Copy of url with userinfo and credential-like query values (key, token, password ...) masked
 * as "***". Caller frees. NULL in, NULL out. */
char *sp_http_redact(const char *url);

/* Resolve ref (absolute or relative, e.g. a next-page link) against base (an http(s) URL).
 * Returns a new string, or NULL when either cannot be parsed. */
char *sp_http_resolve(const char *base, const char *ref);
/* 1 when a and b have the same scheme, host and port (credentials go only to the origin). */
int sp_http_same_origin(const char *a, const char *b);

/* The URI of the link with relation rel ("next") in a Link header value
 * (`<https://a/?page=2>; rel="next", <...>; rel="last"`), or NULL. Caller frees. */
char *sp_http_link_rel(const char *value, const char *rel);
/* s percent-encoded for a query or form value (unreserved characters kept). Caller frees. */
char *sp_http_escape(const char *s);

/*
 * Wait seconds because the server asked (what: "Retry-After", "rate limit"), in slices that
 * watch for a stop request. Refused without waiting (SP_EIO, "the server asks to wait N s
 * (what), more than retry_after_max = M s" or "... than the W s left of wait_total_max") when
 * longer than req->retry_after_max or than *req->wait_left, which it decreases.
 * SP_EINTERRUPTED on a stop request.
 */
int sp_http_server_wait(const sp_http_req *req, long seconds, const char *what, sp_err *err);
/* Sleep ms milliseconds, watching for a stop request: 0, or -1 when one came. */
int sp_http_sleep_ms(long ms);

/* 1 when a secret may be sent to url: https, or plain http to the loopback (127.0.0.1, ::1,
 * localhost). */
int sp_http_secure_for_secrets(const char *url);

/*
 * Where url ends after redirects: one HEAD request (no body, no retry) following up to
 * max_redirects redirects over http/https, TLS verification on. *final_url (caller frees) is the
 * last URL asked, whatever its status (*status: the last HTTP status, 0 when none came).
 * connect_to "HOST:PORT", when set, sends every connection there whatever the URL's host (tests
 * point domains at 127.0.0.1 this way; libcurl's CURLOPT_CONNECT_TO). SP_OK, SP_EIO (no answer:
 * DNS, connection, TLS, timeout, a redirect loop) or SP_EINTERRUPTED on a stop request.
 */
typedef struct sp_http_head_req {
	const char *url;
	long timeout;       /* seconds for the whole request, redirects included (0 = none) */
	long max_redirects;
	const char *connect_to; /* NULL: connect where the URL says */
} sp_http_head_req;
int sp_http_final_url(const sp_http_head_req *req, char **final_url, long *status, sp_err *err);

/* The User-Agent sparker sends. */
const char *sp_http_user_agent(void);

#endif
