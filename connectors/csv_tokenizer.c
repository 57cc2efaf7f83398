/*
 * csv_tokenizer.c — the CSV reader's hot path: decoded bytes -> fields and rows in a batch.
 * Private to the reader (csv_reader_int.h); also the UTF-8 checks of csv_reader.h.
 *
 * What it does: sp_csvtok_feed() hands ordinary rows to fast_rows(), our own tokenizer (16 bytes
 * at a time, SSE2), and any other row whole to libcsv (csv_parse in slices of SLICE bytes ->
 * on_field()/on_row()). Both append fields and rows to the producer's current batch through
 * keep_field()/on_row(), so line numbers and rejects are booked the same way; that both split
 * the same fields is what tests/unit/test_csv_reader.c and the fuzz target csv_diff check.
 * A row cut by the end of a read waits in pr->carry (at most CARRY_MAX + CARRY_STEP bytes, else
 * libcsv takes it) and is finished with the next read.
 * Why our own tokenizer beside libcsv: libcsv's byte-at-a-time state machine plus one callback
 * per field is the critical path of the parse stage; fast_rows() takes only the rows whose
 * meaning is plain, and libcsv stays the reference for everything else.
 *
 * Invariants: every function called per field or per row is static in this file (so the
 * compiler can inline them into fast_rows and the libcsv callbacks); the other files call in
 * only once per read. A batch's arena always has PAD bytes of room past what fast_rows scans
 * (it copies 16 bytes at a time). A field over max_field is abandoned (the row rejected, input
 * skipped to the next line end), so memory per row stays bounded.
 *
 * Ownership: works on the producer it is given (pr->pb, pr->carry, pr->p) and nothing shared;
 * never takes c->mu. Failure: none (rejects are booked on the row; allocation failure aborts).
 */
#include <stdlib.h>
#include <string.h>

#include "connectors/csv_reader_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

void sp_csvtok_init(prod *pr)
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
void sp_csvtok_push_field(batch *b, const char *s, size_t len)
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
		sp_csvtok_push_field(pr->pb, (const char *)pr->p.entry_buf, pr->p.entry_pos < 256 ? pr->p.entry_pos : 256);
		pr->cur_n++;
	}
	pr->cur_reject = "field too large";
	end_row(pr);
	csv_free(&pr->p);
	sp_csvtok_init(pr);
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

/* libcsv's "space" (skipped before a field, trimmed after an unquoted one), see sp_csvtok_init. */
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
 * What it emits is what libcsv's callbacks would (sp_csvtok_init's options: CSV_REPALL_NL, quote '"',
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

/* Hand the carried row to libcsv (not ordinary, too long, or the input ended). */
static void carry_to_libcsv(prod *pr)
{
	sp_buf row = pr->carry;
	sp_buf_init(&pr->carry);
	pr->in_row = 1;
	sp_csvtok_feed(pr, row.buf, row.len);
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
void sp_csvtok_feed(prod *pr, const char *s, size_t n)
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

void sp_csvtok_finish(prod *pr)
{
	if (pr->carry.len)
		carry_to_libcsv(pr); /* a last row without a line end: csv_fini ends it */
	if (!pr->skipping)
		csv_fini(&pr->p, on_field, on_row, pr);
	else if (pr->cur_n)
		end_row(pr);
}

/* ---- UTF-8 (csv_reader.h) ------------------------------------------------------------------ */

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
