/*
 * cmd_status.c — `sparker status` and `sparker runs`: read-only views of run, stage_run,
 * fetch and source_state for operators.
 *
 * status: the last run of each job (and the configured jobs that never ran), its stage calls
 * with counts, durations and peak memory; the failed, killed and partial runs of the last 30
 * days; each source's last good snapshot, its age, and its consecutive failures, flagged
 * "FAILING 3+ NIGHTS" at three or more; a snapshot a quality gate held (connectors/gate.h) with
 * the gate, its measure and limit, the snapshot still applied, and how to accept it. A run still marked 'running' whose process is gone
 * (same host, no such pid) is shown as "running (process gone: killed?)"; the next run marks
 * it 'killed'. A stage call over its budget (run.h) gets a line "OVER BUDGET: stage parse took
 * 712 s, budget 600 s" under its row. The last dedupe run's largest hub keys (hub_key: postcodes
 * shared by more distinct names than [dedupe] postcode_cap, domains over domain_cap) close it. Exit 0 unless the database cannot be opened; without a
 * database (none yet) both say so and exit 1, creating nothing.
 *
 * runs: exit 2 for a RUN_ID that is not a number, 1 for a run that does not exist.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "connectors/gate.h"
#include "pipeline/inbox.h"
#include "pipeline/judgement.h"

static int cmd_status(int argc, char **argv, sp_env *env);
static int cmd_runs(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_status_entry = {
	.name = "status",
	.fn = cmd_status,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "last runs, stages, counts and each source's freshness",
	.usage = "usage: sparker [-c CONFIG] status\n"
};

const sp_cmd sp_cmd_runs_entry = {
	.name = "runs",
	.fn = cmd_runs,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "list recent runs",
	.usage = "usage: sparker [-c CONFIG] runs [-n N] [RUN_ID]\n\n"
	         "Without RUN_ID, the last N runs (default 20); with it, that run's stage rows.\n"
};

static const char *col(sp_stmt *s, int i)
{
	const char *v = sp_col_text(s, i);
	return v ? v : "-";
}

static void print_stages(sp_store *db, int64_t run_id)
{
	sp_stmt *s;
	sp_err err;
	if (sp_store_prepare(db,
			     "SELECT stage, COALESCE(source,'-'), status, rows_in, rows_out, rows_rejected,"
			     " CAST(round(COALESCE(seconds, (julianday(COALESCE(ended,started)) - julianday(started)) * 86400))"
			     " AS INTEGER), peak_kb, COALESCE(message,''), COALESCE(budget,'') FROM stage_run"
			     " WHERE run_id = ?1 ORDER BY id",
			     &s, &err) != SP_OK)
		return;
	sp_bind_int64(s, 1, run_id);
	printf("    %-9s %-16s %-7s %10s %10s %9s %6s %9s\n", "stage", "source", "status", "in", "out", "rejected",
	       "secs", "peak KB");
	while (sp_step(s) == SP_ROW) {
		printf("    %-9s %-16s %-7s %10lld %10lld %9lld %6lld %9lld %s\n", col(s, 0), col(s, 1), col(s, 2),
		       (long long)sp_col_int64(s, 3), (long long)sp_col_int64(s, 4),
		       (long long)sp_col_int64(s, 5), (long long)sp_col_int64(s, 6),
		       (long long)sp_col_int64(s, 7), col(s, 8));
		if (*col(s, 9) && strcmp(col(s, 2), "failed")) /* a failed one says it in its message */
			printf("      OVER BUDGET: %s\n", col(s, 9));
	}
	sp_finalize(s);
}

