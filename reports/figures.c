/*
 * figures.c — the report's numbers from SQL. See figures.h for the definitions.
 *
 * Every query takes the year as text parameter ?1 ("2025"), ?2 = Y-12-31 where an "up to the end
 * of Y" bound is needed, and compares dates as ISO 8601 text, so a backfilled run counts in the
 * year of its logical date (run.as_of), not of the wall clock.
 */
#include "reports/figures.h"
#include "pipeline/hub.h"
#include "pipeline/select.h"
#include "pipeline/stage.h"
#include "core/date.h"
#include "reports/display.h"

#include <stdlib.h>
#include <string.h>


const sp_fig_def SP_FIG_DEFS[SP_FIG_NDEFS] = {
	[SP_FIG_PULLED] = { "records_pulled", "Records pulled",
			    "Records pulled: every row of the source files parsed by the runs of the year (a source "
			    "published as snapshots counts each snapshot parsed) = out of scope + rejected + already known + "
			    "in scope." },
	[SP_FIG_OUT_OF_SCOPE] = { "out_of_scope", "Out of scope",
				  "Out of scope: rows of those files left out by the pushdown filter (age, status, "
				  "activity codes)." },
	[SP_FIG_REJECTED] = { "rejected", "Rejected", "Rejected: rows of those files rejected as unreadable." },
	[SP_FIG_KNOWN] = { "already_known", "Already known",
			   "Already known: the other rows of those files that are no new record of the year: records "
			   "read again from a later snapshot, or dated in another year (a startup counts in the year of "
			   "its first sighting)." },
	[SP_FIG_IN_SCOPE] = { "in_scope", "In scope",
			      "In scope: source records first seen in the year (or first published in it, as the "
			      "startup's first-seen date) that passed the pushdown filter and validation, whether still "
			      "listed or gone since." },
	[SP_FIG_INTEGRATED] = { "integrated", "Unique startups",
				"Unique startups: startups first seen in the year (cohort), counted once across sources "
				"after de-duplication; same rows as `sparker export entities --year Y`." },
	[SP_FIG_QUALIFIED] = { "qualified", "Qualified",
			       "Qualified: startups of the cohort selected by the relevance filter; same rows as "
			       "`sparker export qualified --year Y`." },
	[SP_FIG_ACCOMPANIED] = { "accompanied", "Accompanied",
				 "Accompanied, Co-creation, Invested: startups of the cohort with that committee decision, "
				 "whatever its date. Decisions dated in the year for any cohort are shown beside them." },
	[SP_FIG_COCREATION] = { "cocreation", "Co-creation", NULL },
	[SP_FIG_INVESTED] = { "invested", "Invested", NULL },
	[SP_FIG_SRC_STARTUPS] = { "startups_with_a_record", "Startups with a record",
				  "Startups with a record (by source): unique startups of the cohort holding at least one "
				  "record of the source; a startup found by two sources counts for both, so the column adds "
				  "up to more than the unique startups." },
	[SP_FIG_DUPS] = { "duplicates", "Duplicates",
			  "Duplicates: records of the cohort's startups that joined a startup which already had an "
			  "earlier record." },
	[SP_FIG_RETURNING] = { "returning", "Returning startups",
			       "Returning startups: startups of an earlier cohort that the platform had seen before the "
			       "year and saw again in it (a source record it first saw in the year)." },
	[SP_FIG_TO_DECISION] = { "days_to_decision", "Days from first sighting to decision",
				 "Days from first sighting to decision: for each committee decision dated in the year "
				 "(declines included), the days since the startup was first seen; median and quartiles." },
	[SP_FIG_RESCOUTED] = { "rescouted", "Re-scouted after a decline",
			       "Re-scouted after a decline: startups declined by the committee before the year that a "
			       "source brought back in it (a source record the platform first saw in the year, the startup "
			       "having been seen before it)." },
	[SP_FIG_RUNS] = { "runs", "Runs",
			  "Runs of the year: runs whose logical date (as-of) falls in the year; runs that only wrote a "
			  "report are not counted." },
};

void sp_fig_pct(int64_t a, int64_t b, char *out, size_t n)
{
	double r = b > 0 ? 100.0 * (double)a / (double)b : 0;
	if (b <= 0)
		snprintf(out, n, "\xE2\x80\x93");
	else /* a small share keeps two decimals: 0.04 %, not 0.0 % */
		snprintf(out, n, a > 0 && r < 1 ? "%.2f %%" : "%.1f %%", r);
}

/* ---- continents ---------------------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *codes;
} continents[] = {
	{ "Europe", "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU "
		    "LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK UK EU" },
	{ "Asia", "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO "
		  "MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE" },
	{ "Africa", "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR "
		    "MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW" },
	{ "North America", "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI "
			   "PA PM PR SV SX TC TT US VC VG VI" },
	{ "South America", "AR BO BR CL CO EC FK GF GY PE PY SR UY VE" },
	{ "Oceania", "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS" },
	{ "Antarctica", "AQ BV GS HM TF" },
};

const char *sp_continent(const char *iso2)
{
	if (!iso2 || strlen(iso2) != 2)
		return "Unknown";
	char c[3] = { (char)(iso2[0] & ~0x20), (char)(iso2[1] & ~0x20), 0 };
	for (size_t i = 0; i < SP_ARRAY_LEN(continents); i++) {
		const char *p = continents[i].codes;
		for (; *p; p += p[2] ? 3 : 2)
			if (p[0] == c[0] && p[1] == c[1])
				return continents[i].name;
	}
	return "Unknown";
}

/* ---- small helpers ------------------------------------------------------------------------- */

