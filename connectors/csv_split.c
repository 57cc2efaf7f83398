/*
 * csv_split.c — the CSV reader's two ranges: a big plain file parsed by two producer threads.
 * Private to the reader (csv_reader_int.h).
 *
 * What it does: tokenizing is the critical path of the parse stage, so a plain (not zip/gzip),
 * UTF-8 file of at least split_min bytes, read with a background thread, is cut in two byte ranges
 * parsed by two producers, each with its own libcsv parser and batch queue (sp_csvsplit_plan at
 * open). The cut is a line end where libcsv starts a fresh row: range 2's producer finds it with
 * find_split() (sp_csvsplit_cut), a scan that follows libcsv's quoting state machine from the
 * start of the file to a little past the middle (64 bytes at a time with SSE2 while the file
 * follows the plain quoting rules, else byte by byte with memchr over quoted text; both several
 * times faster than csv_parse), and counts the line ends before it (the first line number of
 * range 2). Range 1 starts parsing at once and only waits (sp_csvsplit_await) if it reaches the
 * search start before the cut is known.
 *
 * Invariants: the cut is always just past a '\n' between rows as the reader would see them, so
 * the two ranges give exactly the rows of one range. No split (split_at = 0, range 1 reads the
 * whole file) when the scan meets a field longer than max_field (the reader's skip-to-line-end
 * recovery could then disagree with the scan), finds no line end to cut at, or cannot read.
 *
 * Ownership: the two descriptors opened by sp_csvsplit_plan belong to the producers (closed by
 * prod_free). c->split_known and c->split_at are written once, under c->mu.
 * Failure: none is reported; a failed open or read means one range.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connectors/csv_reader_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * The cut between the two ranges: the offset just past a '\n' at or after target where libcsv
 * (as configured by sp_csvtok_init) is between rows, found by following its state machine from the
 * start of the file (quoted text is skipped with memchr). *line = the reader's line number there
 * (1 + line ends before it, CRLF as one; "\r  \n" between rows is one line end for the reader, as
 * the tokenizer's on_row merges a bare LF after a CR). Returns 0 (no split) when a field is longer
 * than max_field, no such line end exists, stop was set, or on a read error.
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

void sp_csvsplit_plan(sp_csv *c, const sp_csv_opts *o, const char *path, int *fd0, int *fd1)
{
	uint64_t split_min = o->split_min;
	const char *env = getenv("SPARKER_CSV_SPLIT_MIN");
	if (!split_min && env && *env)
		split_min = strtoull(env, NULL, 10);
	if (!split_min)
		split_min = SPLIT_MIN_DEFAULT;
	*fd0 = *fd1 = -1;
	struct stat sb;
	if (!o->no_thread && c->cd == (iconv_t)-1 && c->delim != ' ' && c->delim != '"' && c->delim != '\n' &&
	    c->delim != '\r' && sp_stream_kind_of(c->st) == SP_KIND_PLAIN &&
	    (*fd0 = open(path, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(*fd0, &sb) == 0 &&
	    (uint64_t)sb.st_size >= split_min && (uint64_t)sb.st_size >= 2 * c->chunk &&
	    (*fd1 = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		c->fsize = (uint64_t)sb.st_size;
		/* range 2 also scans range 1 (at a few times libcsv's speed): cut past the middle */
		c->split_target = c->fsize / 2 + c->fsize / 16;
		c->path = sp_xstrdup(path);
		c->npr = 2;
	} else {
		if (*fd0 >= 0)
			close(*fd0);
		*fd0 = -1;
		c->npr = 1;
	}
}

uint64_t sp_csvsplit_cut(prod *pr)
{
	sp_csv *c = pr->c;
	long line = 1;
	uint64_t at = find_split(c, pr->fd, &line);
	csv_lock(c);
	c->split_at = at;
	c->split_known = 1;
	csv_signal_all(c);
	csv_unlock(c);
	pr->off = at;
	pr->line = line;
	return at;
}

void sp_csvsplit_await(prod *pr)
{
	sp_csv *c = pr->c;
	if (pr->id == 0 && pr->end == UINT64_MAX && c->npr == 2) {
		/* range 1: may read up to the search start; past it, the end must be known */
		csv_lock(c);
		while (!c->split_known && pr->off + c->chunk > c->split_target && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->split_known && c->split_at)
			pr->end = c->split_at;
		csv_unlock(c);
	}
}
