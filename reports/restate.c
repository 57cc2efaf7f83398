/*
 * restate.c — the restatement of a year's report against its earlier edition. See restate.h.
 */
#include "reports/restate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/history.h"
#include "reports/edition.h"

const char *sp_restate_fig(int i, const sp_fig_funnel *fu, int64_t *v, const char **key)
{
	static const char *const keys[SP_RESTATE_NFIG] = {
		"records_pulled", "out_of_scope", "rejected", "already_known", "in_scope", "integrated", "qualified",
		"accompanied", "cocreation", "invested", "dec_accompanied", "dec_cocreation", "dec_invested",
	};
	const int64_t vals[SP_RESTATE_NFIG] = {
		fu->pulled, fu->out_of_scope, fu->rejected, fu->known, fu->in_scope, fu->integrated, fu->qualified,
		fu->accompanied, fu->cocreation, fu->invested, fu->dec_accompanied, fu->dec_cocreation, fu->dec_invested,
	};
	static const char *const dated[3] = { "Accompanied (decisions dated in the year)",
					      "Co-creation (decisions dated in the year)",
					      "Invested (decisions dated in the year)" };
	*v = vals[i];
	if (key)
		*key = keys[i];
	return i < 10 ? SP_FIG_NAME(SP_FIG_PULLED + i) : dated[i - 10];
}

static int on_change(void *user, const sp_hist_change *c)
{
	sp_fig_restate *r = user;
	if (!(c->kinds & (SP_HIST_ENTERED | SP_HIST_LEFT)))
		return 0;
	if (c->kinds & SP_HIST_ENTERED)
		r->entered++;
	else
		r->left++;
	if (r->nmoved < SP_FIG_MOVED_MAX) {
		if (!r->moved)
			r->moved = sp_xcalloc(SP_FIG_MOVED_MAX, sizeof(*r->moved));
		sp_fig_moved *m = &r->moved[r->nmoved++];
		m->id = c->entity_id;
		m->name = sp_xstrdup(c->name ? c->name : "?");
		m->entered = (c->kinds & SP_HIST_ENTERED) != 0;
	}
	return 0;
}

/* The runs after r->run with a logical date in the year that wrote data, and the judgements
 * recorded since judged_by (the run that wrote the earlier report) started. */
static int load_since(sp_store *db, int year, int64_t judged_by, sp_fig_restate *r, sp_err *err)
{
	sp_stmt *s;
	char y[8];
	snprintf(y, sizeof(y), "%04d", year);
	int rc = sp_store_prepare(db, "SELECT r.id, r.as_of FROM run r WHERE r.id > ?1 AND substr(r.as_of, 1, 4) = ?2"
				      " AND EXISTS (SELECT 1 FROM stage_run sr WHERE sr.run_id = r.id AND sr.stage <> 'report')"
				      " ORDER BY r.id", &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, r->run);
	sp_bind_text(s, 2, y);
	sp_buf b = SP_BUF_INIT;
	while (sp_step(s) == SP_ROW) {
		sp_buf_addf(&b, "%s%lld (%s)", b.len ? ", " : "", (long long)sp_col_int64(s, 0), sp_col_text(s, 1));
		r->nruns++;
	}
	sp_finalize(s);
	r->runs = sp_xstrdup(sp_buf_str(&b));
	sp_buf_release(&b);
	int64_t upto;
	if ((rc = sp_history_judgement_upto(db, judged_by, &upto, err)) != SP_OK ||
	    (rc = sp_store_prepare(db, "SELECT count(*), COALESCE(sum(CASE WHEN kind = 'decision' THEN 1 ELSE 0 END), 0),"
				       " COALESCE(sum(CASE WHEN kind = 'pin' THEN 1 ELSE 0 END), 0) FROM judgement WHERE id > ?1",
				   &s, err)) != SP_OK)
		return rc;
	sp_bind_int64(s, 1, upto);
	if (sp_step(s) == SP_ROW)
		r->judgements = sp_col_int64(s, 0), r->decisions = sp_col_int64(s, 1), r->pins = sp_col_int64(s, 2);
	else
		rc = sp_store_error(db, err, "judgements since");
	sp_finalize(s);
	return rc;
}