struct q {
	sp_store *db;
	sp_stmt *s;
	sp_err *err;
	char year[8], end[16], prev[8];
};

static int q_prep(struct q *q, const char *sql, const char *year)
{
	if (sp_store_prepare(q->db, sql, &q->s, q->err) != SP_OK)
		return SP_EDB;
	int n = sp_stmt_params(q->s);
	char end[16];
	snprintf(end, sizeof(end), "%s-12-31", year);
	if (n >= 1)
		sp_bind_text(q->s, 1, year);
	if (n >= 2)
		sp_bind_textn(q->s, 2, end, -1);
	return SP_OK;
}

/* Step: 1 = row, 0 = done, <0 = error (statement finalized). */
static int q_step(struct q *q)
{
	int rc = sp_step(q->s);
	if (rc == SP_ROW)
		return 1;
	if (rc == SP_DONE) {
		sp_finalize(q->s);
		q->s = NULL;
		return 0;
	}
	sp_store_error(q->db, q->err, "report figures");
	sp_finalize(q->s);
	q->s = NULL;
	return SP_EDB;
}

static int q_int(struct q *q, const char *sql, const char *year, int64_t *out)
{
	*out = 0;
	if (q_prep(q, sql, year) != SP_OK)
		return SP_EDB;
	int rc = q_step(q);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		*out = sp_col_int64(q->s, 0);
		sp_finalize(q->s);
		q->s = NULL;
	}
	return SP_OK;
}

static char *col_dup(sp_stmt *s, int i)
{
	const char *t = sp_col_text(s, i);
	return t ? sp_xstrdup(t) : NULL;
}

/* The integrated startups of cohort ?1 (the export's definition). */
#define ENT_CTE                                                                                                    \
	"WITH ent AS (SELECT e.id, e.country, e.first_seen FROM entity_live e"                                      \
	" WHERE e.cohort = CAST(?1 AS INTEGER)) "
/* a record is in scope in the year of its candidate's first_seen (min of first seen, published) */
#define REC_IN_YEAR(r) \
	"substr(coalesce((SELECT c.first_seen FROM candidate c WHERE c.record_id = " r ".id), " r ".first_seen), 1, 4) = ?1"
#define IN_SCOPE_YEAR REC_IN_YEAR("record")
/* a parse_stat row ps (LEFT JOIN run r) belongs to the year of its run's logical date */
#define PARSE_YEAR "substr(coalesce(r.as_of, ps.parsed_at), 1, 4) = ?1"
#define RUN_YEAR(col) "substr(" col ", 1, 4) = ?1"
/* runs that did more than write a report */
#define DATA_RUN(r) \
	"(NOT EXISTS (SELECT 1 FROM stage_run sr WHERE sr.run_id = " r ".id AND sr.stage = 'report')" \
	" OR EXISTS (SELECT 1 FROM stage_run sr WHERE sr.run_id = " r ".id AND sr.stage <> 'report'))"

static int load_funnel(struct q *q, const char *y, sp_fig_funnel *fu)
{
	memset(fu, 0, sizeof(*fu));
	if (q_prep(q, "SELECT coalesce(sum(ps.rows_read), 0), coalesce(sum(ps.rows_out_of_scope), 0),"
		      " coalesce(sum(ps.rows_rejected), 0) FROM parse_stat ps LEFT JOIN run r ON r.id = ps.run_id"
		      " WHERE " PARSE_YEAR, y))
		return SP_EDB;
	int rc = q_step(q);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		fu->pulled = sp_col_int64(q->s, 0), fu->out_of_scope = sp_col_int64(q->s, 1);
		fu->rejected = sp_col_int64(q->s, 2);
		sp_finalize(q->s);
		q->s = NULL;
	}
	if (q_int(q, "SELECT count(*) FROM record WHERE " IN_SCOPE_YEAR, y, &fu->in_scope) ||
	    q_int(q, ENT_CTE "SELECT count(*) FROM ent", y, &fu->integrated) ||
	    q_int(q, "SELECT count(*) FROM selection s JOIN entity e ON e.id = s.entity_id"
		     " WHERE s.qualified = 1 AND s.cohort = CAST(?1 AS INTEGER)", y, &fu->qualified))
		return SP_EDB;
	/* decisions in force, on the entity that carries each now (judgement.h, judgement_place) */
	if (q_prep(q, "SELECT j.value, count(DISTINCT e.id),"
		      " count(DISTINCT CASE WHEN e.cohort = CAST(?1 AS INTEGER) THEN e.id END),"
		      " count(DISTINCT CASE WHEN substr(j.date, 1, 4) = CAST(?1 AS TEXT) THEN e.id END)"
		      " FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1"
		      " JOIN entity e ON e.id = p.entity_id WHERE j.kind = 'decision' GROUP BY j.value", y))
		return SP_EDB;
	while ((rc = q_step(q)) == 1) {
		const char *d = sp_col_text(q->s, 0);
		int64_t coh = sp_col_int64(q->s, 2), iny = sp_col_int64(q->s, 3);
		if (!d)
			continue;
		if (!strcmp(d, "accompanied"))
			fu->accompanied = coh, fu->dec_accompanied = iny;
		else if (!strcmp(d, "cocreation"))
			fu->cocreation = coh, fu->dec_cocreation = iny;
		else if (!strcmp(d, "invested"))
			fu->invested = coh, fu->dec_invested = iny;
	}
	if (rc < 0)
		return rc;
	fu->known = fu->pulled - fu->out_of_scope - fu->rejected - fu->in_scope;
	return SP_OK;
}


