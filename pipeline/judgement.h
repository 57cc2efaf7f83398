/*
 * judgement.h — the analysts' judgements: one append-only log, anchored to records.
 *
 * What it does: every judgement an analyst makes — a match (link, apart, alone, unsure), a pin,
 * a committee decision, a note, an audit's label — is one row of `judgement`, with who made it, from
 * which hub (pipeline/hub.h; NULL when hubs are off), when, and a note.
 * Nothing is ever updated or deleted (triggers refuse it): removing a judgement is a `remove`
 * row naming it, and the judgements in force are the view `judgement_active`.
 *
 * Anchoring: a match judgement names its records (SOURCE:KEY in a, b). A pin, decision, note or
 * label is made on a startup and stored against ALL the records the startup had then
 * (`judgement_record`); the entity id of that moment is kept for display only. Where it lands
 * now is the view `judgement_place` (schema.c): the entity holding most of those records
 * (ties: the smallest id) carries it; when the records are split across entities, the others
 * are listed as "needs review" and nothing moves silently. That view is the one rule; the score
 * stage, the report and the commands all read it.
 *
 * The rules of recording (sp_judgement_record), so that no sequence of commands duplicates,
 * moves or silently drops a judgement:
 *   - an identical judgement already in force is not written again (out->same);
 *   - link A B removes an `apart` or `unsure` of the same pair in force, and vice versa;
 *     alone A removes the links in force that touch A (they could never apply again);
 *   - a pin removes the pins in force that the same entity carries (one pin per startup);
 *   - a label removes the labels in force that the same entity carries (one label per startup);
 *   - the same decision and date for the startup with another note replaces the earlier one;
 *   - every such removal is itself a `remove` row (out->superseded counts them).
 * The record and its removals are written in one transaction.
 *
 * Kinds and values live here only: sp_judgement_kind_names, sp_decision_names. A decision of
 * accompanied, cocreation or invested counts as a pin in (sp_decision_pins_in).
 *
 * Failure: SP_OK; SP_ENOTFOUND (no such record, entity or judgement); SP_EUSAGE (a bad kind or
 * value, removing a removal or a removed judgement); SP_EDB. err says which, in words an analyst
 * can act on. Nothing is written on failure.
 */
#ifndef SP_JUDGEMENT_H
#define SP_JUDGEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

typedef enum sp_jkind {
	SP_J_LINK,     /* a and b are the same company */
	SP_J_APART,    /* a and b are not the same company (keeps them apart, nothing else) */
	SP_J_ALONE,    /* a is in no automatic link */
	SP_J_UNSURE,   /* an analyst looked at a and b and could not tell (leaves the review queue) */
	SP_J_PIN,      /* value in|out */
	SP_J_DECISION, /* value: a committee decision, date */
	SP_J_NOTE,     /* note only */
	SP_J_LABEL,    /* value yes|no: relevant to the programme or not (an audit's label, audit.h) */
	SP_J_REMOVE,   /* target: the judgement it removes */
	SP_J_NKINDS
} sp_jkind;

extern const char *const sp_judgement_kind_names[SP_J_NKINDS];
/* The kind named s, or -1. */
int sp_judgement_kind_parse(const char *s);
/* Is a judgement of kind k made on a startup, anchored to its records (pin, decision, note,
 * label), rather than on named records (the match kinds) or another judgement (remove)? */
int sp_judgement_anchored(int k);

extern const char *const sp_decision_names[4]; /* accompanied, cocreation, invested, declined */
int sp_decision_valid(const char *d);
/* accompanied, cocreation and invested put the startup in the selection. */
int sp_decision_pins_in(const char *d);

