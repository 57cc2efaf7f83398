/*
 * gate.h — the quality gates a snapshot must pass before the parse stage applies it, and the
 * snapshots they hold back.
 *
 * What it does: reads a source's limits (sp_gate_limits_read: each key from [source NAME], else
 * from [sparker], else its default), says which gate a parsed snapshot fails (sp_gate_check,
 * sp_gate_check_age: pure), measures how old a source's last good snapshot is (sp_gate_age), and
 * keeps each source's held snapshot in the table gate_hold (sp_gate_hold_put/get/clear), written
 * only by the parse stage (connectors/parse.c), read by `status` and `accept`.
 *
 * The gates, checked in this order (the first that fails is the one reported):
 *   max_age_days   (default 0 = off) days from the run's as-of date back to the as-of date of the
 *                  last run whose fetch of the source succeeded (new, unchanged or not modified):
 *                  logical dates, so backfills and tests measure the same way. Checked before
 *                  parsing.
 *   min_rows       (default 0 = off) the snapshot has fewer data rows than this.
 *   max_reject_pct (default 5) rejected rows / rows read, in %.
 *   max_gone_pct   (default 20; mode = snapshot only) live records of the source the snapshot
 *                  lacks (they would be marked gone) / live records before it, in %.
 *   no_valid_rows  (always on) every row was rejected; or, in snapshot mode, a snapshot has no
 *                  data rows (0 records: it would mark every live record gone, and on a first load
 *                  it would show an empty registry as ok). An empty append feed is no failure.
 * A limit is passed when the measure is not greater than it (not smaller, for min_rows), so a
 * percentage limit of 100 turns that gate off. "unreadable" is not a limit: it names a snapshot
 * the connector could not read (a garbage file), held in the same way.
 *
 * Invariants: a snapshot that fails a gate is kept in the raw store and not applied (parse.c rolls
 * back: no record changes, nothing is marked gone, source_state.parsed_fetch stays); one hold per
 * source, the latest; a hold goes when a snapshot at least as new as the held one is applied.
 * `sparker accept SOURCE` applies the held snapshot once, bypassing the gates (ctx->accept).
 *
 * Failure: SP_ECONFIG for a limit that is not a number in range (file and line named), SP_EDB
 * with sqlite's message; one message in err. Never prints.
 */
#ifndef SP_GATE_H
#define SP_GATE_H

#include "core/config.h"
#include "core/store.h"

typedef struct sp_gate_limits {
	long min_rows;         /* 0 = off */
	double max_gone_pct;   /* 100 = off */
	double max_reject_pct; /* 100 = off */
	long max_age_days;     /* 0 = off */
} sp_gate_limits;

/* What parsing a snapshot measured, before anything was applied. */
typedef struct sp_gate_counts {
	int64_t read;     /* data rows read (stored + out of scope + rejected) */
	int64_t rejected;
	int64_t live;     /* the source's live records before this snapshot */
	int64_t gone;     /* of those, how many this snapshot would mark gone */
	int snapshot;     /* mode = snapshot (gone applies) */
} sp_gate_counts;

/* A held snapshot (a row of gate_hold). */
typedef struct sp_gate_hold {
	int64_t fetch_id;  /* the snapshot kept in the raw store, not applied; 0 = nothing to apply */
	char gate[32];     /* min_rows | max_reject_pct | max_gone_pct | no_valid_rows | max_age_days | unreadable */
	double measured, limit;
	sp_gate_counts counts;
	int64_t run_id;
	char as_of[11];    /* the logical date of the run that held it: `accept` applies it as of then */
	char held_at[32];
	char message[SP_ERR_MAX];
} sp_gate_hold;

/* The limits of src: [source NAME], else [sparker], else the defaults above. */
/* The gate keys' specs (core/config.h): every [sparker] and [source] reads its gates through them. */
extern const sp_config_key sp_gate_keys[];
int sp_gate_limits_read(const sp_config *cfg, const sp_source *src, sp_gate_limits *l, sp_err *err);

/*
 * Which gate the parsed snapshot fetch_id of source fails: 0 = none; 1 = h->gate, measured,
 * limit, counts and message (naming the source, the gate and how to accept) are filled.
 */
int sp_gate_check(const sp_gate_limits *l, const sp_gate_counts *c, const char *source, int64_t fetch_id,
		  sp_gate_hold *h);
/*
 * The freshness gate: age in days of the last good snapshot (last_as_of: the as-of date of the
 * run that last fetched it). unapplied = the snapshot the run would parse, when it is not applied
 * yet (0 = none). Returns 0 or 1 as sp_gate_check.
 */
int sp_gate_check_age(const sp_gate_limits *l, int64_t days, const char *last_as_of, const char *source,
		      int64_t unapplied, sp_gate_hold *h);
/* A snapshot the connector could not read: fills h ("unreadable") with why in the message. */
void sp_gate_unreadable(const char *source, int64_t fetch_id, const char *why, sp_gate_hold *h);

/* Days from as_of back to the last successful fetch of source made by a run as of as_of or
 * before; SP_ENOTFOUND when there is none. last_as_of gets that run's date. */
int sp_gate_age(sp_store *db, const char *source, const char *as_of, int64_t *days, char last_as_of[11],
		sp_err *err);

/* Record h as source's hold (replacing the previous one), with the run and its date. */
int sp_gate_hold_put(sp_store *db, const char *source, int64_t run_id, const char *as_of, const sp_gate_hold *h,
		     sp_err *err);
/* source's hold into h; SP_ENOTFOUND (err set) when none. */
int sp_gate_hold_get(sp_store *db, const char *source, sp_gate_hold *h, sp_err *err);
/* A snapshot was applied (applied = its fetch id): drop a hold of that fetch or an older one,
 * and a hold with nothing to apply. */
int sp_gate_hold_clear(sp_store *db, const char *source, int64_t applied, sp_err *err);

#endif
