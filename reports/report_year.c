/*
 * report_year.c — the yearly funnel report: figures (figures.c) -> PDF (pdf.c, charts.c) + CSV,
 * and the `report` row. See report_year.h.
 *
 * Layout: cover; 1 key figures against targets and the year before, 2 the funnel (with the
 * definitions as a footnote); 3 breakdowns (domain, region, country, source); 4 monthly intake;
 * 5 the qualified startups (a table over as many pages as needed, header repeated), and under it
 * the audit of the selection when the year has one (pipeline/audit.h);
 * 6 data quality and operations; 7 the years side by side and the cross-year figures; appendix:
 * lineage. With ctx->report_html, the one-page HTML summary (html.h) from the same figures. Every section says "no data" in words when
 * it has nothing to show.
 */
#include "reports/report_year.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pipeline/audit.h"
#include "pipeline/inbox.h"
#include "reports/charts.h"
#include "reports/html.h"
#include "reports/pdf.h"

void sp_report_paths(const sp_config *cfg, int year, const char *pdf_opt, const char *csv_opt, sp_buf *pdf, sp_buf *csv)
{
	sp_buf_reset(pdf);
	sp_buf_reset(csv);
	if (pdf_opt)
		sp_buf_adds(pdf, pdf_opt);
	else
		sp_buf_addf(pdf, "%s/sparker-%d.pdf", cfg->report_dir, year);
	size_t n = pdf_opt ? strlen(pdf_opt) : 0;
	if (csv_opt)
		sp_buf_adds(csv, csv_opt);
	else if (pdf_opt && n > 4 && !strcasecmp(pdf_opt + n - 4, ".pdf")) /* beside the PDF: X.pdf -> X.csv */
		sp_buf_addf(csv, "%.*s.csv", (int)(n - 4), pdf_opt);
	else if (pdf_opt)
		sp_buf_addf(csv, "%s.csv", pdf_opt);
	else
		sp_buf_addf(csv, "%s/sparker-%d.csv", cfg->report_dir, year);
}

/* Nothing at all to report for f->year: no record pulled or first seen, no startup of the cohort,
 * no decision about one or dated in the year, no run. */
static int year_is_empty(const sp_figures *f)
{
	const sp_fig_funnel *u = &f->cur;
	return !u->pulled && !u->in_scope && !u->integrated && !u->qualified && !u->accompanied && !u->cocreation &&
	       !u->invested && !u->dec_accompanied && !u->dec_cocreation && !u->dec_invested && !f->runs_ok &&
	       !f->runs_partial && !f->runs_failed && !f->runs_killed && !f->runs_other;
}

/* SP_ENOTFOUND "no data for Y ..." naming the cohorts the database holds. */
static int no_data(sp_ctx *ctx, int year)
{
	sp_buf years = SP_BUF_INIT;
	sp_stmt *s;
	if (sp_store_prepare(ctx->db, "SELECT DISTINCT cohort FROM entity WHERE merged_into IS NULL AND cohort IS NOT NULL"
				      " ORDER BY cohort", &s, ctx->err) == SP_OK) {
		while (sp_step(s) == SP_ROW)
			sp_buf_addf(&years, "%s%d", years.len ? ", " : "", sp_col_int(s, 0));
		sp_finalize(s);
	}
	int rc = sp_err_set(ctx->err, SP_ENOTFOUND, "no data for %d: no record pulled, no startup of cohort %d, no run"
			    " and no decision in %d; nothing written (%s%s)", year, year, year,
			    years.len ? "cohorts in the database: " : "the database holds no startup yet",
			    years.len ? years.buf : "");
	sp_buf_release(&years);
	return rc;
}

/* ---- formatting helpers -------------------------------------------------------------------- */

static const char *I(char *b, int64_t v)
{
	snprintf(b, 32, "%lld", (long long)v);
	return b;
}

static const char *PCT(char *b, int64_t a, int64_t d)
{
	sp_fig_pct(a, d, b, 32);
	return b;
}

/* change from prev to cur: "+12.0 %", "new" when prev is 0 and cur is not, "–" */
static const char *CHG(char *b, int64_t cur, int64_t prev)
{
	if (prev > 0)
		snprintf(b, 32, "%+.1f %%", 100.0 * (double)(cur - prev) / (double)prev);
	else if (cur > 0)
		snprintf(b, 32, "new");
	else
		snprintf(b, 32, "\xE2\x80\x93");
	return b;
}

static void small_note(sp_pdf *p, const char *s)
{
	sp_pdf_text_rgb(p, 0.3f, 0.3f, 0.3f);
	sp_pdf_para(p, SP_PDF_MARGIN, SP_PDF_CONTENT_W, s, 7.5f, 0);
	sp_pdf_text_rgb(p, 0, 0, 0);
}

static void body(sp_pdf *p, const char *s)
{
	sp_pdf_para(p, SP_PDF_MARGIN, SP_PDF_CONTENT_W, s, 9.5f, 0);
	sp_pdf_skip(p, 3);
}

/* ---- sections ------------------------------------------------------------------------------ */

