/*
 * csv_reader.c — pull-style streaming CSV on top of libcsv. See csv_reader.h.
 *
 * Data flow: a producer (a background thread, so reading and tokenizing run on one core while the
 * parse stage fills records and SQLite on the other) does sp_stream_read() -> [iconv to UTF-8]
 * -> BOM strip -> feed(): fast_rows() splits ordinary rows itself, 16 bytes at a time (SSE2),
 * and hands any other row whole to libcsv (csv_parse in slices of SLICE bytes -> on_field()/
 * on_row()); both append fields and rows to the producer's current batch (one arena of fields +
 * a row index) through keep_field()/on_row(), so line numbers and rejects are booked the same
 * way; that both split the same fields is what test_csv_reader.c and the fuzz target csv_diff
 * check. A row cut by the end of a read waits in pr->carry (at most CARRY_MAX + CARRY_STEP
 * bytes, else libcsv takes it) and is finished with the next read.
 * Why our own tokenizer beside libcsv: libcsv's byte-at-a-time state machine plus one callback
 * per field was the critical path (issue 8: parse must beat libcsv alone); fast_rows() takes only
 * the rows whose meaning is plain, and libcsv stays the reference for everything else.
 * After each CHUNK read, a batch with complete rows is handed to the consumer (sp_csv_next) over
 * a small queue; a row still being built moves to the next batch. At most NBATCH batches exist
 * per producer, so memory is bounded (about NBATCH x (CHUNK + max_field)) whatever the file size;
 * a producer waits when all of its batches are in use. With opts.no_thread the producer runs
 * inline in sp_csv_next().
 *
 * Two ranges (threaded, plain UTF-8 file of at least split_min bytes): tokenizing is the
 * critical path, so the file is cut in two byte ranges parsed by two producer threads, each with
 * its own libcsv parser and batch queue. The cut is a line end where libcsv starts a fresh row:
 * the second thread finds it with find_split(), a scan that follows libcsv's quoting state
 * machine (memchr over quoted text, several times faster than csv_parse) from the start of the
 * file to a little past the middle, and counts the line ends before it (the first line number of
 * the second range). The first thread starts parsing at once and only waits if it reaches the
 * search start before the cut is known. The consumer hands out the header (the first row of range
 * 1) first, then batches from whichever range has one ready, so rows of the two halves
 * interleave: callers must not depend on row order beyond the header (parse.c resolves duplicate
 * keys by line number). The two producer threads run at nice +5 so that the consumer, the third
 * thread on two cores, gets a core as soon as a batch is ready (measured with libcsv tokenizing:
 * about 7 % less wall time than equal priorities on 5M Companies House rows; with the fast
 * tokenizer no difference either way). No split when the scan meets a field longer than
 * max_field (the reader's skip-to-line-end recovery could then disagree with the scan) or finds
 * no line end to cut at.
 *
 * Errors of a producer (I/O, transcoding) end the stream: the consumer gets rows read so far,
 * then the error code and message.
 */
#include "connectors/csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connectors/archive.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CHUNK (256 * 1024)
#define SLICE (64 * 1024)
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
	_Atomic uint64_t pos;
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

int sp_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *e = s + n;
	while (s < e) {
		/* ASCII fast path, 8 bytes at a time */
		while (e - s >= 8) {
			uint64_t w;
			memcpy(&w, s, 8);
			if (w & 0x8080808080808080ULL)
				break;
			s += 8;
		}
		if (s >= e)
			break;
		unsigned c = *s;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			if (e - s < 2 || (s[1] & 0xC0) != 0x80)
				return 0;
			s += 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			if (e - s < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
				return 0;
			if (c == 0xE0 && s[1] < 0xA0)
				return 0; /* overlong */
			if (c == 0xED && s[1] >= 0xA0)
				return 0; /* surrogate */
			s += 3;
		} else if (c >= 0xF0 && c <= 0xF4) {
			if (e - s < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
				return 0;
			if (c == 0xF0 && s[1] < 0x90)
				return 0;
			if (c == 0xF4 && s[1] >= 0x90)
				return 0;
			s += 4;
		} else {
			return 0;
		}
	}
	return 1;
}

static int is_space_tab(unsigned char c) { return c == ' '; }

static void parser_init(prod *pr)
{
	csv_init(&pr->p, pr->c->popts);
	csv_set_delim(&pr->p, (unsigned char)pr->c->delim);
	if (pr->c->delim == '\t')
		csv_set_space_func(&pr->p, is_space_tab); /* else libcsv's inline default: space, tab */
	csv_set_blk_size(&pr->p, 4096);
}

static size_t count_newlines(const char *s, size_t n)
{
	if (!memchr(s, '\n', n) && !memchr(s, '\r', n))
		return 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			k++;
		else if (s[i] == '\r' && (i + 1 >= n || s[i + 1] != '\n'))
			k++;
	}
	return k;
}

/*
 * Count the line ends in a field (for line numbers) and check it: returns 1 when it is fine,
 * 0 for invalid UTF-8 (when utf8 is set), -1 for a NUL byte (C readers of the value would stop
 * at it, so the row is rejected rather than stored cut or with a NUL inside).
 */
static int scan_field(const char *s, size_t n, int utf8, long *lines)
{
	size_t i = 0;
	int ok = 1;
	long nl = 0;
	while (i < n) {
		while (n - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			uint64_t hi = w & 0x8080808080808080ULL;
			uint64_t lo = (w - 0x0E0E0E0E0E0E0E0EULL) & ~w & 0x8080808080808080ULL; /* a byte < 0x0E */
			if (hi | lo)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n') {
			nl++;
		} else if (ch == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				nl++;
		} else if (ch == 0) {
			ok = -1;
		} else if (ch >= 0x80 && utf8 && ok == 1) {
			/* validate this sequence and go on */
			size_t k = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : 2;
			if (i + k > n || !sp_utf8_valid(s + i, k))
				ok = 0;
			else
				i += k - 1;
		}
		i++;
	}
	*lines += nl;
	return ok;
}


/* A row's first field: remember where the row starts (line, first field). */
static inline void row_begin(prod *pr)
{
	if (pr->cur_n == 0) {
		pr->cur_line = pr->line;
		pr->cur_first = pr->pb->nflds;
		pr->cur_reject = NULL;
	}
}

/* Make room for n more bytes in the arena. */
static void arena_room(batch *b, size_t n)
{
	sp_buf *a = &b->arena;
	if (a->len + n <= a->cap)
		return;
	size_t cap = a->cap ? a->cap : 2 * CHUNK;
	while (cap < a->len + n)
		cap *= 2;
	a->buf = sp_xrealloc(a->buf, cap);
	a->cap = cap;
}

