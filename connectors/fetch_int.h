/*
 * fetch_int.h — PRIVATE to the fetch stage (fetch.c, fetch_pages.c); nothing else includes it.
 *
 * What it holds: the stage's per-source options (read by fetch.c from [source NAME]), the options
 * and result of a paginated download, and the helpers both files use. fetch.c runs the stage
 * (open, download, commit the snapshot, record the outcome); fetch_pages.c downloads every page
 * of a paginated JSON API into the stage's part file.
 *
 * Ownership: fetch_opts owns ca_file and secret_header (fetch.c frees them, wiping the secret);
 * page_opts' strings are borrowed from the config. Failure: the functions return an sp_err code
 * with one message in err and never print.
 */
#ifndef SP_FETCH_INT_H
#define SP_FETCH_INT_H

#include <stdint.h>
#include <strings.h>
#include <string.h>

#include "core/common.h"
#include "connectors/connector.h"
#include "core/config.h"

typedef struct fetch_opts {
	long retries, timeout, connect_timeout, low_speed_limit, low_speed_time, max_redirects;
	long retry_base_ms, retry_after_max;
	int64_t max_bytes;
	char *ca_file;       /* owned, absolute */
	char *secret_header; /* owned; wiped before free */
} fetch_opts;

typedef struct page_opts {
	const char *next_path;  /* dotted path of the next-page link, or NULL */
	const char *page_param; /* query parameter carrying the page number, or NULL */
	const char *items_path; /* dotted path of the items array (empty: the document) */
	long page_start, max_pages;
} page_opts;

typedef struct page_result {
	int64_t downloaded, written;
	int pages, capped, attempts;
	long http_status;
} page_result;

/* 1 when url starts with scheme ("http://"), ignoring case. */
static inline int sp_fetch_is_scheme(const char *url, const char *scheme)
{
	return !strncasecmp(url, scheme, strlen(scheme));
}

/* The local path of a file:// URL (file:///abs, file://localhost/abs; file://rel is taken relative
 * to the config's directory), percent-decoded. Caller frees. */
char *sp_fetch_file_url_path(const sp_config *cfg, const char *url);
/* write(2) all of p, retrying on EINTR; SP_EIO "write temporary file: ..." otherwise. */
int sp_fetch_write_all(int fd, const char *p, size_t n, sp_err *err);
/* Copy the regular file path into fd, at most max_bytes (0 = no limit; more is SP_EFORMAT);
 * *bytes = bytes copied. label: progress label, or NULL. */
int sp_fetch_copy_local(const char *path, int fd, int64_t max_bytes, const char *label, int64_t *bytes,
			sp_err *err);
/*
 * Download every page starting at first (an http(s) URL when first_http, else a local path) and
 * append each to out as one line (fetch_pages.c). dir is where the page's own temporary file goes;
 * label the progress label. *pr is filled even on failure (attempts, last HTTP status).
 */
int sp_fetch_pages(const sp_config *cfg, const sp_source *src, const fetch_opts *fo, const page_opts *po,
		   const char *first, int first_http, const char *dir, int out, const char *label,
		   page_result *pr, sp_err *err);

#endif
