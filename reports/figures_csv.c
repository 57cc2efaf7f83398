/*
 * figures_csv.c — the report's CSV companion: section,key,metric,value rows of every figure in an
 * sp_figures (figures.h), definitions included, in a fixed order (the golden test compares it).
 */
#include "reports/figures.h"
#include "reports/restate.h"
#include "reports/csv_out.h"

#include <stdio.h>

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
	rowi(o, sec, "out_of_scope", "count", fu->out_of_scope);
	rowi(o, sec, "rejected", "count", fu->rejected);
	rowi(o, sec, "already_known", "count", fu->known);
	rowi(o, sec, "accompanied_decided_in_year", "count", fu->dec_accompanied);
	rowi(o, sec, "cocreation_decided_in_year", "count", fu->dec_cocreation);
	rowi(o, sec, "invested_decided_in_year", "count", fu->dec_invested);
}

/* The years side by side, the cross-year figures and the first load. */
static void cross_csv(FILE *o, const sp_figures *f)
{
	for (int i = 0; i < SP_FIG_NHIST; i++) {
		char y[16];
		const sp_fig_funnel *u = &f->hist[i];
		const sp_fig_cross *x = &f->cross[i];
		snprintf(y, sizeof(y), "%d", f->year - (SP_FIG_NHIST - 1) + i);
		const int64_t v[] = { u->pulled, u->in_scope, u->integrated, u->qualified, u->accompanied, u->cocreation,
				      u->invested, x->returning, x->rescouted, x->ndecisions };
		static const char *const k[] = { "records_pulled", "in_scope", "integrated", "qualified", "accompanied",
						 "cocreation", "invested", "returning", "rescouted", "decisions_timed" };
		for (size_t j = 0; j < SP_ARRAY_LEN(k); j++)
			rowi(o, "year", y, k[j], v[j]);
		if (x->ndecisions) {
			rowf(o, "year", y, "days_to_decision_q1", x->days_q1);
			rowf(o, "year", y, "days_to_decision_median", x->days_median);
			rowf(o, "year", y, "days_to_decision_q3", x->days_q3);
		}
	}
	row(o, "first_load", "date", "value", f->first_load);
	rowi(o, "first_load", "run", "value", f->first_load_run);
	rowi(o, "first_load", "startups_of_the_cohort", "count", f->first_load_n);
}

/* What changed since the earlier report of the year (restate.h), when there is one. */
static void restate_csv(FILE *o, const sp_figures *f)
{
	const sp_fig_restate *r = &f->restate;
	if (!r->edition)
		return;
	row(o, "restated", "since", "date", r->date);
	rowi(o, "restated", "since", "run", r->run);
	rowi(o, "restated", "since", "changed", r->changed);
	for (int i = 0; i < SP_RESTATE_NFIG; i++) {
		const char *key;
		int64_t a, b;
		sp_restate_fig(i, &r->old, &a, &key);
		sp_restate_fig(i, &f->cur, &b, NULL);
		rowi(o, "restated", key, "then", a);
		rowi(o, "restated", key, "now", b);
	}
	for (int i = 0; i < r->nhubs; i++) {
		char k[256];
		snprintf(k, sizeof(k), "hub:%s", r->hubs[i].name);
		rowi(o, "restated", k, "integrated_then", r->hubs[i].integrated);
		rowi(o, "restated", k, "qualified_then", r->hubs[i].qualified);
		rowi(o, "restated", k, "accompanied_then", r->hubs[i].accompanied);
	}
	rowi(o, "restated", "qualified_list", "entered", r->entered);
	rowi(o, "restated", "qualified_list", "left", r->left);
	for (int i = 0; i < r->nmoved; i++) {
		char k[32];
		snprintf(k, sizeof(k), "%lld", (long long)r->moved[i].id);
		row(o, "restated", k, r->moved[i].entered ? "entered" : "left", r->moved[i].name);
	}
	row(o, "restated", "runs", "ids", r->runs);
	rowi(o, "restated", "judgements", "count", r->judgements);
	rowi(o, "restated", "judgements", "decisions", r->decisions);
	rowi(o, "restated", "judgements", "pins", r->pins);
}

void sp_figures_csv(const sp_figures *f, const char *written, FILE *o)
{
	char y[16], m[8];
	fputs("section,key,metric,value\n", o);
	snprintf(y, sizeof(y), "%d", f->year);
	row(o, "report", "year", "value", y);
	row(o, "report", "programme", "value", f->programme ? f->programme : "");
	row(o, "report", "written", "value", written);
	rowi(o, "report", "data_run", "value", f->data_run);
	row(o, "report", "sparker_version", "value", f->version);
	for (int i = 0; i < SP_FIG_NDEFS; i++)
		if (SP_FIG_DEFS[i].text)
			row(o, "definition", SP_FIG_DEFS[i].key, "text", SP_FIG_DEFS[i].text);
	rowi(o, "target", "integrated", "min", f->target_int_min);
	rowi(o, "target", "integrated", "max", f->target_int_max);
	rowf(o, "target", "qualified_rate", "min", f->band_min);
	rowf(o, "target", "qualified_rate", "max", f->band_max);
	rowi(o, "target", "accompanied", "value", f->target_acc);
	funnel_csv(o, "funnel", &f->cur);
	funnel_csv(o, "funnel_previous_year", &f->prev);
	if (f->cur.integrated)
		rowf(o, "funnel", "qualified", "rate_of_integrated", (double)f->cur.qualified / (double)f->cur.integrated);
	cross_csv(o, f);
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
	if (f->nhubs) /* not among SP_FIG_DEFINITIONS: a config without hubs gets the report it had */
		row(o, "definition", "hubs", "text", SP_FIG_HUB_DEFINITION);
	for (int i = 0; i < f->nhubs; i++) {
		const sp_fig_hub *h = &f->hubs[i];
		rowi(o, "hub", h->name, "integrated", h->integrated);
		rowi(o, "hub", h->name, "qualified", h->qualified);
		rowi(o, "hub", h->name, "accompanied", h->accompanied);
		if (h->target_int_min >= 0)
			rowi(o, "hub", h->name, "target_integrated_min", h->target_int_min);
		if (h->target_int_max >= 0)
			rowi(o, "hub", h->name, "target_integrated_max", h->target_int_max);
		if (h->target_acc >= 0)
			rowi(o, "hub", h->name, "target_accompanied", h->target_acc);
	}
	for (int i = 0; i < f->nsources; i++) {
		const sp_fig_source *s = &f->sources[i];
		rowi(o, "source", s->name, "records_pulled", s->pulled);
		rowi(o, "source", s->name, "out_of_scope", s->out_of_scope);
		rowi(o, "source", s->name, "rejected", s->rejected);
		rowi(o, "source", s->name, "already_known", s->known);
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
	row(o, "lineage", "config", "sha256", f->config_sha256);
	row(o, "lineage", "runs", "config_hashes", f->config_hashes);
	row(o, "lineage", "runs", "ids", f->run_ids);
	restate_csv(o, f);
}