static void cover(sp_pdf *p, const sp_figures *f, const sp_config *cfg, const char *written)
{
	char b[512], n1[32], n2[32], n3[32];
	sp_pdf_page(p);
	sp_pdf_rect(p, 0, SP_PDF_H - 250, SP_PDF_W, 250, 0.08f, 0.20f, 0.42f);
	sp_pdf_text_rgb(p, 1, 1, 1);
	/* the programme name: two lines at most, then smaller type */
	const char *prog = cfg->programme && *cfg->programme ? cfg->programme : "Open innovation programme";
	float ps = sp_pdf_width(p, prog, 22, 1) <= 2 * SP_PDF_CONTENT_W - 40 ? 22 : 16;
	sp_pdf_set_y(p, SP_PDF_H - 70);
	sp_pdf_para(p, SP_PDF_MARGIN, SP_PDF_CONTENT_W, prog, ps, 1);
	snprintf(b, sizeof(b), "Startup scouting funnel report %d", f->year);
	sp_pdf_text(p, SP_PDF_MARGIN, SP_PDF_H - 165, b, 16, 0, SP_ALIGN_LEFT, SP_PDF_CONTENT_W);
	snprintf(b, sizeof(b), "Written %s", written);
	sp_pdf_text(p, SP_PDF_MARGIN, SP_PDF_H - 200, b, 10, 0, SP_ALIGN_LEFT, SP_PDF_CONTENT_W);
	if (f->data_run)
		snprintf(b, sizeof(b), "Data as of run %lld  \xC2\xB7  sparker %s", (long long)f->data_run, SP_VERSION);
	else
		snprintf(b, sizeof(b), "No pipeline run in the database  \xC2\xB7  sparker %s", SP_VERSION);
	sp_pdf_text(p, SP_PDF_MARGIN, SP_PDF_H - 216, b, 10, 0, SP_ALIGN_LEFT, SP_PDF_CONTENT_W);
	sp_pdf_text_rgb(p, 0, 0, 0);

	sp_pdf_set_y(p, SP_PDF_H - 290);
	if (!f->cur.integrated && !f->cur.pulled && !f->cur.in_scope) {
		snprintf(b, sizeof(b), "No data for %d: the database holds no startups first seen in %d and no source file "
				       "parsed in %d. Every section below says so; the figures are zero, not missing.",
			 f->year, f->year, f->year);
		sp_pdf_para(p, SP_PDF_MARGIN, SP_PDF_CONTENT_W, b, 12, 1);
		sp_pdf_skip(p, 10);
	}
	/* the headline numbers */
	const char *lab[] = { SP_FIG_NAME(SP_FIG_INTEGRATED), SP_FIG_NAME(SP_FIG_QUALIFIED), SP_FIG_NAME(SP_FIG_ACCOMPANIED) };
	char r[64];
	snprintf(r, sizeof(r), "%s of unique startups", PCT(n3, f->cur.qualified, f->cur.integrated));
	const char *sub[3];
	char t1[64], t3[64];
	snprintf(t1, sizeof(t1), "target %lld\xE2\x80\x93%lld", (long long)f->target_int_min, (long long)f->target_int_max);
	snprintf(t3, sizeof(t3), "target ~%lld", (long long)f->target_acc);
	sub[0] = t1, sub[1] = r, sub[2] = t3;
	int64_t v[3] = { f->cur.integrated, f->cur.qualified, f->cur.accompanied };
	float bw = SP_PDF_CONTENT_W / 3, y = sp_pdf_y(p);
	for (int i = 0; i < 3; i++) {
		float x = SP_PDF_MARGIN + bw * (float)i;
		sp_pdf_rect(p, x + 4, y - 92, bw - 8, 92, 0.93f, 0.95f, 0.98f);
		sp_pdf_text_rgb(p, 0.08f, 0.20f, 0.42f);
		sp_pdf_text(p, x + 4, y - 40, I(n1, v[i]), 28, 1, SP_ALIGN_CENTER, bw - 8);
		sp_pdf_text_rgb(p, 0, 0, 0);
		sp_pdf_text(p, x + 4, y - 60, lab[i], 9.5f, 0, SP_ALIGN_CENTER, bw - 8);
		sp_pdf_text_rgb(p, 0.35f, 0.35f, 0.35f);
		sp_pdf_text(p, x + 4, y - 76, sub[i], 8, 0, SP_ALIGN_CENTER, bw - 8);
		sp_pdf_text_rgb(p, 0, 0, 0);
	}
	(void)n2;
	sp_pdf_set_y(p, y - 120);
	sp_pdf_heading(p, "Contents", 2, 80);
	static const char *const toc[] = {
		"1  Key figures against targets and the year before",
		"2  The funnel",
		"3  Breakdowns: domain, region, country, source",
		"4  Monthly intake",
		"5  The qualified startups",
		"6  Data quality and operations",
		"7  Across the years",
		"A  Lineage: source snapshots, configuration, runs",
	};
	for (size_t i = 0; i < SP_ARRAY_LEN(toc); i++)
		body(p, toc[i]);
}

static const char *status_range(char *b, int64_t v, int64_t lo, int64_t hi)
{
	if (v < lo)
		snprintf(b, 64, "below (\xE2\x88\x92%lld)", (long long)(lo - v));
	else if (v > hi)
		snprintf(b, 64, "above (+%lld)", (long long)(v - hi));
	else
		snprintf(b, 64, "within");
	return b;
}

/* Already known below zero: more records dated in the year than rows read in it. */
#define KNOWN_NEGATIVE                                                                                          \
	"Already known is negative where records dated in the year were read by the runs of a later year (a first " \
	"load or a backfill that found them): they are in scope here, their rows in that later year's records pulled."

static void key_figures(sp_pdf *p, const sp_figures *f)
{
	char b[512], c[7][32], st[64], tg[64];
	const sp_fig_funnel *a = &f->cur, *z = &f->prev;
	sp_pdf_page(p);
	snprintf(b, sizeof(b), "1  Key figures %d", f->year);
	sp_pdf_heading(p, b, 1, 120);
	char ycur[16], yprev[16];
	snprintf(ycur, sizeof(ycur), "%d", f->year);
	snprintf(yprev, sizeof(yprev), "%d", f->year - 1);
	const sp_pdf_col cols[] = {
		{ "Figure", 172, SP_ALIGN_LEFT, 0 }, { ycur, 55, SP_ALIGN_RIGHT, 0 }, { yprev, 55, SP_ALIGN_RIGHT, 0 },
		{ "Change", 55, SP_ALIGN_RIGHT, 0 }, { "Target", 73, SP_ALIGN_RIGHT, 0 }, { "Against target", 85, SP_ALIGN_LEFT, 0 },
	};
	sp_pdf_table_begin(p, cols, 6, 9);
	{
		snprintf(tg, sizeof(tg), "%lld\xE2\x80\x93%lld", (long long)f->target_int_min, (long long)f->target_int_max);
		const char *r[] = { SP_FIG_NAME(SP_FIG_INTEGRATED), I(c[0], a->integrated), I(c[1], z->integrated),
				    CHG(c[2], a->integrated, z->integrated), tg,
				    status_range(st, a->integrated, f->target_int_min, f->target_int_max) };
		sp_pdf_table_row(p, r);
	}
	{
		const char *r[] = { SP_FIG_NAME(SP_FIG_QUALIFIED), I(c[0], a->qualified), I(c[1], z->qualified), CHG(c[2], a->qualified, z->qualified),
				    "", "" };
		sp_pdf_table_row(p, r);
	}
	{
		snprintf(tg, sizeof(tg), "%.1f\xE2\x80\x93%.1f %%", 100 * f->band_min, 100 * f->band_max);
		const char *s = "\xE2\x80\x93";
		if (a->integrated) {
			double rate = (double)a->qualified / (double)a->integrated;
			s = rate < f->band_min - 1e-9 ? "below band" : rate > f->band_max + 1e-9 ? "above band" : "within band";
		}
		const char *r[] = { "Qualified rate (of unique startups)", PCT(c[0], a->qualified, a->integrated),
				    PCT(c[1], z->qualified, z->integrated), "", tg, s };
		sp_pdf_table_row(p, r);
	}
	{
		snprintf(tg, sizeof(tg), "~%lld", (long long)f->target_acc);
		const char *r[] = { SP_FIG_NAME(SP_FIG_ACCOMPANIED), I(c[0], a->accompanied), I(c[1], z->accompanied),
				    CHG(c[2], a->accompanied, z->accompanied), tg,
				    a->accompanied < f->target_acc ? "below" : a->accompanied > f->target_acc ? "above" : "on target" };
		sp_pdf_table_row(p, r);
	}
	{
		const char *r[] = { SP_FIG_NAME(SP_FIG_COCREATION), I(c[0], a->cocreation), I(c[1], z->cocreation),
				    CHG(c[2], a->cocreation, z->cocreation), "", "" };
		sp_pdf_table_row(p, r);
	}
	{
		const char *r[] = { SP_FIG_NAME(SP_FIG_INVESTED), I(c[0], a->invested), I(c[1], z->invested), CHG(c[2], a->invested, z->invested),
				    "", "" };
		sp_pdf_table_row(p, r);
	}
	sp_pdf_table_end(p);
	snprintf(b, sizeof(b),
		 "Startups are counted in the year the platform first saw them (their cohort). Committee decisions "
		 "dated in %d, whatever the startup's cohort: accompanied %lld, co-creation %lld, invested %lld "
		 "(%d: %lld, %lld, %lld).",
		 f->year, (long long)a->dec_accompanied, (long long)a->dec_cocreation, (long long)a->dec_invested, f->year - 1,
		 (long long)z->dec_accompanied, (long long)z->dec_cocreation, (long long)z->dec_invested);
	small_note(p, b);
	sp_pdf_skip(p, 8);

	snprintf(b, sizeof(b), "2  The funnel %d", f->year);
	sp_pdf_heading(p, b, 1, 230);
	const char *const labels[] = { SP_FIG_NAME(SP_FIG_PULLED),     SP_FIG_NAME(SP_FIG_IN_SCOPE),
					SP_FIG_NAME(SP_FIG_INTEGRATED), SP_FIG_NAME(SP_FIG_QUALIFIED),
					SP_FIG_NAME(SP_FIG_ACCOMPANIED), SP_FIG_NAME(SP_FIG_COCREATION),
					SP_FIG_NAME(SP_FIG_INVESTED) };
	const int64_t v[] = { a->pulled, a->in_scope, a->integrated, a->qualified, a->accompanied, a->cocreation, a->invested };
	snprintf(b, sizeof(b), "No data for %d: nothing was pulled, integrated or decided.", f->year);
	sp_chart_funnel(p, labels, v, 7, b);
	int any = 0;
	for (int i = 0; i < 7; i++)
		any |= v[i] > 0;
	if (any) {
		snprintf(b, sizeof(b),
			 "Bar widths are proportional to the counts. Where a stage is below %.0f %% of the stage drawn at full "
			 "width, the scale breaks (dashed line): the stage above the break becomes the full width. Between "
			 "%s and %s: %s %lld, %s %lld, %s %lld (the by-source table gives them per source).",
			 100 * SP_CHART_BREAK, SP_FIG_NAME(SP_FIG_PULLED), SP_FIG_NAME(SP_FIG_IN_SCOPE),
			 SP_FIG_NAME(SP_FIG_OUT_OF_SCOPE), (long long)a->out_of_scope, SP_FIG_NAME(SP_FIG_REJECTED),
			 (long long)a->rejected, SP_FIG_NAME(SP_FIG_KNOWN), (long long)a->known);
		small_note(p, b);
		if (a->known < 0)
			small_note(p, KNOWN_NEGATIVE);
	}
	sp_pdf_skip(p, 6);
	sp_pdf_heading(p, "Definitions", 2, 60);
	for (int i = 0; i < SP_FIG_NDEFS; i++)
		if (SP_FIG_DEFS[i].text)
			small_note(p, SP_FIG_DEFS[i].text);
}

