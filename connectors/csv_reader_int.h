/*
 * csv_reader_int.h — PRIVATE to the CSV reader (csv_reader.c, csv_tokenizer.c, csv_split.c).
 * Nothing else may include it: callers use csv_reader.h, whose sp_csv stays opaque.
 *
 * What it holds: the reader's shared structures (the reader, its producers, their batches) and
 * the calls between its three files:
 *   csv_reader.c     the API (open/next/close), producers (read, transcode, BOM, hand batches
 *                    over), the consumer's queue;
 *   csv_tokenizer.c  bytes -> fields and rows in a batch: the SSE2 fast tokenizer and libcsv
 *                    (the hot path: every per-field and per-row function is static there);
 *   csv_split.c      the cut of a big plain file in two ranges parsed by two producers;
 *   csv_detect.c     the encoding of a file read without one (UTF-8, Windows-1252, Mac Roman).
 *
 * Data flow: a producer reads (sp_stream_read, or pread on a range) -> [iconv to UTF-8] -> BOM
 * strip -> sp_csvtok_feed(): fields and rows go into the producer's current batch (one arena of
 * fields + a row index). After each read, a batch with complete rows is handed to the consumer
 * (sp_csv_next) over a small queue; a row still being built moves to the next batch. At most
 * NBATCH batches exist per producer, so memory is bounded (about NBATCH x (CHUNK + max_field))
 * whatever the file size; a producer waits when all of its batches are in use.
 *
 * Invariants: a batch belongs to exactly one of: its producer (pr->pb, being filled), the
 * producer's full queue, the consumer (c->cb), or the producer's free list. The queues, done,
 * prod_rc/perr, split_known/split_at and stop are shared and read or written under c->mu when
 * c->threaded; everything else in a prod belongs to its producer thread, everything in the
 * consumer part of sp_csv to the caller's thread.
 *
 * Failure: none of these functions fail except where noted; allocation failure aborts
 * (sp_xmalloc).
 */
#ifndef SP_CSV_READER_INT_H
#define SP_CSV_READER_INT_H

#include <csv.h>
#include <iconv.h>
#include <pthread.h>
#include <stdatomic.h>

#include "connectors/archive.h"
#include "connectors/csv_reader.h"

#define CHUNK (256 * 1024)  /* bytes per read (default) */
#define SLICE (64 * 1024)   /* bytes per csv_parse call */
#define PAD 64              /* readable (zeroed) bytes past the data the fast tokenizer is given */
#define CARRY_STEP 4096     /* bytes of the next read tried at a time to finish a carried row */
#define CARRY_MAX (64 * 1024) /* a carried row longer than this goes to libcsv */
#define NBATCH 4
#define SPLIT_MIN_DEFAULT (64ULL * 1024 * 1024)
#define SCAN_BUF (1024 * 1024)
#define PRODUCER_NICE 5

typedef struct fld { size_t off, len; } fld;
typedef struct rowm { size_t first; int n; long line; const char *reject; } rowm;

typedef struct batch {
	sp_buf arena;
	fld *flds;
	size_t nflds, fcap;
	rowm *rows;
	size_t nrows, rcap;
	struct batch *next;
} batch;

/* One producer: a byte range of the input, its libcsv parser, its batches. */
typedef struct prod {
	struct sp_csv *c;
	int id;
	int fd;             /* ranges: the plain file, read with pread; -1 = read c->st */
	uint64_t off, end;  /* ranges: next offset, end (UINT64_MAX until known / to EOF) */
	struct csv_parser p;
	char *in;           /* raw bytes (+ carried incomplete sequence when transcoding) */
	size_t in_carry;
	char *tx;           /* transcoded bytes */
	size_t tx_cap;
	int first_chunk;
	batch *pb;          /* the batch being filled */
	size_t cur_first;   /* the row being built: its first field in pb, count, line, reason */
	int cur_n;
	long cur_line;
	const char *cur_reject;
	long line;          /* physical line position */
	int last_term;
	int skipping;       /* after an oversized field: drop input up to the next line end */
	int in_row;         /* libcsv is inside a row the fast tokenizer handed it (see feed) */
	sp_buf carry;       /* the start of a row cut by the end of a read (fast tokenizer) */
	/* shared, under c->mu */
	pthread_t th;
	int started;
	batch *full_head, *full_tail, *free_list;
	int nalloc;
	int done;
	int prod_rc;
	sp_err perr;
} prod;

