/*
 * cmd_run.c — `sparker run`: parse options, execute the run (run.c), log one line per stage.
 *
 * Output contract (cron): silent on success unless -v; on failure a short summary to stderr
 * (cron mails it) and a non-zero exit code. Log lines ("TIME run ID start ...", one per stage
 * call, "TIME run ID end STATUS ...") always go to the config's log_file when there is one, and
 * to stderr with -v. On failure, stderr gets the stage lines (unless -v already printed them, or
 * -q) and one closing "sparker: run ID failed: ..." line. -q: only that closing line.
 * --dry-run prints to stdout one line per stage call with the rows available to it now.
 *
 * By hand (standard output is a terminal, no -q) a run ends with one summary line on stdout
 * ("run 12 ok in 4.2 s: 8000 records read, ..."); under cron (not a terminal) nothing.
 * A stage call over its budget (run.h) adds "sparker: warning: stage parse took 712 s, budget
 * 600 s" on stderr (unless -q), and " budget: ..." to its log line.
 * SIGINT/SIGTERM: "stopping after the current batch" at once (cmd.c), the run ends 'killed' at
 * the next batch boundary, exit 130 / 143; a second signal exits at once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/progress.h"
#include "pipeline/backfill.h"

static int cmd_run(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_run_entry = {
	.name = "run",
	.fn = cmd_run,
	.flags = SP_CMD_NEEDS_CONFIG | SP_CMD_LOGS,
	.summary = "run a job, one stage, or a range of stages",
	.usage = "usage: sparker [-c CONFIG] run [--job NAME | --stage S | --from S [--to S]]\n"
	         "                              [--source NAME]... [--as-of YYYY-MM-DD] [--year Y]\n"
	         "                              [--backfill FROM..TO] [--dry-run]\n\n"
	         "Stages, in order: fetch parse normalise dedupe score report.\n"
	         "  --job NAME        run the stages of [job NAME] (default: nightly)\n"
	         "  --stage S         run stage S only (rerun by hand: reprocesses even unchanged input)\n"
	         "  --from S --to S   run a range of stages (--from alone stops after score)\n"
	         "  --source NAME     restrict fetch/parse to this source (repeatable)\n"
	         "  --as-of DATE      the run's logical date (default: today, UTC)\n"
	         "  --year Y          the year for the report stage\n"
	         "  --backfill A..B   one run per logical date from A to B (parse..score), from the raw store,\n"
	         "                    without fetching; resumable: the same command skips the dates done\n"
	         "  --dry-run         say what would run and the rows each stage would read; write nothing\n"
	         "  -v, --verbose     one log line per stage call on stderr\n"
	         "  -q, --quiet       on failure, only the closing one-line message\n\n"
	         "Silent on success (unless -v); prints a short summary to stderr on failure.\n"
	         "Log lines (timestamp, run id, one per stage call) also go to [sparker] log_file when set.\n"
};

struct log_state {
	sp_env *env;
	sp_buf all;      /* the run's log lines, printed on failure when not verbose */
	int by_hand;     /* --stage/--from/--to: an analyst at a terminal sees each stage's outcome */
	int dry_run;
	/* for the summary line: what the stages that ran produced (-1: did not run) */
	int64_t read, rejected, candidates, entities, qualified;
};

static void stage_line(sp_buf *b, const sp_stage_result *r)
{
	char now[32];
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	sp_buf_addf(b, "%s run %lld %-9s %-14s %s in=%lld out=%lld rejected=%lld %.2fs peak=%ldKB%s%s%s%s\n", now,
		    (long long)r->run_id, r->stage, r->source ? r->source : "-",
		    r->rc == SP_EINTERRUPTED ? "STOPPED" : r->rc < 0 ? "FAILED" : "ok", (long long)r->counts.in,
		    (long long)r->counts.out, (long long)r->counts.rejected, r->seconds, r->peak_kb,
		    r->rc < 0 ? ": " : (*r->counts.note ? " " : ""), r->rc < 0 ? r->message : r->counts.note,
		    r->budget && r->rc >= 0 ? " budget: " : "", r->budget && r->rc >= 0 ? r->budget : "");
}

