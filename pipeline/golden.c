/*
 * golden.c — the golden record rule (contract in golden.h).
 *
 * The rule is a per-field scan for the best member in golden order (no sort, so the dedupe
 * stage pays O(members x fields) per cluster); sp_golden_load is how `show` gets members the
 * way the stage saw them. Nothing here writes to the database.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/dedupe.h"
#include "pipeline/golden.h"

const char *const sp_golden_field_names[SP_GOLDEN_NFIELDS] = { "name", "country", "city", "founded", "website",
							       "active" };

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

void sp_golden_member_fields(sp_golden_member *m, const char *name, const char *country, const char *city,
			     const char *founded, const char *website, const char *domain, int active)
{
	m->text[SP_GOLDEN_NAME] = nonempty(name);
	m->text[SP_GOLDEN_COUNTRY] = country && strlen(country) == 2 ? country : NULL;
	m->text[SP_GOLDEN_CITY] = nonempty(city);
	m->text[SP_GOLDEN_FOUNDED] = nonempty(founded);
	m->text[SP_GOLDEN_WEBSITE] = nonempty(website) ? website : nonempty(domain);
	m->active = active;
}

/* Golden order, as a qsort comparator on sp_golden_member: < 0 when x comes first. */
static int golden_cmp(const void *x, const void *y)
{
	const sp_golden_member *a = x, *b = y;
	if (a->prio != b->prio)
		return a->prio > b->prio ? -1 : 1;
	int c = strcmp(b->last_seen ? b->last_seen : "", a->last_seen ? a->last_seen : "");
	if (c)
		return c;
	return a->rid > b->rid ? -1 : (a->rid < b->rid);
}

static int has_field(const sp_golden_member *x, int f)
{
	return f == SP_GOLDEN_ACTIVE ? x->active >= 0 : x->text[f] != NULL;
}

/* Distinct sources; the pointer test first (the stage shares one string per source). */
static int count_sources(const sp_golden_member *m, size_t n)
{
	const char *small[16], **seen = n <= SP_ARRAY_LEN(small) ? small : sp_xmalloc(n * sizeof(*seen));
	int ns = 0;
	for (size_t i = 0; i < n; i++) {
		int dup = 0;
		for (int k = 0; k < ns && !dup; k++)
			dup = seen[k] == m[i].source || strcmp(seen[k], m[i].source) == 0;
		if (!dup)
			seen[ns++] = m[i].source;
	}
	if (seen != small)
		free(seen);
	return ns;
}

void sp_golden_compute(const sp_golden_member *m, size_t n, sp_golden *g)
{
	for (int f = 0; f < SP_GOLDEN_NFIELDS; f++)
		g->from[f] = -1;
	g->first_seen = NULL;
	for (size_t i = 0; i < n; i++) {
		const sp_golden_member *x = &m[i];
		for (int f = 0; f < SP_GOLDEN_NFIELDS; f++)
			if (has_field(x, f) && (g->from[f] < 0 || golden_cmp(x, &m[g->from[f]]) < 0))
				g->from[f] = (int)i;
		if (x->first_seen && (!g->first_seen || strcmp(x->first_seen, g->first_seen) < 0))
			g->first_seen = x->first_seen;
	}
	g->nsources = count_sources(m, n);
}

const char *sp_golden_value(const sp_golden *g, const sp_golden_member *m, int f)
{
	if (f < 0 || f >= SP_GOLDEN_NFIELDS || g->from[f] < 0)
		return NULL;
	const sp_golden_member *x = &m[g->from[f]];
	if (f == SP_GOLDEN_ACTIVE)
		return x->active ? "yes" : "no";
	return x->text[f];
}

static const char *col(sp_stmt *s, int i)
{
	return sp_col_text(s, i);
}

static const char *dup_col(sp_stmt *s, int i)
{
	const char *v = col(s, i);
	return v && *v ? sp_xstrdup(v) : NULL;
}

int sp_golden_load(sp_store *db, const sp_config *cfg, int64_t eid, sp_golden_member **out, size_t *n, sp_err *err)
{
	*out = NULL, *n = 0;
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "SELECT r.id, r.source, r.source_key, r.last_seen, c.first_seen, c.name, c.country, r.city,"
				  " c.founded, r.website, c.domain, c.active"
				  " FROM member m JOIN record r ON r.id = m.record_id LEFT JOIN candidate c ON c.record_id = r.id"
				  " WHERE m.entity_id = ?1 ORDER BY r.id",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, eid);
	sp_golden_member *m = NULL;
	size_t cap = 0;
	while ((rc = sp_step(s)) == SP_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			m = sp_xrealloc(m, cap * sizeof(*m));
		}
		sp_golden_member *x = &m[(*n)++];
		memset(x, 0, sizeof(*x));
		x->rid = sp_col_int64(s, 0);
		x->source = dup_col(s, 1);
		if (!x->source)
			x->source = sp_xstrdup("");
		x->source_key = dup_col(s, 2);
		x->last_seen = dup_col(s, 3);
		x->first_seen = dup_col(s, 4);
		x->prio = sp_dedupe_priority(cfg, x->source);
		int active = sp_col_null(s, 11) ? -1 : sp_col_int(s, 11);
		sp_golden_member_fields(x, col(s, 5), col(s, 6), col(s, 7), col(s, 8), col(s, 9), col(s, 10), active);
		for (int f = 0; f < SP_GOLDEN_ACTIVE; f++) /* keep the chosen values beyond this row */
			if (x->text[f])
				x->text[f] = sp_xstrdup(x->text[f]);
	}
	if (rc != SP_DONE) {
		rc = sp_store_error(db, err, "golden record: reading members");
		sp_finalize(s);
		sp_golden_members_free(m, *n);
		*n = 0;
		return rc;
	}
	sp_finalize(s);
	if (*n > 1)
		qsort(m, *n, sizeof(*m), golden_cmp);
	*out = m;
	return SP_OK;
}

void sp_golden_members_free(sp_golden_member *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free((char *)m[i].source), free((char *)m[i].source_key);
		free((char *)m[i].last_seen), free((char *)m[i].first_seen);
		for (int f = 0; f < SP_GOLDEN_ACTIVE; f++)
			free((char *)m[i].text[f]);
	}
	free(m);
}