/* The next field slot of batch b. */
static inline fld *new_fld(batch *b)
{
	if (b->nflds == b->fcap) {
		b->fcap = b->fcap ? b->fcap * 2 : 4096;
		b->flds = sp_xrealloc(b->flds, b->fcap * sizeof(*b->flds));
	}
	return &b->flds[b->nflds++];
}

/*
 * The field of len bytes already written at the arena's end (not yet counted) joins the row being
 * built; ok is scan_field's verdict on it. Both tokenizers end here, so rejects are the same.
 */
static inline void keep_field(prod *pr, size_t len, int ok)
{
	batch *b = pr->pb;
	if (pr->cur_n >= pr->c->max_cols) {
		if (!pr->cur_reject)
			pr->cur_reject = "too many columns";
		return;
	}
	if (ok != 1 && !pr->cur_reject)
		pr->cur_reject = ok < 0 ? "NUL byte" : "invalid UTF-8";
	fld *f = new_fld(b);
	f->off = b->arena.len;
	f->len = len;
	b->arena.buf[b->arena.len + len] = '\0';
	b->arena.len += len + 1;
	pr->cur_n++;
}

/* Append a field (copied) to batch b, outside any row bookkeeping (handoff, abandon_field). */
static void push_field(batch *b, const char *s, size_t len)
{
	arena_room(b, len + 1);
	fld *f = new_fld(b);
	sp_buf *a = &b->arena;
	f->off = a->len;
	f->len = len;
	if (len)
		memcpy(a->buf + a->len, s, len);
	a->len += len;
	a->buf[a->len++] = '\0';
}

/* libcsv's field callback. */
static void on_field(void *data, size_t len, void *user)
{
	prod *pr = user;
	sp_csv *c = pr->c;
	row_begin(pr);
	int ok = len && data ? scan_field(data, len, c->check_utf8, &pr->line) : 1;
	if (pr->cur_n < c->max_cols && len > c->max_field) {
		if (!pr->cur_reject)
			pr->cur_reject = "field too large";
		len = 256;
		ok = 1;
	}
	arena_room(pr->pb, len + 1);
	if (len)
		memcpy(pr->pb->arena.buf + pr->pb->arena.len, data, len);
	keep_field(pr, len, ok);
}

static void end_row(prod *pr)
{
	batch *b = pr->pb;
	if (b->nrows == b->rcap) {
		b->rcap = b->rcap ? b->rcap * 2 : 1024;
		b->rows = sp_xrealloc(b->rows, b->rcap * sizeof(*b->rows));
	}
	rowm *r = &b->rows[b->nrows++];
	r->first = pr->cur_first;
	r->n = pr->cur_n;
	r->line = pr->cur_line;
	r->reject = pr->cur_reject;
	pr->cur_n = 0;
	pr->cur_reject = NULL;
	pr->cur_first = b->nflds;
}

static void on_row(int term, void *user)
{
	prod *pr = user;
	if (pr->cur_n == 0) {
		/* a bare line end outside a record (CSV_REPALL_NL) */
		if (term == '\n' && pr->last_term == '\r') {
			pr->last_term = 0;
			return; /* second half of CRLF */
		}
		if (term == '\n' || term == '\r')
			pr->line++;
		pr->last_term = term;
		return;
	}
	end_row(pr);
	if (term == '\n' || term == '\r')
		pr->line++;
	pr->last_term = term;
}

/* An oversized field is in libcsv's buffer: reject the row, reset the parser, skip to line end. */
static void abandon_field(prod *pr)
{
	if (pr->cur_n == 0) {
		pr->cur_line = pr->line;
		pr->cur_first = pr->pb->nflds;
	}
	pr->line += (long)count_newlines((const char *)pr->p.entry_buf, pr->p.entry_pos);
	if (pr->cur_n < pr->c->max_cols) {
		push_field(pr->pb, (const char *)pr->p.entry_buf, pr->p.entry_pos < 256 ? pr->p.entry_pos : 256);
		pr->cur_n++;
	}
	pr->cur_reject = "field too large";
	end_row(pr);
	csv_free(&pr->p);
	parser_init(pr);
	pr->skipping = 1;
}

/*
 * Feed s[0..n) to libcsv in slices, watching the field-size limit. Returns the bytes used: less
 * than n only when a field grew past max_field (abandon_field: pr->skipping is then set).
 */
static size_t feed_libcsv(prod *pr, const char *s, size_t n)
{
	size_t used = 0;
	while (used < n) {
		size_t k = n - used < SLICE ? n - used : SLICE;
		csv_parse(&pr->p, s + used, k, on_field, on_row, pr);
		used += k;
		if (pr->p.entry_pos > pr->c->max_field) {
			abandon_field(pr);
			break;
		}
	}
	return used;
}

/* Bytes of s[0..n) up to and including the first line end (CR or LF), or n. */
static size_t upto_line_end(const char *s, size_t n)
{
	const char *lf = memchr(s, '\n', n);
	size_t m = lf ? (size_t)(lf - s) + 1 : n;
	const char *cr = memchr(s, '\r', m);
	return cr ? (size_t)(cr - s) + 1 : m;
}

#ifdef __SSE2__
enum { FR_END, FR_PARTIAL, FR_IRREGULAR };

/* libcsv's "space" (skipped before a field, trimmed after an unquoted one), see parser_init. */
static inline int fast_space(const sp_csv *c, unsigned char ch)
{
	return ch == ' ' || (ch == '\t' && c->delim != '\t');
}

/* One 16-byte step of a field scan: the bytes of v that are valid (before end). */
static inline unsigned valid_mask(const unsigned char *q, const unsigned char *end)
{
	return end - q >= 16 ? 0xFFFFu : (1u << (end - q)) - 1;
}

/*
 * The content of a quoted field whose opening quote is at q[-1], copied to dst ("" as one quote):
 * returns the closing quote (the byte after it is in buf), or NULL with *why = FR_PARTIAL (buf
 * ends first) or FR_IRREGULAR (longer than max). *len and *special (bytes < 0x0E or > 0x7F seen)
 * describe the content.
 */
static inline const unsigned char *scan_quoted(const unsigned char *q, const unsigned char *end, char *dst,
					       size_t max, size_t *len, unsigned *special, int *why)
{
	const __m128i vq = _mm_set1_epi8('"'), vlow = _mm_set1_epi8(0x0E);
	size_t l = 0;
	unsigned sp = 0;
	for (;;) {
		if (q >= end)
			break;
		__m128i v = _mm_loadu_si128((const __m128i *)q);
		_mm_storeu_si128((__m128i *)(dst + l), v);
		unsigned avail = valid_mask(q, end);
		unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) & avail;
		unsigned ms = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, vlow));
		if (!mq) {
			if (avail != 0xFFFFu)
				break;
			sp |= ms;
			l += 16;
			q += 16;
			if (l > max) {
				*why = FR_IRREGULAR;
				return NULL;
			}
			continue;
		}
		unsigned k = (unsigned)__builtin_ctz(mq);
		sp |= ms & ((1u << k) - 1);
		l += k;
		q += k; /* at a quote: doubled, or the closing one */
		if (q + 1 >= end)
			break;
		if (q[1] != '"') {
			*len = l;
			*special = sp;
			return q;
		}
		dst[l++] = '"';
		q += 2;
	}
	*why = FR_PARTIAL;
	return NULL;
}