/* ---- cross-year figures -------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The p-quantile of sorted v[0..n) by linear interpolation between ranks (n > 0). */
static double quantile(const double *v, int64_t n, double p)
{
	double pos = p * (double)(n - 1);
	int64_t lo = (int64_t)pos;
	double frac = pos - (double)lo;
	return lo + 1 < n ? v[lo] + frac * (v[lo + 1] - v[lo]) : v[lo];
}

/* decisions in force, on the entity that carries each now */
#define DECISION_ON(e) \
	"judgement_active j JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1 JOIN " e " ON e.id = p.entity_id"

static int load_cross(struct q *q, const char *y, sp_fig_cross *x)
{
	memset(x, 0, sizeof(*x));
	/* sightings by the platform (record.first_seen), not publication dates: a first load that
	 * finds a startup's records of several years at once shows no startup returning */
	if (q_int(q, "SELECT count(DISTINCT e.id) FROM entity_live e JOIN member m ON m.entity_id = e.id"
		     " JOIN record rc ON rc.id = m.record_id WHERE e.cohort < CAST(?1 AS INTEGER)"
		     " AND substr(rc.first_seen, 1, 4) = ?1 AND EXISTS (SELECT 1 FROM member m2 JOIN record r2"
		     " ON r2.id = m2.record_id WHERE m2.entity_id = e.id AND r2.first_seen < ?1)",
		  y, &x->returning) ||
	    q_int(q, "SELECT count(DISTINCT e.id) FROM " DECISION_ON("entity_live e") " WHERE j.kind = 'decision'"
		     " AND j.value = 'declined' AND j.date < ?1 AND EXISTS (SELECT 1 FROM member m JOIN record rc"
		     " ON rc.id = m.record_id WHERE m.entity_id = e.id AND substr(rc.first_seen, 1, 4) = ?1)"
		     " AND EXISTS (SELECT 1 FROM member m2 JOIN record r2 ON r2.id = m2.record_id"
		     " WHERE m2.entity_id = e.id AND r2.first_seen < ?1)",
		  y, &x->rescouted))
		return SP_EDB;
	if (q_prep(q, "SELECT e.first_seen, j.date FROM " DECISION_ON("entity e") " WHERE j.kind = 'decision'"
		      " AND substr(j.date, 1, 4) = ?1 AND e.first_seen IS NOT NULL", y))
		return SP_EDB;
	double *v = NULL;
	int64_t n = 0, cap = 0;
	int rc;
	while ((rc = q_step(q)) == 1) {
		char a[11], b[11];
		snprintf(a, sizeof(a), "%.10s", sp_col_text(q->s, 0) ? sp_col_text(q->s, 0) : "");
		snprintf(b, sizeof(b), "%.10s", sp_col_text(q->s, 1) ? sp_col_text(q->s, 1) : "");
		if (!sp_date_is_iso_valid(a) || !sp_date_is_iso_valid(b))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			v = sp_xrealloc(v, sizeof(*v) * (size_t)cap);
		}
		v[n++] = (double)(sp_date_days(b) - sp_date_days(a));
	}
	if (rc >= 0 && n) {
		qsort(v, (size_t)n, sizeof(*v), cmp_double);
		x->ndecisions = n;
		x->days_q1 = quantile(v, n, 0.25);
		x->days_median = quantile(v, n, 0.5);
		x->days_q3 = quantile(v, n, 0.75);
	}
	free(v);
	return rc < 0 ? rc : SP_OK;
}

/* The first load: the oldest run that wrote data, and when its date is in Y, the startups of
 * cohort Y first seen that day. */
static int load_first(struct q *q, sp_figures *f)
{
	int rc = q_prep(q, "SELECT r.id, r.as_of FROM run r WHERE EXISTS (SELECT 1 FROM stage_run sr WHERE sr.run_id = r.id"
			   " AND sr.stage <> 'report') AND ?1 = ?1 ORDER BY r.as_of, r.id", q->year);
	if (rc)
		return rc;
	if ((rc = q_step(q)) == 1) {
		f->first_load_run = sp_col_int64(q->s, 0);
		snprintf(f->first_load, sizeof(f->first_load), "%.10s", sp_col_text(q->s, 1) ? sp_col_text(q->s, 1) : "");
		sp_finalize(q->s);
		q->s = NULL;
	}
	if (rc < 0)
		return rc;
	if (strncmp(f->first_load, q->year, 4))
		return SP_OK;
	if ((rc = q_prep(q, "SELECT count(*) FROM entity_live e WHERE e.cohort = CAST(?1 AS INTEGER)"
			    " AND substr(e.first_seen, 1, 10) = ?2", q->year)))
		return rc;
	sp_bind_text(q->s, 2, f->first_load);
	if ((rc = q_step(q)) == 1) {
		f->first_load_n = sp_col_int64(q->s, 0);
		sp_finalize(q->s);
		q->s = NULL;
	}
	return rc < 0 ? rc : SP_OK;
}

/* The funnel and the cross-year figures of Y and the years before it. */
static int load_years(struct q *q, sp_figures *f)
{
	for (int i = 0; i < SP_FIG_NHIST; i++) {
		char y[8];
		snprintf(y, sizeof(y), "%04d", f->year - (SP_FIG_NHIST - 1) + i);
		int rc = load_funnel(q, y, &f->hist[i]);
		if (rc == SP_OK)
			rc = load_cross(q, y, &f->cross[i]);
		if (rc != SP_OK)
			return rc;
	}
	f->cur = f->hist[SP_FIG_NHIST - 1];
	f->prev = f->hist[SP_FIG_NHIST - 2];
	return load_first(q, f);
}

/* ---- growable arrays of counts ------------------------------------------------------------- */

struct counts {
	sp_fig_count *v;
	int n, cap;
};

