/*
 * common.c — error context, allocation, string buffers, time, hashing, directories.
 * See common.h for the contracts. Hashing uses OpenSSL's libcrypto EVP (already a dependency of
 * libcurl on Debian); we do not write our own SHA-256.
 */
#include "core/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

int sp_err_set(sp_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int sp_err_prefix(sp_err *err, const char *fmt, ...)
{
	if (!err)
		return SP_EIO;
	char pre[SP_ERR_MAX / 2], old[SP_ERR_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	snprintf(old, sizeof(old), "%s", err->msg);
	snprintf(err->msg, sizeof(err->msg), "%s: %s", pre, old);
	return err->code;
}

void sp_err_clear(sp_err *err)
{
	if (err) {
		err->code = SP_OK;
		err->msg[0] = '\0';
	}
}

static sp_oom_fn oom_handler;

void sp_set_oom_handler(sp_oom_fn fn)
{
	oom_handler = fn;
}

static void out_of_memory(size_t n)
{
	if (oom_handler)
		oom_handler(n);
	abort();
}

void *sp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *sp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *sp_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

char *sp_xstrdup(const char *s)
{
	return sp_xstrndup(s, strlen(s));
}

char *sp_xstrndup(const char *s, size_t n)
{
	char *p = sp_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void sp_buf_init(sp_buf *b)
{
	b->buf = NULL;
	b->len = b->cap = 0;
}

void sp_buf_release(sp_buf *b)
{
	free(b->buf);
	sp_buf_init(b);
}

void sp_buf_reset(sp_buf *b)
{
	b->len = 0;
	if (b->buf)
		b->buf[0] = '\0';
}

static void buf_grow(sp_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->buf = sp_xrealloc(b->buf, cap);
	b->cap = cap;
}

void sp_buf_add(sp_buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void sp_buf_adds(sp_buf *b, const char *s)
{
	sp_buf_add(b, s, strlen(s));
}

void sp_buf_addc(sp_buf *b, char c)
{
	sp_buf_add(b, &c, 1);
}

void sp_buf_addf(sp_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap2);
		b->len += (size_t)n;
	}
	va_end(ap2);
}

const char *sp_buf_str(sp_buf *b)
{
	return b->buf ? b->buf : "";
}

char *sp_buf_detach(sp_buf *b)
{
	char *p = b->buf ? b->buf : sp_xstrdup("");
	sp_buf_init(b);
	return p;
}

int64_t sp_now(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);
		if (*end == '\0' && v >= 0)
			return (int64_t)v;
	}
	return (int64_t)time(NULL);
}

void sp_time_iso(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double sp_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmHWM of /proc/self/status (reset by sp_peak_rss_reset, unlike getrusage's maxrss, which keeps
 * the peak of threads that have exited); getrusage where there is no /proc. */
long sp_peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (f) {
		char line[256];
		long kb = -1;
		while (kb < 0 && fgets(line, sizeof(line), f))
			if (!strncmp(line, "VmHWM:", 6))
				kb = strtol(line + 6, NULL, 10);
		fclose(f);
		if (kb >= 0)
			return kb;
	}
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ru.ru_maxrss;
}

int sp_peak_rss_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "we");
	if (!f)
		return -1;
	int ok = fputs("5", f) >= 0; /* 5: reset the peak resident set size (Linux >= 4.0) */
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void hex(const unsigned char *d, unsigned n, char *out)
{
	static const char h[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = h[d[i] >> 4];
		out[2 * i + 1] = h[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int sp_sha256_file(const char *path, char out[65], sp_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return sp_err_set(err, SP_EIO, "%s: %s", path, strerror(errno));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	static unsigned char chunk[1 << 16];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		EVP_DigestUpdate(ctx, chunk, n);
	int bad = ferror(f);
	fclose(f);
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;
	EVP_DigestFinal_ex(ctx, d, &dn);
	EVP_MD_CTX_free(ctx);
	if (bad)
		return sp_err_set(err, SP_EIO, "%s: read error", path);
	hex(d, dn, out);
	return SP_OK;
}

int sp_mkdir_p(const char *path, sp_err *err)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return sp_err_set(err, SP_EIO, "path too long: %s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return sp_err_set(err, SP_EIO, "cannot create directory %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return sp_err_set(err, SP_EIO, "cannot create directory %s: %s", tmp, strerror(errno));
	return SP_OK;
}
