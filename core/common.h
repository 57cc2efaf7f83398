/*
 * common.h — return codes, the error context, and small helpers shared by every module.
 *
 * Every function below main and the cmd_* files returns an int code (SP_OK or a negative SP_E*)
 * and, on failure, leaves exactly one human-readable message in an sp_err that the caller passed
 * in (curl's error buffer, git's `return error(...)`). Lower layers never print and never exit.
 * The message is overwritten by the last sp_err_set(); callers that add context use
 * sp_err_prefix() so the final message reads outermost-first ("source feed1: fetch: HTTP 503").
 *
 * Exit codes of the program (documented in README and `sparker help`) are in SP_EXIT_*.
 */
#ifndef SP_COMMON_H
#define SP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* Return codes of library functions. */
enum {
	SP_OK = 0,
	SP_EOF = 1,        /* iterator finished (positive: not an error) */
	SP_REJECT = 2,     /* connector next(): this row is rejected, reason in the record; go on */
	SP_ENOMEM = -1,
	SP_EIO = -2,       /* file or network I/O */
	SP_EFORMAT = -3,   /* input we cannot read at all */
	SP_ECONFIG = -4,
	SP_EDB = -5,
	SP_ELOCKED = -6,   /* another run holds the lock */
	SP_EUSAGE = -7,
	SP_ENOTFOUND = -8,
	SP_EINTERRUPTED = -9,
	SP_EGATE = -10,    /* a snapshot failed a quality gate: kept, not applied (connectors/gate.h) */
};

/* Process exit codes. */
enum {
	SP_EXIT_OK = 0,
	SP_EXIT_FAIL = 1,      /* a stage or command failed */
	SP_EXIT_USAGE = 2,     /* bad command line */
	SP_EXIT_CONFIG = 3,    /* bad configuration file */
	SP_EXIT_PARTIAL = 4,   /* run finished but at least one source failed */
	SP_EXIT_LOCKED = 75,   /* another run holds the lock (EX_TEMPFAIL) */
};

#define SP_ERR_MAX 1024
typedef struct sp_err {
	int code;
	char msg[SP_ERR_MAX];
} sp_err;

/* Set the message (printf-style) and code; returns code so callers can `return sp_err_set(...)`. */
int sp_err_set(sp_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepend context to an existing message: "ctx: old message". Returns err->code. */
int sp_err_prefix(sp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sp_err_clear(sp_err *err);

/*
 * Allocation that aborts on OOM: the only place sparker gives up on its own (nothing sane to do).
 * Before abort() it calls the handler cli/ installed (which says so on stderr); the handler may
 * not return, and if it does the process aborts all the same.
 */
typedef void (*sp_oom_fn)(size_t requested);
void sp_set_oom_handler(sp_oom_fn fn);
void *sp_xmalloc(size_t n);
void *sp_xcalloc(size_t n, size_t size);
void *sp_xrealloc(void *p, size_t n);
char *sp_xstrdup(const char *s);
char *sp_xstrndup(const char *s, size_t n);

/* Growable string buffer (git's strbuf). buf is always NUL-terminated once used. */
typedef struct sp_buf {
	char *buf;
	size_t len, cap;
} sp_buf;
#define SP_BUF_INIT { NULL, 0, 0 }
void sp_buf_init(sp_buf *b);
void sp_buf_release(sp_buf *b);
void sp_buf_reset(sp_buf *b);
void sp_buf_add(sp_buf *b, const char *s, size_t n);
void sp_buf_adds(sp_buf *b, const char *s);
void sp_buf_addc(sp_buf *b, char c);
void sp_buf_addf(sp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sp_buf_str(sp_buf *b); /* "" when empty */
char *sp_buf_detach(sp_buf *b);    /* caller owns the result; b is reset */

/* Time helpers. */
/* Seconds since epoch, honouring SOURCE_DATE_EPOCH when set (reproducible outputs). */
int64_t sp_now(void);
/* Format epoch seconds as UTC "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes). */
void sp_time_iso(int64_t t, char *out, size_t n);
/* Monotonic clock in seconds, for durations. */
double sp_mono(void);
/* Peak resident set size of this process, in KiB: since the start, or since the last
 * sp_peak_rss_reset() that succeeded. */
long sp_peak_rss_kb(void);
/* Start measuring the peak afresh (Linux: /proc/self/clear_refs), so that a stage's peak is its
 * own; 0 on success, -1 when the system cannot (the peak then stays the process's). */
int sp_peak_rss_reset(void);

/* sha256 of a file as 64 lowercase hex chars + NUL. */
int sp_sha256_file(const char *path, char out[65], sp_err *err);

/* mkdir -p; returns SP_OK or SP_EIO with message naming the path. */
int sp_mkdir_p(const char *path, sp_err *err);

#define SP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