#define MAX_BARS 16

/* A domain's label from its [taxonomy KEY] section, else the key. */
static const char *domain_label(const sp_config *cfg, const char *key)
{
	char sec[256];
	snprintf(sec, sizeof(sec), "taxonomy %s", key);
	return sp_config_get(cfg, sec, "label", key);
}

/* Bars of a breakdown; beyond MAX_BARS - 1 rows the rest is summed as "other (N)". */
static void breakdown_bars(sp_pdf *p, const sp_config *cfg, const sp_fig_count *v, int n, const char *what, int year)
{
	const char *labels[MAX_BARS];
	int64_t a[MAX_BARS], b[MAX_BARS];
	char other[64], msg[128];
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (k == MAX_BARS - 1 && n > MAX_BARS) {
			snprintf(other, sizeof(other), "other %ss (%d)", what, n - i);
			labels[k] = other;
			a[k] = b[k] = 0;
			for (int j = i; j < n; j++)
				a[k] += v[j].a, b[k] += v[j].b;
			k++;
			break;
		}
		labels[k] = cfg ? domain_label(cfg, v[i].key) : v[i].key;
		a[k] = v[i].a;
		b[k] = v[i].b;
		k++;
	}
	snprintf(msg, sizeof(msg), "No startups in cohort %d: no %s to show.", year, what);
	sp_chart_hbars(p, labels, a, b, k, SP_FIG_NAME(SP_FIG_INTEGRATED), SP_FIG_NAME(SP_FIG_QUALIFIED), msg);
}

/* A hub's target range "lo–hi" (one side: "≥ lo", "≤ hi") and where v stands, or "–" when unset. */
static const char *hub_range(char *b, int64_t v, int64_t lo, int64_t hi)
{
	char st[64];
	if (lo < 0 && hi < 0)
		snprintf(b, 64, "\xE2\x80\x93");
	else if (hi < 0)
		snprintf(b, 64, "\xE2\x89\xA5 %lld: %s", (long long)lo, v < lo ? "below" : "within");
	else if (lo < 0)
		snprintf(b, 64, "\xE2\x89\xA4 %lld: %s", (long long)hi, v > hi ? "above" : "within");
	else if (lo == hi) /* one figure (accompanied): as the key figures say it */
		snprintf(b, 64, "~%lld: %s", (long long)lo, v < lo ? "below" : v > lo ? "above" : "on target");
	else
		snprintf(b, 64, "%lld\xE2\x80\x93%lld: %s", (long long)lo, (long long)hi, status_range(st, v, lo, hi));
	return b;
}

/* The per-hub lines (only with [hub] sections): integrated, qualified, accompanied, targets. */
static void hub_table(sp_pdf *p, const sp_figures *f)
{
	char c[6][64];
	sp_pdf_heading(p, "By hub", 2, 60);
	const sp_pdf_col cols[] = {
		{ "Hub", 110, SP_ALIGN_LEFT, 0 },        { SP_FIG_NAME(SP_FIG_INTEGRATED), 62, SP_ALIGN_RIGHT, 0 },
		{ "Target", 88, SP_ALIGN_RIGHT, 0 },     { "Qualified", 55, SP_ALIGN_RIGHT, 0 },
		{ "Rate", 45, SP_ALIGN_RIGHT, 0 },       { "Accompanied", 70, SP_ALIGN_RIGHT, 0 },
		{ "Target", 65, SP_ALIGN_RIGHT, 0 },
	};
	sp_pdf_table_begin(p, cols, 7, 8.5f);
	int64_t t[3] = { 0 };
	for (int i = 0; i < f->nhubs; i++) {
		const sp_fig_hub *h = &f->hubs[i];
		const char *r[] = { h->label,
				    I(c[0], h->integrated),
				    hub_range(c[1], h->integrated, h->target_int_min, h->target_int_max),
				    I(c[2], h->qualified),
				    PCT(c[3], h->qualified, h->integrated),
				    I(c[4], h->accompanied),
				    hub_range(c[5], h->accompanied, h->target_acc, h->target_acc) };
		sp_pdf_table_row(p, r);
		t[0] += h->integrated, t[1] += h->qualified, t[2] += h->accompanied;
	}
	const char *r[] = { "Total", I(c[0], t[0]), "", I(c[2], t[1]), PCT(c[3], t[1], t[0]), I(c[4], t[2]), "" };
	sp_pdf_table_total(p, r);
	sp_pdf_table_end(p);
	small_note(p, SP_FIG_HUB_DEFINITION);
}

