/*
 * cmd_diff.c — `sparker diff-selection`: what changed in the selection.
 *
 * diff-selection [--year Y]
 *     the startups that entered / left the qualified list at the last scoring (selection against
 *     selection_prev), with names.
 * diff-selection --from RUN [--to RUN] [--year Y] [--csv]
 *     between the selections as of two runs (pipeline/history.h: selection_hist; --to defaults to
 *     the newest run): the startups that entered and left the qualified list (of cohort Y with
 *     --year: the rows of `export qualified --year Y` then and now), and those whose rank or score
 *     changed, with id, name, cohort, old and new values, and a summary line per kind of change.
 *     --csv: one row per startup and kind of change instead. Exit 0 whatever changed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "pipeline/history.h"
#include "reports/csv_out.h"

static int cmd_diff_selection(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_diff_selection_entry = {
	.name = "diff-selection",
	.fn = cmd_diff_selection,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "startups that entered or left the selection: at the last scoring, or between two runs",
	.usage = "usage: sparker [-c CONFIG] diff-selection [--year Y]\n"
	         "       sparker [-c CONFIG] diff-selection --from RUN [--to RUN] [--year Y] [--csv]\n\n"
	         "Without --from: the startups that entered or left the qualified list at the last scoring.\n"
	         "With --from: between the selections as of run FROM and run TO (default: the newest run),\n"
	         "the startups that entered or left the qualified list (of cohort Y with --year) and those\n"
	         "whose rank or score changed, with a summary line per kind of change; --csv writes\n"
	         "change,entity_id,name,cohort_from,cohort_to,qualified_from,qualified_to,rank_from,rank_to,\n"
	         "score_from,score_to instead.\n"
};

static const char *col(sp_stmt *s, int i)
{
	const char *v = sp_col_text(s, i);
	return v ? v : "";
}

/* The last scoring: selection against selection_prev. */
static int last_scoring(sp_store *db, const char *year)
{
	static const char *const q[2] = {
		"SELECT s.entity_id, e.name, s.cohort, sc.score, s.why FROM selection s"
		" LEFT JOIN selection_prev p ON p.entity_id = s.entity_id"
		" LEFT JOIN entity e ON e.id = s.entity_id LEFT JOIN score sc ON sc.entity_id = s.entity_id"
		" WHERE s.qualified = 1 AND COALESCE(p.qualified, 0) = 0 AND (s.cohort = ?1 OR ?1 IS NULL)"
		" ORDER BY s.cohort, sc.score DESC, s.entity_id",
		"SELECT p.entity_id, e.name, p.cohort, sc.score,"
		" CASE WHEN s.entity_id IS NULL THEN 'no longer a live entity' ||"
		"   COALESCE(' (merged into ' || e.merged_into || ')', '') ELSE s.why END"
		" FROM selection_prev p LEFT JOIN selection s ON s.entity_id = p.entity_id"
		" LEFT JOIN entity e ON e.id = p.entity_id LEFT JOIN score sc ON sc.entity_id = p.entity_id"
		" WHERE p.qualified = 1 AND COALESCE(s.qualified, 0) = 0 AND (p.cohort = ?1 OR ?1 IS NULL)"
		" ORDER BY p.cohort, sc.score DESC, p.entity_id",
	};
	int code = SP_EXIT_OK;
	for (int k = 0; k < 2; k++) {
		sp_err err;
		sp_stmt *s = NULL;
		if (sp_store_prepare(db, q[k], &s, &err) != SP_OK) {
			sp_cmd_error("%s", err.msg);
			code = SP_EXIT_FAIL;
			break;
		}
		if (year)
			sp_bind_int(s, 1, atoi(year));
		sp_buf out = SP_BUF_INIT;
		int n = 0;
		while (sp_step(s) == SP_ROW) {
			n++;
			sp_buf_addf(&out, "  %c %-8lld %-40s cohort %-5s score %-7.4g %s\n", k ? '-' : '+',
				    (long long)sp_col_int64(s, 0), col(s, 1), col(s, 2), sp_col_double(s, 3),
				    col(s, 4));
		}
		sp_finalize(s);
		printf("%s: %d\n%s", k ? "left" : "entered", n, sp_buf_str(&out));
		sp_buf_release(&out);
	}
	return code;
}

/* ---- between two runs ---- */

static const char *const kind_names[4] = { "entered", "left", "rank changed", "score changed" };

struct diff_out {
	int csv;
	sp_buf lines[4];
	int n[4];
};

