/*
 * csv_reader.c — pull-style streaming CSV on top of libcsv: the reader's API, its producers and
 * the consumer's queue. See csv_reader.h for the contract; csv_reader_int.h for the structures
 * shared with csv_tokenizer.c (bytes -> rows) and csv_split.c (two ranges).
 *
 * What it does: a producer (a background thread, so reading and tokenizing run on one core while
 * the parse stage fills records and SQLite on the other) reads a chunk (sp_stream_read, or pread
 * on its range) -> [iconv to UTF-8] -> BOM strip -> sp_csvtok_feed() into its current batch, then
 * hands the batch over (handoff) when it has complete rows. The consumer (sp_csv_next) takes
 * batches from the queues and hands out their rows one at a time. With opts.no_thread the
 * producer runs inline in sp_csv_next().
 *
 * Two ranges (see csv_split.c): the consumer hands out the header (the first row of range 1)
 * first, then batches from whichever range has one ready, so rows of the two halves interleave:
 * callers must not depend on row order beyond the header (parse.c resolves duplicate keys by line
 * number). The two producer threads run at nice +PRODUCER_NICE so that the consumer, the third
 * thread on two cores, gets a core as soon as a batch is ready.
 *
 * Invariants: at most NBATCH batches per producer (a producer waits for a free one), so memory is
 * bounded whatever the file size; the reader's functions are called from one thread.
 * Ownership: the reader owns its producers, batches and the row handed out (valid until the next
 * sp_csv_next or sp_csv_close); sp_csv_close stops and joins the threads before freeing.
 * Failure: errors of a producer (I/O, transcoding) end the stream: the consumer gets rows read so
 * far, then the error code and message.
 */
#include "connectors/csv_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "connectors/csv_reader_int.h"

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

/* Producer: hand the current batch (it has complete rows) to the consumer; the row being built
 * moves to a fresh batch. Returns 0, or -1 when the consumer has closed the reader. */
static int handoff(prod *pr)
{
	sp_csv *c = pr->c;
	csv_lock(c);
	while (!pr->free_list && pr->nalloc >= NBATCH && !c->stop)
		pthread_cond_wait(&c->cv, &c->mu); /* only reachable when threaded */
	if (c->stop) {
		csv_unlock(c);
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
	csv_unlock(c);
	batch_reset(nb);
	batch *pb = pr->pb;
	for (int i = 0; i < pr->cur_n; i++) {
		fld *f = &pb->flds[pr->cur_first + (size_t)i];
		sp_csvtok_push_field(nb, pb->arena.buf + f->off, f->len);
	}
	pr->cur_first = 0;
	pb->next = NULL;
	csv_lock(c);
	if (pr->full_tail)
		pr->full_tail->next = pb;
	else
		pr->full_head = pb;
	pr->full_tail = pb;
	csv_signal_all(c);
	csv_unlock(c);
	pr->pb = nb;
	return 0;
}

static int read_input(prod *pr, sp_err *err)
{
	sp_csv *c = pr->c;
	if (pr->fd < 0)
		return (int)sp_stream_read(c->st, pr->in + pr->in_carry, c->chunk, err);
	sp_csvsplit_await(pr);
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
	if (n == 0) {
		static const char fffd[3 + PAD] = "\xEF\xBF\xBD";
		if (pr->in_carry && c->cd != (iconv_t)-1)
			sp_csvtok_feed(pr, fffd, 3); /* a truncated multi-byte sequence at the end */
		sp_csvtok_finish(pr);
		return 0;
	}
	const char *d = pr->in;
	size_t dn = pr->in_carry + (size_t)n;
	if (c->cd != (iconv_t)-1) {
		int rc = transcode(pr, dn, &d, &dn, err);
		if (rc < 0)
			return rc;
	}
	memset((char *)d + dn, 0, PAD); /* the tokenizer's padding (pr->in and pr->tx have room for it) */
	if (pr->first_chunk) {
		pr->first_chunk = 0;
		if (dn >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3)) {
			d += 3;
			dn -= 3;
		}
	}
	sp_csvtok_feed(pr, d, dn);
	if (pr->pb->nrows && handoff(pr) < 0)
		return 0;
	return 1;
}