static void breakdowns(sp_pdf *p, const sp_figures *f, const sp_config *cfg)
{
	char b[768], c[7][32];
	snprintf(b, sizeof(b), "3  Breakdowns %d", f->year);
	sp_pdf_heading(p, b, 1, 300); /* flows after the definitions: no page of their last lines alone */
	if (f->nhubs)
		hub_table(p, f);
	sp_pdf_heading(p, "By domain", 2, 60);
	breakdown_bars(p, cfg, f->domains, f->ndomains, "domain", f->year);
	small_note(p, "A startup tagged with several domains counts once in each.");
	sp_pdf_heading(p, "By region (continent)", 2, 60);
	breakdown_bars(p, NULL, f->regions, f->nregions, "region", f->year);

	sp_pdf_heading(p, "By country", 2, 60);
	if (!f->ncountries) {
		snprintf(b, sizeof(b), "No startups in cohort %d.", f->year);
		sp_chart_nodata(p, 40, b);
	} else {
		const sp_pdf_col cols[] = {
			{ "Country", 60, SP_ALIGN_LEFT, 0 }, { "Region", 130, SP_ALIGN_LEFT, 0 }, { SP_FIG_NAME(SP_FIG_INTEGRATED), 90, SP_ALIGN_RIGHT, 0 },
			{ "Qualified", 90, SP_ALIGN_RIGHT, 0 }, { "Qualified rate", 95, SP_ALIGN_RIGHT, 0 },
		};
		sp_pdf_table_begin(p, cols, 5, 8.5f);
		int shown = f->ncountries <= 30 ? f->ncountries : 29;
		for (int i = 0; i < shown; i++) {
			const sp_fig_count *x = &f->countries[i];
			const char *r[] = { strcmp(x->key, "??") ? x->key : "unknown", sp_continent(x->key), I(c[0], x->a),
					    I(c[1], x->b), PCT(c[2], x->b, x->a) };
			sp_pdf_table_row(p, r);
		}
		if (shown < f->ncountries) {
			int64_t sa = 0, sb = 0;
			for (int i = shown; i < f->ncountries; i++)
				sa += f->countries[i].a, sb += f->countries[i].b;
			snprintf(b, sizeof(b), "%d other countries", f->ncountries - shown);
			const char *r[] = { b, "", I(c[0], sa), I(c[1], sb), PCT(c[2], sb, sa) };
			sp_pdf_table_row(p, r);
		}
		int64_t ta = 0, tb = 0; /* the total is the rows' sum */
		for (int i = 0; i < f->ncountries; i++)
			ta += f->countries[i].a, tb += f->countries[i].b;
		const char *t[] = { "Total", "", I(c[0], ta), I(c[1], tb), PCT(c[2], tb, ta) };
		sp_pdf_table_total(p, t);
		sp_pdf_table_end(p);
		if (tb != f->cur.qualified) {
			snprintf(b, sizeof(b), "%lld qualified startups of the cohort hold no record now (gone or out of scope since "
				 "the selection): they are in the key figures, not in this table.",
				 (long long)(f->cur.qualified - tb));
			small_note(p, b);
		}
	}

	sp_pdf_heading(p, "By source", 2, 80);
	if (!f->nsources) {
		sp_chart_nodata(p, 40, "No sources configured and none in the database.");
	} else {
		const sp_pdf_col cols[] = {
			{ "Source", 95, SP_ALIGN_LEFT, 0 },
			{ SP_FIG_NAME(SP_FIG_PULLED), 57, SP_ALIGN_RIGHT, 0 },
			{ SP_FIG_NAME(SP_FIG_OUT_OF_SCOPE), 57, SP_ALIGN_RIGHT, 0 },
			{ SP_FIG_NAME(SP_FIG_REJECTED), 52, SP_ALIGN_RIGHT, 0 },
			{ SP_FIG_NAME(SP_FIG_KNOWN), 57, SP_ALIGN_RIGHT, 0 },
			{ SP_FIG_NAME(SP_FIG_IN_SCOPE), 52, SP_ALIGN_RIGHT, 0 },
			{ SP_FIG_NAME(SP_FIG_SRC_STARTUPS), 68, SP_ALIGN_RIGHT, 0 },
			{ SP_FIG_NAME(SP_FIG_DUPS), 57, SP_ALIGN_RIGHT, 0 },
		};
		sp_pdf_need(p, 40 + 14 * (float)(f->nsources + 2)); /* the table on one page */
		sp_pdf_table_begin(p, cols, 8, 8.5f);
		int64_t t[7] = { 0 };
		for (int i = 0; i < f->nsources; i++) {
			const sp_fig_source *s = &f->sources[i];
			const char *r[] = { s->name, I(c[0], s->pulled), I(c[1], s->out_of_scope), I(c[2], s->rejected),
					    I(c[3], s->known), I(c[4], s->in_scope), I(c[5], s->unique), I(c[6], s->dups) };
			sp_pdf_table_row(p, r);
			t[0] += s->pulled, t[1] += s->out_of_scope, t[2] += s->rejected, t[3] += s->known;
			t[4] += s->in_scope, t[5] += s->unique, t[6] += s->dups;
		}
		const char *r[] = { "Total", I(c[0], t[0]), I(c[1], t[1]), I(c[2], t[2]), I(c[3], t[3]), I(c[4], t[4]),
				    I(c[5], t[5]), I(c[6], t[6]) };
		sp_pdf_table_total(p, r);
		sp_pdf_table_end(p);
		snprintf(b, sizeof(b), "On each line, %s = %s + %s + %s + %s; the totals are the funnel's. %s",
			 SP_FIG_NAME(SP_FIG_PULLED), SP_FIG_NAME(SP_FIG_OUT_OF_SCOPE), SP_FIG_NAME(SP_FIG_REJECTED),
			 SP_FIG_NAME(SP_FIG_KNOWN), SP_FIG_NAME(SP_FIG_IN_SCOPE), SP_FIG_DEFS[SP_FIG_SRC_STARTUPS].text);
		small_note(p, b);
		if (t[3] < 0 || f->cur.known < 0)
			small_note(p, KNOWN_NEGATIVE);
	}
}