/*
 * The content of an unquoted field starting at q (not a space, quote, delimiter or line end),
 * copied to dst: returns the byte that ends it (a delimiter, line end or quote), or NULL with
 * *why as for scan_quoted.
 */
static inline const unsigned char *scan_unquoted(const unsigned char *q, const unsigned char *end, char *dst,
						 char delim, size_t max, size_t *len, unsigned *special, int *why)
{
	const __m128i vq = _mm_set1_epi8('"'), vd = _mm_set1_epi8(delim), vlf = _mm_set1_epi8('\n');
	const __m128i vcr = _mm_set1_epi8('\r'), vlow = _mm_set1_epi8(0x0E);
	size_t l = 0;
	unsigned sp = 0;
	while (q < end) {
		__m128i v = _mm_loadu_si128((const __m128i *)q);
		_mm_storeu_si128((__m128i *)(dst + l), v);
		unsigned avail = valid_mask(q, end);
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vd), _mm_cmpeq_epi8(v, vq)),
					    _mm_or_si128(_mm_cmpeq_epi8(v, vlf), _mm_cmpeq_epi8(v, vcr)));
		unsigned ms = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, vlow));
		unsigned mstop = (unsigned)_mm_movemask_epi8(stop) & avail;
		if (mstop) {
			unsigned k = (unsigned)__builtin_ctz(mstop);
			*len = l + k;
			*special = sp | (ms & ((1u << k) - 1));
			return q + k;
		}
		if (avail != 0xFFFFu)
			break;
		sp |= ms;
		l += 16;
		q += 16;
		if (l > max) {
			*why = FR_IRREGULAR;
			return NULL;
		}
	}
	*why = FR_PARTIAL;
	return NULL;
}

/*
 * The fast tokenizer: the rows of buf[0..n) (PAD readable bytes follow), from a row start, until
 * one is cut by the end of buf (*st = FR_PARTIAL), one is not ordinary (FR_IRREGULAR: a quote in
 * an unquoted field, a space around a field, anything but the delimiter or a line end after a
 * closing quote, a field over max_field) or buf ends between rows (FR_END). Returns the bytes
 * used, always up to a row start; the fields of a row it gives up on are taken back.
 *
 * What it emits is what libcsv's callbacks would (parser_init's options: CSV_REPALL_NL, quote '"',
 * not strict): a line end at a row start is a bare on_row(); `""` inside quotes is one quote; a
 * line end right after a delimiter ends an empty last field. Fields are copied into the arena 16
 * bytes at a time while they are scanned (a copy may run 15 bytes past a field: the arena has
 * room for n + PAD). A field holding a byte below 0x0E or above 0x7F (line ends, NUL, tab,
 * UTF-8) goes through scan_field as libcsv's do, for the line count and the checks.
 */
static size_t fast_rows(prod *pr, const char *buf, size_t n, int *st)
{
	sp_csv *c = pr->c;
	batch *b = pr->pb;
	const unsigned char *p = (const unsigned char *)buf, *end = p + n;
	const unsigned char delim = (unsigned char)c->delim;
	arena_room(b, n + PAD);
	for (;;) {
		const unsigned char *row = p;
		size_t nf0 = b->nflds, al0 = b->arena.len;
		long line0 = pr->line;
		if (p >= end) {
			*st = FR_END;
			return n;
		}
		if (*p == '\n' || *p == '\r') {
			on_row(*p++, pr);
			continue;
		}
		for (;;) { /* a field starts at p */
			if (p >= end) {
				*st = FR_PARTIAL;
				goto take_back;
			}
			char *dst = b->arena.buf + b->arena.len;
			size_t len = 0;
			unsigned special = 0;
			const unsigned char *q;
			unsigned char nx;
			if (*p == '"') {
				if (!(q = scan_quoted(p + 1, end, dst, c->max_field, &len, &special, st)))
					goto take_back;
				nx = q[1];
				if (nx != delim && nx != '\n' && nx != '\r')
					goto irregular;
				p = q + 2;
			} else if (*p == delim || *p == '\n' || *p == '\r') {
				nx = *p++; /* an empty field (a line end here comes after a delimiter) */
			} else {
				if (fast_space(c, *p))
					goto irregular;
				if (!(q = scan_unquoted(p, end, dst, (char)delim, c->max_field, &len, &special, st)))
					goto take_back;
				nx = *q;
				if (nx == '"' || fast_space(c, (unsigned char)dst[len - 1]))
					goto irregular;
				p = q + 1;
			}
			if (len > c->max_field)
				goto irregular;
			row_begin(pr);
			keep_field(pr, len, special ? scan_field(dst, len, c->check_utf8, &pr->line) : 1);
			if (nx != delim) {
				on_row(nx, pr);
				break;
			}
		}
		continue;
	irregular:
		*st = FR_IRREGULAR;
	take_back:
		b->nflds = nf0;
		b->arena.len = al0;
		pr->line = line0;
		pr->cur_n = 0;
		pr->cur_reject = NULL;
		return (size_t)(row - (const unsigned char *)buf);
	}
}
#else
enum { FR_END, FR_PARTIAL, FR_IRREGULAR };
static size_t fast_rows(prod *pr, const char *buf, size_t n, int *st)
{
	(void)pr, (void)buf, (void)n;
	*st = FR_IRREGULAR; /* not reached: c->fast is 0 without SSE2 */
	return 0;
}
#endif

/* Append s[0..n) to the carried row, keeping PAD zero bytes after it. */
static void carry_add(prod *pr, const char *s, size_t n)
{
	sp_buf *cb = &pr->carry;
	if (cb->len + n + PAD > cb->cap) {
		size_t cap = cb->cap ? cb->cap : 4 * CARRY_STEP;
		while (cap < cb->len + n + PAD)
			cap *= 2;
		cb->buf = sp_xrealloc(cb->buf, cap);
		cb->cap = cap;
	}
	memcpy(cb->buf + cb->len, s, n);
	cb->len += n;
	memset(cb->buf + cb->len, 0, PAD);
}

static void feed(prod *pr, const char *s, size_t n);

/* Hand the carried row to libcsv (not ordinary, too long, or the input ended). */
static void carry_to_libcsv(prod *pr)
{
	sp_buf row = pr->carry;
	sp_buf_init(&pr->carry);
	pr->in_row = 1;
	feed(pr, row.buf, row.len);
	if (!pr->carry.cap) {
		pr->carry = row; /* keep the allocation */
		pr->carry.len = 0;
	} else {
		sp_buf_release(&row);
	}
}

