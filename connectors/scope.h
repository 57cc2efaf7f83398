/*
 * scope.h — the scope pass: a source's stored records against its filter as configured today.
 *
 * What it does: the pushdown filter (filter.h) keeps out-of-scope rows out of the database while
 * parsing; but a record stored earlier can leave the scope later — the filter was tightened, a
 * mistake in it was fixed, or the startup aged out of filter.max_age_years as the run date moved.
 * sp_scope_apply() reads every live (gone = 0) record of one source, asks the filter, and sets
 * record.out_of_scope to the reason (filter.h's phrase) when it no longer passes, or back to NULL
 * when it passes again. Records are kept, never deleted; the normalise stage reads only records
 * in scope, so entities, cohorts and the selection follow at the same run.
 *
 * The parse stage calls it inside its transaction, after storing the snapshot's rows and before
 * marking the missing ones gone (a record still in the file but out of scope is out of scope,
 * not gone), and alone, in its own transaction, when the snapshot was already parsed with the
 * same filter settings (records ageing out as the as-of date moves).
 *
 * Cost: one SELECT over the source's live records and one UPDATE per record whose scope changed;
 * memory: one record at a time.
 *
 * Failure: SP_EDB with sqlite's message; the caller's transaction is rolled back by the caller.
 */
#ifndef SP_SCOPE_H
#define SP_SCOPE_H

#include <stdint.h>

#include "connectors/filter.h"
#include "core/store.h"

typedef struct sp_scope_counts {
	int64_t left;     /* records that no longer pass: marked out of scope now */
	int64_t returned; /* records that pass again: back in scope */
	int64_t out;      /* the source's live records out of scope after the pass */
} sp_scope_counts;

int sp_scope_apply(sp_store *db, const sp_source *src, const sp_filter *f, sp_scope_counts *n, sp_err *err);

#endif