static void monthly(sp_pdf *p, const sp_figures *f)
{
	char b[768];
	snprintf(b, sizeof(b), "4  Monthly intake %d", f->year);
	sp_pdf_heading(p, b, 1, 480); /* the chart and its table of 12 months on one page */
	snprintf(b, sizeof(b), "No startups first seen in %d: no monthly intake to show.", f->year);
	sp_chart_months(p, f->month_int + 1, f->month_qual + 1, "Unique startups (first seen that month)",
			SP_FIG_NAME(SP_FIG_QUALIFIED), b);
	int64_t ti = 0, tq = 0;
	for (int m = 0; m <= 12; m++)
		ti += f->month_int[m], tq += f->month_qual[m];
	if (ti) {
		static const char *const mon[] = { "unknown", "January", "February", "March", "April", "May", "June",
						   "July", "August", "September", "October", "November", "December" };
		char c[3][32];
		const sp_pdf_col cols[] = {
			{ "Month", 135, SP_ALIGN_LEFT, 0 }, { SP_FIG_NAME(SP_FIG_INTEGRATED), 120, SP_ALIGN_RIGHT, 0 },
			{ "Qualified", 120, SP_ALIGN_RIGHT, 0 }, { "Qualified rate", 120, SP_ALIGN_RIGHT, 0 },
		};
		sp_pdf_table_begin(p, cols, 4, 8.5f);
		for (int m = 1; m <= 12; m++) {
			const char *r[] = { mon[m], I(c[0], f->month_int[m]), I(c[1], f->month_qual[m]),
					    PCT(c[2], f->month_qual[m], f->month_int[m]) };
			sp_pdf_table_row(p, r);
		}
		const char *t[] = { "Total", I(c[0], ti), I(c[1], tq), PCT(c[2], tq, ti) };
		sp_pdf_table_total(p, t);
		sp_pdf_table_end(p);
	}
	if (f->month_int[0]) {
		snprintf(b, sizeof(b), "%lld startups of the cohort have no first-seen month (%lld of them qualified).",
			 (long long)f->month_int[0], (long long)f->month_qual[0]);
		small_note(p, b);
	}
	if (f->first_load_n) {
		static const char *const mname[] = { "", "January", "February", "March", "April", "May", "June", "July",
						     "August", "September", "October", "November", "December" };
		int m = atoi(f->first_load + 5);
		snprintf(b, sizeof(b),
			 "The first load: run %lld (as of %s) was the first to pull the sources; %lld startups of the cohort "
			 "whose sources give no earlier date were first seen by it, so they count in %s. %s's intake is "
			 "the backlog the platform found, not that month's flow.",
			 (long long)f->first_load_run, f->first_load, (long long)f->first_load_n, m >= 1 && m <= 12 ? mname[m] : "?",
			 m >= 1 && m <= 12 ? mname[m] : "That month");
		small_note(p, b);
	}
}

static void qualified_table(sp_pdf *p, const sp_figures *f)
{
	char b[256], rank[16], sc[32];
	sp_pdf_page(p);
	snprintf(b, sizeof(b), "5  The qualified startups %d (%d)", f->year, f->nqual);
	sp_pdf_heading(p, b, 1, 60);
	if (!f->nqual) {
		snprintf(b, sizeof(b), "No qualified startups in cohort %d.", f->year);
		sp_chart_nodata(p, 50, b);
		return;
	}
	small_note(p, "Sorted by relevance score (highest first); the main reason is the first relevance reason the scoring "
		      "gave: the best domain and its strongest evidence (a committee decision or a pin is no relevance reason: "
		      "\xE2\x80\x9C\xE2\x80\x93\xE2\x80\x9D when the startup has no other). Names in registry capitals are shown "
		      "in title case (`sparker entity show` gives the source's spelling); websites without tracking parameters. "
		      "The full list, with every reason, is in `sparker export qualified` and the CSV companion.");
	sp_pdf_skip(p, 4);
	const sp_pdf_col cols[] = { /* every text column wraps: nothing is cut */
		{ "#", 20, SP_ALIGN_RIGHT, 0 },      { "Name", 98, SP_ALIGN_LEFT, 6 },    { "Ctry", 26, SP_ALIGN_LEFT, 0 },
		{ "Domains", 74, SP_ALIGN_LEFT, 8 }, { "Founded", 48, SP_ALIGN_LEFT, 0 }, { "Website", 78, SP_ALIGN_LEFT, 6 },
		{ "Score", 30, SP_ALIGN_RIGHT, 0 },  { "Main reason", 121, SP_ALIGN_LEFT, 10 },
	};
	sp_pdf_table_begin(p, cols, 8, 7);
	for (int i = 0; i < f->nqual; i++) {
		const sp_fig_qual *q = &f->qual[i];
		snprintf(rank, sizeof(rank), "%d", i + 1);
		snprintf(sc, sizeof(sc), "%.2f", q->score);
		const char *w = q->website ? q->website : ""; /* already without scheme and tracking (display.h) */
		/* "repair_maintenance;digital_services" -> "repair maintenance, digital services" (wraps) */
		sp_buf dom = SP_BUF_INIT;
		for (const char *d = q->domains ? q->domains : ""; *d; d++) {
			if (*d == ';' || *d == '|')
				sp_buf_adds(&dom, ", ");
			else if (*d == '_') /* industry_4_0 -> industry 4.0 */
				sp_buf_addc(&dom, d > q->domains && d[-1] >= '0' && d[-1] <= '9' && d[1] >= '0' && d[1] <= '9' ? '.' : ' ');
			else if (!(*d == ' ' && dom.len >= 2 && dom.buf[dom.len - 1] == ' '))
				sp_buf_addc(&dom, *d);
		}
		const char *r[] = { rank, q->name, q->country, dom.len ? dom.buf : "", q->founded, w, sc,
				    q->reason ? q->reason : "\xE2\x80\x93" };
		sp_pdf_table_row(p, r);
		sp_buf_release(&dom);
	}
	sp_pdf_table_end(p);
}