static int hubs_differ(const sp_fig_restate *r, const sp_figures *f)
{
	if (r->nhubs != f->nhubs)
		return 1;
	for (int i = 0; i < f->nhubs; i++)
		if (strcmp(r->hubs[i].name, f->hubs[i].name) || r->hubs[i].integrated != f->hubs[i].integrated ||
		    r->hubs[i].qualified != f->hubs[i].qualified || r->hubs[i].accompanied != f->hubs[i].accompanied)
			return 1;
	return 0;
}

int sp_restate_load(sp_store *db, sp_figures *f, sp_err *err)
{
	sp_fig_restate *r = &f->restate;
	sp_edition e;
	int rc = sp_edition_before(db, f->year, f->data_run, &e, err);
	if (rc == SP_ENOTFOUND)
		return SP_OK;
	if (rc != SP_OK)
		return rc;
	sp_report_inputs old;
	if ((rc = sp_inputs_from_json(e.inputs, &old, err)) != SP_OK) {
		sp_err_prefix(err, "the report of %d written on %.10s", f->year, e.created);
		sp_edition_release(&e);
		return rc;
	}
	r->edition = e.id, r->run = e.as_of_run;
	int64_t judged_by = e.run_id ? e.run_id : e.as_of_run; /* the judgements that report read */
	snprintf(r->date, sizeof(r->date), "%.10s", e.created);
	r->old = old.f.cur;
	r->hubs = old.f.hubs, r->nhubs = old.f.nhubs; /* taken from old */
	old.f.hubs = NULL, old.f.nhubs = 0;
	sp_inputs_release(&old);
	sp_edition_release(&e);
	if ((rc = sp_history_diff(db, r->run, INT64_MAX, f->year, on_change, r, err)) != SP_OK ||
	    (rc = load_since(db, f->year, judged_by, r, err)) != SP_OK)
		return rc;
	int64_t a, b;
	for (int i = 0; i < SP_RESTATE_NFIG; i++) {
		sp_restate_fig(i, &r->old, &a, NULL);
		sp_restate_fig(i, &f->cur, &b, NULL);
		r->changed |= a != b;
	}
	r->changed |= hubs_differ(r, f) || r->entered || r->left || r->nruns || r->judgements;
	return SP_OK;
}

/* ---- the PDF part ---- */

static void note(sp_pdf *p, const char *s)
{
	sp_pdf_text_rgb(p, 0.3f, 0.3f, 0.3f);
	sp_pdf_para(p, SP_PDF_MARGIN, SP_PDF_CONTENT_W, s, 7.5f, 0);
	sp_pdf_text_rgb(p, 0, 0, 0);
}

static void para(sp_pdf *p, const char *s)
{
	sp_pdf_para(p, SP_PDF_MARGIN, SP_PDF_CONTENT_W, s, 9.5f, 0);
	sp_pdf_skip(p, 3);
}

static void diff_row(sp_pdf *p, const char *name, int64_t a, int64_t b)
{
	char c[3][32];
	snprintf(c[0], sizeof(c[0]), "%lld", (long long)a);
	snprintf(c[1], sizeof(c[1]), "%lld", (long long)b);
	snprintf(c[2], sizeof(c[2]), a == b ? "\xE2\x80\x93" : "%+lld", (long long)(b - a));
	const char *r[] = { name, c[0], c[1], c[2] };
	sp_pdf_table_row(p, r);
}

