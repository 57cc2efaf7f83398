/*
 * csv_reader.c — pull-style streaming CSV on top of libcsv. See csv_reader.h.
 *
 * Data flow: sp_stream_read() -> [iconv to UTF-8] -> BOM strip -> slices of SLICE bytes ->
 * csv_parse() -> on_field()/on_row() callbacks append to an arena of fields and a queue of rows
 * -> sp_csv_next() hands out the queue's head. The queue is refilled only when empty, and the
 * arena is compacted then (keeping a row that straddles two slices), so memory stays bounded.
 */
#include "csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive.h"

#define CHUNK (256 * 1024)
#define SLICE (64 * 1024)

typedef struct fld { size_t off, len; } fld;
typedef struct rowm { size_t first; int n; long line; const char *reject; } rowm;

struct sp_csv {
	sp_stream *st;
	struct csv_parser p;
	unsigned char popts;
	char delim;
	iconv_t cd;
	char *in;           /* raw bytes (+ carried incomplete sequence when transcoding) */
	size_t in_carry;
	char *tx;           /* transcoded bytes */
	size_t tx_cap;
	int first_chunk;
	int eof;            /* stream exhausted and csv_fini done */
	/* arena and queue */
	sp_buf arena;
	fld *flds;
	size_t nflds, fcap;
	rowm *rows;
	size_t nrows, rcap, rhead;
	/* the row being built */
	size_t cur_first;
	int cur_n;
	long cur_line;
	const char *cur_reject;
	/* physical line position */
	long line;
	int last_term;
	int skipping;       /* after an oversized field: drop input up to the next line end */
	/* limits */
	size_t max_field;
	int max_cols;
	int check_utf8;
	/* output */
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

static void parser_init(sp_csv *c)
{
	csv_init(&c->p, c->popts);
	csv_set_delim(&c->p, (unsigned char)c->delim);
	if (c->delim == '\t')
		csv_set_space_func(&c->p, is_space_tab); /* else libcsv's inline default: space, tab */
	csv_set_blk_size(&c->p, 4096);
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

static void push_field(sp_csv *c, const char *s, size_t len)
{
	if (c->nflds == c->fcap) {
		c->fcap = c->fcap ? c->fcap * 2 : 1024;
		c->flds = sp_xrealloc(c->flds, c->fcap * sizeof(*c->flds));
	}
	fld *f = &c->flds[c->nflds++];
	sp_buf *a = &c->arena;
	if (a->len + len + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 64 * 1024;
		while (cap < a->len + len + 1)
			cap *= 2;
		a->buf = sp_xrealloc(a->buf, cap);
		a->cap = cap;
	}
	f->off = a->len;
	f->len = len;
	if (len)
		memcpy(a->buf + a->len, s, len);
	a->len += len;
	a->buf[a->len++] = '\0';
}

/* One pass over a field: count its line ends (CRLF once) and, when utf8, check UTF-8. Returns 0
 * when the field is not valid UTF-8. Words of 8 plain ASCII bytes >= 0x0E are skipped at once. */
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
		} else if (ch >= 0x80 && utf8 && ok) {
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

static void on_field(void *data, size_t len, void *user)
{
	sp_csv *c = user;
	const char *s = data;
	if (c->cur_n == 0) {
		c->cur_line = c->line;
		c->cur_first = c->nflds;
		c->cur_reject = NULL;
	}
	int ok = 1;
	if (len && s)
		ok = scan_field(s, len, c->check_utf8, &c->line);
	if (c->cur_n >= c->max_cols) {
		if (!c->cur_reject)
			c->cur_reject = "too many columns";
		return;
	}
	if (len > c->max_field) {
		if (!c->cur_reject)
			c->cur_reject = "field too large";
		len = 256;
	} else if (!ok) {
		if (!c->cur_reject)
			c->cur_reject = "invalid UTF-8";
	}
	push_field(c, s, len);
	c->cur_n++;
}

static void end_row(sp_csv *c)
{
	if (c->nrows == c->rcap) {
		c->rcap = c->rcap ? c->rcap * 2 : 256;
		c->rows = sp_xrealloc(c->rows, c->rcap * sizeof(*c->rows));
	}
	rowm *r = &c->rows[c->nrows++];
	r->first = c->cur_first;
	r->n = c->cur_n;
	r->line = c->cur_line;
	r->reject = c->cur_reject;
	c->cur_n = 0;
	c->cur_reject = NULL;
	c->cur_first = c->nflds;
}

static void on_row(int term, void *user)
{
	sp_csv *c = user;
	if (c->cur_n == 0) {
		/* a bare line end outside a record (CSV_REPALL_NL) */
		if (term == '\n' && c->last_term == '\r') {
			c->last_term = 0;
			return; /* second half of CRLF */
		}
		if (term == '\n' || term == '\r')
			c->line++;
		c->last_term = term;
		return;
	}
	end_row(c);
	if (term == '\n' || term == '\r')
		c->line++;
	c->last_term = term;
}

/* An oversized field is in libcsv's buffer: reject the row, reset the parser, skip to line end. */
static void abandon_field(sp_csv *c)
{
	if (c->cur_n == 0) {
		c->cur_line = c->line;
		c->cur_first = c->nflds;
	}
	c->line += (long)count_newlines((const char *)c->p.entry_buf, c->p.entry_pos);
	if (c->cur_n < c->max_cols) {
		push_field(c, (const char *)c->p.entry_buf, c->p.entry_pos < 256 ? c->p.entry_pos : 256);
		c->cur_n++;
	}
	c->cur_reject = "field too large";
	end_row(c);
	csv_free(&c->p);
	parser_init(c);
	c->skipping = 1;
}

/* Feed bytes to libcsv in slices, watching the field-size limit. */
static void feed(sp_csv *c, const char *s, size_t n)
{
	while (n) {
		if (c->skipping) {
			size_t i = 0;
			while (i < n && s[i] != '\n' && s[i] != '\r')
				i++;
			if (i == n)
				return;
			c->skipping = 0;
			c->line++;
			c->last_term = s[i];
			s += i + 1;
			n -= i + 1;
			continue;
		}
		size_t k = n < SLICE ? n : SLICE;
		csv_parse(&c->p, s, k, on_field, on_row, c);
		s += k;
		n -= k;
		if (c->p.entry_pos > c->max_field)
			abandon_field(c);
	}
}

static int transcode(sp_csv *c, size_t n, const char **out, size_t *outn, sp_err *err)
{
	char *ip = c->in;
	size_t il = n;
	char *op = c->tx;
	size_t ol = c->tx_cap;
	while (il) {
		size_t r = iconv(c->cd, &ip, &il, &op, &ol);
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
	memmove(c->in, ip, il);
	c->in_carry = il;
	*out = c->tx;
	*outn = (size_t)(op - c->tx);
	return SP_OK;
}

static void compact(sp_csv *c)
{
	c->nrows = c->rhead = 0;
	if (c->cur_n > 0) {
		size_t base = c->flds[c->cur_first].off;
		memmove(c->arena.buf, c->arena.buf + base, c->arena.len - base);
		c->arena.len -= base;
		for (int i = 0; i < c->cur_n; i++) {
			c->flds[i] = c->flds[c->cur_first + (size_t)i];
			c->flds[i].off -= base;
		}
		c->nflds = (size_t)c->cur_n;
	} else {
		c->arena.len = 0;
		c->nflds = 0;
	}
	c->cur_first = 0;
}

static int fill(sp_csv *c, sp_err *err)
{
	while (c->rhead == c->nrows && !c->eof) {
		compact(c);
		ssize_t n = sp_stream_read(c->st, c->in + c->in_carry, CHUNK, err);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			if (c->in_carry && c->cd != (iconv_t)-1) {
				/* a truncated multi-byte sequence at the end */
				const char *rep = "\xEF\xBF\xBD";
				feed(c, rep, 3);
			}
			if (!c->skipping)
				csv_fini(&c->p, on_field, on_row, c);
			else if (c->cur_n)
				end_row(c);
			c->eof = 1;
			break;
		}
		const char *d = c->in;
		size_t dn = c->in_carry + (size_t)n;
		if (c->cd != (iconv_t)-1) {
			int rc = transcode(c, dn, &d, &dn, err);
			if (rc < 0)
				return rc;
		}
		if (c->first_chunk) {
			c->first_chunk = 0;
			if (dn >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3)) {
				d += 3;
				dn -= 3;
			}
		}
		feed(c, d, dn);
	}
	return SP_OK;
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
	c->line = 1;
	c->first_chunk = 1;
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
	parser_init(c);
	c->in = sp_xmalloc(CHUNK + 16);
	if (c->cd != (iconv_t)-1) {
		c->tx_cap = (CHUNK + 16) * 4;
		c->tx = sp_xmalloc(c->tx_cap);
	}
	c->outf = sp_xcalloc((size_t)c->max_cols, sizeof(*c->outf));
	c->outl = sp_xcalloc((size_t)c->max_cols, sizeof(*c->outl));
	c->out.f = c->outf;
	c->out.len = c->outl;
	*out = c;
	return SP_OK;
}

int sp_csv_next(sp_csv *c, sp_csv_row **row, sp_err *err)
{
	int rc = fill(c, err);
	if (rc < 0)
		return rc;
	if (c->rhead == c->nrows)
		return SP_EOF;
	rowm *r = &c->rows[c->rhead++];
	for (int i = 0; i < r->n; i++) {
		fld *f = &c->flds[r->first + (size_t)i];
		c->outf[i] = c->arena.buf + f->off;
		c->outl[i] = f->len;
	}
	c->out.n = r->n;
	c->out.line = r->line;
	c->out.reject = r->reject;
	*row = &c->out;
	return r->reject ? SP_REJECT : SP_OK;
}

uint64_t sp_csv_pos(const sp_csv *c) { return sp_stream_pos(c->st); }
uint64_t sp_csv_size(const sp_csv *c) { return sp_stream_size(c->st); }

void sp_csv_close(sp_csv *c)
{
	if (!c)
		return;
	csv_free(&c->p);
	sp_stream_close(c->st);
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	sp_buf_release(&c->arena);
	free(c->flds);
	free(c->rows);
	free(c->in);
	free(c->tx);
	free(c->outf);
	free(c->outl);
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
