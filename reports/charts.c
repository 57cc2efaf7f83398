/*
 * charts.c — funnel, horizontal bars and monthly bars with libharu primitives. See charts.h.
 */
#include "reports/charts.h"
#include "reports/figures.h"

#include <math.h>
#include <stdio.h>

#define C_DARK 0.13f, 0.30f, 0.55f
#define C_LIGHT 0.95f, 0.58f, 0.20f
#define C_FRAME 0.75f

static void legend(sp_pdf *p, float x, float y, const char *name_a, const char *name_b)
{
	sp_pdf_rect(p, x, y, 8, 8, C_DARK);
	sp_pdf_text(p, x + 12, y + 1, name_a, 8, 0, SP_ALIGN_LEFT, 0);
	if (name_b) {
		float w = sp_pdf_width(p, name_a, 8, 0) + 30;
		sp_pdf_rect(p, x + w, y, 8, 8, C_LIGHT);
		sp_pdf_text(p, x + w + 12, y + 1, name_b, 8, 0, SP_ALIGN_LEFT, 0);
	}
}

void sp_chart_nodata(sp_pdf *p, float h, const char *msg)
{
	sp_pdf_need(p, h + 6);
	float y = sp_pdf_y(p) - h;
	float x = SP_PDF_MARGIN;
	sp_pdf_line(p, x, y, x + SP_PDF_CONTENT_W, y, 0.6f, C_FRAME);
	sp_pdf_line(p, x, y + h, x + SP_PDF_CONTENT_W, y + h, 0.6f, C_FRAME);
	sp_pdf_line(p, x, y, x, y + h, 0.6f, C_FRAME);
	sp_pdf_line(p, x + SP_PDF_CONTENT_W, y, x + SP_PDF_CONTENT_W, y + h, 0.6f, C_FRAME);
	sp_pdf_text_rgb(p, 0.4f, 0.4f, 0.4f);
	sp_pdf_text(p, x + 10, y + h / 2 - 4, msg, 11, 1, SP_ALIGN_CENTER, SP_PDF_CONTENT_W - 20);
	sp_pdf_text_rgb(p, 0, 0, 0);
	sp_pdf_set_y(p, y - 6);
}

/* The first stage from which the bars are drawn against v[ref] instead: the first one below
 * SP_CHART_BREAK of v[ref] (n when none). */
static int funnel_break(const int64_t *v, int n, int ref)
{
	for (int i = ref + 1; i < n; i++)
		if (v[i] > 0 && (double)v[i] < SP_CHART_BREAK * (double)v[ref])
			return i;
	return n;
}

void sp_chart_funnel_refs(const int64_t *v, int n, int *ref)
{
	int r = 0; /* the largest stage is the first part's full width (the first stage, but for odd years) */
	for (int i = 1; i < n; i++)
		if (v[i] > v[r])
			r = i;
	int brk = funnel_break(v, n, r);
	for (int i = 0; i < n; i++) {
		if (i == brk) {
			r = i - 1;
			brk = funnel_break(v, n, r);
		}
		ref[i] = r;
	}
}

/* The dashed scale-break line across the bar column, with its caption. */
static void funnel_scale_break(sp_pdf *p, float x, float y, float w, const char *label, int64_t ref, double factor)
{
	for (float d = x; d < x + w; d += 6)
		sp_pdf_line(p, d, y, d + 3 < x + w ? d + 3 : x + w, y, 0.8f, 0.35f);
	char buf[256];
	snprintf(buf, sizeof(buf), "scale break: below it, %s (%lld) is the full width (scale \xC3\x97%.0f)", label,
		 (long long)ref, factor);
	sp_pdf_text_rgb(p, 0.35f, 0.35f, 0.35f);
	sp_pdf_text(p, SP_PDF_MARGIN, y - 9, buf, 7, 0, SP_ALIGN_CENTER, x + w - SP_PDF_MARGIN);
	sp_pdf_text_rgb(p, 0, 0, 0);
}

