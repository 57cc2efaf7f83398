/*
 * rawstore.c — the raw store's snapshot files: part file, verification, atomic commit. See
 * rawstore.h (what it does, invariants, ownership, failure).
 */
#include "connectors/rawstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>
#include <zlib.h>

#include "connectors/archive.h"

/* ---- verification -------------------------------------------------------------------------- */

static const char *format_ext(const char *format)
{
	if (!strcmp(format, "gleif") || !strcmp(format, "feed"))
		return "xml";
	if (!strcmp(format, "json"))
		return "json";
	return "csv";
}

/* First significant byte of a plain file (after a UTF-8/UTF-16 BOM and white space), and the
 * next bytes for a small sniff. Returns the number of bytes in head. */
static size_t sniff_head(const char *path, char *head, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	unsigned char buf[4096];
	size_t got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	size_t i = 0;
	if (got >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
		i = 3;
	while (i < got && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	size_t k = 0;
	for (; i < got && k + 1 < n; i++)
		head[k++] = (char)buf[i];
	head[k] = '\0';
	return k;
}

static int verify_file(const char *tmp, const char *format, int64_t size, const char **ext, sp_err *err)
{
	if (size <= 0)
		return sp_err_set(err, SP_EFORMAT, "the download is empty");
	sp_stream_kind kind;
	if (sp_stream_detect(tmp, &kind, err) != SP_OK)
		return SP_EIO;
	if (kind == SP_KIND_ZIP) {
		int zerr = 0;
		zip_t *za = zip_open(tmp, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
		if (!za) {
			zip_error_t ze;
			zip_error_init_with_code(&ze, zerr);
			sp_err_set(err, SP_EFORMAT, "not a readable zip archive: %s", zip_error_strerror(&ze));
			zip_error_fini(&ze);
			return SP_EFORMAT;
		}
		zip_int64_t n = zip_get_num_entries(za, 0);
		int files = 0;
		for (zip_int64_t i = 0; i < n && !files; i++) {
			const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
			if (name && *name && name[strlen(name) - 1] != '/')
				files++;
		}
		zip_discard(za);
		if (!files)
			return sp_err_set(err, SP_EFORMAT, "zip archive has no file entry");
		*ext = "zip";
		return SP_OK;
	}
	if (kind == SP_KIND_GZIP) {
		gzFile gz = gzopen(tmp, "rb");
		if (!gz)
			return sp_err_set(err, SP_EIO, "cannot open the gzip download: %s", strerror(errno));
		gzbuffer(gz, 1 << 16);
		char *buf = sp_xmalloc(1 << 16);
		int r;
		int64_t total = 0;
		while ((r = gzread(gz, buf, 1 << 16)) > 0)
			total += r;
		int zerrno = Z_OK;
		const char *m = gzerror(gz, &zerrno);
		int bad = r < 0 || (zerrno != Z_OK && zerrno != Z_STREAM_END);
		if (bad)
			sp_err_set(err, SP_EFORMAT, "gzip data does not inflate: %s", m && *m ? m : "corrupt or truncated");
		free(buf);
		gzclose(gz);
		if (bad)
			return SP_EFORMAT;
		if (total == 0)
			return sp_err_set(err, SP_EFORMAT, "gzip data inflates to nothing");
		*ext = "gz";
		return SP_OK;
	}
	char head[64];
	size_t k = sniff_head(tmp, head, sizeof(head));
	*ext = format_ext(format);
	if (!strcmp(*ext, "xml")) {
		if (!k || head[0] != '<')
			return sp_err_set(err, SP_EFORMAT, "format %s: the download is not XML (does not start with '<')",
					  format);
	} else if (!strcmp(*ext, "json")) {
		if (!k || (head[0] != '{' && head[0] != '['))
			return sp_err_set(err, SP_EFORMAT, "format json: the download is not JSON (does not start with '{' or '[')");
	} else {
		if (!k)
			return sp_err_set(err, SP_EFORMAT, "the download holds only white space");
		if (!strncasecmp(head, "<!doctype html", 14) || !strncasecmp(head, "<html", 5))
			return sp_err_set(err, SP_EFORMAT, "format %s: the download is an HTML page, not CSV", format);
	}
	return SP_OK;
}

/* ---- the part file and the commit ---------------------------------------------------------- */

static void remove_stale_parts(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	sp_buf p = SP_BUF_INIT;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, ".part-", 6))
			continue;
		sp_buf_reset(&p);
		sp_buf_addf(&p, "%s/%s", dir, e->d_name);
		unlink(p.buf);
	}
	sp_buf_release(&p);
	closedir(d);
}

int sp_rawstore_exists(const char *raw_dir, const char *rel)
{
	if (!rel)
		return 0;
	sp_buf p = SP_BUF_INIT;
	sp_buf_addf(&p, "%s/%s", raw_dir, rel);
	struct stat st;
	int ok = stat(p.buf, &st) == 0 && S_ISREG(st.st_mode);
	sp_buf_release(&p);
	return ok;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

static int open_part(const char *raw_dir, const char *source, int clean, sp_rawstore_part *p, sp_err *err)
{
	memset(p, 0, sizeof(*p));
	p->raw_dir = raw_dir;
	p->source = source;
	p->fd = -1;
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "%s/%s", raw_dir, source);
	p->dir = sp_buf_detach(&b);
	int rc = sp_mkdir_p(p->dir, err);
	if (rc != SP_OK)
		return rc;
	if (clean)
		remove_stale_parts(p->dir);
	sp_buf_addf(&b, "%s/.part-XXXXXX", p->dir);
	p->tmp = sp_buf_detach(&b);
	p->fd = mkstemp(p->tmp);
	if (p->fd < 0) {
		rc = sp_err_set(err, SP_EIO, "cannot create a temporary file in %s: %s", p->dir, strerror(errno));
		free(p->tmp);
		p->tmp = NULL;
		return rc;
	}
	return SP_OK;
}