/*
 * A row was cut by the end of the last read (pr->carry): add up to CARRY_STEP bytes of s[0..n) to
 * it and try again. Returns the bytes of s used; the bytes after the last complete row go back
 * to the caller.
 */
static size_t feed_carry(prod *pr, const char *s, size_t n)
{
	sp_buf *cb = &pr->carry;
	size_t k = n < CARRY_STEP ? n : CARRY_STEP;
	carry_add(pr, s, k);
	int st;
	size_t used = fast_rows(pr, cb->buf, cb->len, &st);
	if (used) { /* the carried row ended inside the k new bytes */
		size_t back = cb->len - used;
		cb->len = 0;
		pr->in_row = st == FR_IRREGULAR;
		return k - back;
	}
	if (st == FR_IRREGULAR || cb->len > CARRY_MAX)
		carry_to_libcsv(pr);
	return k;
}

/*
 * Feed decoded bytes (PAD readable bytes after s + n) to the tokenizers: the fast one while rows
 * are ordinary; libcsv for a row the fast one hands over (in_row: fed up to each line end until
 * libcsv is between rows again), or for everything when c->fast is off; a row cut by the end of
 * s waits in pr->carry for the next call. After an abandoned field, input is skipped to the next
 * line end.
 */
static void feed(prod *pr, const char *s, size_t n)
{
	sp_csv *c = pr->c;
	while (n) {
		if (pr->skipping) {
			size_t i = 0;
			while (i < n && s[i] != '\n' && s[i] != '\r')
				i++;
			if (i == n)
				return;
			pr->skipping = 0;
			pr->line++;
			pr->last_term = s[i];
			s += i + 1;
			n -= i + 1;
			continue;
		}
		size_t k;
		if (!c->fast) {
			k = feed_libcsv(pr, s, n);
		} else if (pr->in_row) {
			k = feed_libcsv(pr, s, upto_line_end(s, n));
			pr->in_row = pr->p.pstate != 0; /* libcsv's ROW_NOT_BEGUN: between rows */
		} else if (pr->carry.len) {
			k = feed_carry(pr, s, n);
		} else {
			int st;
			k = fast_rows(pr, s, n, &st);
			if (st == FR_IRREGULAR) {
				pr->in_row = 1;
			} else if (st == FR_PARTIAL) {
				carry_add(pr, s + k, n - k);
				k = n;
			}
		}
		s += k;
		n -= k;
	}
}

static int transcode(prod *pr, size_t n, const char **out, size_t *outn, sp_err *err)
{
	char *ip = pr->in;
	size_t il = n;
	char *op = pr->tx;
	size_t ol = pr->tx_cap;
	while (il) {
		size_t r = iconv(pr->c->cd, &ip, &il, &op, &ol);
		if (r != (size_t)-1)
			break;
		if (errno == EILSEQ) {
			if (ol < 3)
				return sp_err_set(err, SP_EFORMAT, "transcoding buffer overflow");
			memcpy(op, "\xEF\xBF\xBD", 3); /* U+FFFD for bytes the code page leaves undefined */
			op += 3;
			ol -= 3;
			ip++;
			il--;
		} else if (errno == EINVAL) {
			break; /* incomplete sequence: carry it over */
		} else {
			return sp_err_set(err, SP_EFORMAT, "transcoding: %s", strerror(errno));
		}
	}
	memmove(pr->in, ip, il);
	pr->in_carry = il;
	*out = pr->tx;
	*outn = (size_t)(op - pr->tx);
	return SP_OK;
}

static batch *batch_new(void)
{
	return sp_xcalloc(1, sizeof(batch));
}

static void batch_free(batch *b)
{
	if (!b)
		return;
	sp_buf_release(&b->arena);
	free(b->flds);
	free(b->rows);
	free(b);
}

static void batch_reset(batch *b)
{
	b->arena.len = 0;
	b->nflds = b->nrows = 0;
	b->next = NULL;
}

static void lock(sp_csv *c) { if (c->threaded) pthread_mutex_lock(&c->mu); }
static void unlock(sp_csv *c) { if (c->threaded) pthread_mutex_unlock(&c->mu); }
static void signal_all(sp_csv *c) { if (c->threaded) pthread_cond_broadcast(&c->cv); }

/* Producer: hand the current batch (it has complete rows) to the consumer; the row being built
 * moves to a fresh batch. Returns 0, or -1 when the consumer has closed the reader. */
static int handoff(prod *pr)
{
	sp_csv *c = pr->c;
	lock(c);
	while (!pr->free_list && pr->nalloc >= NBATCH && !c->stop)
		pthread_cond_wait(&c->cv, &c->mu); /* only reachable when threaded */
	if (c->stop) {
		unlock(c);
		return -1;
	}
	batch *nb;
	if (pr->free_list) {
		nb = pr->free_list;
		pr->free_list = nb->next;
	} else {
		nb = batch_new();
		pr->nalloc++;
	}
	unlock(c);
	batch_reset(nb);
	batch *pb = pr->pb;
	for (int i = 0; i < pr->cur_n; i++) {
		fld *f = &pb->flds[pr->cur_first + (size_t)i];
		push_field(nb, pb->arena.buf + f->off, f->len);
	}
	pr->cur_first = 0;
	pb->next = NULL;
	lock(c);
	if (pr->full_tail)
		pr->full_tail->next = pb;
	else
		pr->full_head = pb;
	pr->full_tail = pb;
	signal_all(c);
	unlock(c);
	pr->pb = nb;
	return 0;
}

/*
 * The cut between the two ranges: the offset just past a '\n' at or after target where libcsv
 * (as configured by parser_init) is between rows, found by following its state machine from the
 * start of the file (quoted text is skipped with memchr). *line = the reader's line number there
 * (1 + line ends before it, CRLF as one; "\r  \n" between rows is one line end for the reader, as
 * on_row merges a bare LF after a CR). Returns 0 (no split) when a field is longer than max_field,
 * no such line end exists, stop was set, or on a read error.
 */
enum { SC_ROW, SC_FIELD, SC_UNQ, SC_Q, SC_QEND };

