/*
 * cmd_schedule.c — `sparker schedule [--systemd]`: print what to install to run the configured
 * jobs unattended, with the absolute paths of this binary and of the configuration.
 *
 * Which jobs, when (cron's five fields):
 *   - `schedule = M H DOM MON DOW` in a [job NAME] section wins;
 *   - else a job named nightly or daily runs at 02:30 every day;
 *   - else a job whose stages include report runs on 5 January at 06:00, for the year that ended
 *     (`--year` computed by the shell at run time);
 *   - else the job is listed as a comment, not scheduled.
 * When no job has the report stage, a yearly `sparker report --year LAST_YEAR` is added.
 *
 * Output: without --systemd, lines for a user crontab (`sparker schedule | crontab -`), silent
 * on success and mailing on failure (README in schedules/). With --systemd, one .service and one
 * .timer per scheduled job, each preceded by a "# ---- FILE ----" line naming where it goes.
 * Nothing here touches the database. Fails (exit 3) only when a schedule key is malformed.
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "pipeline/run.h"

static int cmd_schedule(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_schedule_entry = {
	.name = "schedule",
	.fn = cmd_schedule,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "print the crontab lines (or systemd units) for the configured jobs",
	.usage = "usage: sparker [-c CONFIG] schedule [--systemd]\n\n"
	         "Prints a user crontab (install: sparker schedule | crontab -) or, with --systemd, a service\n"
	         "and a timer per job, with the absolute paths of this binary and CONFIG. [job nightly] runs\n"
	         "at 02:30, a job with the report stage on 5 January for the year that ended; a job's\n"
	         "`schedule = M H DOM MON DOW` overrides. See schedules/README.md.\n"
};

#define DAILY "30 2 * * *"
#define YEARLY "0 6 5 1 *"

struct sched {
	char name[128];   /* unit name suffix: nightly, report, ... */
	char when[128];   /* cron fields */
	char args[512];   /* arguments after `sparker -c CFG` (shell syntax for cron, with LAST_YEAR marker) */
	int yearly_arg;   /* append --year <last year> */
	const char *what; /* description */
};

/* Absolute path of this binary (Linux), else the name as found in PATH. */
static void self_path(char *out, size_t n)
{
	ssize_t k = readlink("/proc/self/exe", out, n - 1);
	if (k > 0) {
		out[k] = '\0';
		return;
	}
	snprintf(out, n, "sparker");
}

/* Each cron field: '*', N, N-M, lists of those, optional /STEP. */
static int cron_field_ok(const char *f, int lo, int hi)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", f);
	char *save = NULL;
	for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(part, '/');
		if (slash) {
			*slash = '\0';
			char *end;
			long step = strtol(slash + 1, &end, 10);
			if (*end || step <= 0 || step > hi)
				return 0;
		}
		if (!strcmp(part, "*"))
			continue;
		char *end;
		long a = strtol(part, &end, 10), b = a;
		if (end == part)
			return 0;
		if (*end == '-') {
			char *e2;
			b = strtol(end + 1, &e2, 10);
			if (e2 == end + 1 || *e2)
				return 0;
		} else if (*end) {
			return 0;
		}
		if (a < lo || b > hi || a > b)
			return 0;
	}
	return 1;
}

static int cron_ok(const char *when, char fields[5][64])
{
	static const int lo[5] = { 0, 0, 1, 1, 0 }, hi[5] = { 59, 23, 31, 12, 7 };
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", when);
	char *save = NULL;
	int n = 0;
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 5 || strlen(t) >= 64 || !cron_field_ok(t, lo[n], hi[n]))
			return 0;
		snprintf(fields[n++], 64, "%s", t);
	}
	return n == 5;
}

/* One cron field to systemd calendar syntax: ranges a-b -> a..b, */
static void cal_field(const char *f, char *out, size_t n, int two_digits)
{
	sp_buf b = SP_BUF_INIT;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", f);
	char *save = NULL;
	int first = 1;
	for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		if (!first)
			sp_buf_addc(&b, ',');
		first = 0;
		char *slash = strchr(part, '/');
		char step[16] = "";
		if (slash) {
			snprintf(step, sizeof(step), "/%s", slash + 1);
			*slash = '\0';
		}
		char *dash = strchr(part, '-');
		if (!strcmp(part, "*")) {
			sp_buf_adds(&b, slash ? "0" : "*"); /* "*\/n" is "0/n" in systemd */
		} else if (dash) {
			*dash = '\0';
			sp_buf_addf(&b, two_digits ? "%02d..%02d" : "%d..%d", atoi(part), atoi(dash + 1));
		} else {
			sp_buf_addf(&b, two_digits ? "%02d" : "%d", atoi(part));
		}
		sp_buf_adds(&b, step);
	}
	snprintf(out, n, "%s", sp_buf_str(&b));
	sp_buf_release(&b);
}

