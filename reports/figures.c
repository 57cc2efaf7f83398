/*
 * figures.c — the report's numbers from SQL. See figures.h for the definitions.
 *
 * Every query takes the year as text parameter ?1 ("2025"), ?2 = Y-12-31 where an "up to the end
 * of Y" bound is needed, and compares dates as ISO 8601 text, so a backfilled run counts in the
 * year of its logical date (run.as_of), not of the wall clock.
 */
#include "reports/figures.h"
#include "reports/csv_out.h"
#include "pipeline/select.h"
#include "pipeline/stage.h"

#include <stdlib.h>
#include <string.h>


const char *const SP_FIG_DEFINITIONS[][2] = {
	{ "records_pulled", "Records pulled: the records in scope, plus the rows that the pushdown filter left out "
			    "and the rows rejected as unreadable in the source files parsed by the runs of the year." },
	{ "in_scope", "In scope: source records first seen in the year (or first published in it, as the startup's "
		      "first-seen date) that passed the pushdown filter (age, status, activity codes) and validation, "
		      "whether still listed or gone since." },
	{ "integrated", "Unique startups (integrated): startups first seen in the year (cohort), counted once "
			"across sources after de-duplication; same rows as `sparker export entities --year Y`." },
	{ "qualified", "Qualified: startups of the cohort selected by the relevance filter; same rows as "
		       "`sparker export qualified --year Y`." },
	{ "decisions", "Accompanied, co-creation, invested: startups of the cohort with that committee decision, "
		       "whatever its date. Decisions dated in the year for any cohort are shown beside them." },
	{ "runs", "Runs of the year: runs whose logical date (as-of) falls in the year; runs that only wrote a "
		  "report are not counted." },
	{ NULL, NULL },
};