static uint64_t find_split_scalar(sp_csv *c, int fd, unsigned char *buf, long *line)
{
	const unsigned char delim = (unsigned char)c->delim;
	int st = SC_ROW, spaces = 0, last_term = 0, pend_cr = 0;
	unsigned char prev = 0;
	uint64_t base = 0, fstart = 0, split = 0;
	long nl = 0, corr = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, SCAN_BUF, (off_t)base);
		if (n <= 0)
			break;
		size_t i = 0, len = (size_t)n;
		if (base == 0 && len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
			i = 3; /* the reader strips a BOM */
		for (; i < len && !split; i++) {
			unsigned char ch = buf[i];
			int sp = ch == ' ' || (ch == '\t' && delim != '\t');
			int term = ch == '\n' || ch == '\r';
			switch (st) {
			case SC_ROW:
			case SC_FIELD:
				if (sp && ch != delim)
					break;
				if (term) {
					if (st == SC_ROW) { /* a bare line end: on_row with no field */
						if (ch == '\n' && last_term == '\r') {
							if (prev != '\r')
								corr++;
							last_term = 0;
						} else {
							last_term = ch;
						}
					} else {
						last_term = ch;
					}
					st = SC_ROW;
					goto row_end;
				}
				if (ch == delim) {
					st = SC_FIELD;
					break;
				}
				fstart = base + i;
				st = ch == '"' ? SC_Q : SC_UNQ;
				break;
			case SC_UNQ:
				if (ch == delim || term)
					goto field_end;
				break;
			case SC_Q: {
				const unsigned char *q = memchr(buf + i, '"', len - i);
				if (!q) {
					i = len - 1;
					break;
				}
				i = (size_t)(q - buf);
				st = SC_QEND;
				spaces = 0;
				break;
			}
			case SC_QEND:
				if (ch == delim || term)
					goto field_end;
				if (sp)
					spaces = 1;
				else if (ch == '"' && spaces)
					spaces = 0;
				else
					st = SC_Q;
				break;
			}
			prev = ch;
			continue;
		field_end:
			if (base + i - fstart > c->max_field)
				goto out; /* the reader would abandon it and resync on its own */
			if (!term) {
				st = SC_FIELD;
				prev = ch;
				continue;
			}
			last_term = ch;
			st = SC_ROW;
		row_end:
			prev = ch;
			if (ch == '\n' && base + i + 1 >= c->split_target)
				split = base + i + 1;
		}
		/* line ends in [base, base + counted) */
		size_t counted = split ? (size_t)(split - base) : len;
		if (pend_cr && buf[0] != '\n')
			nl++;
		pend_cr = 0;
		for (size_t k = 0; k < counted; k++)
			nl += buf[k] == '\n';
		for (const unsigned char *r = buf; (r = memchr(r, '\r', counted - (size_t)(r - buf))); r++) {
			if ((size_t)(r - buf) + 1 < counted)
				nl += r[1] != '\n';
			else
				pend_cr = 1; /* the next byte decides */
		}
		if (split)
			break;
		base += len;
		if (c->stop)
			break;
	}
out:
	if (split && split < c->fsize) {
		*line = 1 + nl - corr;
		return split;
	}
	return 0;
}

#ifdef __SSE2__
/* 64-bit mask of the bytes of b[0..64) equal to ch. */
static inline uint64_t eq_mask(const __m128i v[4], char ch)
{
	__m128i k = _mm_set1_epi8(ch);
	uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[0], k));
	uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[1], k));
	uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[2], k));
	uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[3], k));
	return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}

static inline uint64_t prefix_xor(uint64_t m)
{
	m ^= m << 1;
	m ^= m << 2;
	m ^= m << 4;
	m ^= m << 8;
	m ^= m << 16;
	m ^= m << 32;
	return m;
}

/*
 * find_split's fast path, 64 bytes at a time (SSE2): "inside quotes" is the parity of the quote
 * characters so far, which is libcsv's own view as long as every opening quote follows a
 * delimiter, a line end or a quote (a doubled quote) and every closing quote is followed by one
 * of those. Returns the cut (> 0), 0 = no cut, -1 = the file breaks those rules (or has a CR
 * followed by a space between rows, where the reader's line count is not the physical one, or a
 * field longer than max_field): use the scalar scan.
 */
static int64_t find_split_fast(sp_csv *c, int fd, unsigned char *buf, long *line)
{
	const char delim = c->delim;
	const int tab_sp = delim != '\t';
	uint64_t base = 0, last_struct = 0;
	uint64_t in_q = 0;          /* all ones when inside quotes at the block start */
	uint64_t prev_ok = 1;       /* the byte before the block may precede an opening quote */
	uint64_t pend_close = 0, pend_cr_out = 0, pend_cr = 0;
	long nl = 0;
	size_t skip = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, SCAN_BUF, (off_t)base);
		if (n <= 0)
			return 0;
		size_t len = (size_t)n;
		if (base == 0 && len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
			skip = 3;
		size_t i = skip;
		skip = 0;
		for (; i + 64 <= len; i += 64) {
			__m128i v[4];
			for (int k = 0; k < 4; k++)
				v[k] = _mm_loadu_si128((const __m128i *)(buf + i + 16 * k));
			uint64_t q = eq_mask(v, '"'), d = eq_mask(v, delim), lf = eq_mask(v, '\n'), cr = eq_mask(v, '\r');
			uint64_t sp = eq_mask(v, ' ') | (tab_sp ? eq_mask(v, '\t') : 0);
			uint64_t inside = prefix_xor(q) ^ in_q; /* after each byte */
			in_q = (uint64_t)0 - (inside >> 63);
			uint64_t open = q & inside, close = q & ~inside;
			uint64_t ok = d | lf | cr | q;
			if (open & ~(ok << 1 | prev_ok))
				return -1;
			if ((pend_close && !(ok & 1)) || ((close << 1) & ~ok))
				return -1;
			pend_close = close >> 63;
			prev_ok = ok >> 63;
			uint64_t out = ~inside & ~q;
			uint64_t cr_out = cr & out, lf_out = lf & out;
			if ((pend_cr_out && (sp & 1)) || ((cr_out << 1) & sp))
				return -1;
			pend_cr_out = cr_out >> 63;
			/* field lengths: gaps between delimiters / line ends outside quotes */
			uint64_t st = (d & out) | cr_out | lf_out, pos = base + i;
			if (st) {
				if (pos + (uint64_t)__builtin_ctzll(st) - last_struct > c->max_field)
					return -1;
				last_struct = pos + 63 - (uint64_t)__builtin_clzll(st);
			} else if (pos + 64 - last_struct > c->max_field) {
				return -1;
			}
			/* the cut: the first LF outside quotes at or past the target */
			uint64_t cut = 0, upto = ~0ULL;
			if (pos + 64 > c->split_target) {
				uint64_t from = c->split_target > pos + 1 ? c->split_target - pos - 1 : 0;
				uint64_t cand = lf_out & (~0ULL << from);
				if (cand) {
					int k = __builtin_ctzll(cand);
					cut = pos + (uint64_t)k + 1;
					upto = k == 63 ? ~0ULL : (1ULL << (k + 1)) - 1;
				}
			}
			/* physical line ends before the cut: LF, and CR not followed by LF */
			if (pend_cr && !(lf & 1))
				nl++;
			uint64_t lone_cr = cr & ~(lf >> 1) & (upto >> 1);
			pend_cr = cut ? 0 : cr >> 63;
			nl += __builtin_popcountll(lf & upto) + __builtin_popcountll(lone_cr & ~(1ULL << 63));
			if (cut) {
				*line = 1 + nl;
				return cut < c->fsize ? (int64_t)cut : 0;
			}
		}
		if (len < SCAN_BUF || c->stop)
			return 0; /* the end (a short tail of the file is never a cut) */
		base += i; /* the next read starts at the first byte not scanned */
	}
}
#endif