static void operations(sp_pdf *p, const sp_figures *f)
{
	char b[1024], c[6][32];
	snprintf(b, sizeof(b), "6  Data quality and operations %d", f->year);
	sp_pdf_heading(p, b, 1, 200); /* flows after the qualified list: no page of a few rows alone */
	sp_pdf_heading(p, "Runs", 2, 40);
	int64_t total = f->runs_ok + f->runs_partial + f->runs_failed + f->runs_killed + f->runs_other;
	if (!total) {
		snprintf(b, sizeof(b), "No pipeline run has a logical date in %d.", f->year);
		body(p, b);
	} else {
		snprintf(b, sizeof(b),
			 "Runs in %d: %lld. Succeeded: %lld; finished with a failed source (partial): %lld; failed: %lld; "
			 "killed: %lld%s.",
			 f->year, (long long)total, (long long)f->runs_ok, (long long)f->runs_partial, (long long)f->runs_failed,
			 (long long)f->runs_killed, f->runs_other ? "; still running or unknown: " : "");
		if (f->runs_other) {
			size_t l = strlen(b);
			snprintf(b + l - 1, sizeof(b) - l + 1, "%lld.", (long long)f->runs_other);
		}
		body(p, b);
	}

	sp_pdf_heading(p, "Sources: freshness and failures", 2, 60);
	sp_buf failing = SP_BUF_INIT;
	for (int i = 0; i < f->nsources; i++)
		if (f->sources[i].streak_max >= 3)
			sp_buf_addf(&failing, "%s%s (%d nights in a row)", failing.len ? ", " : "", f->sources[i].name,
				    f->sources[i].streak_max);
	snprintf(b, sizeof(b), "Sources that failed 3 or more nights in a row in %d: %s.", f->year,
		 failing.len ? failing.buf : "none");
	body(p, b);
	sp_buf_release(&failing);
	if (f->nsources) {
		const sp_pdf_col cols[] = {
			{ "Source", 120, SP_ALIGN_LEFT, 0 },           { "Last good snapshot", 100, SP_ALIGN_LEFT, 0 },
			{ "Max. failures in a row", 105, SP_ALIGN_RIGHT, 0 }, { "Failing at year end", 100, SP_ALIGN_RIGHT, 0 },
			{ "Rejected rows", 70, SP_ALIGN_RIGHT, 0 },
		};
		sp_pdf_table_begin(p, cols, 5, 8.5f);
		for (int i = 0; i < f->nsources; i++) {
			const sp_fig_source *s = &f->sources[i];
			const char *r[] = { s->name, *s->last_good ? s->last_good : "never", I(c[0], s->streak_max),
					    I(c[1], s->streak_end), I(c[2], s->rejected) };
			sp_pdf_table_row(p, r);
		}
		sp_pdf_table_end(p);
		small_note(p, "Last good snapshot: the logical date of the newest successful fetch up to the end of the year. "
			      "Failure runs count consecutive failed fetches (one a night for the nightly job).");
	}

	sp_pdf_heading(p, "Rejected rows by reason", 2, 50);
	if (!f->nrejects) {
		snprintf(b, sizeof(b), "No rows were rejected by the parses of %d.", f->year);
		body(p, b);
	} else {
		const sp_pdf_col cols[] = {
			{ "Source", 130, SP_ALIGN_LEFT, 0 }, { "Reason", 290, SP_ALIGN_LEFT, 0 }, { "Rows", 75, SP_ALIGN_RIGHT, 0 },
		};
		sp_pdf_table_begin(p, cols, 3, 8.5f);
		for (int i = 0; i < f->nrejects;) {
			int j = i, shown = 0;
			int64_t rest = 0;
			int nrest = 0;
			for (; j < f->nrejects && !strcmp(f->rejects[j].source ? f->rejects[j].source : "",
							   f->rejects[i].source ? f->rejects[i].source : "");
			     j++) {
				if (shown < 8) {
					const char *r[] = { shown ? "" : f->rejects[j].source, f->rejects[j].reason, I(c[0], f->rejects[j].n) };
					sp_pdf_table_row(p, r);
					shown++;
				} else {
					rest += f->rejects[j].n;
					nrest++;
				}
			}
			if (nrest) {
				snprintf(b, sizeof(b), "%d other reasons", nrest);
				const char *r[] = { "", b, I(c[0], rest) };
				sp_pdf_table_row(p, r);
			}
			i = j;
		}
		sp_pdf_table_end(p);
	}

	sp_pdf_heading(p, "Duplicates merged", 2, 40);
	snprintf(b, sizeof(b), "Source records folded into a startup of cohort %d that already had an earlier record: %lld.",
		 f->year, (long long)f->dup_records);
	body(p, b);
	snprintf(b, sizeof(b), "Startups merged into another one by the runs of %d: %lld.", f->year, (long long)f->entity_merges);
	body(p, b);
}

/* The days to a decision of one year: "median (q1\u2013q3)", or "\u2013" without a decision. */
static const char *DAYS(char *b, const sp_fig_cross *x)
{
	if (!x->ndecisions)
		snprintf(b, 64, "\xE2\x80\x93");
	else
		snprintf(b, 64, "%.0f (%.0f\xE2\x80\x93%.0f)", x->days_median, x->days_q1, x->days_q3);
	return b;
}

/* 7: the key figures of the years side by side, and the cross-year views. */
static void across_years(sp_pdf *p, const sp_figures *f)
{
	char b[1024], y[SP_FIG_NHIST][16], c[SP_FIG_NHIST][64];
	snprintf(b, sizeof(b), "7  Across the years %d\xE2\x80\x93%d", f->year - SP_FIG_NHIST + 1, f->year);
	sp_pdf_heading(p, b, 1, 330);
	sp_pdf_col cols[1 + SP_FIG_NHIST] = { { "Figure", 175, SP_ALIGN_LEFT, 0 } };
	for (int i = 0; i < SP_FIG_NHIST; i++) {
		snprintf(y[i], sizeof(y[i]), "%d", f->year - SP_FIG_NHIST + 1 + i);
		cols[1 + i] = (sp_pdf_col){ y[i], 80, SP_ALIGN_RIGHT, 0 };
	}
	sp_pdf_table_begin(p, cols, 1 + SP_FIG_NHIST, 8.5f);
	enum { NROWS = 12 };
	for (int r = 0; r < NROWS; r++) {
		const char *cells[1 + SP_FIG_NHIST];
		static const char *const rate = "Qualified rate (of unique startups)", *const timed = "Decisions dated in the year";
		static const int ids[NROWS] = { SP_FIG_PULLED, SP_FIG_IN_SCOPE, SP_FIG_INTEGRATED, SP_FIG_QUALIFIED, -1,
						SP_FIG_ACCOMPANIED, SP_FIG_COCREATION, SP_FIG_INVESTED, SP_FIG_RETURNING,
						SP_FIG_RESCOUTED, -2, SP_FIG_TO_DECISION };
		cells[0] = ids[r] == -1 ? rate : ids[r] == -2 ? timed : SP_FIG_NAME(ids[r]);
		for (int i = 0; i < SP_FIG_NHIST; i++) {
			const sp_fig_funnel *u = &f->hist[i];
			const sp_fig_cross *x = &f->cross[i];
			switch (ids[r]) {
			case SP_FIG_PULLED: cells[1 + i] = I(c[i], u->pulled); break;
			case SP_FIG_IN_SCOPE: cells[1 + i] = I(c[i], u->in_scope); break;
			case SP_FIG_INTEGRATED: cells[1 + i] = I(c[i], u->integrated); break;
			case SP_FIG_QUALIFIED: cells[1 + i] = I(c[i], u->qualified); break;
			case -1: cells[1 + i] = PCT(c[i], u->qualified, u->integrated); break;
			case SP_FIG_ACCOMPANIED: cells[1 + i] = I(c[i], u->accompanied); break;
			case SP_FIG_COCREATION: cells[1 + i] = I(c[i], u->cocreation); break;
			case SP_FIG_INVESTED: cells[1 + i] = I(c[i], u->invested); break;
			case SP_FIG_RETURNING: cells[1 + i] = I(c[i], x->returning); break;
			case SP_FIG_RESCOUTED: cells[1 + i] = I(c[i], x->rescouted); break;
			case -2: cells[1 + i] = I(c[i], x->ndecisions); break;
			default: cells[1 + i] = DAYS(c[i], x); break;
			}
		}
		sp_pdf_table_row(p, cells);
	}
	sp_pdf_table_end(p);
	const sp_fig_cross *x = &f->cross[SP_FIG_NHIST - 1];
	snprintf(b, sizeof(b),
		 "In %d, %lld startups of earlier cohorts came back through a new source record, %lld of them after a "
		 "committee decline. The %lld committee decisions dated in %d came a median of %s days after the startup "
		 "was first seen (median, then first and third quartiles in brackets). The figures of a year are those of "
		 "the database today, with the same definitions as above.",
		 f->year, (long long)x->returning, (long long)x->rescouted, (long long)x->ndecisions, f->year, DAYS(c[0], x));
	body(p, b);
	for (int i = SP_FIG_RETURNING; i <= SP_FIG_RESCOUTED; i++)
		small_note(p, SP_FIG_DEFS[i].text);
}

