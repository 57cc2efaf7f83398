/*
 * main.c — main, the command table, `help` and `version`.
 *
 * `sparker [-c CONFIG] [-v|-q] COMMAND [ARGS]`. Commands are data: each cli/cmd_<name>.c defines
 * the entry of its commands (name, handler, flags, summary, usage) beside their code, and the
 * table below lists them; `sparker help` and `sparker COMMAND --help` are printed from it.
 * main parses the global options (--user and --hub, who and from where a judgement is made, also
 * after the command: `sparker decide 12 accompanied --hub UK`), finds the command, installs the terminal's progress line and
 * the out-of-memory message (the layers below never print), loads the config when the command
 * needs it, runs the handler and checks that standard output was written in full.
 * Exit codes are listed in EXIT_CODES below (and in README.md and the man page).
 */
#include <errno.h>
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
	"  4   run finished, but at least one source failed or a quality gate held its snapshot\n"
	"      (the others went ahead; `sparker status` says which)\n"
	"  75  another run holds the lock (the message names the holder); try again later\n"
	"  130 a run stopped by SIGINT, 143 by SIGTERM (the interrupted stage rolled back)\n";

/* Progress sink (core/progress.h): one line redrawn in place on stderr; NULL erases it. */
static void progress_line(const char *line)
{
	fprintf(stderr, "\r\033[K%s", line ? line : "");
	fflush(stderr);
}

static void out_of_memory(size_t requested)
{
	fprintf(stderr, "sparker: out of memory (allocating %zu bytes)\n", requested);
	abort();
}

/* git's check after every command: output lost to a full disk or an I/O error is a failure. */
static int finish_stdout(int code)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (!bad)
		return code;
	fprintf(stderr, "sparker: write error on standard output: %s\n", saved ? strerror(saved) : "unknown error");
	return code == SP_EXIT_OK ? SP_EXIT_FAIL : code;
}

