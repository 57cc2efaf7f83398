/*
 * audit.h — what the filter missed: a stratified random sample of a cohort, labelled by analysts,
 * and the estimate with confidence intervals that it gives (an elusion test, as in e-discovery).
 *
 * What it does:
 *   - sp_audit_sample() draws, for cohort year Y, a stratified random sample of the startups the
 *     selection left out (the rejects) and a simple random sample of the qualified ones, and
 *     stores it (audit_draw, audit_sample; schema.c). It reads the score stage's tables
 *     (selection, score, tag) and never writes them.
 *   - analysts label the sampled startups yes (relevant to the programme) or no: a label is a
 *     judgement of kind 'label' (judgement.h), anchored to the startup's records, recorded by
 *     the commands (audit label, audit import, review audit) through sp_judgement_record. This
 *     module never writes a judgement.
 *   - sp_audit_estimate() reads the latest draw of a year and the labels in force and computes
 *     the precision of the selection, the number of relevant startups among the rejects (the
 *     missed ones) and the recall, each with a 95 % interval.
 *
 * Strata (rejects): score band x domain. The band is "zero" (score 0), "near" (score at least
 * half the cohort's cut, the lowest score that qualified) or "low" (in between); the domain is
 * the entity's first domain in score.domains, else the domain its tags weigh most, else "none".
 * So the rejects with score 0 and no domain — most of a cohort, and where a missed startup hides
 * best — form one large stratum, "zero/none". The qualified startups are one stratum,
 * "qualified".
 *
 * Allocation: --n N labels in all; Q of them (--qualified, default N/4 rounded up, at most the
 * qualified count) go to the qualified stratum, the N - Q others to the rejects' strata: each
 * stratum first gets min(size, m) (m = --min, default 2), then the rest one at a time to the
 * stratum furthest below its proportional share N_rejects_h / N_rejects * (N - Q) (ties: the
 * larger stratum, then the name), never above the stratum's size: proportional with a minimum.
 * N - Q below the sum of the minimums is refused (the message says how many are needed).
 * Inside a stratum, startups are picked uniformly without replacement (a partial Fisher–Yates
 * shuffle of the stratum's entities in id order, driven by splitmix64 from the draw's seed), so
 * a seed and a database give the same sample.
 *
 * Anchoring: each sampled startup is stored against one of its records (the oldest: smallest
 * record id), like a judgement, so merges, undos and reruns never move it. Its label is the
 * latest label in force anchored to that record.
 *
 * Drawing again: a year's new draw REPLACES the earlier one for the estimate (weights belong
 * to one draw's strata); the rows of earlier draws stay in the tables (nothing is deleted), and
 * labels are judgements, never touched: a startup labelled before and drawn again keeps its
 * label. Without `replace`, a second draw for a year is refused (SP_EUSAGE), naming the draw.
 *
 * The estimate (sp_audit_count): in each stratum h of size N_h, n_h labelled startups of which
 * x_h say yes. Missed = sum_h N_h x_h / n_h. The interval is the stratified Wilson interval
 * (Yan & Su 2010): Wilson's score interval around the weighted proportion p = sum_h w_h x_h/n_h
 * (w_h = N_h / N), with the sample size replaced by the effective one
 * n_eff = 1 / sum_h w_h^2 (1 - f_h) / n_h, f_h the finite-population correction
 * (n_h - 1)/(N_h - 1) (a fully labelled stratum adds no uncertainty). Why: per-stratum
 * intervals added up are far too wide (each end is a 2.5 % event; their sum is nearly
 * impossible), and the normal (Wald) interval has zero width when a stratum shows no relevant
 * startup — which is what the big "zero/none" stratum usually shows, and exactly where the
 * missed ones can hide; Wilson's interval keeps a positive upper end at 0 of n. With
 * proportional allocation n_eff is the sample size; the minimum per stratum lowers it a little
 * (the design effect). The count interval is N x [lo, hi], then narrowed to what the labels
 * prove: at least the yes labels seen, at most N minus the no labels seen. A stratum with no
 * label yet adds nothing to the estimate and its whole size to the upper end (complete = 0).
 * Precision is the same computation on the qualified stratum, divided by its size. Recall is
 * found / (found + missed), found = precision x qualified; its interval pairs the ends (low:
 * found_lo / (found_lo + missed_hi), high: found_hi / (found_hi + missed_lo)), so it covers the
 * recall whenever both intervals cover theirs: at least 90 % (the two samples are independent,
 * 0.95^2). All intervals are at 95 % (SP_AUDIT_Z).
 *
 * Failure: SP_OK; SP_ENOTFOUND (the year has no selection, or no draw); SP_EUSAGE (N too small,
 * a draw exists and replace is not set); SP_EDB. err says which. Nothing is written on failure.
 */
#ifndef SP_AUDIT_H
#define SP_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

#define SP_AUDIT_Z 1.959963984540054 /* the normal quantile of a two-sided 95 % interval */

/* ---------------------------------------------------------------- the math (pure) */

/* Wilson's score interval for x successes in n trials (n may be an effective, real size) at z;
 * n <= 0: [0, 1]; n infinite: [x/n, x/n]. */
void sp_audit_wilson(double x, double n, double z, double *lo, double *hi);

