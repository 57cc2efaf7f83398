/*
 * csv_reader.h — a pull-style, constant-memory CSV reader on top of libcsv.
 *
 * What it does: reads a raw file through archive.h (plain, zip or gzip), optionally transcodes it
 * to UTF-8 with iconv (LATIN1, WINDOWS-1252, MACINTOSH), strips a UTF-8 BOM, and feeds it in
 * slices to libcsv (push-style). Completed rows are queued in one arena and handed out one at a
 * time by sp_csv_next(). Rows may end in LF, CRLF or a lone CR (classic Mac); quoted fields may
 * contain delimiters, doubled quotes and newlines. Unquoted fields lose surrounding spaces.
 *
 * Invariants: memory is bounded by the slice size, max_field and max_cols, never by the file:
 * the queue holds at most the rows of one input slice, and a field larger than max_field is
 * abandoned (the rest of its row is skipped up to the next line end) and the row rejected.
 * row->line is the 1-based physical line where the row starts (embedded newlines and blank
 * lines counted; CRLF counts as one line end). Blank lines are skipped, never returned.
 *
 * Rejects (sp_csv_next returns SP_REJECT, row->reject says why, the fields are what was read):
 *   "field too large"   a field exceeded max_field bytes
 *   "too many columns"  more than max_cols fields (only the first max_cols are kept)
 *   "invalid UTF-8"     a field is not valid UTF-8 (only checked when input is UTF-8)
 *
 * Encoding: with opts.encoding unset (or "auto") a sample of the file's first bytes decides
 * (csv_detect.c): UTF-8, or Windows-1252 / Mac Roman (the file is then transcoded like an
 * explicit encoding and sp_csv_note() says so once, instead of every row being rejected).
 * "UTF-8" forces UTF-8: rows with invalid bytes are rejected "invalid UTF-8".
 * Connectors add their own ("bad column count", "missing key", ...).
 *
 * Tokenizer: rows written the ordinary way (each field unquoted without quotes, surrounding
 * spaces or line ends, or quoted and followed at once by the delimiter or the line end) are split
 * by our own SSE2 tokenizer, 16 bytes at a time; any other row is handed whole to libcsv, which
 * parses it to its end, and the fast path resumes at the next row. Both give the same fields,
 * lines and rejects for every input (tests/unit/test_csv_reader.c and the fuzz target csv_diff run
 * both on the same bytes and compare). opts.libcsv_only (or SPARKER_CSV_TOKENIZER=libcsv) hands
 * every row to libcsv. One exception to "the same": after a field larger than max_field, where
 * the reader resynchronises (skips to the next line end) depends on where reads and slices fall.
 *
 * Threads: by default a background thread reads, transcodes and runs libcsv ahead of the caller
 * (bounded: a few batches of about 256 KiB each), so parsing and the caller's work overlap on two
 * cores. The reader's functions must be called from one thread; opts.no_thread disables it.
 * A plain (not zip/gzip), UTF-8 file of at least split_min bytes (default 64 MiB; environment
 * SPARKER_CSV_SPLIT_MIN when the option is 0) is parsed as two byte ranges by two threads, cut
 * at a line end between rows: the first row returned is still the file's first row (the header),
 * but the rows after it come from both halves interleaved, NOT in file order. row->line stays the
 * row's physical line in the whole file; use it to order rows (e.g. "last row wins").
 *
 * Ownership: the reader owns the row and its strings; they stay valid until the next call to
 * sp_csv_next() or sp_csv_close(). sp_csv_close(NULL) is a no-op.
 *
 * Failure: sp_csv_open/next return < 0 (SP_EIO, SP_EFORMAT, SP_ECONFIG for an unknown encoding)
 * with one message in err; the stream cannot be read further.
 */
#ifndef SP_CSV_READER_H
#define SP_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

typedef struct sp_csv sp_csv;

typedef struct sp_csv_opts {
	char delim;           /* default ',' */
	const char *encoding; /* NULL/""/"auto": detected (see Encoding above); "UTF-8": UTF-8, rows
	                       * with invalid bytes rejected; else an iconv name */
	size_t max_field;     /* bytes; 0 = 1 MiB */
	int max_cols;         /* 0 = 512 */
	uint64_t max_bytes;   /* limit on decompressed bytes (zip bombs); 0 = none */
	const char *want_ext; /* zip entry to prefer, default ".csv" */
	int no_thread;        /* parse in the caller's thread (default: a background thread reads
	                       * and runs libcsv while the caller consumes rows) */
	uint64_t split_min;   /* threaded, plain UTF-8 file at least this big: two ranges, two threads
	                       * (rows out of file order); 0 = $SPARKER_CSV_SPLIT_MIN or 64 MiB,
	                       * UINT64_MAX = never */
	int libcsv_only;      /* every row through libcsv (default: the fast tokenizer where it can) */
	size_t chunk;         /* bytes per read, 0 = 256 KiB (tests use tiny reads to hit every
	                       * boundary) */
} sp_csv_opts;

