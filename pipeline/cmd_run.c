/*
 * cmd_run.c — `sparker run`: parse options, execute the run (run.c), log one line per stage.
 *
 * Output contract (cron): silent on success unless -v; on failure a short summary to stderr
 * (cron mails it) and a non-zero exit code. Stage lines go to env->log (stderr or the config's
 * log_file) with a timestamp and the run id: always to a log file, to stderr only with -v or on
 * failure.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "run.h"

struct log_state {
	sp_env *env;
	sp_buf failures; /* lines for the failure summary */
	sp_buf all;      /* every stage line, printed on failure when not verbose */
};

static void stage_line(sp_buf *b, const sp_stage_result *r)
{
	char now[32];
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	sp_buf_addf(b, "%s run %lld %-9s %-14s %s in=%lld out=%lld rejected=%lld %.2fs peak=%ldKB%s%s\n", now,
		    (long long)r->run_id, r->stage, r->source ? r->source : "-", r->rc < 0 ? "FAILED" : "ok",
		    (long long)r->counts.in, (long long)r->counts.out, (long long)r->counts.rejected, r->seconds,
		    r->peak_kb, r->rc < 0 ? ": " : (*r->counts.note ? " " : ""), r->rc < 0 ? r->message : r->counts.note);
}

static void on_stage(void *user, const sp_stage_result *r)
{
	struct log_state *ls = user;
	sp_buf line = SP_BUF_INIT;
	stage_line(&line, r);
	if (ls->env->log != stderr) {
		fputs(line.buf, ls->env->log);
		fflush(ls->env->log);
	}
	if (ls->env->verbose && !ls->env->quiet)
		fputs(line.buf, stderr);
	sp_buf_adds(&ls->all, line.buf);
	if (r->rc < 0)
		sp_buf_adds(&ls->failures, line.buf);
	sp_buf_release(&line);
}

static void on_dry(void *user, const sp_stage_result *r)
{
	(void)user;
	printf("would run: %-9s %s\n", r->stage, r->source ? r->source : "(all)");
}

int sp_run_backfill(sp_env *env, const sp_run_opts *base, const char *range); /* cmd_backfill.c */

int sp_cmd_run(int argc, char **argv, sp_env *env)
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
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
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
	o.sources = sources;
	o.verbose = env->verbose;
	o.quiet = env->quiet;
	sp_buf args = SP_BUF_INIT;
	for (int i = 0; i < argc; i++)
		sp_buf_addf(&args, "%s%s", i ? " " : "", argv[i]);
	o.args = args.buf;

	int code;
	if (backfill) {
		code = sp_run_backfill(env, &o, backfill);
	} else {
		struct log_state ls = { env, SP_BUF_INIT, SP_BUF_INIT };
		sp_run_summary sum;
		sp_err err;
		sp_err_clear(&err);
		int rc = sp_run_execute(env->cfg, &o, o.dry_run ? on_dry : on_stage, &ls, &sum, &err);
		code = rc == SP_OK ? SP_EXIT_OK : rc == SP_EIO && sum.partial ? SP_EXIT_PARTIAL : sp_cmd_exit_code(rc);
		if (rc != SP_OK) {
			if (rc == SP_ELOCKED) {
				sp_cmd_error("%s", err.msg);
			} else {
				if (!env->verbose && ls.all.len)
					fputs(ls.all.buf, stderr);
				sp_cmd_error("run %lld %s: %s", (long long)sum.run_id,
					     code == SP_EXIT_PARTIAL ? "finished with failed sources" : "failed", err.msg);
			}
		}
		sp_buf_release(&ls.failures);
		sp_buf_release(&ls.all);
	}
	sp_buf_release(&args);
	free(sources);
	return code;
}
