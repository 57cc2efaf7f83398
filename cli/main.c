/*
 * sparker.c — main and the command table.
 *
 * `sparker [-c CONFIG] [-v|-q] COMMAND [ARGS]`. Commands are data: one row of sp_commands each;
 * `sparker help` and `sparker COMMAND --help` are printed from this table. main parses the global
 * options, finds the command, loads the config when the command needs it, and returns the
 * handler's exit code. Exit codes are listed in EXIT_CODES below (and in README.md).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "pipeline/run.h"
#include "core/progress.h"

static const char EXIT_CODES[] =
	"Exit codes:\n"
	"  0   success\n"
	"  1   failure (a stage or command failed; the message says which)\n"
	"  2   usage error (unknown command or option, bad argument)\n"
	"  3   configuration error (the message names file and line)\n"
	"  4   run finished, but at least one source failed (the others went ahead)\n"
	"  75  another run holds the lock (the message names the holder); try again later\n";

const sp_cmd sp_commands[] = {
	{ "help", sp_cmd_help, 0, "list commands, or show one command's help",
	  "usage: sparker help [COMMAND]\n" },
	{ "version", sp_cmd_version, 0, "print the version",
	  "usage: sparker version\n" },
	{ "init", sp_cmd_init, SP_CMD_NEEDS_CONFIG, "create the database and raw store of a configuration",
	  "usage: sparker [-c CONFIG] init\n\n"
	  "Creates (or migrates) the database, the raw store and the report directory named in the\n"
	  "[sparker] section of CONFIG. Safe to run again.\n" },
	{ "run", sp_cmd_run, SP_CMD_NEEDS_CONFIG, "run a job, one stage, or a range of stages",
	  "usage: sparker [-c CONFIG] run [--job NAME | --stage S | --from S [--to S]]\n"
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
	  "Log lines (timestamp, run id, one per stage call) also go to [sparker] log_file when set.\n" },
	{ "status", sp_cmd_status, SP_CMD_NEEDS_CONFIG, "last runs, stages, counts and each source's freshness",
	  "usage: sparker [-c CONFIG] status\n" },
	{ "runs", sp_cmd_runs, SP_CMD_NEEDS_CONFIG, "list recent runs",
	  "usage: sparker [-c CONFIG] runs [-n N] [RUN_ID]\n\n"
	  "Without RUN_ID, the last N runs (default 20); with it, that run's stage rows.\n" },
	{ "report", sp_cmd_report, SP_CMD_NEEDS_CONFIG, "write the yearly PDF funnel report",
	  "usage: sparker [-c CONFIG] report --year Y [--out FILE.pdf] [--csv FILE.csv]\n\n"
	  "Default output: REPORT_DIR/sparker-Y.pdf and REPORT_DIR/sparker-Y.csv.\n"
	  "Set SOURCE_DATE_EPOCH for a byte-identical regeneration.\n" },
	{ "export", sp_cmd_export, SP_CMD_NEEDS_CONFIG, "CSV exports: members, entities, qualified, rejects",
	  "usage: sparker [-c CONFIG] export members|entities|qualified|rejects [--year Y] [-o FILE]\n\n"
	  "  members    source,source_key,entity_id\n"
	  "  entities   entity_id,name,country,founded,website,first_seen,members\n"
	  "  qualified  entity_id,name,country,score,domains,reasons   (--year Y: that cohort)\n"
	  "  rejects    source,fetch_id,line,reason,excerpt\n" },
	{ "show", sp_cmd_show, SP_CMD_NEEDS_CONFIG, "an entity's golden record and why each member is in it",
	  "usage: sparker [-c CONFIG] show ENTITY_ID | SOURCE:KEY\n" },
	{ "link", sp_cmd_link, SP_CMD_NEEDS_CONFIG, "force two records (or entities) into one entity",
	  "usage: sparker [-c CONFIG] link A B [--note TEXT]\n\n"
	  "A and B are SOURCE:KEY record references or entity ids. The judgement is stored and\n"
	  "respected by every later dedupe run.\n" },
	{ "unlink", sp_cmd_unlink, SP_CMD_NEEDS_CONFIG, "force a record out of its entity",
	  "usage: sparker [-c CONFIG] unlink SOURCE:KEY [--note TEXT]\n" },
	{ "explain", sp_cmd_explain, SP_CMD_NEEDS_CONFIG, "an entity's relevance score and every reason",
	  "usage: sparker [-c CONFIG] explain ENTITY_ID\n" },
	{ "pin", sp_cmd_pin, SP_CMD_NEEDS_CONFIG, "pin a startup in or out of the selection",
	  "usage: sparker [-c CONFIG] pin ENTITY_ID in|out|clear [--note TEXT]\n" },
	{ "diff-selection", sp_cmd_diff_selection, SP_CMD_NEEDS_CONFIG, "startups that entered or left the selection at the last scoring",
	  "usage: sparker [-c CONFIG] diff-selection [--year Y]\n" },
	{ "decide", sp_cmd_decide, SP_CMD_NEEDS_CONFIG, "record a committee decision",
	  "usage: sparker [-c CONFIG] decide ENTITY_ID accompanied|cocreation|invested|declined [--date D] [--note N]\n" },
	{ "decisions", sp_cmd_decisions, SP_CMD_NEEDS_CONFIG, "import or list committee decisions",
	  "usage: sparker [-c CONFIG] decisions import FILE.csv | list\n\n"
	  "FILE.csv columns: entity_id,decision,date,note (header row required).\n" },
	{ "schedule", sp_cmd_schedule, SP_CMD_NEEDS_CONFIG, "print the crontab lines (or systemd units) for the configured jobs",
	  "usage: sparker [-c CONFIG] schedule [--systemd]\n\n"
	  "Prints a user crontab (install: sparker schedule | crontab -) or, with --systemd, a service\n"
	  "and a timer per job, with the absolute paths of this binary and CONFIG. [job nightly] runs\n"
	  "at 02:30, a job with the report stage on 5 January for the year that ended; a job's\n"
	  "`schedule = M H DOM MON DOW` overrides. See schedules/README.md.\n" },
	{ NULL, NULL, 0, NULL, NULL },
};

const sp_cmd *sp_cmd_find(const char *name)
{
	for (const sp_cmd *c = sp_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void sp_cmd_usage(FILE *to, const sp_cmd *c)
{
	fprintf(to, "%s\n%s", c->summary, c->usage);
	fprintf(to, "\nGlobal options: -c CONFIG (default ./sparker.ini), -v/--verbose, -q/--quiet\n\n%s", EXIT_CODES);
}

static void usage_all(FILE *to)
{
	fprintf(to,
		"sparker %s — batch startup-scouting pipeline and yearly funnel report\n\n"
		"usage: sparker [-c CONFIG] [-v|-q] COMMAND [ARGS]\n\nCommands:\n",
		SP_VERSION);
	for (const sp_cmd *c = sp_commands; c->name; c++)
		fprintf(to, "  %-15s %s\n", c->name, c->summary);
	fprintf(to, "\n`sparker COMMAND --help` for a command's options; `man sparker` for the manual.\n\n%s", EXIT_CODES);
}

int sp_cmd_help(int argc, char **argv, sp_env *env)
{
	(void)env;
	if (argc > 1) {
		const sp_cmd *c = sp_cmd_find(argv[1]);
		if (!c) {
			sp_cmd_error("no such command '%s' (see `sparker help`)", argv[1]);
			return SP_EXIT_USAGE;
		}
		sp_cmd_usage(stdout, c);
		return SP_EXIT_OK;
	}
	usage_all(stdout);
	return SP_EXIT_OK;
}

int sp_cmd_version(int argc, char **argv, sp_env *env)
{
	(void)argc, (void)argv, (void)env;
	printf("sparker %s\n", SP_VERSION);
	return SP_EXIT_OK;
}

void sp_cmd_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sparker: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int sp_cmd_exit_code(int rc)
{
	switch (rc) {
	case SP_OK:
	case SP_EOF:
		return SP_EXIT_OK;
	case SP_ELOCKED:
		return SP_EXIT_LOCKED;
	case SP_EUSAGE:
		return SP_EXIT_USAGE;
	case SP_ECONFIG:
		return SP_EXIT_CONFIG;
	default:
		return SP_EXIT_FAIL;
	}
}

sp_store *sp_cmd_open_db(sp_env *env)
{
	sp_err err;
	sp_store *db = NULL;
	const char *slash = strrchr(env->cfg->database, '/');
	if (slash) {
		char *dir = sp_xstrndup(env->cfg->database, (size_t)(slash - env->cfg->database));
		if (*dir && sp_mkdir_p(dir, &err) != SP_OK) {
			sp_cmd_error("%s", err.msg);
			free(dir);
			return NULL;
		}
		free(dir);
	}
	if (sp_store_open(env->cfg->database, &db, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return NULL;
	}
	return db;
}

sp_store *sp_cmd_open_db_locked(sp_env *env, const char *what, sp_lock **lock, int *code)
{
	sp_err err;
	*lock = NULL;
	if (sp_lock_take(env->cfg, what, lock, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		*code = sp_cmd_exit_code(err.code);
		return NULL;
	}
	sp_store *db = sp_cmd_open_db(env);
	if (!db) {
		sp_lock_release(*lock);
		*lock = NULL;
		*code = SP_EXIT_FAIL;
	}
	return db;
}

FILE *sp_cmd_open_out(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return stdout;
	FILE *f = fopen(path, "w");
	if (!f)
		sp_cmd_error("cannot write %s: %m", path);
	return f;
}

int main(int argc, char **argv)
{
	sp_env env = { .config_path = "sparker.ini", .log = stderr };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },      { NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': env.config_path = optarg; break;
		case 'v': env.verbose = 1; break;
		case 'q': env.quiet = 1; break;
		case 'h': usage_all(stdout); return SP_EXIT_OK;
		case 'V': return sp_cmd_version(0, NULL, &env);
		default: usage_all(stderr); return SP_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage_all(stderr);
		return SP_EXIT_USAGE;
	}
	const sp_cmd *c = sp_cmd_find(argv[optind]);
	if (!c) {
		sp_cmd_error("no such command '%s' (see `sparker help`)", argv[optind]);
		return SP_EXIT_USAGE;
	}
	int cargc = argc - optind;
	char **cargv = argv + optind;
	for (int i = 1; i < cargc; i++) {
		if (!strcmp(cargv[i], "--help") || !strcmp(cargv[i], "-h")) {
			sp_cmd_usage(stdout, c);
			return SP_EXIT_OK;
		}
		if (!strcmp(cargv[i], "--"))
			break;
	}
	/* what sparker writes (database, raw store, reports, logs) is for its owner and group only */
	mode_t um = umask(0);
	umask(um | 007);
	sp_progress_enable(isatty(STDERR_FILENO) && !env.quiet);
	if (c->flags & SP_CMD_NEEDS_CONFIG) {
		sp_err err;
		if (sp_config_load(env.config_path, &env.cfg, &err) != SP_OK) {
			sp_cmd_error("%s", err.msg);
			return SP_EXIT_CONFIG;
		}
		if (env.cfg->log_file) {
			FILE *lf = fopen(env.cfg->log_file, "a");
			if (!lf) {
				sp_cmd_error("cannot open log file %s: %m", env.cfg->log_file);
				sp_config_free(env.cfg);
				return SP_EXIT_CONFIG;
			}
			env.log = lf;
		}
	}
	optind = 0; /* handlers use getopt_long on their own argv; 0 = full reset (glibc), so the "+" of main's optstring does not stop handlers at their first operand */
	int rc = c->fn(cargc, cargv, &env);
	if (env.log && env.log != stderr)
		fclose(env.log);
	sp_config_free(env.cfg);
	return rc;
}
