/*
 * filter.h — the pushdown filter of a source, applied while parsing.
 *
 * What it does: reads the source's filter.* keys once (sp_filter_init) and decides per record
 * whether it is in scope (sp_filter_keep, sp_filter_reason). Out-of-scope rows are counted by the
 * parse stage, not stored, so that millions of registry rows never reach the database; records
 * stored earlier that no longer pass (a tightened filter, a startup ageing out) are marked out of
 * scope by the scope pass (scope.h), never deleted.
 *   filter.max_age_years = N   founded on or after as_of minus N years; no founding date = keep
 *   filter.active = yes        drop records whose status is clearly inactive (dissolved, closed,
 *                              ceased, liquidation, struck off, removed, inactive, SIRENE "C")
 *   filter.code_prefixes = 62 63 45.2
 *                              keep records with an activity code starting with one of these,
 *                              dots and spaces ignored; records without any code are kept
 * The founded field is read by sp_date_parse (core/date.h) in the source's date_order
 * (sp_date_order_config), the same reading the normalise stage stores: a date at year or month
 * precision counts from its first day; text that is no date counts as no founding date.
 *
 * The keys are specified in sp_filter_keys (every format has them), so a config whose filter does
 * not read is refused when it loads (pipeline/run.c also runs sp_filter_init then).
 *
 * Ownership: sp_filter_release() frees the prefixes; a zeroed sp_filter keeps everything.
 * Failure: sp_filter_init returns SP_ECONFIG with the key named in err (no valid as_of).
 */
#ifndef SP_FILTER_H
#define SP_FILTER_H

#include "core/config.h"
#include "core/date.h"
#include "connectors/connector.h"

typedef struct sp_filter {
	int active;          /* filter.active = yes */
	int has_min_date;
	char min_date[11];   /* YYYY-MM-DD: founded must be >= this */
	sp_date_order date_order; /* how the source's nn/nn/yyyy founded dates read */
	char **prefixes;     /* dots removed */
	int nprefixes;
} sp_filter;

/* The filter.* keys of a [source], for every format. */
extern const sp_config_key sp_filter_keys[];

int sp_filter_init(sp_filter *f, const sp_config *cfg, const sp_source *src, const char *as_of, sp_err *err);
void sp_filter_release(sp_filter *f);
/* 1 = in scope, 0 = excluded: sp_filter_reason() == NULL. */
int sp_filter_keep(const sp_filter *f, const sp_record *r);
/* Why a record is out of scope, naming the filter key (a static phrase), or NULL when it is in. */
const char *sp_filter_reason(const sp_filter *f, const sp_record *r);
/* The source's settings the filter reads, as one line ("filter.active=yes; filter.max_age_years=10"):
 * when it differs from the line stored with the last parse, the snapshot is parsed again. The
 * as-of cutoff is not in it: records ageing out are marked by the scope pass (scope.h). */
void sp_filter_settings(const sp_config *cfg, const sp_source *src, sp_buf *out);
/* 1 if the raw status reads as clearly inactive. */
int sp_status_inactive(const char *status);

#endif