static sp_fig_count *counts_get(struct counts *c, const char *key)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = sp_xrealloc(c->v, sizeof(*c->v) * (size_t)c->cap);
	}
	sp_fig_count *e = &c->v[c->n++];
	e->key = sp_xstrdup(key);
	e->label = NULL;
	e->a = e->b = 0;
	return e;
}

static int cmp_count(const void *a, const void *b)
{
	const sp_fig_count *x = a, *y = b;
	if (x->a != y->a)
		return x->a > y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b > y->b ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Split score.domains ("a;b", "a, b", "a|b") and count each domain once per startup. */
static void add_domains(struct counts *c, const char *domains, int qualified)
{
	if (!domains || !*domains) {
		sp_fig_count *e = counts_get(c, "(no domain)");
		e->a++, e->b += qualified;
		return;
	}
	char *d = sp_xstrdup(domains);
	char *seen[64];
	int nseen = 0;
	for (char *tok = strtok(d, ";,|"); tok; tok = strtok(NULL, ";,|")) {
		while (*tok == ' ')
			tok++;
		size_t l = strlen(tok);
		while (l && tok[l - 1] == ' ')
			tok[--l] = 0;
		char *colon = strchr(tok, ':'); /* "domain:weight" */
		if (colon)
			*colon = 0;
		if (!*tok)
			continue;
		int dup = 0;
		for (int i = 0; i < nseen; i++)
			if (!strcmp(seen[i], tok))
				dup = 1;
		if (dup || nseen == 64)
			continue;
		seen[nseen++] = tok;
		sp_fig_count *e = counts_get(c, tok);
		e->a++, e->b += qualified;
	}
	if (!nseen) {
		sp_fig_count *e = counts_get(c, "(no domain)");
		e->a++, e->b += qualified;
	}
	free(d);
}

static int load_breakdowns(struct q *q, sp_figures *f)
{
	struct counts dom = { 0 }, reg = { 0 }, cty = { 0 };
	int rc = q_prep(q, ENT_CTE
			"SELECT ent.country, coalesce(sc.domains, (SELECT group_concat(domain, ';') FROM"
			" (SELECT DISTINCT domain FROM tag t WHERE t.entity_id = ent.id ORDER BY domain))),"
			" coalesce((SELECT s.qualified FROM selection s WHERE s.entity_id = ent.id AND s.cohort = CAST(?1 AS INTEGER)), 0),"
			" substr(ent.first_seen, 1, 4), substr(ent.first_seen, 6, 2)"
			" FROM ent LEFT JOIN score sc ON sc.entity_id = ent.id ORDER BY ent.id",
			q->year);
	if (rc)
		return rc;
	while ((rc = q_step(q)) == 1) {
		const char *country = sp_col_text(q->s, 0);
		const char *domains = sp_col_text(q->s, 1);
		int qual = sp_col_int(q->s, 2) ? 1 : 0;
		const char *fy = sp_col_text(q->s, 3);
		const char *fm = sp_col_text(q->s, 4);
		add_domains(&dom, domains, qual);
		char cc[3] = "??";
		if (country && strlen(country) == 2)
			cc[0] = (char)(country[0] & ~0x20), cc[1] = (char)(country[1] & ~0x20);
		sp_fig_count *e = counts_get(&cty, cc);
		e->a++, e->b += qual;
		e = counts_get(&reg, sp_continent(cc));
		e->a++, e->b += qual;
		int m = (fy && fm && !strcmp(fy, q->year)) ? atoi(fm) : 0;
		if (m < 1 || m > 12)
			m = 0;
		f->month_int[m]++;
		f->month_qual[m] += qual;
	}
	if (rc < 0)
		return rc;
	if (dom.n) { /* all three are empty together */
		qsort(dom.v, (size_t)dom.n, sizeof(*dom.v), cmp_count);
		qsort(reg.v, (size_t)reg.n, sizeof(*reg.v), cmp_count);
		qsort(cty.v, (size_t)cty.n, sizeof(*cty.v), cmp_count);
	}
	f->domains = dom.v, f->ndomains = dom.n;
	f->regions = reg.v, f->nregions = reg.n;
	f->countries = cty.v, f->ncountries = cty.n;
	return SP_OK;
}

/* ---- hubs ---------------------------------------------------------------------------------- */

static int64_t hub_target(const sp_config *cfg, const char *sec, const char *key)
{
	return sp_config_str(cfg, sec, sp_report_keys, key) ? sp_config_int(cfg, sec, sp_report_keys, key) : -1;
}

static sp_fig_hub *hub_line(sp_figures *f, const char *name)
{
	for (int i = 0; i < f->nhubs; i++)
		if (!strcmp(f->hubs[i].name, name))
			return &f->hubs[i];
	return &f->hubs[f->nhubs - 1]; /* "other" */
}

/* The hubs' lines: the country counts (load_breakdowns) folded by sp_hub_of_country, and the
 * accompanied startups of the cohort by country, folded the same way. */
static int load_hubs(struct q *q, const sp_config *cfg, sp_figures *f)
{
	int n = sp_hub_count(cfg), it = 0, rc;
	if (!n)
		return SP_OK;
	f->hubs = sp_xcalloc((size_t)n + 1, sizeof(*f->hubs));
	const char *h;
	while ((h = sp_hub_next(cfg, &it))) {
		sp_fig_hub *x = &f->hubs[f->nhubs++];
		char sec[256];
		sp_hub_section(h, sec, sizeof(sec));
		x->name = sp_xstrdup(h), x->label = sp_xstrdup(sp_hub_label(cfg, h));
		x->target_int_min = hub_target(cfg, sec, "target_integrated_min");
		x->target_int_max = hub_target(cfg, sec, "target_integrated_max");
		x->target_acc = hub_target(cfg, sec, "target_accompanied");
	}
	sp_fig_hub *o = &f->hubs[f->nhubs++];
	o->name = sp_xstrdup(SP_HUB_OTHER), o->label = sp_xstrdup(SP_HUB_OTHER);
	o->target_int_min = o->target_int_max = o->target_acc = -1;
	for (int i = 0; i < f->ncountries; i++) {
		sp_fig_hub *x = hub_line(f, sp_hub_of_country(cfg, f->countries[i].key));
		x->integrated += f->countries[i].a, x->qualified += f->countries[i].b;
	}
	if ((rc = q_prep(q, "SELECT e.country, count(DISTINCT e.id) FROM judgement_active j"
			    " JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1 JOIN entity e ON e.id = p.entity_id"
			    " WHERE j.kind = 'decision' AND j.value = 'accompanied' AND e.cohort = CAST(?1 AS INTEGER)"
			    " GROUP BY e.country", q->year)))
		return rc;
	while ((rc = q_step(q)) == 1)
		hub_line(f, sp_hub_of_country(cfg, sp_col_text(q->s, 0)))->accompanied += sp_col_int64(q->s, 1);
	return rc < 0 ? rc : SP_OK;
}

static sp_fig_source *source_get(sp_figures *f, const char *name, int *cap)
{
	for (int i = 0; i < f->nsources; i++)
		if (!strcmp(f->sources[i].name, name))
			return &f->sources[i];
	if (f->nsources == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		f->sources = sp_xrealloc(f->sources, sizeof(*f->sources) * (size_t)*cap);
	}
	sp_fig_source *s = &f->sources[f->nsources++];
	memset(s, 0, sizeof(*s));
	s->name = sp_xstrdup(name);
	return s;
}

static int load_sources(struct q *q, const sp_config *cfg, sp_figures *f)
{
	int cap = 0, rc;
	for (int i = 0; i < cfg->nsources; i++)
		source_get(f, cfg->sources[i].name, &cap)->url = sp_xstrdup(cfg->sources[i].url);
	int nconf = f->nsources;
	/* sources known only from the data, by name */
	if ((rc = q_prep(q, "SELECT source FROM fetch UNION SELECT source FROM record UNION SELECT source FROM parse_stat"
			    " ORDER BY 1", q->year)))
		return rc;
	while ((rc = q_step(q)) == 1)
		source_get(f, sp_col_text(q->s, 0), &cap);
	if (rc < 0)
		return rc;
	(void)nconf;

	static const char *const sql[] = {
		/* 0: pulled, out of scope, rejected */
		"SELECT ps.source, sum(ps.rows_read), sum(ps.rows_out_of_scope), sum(ps.rows_rejected) FROM parse_stat ps"
		" LEFT JOIN run r ON r.id = ps.run_id WHERE " PARSE_YEAR " GROUP BY ps.source",
		/* 1: in scope */
		"SELECT source, count(*) FROM record WHERE " IN_SCOPE_YEAR " GROUP BY source",
		/* 2: unique startups contributed */
		ENT_CTE "SELECT r.source, count(DISTINCT m.entity_id) FROM member m JOIN ent ON ent.id = m.entity_id"
			" JOIN record r ON r.id = m.record_id GROUP BY r.source",
		/* 3: duplicates: records that joined a startup that already had an earlier record */
		ENT_CTE "SELECT r.source, count(*) FROM (SELECT m.record_id, row_number() OVER (PARTITION BY m.entity_id"
			" ORDER BY m.record_id) AS rn FROM member m JOIN ent ON ent.id = m.entity_id) x"
			" JOIN record r ON r.id = x.record_id WHERE x.rn > 1 GROUP BY r.source",
		/* 4: last good snapshot up to the end of Y */
		"SELECT f.source, max(coalesce(r.as_of, substr(f.fetched_at, 1, 10))) FROM fetch f LEFT JOIN run r ON r.id = f.run_id"
		" WHERE f.status <> 'failed' AND coalesce(r.as_of, substr(f.fetched_at, 1, 10)) <= ?2 AND ?1 = ?1 GROUP BY f.source",
	};
	for (int k = 0; k < (int)SP_ARRAY_LEN(sql); k++) {
		if ((rc = q_prep(q, sql[k], q->year)))
			return rc;
		while ((rc = q_step(q)) == 1) {
			const char *name = sp_col_text(q->s, 0);
			if (!name)
				continue;
			sp_fig_source *s = source_get(f, name, &cap);
			int64_t v = sp_col_int64(q->s, 1);
			switch (k) {
			case 0:
				s->pulled = v;
				s->out_of_scope = sp_col_int64(q->s, 2);
				s->rejected = sp_col_int64(q->s, 3);
				break;
			case 1: s->in_scope = v; break;
			case 2: s->unique = v; break;
			case 3: s->dups = v; f->dup_records += v; break;
			case 4: {
				const char *d = sp_col_text(q->s, 1);
				snprintf(s->last_good, sizeof(s->last_good), "%.10s", d ? d : "");
				break;
			}
			}
		}
		if (rc < 0)
			return rc;
	}
	for (int i = 0; i < f->nsources; i++) { /* the rest of the rows read (figures.h) */
		sp_fig_source *x = &f->sources[i];
		x->known = x->pulled - x->out_of_scope - x->rejected - x->in_scope;
	}
	/* failure streaks: consecutive failed fetches, in fetch order */
	if ((rc = q_prep(q, "SELECT f.source, f.status, coalesce(r.as_of, substr(f.fetched_at, 1, 10)) AS d FROM fetch f"
			    " LEFT JOIN run r ON r.id = f.run_id WHERE coalesce(r.as_of, substr(f.fetched_at, 1, 10)) <= ?2 AND ?1 = ?1"
			    " ORDER BY f.source, f.id", q->year)))
		return rc;
	sp_fig_source *cur = NULL;
	int streak = 0;
	while ((rc = q_step(q)) == 1) {
		const char *name = sp_col_text(q->s, 0);
		const char *st = sp_col_text(q->s, 1);
		const char *d = sp_col_text(q->s, 2);
		if (!name)
			continue;
		if (!cur || strcmp(cur->name, name)) {
			if (cur)
				cur->streak_end = streak;
			cur = source_get(f, name, &cap);
			streak = 0;
		}
		if (st && !strcmp(st, "failed")) {
			streak++;
			if (d && !strncmp(d, q->year, 4) && streak > cur->streak_max)
				cur->streak_max = streak;
		} else {
			streak = 0;
		}
	}
	if (cur)
		cur->streak_end = streak;
	return rc < 0 ? rc : SP_OK;
}

/*
 * The main reason of a score, a relevance reason and never a committee decision or a pin (the
 * selection writes those in front of the score's reasons, select.c). score.c writes "score S =
 * evidence E + ... . Startup: ...; website W. Domain D: hit (source X) +w; hit +w. Domain2 ...",
 * best domain first, so the main reason is "Domain: first hit" without its source and weight.
 * Other texts: their first part (up to ';', '|' or a newline) that is not a decision or a pin.
 * NULL when there is none.
 */
static int is_judgement_text(const char *s)
{
	return !strncmp(s, "committee decision", 18) || !strncmp(s, "pinned ", 7);
}

/* "Label 7.5: first hit (source x:y) +3; ..." -> "Label: first hit" or NULL when seg is no domain's. */
static char *domain_reason(const char *seg, size_t n)
{
	const char *colon = memchr(seg, ':', n);
	if (!colon || colon == seg)
		return NULL;
	const char *lab_end = colon;
	while (lab_end > seg && ((lab_end[-1] >= '0' && lab_end[-1] <= '9') || lab_end[-1] == '.'))
		lab_end--;
	if (lab_end == colon || lab_end == seg || lab_end[-1] != ' ')
		return NULL; /* no score after the label: not a domain ("Startup: ...") */
	const char *h = colon + 1, *end = seg + n;
	while (h < end && *h == ' ')
		h++;
	size_t hn = 0;
	while (h + hn < end && h[hn] != ';')
		hn++;
	const char *src = NULL;
	for (size_t i = 0; i + 8 <= hn; i++)
		if (!strncmp(h + i, " (source ", 9)) {
			src = h + i;
			break;
		}
	if (src)
		hn = (size_t)(src - h);
	while (hn && (h[hn - 1] == ' ' || (h[hn - 1] >= '0' && h[hn - 1] <= '9') || h[hn - 1] == '.' || h[hn - 1] == '+'))
		hn--; /* " +3" */
	sp_buf b = SP_BUF_INIT;
	sp_buf_add(&b, seg, (size_t)(lab_end - 1 - seg));
	sp_buf_adds(&b, ": ");
	sp_buf_add(&b, h, hn);
	return sp_buf_detach(&b);
}

static char *main_reason(const char *rs)
{
	if (!rs)
		return NULL;
	/* the judgement prefixes ("committee decision accompanied (counts as pinned in). score ...") */
	while (is_judgement_text(rs)) {
		const char *dot = strstr(rs, ". ");
		if (!dot)
			return NULL;
		rs = dot + 2;
	}
	if (!strncmp(rs, "score ", 6)) {
		const char *first = NULL;
		for (const char *seg = strstr(rs, ". "); seg; seg = strstr(seg, ". ")) {
			seg += 2;
			const char *e = strstr(seg, ". ");
			size_t n = e ? (size_t)(e - seg) : strlen(seg);
			char *r = domain_reason(seg, n);
			if (r)
				return r;
			if (!first)
				first = seg;
		}
		if (!first)
			return NULL;
		rs = first;
	}
	for (;;) {
		while (*rs == ' ' || *rs == '[' || *rs == '"')
			rs++;
		size_t n = strcspn(rs, ";|\n");
		if (is_judgement_text(rs) && rs[n]) {
			rs += n + 1;
			continue;
		}
		if (is_judgement_text(rs))
			return NULL;
		while (n && (rs[n - 1] == ' ' || rs[n - 1] == '"' || rs[n - 1] == ']' || rs[n - 1] == '.'))
			n--;
		return n ? sp_xstrndup(rs, n) : NULL;
	}
}

static int load_qualified(struct q *q, sp_figures *f)
{
	int rc = q_prep(q, "SELECT e.id, e.name, e.country, sc.domains, e.founded, e.website, sc.score, sc.reasons"
			   " FROM selection s JOIN entity e ON e.id = s.entity_id LEFT JOIN score sc ON sc.entity_id = e.id"
			   " WHERE s.qualified = 1 AND s.cohort = CAST(?1 AS INTEGER) ORDER BY sc.score DESC, e.id",
			q->year);
	if (rc)
		return rc;
	int cap = 0;
	while ((rc = q_step(q)) == 1) {
		if (f->nqual == cap) {
			cap = cap ? 2 * cap : 64;
			f->qual = sp_xrealloc(f->qual, sizeof(*f->qual) * (size_t)cap);
		}
		sp_fig_qual *r = &f->qual[f->nqual++];
		r->id = sp_col_int64(q->s, 0);
		r->name = sp_display_name(sp_col_text(q->s, 1));
		r->country = col_dup(q->s, 2);
		r->domains = col_dup(q->s, 3);
		r->founded = col_dup(q->s, 4);
		r->website = sp_display_website(sp_col_text(q->s, 5));
		r->score = sp_col_double(q->s, 6);
		r->reason = main_reason(sp_col_text(q->s, 7));
	}
	return rc < 0 ? rc : SP_OK;
}

static int load_ops(struct q *q, sp_figures *f)
{
	int rc = q_prep(q, "SELECT r.status, count(*) FROM run r WHERE " RUN_YEAR("r.as_of") " AND " DATA_RUN("r")
			   " GROUP BY r.status", q->year);
	if (rc)
		return rc;
	while ((rc = q_step(q)) == 1) {
		const char *st = sp_col_text(q->s, 0);
		int64_t n = sp_col_int64(q->s, 1);
		if (!st)
			f->runs_other += n;
		else if (!strcmp(st, "ok"))
			f->runs_ok += n;
		else if (!strcmp(st, "partial"))
			f->runs_partial += n;
		else if (!strcmp(st, "failed"))
			f->runs_failed += n;
		else if (!strcmp(st, "killed"))
			f->runs_killed += n;
		else
			f->runs_other += n;
	}
	if (rc < 0)
		return rc;
	/* rejects of the parses of Y */
	if ((rc = q_prep(q, "SELECT rj.source, rj.reason, count(*) FROM reject rj LEFT JOIN run r ON r.id = rj.run_id"
			    " LEFT JOIN parse_stat ps ON ps.fetch_id = rj.fetch_id LEFT JOIN run r2 ON r2.id = ps.run_id"
			    " WHERE substr(coalesce(r.as_of, r2.as_of, ps.parsed_at), 1, 4) = ?1"
			    " GROUP BY rj.source, rj.reason ORDER BY rj.source, 3 DESC, rj.reason", q->year)))
		return rc;
	int cap = 0;
	while ((rc = q_step(q)) == 1) {
		if (f->nrejects == cap) {
			cap = cap ? 2 * cap : 32;
			f->rejects = sp_xrealloc(f->rejects, sizeof(*f->rejects) * (size_t)cap);
		}
		sp_fig_reject *r = &f->rejects[f->nrejects++];
		r->source = col_dup(q->s, 0);
		r->reason = col_dup(q->s, 1);
		r->n = sp_col_int64(q->s, 2);
	}
	if (rc < 0)
		return rc;
	if ((rc = q_int(q, "SELECT count(*) FROM entity_merge em JOIN run r ON r.id = em.run_id WHERE " RUN_YEAR("r.as_of"),
			q->year, &f->entity_merges)))
		return rc;
	if ((rc = q_int(q, "SELECT coalesce(max(r.id), 0) FROM run r WHERE EXISTS (SELECT 1 FROM stage_run sr"
			   " WHERE sr.run_id = r.id AND sr.stage <> 'report') AND ?1 = ?1", q->year, &f->data_run)))
		return rc;
	/* run ids of Y as ranges */
	if ((rc = q_prep(q, "SELECT r.id FROM run r WHERE " RUN_YEAR("r.as_of") " AND " DATA_RUN("r") " ORDER BY r.id",
			 q->year)))
		return rc;
	sp_buf b = SP_BUF_INIT;
	int64_t lo = -1, hi = -1;
	while ((rc = q_step(q)) == 1) {
		int64_t id = sp_col_int64(q->s, 0);
		if (lo >= 0 && id == hi + 1) {
			hi = id;
			continue;
		}
		if (lo >= 0)
			sp_buf_addf(&b, lo == hi ? "%s%lld" : "%s%lld-%lld", b.len ? ", " : "", (long long)lo, (long long)hi);
		lo = hi = id;
	}
	if (lo >= 0)
		sp_buf_addf(&b, lo == hi ? "%s%lld" : "%s%lld-%lld", b.len ? ", " : "", (long long)lo, (long long)hi);
	sp_buf_adds(&b, "");
	f->run_ids = sp_buf_detach(&b);
	if (rc < 0)
		return rc;
	if ((rc = q_prep(q, "SELECT DISTINCT r.config_hash FROM run r WHERE " RUN_YEAR("r.as_of") " AND " DATA_RUN("r")
			    " AND r.config_hash IS NOT NULL ORDER BY 1", q->year)))
		return rc;
	while ((rc = q_step(q)) == 1)
		sp_buf_addf(&b, "%s%s", b.len ? ", " : "", sp_col_text(q->s, 0));
	sp_buf_adds(&b, "");
	f->config_hashes = sp_buf_detach(&b);
	return rc < 0 ? rc : SP_OK;
}

static int load_lineage(struct q *q, sp_figures *f)
{
	/* the snapshots parsed in Y, and the snapshots the cohort's records were last read from */
	int rc = q_prep(q, ENT_CTE
			", used AS (SELECT ps.fetch_id AS id FROM parse_stat ps LEFT JOIN run r ON r.id = ps.run_id"
			"  WHERE substr(coalesce(r.as_of, ps.parsed_at), 1, 4) = ?1"
			" UNION SELECT DISTINCT rc.fetch_id FROM member m JOIN ent ON ent.id = m.entity_id"
			"  JOIN record rc ON rc.id = m.record_id WHERE rc.fetch_id IS NOT NULL)"
			"SELECT f.id, f.source, f.url, coalesce(r.as_of, substr(f.fetched_at, 1, 10)), f.sha256 FROM used"
			" JOIN fetch f ON f.id = used.id LEFT JOIN run r ON r.id = f.run_id ORDER BY f.source, f.id",
			q->year);
	if (rc)
		return rc;
	int cap = 0;
	while ((rc = q_step(q)) == 1) {
		if (f->nsnaps == cap) {
			cap = cap ? 2 * cap : 32;
			f->snaps = sp_xrealloc(f->snaps, sizeof(*f->snaps) * (size_t)cap);
		}
		sp_fig_snap *s = &f->snaps[f->nsnaps++];
		s->fetch_id = sp_col_int64(q->s, 0);
		s->source = col_dup(q->s, 1);
		s->url = col_dup(q->s, 2);
		s->date = col_dup(q->s, 3);
		s->sha256 = col_dup(q->s, 4);
	}
	return rc < 0 ? rc : SP_OK;
}

const sp_config_key sp_report_keys[] = {
	{ "report", "target_integrated_min", SP_KEY_INT, .def = "3000", .min = 0, .max = SP_KEY_ANY },
	{ "report", "target_integrated_max", SP_KEY_INT, .def = "4000", .min = 0, .max = SP_KEY_ANY },
	{ "report", "target_accompanied", SP_KEY_INT, .def = "30", .min = 0, .max = SP_KEY_ANY },
	/* a hub's own targets (pipeline/hub.h; the hub's other keys are there): none by default */
	{ "hub *", "target_integrated_min", SP_KEY_INT, .min = 0, .max = SP_KEY_ANY },
	{ "hub *", "target_integrated_max", SP_KEY_INT, .min = 0, .max = SP_KEY_ANY },
	{ "hub *", "target_accompanied", SP_KEY_INT, .min = 0, .max = SP_KEY_ANY },
	{ 0 },
};

/* What the renderers print from the config and the program (figures.h): resolved here once. */
static int load_labels(const sp_config *cfg, sp_figures *f)
{
	f->programme = sp_xstrdup(cfg->programme ? cfg->programme : "");
	f->config_sha256 = sp_xstrdup(cfg->sha256);
	f->version = sp_xstrdup(SP_VERSION);
	for (int i = 0; i < f->ndomains; i++) { /* a domain's label from its [taxonomy KEY] section, else the key */
		char sec[256];
		snprintf(sec, sizeof(sec), "taxonomy %s", f->domains[i].key);
		f->domains[i].label = sp_xstrdup(sp_config_get(cfg, sec, "label", f->domains[i].key));
	}
	return SP_OK;
}

int sp_figures_load(sp_store *db, const sp_config *cfg, int year, sp_figures *f, sp_err *err)
{
	memset(f, 0, sizeof(*f));
	f->year = year;
	f->target_int_min = sp_config_int(cfg, "report", sp_report_keys, "target_integrated_min");
	f->target_int_max = sp_config_int(cfg, "report", sp_report_keys, "target_integrated_max");
	f->target_acc = sp_config_int(cfg, "report", sp_report_keys, "target_accompanied");
	if (sp_select_band(cfg, &f->band_min, &f->band_max, err) != SP_OK) /* as the selection reads it */
		return err->code;

	struct q q = { .db = db, .err = err };
	snprintf(q.year, sizeof(q.year), "%04d", year);
	snprintf(q.prev, sizeof(q.prev), "%04d", year - 1);
	snprintf(q.end, sizeof(q.end), "%04d-12-31", year);
	int rc;
	/* one read transaction: every figure from the same state of the database */
	if ((rc = sp_store_exec(db, "BEGIN", err)) != SP_OK)
		return rc;
	if ((rc = load_years(&q, f)) || (rc = load_breakdowns(&q, f)) || (rc = load_labels(cfg, f)) ||
	    (rc = load_hubs(&q, cfg, f)) || (rc = load_sources(&q, cfg, f)) ||
	    (rc = load_qualified(&q, f)) || (rc = load_ops(&q, f)) || (rc = load_lineage(&q, f))) {
		sp_err saved = *err;
		sp_store_exec(db, "ROLLBACK", err);
		*err = saved;
		sp_err_prefix(err, "report %d", year);
		return SP_EDB;
	}
	sp_store_exec(db, "COMMIT", err);
	return SP_OK;
}

void sp_figures_release(sp_figures *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->ndomains; i++)
		free(f->domains[i].key), free(f->domains[i].label);
	for (int i = 0; i < f->nregions; i++)
		free(f->regions[i].key), free(f->regions[i].label);
	for (int i = 0; i < f->ncountries; i++)
		free(f->countries[i].key), free(f->countries[i].label);
	for (int i = 0; i < f->nsources; i++)
		free(f->sources[i].name), free(f->sources[i].url);
	for (int i = 0; i < f->nqual; i++) {
		sp_fig_qual *r = &f->qual[i];
		free(r->name), free(r->country), free(r->domains), free(r->founded), free(r->website), free(r->reason);
	}
	for (int i = 0; i < f->nrejects; i++)
		free(f->rejects[i].source), free(f->rejects[i].reason);
	for (int i = 0; i < f->nhubs; i++)
		free(f->hubs[i].name), free(f->hubs[i].label);
	free(f->hubs);
	for (int i = 0; i < f->nsnaps; i++)
		free(f->snaps[i].source), free(f->snaps[i].url), free(f->snaps[i].date), free(f->snaps[i].sha256);
	free(f->domains), free(f->regions), free(f->countries), free(f->sources), free(f->qual), free(f->rejects);
	free(f->snaps), free(f->run_ids), free(f->config_hashes);
	free(f->programme), free(f->config_sha256), free(f->version);
	sp_fig_restate *r = &f->restate;
	for (int i = 0; i < r->nhubs; i++)
		free(r->hubs[i].name), free(r->hubs[i].label);
	for (int i = 0; i < r->nmoved; i++)
		free(r->moved[i].name);
	free(r->hubs), free(r->moved), free(r->runs);
	memset(f, 0, sizeof(*f));
}