static void lineage(sp_pdf *p, const sp_figures *f, const sp_config *cfg, int64_t epoch)
{
	char b[1024];
	sp_pdf_page(p);
	sp_pdf_heading(p, "A  Lineage", 1, 80);
	body(p, "Everything needed to trace each figure back to bytes in the raw store and to regenerate this report.");
	snprintf(b, sizeof(b), "sparker version: %s", SP_VERSION);
	body(p, b);
	snprintf(b, sizeof(b), "Configuration file sha256: %s", cfg->sha256);
	body(p, b);
	snprintf(b, sizeof(b), "Configuration hashes of the runs of %d: %s", f->year, *f->config_hashes ? f->config_hashes : "none");
	body(p, b);
	snprintf(b, sizeof(b), "Runs of %d: %s", f->year, *f->run_ids ? f->run_ids : "none");
	body(p, b);
	snprintf(b, sizeof(b), "Data as of run: %lld", (long long)f->data_run);
	body(p, b);
	snprintf(b, sizeof(b), "Regenerate: SOURCE_DATE_EPOCH=%lld sparker report --year %d (same database, same bytes)",
		 (long long)epoch, f->year);
	body(p, b);
	sp_pdf_heading(p, "Source snapshots used", 2, 50);
	if (!f->nsnaps) {
		snprintf(b, sizeof(b), "No source snapshot was parsed in %d or holds a record of its cohort.", f->year);
		body(p, b);
		return;
	}
	small_note(p, "Every snapshot parsed by a run of the year, and every snapshot a record of the cohort was last read from.");
	sp_pdf_skip(p, 4);
	for (int i = 0; i < f->nsnaps; i++) {
		const sp_fig_snap *s = &f->snaps[i];
		sp_pdf_need(p, 34);
		snprintf(b, sizeof(b), "%s  \xC2\xB7  %s  \xC2\xB7  fetch %lld", s->source ? s->source : "?", s->date ? s->date : "?",
			 (long long)s->fetch_id);
		sp_pdf_para(p, SP_PDF_MARGIN, SP_PDF_CONTENT_W, b, 8, 1);
		sp_pdf_para(p, SP_PDF_MARGIN + 10, SP_PDF_CONTENT_W - 10, s->url ? s->url : "", 7.5f, 0);
		snprintf(b, sizeof(b), "sha256 %s", s->sha256 ? s->sha256 : "(none)");
		sp_pdf_para(p, SP_PDF_MARGIN + 10, SP_PDF_CONTENT_W - 10, b, 7.5f, 0);
		sp_pdf_skip(p, 3);
	}
}

/* The audit of the year's selection (pipeline/audit.h), under the qualified startups, when the
 * year has a draw: precision, the relevant startups missed and recall, with their intervals. */
static void audit_note(sp_pdf *p, const sp_audit_estimate *a)
{
	char b[512];
	sp_pdf_skip(p, 10);
	sp_pdf_heading(p, "Audit: what the filter missed", 2, 60);
	if (!a->found.labelled || !a->missed.labelled) {
		snprintf(b, sizeof(b), "An audit sample of cohort %lld was drawn on %.10s; it has no labels on %s yet.",
			 (long long)a->year, a->created, !a->found.labelled ? "the qualified startups" : "the others");
		body(p, b);
		return;
	}
	snprintf(b, sizeof(b),
		 "Precision of the selection: %.2f (95 %% interval %.2f to %.2f), from %lld labelled qualified startups of %lld.",
		 a->precision, a->precision_lo, a->precision_hi, (long long)a->found.labelled, (long long)a->found.size);
	body(p, b);
	snprintf(b, sizeof(b),
		 "Relevant startups missed among the %lld not qualified: %.0f (95 %% interval %.0f to %.0f), from %lld labelled.",
		 (long long)a->missed.size, a->missed.est, a->missed.lo, a->missed.hi, (long long)a->missed.labelled);
	body(p, b);
	if (!isnan(a->recall)) {
		snprintf(b, sizeof(b), "Recall: %.2f (%.2f to %.2f).", a->recall, a->recall_lo, a->recall_hi);
		body(p, b);
	}
	snprintf(b, sizeof(b), "A stratified random sample (draw %lld of %.10s) labelled by analysts; stratified Wilson "
		 "intervals (`sparker audit estimate --year %lld`)%s.", (long long)a->draw_id, a->created, (long long)a->year,
		 a->found.complete && a->missed.complete ? "" : "; strata without a label count in the upper ends only");
	small_note(p, b);
}

/* Render the PDF of figures f to path (epoch: date written; audit: NULL when the year has none). */
static int report_pdf(const sp_figures *f, const sp_config *cfg, int64_t epoch, const sp_audit_estimate *audit,
		      const char *path, sp_err *err)
{
	char written[32], title[256], header[512];
	sp_time_iso(epoch, written, sizeof(written));
	written[10] = 0; /* the date is enough for a reader */
	snprintf(title, sizeof(title), "%s \xE2\x80\x94 startup scouting funnel report %d",
		 cfg->programme && *cfg->programme ? cfg->programme : "sparker", f->year);
	snprintf(header, sizeof(header), "%s", title);
	sp_pdf *p;
	int rc = sp_pdf_new(&p, title, header, epoch, err);
	if (rc != SP_OK)
		return rc;
	cover(p, f, cfg, written);
	key_figures(p, f);
	breakdowns(p, f, cfg);
	monthly(p, f);
	qualified_table(p, f);
	if (audit)
		audit_note(p, audit);
	operations(p, f);
	across_years(p, f);
	lineage(p, f, cfg, epoch);
	rc = sp_pdf_save(p, path, err);
	sp_pdf_free(p);
	return rc;
}

/* ---- the stage ----------------------------------------------------------------------------- */