static void log_out(struct log_state *ls, const char *line)
{
	if (ls->env->log && ls->env->log != stderr) {
		fputs(line, ls->env->log);
		fflush(ls->env->log);
	}
	if (ls->env->verbose && !ls->env->quiet)
		fputs(line, stderr);
}

static void on_start(void *user, int64_t run_id, const char *as_of, const char *args)
{
	struct log_state *ls = user;
	char now[32];
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	sp_buf line = SP_BUF_INIT;
	sp_buf_addf(&line, "%s run %lld start as-of %s: %s\n", now, (long long)run_id, as_of, args);
	log_out(ls, line.buf);
	sp_buf_adds(&ls->all, line.buf);
	sp_buf_release(&line);
}

static void on_end(struct log_state *ls, const sp_run_summary *sum, const char *status, double secs)
{
	if (!sum->run_id)
		return;
	char now[32];
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	sp_buf line = SP_BUF_INIT;
	sp_buf_addf(&line, "%s run %lld end %s: %d stage calls ok, %d failed, %.2fs, peak %ldKB\n", now,
		    (long long)sum->run_id, status, sum->stages_ok, sum->stages_failed, secs, sum->peak_kb);
	log_out(ls, line.buf);
	sp_buf_release(&line);
}

static void on_stage(void *user, const sp_stage_result *r)
{
	struct log_state *ls = user;
	sp_buf line = SP_BUF_INIT;
	stage_line(&line, r);
	log_out(ls, line.buf);
	if (!ls->env->verbose && ls->by_hand && !ls->env->quiet && r->rc >= 0 && *r->counts.note)
		printf("%s%s%s: %s\n", r->stage, r->source ? " " : "", r->source ? r->source : "", r->counts.note);
	if (r->budget && r->rc >= 0 && !ls->env->quiet) /* over budget, budget_action = warn */
		fprintf(stderr, "sparker: warning: %s\n", r->budget);
	sp_buf_adds(&ls->all, line.buf);
	sp_buf_release(&line);
	if (r->rc < 0)
		return;
	if (!strcmp(r->stage, "parse")) {
		ls->read = (ls->read < 0 ? 0 : ls->read) + r->counts.in;
		ls->rejected = (ls->rejected < 0 ? 0 : ls->rejected) + r->counts.rejected;
	} else if (!strcmp(r->stage, "normalise")) {
		ls->candidates = r->counts.out;
	} else if (!strcmp(r->stage, "dedupe")) {
		ls->entities = r->counts.out;
	} else if (!strcmp(r->stage, "score")) {
		ls->qualified = r->counts.out;
	}
}

/* By hand: one line on stdout that says how the run went ("run 12 ok in 4.2 s: ..."). */
static void summary_line(const struct log_state *ls, const sp_run_summary *sum, const char *status, double secs)
{
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "run %lld %s in %.1f s", (long long)sum->run_id, status, secs);
	const char *sep = ": ";
	if (ls->read >= 0) {
		sp_buf_addf(&b, "%s%lld records read (%lld rejected)", sep, (long long)ls->read, (long long)ls->rejected);
		sep = ", ";
	}
	if (ls->candidates >= 0) {
		sp_buf_addf(&b, "%s%lld candidates", sep, (long long)ls->candidates);
		sep = ", ";
	}
	if (ls->entities >= 0) {
		sp_buf_addf(&b, "%s%lld entities", sep, (long long)ls->entities);
		sep = ", ";
	}
	if (ls->qualified >= 0)
		sp_buf_addf(&b, "%s%lld qualified", sep, (long long)ls->qualified);
	sp_buf_addf(&b, "; %d stage call%s ok", sum->stages_ok, sum->stages_ok == 1 ? "" : "s");
	if (sum->stages_failed)
		sp_buf_addf(&b, ", %d failed", sum->stages_failed);
	if (sum->over_budget)
		sp_buf_addf(&b, ", %d over budget", sum->over_budget);
	sp_buf_addf(&b, "; peak %ld MB", (sum->peak_kb + 1023) / 1024);
	printf("%s\n", b.buf);
	sp_buf_release(&b);
}