int sp_rawstore_open(const char *raw_dir, const char *source, sp_rawstore_part *p, sp_err *err)
{
	return open_part(raw_dir, source, 1, p, err);
}

int sp_rawstore_open_more(const sp_rawstore_part *first, sp_rawstore_part *p, sp_err *err)
{
	return open_part(first->raw_dir, first->source, 0, p, err);
}

int sp_rawstore_verify(sp_rawstore_part *p, const char *format, int64_t size, sp_err *err)
{
	if (p->ext)
		return SP_OK;
	if (fsync(p->fd) != 0)
		return sp_err_set(err, SP_EIO, "fsync %s: %s", p->tmp, strerror(errno));
	close(p->fd);
	p->fd = -1;
	return verify_file(p->tmp, format, size, &p->ext, err);
}

int sp_rawstore_write_manifest(sp_rawstore_part *p, const char *const roles[], const char *const paths[], int n,
			       sp_err *err)
{
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, SP_RAWSTORE_MANIFEST_MAGIC "\n");
	for (int i = 0; i < n; i++) {
		const char *base = strrchr(paths[i], '/');
		sp_buf_addf(&b, "%s %s\n", roles[i], base ? base + 1 : paths[i]);
	}
	int rc = SP_OK;
	for (size_t off = 0; off < b.len && rc == SP_OK;) {
		ssize_t w = write(p->fd, b.buf + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = sp_err_set(err, SP_EIO, "write %s: %s", p->tmp, strerror(errno));
		else
			off += (size_t)w;
	}
	sp_buf_release(&b);
	if (rc == SP_OK && fsync(p->fd) != 0)
		rc = sp_err_set(err, SP_EIO, "fsync %s: %s", p->tmp, strerror(errno));
	if (rc != SP_OK)
		return rc;
	close(p->fd);
	p->fd = -1;
	p->ext = SP_RAWSTORE_MANIFEST_EXT;
	return SP_OK;
}

int sp_rawstore_manifest_file(const char *manifest, const char *role, char **path, sp_err *err)
{
	*path = NULL;
	FILE *f = fopen(manifest, "rb");
	if (!f)
		return sp_err_set(err, SP_EIO, "read %s: %s", manifest, strerror(errno));
	char line[512];
	int rc = SP_ENOTFOUND, first = 1;
	size_t rl = strlen(role);
	while (rc == SP_ENOTFOUND && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (first) {
			first = 0;
			if (strcmp(line, SP_RAWSTORE_MANIFEST_MAGIC))
				rc = sp_err_set(err, SP_EFORMAT, "%s: not a snapshot manifest", manifest);
			continue;
		}
		const char *name = line + rl + 1;
		if (strncmp(line, role, rl) || line[rl] != ' ')
			continue;
		if (!*name || strchr(name, '/') || name[0] == '.')
			rc = sp_err_set(err, SP_EFORMAT, "%s: bad file name for %s", manifest, role);
		else
			rc = SP_OK;
	}
	fclose(f);
	if (rc == SP_ENOTFOUND)
		return sp_err_set(err, SP_EFORMAT, "%s: the snapshot has no %s file", manifest, role);
	if (rc != SP_OK)
		return rc;
	const char *slash = strrchr(manifest, '/');
	sp_buf b = SP_BUF_INIT;
	if (slash)
		sp_buf_add(&b, manifest, (size_t)(slash - manifest + 1));
	sp_buf_adds(&b, line + rl + 1);
	*path = sp_buf_detach(&b);
	return SP_OK;
}

int sp_rawstore_is_manifest(const char *path)
{
	size_t n = strlen(path), e = strlen(SP_RAWSTORE_MANIFEST_EXT);
	return n > e + 1 && path[n - e - 1] == '.' && !strcmp(path + n - e, SP_RAWSTORE_MANIFEST_EXT);
}

int sp_rawstore_commit(sp_rawstore_part *p, const char *format, int64_t size, const char *last_sha,
		       const char *last_path, char sha[65], char **path, int *is_new, sp_err *err)
{
	*path = NULL;
	*is_new = 0;
	int rc;
	if ((rc = sp_rawstore_verify(p, format, size, err)) != SP_OK)
		return rc;
	const char *ext = p->ext;
	if ((rc = sp_sha256_file(p->tmp, sha, err)) != SP_OK)
		return rc;
	if (last_sha && !strcmp(last_sha, sha) && sp_rawstore_exists(p->raw_dir, last_path)) {
		unlink(p->tmp);
		free(p->tmp);
		p->tmp = NULL;
		*path = sp_xstrdup(last_path);
		return SP_OK;
	}
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "%s/%s.%s", p->dir, sha, ext);
	char *final = sp_buf_detach(&b);
	if (rename(p->tmp, final) != 0) {
		rc = sp_err_set(err, SP_EIO, "rename %s -> %s: %s", p->tmp, final, strerror(errno));
		free(final);
		return rc;
	}
	free(final);
	free(p->tmp);
	p->tmp = NULL;
	fsync_dir(p->dir);
	sp_buf_addf(&b, "%s/%s.%s", p->source, sha, ext);
	*path = sp_buf_detach(&b);
	*is_new = 1;
	return SP_OK;
}

void sp_rawstore_discard(sp_rawstore_part *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	if (p->tmp) {
		unlink(p->tmp);
		free(p->tmp);
		p->tmp = NULL;
	}
}

void sp_rawstore_release(sp_rawstore_part *p)
{
	sp_rawstore_discard(p);
	free(p->dir);
	p->dir = NULL;
}
