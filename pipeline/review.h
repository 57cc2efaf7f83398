/*
 * review.h — the review queues: what an analyst should look at next, as data.
 *
 * What it does: builds the two queues of `sparker review` (cli/cmd_review.c shows them, on a
 * screen or as CSV); it reads, never writes, and never prints.
 *
 * Pairs (sp_review_pairs): the near misses the last dedupe run left in `review_pair` (record
 * ids of two records a rule considered and refused, with the rule, score and reason; dedupe.h),
 * minus
 *   - pairs with a match judgement in force between the two records (judgement_active, kinds
 *     link, apart, unsure; a < b by strcmp as judgement.c stores them), and
 *   - pairs whose records are in the same entity now (`member`).
 * Order, most consequential first: a pair where either record's entity is in the selection
 * (selection.qualified = 1); then by the higher relevance score of the two entities (unscored
 * last); then by review_pair.score descending; then by record ids (a total order: the same
 * database gives the same queue).
 * Each side carries its record as the source gave it (record, candidate) and the normalised
 * keys the dedupe stage compared, so sp_review_agree() can say which fields agree.
 *
 * Selection (sp_review_selection): the startups around the cut of one cohort (default: the
 * latest with a selection): the `each` lowest-ranked qualified ones and the `each` highest-ranked
 * not qualified ones that have a score above 0 or a pin, in rank order (selection.rank), with
 * their score, domains, reasons (score.reasons), why (selection.why) and the pin they carry now
 * (judgement_active + judgement_place, as select.c reads them). The cohort's band row
 * (cohort_band) comes with them.
 *
 * Ownership: the arrays and every string in them belong to the caller; free them with
 * sp_review_pairs_free / sp_review_selection_free (NULL is a no-op).
 *
 * Failure: SP_OK; SP_ENOTFOUND (selection: no cohort has a selection yet, or not that one);
 * SP_EDB. err says which. *out is NULL and *n 0 on failure.
 */
#ifndef SP_REVIEW_H
#define SP_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

/* The fields a pair shows, in screen order. */
enum {
	SP_RV_NAME,
	SP_RV_COUNTRY,
	SP_RV_CITY,
	SP_RV_POSTCODE,
	SP_RV_WEBSITE,
	SP_RV_FOUNDED,
	SP_RV_STATUS,
	SP_RV_REGNUM,
	SP_RV_CATEGORIES,
	SP_RV_DESCRIPTION,
	SP_RV_NFIELDS
};
extern const char *const sp_review_field_names[SP_RV_NFIELDS];

typedef struct sp_review_record {
	int64_t id;                /* record id */
	char *ref;                 /* SOURCE:KEY */
	int64_t entity;            /* the entity it is in now (0: none) */
	int qualified;             /* that entity is in the selection */
	int scored;                /* that entity has a relevance score ... */
	double score;              /* ... this one */
	char *show[SP_RV_NFIELDS]; /* as the source gave it (NULL: empty) */
	char *key[SP_RV_NFIELDS];  /* as normalised for comparing (NULL: empty or not compared) */
} sp_review_record;

typedef struct sp_review_pair {
	sp_review_record a, b; /* a.id < b.id */
	char *rule;            /* the rule that was refused (NULL: no rule took the pair) */
	double score;          /* review_pair.score: the rule's score or the names' similarity */
	char *reason;          /* why they were not merged */
} sp_review_pair;

/* The pair queue in order (above). */
int sp_review_pairs(sp_store *db, sp_review_pair **out, size_t *n, sp_err *err);
void sp_review_pairs_free(sp_review_pair *v, size_t n);

enum { SP_RV_MISSING, SP_RV_SAME, SP_RV_DIFFERS };
/* Do the two records agree on field f (their normalised keys)? SP_RV_MISSING when either side
 * has no key (and for categories and description, which are not compared). */
int sp_review_agree(const sp_review_pair *p, int f);

typedef struct sp_review_cohort {
	int64_t cohort;
	int integrated, qualified, reached; /* cohort_band */
	double band_min, band_max;          /* fractions */
} sp_review_cohort;

typedef struct sp_review_startup {
	int64_t entity;
	char *name, *country, *domains, *reasons, *why;
	int scored;
	double score;
	int rank;      /* rank in its cohort (selection.rank) */
	int qualified; /* selection.qualified */
	char pin[4];   /* the pin it carries now: "in", "out" or "" */
} sp_review_startup;

/* The startups around the cut of cohort year (0: the latest), each per side (above). */
int sp_review_selection(sp_store *db, int64_t year, int each, sp_review_cohort *c, sp_review_startup **out, size_t *n,
			sp_err *err);
void sp_review_selection_free(sp_review_startup *v, size_t n);

#endif
