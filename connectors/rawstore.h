/*
 * rawstore.h — the raw store's snapshot files: how the fetch stage puts downloaded bytes under
 * raw/<source>/ safely.
 *
 * What it does: sp_rawstore_open() makes raw/<source>/ (removing .part-* files a killed run left)
 * and a fresh temporary file raw/<source>/.part-XXXXXX to download into. sp_rawstore_commit()
 * fsyncs and closes it, verifies it (not empty; a zip opens with libzip and has a file entry; a
 * gzip inflates to its end with a good CRC; plain XML (gleif, feed) starts with '<' after an
 * optional BOM and white space, plain JSON with '{' or '[', plain CSV is not an HTML page or only
 * white space), hashes it (sha256) and either drops it (same hash as the last good snapshot, whose
 * file is still there: unchanged) or renames it atomically to raw/<source>/<sha256>.<ext> and
 * fsyncs the directory (new). ext comes from the magic bytes (zip, gz), else from the format (xml
 * for gleif and feed, json, else csv).
 *
 * Invariants: a snapshot file appears under its final name only complete, verified and fsynced
 * (rename is atomic), so a reader never sees a partial one; files are never rewritten (the name is
 * the content's hash). Only .part-* files are ever removed, and only at open (the run lock makes
 * that safe) or by sp_rawstore_discard.
 *
 * Ownership: the part's dir and tmp strings and its fd belong to the part; raw_dir and source are
 * borrowed for its lifetime. sp_rawstore_release frees (and, if still there, discards) it;
 * releasing a zeroed part is a no-op.
 *
 * Failure: SP_EIO (cannot create, write, fsync or rename; the message names the path and the
 * reason) or SP_EFORMAT (the bytes fail verification: "the download is empty", "not a readable zip
 * archive: ...", ...), one message in err. After a failure the part file is still there: the
 * caller discards it. Never prints.
 */
#ifndef SP_RAWSTORE_H
#define SP_RAWSTORE_H

#include <stdint.h>

#include "core/common.h"

typedef struct sp_rawstore_part {
	const char *raw_dir; /* borrowed */
	const char *source;  /* borrowed */
	char *dir;           /* raw_dir/source, owned */
	char *tmp;           /* dir/.part-XXXXXX, owned; NULL when it could not be created */
	int fd;              /* open on tmp for writing; -1 once closed */
	const char *ext;     /* set once verified (static string): the extension it is kept under */
} sp_rawstore_part;

/* A snapshot of several files (sirene's legal units + establishments): each file is kept under
 * its own hash like any snapshot, and the snapshot itself is a small manifest beside them,
 * raw/<source>/<sha256>.files, whose first line is the magic and each next line "ROLE FILE"
 * (FILE a name in the same directory). The manifest is what the fetch row and source_state point
 * at, so the files of one snapshot are always taken together, and a new pair is new only when a
 * file changed. */
#define SP_RAWSTORE_MANIFEST_MAGIC "sparker snapshot files 1"
#define SP_RAWSTORE_MANIFEST_EXT "files"

/* Make raw_dir/source, remove stale .part-* files there, create the part file (p->fd, p->tmp). */
int sp_rawstore_open(const char *raw_dir, const char *source, sp_rawstore_part *p, sp_err *err);
/*
 * Close, verify and hash the part (size bytes were written, format is the source's format), then
 * keep it or drop it as described above. sha receives the hex sha256; *path a new string, the
 * snapshot's path relative to raw_dir (last_path for an unchanged one); *is_new 1 for new, 0 for
 * unchanged. last_sha and last_path (relative) describe the last good snapshot, or are NULL.
 */
int sp_rawstore_commit(sp_rawstore_part *p, const char *format, int64_t size, const char *last_sha,
		       const char *last_path, char sha[65], char **path, int *is_new, sp_err *err);
/* Another part file in the first's directory, without removing the first (or any) .part-* file:
 * for a snapshot of several files. */
int sp_rawstore_open_more(const sp_rawstore_part *first, sp_rawstore_part *p, sp_err *err);
/* Close and verify the part now (as sp_rawstore_commit would; commit then only hashes and
 * renames): so that every file of a several-file snapshot is checked before any is kept. */
int sp_rawstore_verify(sp_rawstore_part *p, const char *format, int64_t size, sp_err *err);
/* Write the manifest of n files (roles[i], paths[i]: a raw store path, of which the base name is
 * kept) into the part and close it; commit it then like any part (its ext is "files"). */
int sp_rawstore_write_manifest(sp_rawstore_part *p, const char *const roles[], const char *const paths[], int n,
			       sp_err *err);
/* 1 when path names a manifest (ends in ".files"). */
int sp_rawstore_is_manifest(const char *path);
/* The absolute path of the file of role in the manifest at path (a new string); SP_EFORMAT when
 * the manifest is not one or has no such file, SP_EIO when it cannot be read. */
int sp_rawstore_manifest_file(const char *manifest, const char *role, char **path, sp_err *err);

/* Close the part's fd if open and remove its file if any (a failed or not-modified download). */
void sp_rawstore_discard(sp_rawstore_part *p);
/* Discard if needed, then free the part's strings. */
void sp_rawstore_release(sp_rawstore_part *p);

/* 1 when raw_dir/rel is a regular file (rel NULL: 0). */
int sp_rawstore_exists(const char *raw_dir, const char *rel);

#endif