/* "running" for a live run; for a run whose process is gone on this host, say so. */
static const char *run_status(sp_stmt *s, int status_col, int pid_col, int host_col)
{
	const char *st = col(s, status_col);
	if (strcmp(st, "running"))
		return st;
	char host[128] = "";
	gethostname(host, sizeof(host) - 1);
	long pid = (long)sp_col_int64(s, pid_col);
	if (pid > 0 && !strcmp(col(s, host_col), host) && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return "running (process gone: killed?)";
	return st;
}

static void print_jobs(sp_env *env, sp_store *db)
{
	sp_stmt *s;
	sp_err err;
	if (sp_store_prepare(db,
			     "SELECT r.id, r.job, r.as_of, r.started, COALESCE(r.ended,'-'), r.status, COALESCE(r.error,''),"
			     " COALESCE(r.peak_kb,0), r.pid, COALESCE(r.host,''),"
			     " CAST(round((julianday(COALESCE(r.ended,r.started)) - julianday(r.started)) * 86400) AS INTEGER)"
			     " FROM run r WHERE r.id IN (SELECT max(id) FROM run GROUP BY job) ORDER BY r.job",
			     &s, &err) != SP_OK)
		return;
	printf("Last run of each job:\n");
	int any = 0;
	sp_buf seen = SP_BUF_INIT;
	while (sp_step(s) == SP_ROW) {
		any = 1;
		sp_buf_addf(&seen, "|%s|", col(s, 1));
		printf("  %-10s run %lld as of %s, started %s, ended %s (%llds): %s, peak %lld KB%s%s\n", col(s, 1),
		       (long long)sp_col_int64(s, 0), col(s, 2), col(s, 3), col(s, 4),
		       (long long)sp_col_int64(s, 10), run_status(s, 5, 8, 9),
		       (long long)sp_col_int64(s, 7), *col(s, 6) ? "\n    error: " : "", col(s, 6));
		print_stages(db, sp_col_int64(s, 0));
	}
	sp_finalize(s);
	for (int i = 0; i < env->cfg->njobs; i++) {
		char key[160];
		snprintf(key, sizeof(key), "|%s|", env->cfg->jobs[i].name);
		if (!seen.len || !strstr(seen.buf, key)) {
			printf("  %-10s never run\n", env->cfg->jobs[i].name);
			any = 1;
		}
	}
	sp_buf_release(&seen);
	if (!any)
		printf("  (no runs yet)\n");
}

static void print_failures(sp_store *db)
{
	sp_stmt *s;
	sp_err err;
	if (sp_store_prepare(db,
			     "SELECT id, job, as_of, started, status, COALESCE(error,''), pid, COALESCE(host,'') FROM run"
			     " WHERE status IN ('failed','killed','partial','running')"
			     " AND julianday(started) > julianday('now') - 30 ORDER BY id DESC LIMIT 10",
			     &s, &err) != SP_OK)
		return;
	int any = 0;
	while (sp_step(s) == SP_ROW) {
		const char *st = run_status(s, 4, 6, 7);
		if (!strcmp(st, "running"))
			continue; /* live */
		if (!any)
			printf("\nFailed, killed and partial runs (last 30 days, newest first):\n");
		any = 1;
		printf("  run %lld %-10s as of %s, started %s: %s%s%s\n", (long long)sp_col_int64(s, 0), col(s, 1),
		       col(s, 2), col(s, 3), st, *col(s, 5) ? ": " : "", col(s, 5));
	}
	sp_finalize(s);
}

/* The snapshot the quality gates hold for a source, if any: gate, measure, limit, and what to do. */
static void print_hold(sp_store *db, const char *source)
{
	sp_gate_hold h;
	sp_err err;
	int64_t applied = 0;
	if (sp_gate_hold_get(db, source, &h, &err) != SP_OK)
		return;
	sp_store_int(db, "SELECT COALESCE(parsed_fetch, 0) FROM source_state WHERE source = ?1", &applied, &err, source);
	if (h.fetch_id)
		printf("  %-16s HELD snapshot fetch %lld, not applied: gate %s (measured %g, limit %g), run %lld as of %s\n",
		       "", (long long)h.fetch_id, h.gate, h.measured, h.limit, (long long)h.run_id, h.as_of);
	else
		printf("  %-16s GATE %s failed (measured %g, limit %g), run %lld as of %s\n", "", h.gate, h.measured,
		       h.limit, (long long)h.run_id, h.as_of);
	printf("  %-16s   %s\n", "", h.message);
	if (applied)
		printf("  %-16s   applied snapshot: fetch %lld\n", "", (long long)applied);
	else
		printf("  %-16s   no snapshot applied yet\n", "");
}

static void print_sources(sp_env *env, sp_store *db)
{
	sp_stmt *s;
	sp_err err;
	if (sp_store_prepare(db,
			     "SELECT COALESCE(st.last_good_at,'never'),"
			     " CASE WHEN st.last_good_at IS NULL THEN NULL"
			     " ELSE CAST(trunc(julianday('now') - julianday(st.last_good_at)) AS INTEGER) END,"
			     " st.consecutive_failures, COALESCE(st.last_error,''),"
			     " COALESCE('fetch ' || f.id || ' ' || substr(f.sha256, 1, 12) || ' ' || f.size || 'B', '')"
			     " FROM source_state st LEFT JOIN fetch f ON f.id = st.last_good_fetch WHERE st.source = ?1",
			     &s, &err) != SP_OK)
		return;
	printf("\nSources:\n  %-16s %-10s %-22s %6s %s\n", "source", "format", "last good snapshot", "age(d)", "failures");
	for (int i = 0; i < env->cfg->nsources; i++) {
		const sp_source *src = &env->cfg->sources[i];
		sp_reset(s);
		sp_bind_text(s, 1, src->name);
		if (sp_step(s) == SP_ROW) {
			int fails = sp_col_int(s, 2);
			printf("  %-16s %-10s %-22s %6s %d%s%s%s\n", src->name, src->format, col(s, 0), col(s, 1), fails,
			       fails >= 3 ? "  FAILING 3+ NIGHTS" : "", *col(s, 3) ? ": " : "", col(s, 3));
			if (*col(s, 4) && strcmp(col(s, 4), "-"))
				printf("  %-16s snapshot %s\n", "", col(s, 4));
			print_hold(db, src->name);
		} else {
			printf("  %-16s %-10s %-22s %6s %d\n", src->name, src->format, "never", "-", 0);
		}
	}
	sp_finalize(s);
}

/* "; by hub: UK 4, US 5, none 1", when some judgement in force has a hub. */
struct by_hub {
	sp_buf text;
	int hubs;
};

static int add_hub(const char *hub, int64_t n, void *user)
{
	struct by_hub *b = user;
	b->hubs += hub != NULL;
	sp_buf_addf(&b->text, "%s%s %lld", b->text.len ? ", " : "; by hub: ", hub ? hub : "none", (long long)n);
	return 0;
}

static int count_pending(const sp_inbox_row *r, void *user)
{
	(void)r;
	++*(int64_t *)user;
	return 0;
}

static void print_judgements(sp_env *env, sp_store *db)
{
	sp_judgement_counts c;
	sp_err err;
	if (sp_judgement_count(db, &c, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return;
	}
	printf("\nJudgements: %lld in force", (long long)c.active);
	if (c.review)
		printf("; %lld NEED REVIEW (their records are split: `sparker judgements list`)", (long long)c.review);
	if (c.pending)
		printf("; %lld pending (their records are in no entity yet)", (long long)c.pending);
	int64_t inbox = 0;
	if (!sp_store_is_server(env->cfg->database) && sp_inbox_each(env->cfg->database, count_pending, &inbox, &err) != SP_OK)
		sp_cmd_error("%s", err.msg);
	if (inbox)
		printf("; %lld made during a run, in the inbox until the next run (`sparker judgements list`)", (long long)inbox);
	struct by_hub b = { SP_BUF_INIT, 0 };
	if (sp_judgement_count_hubs(db, add_hub, &b, &err) != SP_OK)
		sp_cmd_error("%s", err.msg);
	else if (b.hubs)
		fputs(sp_buf_str(&b.text), stdout);
	sp_buf_release(&b.text);
	printf("\nReview queue: %lld pair%s the last dedupe nearly joined%s\n", (long long)c.queue, c.queue == 1 ? "" : "s",
	       c.queue ? " (`sparker review`)" : "");
}

/* The largest hub keys of the last dedupe run (hub_key): shared by so many names that dedupe
 * takes them for no evidence (an incubator's postcode, a formation agent, an acquirer's domain).
 * run_id is cast: PostgreSQL refuses COALESCE of an integer and '-'. */
static void print_hubs(sp_store *db)
{
	sp_stmt *s;
	sp_err err;
	if (sp_store_prepare(db, "SELECT kind, key, names, COALESCE(CAST(run_id AS TEXT), '-') FROM hub_key ORDER BY kind DESC, names DESC, key",
			     &s, &err) != SP_OK)
		return;
	int first = 1;
	while (sp_step(s) == SP_ROW) {
		int pc = strcmp(col(s, 0), "postcode") == 0;
		if (first)
			printf("\nHub keys of the last dedupe (run %s; no evidence of identity):\n", col(s, 3));
		printf("  %-8s %-24s %lld %s\n", col(s, 0), col(s, 1), (long long)sp_col_int64(s, 2),
		       pc ? "distinct names (over [dedupe] postcode_cap)" : "records (over [dedupe] domain_cap)");
		first = 0;
	}
	sp_finalize(s);
}

static int cmd_status(int argc, char **argv, sp_env *env)
{
	(void)argv;
	if (argc > 1) {
		sp_cmd_error("status: takes no arguments");
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	printf("Database %s\n\n", env->cfg->database);
	print_jobs(env, db);
	print_failures(db);
	print_sources(env, db);
	print_judgements(env, db);
	print_hubs(db);
	sp_store_close(db);
	return SP_EXIT_OK;
}

/* One run's stage rows: exit 1 when there is no such run. */
static int runs_one(sp_store *db, long long id)
{
	int64_t found = 0;
	sp_err err;
	char idtxt[32];
	snprintf(idtxt, sizeof(idtxt), "%lld", id);
	if (sp_store_int(db, "SELECT count(*) FROM run WHERE id = CAST(?1 AS INTEGER)", &found, &err, idtxt) != SP_OK)
		found = -1;
	if (found <= 0) {
		if (found == 0)
			sp_cmd_error("runs: no run %lld (see `sparker runs`)", id);
		else
			sp_cmd_error("%s", err.msg);
		return SP_EXIT_FAIL;
	}
	printf("Run %lld:\n", id);
	print_stages(db, id);
	return SP_EXIT_OK;
}

static int cmd_runs(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = { { "limit", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	int limit = 20, c;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c != 'n' || (limit = atoi(optarg)) <= 0) {
			sp_cmd_error("runs: usage: sparker runs [-n N] [RUN_ID]");
			return SP_EXIT_USAGE;
		}
	}
	long long id = 0;
	if (optind < argc) {
		char *end;
		errno = 0;
		id = strtoll(argv[optind], &end, 10);
		if (optind + 1 < argc || end == argv[optind] || *end || id <= 0 || errno) {
			sp_cmd_error("runs: '%s' is not a run id (usage: sparker runs [-n N] [RUN_ID])", argv[optind]);
			return SP_EXIT_USAGE;
		}
	}
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	if (id) {
		int code = runs_one(db, id);
		sp_store_close(db);
		return code;
	}
	sp_stmt *s;
	sp_err err;
	if (sp_store_prepare(db,
			     "SELECT id, job, as_of, started, COALESCE(ended,'-'), status, COALESCE(error,'') FROM run"
			     " ORDER BY id DESC LIMIT ?1",
			     &s, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		sp_store_close(db);
		return SP_EXIT_FAIL;
	}
	sp_bind_int(s, 1, limit);
	printf("%6s %-10s %-10s %-20s %-20s %-8s %s\n", "run", "job", "as-of", "started", "ended", "status", "error");
	while (sp_step(s) == SP_ROW)
		printf("%6lld %-10s %-10s %-20s %-20s %-8s %s\n", (long long)sp_col_int64(s, 0), col(s, 1),
		       col(s, 2), col(s, 3), col(s, 4), col(s, 5), col(s, 6));
	sp_finalize(s);
	sp_store_close(db);
	return SP_EXIT_OK;
}