typedef struct sp_csv_row {
	int n;                /* number of fields */
	const char **f;       /* f[i] NUL-terminated UTF-8 */
	const size_t *len;
	long line;            /* line where the row starts */
	const char *reject;   /* NULL or a stable reason */
} sp_csv_row;

int sp_csv_open(const char *path, const sp_csv_opts *o, sp_csv **out, sp_err *err);
/* SP_OK when the reader can read this encoding (as the config writes it: UTF-8, LATIN1, CP1252,
 * MACROMAN... or any iconv name), else SP_ECONFIG saying so. */
int sp_csv_encoding_check(const char *enc, sp_err *err);
/* SP_OK (row in *row), SP_REJECT (row in *row, row->reject set), SP_EOF, or < 0. */
int sp_csv_next(sp_csv *c, sp_csv_row **row, sp_err *err);
/* "file is not UTF-8; read as windows-1252" when the encoding was detected as an 8-bit code
 * page (one line for the stage's note: the rows themselves are not rejected), else NULL. */
const char *sp_csv_note(const sp_csv *c);
/* 2 when the file is being parsed as two ranges (known once the cut is found: surely at SP_EOF), else 1. */
int sp_csv_ranges(const sp_csv *c);
void sp_csv_close(sp_csv *c);

/* Column of a header row whose name equals name, ignoring case and surrounding spaces; -1 if none. */
int sp_csv_col(const sp_csv_row *hdr, const char *name);
/* Write row's fields joined by delim into out (an excerpt for a reject), at most max bytes,
 * made valid UTF-8 ('?' for bad bytes). */
void sp_csv_excerpt(const sp_csv_row *row, char delim, sp_buf *out, size_t max);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int sp_utf8_valid(const char *s, size_t n);
/* Replace every byte that does not start a valid UTF-8 sequence by '?', in place. */
void sp_utf8_sanitize(char *s, size_t n);

/*
 * Helpers for the CSV-family connectors (companies_house, sirene, csv), in csv_source.c.
 * The reader's options come from the source's config: delimiter (one char or "tab"), encoding,
 * max_field_bytes, max_columns, parse_thread (yes|no, default yes), max_unpacked_bytes (limit on
 * bytes out of a zip/gzip, 0 = none).
 * sp_csv_reject: clear rec, set its line, reason and an excerpt of the row; returns SP_REJECT.
 * sp_csv_set: rec field from column col of row (col < 0 or past the row: left empty); "NA" (an R
 * export's missing value) reads as empty when na_empty.
 */
#include "core/config.h"
#include "connectors/connector.h"
/*
 * What every CSV connector does first: options from the source's config, open the file, read the
 * header row. On success *csv is open, *hdr is the header (valid until the next sp_csv_next) and
 * *delim the delimiter; an empty file is SP_EFORMAT "PATH: empty file (no header row)".
 */
int sp_csv_open_source(const sp_config *cfg, const sp_source *src, const char *path, sp_csv **csv,
		       sp_csv_row **hdr, char *delim, sp_err *err);
/* The same, but rows come in file order whatever the file's size (never split in two ranges):
 * for connectors that rely on the file's sort order (sirene's merge join). */
int sp_csv_open_source_in_order(const sp_config *cfg, const sp_source *src, const char *path, sp_csv **csv,
				sp_csv_row **hdr, char *delim, sp_err *err);
/* The [source] keys of the CSV-family formats (the reader's options above); their connectors
 * list them in sp_connector.keys. */
extern const sp_config_key sp_csv_source_keys[];
/*
 * What every CSV connector's next() does first: the next row; SP_REJECT (rec filled by
 * sp_csv_reject) for a row the reader rejected or one whose column count is not ncols; else
 * SP_OK with rec cleared, rec->line set and *row the row. SP_EOF and errors pass through.
 */
int sp_csv_next_record(sp_csv *c, int ncols, char delim, sp_record *rec, sp_csv_row **row, sp_err *err);
int sp_csv_reject(const sp_csv_row *row, char delim, sp_record *rec, const char *reason);
void sp_csv_set(sp_record *rec, sp_field f, const sp_csv_row *row, int col, int na_empty);

#endif