/* cron "M H DOM MON DOW" -> systemd OnCalendar. DOW supports *, N, lists and ranges (0 and 7 = Sun). */
static void to_oncalendar(char f[5][64], char *out, size_t n)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	char mi[96], h[96], dom[96], mon[96];
	cal_field(f[0], mi, sizeof(mi), 1);
	cal_field(f[1], h, sizeof(h), 1);
	cal_field(f[2], dom, sizeof(dom), 1);
	cal_field(f[3], mon, sizeof(mon), 1);
	sp_buf dow = SP_BUF_INIT;
	if (strcmp(f[4], "*")) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%s", f[4]);
		char *save = NULL;
		for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			char *dash = strchr(p, '-');
			if (dow.len)
				sp_buf_addc(&dow, ',');
			if (dash)
				sp_buf_addf(&dow, "%s..%s", days[atoi(p) % 8], days[atoi(dash + 1) % 8]);
			else
				sp_buf_adds(&dow, days[atoi(p) % 8]);
		}
		sp_buf_addc(&dow, ' ');
	}
	snprintf(out, n, "%s*-%s-%s %s:%s:00", sp_buf_str(&dow), mon, dom, h, mi);
	sp_buf_release(&dow);
}

static int job_has(const sp_job *j, const char *stage)
{
	for (int k = 0; k < j->nstages; k++)
		if (!strcmp(j->stages[k], stage))
			return 1;
	return 0;
}

