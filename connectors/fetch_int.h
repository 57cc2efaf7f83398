/*
 * fetch_int.h — PRIVATE to the fetch stage (fetch.c, fetch_pages.c); nothing else includes it.
 *
 * What it holds: the stage's per-source options (read by fetch.c from [source NAME]), the options
 * and result of a paginated download, and the helpers both files use. fetch.c runs the stage
 * (open, download, commit the snapshot, record the outcome); fetch_pages.c downloads every page
 * of a paginated JSON API into the stage's part file.
 *
 * Ownership: fetch_opts owns ca_file and auth (fetch.c releases them; auth wipes its secrets);
 * page_opts' strings are borrowed from the config. Failure: the functions return an sp_err code
 * with one message in err and never print.
 */
#ifndef SP_FETCH_INT_H
#define SP_FETCH_INT_H

#include <stdint.h>
#include <strings.h>
#include <string.h>

#include "core/common.h"
#include "connectors/auth.h"
#include "connectors/connector.h"
#include "connectors/http.h"
#include "core/config.h"

typedef struct fetch_opts {
	long retries, timeout, connect_timeout, low_speed_limit, low_speed_time, max_redirects;
	long retry_base_ms, retry_after_max;
	int64_t max_bytes;
	char *ca_file;       /* owned, absolute */
	sp_auth auth;        /* the credential sent to the source's origin (auth.h) */
	double wait_left;    /* seconds the server may still make this fetch wait (wait_total_max) */
} fetch_opts;

/* How the next page is found: the values of `paging`, in the order of its choices. */
enum { SP_PAGING_NONE = -1, SP_PAGING_NEXT, SP_PAGING_LINK, SP_PAGING_CURSOR, SP_PAGING_OFFSET, SP_PAGING_PAGE };

typedef struct page_opts {
	int paging;                /* SP_PAGING_* */
	const char *next_path;     /* next: dotted path of the next page's URL */
	const char *cursor_path;   /* cursor: dotted path of the next cursor */
	const char *cursor_param;  /* cursor: the query parameter that sends it */
	const char *page_param;    /* page: the query parameter carrying the page number */
	const char *offset_param;  /* offset: the query parameter carrying the offset */
	const char *size_param;    /* the query parameter carrying page_size */
	const char *items_path;    /* dotted path of the items array (empty: the document) */
	long page_start, max_pages, page_size, pause_ms;
} page_opts;

typedef struct page_result {
	int64_t downloaded, written;
	int pages, capped, attempts;
	long http_status;
} page_result;

/* The request for url into fd with the source's options (no credential: sp_auth_get adds it). */
sp_http_req sp_fetch_req(fetch_opts *fo, const char *url, int fd, const char *label);

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
int sp_fetch_pages(const sp_config *cfg, const sp_source *src, fetch_opts *fo, const page_opts *po,
		   const char *first, int first_http, const char *dir, int out, const char *label,
		   page_result *pr, sp_err *err);

#endif
