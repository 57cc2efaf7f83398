/*
 * html.c — the HTML summary of the key figures. See html.h.
 */
#include "reports/html.h"
#include "reports/charts.h"

#include <string.h>

static void esc(FILE *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '&': fputs("&amp;", o); break;
		case '"': fputs("&quot;", o); break;
		default: fputc(*s, o);
		}
	}
}

static void pct(FILE *o, int64_t a, int64_t b)
{
	char buf[32];
	sp_fig_pct(a, b, buf, sizeof(buf));
	fputs(buf, o);
}

static void headline(FILE *o, const sp_figures *f)
{
	const sp_fig_funnel *u = &f->cur;
	fputs("<table class=\"head\"><tr>", o);
	const int ids[] = { SP_FIG_INTEGRATED, SP_FIG_QUALIFIED, SP_FIG_ACCOMPANIED };
	const int64_t v[] = { u->integrated, u->qualified, u->accompanied };
	for (int i = 0; i < 3; i++) {
		fprintf(o, "<td><div class=\"big\">%lld</div><div>", (long long)v[i]);
		esc(o, SP_FIG_NAME(ids[i]));
		fputs("</div><div class=\"sub\">", o);
		if (i == 0)
			fprintf(o, "target %lld&ndash;%lld", (long long)f->target_int_min, (long long)f->target_int_max);
		else if (i == 1) {
			pct(o, u->qualified, u->integrated);
			fputs(" of unique startups", o);
		} else
			fprintf(o, "target ~%lld", (long long)f->target_acc);
		fprintf(o, "</div><div class=\"sub\">%d: %lld</div></td>", f->year - 1,
			(long long)(i == 0 ? f->prev.integrated : i == 1 ? f->prev.qualified : f->prev.accompanied));
	}
	fputs("</tr></table>\n", o);
}

static void funnel(FILE *o, const sp_figures *f)
{
	const sp_fig_funnel *u = &f->cur;
	const int ids[] = { SP_FIG_PULLED,      SP_FIG_IN_SCOPE,    SP_FIG_INTEGRATED, SP_FIG_QUALIFIED,
			    SP_FIG_ACCOMPANIED, SP_FIG_COCREATION, SP_FIG_INVESTED };
	const int64_t v[] = { u->pulled, u->in_scope, u->integrated, u->qualified, u->accompanied, u->cocreation, u->invested };
	int ref[7];
	sp_chart_funnel_refs(v, 7, ref);
	fprintf(o, "<h2>The funnel %d</h2>\n<table class=\"fun\"><tr><th></th><th></th><th>count</th>"
		   "<th>%% of the stage above</th><th>%% of the first stage</th></tr>\n", f->year);
	for (int i = 0; i < 7; i++) {
		if (i && ref[i] != ref[i - 1]) {
			fputs("<tr><td></td><td class=\"brk\">scale break: below it, ", o);
			esc(o, SP_FIG_NAME(ids[ref[i]]));
			fprintf(o, " (%lld) is the full width</td><td></td><td></td><td></td></tr>\n", (long long)v[ref[i]]);
		}
		double w = v[ref[i]] > 0 ? 100.0 * (double)v[i] / (double)v[ref[i]] : 0;
		fputs("<tr><th>", o);
		esc(o, SP_FIG_NAME(ids[i]));
		fprintf(o, "</th><td class=\"bar\"><div style=\"width:%.1f%%\"></div></td><td>%lld</td><td>", w, (long long)v[i]);
		if (i)
			pct(o, v[i], v[i - 1]);
		fputs("</td><td>", o);
		if (i)
			pct(o, v[i], v[0]);
		fputs("</td></tr>\n", o);
	}
	fputs("</table>\n", o);
}

