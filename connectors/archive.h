/*
 * archive.h — read a raw file as a byte stream, through zip or gzip compression.
 *
 * What it does: sp_stream_open() looks at the file's first bytes (not its name): a zip archive
 * yields its first regular entry whose name ends in one of the wanted extensions (or its first
 * regular entry), gzip is inflated on the fly (zlib), anything else is read as is. Readers
 * (libcsv chunks, xmlReaderForIO) then pull bytes with sp_stream_read() in constant memory.
 *
 * Limits (hostile input): sp_stream_read stops with SP_EFORMAT when more than max_out bytes have
 * been produced (zip/gzip bombs); for a compressed file max_out = 0 means the default guard,
 * 100 times the archive's size and at least 256 MiB. Zip entry names are never used as paths.
 *
 * Ownership: the stream owns its file handles; sp_stream_close(NULL) is a no-op.
 */
#ifndef SP_ARCHIVE_H
#define SP_ARCHIVE_H

#include <stdint.h>
#include <sys/types.h>

#include "core/common.h"

typedef struct sp_stream sp_stream;

typedef enum { SP_KIND_PLAIN, SP_KIND_ZIP, SP_KIND_GZIP } sp_stream_kind;

/* want_ext: e.g. ".csv" or ".xml" (NULL = any). max_out: limit on decompressed bytes (0 = the default guard). */
int sp_stream_open(const char *path, const char *want_ext, uint64_t max_out, sp_stream **out, sp_err *err);
/* Read up to n bytes. Returns bytes read (>0), 0 at end, or < 0 (SP_EIO/SP_EFORMAT, message in err). */
ssize_t sp_stream_read(sp_stream *s, void *buf, size_t n, sp_err *err);
sp_stream_kind sp_stream_kind_of(const sp_stream *s);
void sp_stream_close(sp_stream *s);

/* Detect the kind of a file from its magic bytes. */
int sp_stream_detect(const char *path, sp_stream_kind *kind, sp_err *err);

#endif