/* Producer finished (end, error or stop): publish the last rows and the outcome. */
static void produce_end(prod *pr, int rc, const sp_err *err)
{
	sp_csv *c = pr->c;
	csv_lock(c);
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
	csv_signal_all(c);
	csv_unlock(c);
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
	if (pr->id == 1 && !sp_csvsplit_cut(pr))
		rc = 0; /* range 2 finds the cut first (range 1 is already parsing); none: range 1 reads the whole file */
	while (rc == 1 && (rc = produce_chunk(pr, &err)) == 1) {
		csv_lock(c);
		int stop = c->stop;
		csv_unlock(c);
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
	sp_csvtok_init(pr);
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

/* The iconv name of an encoding as a config writes it; NULL for UTF-8 (no transcoding). */
static const char *encoding_name(const char *enc)
{
	if (!enc || !*enc || !strcasecmp(enc, "UTF-8") || !strcasecmp(enc, "UTF8") || !strcasecmp(enc, "auto"))
		return NULL; /* "auto": sp_csv_open detects it (csv_detect.c) */
	if (!strcasecmp(enc, "MACROMAN") || !strcasecmp(enc, "MAC") || !strcasecmp(enc, "MAC-ROMAN"))
		return "MACINTOSH";
	if (!strcasecmp(enc, "CP1252"))
		return "WINDOWS-1252";
	if (!strcasecmp(enc, "LATIN-1") || !strcasecmp(enc, "ISO-8859-1"))
		return "LATIN1";
	return enc;
}

int sp_csv_encoding_check(const char *enc, sp_err *err)
{
	const char *name = encoding_name(enc);
	if (!name)
		return SP_OK;
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return sp_err_set(err, SP_ECONFIG, "'%s' is not an encoding iconv knows (UTF-8, LATIN1, WINDOWS-1252, "
				  "MACINTOSH...)", enc);
	iconv_close(cd);
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
	const char *enc = o->encoding;
	if (!enc || !*enc || !strcasecmp(enc, "auto")) { /* not said: UTF-8, Windows-1252 or Mac Roman? */
		const char *shown;
		int rc = sp_csvdetect_file(path, o, &enc, &shown, err);
		if (rc < 0) {
			free(c);
			return rc;
		}
		if (enc)
			snprintf(c->note, sizeof(c->note), "file is not UTF-8; read as %s", shown);
	}
	const char *name = encoding_name(enc);
	if (name) {
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
	int fd0, fd1;
	sp_csvsplit_plan(c, o, path, &fd0, &fd1); /* two ranges? (plain UTF-8 file, big enough, threaded) */
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
		csv_lock(c);
		if (c->cb) {
			c->cb->next = c->cb_owner->free_list;
			c->cb_owner->free_list = c->cb;
			c->cb = NULL;
			csv_signal_all(c);
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
					csv_unlock(c);
					return rc;
				}
				ndone += q->done && !q->full_head;
			}
			if (!c->hdr_done && c->pr[0].done) {
				c->hdr_done = 1; /* range 1 had no rows */
				continue;
			}
			if (ndone == c->npr) {
				csv_unlock(c);
				return SP_EOF;
			}
			pthread_cond_wait(&c->cv, &c->mu); /* only reachable when threaded */
		}
		csv_unlock(c);
	}
}

const char *sp_csv_note(const sp_csv *c)
{
	return c && c->note[0] ? c->note : NULL;
}

int sp_csv_ranges(const sp_csv *c)
{
	if (c->npr < 2)
		return 1;
	csv_lock((sp_csv *)c);
	int n = c->split_known && c->split_at ? 2 : 1;
	csv_unlock((sp_csv *)c);
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
