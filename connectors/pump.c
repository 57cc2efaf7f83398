/*
 * pump.c — the parse/store pipeline. See pump.h.
 *
 * A producer (the pump's thread, or sp_pump_next() itself when not threaded) fills one batch at
 * a time with fill_batch(): rows to return stay in the batch, dropped rows only add to its
 * out_of_scope count; a full batch, or the last one (end set), is queued. The consumer takes
 * queued batches in order, returns their records, and gives a drained batch back to the free
 * list. At most NBATCH batches exist; the producer waits when all are in use. The last batch
 * always reaches the queue (even after an error), so the consumer never waits for nothing.
 */
#include "connectors/pump.h"

#include <pthread.h>
#include <stdlib.h>

#define BATCH 256
#define NBATCH 3

typedef struct pbatch {
	sp_record rec[BATCH];
	int rc[BATCH];      /* SP_OK or SP_REJECT */
	int n;
	int64_t out_of_scope;
	int end;            /* the stream ends after this batch, with end_rc (SP_EOF or < 0) */
	int end_rc;
	sp_err err;
	struct pbatch *next;
} pbatch;

struct sp_pump {
	const sp_connector *conn;
	sp_parser *p;
	const sp_filter *flt;
	int threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pbatch *full_head, *full_tail, *free_list; /* under mu when threaded */
	int nalloc;
	int stop;
	pbatch *cur;        /* consumer: the batch being handed out, and the next record in it */
	int pos;
};

static pbatch *batch_new(void)
{
	pbatch *b = sp_xcalloc(1, sizeof(*b));
	for (int i = 0; i < BATCH; i++)
		sp_record_init(&b->rec[i]);
	return b;
}

static void batch_free(pbatch *b)
{
	if (!b)
		return;
	for (int i = 0; i < BATCH; i++)
		sp_record_release(&b->rec[i]);
	free(b);
}

/* Rows from the connector into b until it is full or the stream ends; what the parse stage
 * checks first (key, name, scope) is done here. */
static void fill_batch(sp_pump *pm, pbatch *b)
{
	b->n = 0;
	b->out_of_scope = 0;
	b->end = 0;
	b->next = NULL;
	while (b->n < BATCH) {
		sp_record *r = &b->rec[b->n];
		int rc = pm->conn->next(pm->p, r, &b->err);
		if (rc == SP_EOF || rc < 0) {
			b->end = 1;
			b->end_rc = rc;
			return;
		}
		if (rc == SP_OK && !r->f[SP_F_KEY].len)
			rc = sp_record_reject(r, "missing key", r->f[SP_F_NAME].buf, r->f[SP_F_NAME].len);
		else if (rc == SP_OK && !r->f[SP_F_NAME].len)
			rc = sp_record_reject(r, "missing name", r->f[SP_F_KEY].buf, r->f[SP_F_KEY].len);
		if (rc == SP_OK && (!r->in_scope || !sp_filter_keep(pm->flt, r))) {
			b->out_of_scope++;
			continue; /* the slot is reused for the next row */
		}
		b->rc[b->n++] = rc;
	}
}

/* A batch to fill: a free one, a new one while fewer than NBATCH exist, else NULL. Under mu. */
static pbatch *take_free(sp_pump *pm)
{
	pbatch *b = pm->free_list;
	if (b) {
		pm->free_list = b->next;
	} else if (pm->nalloc < NBATCH) {
		b = batch_new();
		pm->nalloc++;
	}
	return b;
}

static void *producer(void *arg)
{
	sp_pump *pm = arg;
	for (;;) {
		pthread_mutex_lock(&pm->mu);
		pbatch *b;
		while (!(b = take_free(pm)) && !pm->stop)
			pthread_cond_wait(&pm->cv, &pm->mu);
		int stop = pm->stop;
		pthread_mutex_unlock(&pm->mu);
		if (stop) {
			if (b) {
				pthread_mutex_lock(&pm->mu);
				b->next = pm->free_list;
				pm->free_list = b;
				pthread_mutex_unlock(&pm->mu);
			}
			return NULL;
		}
		fill_batch(pm, b);
		pthread_mutex_lock(&pm->mu);
		if (pm->full_tail)
			pm->full_tail->next = b;
		else
			pm->full_head = b;
		pm->full_tail = b;
		pthread_cond_broadcast(&pm->cv);
		pthread_mutex_unlock(&pm->mu);
		if (b->end)
			return NULL;
	}
}

int sp_pump_start(sp_pump **out, const sp_connector *conn, sp_parser *p, const sp_filter *flt, int threaded,
		  sp_err *err)
{
	(void)err;
	sp_pump *pm = sp_xcalloc(1, sizeof(*pm));
	pm->conn = conn;
	pm->p = p;
	pm->flt = flt;
	if (threaded) {
		pthread_mutex_init(&pm->mu, NULL);
		pthread_cond_init(&pm->cv, NULL);
		if (pthread_create(&pm->th, NULL, producer, pm) == 0) {
			pm->threaded = 1;
		} else {
			pthread_mutex_destroy(&pm->mu);
			pthread_cond_destroy(&pm->cv); /* no thread: run inline */
		}
	}
	*out = pm;
	return SP_OK;
}

/* The next queued batch (waiting for the producer), or in inline mode a freshly filled one. */
static pbatch *next_batch(sp_pump *pm)
{
	if (!pm->threaded) {
		pbatch *b = take_free(pm);
		fill_batch(pm, b);
		return b;
	}
	pthread_mutex_lock(&pm->mu);
	while (!pm->full_head)
		pthread_cond_wait(&pm->cv, &pm->mu);
	pbatch *b = pm->full_head;
	pm->full_head = b->next;
	if (!pm->full_head)
		pm->full_tail = NULL;
	pthread_mutex_unlock(&pm->mu);
	return b;
}

static void give_back(sp_pump *pm, pbatch *b)
{
	if (pm->threaded)
		pthread_mutex_lock(&pm->mu);
	b->next = pm->free_list;
	pm->free_list = b;
	if (pm->threaded) {
		pthread_cond_broadcast(&pm->cv);
		pthread_mutex_unlock(&pm->mu);
	}
}

int sp_pump_next(sp_pump *pm, sp_record **rec, int64_t *out_of_scope, sp_err *err)
{
	for (;;) {
		pbatch *b = pm->cur;
		if (b && pm->pos < b->n) {
			*rec = &b->rec[pm->pos];
			return b->rc[pm->pos++];
		}
		if (b && b->end) { /* every row was handed out: the end, as often as asked */
			if (b->end_rc < 0 && err)
				*err = b->err;
			return b->end_rc;
		}
		if (b)
			give_back(pm, b);
		pm->cur = b = next_batch(pm);
		pm->pos = 0;
		*out_of_scope += b->out_of_scope;
	}
}

static void free_list(pbatch *b)
{
	while (b) {
		pbatch *n = b->next;
		batch_free(b);
		b = n;
	}
}

void sp_pump_stop(sp_pump *pm)
{
	if (!pm)
		return;
	if (pm->threaded) {
		pthread_mutex_lock(&pm->mu);
		pm->stop = 1;
		pthread_cond_broadcast(&pm->cv);
		pthread_mutex_unlock(&pm->mu);
		pthread_join(pm->th, NULL);
		pthread_mutex_destroy(&pm->mu);
		pthread_cond_destroy(&pm->cv);
	}
	batch_free(pm->cur);
	free_list(pm->full_head);
	free_list(pm->free_list);
	free(pm);
}