static int cmd_help(int argc, char **argv, sp_env *env);
static int cmd_version(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_help_entry = {
	.name = "help",
	.fn = cmd_help,
	.flags = 0,
	.summary = "list commands, or show one command's help",
	.usage = "usage: sparker help [COMMAND]\n"
};

const sp_cmd sp_cmd_version_entry = {
	.name = "version",
	.fn = cmd_version,
	.flags = 0,
	.summary = "print the version",
	.usage = "usage: sparker version\n"
};

/* The command table, in the order `sparker help` lists them. Each entry sits beside its code. */
static const sp_cmd *const commands[] = {
	&sp_cmd_help_entry,
	&sp_cmd_version_entry,
	&sp_cmd_init_entry,
	&sp_cmd_check_entry,
	&sp_cmd_migrate_entry,
	&sp_cmd_taxonomy_entry,
	&sp_cmd_run_entry,
	&sp_cmd_score_entry,
	&sp_cmd_status_entry,
	&sp_cmd_runs_entry,
	&sp_cmd_accept_entry,
	&sp_cmd_report_entry,
	&sp_cmd_export_entry,
	&sp_cmd_show_entry,
	&sp_cmd_link_entry,
	&sp_cmd_unlink_entry,
	&sp_cmd_explain_entry,
	&sp_cmd_pin_entry,
	&sp_cmd_diff_selection_entry,
	&sp_cmd_decide_entry,
	&sp_cmd_decisions_entry,
	&sp_cmd_judgements_entry,
	&sp_cmd_note_entry,
	&sp_cmd_review_entry,
	&sp_cmd_audit_entry,
	&sp_cmd_schedule_entry,
	NULL,
};

const sp_cmd *sp_cmd_find(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

void sp_cmd_usage(FILE *to, const sp_cmd *c)
{
	fprintf(to, "%s\n%s", c->summary, c->usage);
	fprintf(to, "\nGlobal options: -c CONFIG (default ./sparker.ini), -v/--verbose, -q/--quiet,\n"
		    "  --user NAME (who records a judgement; default $SPARKER_USER, else the login name),\n"
		    "  --hub NAME (the [hub NAME] a judgement is made from; default $SPARKER_HUB, else [sparker] hub);\n"
		    "  --user and --hub may also follow the command\n\n%s",
		EXIT_CODES);
}

static void usage_all(FILE *to)
{
	fprintf(to,
		"sparker %s — batch startup-scouting pipeline and yearly funnel report\n\n"
		"usage: sparker [-c CONFIG] [-v|-q] [--user NAME] [--hub NAME] COMMAND [ARGS]\n\nCommands:\n",
		SP_VERSION);
	for (size_t i = 0; commands[i]; i++)
		fprintf(to, "  %-15s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(to, "\n`sparker COMMAND --help` for a command's options; `man sparker` for the manual.\n\n%s", EXIT_CODES);
}

static int cmd_help(int argc, char **argv, sp_env *env)
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

static int cmd_version(int argc, char **argv, sp_env *env)
{
	(void)argc, (void)argv, (void)env;
	printf("sparker %s\n", SP_VERSION);
	return SP_EXIT_OK;
}

/* --user NAME and --hub NAME (or --user=NAME, --hub=NAME) after the command, up to "--": taken
 * out of the command's arguments into env, as if given before it. */
static void take_who(int *argc, char **argv, sp_env *env)
{
	for (int i = 1; i < *argc && strcmp(argv[i], "--");) {
		int n = 0;
		static const char *const opt[2] = { "--user", "--hub" };
		for (int k = 0; k < 2 && !n; k++) {
			size_t l = strlen(opt[k]);
			const char **dst = k ? &env->hub : &env->user;
			if (!strncmp(argv[i], opt[k], l) && argv[i][l] == '=')
				*dst = argv[i] + l + 1, n = 1;
			else if (!strcmp(argv[i], opt[k]) && i + 1 < *argc)
				*dst = argv[i + 1], n = 2;
		}
		if (!n) {
			i++;
			continue;
		}
		memmove(argv + i, argv + i + n, (size_t)(*argc - i - n + 1) * sizeof(*argv));
		*argc -= n;
	}
}

int main(int argc, char **argv)
{
	sp_env env = { .config_path = "sparker.ini", .log = stderr };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },      { "user", required_argument, NULL, 'u' },
		{ "hub", required_argument, NULL, 'H' },    { NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': env.config_path = optarg; break;
		case 'v': env.verbose = 1; break;
		case 'q': env.quiet = 1; break;
		case 'u': env.user = optarg; break;
		case 'H': env.hub = optarg; break;
		case 'h': usage_all(stdout); return finish_stdout(SP_EXIT_OK);
		case 'V': return finish_stdout(cmd_version(0, NULL, &env));
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
	take_who(&cargc, cargv, &env);
	for (int i = 1; i < cargc; i++) {
		if (!strcmp(cargv[i], "--help") || !strcmp(cargv[i], "-h")) {
			sp_cmd_usage(stdout, c);
			return finish_stdout(SP_EXIT_OK);
		}
		if (!strcmp(cargv[i], "--"))
			break;
	}
	/* what sparker writes (database, raw store, reports, logs) is for its owner and group only */
	mode_t um = umask(0);
	umask(um | 007);
	sp_set_oom_handler(out_of_memory);
	sp_progress_set_sink(isatty(STDERR_FILENO) && !env.quiet ? progress_line : NULL);
	if (c->flags & SP_CMD_NEEDS_CONFIG) {
		sp_err err;
		if (sp_config_load(env.config_path, &sp_run_vocab, &env.cfg, &err) != SP_OK) {
			sp_cmd_error("%s", err.msg);
			return SP_EXIT_CONFIG;
		}
		/* the hub names where a judgement is made: a stray $SPARKER_HUB never stops the pipeline's
		 * own commands (those that log: run, report ...) */
		if (!(c->flags & SP_CMD_LOGS) && sp_cmd_hub_check(&env) != SP_OK) {
			sp_config_free(env.cfg);
			return SP_EXIT_USAGE;
		}
		if (env.cfg->log_file && (c->flags & SP_CMD_LOGS)) {
			FILE *lf = fopen(env.cfg->log_file, "a");
			if (!lf) {
				int missing = errno == ENOENT;
				sp_cmd_error("cannot open log file %s: %s%s", env.cfg->log_file, strerror(errno),
					     missing ? " (`sparker init` creates its directory)" : "");
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
	return finish_stdout(rc);
}
