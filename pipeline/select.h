/*
 * select.h — the per-cohort selection held inside the target band (default 8–10 %).
 *
 * What it does: sp_select_cohort() is the pure algorithm (unit-tested in tests/unit/test_select.c);
 * sp_select_run() applies it to every cohort of the database inside the score stage's transaction.
 *
 * The algorithm, for one cohort of n entities ("integrated"):
 *   - pinned-out entities never qualify; pinned-in ones always do and count in the share;
 *   - the others qualify by rank of score (desc) when relevant (score > 0: score.c sets the score of
 *     an entity without enough evidence to 0);
 *   - a cut after position j of the ranked relevant list is VALID only when it does not separate two
 *     equal scores (|a - b| < 1e-9) — ties are never split;
 *   - the band is the real interval [band_min * n, band_max * n] of qualified counts (pinned-in
 *     included). Among valid cuts inside the band, the one with the largest score drop wins
 *     (the drop after the last relevant entity is its score, i.e. "all the relevant ones" is a
 *     natural cut); equal drops: the count nearest the band's middle, then the larger list;
 *   - fewer relevant + pinned-in than band_min * n: all of them qualify, reached = 0 (TOO_FEW);
 *   - no valid cut inside the band (ties straddle it, or the band holds no whole number, or pins
 *     alone exceed it): the valid cut nearest the band, reached = 0 (TIES / PINS / SMALL), and
 *     the note says so.
 *
 * sp_select_run(): copies `selection` to `selection_prev`, reads entity (merged_into IS NULL),
 * score, pin and decision (a decision accompanied|cocreation|invested counts as a pin in unless the
 * entity is pinned out, so the funnel's lower stages stay inside the qualified list), rewrites
 * `selection` (every entity, qualified 0/1, rank in cohort, why) and `cohort_band`, and fills
 * note with "+N entered, -M left; ...". Config: [select] band_min, band_max (fractions, or
 * percentages when > 1). Must be called inside an open transaction.
 *
 * Failure: SP_ECONFIG for a bad band, SP_EDB with sqlite's message.
 */
#ifndef SP_SELECT_H
#define SP_SELECT_H

#include <stdint.h>

#include "core/config.h"
#include "core/store.h"

typedef struct sp_sel_item {
	int64_t id;
	double score;
	int pin;       /* +1 pinned in, -1 pinned out, 0 none */
	int tag;       /* the caller's, carried through the sort untouched */
	/* filled by sp_select_cohort */
	int qualified;
	int rank;      /* 1-based, by score desc then id asc, over the whole cohort */
} sp_sel_item;

enum { SP_SEL_OK = 0, SP_SEL_TOO_FEW, SP_SEL_TIES, SP_SEL_PINS, SP_SEL_SMALL, SP_SEL_EMPTY };

typedef struct sp_sel_result {
	int n;           /* integrated */
	int relevant;    /* score > 0, not pinned */
	int pinned_in, pinned_out;
	int qualified;
	int reached;     /* 1 when the qualified count is inside the band */
	int status;      /* SP_SEL_* */
	double band_lo, band_hi; /* band in entities (real numbers) */
	double cut;      /* lowest qualified score from the ranking; 0 when none */
	double next;     /* highest relevant score left out; 0 when none */
	char note[200];
} sp_sel_result;

/* Sorts items (score desc, id asc) and fills qualified, rank and the result. */
void sp_select_cohort(sp_sel_item *items, int n, double band_min, double band_max, sp_sel_result *r);

/* The band of [select] as fractions; SP_ECONFIG ("FILE:LINE: ...") when band_min > band_max. The
 * config check calls it when a config loads, the score stage and the report when they run. */
int sp_select_band(const sp_config *cfg, double *band_min, double *band_max, sp_err *err);
/* The [select] keys: band_min, band_max (fractions, or percentages when > 1). */
extern const sp_config_key sp_select_keys[];
/* One startup entering or leaving the selection (sp_select_changes). */
typedef struct sp_sel_change {
	int64_t entity_id;
	int cohort;
	int entered;         /* 1 entered, 0 left */
	double score, evidence;
	const char *name, *domains; /* may be NULL */
} sp_sel_change;

/* Every startup qualified now and not before (entered), then every one qualified before and not
 * now (left), comparing selection with selection_prev, best score first; fn is called for each
 * and stops the walk with a non-SP_OK code. */
int sp_select_changes(sp_store *db, int (*fn)(void *user, const sp_sel_change *c), void *user, sp_err *err);

int sp_select_run(sp_store *db, const sp_config *cfg, int64_t run_id, int64_t *qualified, char *note,
		  size_t note_size, sp_err *err);

#endif