static uint64_t find_split(sp_csv *c, int fd, long *line)
{
	unsigned char *buf = sp_xmalloc(SCAN_BUF);
	int64_t at = -1;
#ifdef __SSE2__
	if (c->max_field >= 64 && !getenv("SPARKER_CSV_SCALAR_SCAN"))
		at = find_split_fast(c, fd, buf, line);
#endif
	if (at < 0)
		at = (int64_t)find_split_scalar(c, fd, buf, line);
	free(buf);
	return (uint64_t)at;
}

static int read_input(prod *pr, sp_err *err)
{
	sp_csv *c = pr->c;
	if (pr->fd < 0)
		return (int)sp_stream_read(c->st, pr->in + pr->in_carry, c->chunk, err);
	if (pr->id == 0 && pr->end == UINT64_MAX && c->npr == 2) {
		/* range 1: may read up to the search start; past it, the end must be known */
		lock(c);
		while (!c->split_known && pr->off + c->chunk > c->split_target && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->split_known && c->split_at)
			pr->end = c->split_at;
		unlock(c);
	}
	size_t want = c->chunk;
	if (pr->end != UINT64_MAX && pr->end - pr->off < want)
		want = (size_t)(pr->end - pr->off);
	if (!want)
		return 0;
	ssize_t n = pread(pr->fd, pr->in, want, (off_t)pr->off);
	if (n < 0)
		return sp_err_set(err, SP_EIO, "%s: read: %s", c->path, strerror(errno));
	pr->off += (uint64_t)n;
	return (int)n;
}

/* Producer: read and parse one chunk. Returns 1 = more to come, 0 = finished, < 0 error. */
static int produce_chunk(prod *pr, sp_err *err)
{
	sp_csv *c = pr->c;
	int n = read_input(pr, err);
	if (n < 0)
		return n;
	atomic_store(&pr->pos, pr->fd < 0 ? sp_stream_pos(c->st) : pr->off - (pr->id ? c->split_at : 0));
	if (n == 0) {
		static const char fffd[3 + PAD] = "\xEF\xBF\xBD";
		if (pr->in_carry && c->cd != (iconv_t)-1)
			feed(pr, fffd, 3); /* a truncated multi-byte sequence at the end */
		if (pr->carry.len)
			carry_to_libcsv(pr); /* a last row without a line end: csv_fini ends it */
		if (!pr->skipping)
			csv_fini(&pr->p, on_field, on_row, pr);
		else if (pr->cur_n)
			end_row(pr);
		return 0;
	}
	const char *d = pr->in;
	size_t dn = pr->in_carry + (size_t)n;
	if (c->cd != (iconv_t)-1) {
		int rc = transcode(pr, dn, &d, &dn, err);
		if (rc < 0)
			return rc;
	}
	memset((char *)d + dn, 0, PAD); /* feed's padding (pr->in and pr->tx have room for it) */
	if (pr->first_chunk) {
		pr->first_chunk = 0;
		if (dn >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3)) {
			d += 3;
			dn -= 3;
		}
	}
	feed(pr, d, dn);
	if (pr->pb->nrows && handoff(pr) < 0)
		return 0;
	return 1;
}

/* Producer finished (end, error or stop): publish the last rows and the outcome. */
static void produce_end(prod *pr, int rc, const sp_err *err)
{
	sp_csv *c = pr->c;
	lock(c);
	if (pr->pb && pr->pb->nrows) {
		pr->pb->next = NULL;
		if (pr->full_tail)
			pr->full_tail->next = pr->pb;
		else
			pr->full_head = pr->pb;
		pr->full_tail = pr->pb;
	} else if (pr->pb) {
		pr->pb->next = pr->free_list;
		pr->free_list = pr->pb;
	}
	pr->pb = NULL;
	pr->done = 1;
	pr->prod_rc = rc;
	if (rc < 0 && err)
		pr->perr = *err;
	signal_all(c);
	unlock(c);
}

static void *producer(void *arg)
{
	prod *pr = arg;
	sp_csv *c = pr->c;
	sp_err err = { 0 };
	int rc = 1;
	if (c->npr == 2) {
		/* Two producers and the consumer share two cores: the consumer must not wait behind
		 * producers that only fill their queues (they then block and a core idles), so the
		 * producers run a little nicer (Linux: per-thread nice; failure is harmless). */
		errno = 0;
		int nice = getpriority(PRIO_PROCESS, (id_t)gettid());
		if (errno == 0)
			(void)setpriority(PRIO_PROCESS, (id_t)gettid(), nice + PRODUCER_NICE);
	}
	if (pr->id == 1) {
		/* range 2: find the cut first (range 1 is already parsing) */
		long line = 1;
		uint64_t at = find_split(c, pr->fd, &line);
		lock(c);
		c->split_at = at;
		c->split_known = 1;
		signal_all(c);
		unlock(c);
		pr->off = at;
		pr->line = line;
		if (!at)
			rc = 0; /* no split: range 1 reads the whole file */
	}
	while (rc == 1 && (rc = produce_chunk(pr, &err)) == 1) {
		lock(c);
		int stop = c->stop;
		unlock(c);
		if (stop)
			break;
	}
	produce_end(pr, rc < 0 ? rc : SP_OK, &err);
	return NULL;
}

static void prod_init(sp_csv *c, int id, int fd)
{
	prod *pr = &c->pr[id];
	pr->c = c;
	pr->id = id;
	pr->fd = fd;
	pr->end = UINT64_MAX;
	pr->line = 1;
	pr->first_chunk = id == 0;
	parser_init(pr);
	pr->in = sp_xmalloc(c->chunk + 16 + PAD); /* + an incomplete sequence carried by transcode */
	if (c->cd != (iconv_t)-1) {
		pr->tx_cap = (c->chunk + 16) * 4; /* <= 3 bytes out per byte in, and PAD to spare */
		pr->tx = sp_xmalloc(pr->tx_cap + PAD);
	}
	pr->pb = batch_new();
	pr->nalloc = 1;
}

