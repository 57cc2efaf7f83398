/*
 * http.h — one HTTP(S) GET into a file, with the politeness and the paranoia a nightly batch needs
 * (a thin wrapper around libcurl's easy interface).
 *
 * What it does: sp_http_get() downloads req->url into the open file descriptor req->fd (which it
 * truncates before every attempt), following redirects up to a limit, accepting compressed
 * transfer (the file holds the decoded body), sending If-None-Match / If-Modified-Since when
 * given, and retrying with exponential backoff and equal jitter on timeouts, connection errors,
 * a body cut short, HTTP 5xx, 408 and 429 (Retry-After honoured, capped). It does not retry any
 * other 4xx, a redirect loop, a TLS verification failure, or a body larger than req->max_bytes.
 *
 * Invariants:
 *   - TLS peer and host verification are always on (libcurl's defaults are never weakened).
 *   - Only http and https are spoken, including after a redirect.
 *   - req->secret_header (e.g. "Authorization: Bearer KEY") is sent as is and never copied into
 *     resp, err or anything else this module writes. URLs in messages go through
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
	long timeout;                  /* total seconds per attempt (0 = none) */
	long connect_timeout;          /* seconds */
	long low_speed_limit;          /* bytes/second ... */
	long low_speed_time;           /* ... below which for this many seconds the attempt is aborted */
	int64_t max_bytes;             /* 0 = no limit */
	long max_redirects;
	int retries;                   /* attempts after the first */
	long retry_base_ms;            /* backoff base: attempt k waits ~ base * 2^k (equal jitter) */
	long retry_after_max;          /* cap on an honoured Retry-After, seconds */
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