static void on_dry(void *user, const sp_stage_result *r)
{
	(void)user;
	printf("would run: %-9s %-16s reads %lld %s\n", r->stage, r->source ? r->source : "(all)", (long long)r->counts.in,
	       r->counts.note);
}

/* How a run ended, in words: ok, partial, stopped (a signal), failed. */
static const char *run_status(int rc, int code)
{
	return rc == SP_OK ? "ok" : code == SP_EXIT_PARTIAL ? "partial" : rc == SP_EINTERRUPTED ? "stopped" : "failed";
}

/* The exit code of one run: partial (a source failed, the others went on) has its own. */
static int run_exit_code(int rc, const sp_run_summary *sum)
{
	if (rc == SP_OK)
		return SP_EXIT_OK;
	if (rc == SP_EIO && sum->partial && !sum->failed)
		return SP_EXIT_PARTIAL;
	return sp_cmd_exit_code(rc);
}

/* After a run: the closing log line, and on failure the stage lines and one closing message. */
static void on_run_end(void *user, const sp_run_opts *o, int rc, const sp_run_summary *sum, const sp_err *err,
		       double secs)
{
	struct log_state *ls = user;
	int code = run_exit_code(rc, sum);
	const char *status = run_status(rc, code);
	if (!o->dry_run)
		on_end(ls, sum, status, secs);
	if (rc != SP_OK) {
		if (rc == SP_ELOCKED || !sum->run_id) {
			sp_cmd_error("%s", err->msg);
		} else {
			if (!ls->env->verbose && !ls->env->quiet && ls->all.len)
				fputs(ls->all.buf, stderr);
			sp_cmd_error("run %lld %s: %s", (long long)sum->run_id,
				     code == SP_EXIT_PARTIAL ? "finished with failed sources" : status, err->msg);
		}
	}
	sp_buf_reset(&ls->all);
}

/* Backfill: each date, before its run (dry run: a heading, or "would skip"). */
static void on_date(void *user, const char *date, int64_t prev_run)
{
	struct log_state *ls = user;
	if (ls->dry_run)
		printf(prev_run ? "%s: would skip (done in run %lld)\n" : "%s:\n", date, (long long)prev_run);
	else if (prev_run && ls->env->verbose && !ls->env->quiet)
		fprintf(stderr, "backfill %s: skipped, done in run %lld\n", date, (long long)prev_run);
}

static int run_backfill(sp_env *env, sp_run_opts *o, const char *range)
{
	struct log_state ls = { env, SP_BUF_INIT, 0, o->dry_run, -1, -1, -1, -1, -1 };
	sp_backfill_hooks h = { &ls, on_date, o->dry_run ? on_dry : on_stage, on_run_end };
	sp_backfill_result res;
	sp_err err;
	sp_err_clear(&err);
	o->on_start = on_start;
	int rc = sp_backfill(env->cfg, o, range, &h, &res, &err);
	int code;
	if (res.run_failed) {
		code = run_exit_code(rc, &res.last);
		if (!o->dry_run)
			sp_cmd_error("%s", err.msg);
	} else if (rc != SP_OK) {
		code = sp_cmd_exit_code(rc);
		sp_cmd_error("%s", err.msg);
	} else {
		code = SP_EXIT_OK;
		if (env->verbose && !env->quiet && !o->dry_run)
			fprintf(stderr, "backfill %s: %d runs, %d dates already done\n", range, res.ran, res.skipped);
	}
	sp_buf_release(&ls.all);
	return code;
}