static int write_csv(const sp_figures *f, const sp_config *cfg, const char *written, const char *path, sp_err *err)
{
	FILE *o = fopen(path, "w");
	if (!o)
		return sp_err_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
	sp_figures_csv(f, cfg, written, o);
	if (ferror(o) | (fclose(o) != 0))
		return sp_err_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
	return SP_OK;
}

/* The HTML summary (html.h) to path, through a temporary file renamed into place. */
static int write_html(const sp_figures *f, const sp_config *cfg, const char *written, const char *path, sp_err *err)
{
	sp_buf tmp = SP_BUF_INIT;
	sp_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *o = fopen(tmp.buf, "w");
	int rc = SP_OK;
	if (!o)
		rc = sp_err_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
	else {
		sp_report_html(f, cfg, written, o);
		if ((ferror(o) | (fclose(o) != 0)) || rename(tmp.buf, path) != 0) {
			rc = sp_err_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
			unlink(tmp.buf);
		}
	}
	sp_buf_release(&tmp);
	return rc;
}

static int parent_dir(const char *path, sp_err *err)
{
	char *d = sp_xstrdup(path);
	char *slash = strrchr(d, '/');
	int rc = SP_OK;
	if (slash && slash != d) {
		*slash = 0;
		rc = sp_mkdir_p(d, err);
	}
	free(d);
	return rc;
}

int sp_report_row_write(sp_store *db, const sp_report_row *r, int once, sp_err *err)
{
	int rc = sp_store_begin(db, err);
	int64_t n = 0;
	char year[16];
	snprintf(year, sizeof(year), "%d", r->year);
	if (rc == SP_OK && once)
		rc = sp_store_int(db, "SELECT count(*) FROM report WHERE year = CAST(?1 AS INTEGER) AND sha256 = ?2 AND created = ?3",
				  &n, err, year, r->sha256, r->created);
	sp_stmt *s = NULL;
	if (rc == SP_OK && !n &&
	    (rc = sp_store_prepare(db, "INSERT INTO report (year, path, csv_path, sha256, run_id, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				   &s, err)) == SP_OK) {
		sp_bind_int(s, 1, r->year);
		sp_bind_text(s, 2, r->path);
		sp_bind_text(s, 3, r->csv_path);
		sp_bind_text(s, 4, r->sha256);
		if (r->run_id)
			sp_bind_int64(s, 5, r->run_id);
		sp_bind_text(s, 6, r->created);
		rc = sp_store_step_done(db, s, err);
	}
	sp_finalize(s);
	if (rc == SP_OK)
		rc = sp_store_commit(db, err);
	if (rc != SP_OK)
		sp_store_rollback(db);
	return rc;
}

/* The report's row: into the database; beside a run on SQLite (one writer, busy for the run's
 * stage) into the inbox, which the next run applies (pipeline/inbox.h). */
static int report_row(sp_ctx *ctx, const sp_report_row *r)
{
	if (!ctx->beside || sp_store_is_server(ctx->cfg->database))
		return sp_report_row_write(ctx->db, r, 0, ctx->err);
	sp_inbox *ib;
	int rc = sp_inbox_open(ctx->cfg->database, &ib, ctx->err);
	if (rc == SP_OK)
		rc = sp_inbox_add_report(ib, r, ctx->err);
	sp_inbox_close(ib);
	return rc;
}

int sp_stage_report(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	(void)src;
	int year = ctx->year;
	if (year <= 0)
		year = atoi(ctx->as_of) - 1;
	if (year < 1900 || year > 9999)
		return sp_err_set(ctx->err, SP_EUSAGE, "report: %d is not a year", year);
	sp_buf pdf = SP_BUF_INIT, csv = SP_BUF_INIT, tpdf = SP_BUF_INIT, tcsv = SP_BUF_INIT;
	sp_report_paths(ctx->cfg, year, ctx->report_pdf, ctx->report_csv, &pdf, &csv);
	sp_buf_addf(&tpdf, "%s.tmp.%ld", pdf.buf, (long)getpid());
	sp_buf_addf(&tcsv, "%s.tmp.%ld", csv.buf, (long)getpid());

	sp_figures f;
	int64_t now = sp_now();
	char written[32];
	sp_time_iso(now, written, sizeof(written));
	int rc = sp_figures_load(ctx->db, ctx->cfg, year, &f, ctx->err);
	if (rc != SP_OK)
		goto out_f;
	if (year_is_empty(&f)) {
		rc = no_data(ctx, year);
		goto out_f;
	}
	if ((rc = parent_dir(pdf.buf, ctx->err)) != SP_OK || (rc = parent_dir(csv.buf, ctx->err)) != SP_OK)
		goto out_f;
	FILE *probe = fopen(tpdf.buf, "wb"); /* a clear message for an unwritable place (libharu gives a code) */
	if (!probe) {
		rc = sp_err_set(ctx->err, SP_EIO, "cannot write %s: %s", pdf.buf, strerror(errno));
		goto out_f;
	}
	fclose(probe);
	int audited = 0;
	sp_audit_estimate audit;
	memset(&audit, 0, sizeof(audit));
	if ((rc = sp_audit_exists(ctx->db, year, &audited, ctx->err)) == SP_OK && audited)
		rc = sp_audit_estimate_load(ctx->db, year, &audit, ctx->err);
	if (rc == SP_OK)
		rc = report_pdf(&f, ctx->cfg, now, audited ? &audit : NULL, tpdf.buf, ctx->err);
	sp_audit_estimate_release(&audit);
	if (rc != SP_OK ||
	    (rc = write_csv(&f, ctx->cfg, written, tcsv.buf, ctx->err)) != SP_OK)
		goto out_f;
	if (rename(tpdf.buf, pdf.buf) != 0 || rename(tcsv.buf, csv.buf) != 0) {
		rc = sp_err_set(ctx->err, SP_EIO, "cannot rename the report into %s: %s", pdf.buf, strerror(errno));
		goto out_f;
	}
	if (ctx->report_html && ((rc = parent_dir(ctx->report_html, ctx->err)) != SP_OK ||
				 (rc = write_html(&f, ctx->cfg, written, ctx->report_html, ctx->err)) != SP_OK))
		goto out_f;
	char sha[65];
	if ((rc = sp_sha256_file(pdf.buf, sha, ctx->err)) != SP_OK)
		goto out_f;
	sp_report_row row = { .year = year, .path = pdf.buf, .csv_path = csv.buf, .sha256 = sha, .created = written,
			      .run_id = ctx->run_id };
	if ((rc = report_row(ctx, &row)) != SP_OK)
		goto out_f;
	c->in = f.cur.integrated;
	c->out = f.nqual;
	snprintf(c->note, sizeof(c->note), "wrote %s", pdf.buf);
out_f:
	sp_figures_release(&f);
	if (rc != SP_OK) {
		unlink(tpdf.buf);
		unlink(tcsv.buf);
	}
	sp_buf_release(&pdf);
	sp_buf_release(&csv);
	sp_buf_release(&tpdf);
	sp_buf_release(&tcsv);
	return rc;
}