typedef struct sp_audit_stratum {
	int64_t size;     /* N_h: startups in the stratum at the draw */
	int64_t labelled; /* n_h */
	int64_t yes;      /* x_h */
} sp_audit_stratum;

typedef struct sp_audit_count {
	double est, lo, hi;  /* relevant startups in the strata */
	double p, p_lo, p_hi; /* the same as a share of their size */
	double n_eff;         /* the effective sample size (INFINITY: every stratum fully labelled) */
	int64_t size, labelled, yes;
	int64_t unknown;      /* size of the strata with no label yet */
	int complete;         /* every stratum has a label */
} sp_audit_count;

/* The stratified estimate of the relevant count over k strata at z (above). */
void sp_audit_count_strata(const sp_audit_stratum *s, int k, double z, sp_audit_count *out);

/* found / (found + missed), its interval from the ends (above); NAN when undefined. */
void sp_audit_recall(const sp_audit_count *found, const sp_audit_count *missed, double *est, double *lo, double *hi);

/* Proportional allocation with a minimum (above): n units over k strata of sizes size[] into
 * a[]; SP_EUSAGE (err says the minimum) when n < sum min(size_h, m). n above the total takes
 * every startup. */
int sp_audit_allocate(const int64_t *size, const char *const *names, int k, int64_t n, int m, int64_t *a, sp_err *err);

/* splitmix64: the next value of the generator whose state is *s. */
uint64_t sp_audit_rand(uint64_t *s);
/* Move a uniform random n of ids[0..len) to the front (partial Fisher–Yates), from state *s. */
void sp_audit_pick(int64_t *ids, size_t len, size_t n, uint64_t *s);

/* ---------------------------------------------------------------- the sample */

typedef struct sp_audit_opts {
	int64_t year;
	int64_t n;         /* labels in all */
	int64_t qualified; /* of which on the qualified side; < 0: the default (above) */
	int min;           /* per reject stratum; <= 0: 2 */
	uint64_t seed;     /* used when seed_set; else one is made from the clock and recorded */
	int seed_set;
	int replace;       /* a draw for the year exists: replace it */
	const char *user;
} sp_audit_opts;

typedef struct sp_audit_drawn {
	int64_t draw_id, replaced; /* replaced: the earlier draw for the year (0: none) */
	uint64_t seed;
	int64_t rejects, qualified; /* population */
	int64_t n_rejects, n_qualified; /* sampled */
	int strata;                     /* reject strata */
	int64_t labelled;               /* of the sample, already labelled (earlier judgements) */
} sp_audit_drawn;

int sp_audit_sample(sp_store *db, const sp_audit_opts *o, sp_audit_drawn *out, sp_err *err);

/* ---------------------------------------------------------------- the sample, one by one */

typedef struct sp_audit_item {
	int64_t sample_id;
	char *ref;            /* SOURCE:KEY of the record it is anchored to */
	int64_t entity;       /* the live entity holding that record now (0: none) */
	char *name, *country, *stratum, *domains, *reasons, *why;
	int qualified_side;   /* drawn from the qualified stratum */
	int scored;
	double score;         /* now */
	char label[4];        /* the label in force: "yes", "no" or "" */
	int64_t label_id;     /* that judgement (0: none) */
} sp_audit_item;

/* The latest draw of year (0: of the latest year with a draw), unlabelled first, then in draw
 * order; *year_out is the year. SP_ENOTFOUND when there is no draw. */
int sp_audit_items(sp_store *db, int64_t year, int64_t *year_out, sp_audit_item **out, size_t *n, sp_err *err);
void sp_audit_items_free(sp_audit_item *v, size_t n);

/* ---------------------------------------------------------------- the estimate */

typedef struct sp_audit_stratum_row {
	char *name;
	int qualified_side;
	sp_audit_stratum s;
	int64_t drawn;
} sp_audit_stratum_row;

typedef struct sp_audit_estimate {
	int64_t year, draw_id, score_run, now_run; /* now_run != score_run: rescored since the draw */
	uint64_t seed;
	char created[32], user[64];
	sp_audit_stratum_row *strata; /* the qualified stratum first */
	size_t nstrata;
	sp_audit_count found;  /* relevant among the qualified */
	sp_audit_count missed; /* relevant among the rejects */
	double precision, precision_lo, precision_hi; /* NAN while no qualified startup is labelled */
	double recall, recall_lo, recall_hi; /* NAN when undefined (the point: until both sides have labels) */
} sp_audit_estimate;

/* The estimate for the latest draw of year (0: the latest year with a draw). */
int sp_audit_estimate_load(sp_store *db, int64_t year, sp_audit_estimate *e, sp_err *err);
void sp_audit_estimate_release(sp_audit_estimate *e);
/* Has year a draw? (*exists 0/1; for the report) */
int sp_audit_exists(sp_store *db, int64_t year, int *exists, sp_err *err);

/*
 * The audited labels against a selection (`score --preview`): among the live entities carrying a
 * label in force (judgement_place), *tp labelled yes and qualified, *fp labelled no and qualified,
 * *fn labelled yes and not qualified, in selection (prev = 0) or selection_prev (prev = 1).
 * Unweighted: the labels are a stratified sample, so these are not the estimate's figures.
 */
int sp_audit_label_counts(sp_store *db, int prev, int64_t *tp, int64_t *fp, int64_t *fn, sp_err *err);

#endif