/* Fill the schedule list from the config. Returns count, or -1 with a message printed. */
static int collect(const sp_config *cfg, struct sched *out, int max, sp_buf *unscheduled)
{
	int n = 0, any_report = 0;
	for (int i = 0; i < cfg->njobs && n < max - 1; i++) {
		const sp_job *j = &cfg->jobs[i];
		char section[160];
		snprintf(section, sizeof(section), "job %s", j->name);
		const sp_kv *kv = sp_config_find(cfg, section, "schedule");
		int has_report = job_has(j, "report");
		any_report |= has_report;
		const char *when = NULL;
		if (kv) {
			char f[5][64];
			if (!cron_ok(kv->value, f)) {
				sp_cmd_error("%s:%d: schedule '%s' is not five cron fields (minute hour day month weekday)",
					     cfg->path, kv->line, kv->value);
				return -1;
			}
			when = kv->value;
		} else if (!strcmp(j->name, "nightly") || !strcmp(j->name, "daily")) {
			when = DAILY;
		} else if (has_report) {
			when = YEARLY;
		}
		if (!when) {
			sp_buf_addf(unscheduled, "# [job %s] is not scheduled (add `schedule = M H DOM MON DOW` to it)\n", j->name);
			continue;
		}
		struct sched *s = &out[n++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", j->name);
		snprintf(s->when, sizeof(s->when), "%s", when);
		snprintf(s->args, sizeof(s->args), "run --job %s", j->name);
		s->yearly_arg = has_report;
		s->what = has_report ? "job (with the yearly report, for the year that ended)" : "job";
	}
	if (!any_report && n < max) {
		struct sched *s = &out[n++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "report");
		snprintf(s->when, sizeof(s->when), "%s", YEARLY);
		snprintf(s->args, sizeof(s->args), "report");
		s->yearly_arg = 1;
		s->what = "yearly funnel report, for the year that ended";
	}
	return n;
}

static int unit_name_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

static int cmd_schedule(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = { { "systemd", no_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
	int systemd = 0, c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's') {
			sp_cmd_error("schedule: usage: sparker schedule [--systemd]");
			return SP_EXIT_USAGE;
		}
		systemd = 1;
	}
	if (optind < argc) {
		sp_cmd_error("schedule: unexpected argument '%s'", argv[optind]);
		return SP_EXIT_USAGE;
	}
	char bin[PATH_MAX], cfgpath[PATH_MAX], dir[PATH_MAX];
	self_path(bin, sizeof(bin));
	if (!realpath(env->config_path, cfgpath))
		snprintf(cfgpath, sizeof(cfgpath), "%s", env->config_path);
	if (!realpath(env->cfg->dir, dir))
		snprintf(dir, sizeof(dir), "%s", env->cfg->dir);
	if (strpbrk(bin, " '\"\\$%") || strpbrk(cfgpath, " '\"\\$%") || strpbrk(dir, " '\"\\$%")) {
		sp_cmd_error("schedule: a path contains a space, quote, $ or %%: install the lines by hand (%s, %s)", bin, cfgpath);
		return SP_EXIT_FAIL;
	}
	struct sched sch[64];
	sp_buf unscheduled = SP_BUF_INIT;
	int n = collect(env->cfg, sch, (int)SP_ARRAY_LEN(sch), &unscheduled);
	if (n < 0) {
		sp_buf_release(&unscheduled);
		return SP_EXIT_CONFIG;
	}
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw && geteuid() != 0 ? pw->pw_name : "sparker";

	if (!systemd) {
		printf("# sparker schedule for %s\n"
		       "# Install for the user running sparker:  sparker -c %s schedule | crontab -\n"
		       "# (that replaces the user's crontab; merge by hand if it has other lines).\n"
		       "# sparker is silent on success and prints a short summary on failure: cron mails it to MAILTO.\n"
		       "SHELL=/bin/sh\nPATH=/usr/local/bin:/usr/bin:/bin\n#MAILTO=ops@example.org\n",
		       cfgpath, cfgpath);
		for (int i = 0; i < n; i++) {
			printf("\n# %s %s\n%s cd %s && nice -n 10 ionice -c 3 %s -c %s %s%s\n", sch[i].name, sch[i].what,
			       sch[i].when, dir, bin, cfgpath, sch[i].args,
			       sch[i].yearly_arg ? " --year $(( $(date +\\%Y) - 1 ))" : "");
		}
		if (unscheduled.len)
			printf("\n%s", unscheduled.buf);
		sp_buf_release(&unscheduled);
		return SP_EXIT_OK;
	}

	printf("# sparker systemd units for %s\n"
	       "# Write each block to the file named in its header, then:\n"
	       "#   systemctl daemon-reload && systemctl enable --now", cfgpath);
	for (int i = 0; i < n; i++)
		printf(" sparker-%s.timer", sch[i].name);
	printf("\n# Logs: journalctl -u sparker-NAME.service. Failures start sparker-failure@.service (schedules/).\n");
	for (int i = 0; i < n; i++) {
		struct sched *s = &sch[i];
		if (!unit_name_ok(s->name)) {
			printf("\n# [job %s]: name not usable in a unit file name, skipped\n", s->name);
			continue;
		}
		char f[5][64], cal[256];
		cron_ok(s->when, f);
		to_oncalendar(f, cal, sizeof(cal));
		printf("\n# ---- /etc/systemd/system/sparker-%s.service ----\n"
		       "[Unit]\nDescription=sparker %s %s\nDocumentation=man:sparker(1)\n"
		       "Wants=network-online.target\nAfter=network-online.target\n"
		       "OnFailure=sparker-failure@%%n.service\n\n"
		       "[Service]\nType=oneshot\nUser=%s\nWorkingDirectory=%s\n",
		       s->name, s->name, s->what, user, dir);
		if (s->yearly_arg)
			printf("ExecStart=/bin/sh -c 'exec %s -c %s %s --year $$(( $$(date +%%%%Y) - 1 ))'\n", bin, cfgpath, s->args);
		else
			printf("ExecStart=%s -c %s %s\n", bin, cfgpath, s->args);
		printf("Nice=10\nIOSchedulingClass=%s\nStandardOutput=journal\nStandardError=journal\n"
		       "SyslogIdentifier=sparker\nUMask=0007\n",
		       s->yearly_arg ? "best-effort" : "idle");
		printf("\n# ---- /etc/systemd/system/sparker-%s.timer ----\n"
		       "[Unit]\nDescription=sparker %s (%s)\n\n"
		       "[Timer]\nOnCalendar=%s\nPersistent=yes\nUnit=sparker-%s.service\n\n"
		       "[Install]\nWantedBy=timers.target\n",
		       s->name, s->name, s->when, cal, s->name);
	}
	if (unscheduled.len)
		printf("\n%s", unscheduled.buf);
	sp_buf_release(&unscheduled);
	return SP_EXIT_OK;
}
