/*
 * pump.h — the parse/store pipeline: a connector's rows, checked and filtered in a background
 * thread, handed in order to the parse stage, which stores them (SQLite) on the other core.
 *
 * What it does: sp_pump_start() takes an open connector (conn, p) and the source's pushdown
 * filter. A thread calls conn->next() into batches of records and, for each row, does what the
 * parse stage would do first: a row without a key is rejected "missing key", one without a name
 * "missing name", and a row the connector or the filter puts out of scope is dropped and only
 * counted. sp_pump_next() hands the remaining rows (to store, or rejected) to the caller one at
 * a time, in the connector's order.
 *
 * Invariants: every row the connector yields is either returned by sp_pump_next() (SP_OK: store
 * it; SP_REJECT: its reason and excerpt are in the record) or added to *out_of_scope; an error of
 * the connector ends the stream after every row before it. Memory is bounded by the batches in
 * flight (at most 3 of 256 records each), never by the file.
 *
 * Threads: between start and stop the connector and the filter are used only by the pump's
 * thread (connectors keep no global state; libxml2, libcsv, jansson and iconv are used per
 * instance). With threaded = 0 (the source's parse_thread = no) everything runs inline in
 * sp_pump_next().
 *
 * Ownership: the pump owns the records it returns (valid, and writable, until the next call);
 * the caller keeps conn, p and flt alive until sp_pump_stop(), which stops and joins the thread
 * and may be called at any time (e.g. when storing fails). sp_pump_stop(NULL) is a no-op.
 */
#ifndef SP_PUMP_H
#define SP_PUMP_H

#include <stdint.h>

#include "connectors/connector.h"
#include "connectors/filter.h"

typedef struct sp_pump sp_pump;

int sp_pump_start(sp_pump **out, const sp_connector *conn, sp_parser *p, const sp_filter *flt, int threaded,
		  sp_err *err);
/* SP_OK or SP_REJECT with *rec, SP_EOF, or < 0 (the connector's error, in err). Rows dropped as
 * out of scope since the last call are added to *out_of_scope. */
int sp_pump_next(sp_pump *pm, sp_record **rec, int64_t *out_of_scope, sp_err *err);
void sp_pump_stop(sp_pump *pm);

#endif