static void moved_part(sp_pdf *p, const sp_figures *f)
{
	const sp_fig_restate *r = &f->restate;
	char b[512];
	snprintf(b, sizeof(b), "Qualified list of %d: %lld startups entered it and %lld left it since run %lld "
		 "(the selection of run %lld against today's).", f->year, (long long)r->entered, (long long)r->left,
		 (long long)r->run, (long long)r->run);
	para(p, b);
	if (!r->nmoved || r->entered + r->left > SP_FIG_MOVED_MAX)
		return; /* many: the counts, and `sparker diff-selection` lists them */
	const sp_pdf_col cols[] = { { "Startup", 300, SP_ALIGN_LEFT, 0 }, { "Id", 80, SP_ALIGN_RIGHT, 0 },
				    { "Change", 115, SP_ALIGN_LEFT, 0 } };
	sp_pdf_table_begin(p, cols, 3, 8.5f);
	for (int i = 0; i < r->nmoved; i++) {
		char id[32];
		snprintf(id, sizeof(id), "%lld", (long long)r->moved[i].id);
		const char *row[] = { r->moved[i].name, id, r->moved[i].entered ? "entered" : "left" };
		sp_pdf_table_row(p, row);
	}
	sp_pdf_table_end(p);
}

void sp_restate_pdf(sp_pdf *p, const sp_figures *f)
{
	const sp_fig_restate *r = &f->restate;
	char b[1024];
	if (!r->edition)
		return;
	if (!r->changed) {
		snprintf(b, sizeof(b), "No change since the report of %s (data as of run %lld).", r->date, (long long)r->run);
		note(p, b);
		return;
	}
	sp_pdf_page(p);
	snprintf(b, sizeof(b), "R  Restated since the report of %s (run %lld)", r->date, (long long)r->run);
	sp_pdf_heading(p, b, 1, 120);
	snprintf(b, sizeof(b), "The report of %d written on %s, with data as of run %lld, said what the first column says; "
		 "this report says the second.", f->year, r->date, (long long)r->run);
	para(p, b);
	const sp_pdf_col cols[] = { { "Figure", 245, SP_ALIGN_LEFT, 0 }, { "Then", 80, SP_ALIGN_RIGHT, 0 },
				    { "Now", 80, SP_ALIGN_RIGHT, 0 }, { "Difference", 90, SP_ALIGN_RIGHT, 0 } };
	sp_pdf_table_begin(p, cols, 4, 8.5f);
	for (int i = 0; i < SP_RESTATE_NFIG; i++) {
		int64_t a, v;
		const char *name = sp_restate_fig(i, &r->old, &a, NULL);
		sp_restate_fig(i, &f->cur, &v, NULL);
		diff_row(p, name, a, v);
	}
	sp_pdf_table_end(p);
	for (int i = 0; i < f->nhubs; i++) { /* per hub, matched by name; a hub new since: from 0 */
		const sp_fig_hub *h = &f->hubs[i], *o = NULL;
		for (int j = 0; j < r->nhubs && !o; j++)
			if (!strcmp(r->hubs[j].name, h->name))
				o = &r->hubs[j];
		if (!i) {
			sp_pdf_heading(p, "By hub", 2, 60);
			sp_pdf_table_begin(p, cols, 4, 8.5f);
		}
		snprintf(b, sizeof(b), "%s: unique startups", h->label), diff_row(p, b, o ? o->integrated : 0, h->integrated);
		snprintf(b, sizeof(b), "%s: qualified", h->label), diff_row(p, b, o ? o->qualified : 0, h->qualified);
		snprintf(b, sizeof(b), "%s: accompanied", h->label), diff_row(p, b, o ? o->accompanied : 0, h->accompanied);
		if (i == f->nhubs - 1)
			sp_pdf_table_end(p);
	}
	sp_pdf_skip(p, 6);
	moved_part(p, f);
	snprintf(b, sizeof(b), "Runs since run %lld with a logical date in %d (backfills): %s.", (long long)r->run, f->year,
		 r->nruns ? r->runs : "none");
	para(p, b);
	snprintf(b, sizeof(b), "Judgements recorded since that report: %lld (committee decisions %lld, pins %lld).",
		 (long long)r->judgements, (long long)r->decisions, (long long)r->pins);
	para(p, b);
	note(p, "A figure changes when the data behind it does: a backfill brings records of the year, a rescoring or "
		"a pin moves startups into or out of the selection, a decision recorded later counts in the year of the "
		"startup's cohort. `sparker report --year Y --as-of-run N` renders the earlier report again; "
		"`sparker diff-selection --from N --to M --year Y` lists the startups that moved.");
}
