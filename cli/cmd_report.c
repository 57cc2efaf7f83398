/*
 * cmd_report.c — `sparker report --year Y [--out FILE.pdf] [--csv FILE.csv] [--html FILE.html]`,
 * and `sparker report --year Y --as-of-run N [--pdf FILE] [--csv FILE]`.
 *
 * Runs the report stage as a run of its own (run.c: the lock, a run row and a stage_run row), so
 * the `report` row names the run that wrote it. While another run holds the lock it never waits:
 * it runs beside it (run.h: opts->beside), reading the database in one transaction (figures.c)
 * as the last commit left it (say, between two stages of the nightly run), writing no run row,
 * its `report` row going to the analysts' inbox on SQLite (pipeline/inbox.h: the next run
 * records it) or straight in on PostgreSQL; stderr says so in one line. Prints "wrote PATH" for the PDF and the CSV unless -q. SIGINT and
 * SIGTERM stop it like a run (exit 130 / 143).
 *
 * With --as-of-run N: no run, no lock, nothing written to the database: the newest report of Y
 * written as of run N is rendered again from its stored inputs (reports/report_year.h:
 * sp_report_replay) to REPORT_DIR/sparker-Y-run-N.pdf and .csv unless --pdf/--csv say where, and
 * its sha256 compared with the one recorded: "identical to the report sent on DATE (sha256 ...)",
 * or exit 1 saying it differs (the renderer changed since) or naming the editions there are.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "reports/report_year.h"
#include "pipeline/run.h"

static int cmd_report(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_report_entry = {
	.name = "report",
	.fn = cmd_report,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "write the yearly PDF funnel report",
	.usage = "usage: sparker [-c CONFIG] report --year Y [--out FILE.pdf] [--csv FILE.csv] [--html FILE.html]\n"
	         "       sparker [-c CONFIG] report --year Y --as-of-run N [--pdf FILE.pdf] [--csv FILE.csv]\n\n"
	         "Default output: REPORT_DIR/sparker-Y.pdf and REPORT_DIR/sparker-Y.csv; with --out X.pdf\n"
	         "alone, the CSV goes beside it (X.csv). --html also writes a one-page HTML summary of the\n"
	         "key figures (self-contained, for e-mail). A year with no data at all fails (exit 1).\n"
	         "Set SOURCE_DATE_EPOCH for a byte-identical regeneration.\n"
	         "--as-of-run N renders again, from its stored inputs, the newest report of Y written with data\n"
	         "as of run N (the run its cover names), by default to REPORT_DIR/sparker-Y-run-N.pdf and .csv,\n"
	         "and checks the bytes are those sent (exit 1 when not, or when no such report was written).\n"
	         "--pdf is --out.\n"
};

/* --as-of-run: render an edition again and compare (report_year.h). */
static int replay(sp_env *env, int year, const char *run_s, const char *out, const char *csv, const char *html)
{
	char *end;
	long long run = strtoll(run_s, &end, 10);
	if (!*run_s || *end || run < 0) {
		sp_cmd_error("report: --as-of-run '%s' is not a run id", run_s);
		return SP_EXIT_USAGE;
	}
	if (html) {
		sp_cmd_error("report: --html is not kept with a report: --as-of-run renders the PDF and the CSV");
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_buf def = SP_BUF_INIT, pdf = SP_BUF_INIT, csvp = SP_BUF_INIT;
	if (!out)
		sp_buf_addf(&def, "%s/sparker-%d-run-%lld.pdf", env->cfg->report_dir, year, run);
	sp_report_paths(env->cfg, year, out ? out : def.buf, csv, &pdf, &csvp);
	sp_replay r;
	sp_err err;
	sp_err_clear(&err);
	int rc = sp_report_replay(db, year, (int64_t)run, pdf.buf, csvp.buf, &r, &err);
	sp_store_close(db);
	if (rc == SP_OK && !env->quiet)
		printf("wrote %s\nwrote %s\nidentical to the report sent on %.10s (edition %lld, data as of run %lld; "
		       "sha256 %s)\n", pdf.buf, csvp.buf, r.created, (long long)r.edition, (long long)r.as_of_run,
		       r.pdf_sha256);
	else if (rc != SP_OK)
		sp_cmd_error("report: %s", err.msg);
	sp_buf_release(&def);
	sp_buf_release(&pdf);
	sp_buf_release(&csvp);
	return sp_cmd_exit_code(rc);
}

static int cmd_report(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = {
		{ "year", required_argument, NULL, 'y' }, { "out", required_argument, NULL, 'o' },
		{ "csv", required_argument, NULL, 'C' },  { "html", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },      { "pdf", required_argument, NULL, 'o' },
		{ "as-of-run", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },    { NULL, 0, NULL, 0 },
	};
	const char *year = NULL, *out = NULL, *csv = NULL, *html = NULL, *as_of_run = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "y:o:qv", opts, NULL)) != -1) {
		switch (c) {
		case 'y': year = optarg; break;
		case 'o': out = optarg; break;
		case 'C': csv = optarg; break;
		case 'H': html = optarg; break;
		case 'R': as_of_run = optarg; break;
		case 'q': env->quiet = 1; break;
		case 'v': env->verbose = 1; break;
		default: sp_cmd_error("report: bad option (see `sparker report --help`)"); return SP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sp_cmd_error("report: unexpected argument '%s'", argv[optind]);
		return SP_EXIT_USAGE;
	}
	if (!year) {
		sp_cmd_error("report: --year Y is required");
		return SP_EXIT_USAGE;
	}
	char *end;
	long y = strtol(year, &end, 10);
	if (*end || y < 1900 || y > 9999) {
		sp_cmd_error("report: --year '%s' is not a year", year);
		return SP_EXIT_USAGE;
	}
	if (as_of_run)
		return replay(env, (int)y, as_of_run, out, csv, html);
	if (!sp_cmd_has_db(env)) /* a report of nothing: say so, and create nothing */
		return SP_EXIT_FAIL;
	sp_buf args = SP_BUF_INIT;
	for (int i = 0; i < argc; i++)
		sp_buf_addf(&args, "%s%s", i ? " " : "", argv[i]);
	sp_run_opts o = { 0 };
	o.stage = "report";
	o.year = (int)y;
	o.report_pdf = out;
	o.report_csv = csv;
	o.report_html = html;
	o.quiet = env->quiet;
	o.verbose = env->verbose;
	o.args = args.buf;
	sp_run_summary sum;
	sp_err err;
	sp_err_clear(&err);
	sp_cmd_catch_stop();
	int rc = sp_run_execute(env->cfg, &o, NULL, NULL, &sum, &err);
	if (rc == SP_ELOCKED) { /* a run is in progress: report beside it, never waiting (run.h) */
		const char *h = strchr(err.msg, '(');
		fprintf(stderr, "sparker: a run is in progress %s: the report reads the database as it is now;"
			" its row in table report is recorded %s\n",
			h ? h : "", sp_store_is_server(env->cfg->database) ? "now" : "by the next run");
		o.beside = 1;
		sp_err_clear(&err);
		rc = sp_run_execute(env->cfg, &o, NULL, NULL, &sum, &err);
	}
	sp_buf_release(&args);
	if (rc != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	if (!env->quiet) {
		sp_buf pdf = SP_BUF_INIT, csvp = SP_BUF_INIT;
		sp_report_paths(env->cfg, (int)y, out, csv, &pdf, &csvp);
		printf("wrote %s\nwrote %s\n", pdf.buf, csvp.buf);
		if (html)
			printf("wrote %s\n", html);
		sp_buf_release(&pdf);
		sp_buf_release(&csvp);
	}
	return SP_EXIT_OK;
}