/* Execute one run with logging; print the failure summary; return the exit code. */
static int run_one(sp_env *env, sp_run_opts *o)
{
	struct log_state ls = { env, SP_BUF_INIT, (o->stage || o->from || o->to) && !o->job, o->dry_run, -1, -1, -1, -1, -1 };
	sp_run_summary sum;
	sp_err err;
	sp_err_clear(&err);
	o->on_start = on_start;
	double t0 = sp_mono();
	int rc = sp_run_execute(env->cfg, o, o->dry_run ? on_dry : on_stage, &ls, &sum, &err);
	double secs = sp_mono() - t0;
	on_run_end(&ls, o, rc, &sum, &err, secs);
	if (sum.inbox_applied && env->verbose)
		printf("inbox: %d judgement%s made during the last run applied first\n", sum.inbox_applied,
		       sum.inbox_applied == 1 ? "" : "s");
	if (sum.inbox_failed)
		fprintf(stderr, "sparker: warning: %d judgement%s of the inbox refused when applied (see `sparker judgements list`)\n",
			sum.inbox_failed, sum.inbox_failed == 1 ? "" : "s");
	int code = run_exit_code(rc, &sum);
	if (sum.run_id && !o->dry_run && !env->quiet && isatty(STDOUT_FILENO)) /* by hand, not under cron */
		summary_line(&ls, &sum, run_status(rc, code), secs);
	sp_buf_release(&ls.all);
	return code;
}

static int cmd_run(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = {
		{ "job", required_argument, NULL, 'j' },   { "stage", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },  { "to", required_argument, NULL, 't' },
		{ "source", required_argument, NULL, 'S' }, { "as-of", required_argument, NULL, 'a' },
		{ "year", required_argument, NULL, 'y' },  { "dry-run", no_argument, NULL, 'n' },
		{ "backfill", required_argument, NULL, 'b' }, { "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },       { NULL, 0, NULL, 0 },
	};
	sp_run_opts o = { 0 };
	const char *backfill = NULL;
	const char **sources = sp_xcalloc((size_t)argc + 1, sizeof(char *));
	int c;
	while ((c = getopt_long(argc, argv, "vq", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.job = optarg; break;
		case 's': o.stage = optarg; break;
		case 'f': o.from = optarg; break;
		case 't': o.to = optarg; break;
		case 'S': sources[o.nsources++] = optarg; break;
		case 'a': o.as_of = optarg; break;
		case 'y': o.year = atoi(optarg); break;
		case 'n': o.dry_run = 1; break;
		case 'b': backfill = optarg; break;
		case 'v': env->verbose = 1; break;
		case 'q': env->quiet = 1; break;
		default:
			free(sources);
			sp_cmd_error("run: bad option (see `sparker run --help`)");
			return SP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sp_cmd_error("run: unexpected argument '%s'", argv[optind]);
		free(sources);
		return SP_EXIT_USAGE;
	}
	if ((o.job != NULL) + (o.stage != NULL) + (o.from != NULL || o.to != NULL) > 1) {
		sp_cmd_error("run: use one of --job, --stage, --from/--to");
		free(sources);
		return SP_EXIT_USAGE;
	}
	if (env->quiet)
		sp_progress_set_sink(NULL);
	sp_cmd_catch_stop();
	if (!o.job && !o.stage && !o.from && !o.to && !backfill)
		o.job = "nightly";
	o.sources = sources;
	o.verbose = env->verbose;
	o.quiet = env->quiet;
	sp_buf args = SP_BUF_INIT;
	for (int i = 0; i < argc; i++)
		sp_buf_addf(&args, "%s%s", i ? " " : "", argv[i]);
	o.args = args.buf;

	int code = backfill ? run_backfill(env, &o, backfill) : run_one(env, &o);
	sp_buf_release(&args);
	free(sources);
	return code;
}
