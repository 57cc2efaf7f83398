/*
 * csv_reader.c — pull-style streaming CSV on top of libcsv. See csv_reader.h.
 *
 * Data flow: a producer (a background thread, so reading and csv_parse run on one core while the
 * parse stage fills records and SQLite on the other) does sp_stream_read() -> [iconv to UTF-8]
 * -> BOM strip -> slices of SLICE bytes -> csv_parse() -> on_field()/on_row() callbacks, which
 * append fields and rows to the producer's current batch (one arena of fields + a row index).
 * After each CHUNK read, a batch with complete rows is handed to the consumer (sp_csv_next) over
 * a small queue; a row still being built moves to the next batch. At most NBATCH batches exist,
 * so memory is bounded (about NBATCH x (CHUNK + max_field)) whatever the file size; the producer
 * waits when all are in use. With opts.no_thread the producer runs inline in sp_csv_next().
 *
 * Errors of the producer (I/O, transcoding) end the stream: the consumer gets the rows read so
 * far, then the error code and message.
 */
#include "csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive.h"

#define CHUNK (256 * 1024)
#define SLICE (64 * 1024)
#define NBATCH 4

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

struct sp_csv {
	/* producer side */
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
	batch *pb;          /* the batch being filled */
	size_t cur_first;   /* the row being built: its first field in pb, count, line, reason */
	int cur_n;
	long cur_line;
	const char *cur_reject;
	long line;          /* physical line position */
	int last_term;
	int skipping;       /* after an oversized field: drop input up to the next line end */
	size_t max_field;
	int max_cols;
	int check_utf8;
	_Atomic uint64_t pos;
	/* shared, under mu */
	int threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	batch *full_head, *full_tail, *free_list;
	int nalloc;
	int done, stop;
	int prod_rc;
	sp_err perr;
	/* consumer side */
	batch *cb;
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

static void push_field(batch *b, const char *s, size_t len)
{
	if (b->nflds == b->fcap) {
		b->fcap = b->fcap ? b->fcap * 2 : 4096;
		b->flds = sp_xrealloc(b->flds, b->fcap * sizeof(*b->flds));
	}
	fld *f = &b->flds[b->nflds++];
	sp_buf *a = &b->arena;
	if (a->len + len + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 2 * CHUNK;
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
		c->cur_first = c->pb->nflds;
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
	push_field(c->pb, s, len);
	c->cur_n++;
}

static void end_row(sp_csv *c)
{
	batch *b = c->pb;
	if (b->nrows == b->rcap) {
		b->rcap = b->rcap ? b->rcap * 2 : 1024;
		b->rows = sp_xrealloc(b->rows, b->rcap * sizeof(*b->rows));
	}
	rowm *r = &b->rows[b->nrows++];
	r->first = c->cur_first;
	r->n = c->cur_n;
	r->line = c->cur_line;
	r->reject = c->cur_reject;
	c->cur_n = 0;
	c->cur_reject = NULL;
	c->cur_first = b->nflds;
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
		c->cur_first = c->pb->nflds;
	}
	c->line += (long)count_newlines((const char *)c->p.entry_buf, c->p.entry_pos);
	if (c->cur_n < c->max_cols) {
		push_field(c->pb, (const char *)c->p.entry_buf, c->p.entry_pos < 256 ? c->p.entry_pos : 256);
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
static int handoff(sp_csv *c)
{
	lock(c);
	while (!c->free_list && c->nalloc >= NBATCH && !c->stop)
		pthread_cond_wait(&c->cv, &c->mu); /* only reachable when threaded */
	if (c->stop) {
		unlock(c);
		return -1;
	}
	batch *nb;
	if (c->free_list) {
		nb = c->free_list;
		c->free_list = nb->next;
	} else {
		nb = batch_new();
		c->nalloc++;
	}
	unlock(c);
	batch_reset(nb);
	batch *pb = c->pb;
	for (int i = 0; i < c->cur_n; i++) {
		fld *f = &pb->flds[c->cur_first + (size_t)i];
		push_field(nb, pb->arena.buf + f->off, f->len);
	}
	c->cur_first = 0;
	pb->next = NULL;
	lock(c);
	if (c->full_tail)
		c->full_tail->next = pb;
	else
		c->full_head = pb;
	c->full_tail = pb;
	signal_all(c);
	unlock(c);
	c->pb = nb;
	return 0;
}

static int transcode(sp_csv *c, size_t n, const char **out, size_t *outn, sp_err *err);

/* Producer: read and parse one chunk. Returns 1 = more to come, 0 = finished, < 0 error. */
static int produce_chunk(sp_csv *c, sp_err *err)
{
	ssize_t n = sp_stream_read(c->st, c->in + c->in_carry, CHUNK, err);
	if (n < 0)
		return (int)n;
	atomic_store(&c->pos, sp_stream_pos(c->st));
	if (n == 0) {
		if (c->in_carry && c->cd != (iconv_t)-1)
			feed(c, "\xEF\xBF\xBD", 3); /* a truncated multi-byte sequence at the end */
		if (!c->skipping)
			csv_fini(&c->p, on_field, on_row, c);
		else if (c->cur_n)
			end_row(c);
		return 0;
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
	if (c->pb->nrows && handoff(c) < 0)
		return 0;
	return 1;
}

/* Producer finished (end, error or stop): publish the last rows and the outcome. */
static void produce_end(sp_csv *c, int rc, const sp_err *err)
{
	lock(c);
	if (c->pb && c->pb->nrows) {
		c->pb->next = NULL;
		if (c->full_tail)
			c->full_tail->next = c->pb;
		else
			c->full_head = c->pb;
		c->full_tail = c->pb;
	} else if (c->pb) {
		c->pb->next = c->free_list;
		c->free_list = c->pb;
	}
	c->pb = NULL;
	c->done = 1;
	c->prod_rc = rc;
	if (rc < 0 && err)
		c->perr = *err;
	signal_all(c);
	unlock(c);
}

static void *producer(void *arg)
{
	sp_csv *c = arg;
	sp_err err = { 0 };
	int rc;
	while ((rc = produce_chunk(c, &err)) == 1) {
		lock(c);
		int stop = c->stop;
		unlock(c);
		if (stop)
			break;
	}
	produce_end(c, rc < 0 ? rc : SP_OK, &err);
	return NULL;
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
	c->pb = batch_new();
	c->nalloc = 1;
	if (!o->no_thread) {
		pthread_mutex_init(&c->mu, NULL);
		pthread_cond_init(&c->cv, NULL);
		c->threaded = 1;
		if (pthread_create(&c->th, NULL, producer, c) != 0) {
			pthread_mutex_destroy(&c->mu);
			pthread_cond_destroy(&c->cv);
			c->threaded = 0; /* run inline */
		}
	}
	*out = c;
	return SP_OK;
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
			c->cb->next = c->free_list;
			c->free_list = c->cb;
			c->cb = NULL;
			signal_all(c);
		}
		if (!c->threaded) {
			/* inline producer: parse chunks until a batch is ready or the end */
			while (!c->full_head && !c->done) {
				sp_err perr = { 0 };
				int rc = produce_chunk(c, &perr);
				if (rc <= 0)
					produce_end(c, rc, &perr);
			}
		}
		while (!c->full_head && !c->done)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->full_head) {
			c->cb = c->full_head;
			c->full_head = c->cb->next;
			if (!c->full_head)
				c->full_tail = NULL;
			c->rhead = 0;
			unlock(c);
			continue;
		}
		int rc = c->prod_rc;
		if (rc < 0 && err)
			*err = c->perr;
		unlock(c);
		return rc < 0 ? rc : SP_EOF;
	}
}

uint64_t sp_csv_pos(const sp_csv *c) { return atomic_load(&((sp_csv *)c)->pos); }
uint64_t sp_csv_size(const sp_csv *c) { return sp_stream_size(c->st); }

void sp_csv_close(sp_csv *c)
{
	if (!c)
		return;
	if (c->threaded) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->th, NULL);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
	}
	csv_free(&c->p);
	sp_stream_close(c->st);
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	batch_free(c->pb);
	batch_free(c->cb);
	for (batch *b = c->full_head, *n; b; b = n) {
		n = b->next;
		batch_free(b);
	}
	for (batch *b = c->free_list, *n; b; b = n) {
		n = b->next;
		batch_free(b);
	}
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
	o->max_bytes = (uint64_t)sp_config_get_long(cfg, src->section, "max_unpacked_bytes", 0);
	const char *th = sp_config_get(cfg, src->section, "parse_thread", "yes");
	o->no_thread = !strcasecmp(th, "no") || !strcmp(th, "0") || !strcasecmp(th, "false");
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
