/*
 * archive.c — plain, zip (libzip) and gzip (zlib) byte streams. See archive.h.
 */
#include "connectors/archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zip.h>
#include <zlib.h>

struct sp_stream {
	sp_stream_kind kind;
	FILE *f;          /* plain */
	gzFile gz;        /* gzip */
	zip_t *za;        /* zip */
	zip_file_t *zf;
	char *entry;
	uint64_t pos, max_out; /* bytes produced so far; the bomb guard (0 = none) */
};

int sp_stream_detect(const char *path, sp_stream_kind *kind, sp_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return sp_err_set(err, SP_EIO, "%s: %s", path, strerror(errno));
	unsigned char m[4] = { 0 };
	size_t n = fread(m, 1, 4, f);
	fclose(f);
	if (n >= 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4)
		*kind = SP_KIND_ZIP;
	else if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		*kind = SP_KIND_GZIP;
	else
		*kind = SP_KIND_PLAIN;
	return SP_OK;
}

static int ends_with_ci(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcasecmp(s + a - b, suf);
}

static int open_zip(sp_stream *s, const char *path, const char *want_ext, sp_err *err)
{
	int zerr = 0;
	s->za = zip_open(path, ZIP_RDONLY, &zerr);
	if (!s->za) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		sp_err_set(err, SP_EFORMAT, "%s: not a readable zip archive: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return SP_EFORMAT;
	}
	zip_int64_t n = zip_get_num_entries(s->za, 0), pick = -1;
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(s->za, (zip_uint64_t)i, 0);
		if (!name || !*name || name[strlen(name) - 1] == '/')
			continue;
		if (!want_ext || ends_with_ci(name, want_ext)) {
			pick = i;
			break;
		}
		if (pick < 0)
			pick = i;
	}
	if (pick < 0)
		return sp_err_set(err, SP_EFORMAT, "%s: zip archive has no file entry", path);
	s->entry = sp_xstrdup(zip_get_name(s->za, (zip_uint64_t)pick, 0));
	s->zf = zip_fopen_index(s->za, (zip_uint64_t)pick, 0);
	if (!s->zf)
		return sp_err_set(err, SP_EFORMAT, "%s: cannot open zip entry %s: %s", path, s->entry, zip_strerror(s->za));
	return SP_OK;
}

int sp_stream_open(const char *path, const char *want_ext, uint64_t max_out, sp_stream **out, sp_err *err)
{
	*out = NULL;
	sp_stream_kind kind;
	if (sp_stream_detect(path, &kind, err) != SP_OK)
		return SP_EIO;
	sp_stream *s = sp_xcalloc(1, sizeof(*s));
	s->kind = kind;
	s->max_out = max_out;
	if (!max_out && kind != SP_KIND_PLAIN) {
		/* Default bomb guard: real registry archives inflate 5-20x (a 363 MB Companies House zip
		 * holds 2.7 GB of CSV); allow 100x the archive's size, at least 256 MiB. */
		struct stat stt;
		uint64_t csize = stat(path, &stt) == 0 ? (uint64_t)stt.st_size : 0;
		s->max_out = csize * 100 > (256ull << 20) ? csize * 100 : (256ull << 20);
	}
	int rc = SP_OK;
	if (kind == SP_KIND_ZIP) {
		rc = open_zip(s, path, want_ext, err);
	} else if (kind == SP_KIND_GZIP) {
		s->gz = gzopen(path, "rb");
		if (!s->gz)
			rc = sp_err_set(err, SP_EIO, "%s: %s", path, strerror(errno));
		else
			gzbuffer(s->gz, 1 << 16);
	} else {
		s->f = fopen(path, "rb");
		if (!s->f)
			rc = sp_err_set(err, SP_EIO, "%s: %s", path, strerror(errno));
	}
	if (rc != SP_OK) {
		sp_stream_close(s);
		return rc;
	}
	*out = s;
	return SP_OK;
}

ssize_t sp_stream_read(sp_stream *s, void *buf, size_t n, sp_err *err)
{
	ssize_t got = 0;
	if (s->kind == SP_KIND_PLAIN) {
		got = (ssize_t)fread(buf, 1, n, s->f);
		if (got == 0 && ferror(s->f))
			return sp_err_set(err, SP_EIO, "read error: %s", strerror(errno));
	} else if (s->kind == SP_KIND_GZIP) {
		int r = gzread(s->gz, buf, n > (1u << 30) ? (1u << 30) : (unsigned)n);
		int e = Z_OK;
		const char *m = gzerror(s->gz, &e);
		/* a truncated member reads as a short end with Z_BUF_ERROR pending: not a clean EOF */
		if (r < 0 || (r == 0 && e != Z_OK && e != Z_STREAM_END))
			return sp_err_set(err, SP_EFORMAT, "gzip: %s", m && *m ? m : "corrupt or truncated data");
		got = r;
	} else {
		zip_int64_t r = zip_fread(s->zf, buf, n);
		if (r < 0)
			return sp_err_set(err, SP_EFORMAT, "zip entry %s: %s", s->entry, zip_file_strerror(s->zf));
		got = (ssize_t)r;
	}
	s->pos += (uint64_t)got;
	if (s->max_out && s->pos > s->max_out)
		return sp_err_set(err, SP_EFORMAT, "decompressed data exceeds the limit of %llu bytes (archive bomb?)",
				  (unsigned long long)s->max_out);
	return got;
}


sp_stream_kind sp_stream_kind_of(const sp_stream *s)
{
	return s->kind;
}

void sp_stream_close(sp_stream *s)
{
	if (!s)
		return;
	if (s->f)
		fclose(s->f);
	if (s->gz)
		gzclose(s->gz);
	if (s->zf)
		zip_fclose(s->zf);
	if (s->za)
		zip_discard(s->za);
	free(s->entry);
	free(s);
}