typedef struct sp_judgement {
	sp_jkind kind;
	const char *value, *date;   /* pin: in|out; label: yes|no; decision: its name and YYYY-MM-DD */
	const char *a, *b;          /* match kinds: SOURCE:KEY of stored records */
	int64_t entity;             /* pin, decision, note, label: the live entity it is made on */
	const char *const *records; /* ... or, when nrecords > 0, the records themselves (import) */
	size_t nrecords;
	int64_t target;             /* remove */
	const char *note, *user, *origin;
	const char *hub;            /* the analyst's hub (configured spelling), NULL: none */
	const char *created;        /* NULL: now (import keeps the file's) */
	const int64_t *taken;       /* import: judgements matched by earlier rows of the file, */
	size_t ntaken;              /* never matched again (two identical rows are two judgements) */
	/* A replay (an inbox entry, pipeline/inbox.h): a command's judgement made at `created` on
	 * `records` (the startup's then), recorded later by the rules above as if made then: its
	 * carrier is the live entity holding most of those records now; `entity` and `name` (the
	 * startup's then) are kept for display. */
	int replay;
	const char *name;
} sp_judgement;

typedef struct sp_judgement_out {
	int64_t id;     /* the judgement written, or the identical one in force */
	int same;       /* an identical judgement was in force: nothing written */
	int superseded; /* judgements in force this one removed (each recorded as a remove) */
	int64_t pending; /* pipeline/inbox.h: recorded as this pending inbox entry (id is 0) */
} sp_judgement_out;

/* Record j by the rules above (in its own transaction unless the caller holds one). */
int sp_judgement_record(sp_store *db, const sp_judgement *j, sp_judgement_out *out, sp_err *err);
/* What sp_judgement_record would refuse in j made now, read without writing (the inbox checks a
 * judgement when it is made, pipeline/inbox.h): its value, its records, its entity. */
int sp_judgement_check(sp_store *db, const sp_judgement *j, sp_err *err);
/* *seen = 1 when a judgement with this origin is in the history (the inbox's tokens). */
int sp_judgement_origin_seen(sp_store *db, const char *origin, int *seen, sp_err *err);

/* Remove the pins in force that entity carries (pin ... clear): *n removed (0: there was none). */
int sp_judgement_clear_pins(sp_store *db, int64_t entity, const char *user, const char *hub, const char *note, int *n,
			    sp_err *err);
/* The same, the removes made by `by` (user, hub, note, origin, created); a replay (by->replay,
 * by->records) clears the pins of the live entity holding most of its records now. */
int sp_judgement_clear_pins_by(sp_store *db, int64_t entity, const sp_judgement *by, int *n, sp_err *err);

/* For `status`: judgements in force; anchored ones whose records are split (need review) or in
 * no entity (pending); pairs waiting in the review queue (review_pair). */
typedef struct sp_judgement_counts {
	int64_t active, review, pending, queue;
} sp_judgement_counts;
int sp_judgement_count(sp_store *db, sp_judgement_counts *c, sp_err *err);
/* For `status`: fn(hub, n, user) for each hub the judgements in force were made from, by name
 * (hub NULL: made without one, listed last). fn returning non-zero stops the walk. */
int sp_judgement_count_hubs(sp_store *db, int (*fn)(const char *hub, int64_t n, void *user), void *user, sp_err *err);

/* One judgement as the list shows it. Strings live until the next row. */
typedef struct sp_judgement_row {
	int64_t id, entity_then, target, removed_by;
	sp_jkind kind;
	const char *value, *date, *a, *b, *name_then, *note, *user, *created, *origin;
	const char *hub;     /* NULL: none recorded */
	const char *records; /* anchored kinds: the records, space-separated, each percent-encoded */
	int64_t carrier;     /* anchored kinds: the live entity carrying it now (0: none yet) */
	int parts;           /* entities holding its records (> 1: needs review) */
} sp_judgement_row;

enum {
	SP_J_LIST_ACTIVE = 0,    /* the judgements in force */
	SP_J_LIST_ALL = 1,       /* the whole history: removed ones and the removes too */
};

typedef int (*sp_judgement_fn)(const sp_judgement_row *r, void *user);
/* Call fn for each judgement in id order (entity > 0: only those placed on that entity, carrier
 * or not). fn returning non-zero stops the walk with that value. */
int sp_judgement_each(sp_store *db, int which, int64_t entity, sp_judgement_fn fn, void *user, sp_err *err);

/* Percent-encode a record reference for the records list ('%', ' ', control bytes); and back. */
char *sp_judgement_ref_encode(const char *ref);
char *sp_judgement_ref_decode(const char *s, size_t n);

#endif
