/*
 * history.h — the versioned selection and the judgements as of a run (schema 12).
 *
 * What it does: the score stage rewrites score and selection each run; selection_hist keeps
 * every version of them, per entity: sp_history_append(), called by the score stage in its
 * transaction after the selection is written, appends one row per entity whose score, domains,
 * cohort, qualified flag, rank or why differ from its newest row, and a gone row (gone = 1) for
 * an entity that had a version and is no longer scored nor selected. Set-based SQL only, portable
 * (SQLite and PostgreSQL); an unchanged run appends nothing. The state as of run N is, per
 * entity, its newest row with run_id <= N (HIST_AS_OF below is that one rule).
 *
 * Judgements as of a run: run.judgement_upto is the newest judgement id when the run started
 * reading them; sp_history_mark_judgements() sets it, and run.c calls it just before the first
 * stage (after anything that drains judgements into the log at a run's start). The judgements of
 * run N are those with id <= its judgement_upto.
 *
 * Diff: sp_history_diff() gives, between the states as of two runs, each entity whose membership
 * of the qualified list (of year Y when year > 0: qualified and cohort Y), rank or score differs,
 * in entity id order.
 *
 * Invariants: selection_hist is append-only (triggers refuse UPDATE and DELETE); only this module
 * writes it, and run.judgement_upto.
 * Failure: SP_OK or SP_EDB with the SQL error in err.
 */
#ifndef SP_HISTORY_H
#define SP_HISTORY_H

#include <stdint.h>

#include "core/store.h"

/* The newest selection_hist row of the entity named by ENT with run_id <= PARAM (SQL text):
 * "h.id = " HIST_AS_OF("k.entity_id", "?1"). */
#define HIST_AS_OF(ENT, PARAM)                                                                                \
	"(SELECT max(hx.id) FROM selection_hist hx WHERE hx.entity_id = " ENT " AND hx.run_id <= " PARAM ")"

/* Append the changed versions of score + selection under run_id; *appended (may be NULL): rows. */
int sp_history_append(sp_store *db, int64_t run_id, int64_t *appended, sp_err *err);

/* run.judgement_upto of run_id = the newest judgement id now (0 when there is none). */
int sp_history_mark_judgements(sp_store *db, int64_t run_id, sp_err *err);

/* The judgement_upto of run (0 when unset or no such run). */
int sp_history_judgement_upto(sp_store *db, int64_t run, int64_t *upto, sp_err *err);

/* One entity's change between two states (from, to). A side the entity is absent from (never
 * versioned by then, or gone) has present = 0, and qualified 0, rank 0, score 0. */
enum { SP_HIST_ENTERED = 1, SP_HIST_LEFT = 2, SP_HIST_RANK = 4, SP_HIST_SCORE = 8 };
typedef struct sp_hist_side {
	int present, qualified, rank;
	int64_t cohort;
	double score;
} sp_hist_side;
typedef struct sp_hist_change {
	int64_t entity_id;
	const char *name; /* the entity's name now (NULL: none); valid during the callback */
	int kinds;        /* SP_HIST_* that apply */
	sp_hist_side from, to;
} sp_hist_change;

/* Call fn for each entity with a change between the states as of run from and run to, in
 * entity id order; with year > 0, only entities of cohort year on either side, and entered /
 * left mean the qualified list of that year. fn returning non-zero stops (returned). */
int sp_history_diff(sp_store *db, int64_t from, int64_t to, int year,
		    int (*fn)(void *user, const sp_hist_change *c), void *user, sp_err *err);

#endif