static void prod_free(prod *pr)
{
	if (!pr->c)
		return;
	csv_free(&pr->p);
	if (pr->fd >= 0)
		close(pr->fd);
	batch_free(pr->pb);
	for (batch *b = pr->full_head, *n; b; b = n) {
		n = b->next;
		batch_free(b);
	}
	for (batch *b = pr->free_list, *n; b; b = n) {
		n = b->next;
		batch_free(b);
	}
	free(pr->in);
	free(pr->tx);
	sp_buf_release(&pr->carry);
}

int sp_csv_open(const char *path, const sp_csv_opts *o, sp_csv **out, sp_err *err)
{
	sp_csv_opts def = { 0 };
	if (!o)
		o = &def;
	*out = NULL;
	sp_csv *c = sp_xcalloc(1, sizeof(*c));
	c->cd = (iconv_t)-1;
	c->delim = o->delim ? o->delim : ',';
	c->max_field = o->max_field ? o->max_field : 1024 * 1024;
	c->max_cols = o->max_cols > 0 ? o->max_cols : 512;
	const char *enc = o->encoding;
	if (enc && *enc && strcasecmp(enc, "UTF-8") && strcasecmp(enc, "UTF8")) {
		const char *name = enc;
		if (!strcasecmp(enc, "MACROMAN") || !strcasecmp(enc, "MAC") || !strcasecmp(enc, "MAC-ROMAN"))
			name = "MACINTOSH";
		else if (!strcasecmp(enc, "CP1252"))
			name = "WINDOWS-1252";
		else if (!strcasecmp(enc, "LATIN-1") || !strcasecmp(enc, "ISO-8859-1"))
			name = "LATIN1";
		c->cd = iconv_open("UTF-8", name);
		if (c->cd == (iconv_t)-1) {
			free(c);
			return sp_err_set(err, SP_ECONFIG, "unknown encoding '%s'", enc);
		}
	} else {
		c->check_utf8 = 1;
	}
	int rc = sp_stream_open(path, o->want_ext ? o->want_ext : ".csv", o->max_bytes, &c->st, err);
	if (rc < 0) {
		if (c->cd != (iconv_t)-1)
			iconv_close(c->cd);
		free(c);
		return rc;
	}
	c->popts = CSV_REPALL_NL;
	c->chunk = o->chunk ? o->chunk : CHUNK;
	const char *tok = getenv("SPARKER_CSV_TOKENIZER");
#ifdef __SSE2__
	c->fast = !o->libcsv_only && !(tok && !strcmp(tok, "libcsv")) && c->delim != ' ' && c->delim != '"' &&
		  c->delim != '\n' && c->delim != '\r';
#else
	(void)tok; /* no fast tokenizer without SSE2: libcsv parses every row */
#endif
	c->outf = sp_xcalloc((size_t)c->max_cols, sizeof(*c->outf));
	c->outl = sp_xcalloc((size_t)c->max_cols, sizeof(*c->outl));
	c->out.f = c->outf;
	c->out.len = c->outl;
	/* two ranges? (plain UTF-8 file, big enough, threaded) */
	uint64_t split_min = o->split_min;
	const char *env = getenv("SPARKER_CSV_SPLIT_MIN");
	if (!split_min && env && *env)
		split_min = strtoull(env, NULL, 10);
	if (!split_min)
		split_min = SPLIT_MIN_DEFAULT;
	int fd0 = -1, fd1 = -1;
	struct stat sb;
	if (!o->no_thread && c->cd == (iconv_t)-1 && c->delim != ' ' && c->delim != '"' && c->delim != '\n' &&
	    c->delim != '\r' && sp_stream_kind_of(c->st) == SP_KIND_PLAIN &&
	    (fd0 = open(path, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(fd0, &sb) == 0 &&
	    (uint64_t)sb.st_size >= split_min && (uint64_t)sb.st_size >= 2 * c->chunk &&
	    (fd1 = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		c->fsize = (uint64_t)sb.st_size;
		/* range 2 also scans range 1 (at a few times libcsv's speed): cut past the middle */
		c->split_target = c->fsize / 2 + c->fsize / 16;
		c->path = sp_xstrdup(path);
		c->npr = 2;
	} else {
		if (fd0 >= 0)
			close(fd0);
		fd0 = -1;
		c->npr = 1;
	}
	prod_init(c, 0, fd0);
	if (c->npr == 2)
		prod_init(c, 1, fd1);
	if (!o->no_thread) {
		pthread_mutex_init(&c->mu, NULL);
		pthread_cond_init(&c->cv, NULL);
		c->threaded = 1;
		for (int i = 0; i < c->npr; i++) {
			if (pthread_create(&c->pr[i].th, NULL, producer, &c->pr[i]) == 0) {
				c->pr[i].started = 1;
			} else if (i == 0) {
				pthread_mutex_destroy(&c->mu);
				pthread_cond_destroy(&c->cv);
				c->threaded = 0; /* run inline, one range */
				prod_free(&c->pr[1]);
				memset(&c->pr[1], 0, sizeof(c->pr[1]));
				c->npr = 1;
				break;
			} else {
				/* no second thread: range 1 reads the whole file */
				pthread_mutex_lock(&c->mu);
				c->split_known = 1;
				c->split_at = 0;
				c->pr[1].done = 1;
				pthread_cond_broadcast(&c->cv);
				pthread_mutex_unlock(&c->mu);
			}
		}
	}
	*out = c;
	return SP_OK;
}

/* Under mu: a range with a batch ready, or NULL. The header comes first (range 1). */
static prod *ready_range(sp_csv *c)
{
	if (!c->hdr_done)
		return c->pr[0].full_head ? &c->pr[0] : NULL;
	for (int k = 0; k < c->npr; k++) {
		prod *pr = &c->pr[(c->rr + k) % c->npr];
		if (pr->full_head)
			return pr;
	}
	return NULL;
}

int sp_csv_next(sp_csv *c, sp_csv_row **row, sp_err *err)
{
	for (;;) {
		if (c->cb && c->rhead < c->cb->nrows) {
			batch *b = c->cb;
			rowm *r = &b->rows[c->rhead++];
			for (int i = 0; i < r->n; i++) {
				fld *f = &b->flds[r->first + (size_t)i];
				c->outf[i] = b->arena.buf + f->off;
				c->outl[i] = f->len;
			}
			c->out.n = r->n;
			c->out.line = r->line;
			c->out.reject = r->reject;
			*row = &c->out;
			return r->reject ? SP_REJECT : SP_OK;
		}
		lock(c);
		if (c->cb) {
			c->cb->next = c->cb_owner->free_list;
			c->cb_owner->free_list = c->cb;
			c->cb = NULL;
			signal_all(c);
		}
		if (!c->threaded) {
			/* inline producer (one range): parse chunks until a batch is ready or the end */
			prod *pr = &c->pr[0];
			while (!pr->full_head && !pr->done) {
				sp_err perr = { 0 };
				int rc = produce_chunk(pr, &perr);
				if (rc <= 0)
					produce_end(pr, rc, &perr);
			}
		}
		for (;;) {
			prod *pr = ready_range(c);
			if (pr) {
				c->cb = pr->full_head;
				c->cb_owner = pr;
				pr->full_head = c->cb->next;
				if (!pr->full_head)
					pr->full_tail = NULL;
				c->rhead = 0;
				c->hdr_done = 1;
				c->rr = (pr->id + 1) % c->npr;
				break;
			}
			/* nothing ready: an error ends the stream; the end is when every range is done */
			int ndone = 0;
			for (int k = 0; k < c->npr; k++) {
				prod *q = &c->pr[k];
				if (q->done && !q->full_head && q->prod_rc < 0) {
					int rc = q->prod_rc;
					if (err)
						*err = q->perr;
					unlock(c);
					return rc;
				}
				ndone += q->done && !q->full_head;
			}
			if (!c->hdr_done && c->pr[0].done) {
				c->hdr_done = 1; /* range 1 had no rows */
				continue;
			}
			if (ndone == c->npr) {
				unlock(c);
				return SP_EOF;
			}
			pthread_cond_wait(&c->cv, &c->mu); /* only reachable when threaded */
		}
		unlock(c);
	}
}

uint64_t sp_csv_pos(const sp_csv *c)
{
	uint64_t p = 0;
	for (int i = 0; i < c->npr; i++)
		p += atomic_load(&((sp_csv *)c)->pr[i].pos);
	return p;
}

uint64_t sp_csv_size(const sp_csv *c) { return sp_stream_size(c->st); }

int sp_csv_ranges(const sp_csv *c)
{
	if (c->npr < 2)
		return 1;
	lock((sp_csv *)c);
	int n = c->split_known && c->split_at ? 2 : 1;
	unlock((sp_csv *)c);
	return n;
}

void sp_csv_close(sp_csv *c)
{
	if (!c)
		return;
	if (c->threaded) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		for (int i = 0; i < c->npr; i++)
			if (c->pr[i].started)
				pthread_join(c->pr[i].th, NULL);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
	}
	for (int i = 0; i < c->npr; i++)
		prod_free(&c->pr[i]);
	sp_stream_close(c->st);
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	batch_free(c->cb);
	free(c->outf);
	free(c->outl);
	free(c->path);
	free(c);
}

int sp_csv_col(const sp_csv_row *hdr, const char *name)
{
	size_t nl = strlen(name);
	for (int i = 0; i < hdr->n; i++) {
		const char *s = hdr->f[i];
		size_t n = hdr->len[i];
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == nl && !strncasecmp(s, name, n))
			return i;
	}
	return -1;
}

void sp_csv_excerpt(const sp_csv_row *row, char delim, sp_buf *out, size_t max)
{
	sp_buf_reset(out);
	for (int i = 0; i < row->n && out->len < max; i++) {
		if (i)
			sp_buf_addc(out, delim);
		size_t n = row->len[i];
		if (out->len + n > max)
			n = max - out->len;
		sp_buf_add(out, row->f[i], n);
	}
	if (!out->buf)
		sp_buf_adds(out, "");
	sp_utf8_sanitize(out->buf, out->len);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t k = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (!k || k > n)
		return 0;
	return sp_utf8_valid((const char *)s, k) ? k : 0;
}

void sp_utf8_sanitize(char *str, size_t n)
{
	unsigned char *s = (unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		size_t k = utf8_seq(s + i, n - i);
		if (!k) {
			s[i++] = '?';
			continue;
		}
		i += k;
	}
}

int sp_csv_opts_from_config(sp_csv_opts *o, const sp_config *cfg, const sp_source *src, sp_err *err)
{
	memset(o, 0, sizeof(*o));
	const char *d = sp_config_get(cfg, src->section, "delimiter", ",");
	if (!strcasecmp(d, "tab") || !strcmp(d, "\\t"))
		o->delim = '\t';
	else if (strlen(d) == 1)
		o->delim = d[0];
	else
		return sp_err_set(err, SP_ECONFIG, "source %s: delimiter must be one character or 'tab', not '%s'",
				  src->name, d);
	o->encoding = sp_config_get(cfg, src->section, "encoding", NULL);
	o->max_field = (size_t)sp_config_get_long(cfg, src->section, "max_field_bytes", 1024 * 1024);
	o->max_cols = (int)sp_config_get_long(cfg, src->section, "max_columns", 512);
	o->want_ext = ".csv";
	o->max_bytes = (uint64_t)sp_config_get_long(cfg, src->section, "max_unpacked_bytes", 0);
	o->no_thread = !sp_config_get_bool(cfg, src->section, "parse_thread", 1);
	return SP_OK;
}

int sp_csv_reject(const sp_csv_row *row, char delim, sp_record *rec, const char *reason)
{
	sp_record_clear(rec);
	rec->line = row->line;
	sp_buf ex = SP_BUF_INIT;
	sp_csv_excerpt(row, delim, &ex, 200);
	sp_record_reject(rec, reason, ex.buf, ex.len);
	sp_buf_release(&ex);
	return SP_REJECT;
}

void sp_csv_set(sp_record *rec, sp_field f, const sp_csv_row *row, int col, int na_empty)
{
	if (col < 0 || col >= row->n)
		return;
	const char *s = row->f[col];
	size_t n = row->len[col];
	if (na_empty && n == 2 && s[0] == 'N' && s[1] == 'A')
		return;
	sp_record_set(rec, f, s, n);
}

int sp_csv_open_source(const sp_config *cfg, const sp_source *src, const char *path, sp_csv **csv,
		       sp_csv_row **hdr, char *delim, sp_err *err)
{
	*csv = NULL;
	sp_csv_opts o;
	int rc = sp_csv_opts_from_config(&o, cfg, src, err);
	if (rc < 0)
		return rc;
	*delim = o.delim;
	if ((rc = sp_csv_open(path, &o, csv, err)) < 0)
		return rc;
	rc = sp_csv_next(*csv, hdr, err);
	if (rc < 0 || rc == SP_EOF) {
		sp_csv_close(*csv);
		*csv = NULL;
		return rc < 0 ? rc : sp_err_set(err, SP_EFORMAT, "%s: empty file (no header row)", path);
	}
	return SP_OK;
}

int sp_csv_next_record(sp_csv *c, int ncols, char delim, sp_record *rec, sp_csv_row **row, sp_err *err)
{
	sp_csv_row *r;
	int rc = sp_csv_next(c, &r, err);
	if (rc < 0 || rc == SP_EOF)
		return rc;
	if (rc == SP_REJECT)
		return sp_csv_reject(r, delim, rec, r->reject);
	if (r->n != ncols)
		return sp_csv_reject(r, delim, rec, "bad column count");
	sp_record_clear(rec);
	rec->line = r->line;
	*row = r;
	return SP_OK;
}