struct sp_csv {
	sp_stream *st;
	char delim;
	unsigned char popts;
	iconv_t cd;
	size_t max_field;
	int max_cols;
	int check_utf8;
	char note[96];      /* "file is not UTF-8; read as windows-1252" (detected), else "" */
	int fast;           /* the fast tokenizer is on (else libcsv parses every row) */
	size_t chunk;       /* bytes per read */
	prod pr[2];
	int npr;
	/* split of a plain file in two ranges */
	char *path;
	uint64_t fsize, split_target;
	int split_known;    /* under mu: 1 once find_split has answered */
	uint64_t split_at;  /* 0 = no split */
	/* shared, under mu */
	int threaded;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	_Atomic int stop;
	/* consumer side */
	int hdr_done;       /* the first batch of range 1 (with the header) was handed out */
	int rr;             /* next range to look at */
	batch *cb;
	prod *cb_owner;
	size_t rhead;
	const char **outf;
	size_t *outl;
	sp_csv_row out;
};

/* c->mu, only when a background thread exists (else no-ops). */
static inline void csv_lock(sp_csv *c) { if (c->threaded) pthread_mutex_lock(&c->mu); }
static inline void csv_unlock(sp_csv *c) { if (c->threaded) pthread_mutex_unlock(&c->mu); }
static inline void csv_signal_all(sp_csv *c) { if (c->threaded) pthread_cond_broadcast(&c->cv); }

/* ---- csv_tokenizer.c (called once per read, never per field or row) -------------------------- */

/* (Re)initialise pr's libcsv parser with the reader's delimiter and options. */
void sp_csvtok_init(prod *pr);
/* Tokenize decoded bytes s[0..n) (PAD readable bytes after s + n) into pr->pb; a row cut by the
 * end of s is kept for the next call. */
void sp_csvtok_feed(prod *pr, const char *s, size_t n);
/* The input ended: finish a carried row and the last row (one without a line end). */
void sp_csvtok_finish(prod *pr);
/* Append a field (copied) to batch b, outside any row bookkeeping (a row moving to a new batch). */
void sp_csvtok_push_field(batch *b, const char *s, size_t len);

/* ---- csv_detect.c ------------------------------------------------------------------------ */

/* The encoding of path (a sample of its first bytes, see csv_detect.c): *iconv_name NULL for
 * UTF-8, else "WINDOWS-1252" or "MACINTOSH", with *shown the name written in the note
 * ("windows-1252", "mac-roman", both accepted by `encoding =`). */
int sp_csvdetect_file(const char *path, const sp_csv_opts *o, const char **iconv_name, const char **shown, sp_err *err);

/* ---- csv_split.c -------------------------------------------------------------------------- */

/* At open: decide whether path is parsed as two ranges (plain UTF-8 file, threaded, at least
 * split_min bytes). Sets c->npr (1 or 2) and, for 2, c->fsize, c->split_target, c->path and the
 * two descriptors *fd0 and *fd1 (owned by the producers from then on); else both are -1. */
void sp_csvsplit_plan(sp_csv *c, const sp_csv_opts *o, const char *path, int *fd0, int *fd1);
/* Range 2's producer, first thing: find the cut and publish it (c->split_at, 0 = no split, wakes
 * range 1); pr->off and pr->line are set to the cut. Returns the cut. */
uint64_t sp_csvsplit_cut(prod *pr);
/* Range 1's producer before each read: wait until the cut is known if the read would pass the
 * search start, then bound the range by it. */
void sp_csvsplit_await(prod *pr);

#endif