static void csv_row(const char *kind, const sp_hist_change *c)
{
	char v[8][32];
	const sp_hist_side *x[2] = { &c->from, &c->to };
	for (int i = 0; i < 2; i++) {
		snprintf(v[i], 32, "%lld", (long long)x[i]->cohort);
		snprintf(v[2 + i], 32, "%d", x[i]->qualified);
		snprintf(v[4 + i], 32, "%d", x[i]->rank);
		snprintf(v[6 + i], 32, "%.6g", x[i]->score);
	}
	char id[32];
	snprintf(id, sizeof(id), "%lld", (long long)c->entity_id);
	sp_csv_field(stdout, kind, 0);
	sp_csv_field(stdout, id, 0);
	sp_csv_field(stdout, c->name, 0);
	for (int i = 0; i < 8; i++) /* from, to pairs */
		sp_csv_field(stdout, x[i % 2]->present ? v[i] : "", i == 7);
}

/* A side's score and rank as printed: "-" where the startup was not scored (not yet, or no longer). */
static void side(const sp_hist_side *x, char score[32], char rank[32])
{
	if (!x->present) {
		snprintf(score, 32, "-"), snprintf(rank, 32, "-");
		return;
	}
	snprintf(score, 32, "%.4g", x->score);
	snprintf(rank, 32, "%d", x->rank);
}

static int on_change(void *user, const sp_hist_change *c)
{
	struct diff_out *d = user;
	for (int k = 0; k < 4; k++) {
		if (!(c->kinds & (1 << k)))
			continue;
		d->n[k]++;
		if (d->csv) {
			csv_row(kind_names[k], c);
			continue;
		}
		sp_buf *b = &d->lines[k];
		sp_buf_addf(b, "  %c %-8lld %-40s cohort %lld", k == 0 ? '+' : k == 1 ? '-' : '~', (long long)c->entity_id,
			    c->name ? c->name : "", (long long)(c->to.present ? c->to.cohort : c->from.cohort));
		char v[4][32];
		side(&c->from, v[0], v[1]);
		side(&c->to, v[2], v[3]);
		if (k == 2)
			sp_buf_addf(b, "  rank %s -> %s\n", v[1], v[3]);
		else if (k == 3)
			sp_buf_addf(b, "  score %s -> %s\n", v[0], v[2]);
		else
			sp_buf_addf(b, "  score %s -> %s  rank %s -> %s\n", v[0], v[2], v[1], v[3]);
	}
	return 0;
}

static int between_runs(sp_store *db, int64_t from, int64_t to, int year, int csv)
{
	struct diff_out d = { .csv = csv };
	sp_err err;
	if (csv)
		fputs("change,entity_id,name,cohort_from,cohort_to,qualified_from,qualified_to,rank_from,rank_to,"
		      "score_from,score_to\n", stdout);
	int rc = sp_history_diff(db, from, to, year, on_change, &d, &err);
	if (rc != SP_OK)
		sp_cmd_error("diff-selection: %s", err.msg);
	else if (!csv) {
		printf("from run %lld to run %lld%s\n", (long long)from, (long long)to, year ? "" : " (every cohort)");
		for (int k = 0; k < 4; k++)
			printf("%s: %d\n%s", kind_names[k], d.n[k], sp_buf_str(&d.lines[k]));
	}
	for (int k = 0; k < 4; k++)
		sp_buf_release(&d.lines[k]);
	return rc == SP_OK ? SP_EXIT_OK : sp_cmd_exit_code(rc);
}

static int run_arg(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < 0)
		return 0;
	*out = v;
	return 1;
}

static int cmd_diff_selection(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = { { "year", required_argument, NULL, 'y' }, { "from", required_argument, NULL, 'f' },
					      { "to", required_argument, NULL, 't' },   { "csv", no_argument, NULL, 'c' },
					      { NULL, 0, NULL, 0 } };
	const char *year = NULL, *from = NULL, *to = NULL;
	int o, csv = 0;
	int64_t f = 0, t = -1;
	optind = 0; /* full re-initialisation: main's getopt used REQUIRE_ORDER ('+') */
	while ((o = getopt_long(argc, argv, "y:", opts, NULL)) != -1) {
		switch (o) {
		case 'y': year = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'c': csv = 1; break;
		default: sp_cmd_usage(stderr, &sp_cmd_diff_selection_entry); return SP_EXIT_USAGE;
		}
	}
	if (optind < argc || (year && atoi(year) <= 0) || (from && !run_arg(from, &f)) || (to && !run_arg(to, &t)) ||
	    (!from && (to || csv))) {
		sp_cmd_usage(stderr, &sp_cmd_diff_selection_entry);
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	int code;
	if (!from) {
		code = last_scoring(db, year);
	} else {
		sp_err err;
		if (t < 0 && sp_store_int(db, "SELECT COALESCE(max(id), 0) FROM run", &t, &err) != SP_OK) {
			sp_cmd_error("%s", err.msg);
			sp_store_close(db);
			return SP_EXIT_FAIL;
		}
		code = between_runs(db, f, t, year ? atoi(year) : 0, csv);
	}
	sp_store_close(db);
	return code;
}
