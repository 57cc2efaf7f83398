/*
 * progress.c — see progress.h. State is process-global: one progress line at a time, formatted
 * here and handed to the sink that cli/ installed (this file never writes to a stream).
 */
#include "core/progress.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"

static struct {
	sp_progress_sink sink;
	int active;
	char label[64];
	char unit[16];
	int64_t total;
	double started, last;
} P;

void sp_progress_set_sink(sp_progress_sink sink)
{
	P.sink = sink;
	if (!sink)
		P.active = 0;
}

int sp_progress_enabled(void)
{
	return P.sink != NULL;
}

void sp_progress_start(const char *label, int64_t total, const char *unit)
{
	if (!P.sink)
		return;
	snprintf(P.label, sizeof(P.label), "%s", label);
	snprintf(P.unit, sizeof(P.unit), "%s", unit ? unit : "");
	P.total = total;
	P.started = sp_mono();
	P.last = 0;
	P.active = 1;
}

static void human(double v, const char *unit, char *out, size_t n)
{
	if (!strcmp(unit, "B")) {
		const char *u[] = { "B", "KB", "MB", "GB", "TB" };
		int i = 0;
		while (v >= 1024 && i < 4) {
			v /= 1024;
			i++;
		}
		snprintf(out, n, "%.1f %s", v, u[i]);
	} else {
		snprintf(out, n, "%.0f %s", v, unit);
	}
}

void sp_progress_update(int64_t done)
{
	if (!P.sink || !P.active)
		return;
	double now = sp_mono();
	if (now - P.last < 0.2)
		return;
	P.last = now;
	double el = now - P.started;
	double rate = el > 0 ? (double)done / el : 0;
	char d[32], r[32], line[192];
	human((double)done, P.unit, d, sizeof(d));
	human(rate, P.unit, r, sizeof(r));
	if (P.total > 0) { /* a total may be an estimate (the last file's rows): never past 99 % before the end */
		double pct = done < P.total ? 100.0 * (double)done / (double)P.total : 99;
		double eta = rate > 0 && done < P.total ? (double)(P.total - done) / rate : 0;
		snprintf(line, sizeof(line), "%s: %s (%.0f%%) %s/s ETA %.0fs", P.label, d, pct, r, eta);
	} else {
		snprintf(line, sizeof(line), "%s: %s %s/s", P.label, d, r);
	}
	P.sink(line);
}

void sp_progress_end(void)
{
	if (!P.sink || !P.active)
		return;
	P.sink(NULL);
	P.active = 0;
}
