/*
 * golden.h — the golden record: which member of an entity gives each of its fields.
 *
 * What it does: one rule, used by the dedupe stage when it writes `entity` rows and by
 * `sparker show` when it explains them. Per field (name, country, city, founded, website,
 * active) the value comes from the member that has one and comes first in golden order:
 *   highest source priority (config `priority`), then most recent record.last_seen (a missing
 *   date counts as oldest), then highest record id.
 * Besides the fields: first_seen is the earliest member first_seen (cohort is its year) and
 * nsources the number of distinct sources among the members.
 *
 * Where each field's value comes from (sp_golden_member_fields): name, country, founded, active
 * from the member's candidate (country only as a two-letter code); city from record.city;
 * website from record.website, else the candidate's registrable domain. An empty string is no
 * value.
 *
 * Invariants: the result does not depend on the order of the members (golden order is total:
 * record ids are unique), so callers may pass them in any order.
 *
 * Ownership: sp_golden_member and sp_golden borrow their strings. sp_golden_load() returns
 * members that own their strings; free them with sp_golden_members_free().
 *
 * Failure: sp_golden_compute cannot fail; sp_golden_load returns SP_OK or SP_EDB with err set.
 */
#ifndef SP_GOLDEN_H
#define SP_GOLDEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/store.h"

enum {
	SP_GOLDEN_NAME,
	SP_GOLDEN_COUNTRY,
	SP_GOLDEN_CITY,
	SP_GOLDEN_FOUNDED,
	SP_GOLDEN_WEBSITE,
	SP_GOLDEN_ACTIVE, /* the one field that is not text: member.active */
	SP_GOLDEN_NFIELDS
};

/* "name", "country", "city", "founded", "website", "active" */
extern const char *const sp_golden_field_names[SP_GOLDEN_NFIELDS];

/* One member record as the golden rule sees it. */
typedef struct sp_golden_member {
	int64_t rid;                        /* record id (last tie-break) */
	const char *source, *source_key;    /* source_key: for explaining only */
	int prio;                           /* sp_dedupe_priority(cfg, source) */
	const char *last_seen;              /* record.last_seen, ISO date; NULL: oldest */
	const char *first_seen;             /* candidate.first_seen; NULL: unknown */
	const char *text[SP_GOLDEN_ACTIVE]; /* name, country, city, founded, website; NULL: none */
	int active;                         /* 1 active, 0 inactive, -1 unknown */
} sp_golden_member;

typedef struct sp_golden {
	int from[SP_GOLDEN_NFIELDS]; /* index of the member that gives each field; -1: none has it */
	const char *first_seen;      /* earliest member first_seen (borrowed); NULL: none */
	int nsources;                /* distinct sources */
} sp_golden;

/* Set m's field values from the columns named above (any may be NULL or ""). */
void sp_golden_member_fields(sp_golden_member *m, const char *name, const char *country, const char *city,
			     const char *founded, const char *website, const char *domain, int active);

/* Compute the golden record of n members (n may be 0: no field, no source). */
void sp_golden_compute(const sp_golden_member *m, size_t n, sp_golden *g);

/* The value of field f in g as text ("yes"/"no" for active), or NULL when no member has it. */
const char *sp_golden_value(const sp_golden *g, const sp_golden_member *m, int f);

/*
 * The current members of entity eid read from the database (member, record, candidate) the way
 * the dedupe stage reads them, in golden order. *out is NULL when there are none.
 */
int sp_golden_load(sp_store *db, const sp_config *cfg, int64_t eid, sp_golden_member **out, size_t *n,
		   sp_err *err);
void sp_golden_members_free(sp_golden_member *m, size_t n);

#endif