static void years(FILE *o, const sp_figures *f)
{
	fputs("<h2>Across the years</h2>\n<table class=\"yrs\"><tr><th></th>", o);
	for (int i = 0; i < SP_FIG_NHIST; i++)
		fprintf(o, "<th>%d</th>", f->year - SP_FIG_NHIST + 1 + i);
	fputs("</tr>\n", o);
	const int ids[] = { SP_FIG_PULLED,    SP_FIG_IN_SCOPE,  SP_FIG_INTEGRATED, SP_FIG_QUALIFIED,  SP_FIG_ACCOMPANIED,
			    SP_FIG_COCREATION, SP_FIG_INVESTED, SP_FIG_RETURNING,  SP_FIG_RESCOUTED, SP_FIG_TO_DECISION };
	for (size_t r = 0; r < SP_ARRAY_LEN(ids); r++) {
		fputs("<tr><th>", o);
		esc(o, SP_FIG_NAME(ids[r]));
		fputs("</th>", o);
		for (int i = 0; i < SP_FIG_NHIST; i++) {
			const sp_fig_funnel *u = &f->hist[i];
			const sp_fig_cross *x = &f->cross[i];
			int64_t v = 0;
			switch (ids[r]) {
			case SP_FIG_PULLED: v = u->pulled; break;
			case SP_FIG_IN_SCOPE: v = u->in_scope; break;
			case SP_FIG_INTEGRATED: v = u->integrated; break;
			case SP_FIG_QUALIFIED: v = u->qualified; break;
			case SP_FIG_ACCOMPANIED: v = u->accompanied; break;
			case SP_FIG_COCREATION: v = u->cocreation; break;
			case SP_FIG_INVESTED: v = u->invested; break;
			case SP_FIG_RETURNING: v = x->returning; break;
			case SP_FIG_RESCOUTED: v = x->rescouted; break;
			default:
				if (x->ndecisions)
					fprintf(o, "<td>%.0f (%.0f&ndash;%.0f)</td>", x->days_median, x->days_q1, x->days_q3);
				else
					fputs("<td>&ndash;</td>", o);
				continue;
			}
			fprintf(o, "<td>%lld</td>", (long long)v);
		}
		fputs("</tr>\n", o);
	}
	fputs("</table>\n", o);
}

/* What changed since the year's earlier report (restate.h): one line, when anything did. */
static void restated(FILE *o, const sp_figures *f)
{
	const sp_fig_restate *r = &f->restate;
	if (!r->changed)
		return;
	fprintf(o, "<p class=\"note\">Restated since the report of %s (run %lld): unique startups %lld \xE2\x86\x92 %lld, "
		   "qualified %lld \xE2\x86\x92 %lld (%lld entered, %lld left), accompanied %lld \xE2\x86\x92 %lld.</p>\n",
		r->date, (long long)r->run, (long long)r->old.integrated, (long long)f->cur.integrated,
		(long long)r->old.qualified, (long long)f->cur.qualified, (long long)r->entered, (long long)r->left,
		(long long)r->old.accompanied, (long long)f->cur.accompanied);
}

void sp_report_html(const sp_figures *f, const char *written, FILE *o)
{
	const char *prog = f->programme && *f->programme ? f->programme : "Open innovation programme";
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", o);
	esc(o, prog);
	fprintf(o, " \xE2\x80\x94 %d</title>\n<style>\n"
		   "body{font-family:Arial,Helvetica,sans-serif;color:#111;max-width:720px;margin:16px auto;font-size:14px}\n"
		   "h1{color:#14336b;font-size:20px;margin:0 0 4px}h2{color:#14336b;font-size:16px;margin:18px 0 6px}\n"
		   "table{border-collapse:collapse;width:100%%}td,th{padding:3px 6px;text-align:right}th{text-align:left}\n"
		   ".head td{text-align:center;background:#eef2fa;border:4px solid #fff}.big{font-size:30px;font-weight:bold;color:#14336b}\n"
		   ".sub{color:#555;font-size:12px}.bar{width:45%%}.bar div{background:#21508c;height:14px;margin:0 auto;min-width:1px}\n"
		   ".brk{color:#555;font-size:11px;text-align:center;border-top:1px dashed #555}\n"
		   ".yrs td,.yrs th,.fun td,.fun th{border-bottom:1px solid #ddd}.note{color:#555;font-size:12px}\n"
		   "</style></head><body>\n<h1>", f->year);
	esc(o, prog);
	fprintf(o, "</h1>\n<div class=\"note\">Startup scouting funnel %d \xC2\xB7 written %.10s \xC2\xB7 data as of run %lld "
		   "\xC2\xB7 sparker %s</div>\n", f->year, written, (long long)f->data_run, f->version);
	headline(o, f);
	restated(o, f);
	funnel(o, f);
	years(o, f);
	fputs("<p class=\"note\">", o);
	for (int i = SP_FIG_PULLED; i <= SP_FIG_ACCOMPANIED; i++)
		if (SP_FIG_DEFS[i].text && i != SP_FIG_OUT_OF_SCOPE && i != SP_FIG_REJECTED && i != SP_FIG_KNOWN) {
			esc(o, SP_FIG_DEFS[i].text);
			fputc(' ', o);
		}
	fputs("The full report (PDF) and its CSV companion give every figure, with its definition.</p>\n</body></html>\n", o);
}