void sp_chart_funnel(sp_pdf *p, const char *const *labels, const int64_t *v, int n, const char *nodata)
{
	int64_t max = 0;
	for (int i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	if (max <= 0) {
		sp_chart_nodata(p, 120, nodata);
		return;
	}
	const float rh = 24, lab_w = 100, bar_w = 185, cnt_w = 50, rate_w = (SP_PDF_CONTENT_W - lab_w - bar_w - cnt_w) / 2;
	int refs[SP_CHART_MAX_STAGES], nbreaks = 0;
	if (n > SP_CHART_MAX_STAGES)
		n = SP_CHART_MAX_STAGES;
	sp_chart_funnel_refs(v, n, refs);
	for (int i = 1; i < n; i++)
		nbreaks += refs[i] != refs[i - 1];
	float h = rh * (float)n + 18 * (float)nbreaks + 20;
	sp_pdf_need(p, h);
	float x = SP_PDF_MARGIN, y = sp_pdf_y(p);
	sp_pdf_text_rgb(p, 0.35f, 0.35f, 0.35f);
	sp_pdf_text(p, x + lab_w + bar_w, y - 10, "count", 7.5f, 0, SP_ALIGN_RIGHT, cnt_w - 10);
	sp_pdf_text(p, x + lab_w + bar_w + cnt_w, y - 10, "% of the stage above", 7.5f, 0, SP_ALIGN_RIGHT, rate_w);
	sp_pdf_text(p, x + lab_w + bar_w + cnt_w + rate_w, y - 10, "% of the first stage", 7.5f, 0, SP_ALIGN_RIGHT, rate_w);
	sp_pdf_text_rgb(p, 0, 0, 0);
	float top = y - 16;
	for (int i = 0; i < n; i++) {
		int ref = refs[i];
		if (i && ref != refs[i - 1]) { /* the stage above becomes the full width */
			funnel_scale_break(p, x + lab_w, top - 5, bar_w, labels[ref], v[ref], (double)v[refs[0]] / (double)v[ref]);
			top -= 18;
		}
		float mid = top - rh / 2;
		/* proportional to the stage that is the full width of this part of the chart */
		float w = v[i] > 0 ? (float)((double)bar_w * (double)v[i] / (double)v[ref]) : 0;
		if (v[i] > 0 && w < 1)
			w = 1; /* a non-zero stage stays visible */
		float shade = (float)i / (float)(n > 1 ? n - 1 : 1);
		sp_pdf_rect(p, x + lab_w + (bar_w - w) / 2, top - rh + 3, w, rh - 6, 0.13f + 0.55f * shade * 0.6f,
			    0.30f + 0.25f * shade, 0.55f - 0.2f * shade);
		sp_pdf_text(p, x, mid - 3.5f, labels[i], 9.5f, 1, SP_ALIGN_LEFT, lab_w - 6);
		char buf[48];
		snprintf(buf, sizeof(buf), "%lld", (long long)v[i]);
		sp_pdf_text(p, x + lab_w + bar_w, mid - 3.5f, buf, 10, 1, SP_ALIGN_RIGHT, cnt_w);
		sp_pdf_text_rgb(p, 0.3f, 0.3f, 0.3f);
		for (int k = 0; k < 2 && i > 0; k++) {
			char pct[32];
			sp_fig_pct(v[i], k ? v[0] : v[i - 1], pct, sizeof(pct));
			sp_pdf_text(p, x + lab_w + bar_w + cnt_w + rate_w * (float)k, mid - 3.5f, pct, 9, 0, SP_ALIGN_RIGHT, rate_w);
		}
		sp_pdf_text_rgb(p, 0, 0, 0);
		if (i < n - 1 && refs[i + 1] == ref)
			sp_pdf_line(p, x, top - rh, x + SP_PDF_CONTENT_W, top - rh, 0.3f, 0.88f);
		top -= rh;
	}
	sp_pdf_set_y(p, top - 4);
}

void sp_chart_hbars(sp_pdf *p, const char *const *labels, const int64_t *a, const int64_t *b, int n,
		    const char *name_a, const char *name_b, const char *nodata)
{
	int64_t max = 0;
	for (int i = 0; i < n; i++)
		if (a[i] > max)
			max = a[i];
	if (n <= 0 || max <= 0) {
		sp_chart_nodata(p, 60, nodata);
		return;
	}
	const float rh = 14, lab_w = 165, val_w = 80, bar_w = SP_PDF_CONTENT_W - lab_w - val_w - 8;
	sp_pdf_need(p, 18 + rh * (float)(n < 4 ? n : 4));
	float x = SP_PDF_MARGIN;
	legend(p, x + lab_w, sp_pdf_y(p) - 10, name_a, b ? name_b : NULL);
	sp_pdf_skip(p, 16);
	for (int i = 0; i < n; i++) {
		sp_pdf_need(p, rh);
		float top = sp_pdf_y(p);
		float wa = (float)((double)bar_w * (double)a[i] / (double)max);
		if (a[i] > 0 && wa < 1.5f)
			wa = 1.5f;
		sp_pdf_rect(p, x + lab_w, top - rh + 2, wa, rh - 4, C_DARK);
		if (b && b[i] > 0) {
			float wb = (float)((double)bar_w * (double)b[i] / (double)max);
			if (wb < 1.5f)
				wb = 1.5f;
			sp_pdf_rect(p, x + lab_w, top - rh + 4, wb, rh - 8, C_LIGHT);
		}
		sp_pdf_text(p, x, top - rh + 4, labels[i], 8, 0, SP_ALIGN_LEFT, lab_w - 6);
		char buf[64];
		if (b)
			snprintf(buf, sizeof(buf), "%lld / %lld", (long long)a[i], (long long)b[i]);
		else
			snprintf(buf, sizeof(buf), "%lld", (long long)a[i]);
		sp_pdf_text(p, x + lab_w + bar_w + 8, top - rh + 4, buf, 8, 0, SP_ALIGN_RIGHT, val_w);
		sp_pdf_skip(p, rh);
	}
	sp_pdf_skip(p, 6);
}

/* A tick step of 1, 2 or 5 x 10^k giving at most 5 intervals up to m. */
static int64_t nice_step(int64_t m)
{
	int64_t p = 1;
	for (;;) {
		if (p * 5 >= m)
			return p;
		if (2 * p * 5 >= m)
			return 2 * p;
		if (5 * p * 5 >= m)
			return 5 * p;
		p *= 10;
	}
}

void sp_chart_months(sp_pdf *p, const int64_t *a, const int64_t *b, const char *name_a, const char *name_b,
		     const char *nodata)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t max = 0;
	for (int i = 0; i < 12; i++) {
		if (a[i] > max)
			max = a[i];
		if (b[i] > max)
			max = b[i];
	}
	if (max <= 0) {
		sp_chart_nodata(p, 90, nodata);
		return;
	}
	const float h = 150, axis_w = 34;
	sp_pdf_need(p, h + 50);
	float x = SP_PDF_MARGIN, top = sp_pdf_y(p) - 20, base = top - h;
	legend(p, x + axis_w, sp_pdf_y(p) - 10, name_a, name_b);
	int64_t step = nice_step(max), nt = (max + step - 1) / step, ymax = step * nt;
	for (int64_t k = 0; k <= nt; k++) {
		float yy = base + h * (float)k / (float)nt;
		sp_pdf_line(p, x + axis_w, yy, x + SP_PDF_CONTENT_W, yy, k ? 0.3f : 0.8f, k ? 0.85f : 0.3f);
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)(step * k));
		sp_pdf_text(p, x + axis_w - 4, yy - 3, buf, 7, 0, SP_ALIGN_RIGHT, 0);
	}
	float gw = (SP_PDF_CONTENT_W - axis_w) / 12, bw = gw * 0.36f;
	for (int i = 0; i < 12; i++) {
		float gx = x + axis_w + gw * (float)i + gw * 0.12f;
		float ha = (float)((double)h * (double)a[i] / (double)ymax);
		float hb = (float)((double)h * (double)b[i] / (double)ymax);
		sp_pdf_rect(p, gx, base, bw, ha, C_DARK);
		sp_pdf_rect(p, gx + bw + 1, base, bw, hb, C_LIGHT);
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)a[i]);
		sp_pdf_text(p, gx + bw / 2, base + ha + 2, buf, 6, 0, SP_ALIGN_CENTER, 0);
		snprintf(buf, sizeof(buf), "%lld", (long long)b[i]);
		sp_pdf_text(p, gx + bw + 1 + bw / 2, base + hb + 2, buf, 6, 0, SP_ALIGN_CENTER, 0);
		sp_pdf_text(p, gx + bw, base - 11, mon[i], 7.5f, 0, SP_ALIGN_CENTER, 0);
	}
	sp_pdf_set_y(p, base - 20);
}