void sp_fig_pct(int64_t a, int64_t b, char *out, size_t n)
{
	if (b <= 0)
		snprintf(out, n, "\xE2\x80\x93");
	else
		snprintf(out, n, "%.1f %%", 100.0 * (double)a / (double)b);
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
#define IN_SCOPE_YEAR                                                                                              \
	"substr(coalesce((SELECT c.first_seen FROM candidate c WHERE c.record_id = record.id), record.first_seen), 1, 4) = ?1"
#define RUN_YEAR(col) "substr(" col ", 1, 4) = ?1"
/* runs that did more than write a report */
#define DATA_RUN(r) \
	"(NOT EXISTS (SELECT 1 FROM stage_run sr WHERE sr.run_id = " r ".id AND sr.stage = 'report')" \
	" OR EXISTS (SELECT 1 FROM stage_run sr WHERE sr.run_id = " r ".id AND sr.stage <> 'report'))"

static int load_funnel(struct q *q, const char *y, sp_fig_funnel *fu)
{
	memset(fu, 0, sizeof(*fu));
	if (q_int(q, "SELECT coalesce(sum(ps.rows_out_of_scope + ps.rows_rejected), 0) FROM parse_stat ps"
		     " LEFT JOIN run r ON r.id = ps.run_id WHERE substr(coalesce(r.as_of, ps.parsed_at), 1, 4) = ?1", y, &fu->pulled) ||
	    q_int(q, "SELECT count(*) FROM record WHERE " IN_SCOPE_YEAR, y, &fu->in_scope) ||
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
	int rc;
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
	fu->pulled += fu->in_scope;
	return SP_OK;
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
		" LEFT JOIN run r ON r.id = ps.run_id WHERE substr(coalesce(r.as_of, ps.parsed_at), 1, 4) = ?1 GROUP BY ps.source",
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
 * The main reason of a score: score.c writes "score S = evidence E + ... . Domain D: hit +w; hit +w.
 * Domain2 ...", best domain first, so the main reason is "Domain: first hit". Other texts: their
 * first part (up to ';', '|' or a newline).
 */
static char *main_reason(const char *rs)
{
	if (!rs)
		return NULL;
	const char *dot = !strncmp(rs, "score ", 6) ? strstr(rs, ". ") : NULL;
	if (dot) {
		const char *d = dot + 2, *colon = strchr(d, ':');
		if (colon) {
			const char *lab_end = colon;
			/* "Label 7.5:" -> "Label" */
			while (lab_end > d && lab_end[-1] != ' ')
				lab_end--;
			if (lab_end > d)
				lab_end--;
			const char *h = colon + 1;
			while (*h == ' ')
				h++;
			size_t hn = strcspn(h, ";");
			const char *next = strstr(h, ". ");
			if (next && (size_t)(next - h) < hn)
				hn = (size_t)(next - h);
			sp_buf b = SP_BUF_INIT;
			sp_buf_add(&b, d, (size_t)(lab_end - d));
			sp_buf_adds(&b, ": ");
			sp_buf_add(&b, h, hn);
			return sp_buf_detach(&b);
		}
	}
	while (*rs == ' ' || *rs == '[' || *rs == '"')
		rs++;
	size_t n = strcspn(rs, ";|\n");
	while (n && (rs[n - 1] == ' ' || rs[n - 1] == '"' || rs[n - 1] == ']'))
		n--;
	return sp_xstrndup(rs, n);
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
		r->name = col_dup(q->s, 1);
		r->country = col_dup(q->s, 2);
		r->domains = col_dup(q->s, 3);
		r->founded = col_dup(q->s, 4);
		r->website = col_dup(q->s, 5);
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
	{ 0 },
};

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
	if ((rc = load_funnel(&q, q.year, &f->cur)) || (rc = load_funnel(&q, q.prev, &f->prev)) ||
	    (rc = load_breakdowns(&q, f)) || (rc = load_sources(&q, cfg, f)) || (rc = load_qualified(&q, f)) ||
	    (rc = load_ops(&q, f)) || (rc = load_lineage(&q, f))) {
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
		free(f->domains[i].key);
	for (int i = 0; i < f->nregions; i++)
		free(f->regions[i].key);
	for (int i = 0; i < f->ncountries; i++)
		free(f->countries[i].key);
	for (int i = 0; i < f->nsources; i++)
		free(f->sources[i].name), free(f->sources[i].url);
	for (int i = 0; i < f->nqual; i++) {
		sp_fig_qual *r = &f->qual[i];
		free(r->name), free(r->country), free(r->domains), free(r->founded), free(r->website), free(r->reason);
	}
	for (int i = 0; i < f->nrejects; i++)
		free(f->rejects[i].source), free(f->rejects[i].reason);
	for (int i = 0; i < f->nsnaps; i++)
		free(f->snaps[i].source), free(f->snaps[i].url), free(f->snaps[i].date), free(f->snaps[i].sha256);
	free(f->domains), free(f->regions), free(f->countries), free(f->sources), free(f->qual), free(f->rejects);
	free(f->snaps), free(f->run_ids), free(f->config_hashes);
	memset(f, 0, sizeof(*f));
}

/* ---- CSV ----------------------------------------------------------------------------------- */

static void row(FILE *o, const char *section, const char *key, const char *metric, const char *value)
{
	sp_csv_field(o, section, 0);
	sp_csv_field(o, key, 0);
	sp_csv_field(o, metric, 0);
	sp_csv_field(o, value, 1);
}

static void rowi(FILE *o, const char *section, const char *key, const char *metric, int64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", (long long)v);
	row(o, section, key, metric, b);
}

static void rowf(FILE *o, const char *section, const char *key, const char *metric, double v)
{
	char b[64];
	snprintf(b, sizeof(b), "%.4f", v);
	row(o, section, key, metric, b);
}

static void funnel_csv(FILE *o, const char *sec, const sp_fig_funnel *fu)
{
	const int64_t v[] = { fu->pulled, fu->in_scope, fu->integrated, fu->qualified, fu->accompanied, fu->cocreation, fu->invested };
	static const char *const k[] = { "records_pulled", "in_scope", "integrated", "qualified", "accompanied", "cocreation", "invested" };
	for (int i = 0; i < 7; i++) {
		rowi(o, sec, k[i], "count", v[i]);
		if (i > 0 && v[i - 1] > 0)
			rowf(o, sec, k[i], "rate_from_previous", (double)v[i] / (double)v[i - 1]);
	}
	rowi(o, sec, "accompanied_decided_in_year", "count", fu->dec_accompanied);
	rowi(o, sec, "cocreation_decided_in_year", "count", fu->dec_cocreation);
	rowi(o, sec, "invested_decided_in_year", "count", fu->dec_invested);
}

void sp_figures_csv(const sp_figures *f, const sp_config *cfg, const char *written, FILE *o)
{
	char y[16], m[8];
	fputs("section,key,metric,value\n", o);
	snprintf(y, sizeof(y), "%d", f->year);
	row(o, "report", "year", "value", y);
	row(o, "report", "programme", "value", cfg->programme ? cfg->programme : "");
	row(o, "report", "written", "value", written);
	rowi(o, "report", "data_run", "value", f->data_run);
	row(o, "report", "sparker_version", "value", SP_VERSION);
	for (int i = 0; SP_FIG_DEFINITIONS[i][0]; i++)
		row(o, "definition", SP_FIG_DEFINITIONS[i][0], "text", SP_FIG_DEFINITIONS[i][1]);
	rowi(o, "target", "integrated", "min", f->target_int_min);
	rowi(o, "target", "integrated", "max", f->target_int_max);
	rowf(o, "target", "qualified_rate", "min", f->band_min);
	rowf(o, "target", "qualified_rate", "max", f->band_max);
	rowi(o, "target", "accompanied", "value", f->target_acc);
	funnel_csv(o, "funnel", &f->cur);
	funnel_csv(o, "funnel_previous_year", &f->prev);
	if (f->cur.integrated)
		rowf(o, "funnel", "qualified", "rate_of_integrated", (double)f->cur.qualified / (double)f->cur.integrated);
	for (int i = 0; i < f->ndomains; i++) {
		rowi(o, "domain", f->domains[i].key, "integrated", f->domains[i].a);
		rowi(o, "domain", f->domains[i].key, "qualified", f->domains[i].b);
	}
	for (int i = 0; i < f->nregions; i++) {
		rowi(o, "region", f->regions[i].key, "integrated", f->regions[i].a);
		rowi(o, "region", f->regions[i].key, "qualified", f->regions[i].b);
	}
	for (int i = 0; i < f->ncountries; i++) {
		rowi(o, "country", f->countries[i].key, "integrated", f->countries[i].a);
		rowi(o, "country", f->countries[i].key, "qualified", f->countries[i].b);
	}
	for (int i = 0; i < f->nsources; i++) {
		const sp_fig_source *s = &f->sources[i];
		rowi(o, "source", s->name, "records_pulled", s->pulled);
		rowi(o, "source", s->name, "out_of_scope", s->out_of_scope);
		rowi(o, "source", s->name, "rejected", s->rejected);
		rowi(o, "source", s->name, "in_scope", s->in_scope);
		rowi(o, "source", s->name, "unique_contributed", s->unique);
		rowi(o, "source", s->name, "duplicates_found", s->dups);
		row(o, "source", s->name, "last_good_snapshot", s->last_good);
		rowi(o, "source", s->name, "longest_failure_streak", s->streak_max);
		rowi(o, "source", s->name, "failures_at_year_end", s->streak_end);
	}
	for (int i = 0; i <= 12; i++) {
		if (i == 0 && !f->month_int[0])
			continue;
		snprintf(m, sizeof(m), i ? "%02d" : "unknown", i);
		rowi(o, "month", m, "integrated", f->month_int[i]);
		rowi(o, "month", m, "qualified", f->month_qual[i]);
	}
	rowi(o, "runs", "ok", "count", f->runs_ok);
	rowi(o, "runs", "partial", "count", f->runs_partial);
	rowi(o, "runs", "failed", "count", f->runs_failed);
	rowi(o, "runs", "killed", "count", f->runs_killed);
	if (f->runs_other)
		rowi(o, "runs", "other", "count", f->runs_other);
	for (int i = 0; i < f->nrejects; i++) {
		sp_buf k = SP_BUF_INIT;
		sp_buf_addf(&k, "%s:%s", f->rejects[i].source ? f->rejects[i].source : "", f->rejects[i].reason ? f->rejects[i].reason : "");
		rowi(o, "rejects", k.buf, "count", f->rejects[i].n);
		sp_buf_release(&k);
	}
	rowi(o, "quality", "duplicate_records", "count", f->dup_records);
	rowi(o, "quality", "entity_merges", "count", f->entity_merges);
	for (int i = 0; i < f->nqual; i++) {
		const sp_fig_qual *r = &f->qual[i];
		char id[32], sc[32];
		snprintf(id, sizeof(id), "%lld", (long long)r->id);
		snprintf(sc, sizeof(sc), "%.2f", r->score);
		row(o, "qualified", id, "name", r->name);
		row(o, "qualified", id, "country", r->country);
		row(o, "qualified", id, "domains", r->domains);
		row(o, "qualified", id, "founded", r->founded);
		row(o, "qualified", id, "website", r->website);
		row(o, "qualified", id, "score", sc);
		row(o, "qualified", id, "main_reason", r->reason);
	}
	for (int i = 0; i < f->nsnaps; i++) {
		const sp_fig_snap *s = &f->snaps[i];
		char id[32];
		snprintf(id, sizeof(id), "%lld", (long long)s->fetch_id);
		row(o, "snapshot", id, "source", s->source);
		row(o, "snapshot", id, "url", s->url);
		row(o, "snapshot", id, "date", s->date);
		row(o, "snapshot", id, "sha256", s->sha256);
	}
	row(o, "lineage", "config", "sha256", cfg->sha256);
	row(o, "lineage", "runs", "config_hashes", f->config_hashes);
	row(o, "lineage", "runs", "ids", f->run_ids);
}
