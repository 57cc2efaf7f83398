/*
 * run.c — lock, run rows, stage table and stage execution, stage budgets. See run.h.
 *
 * Invariants: a stage call is timed, and its peak memory measured (its own when it has a memory
 * budget: sp_peak_rss_reset before it; else the process's so far); its stage_run row is written before it starts and closed after it, whatever it returned.
 * A stop request (core/stop.h) is looked at before and after every stage call: the run then ends
 * 'killed' with SP_EINTERRUPTED, the interrupted stage having rolled back its transaction.
 */
#include "pipeline/run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "connectors/filter.h"
#include "connectors/gate.h"
#include "core/date.h"
#include "pipeline/dedupe.h"
#include "pipeline/history.h"
#include "pipeline/hub.h"
#include "pipeline/inbox.h"
#include "pipeline/mention.h"
#include "pipeline/redirect.h"
#include "pipeline/select.h"
#include "pipeline/startup.h"
#include "pipeline/taxonomy.h"
#include "core/stop.h"

static const sp_stage sp_stages[] = {
	{ "fetch", sp_stage_fetch, 1, "download each source into the raw store (conditional, retried)" },
	{ "parse", sp_stage_parse, 1, "read the newest raw snapshot of each source into records and rejects" },
	{ "normalise", sp_stage_normalise, 0, "names, countries, dates, domains, activity codes -> candidates" },
	{ "dedupe", sp_stage_dedupe, 0, "cluster candidates into stable entities, with reasons" },
	{ "score", sp_stage_score, 0, "tag domains, score relevance, select each cohort's shortlist" },
	{ "report", sp_stage_report, 0, "write the yearly PDF and CSV report" },
};
static const int sp_nstages = (int)SP_ARRAY_LEN(sp_stages);

static const sp_stage *stage_find(const char *name)
{
	for (int i = 0; i < sp_nstages; i++)
		if (!strcmp(sp_stages[i].name, name))
			return &sp_stages[i];
	return NULL;
}

static const char *stage_name_at(size_t i)
{
	return i < (size_t)sp_nstages ? sp_stages[i].name : NULL;
}

/* ---- the configuration's vocabulary ------------------------------------------------------- */

/*
 * The stage budgets (issue 15), in [sparker]: defined here, beside the stage table whose names
 * they take. (The quality gates' keys are connectors/gate.c's.)
 */
const sp_config_key sp_run_keys[] = {
	{ "sparker", "max_seconds.*", SP_KEY_INT, .min = 0, .max = SP_KEY_ANY, .names = stage_name_at },
	{ "sparker", "max_rss_mb.*", SP_KEY_INT, .min = 0, .max = SP_KEY_ANY, .names = stage_name_at },
	{ "sparker", "budget_action", SP_KEY_ENUM, .def = "warn", .choices = "warn|fail" },
	{ 0 },
};

/* The spec arrays of every section but [source] (the core adds its own). */
static const sp_config_key *const section_keys[] = {
	sp_run_keys,     sp_gate_keys,     sp_dedupe_keys,  sp_redirect_keys, sp_mention_keys, sp_score_keys,
	sp_select_keys,  sp_taxonomy_keys, sp_startup_keys, sp_report_keys,   sp_hub_keys,
};

static const sp_config_key *section_keys_at(size_t i)
{
	return i < SP_ARRAY_LEN(section_keys) ? section_keys[i] : NULL;
}

/* A [source]'s: the gates, then the connector registry's for its format. */
static const sp_config_key *source_keys_at(const char *format, size_t i)
{
	return i == 0 ? sp_gate_keys : sp_connector_keys_at(format, i - 1);
}

/* Does a job of the config run the score stage? Returns the line of its stages key, 0 if none. */
static int job_scores(const sp_config *cfg, const char **job)
{
	for (int i = 0; i < cfg->njobs; i++)
		for (int k = 0; k < cfg->jobs[i].nstages; k++)
			if (!strcmp(cfg->jobs[i].stages[k], "score")) {
				char sec[160];
				snprintf(sec, sizeof(sec), "job %s", cfg->jobs[i].name);
				const sp_kv *kv = sp_config_find(cfg, sec, "stages");
				*job = cfg->jobs[i].name;
				return kv ? kv->line : 1;
			}
	return 0;
}

/* What a source's specs cannot say: a delta mode or a news kind its format has not, its filter. */
static void check_source(const sp_config *cfg, const sp_source *src, sp_config_problems *p)
{
	sp_err err;
	const sp_connector *conn = sp_connector_find(src->format);
	if (src->mode == SP_MODE_DELTA && conn && !conn->full_file) {
		const sp_kv *kv = sp_config_find(cfg, src->section, "mode");
		sp_config_problem_at(p, cfg, kv ? kv->line : src->line,
				     "[%s] mode = delta: format %s has no delta files (gleif and json have)", src->section,
				     src->format);
	}
	if (sp_source_kind_of(cfg, src) == SP_KIND_NEWS && strcmp(src->format, "feed")) {
		const sp_kv *kv = sp_config_find(cfg, src->section, "kind");
		sp_config_problem_at(p, cfg, kv ? kv->line : src->line,
				     "[%s] kind = news: only a feed can be news (format %s)", src->section, src->format);
	}
	sp_filter f;
	if (sp_filter_init(&f, cfg, src, "2000-01-01", &err) != SP_OK)
		sp_config_problem(p, "%s", err.msg);
	sp_filter_release(&f);
}

/*
 * What the specs cannot say, read now rather than when a stage runs: the taxonomy (the built-in
 * one, a taxonomy file, the config's sections), the selection band, each source's pushdown filter.
 */
static void check_config(const sp_config *cfg, sp_config_problems *p)
{
	sp_err err;
	int it = 0;
	const char *job = NULL;
	int scores = job_scores(cfg, &job);
	const char *base = sp_config_str(cfg, "sparker", sp_taxonomy_keys, "taxonomy");
	if (!strcmp(base, "none") && !sp_config_section_next(cfg, "taxonomy ", &it)) {
		if (scores)
			sp_config_problem_at(p, cfg, scores, "[job %s] runs score, which needs a [taxonomy DOMAIN] section "
					     "(taxonomy = none; docs/taxonomy.md)", job);
	} else { /* a broken taxonomy file is found before anything runs */
		sp_taxonomy *t = NULL;
		if (sp_taxonomy_load(cfg, &t, &err) != SP_OK)
			sp_config_problem(p, "%s", err.msg);
		sp_taxonomy_free(t);
	}
	double lo, hi;
	if (sp_select_band(cfg, &lo, &hi, &err) != SP_OK)
		sp_config_problem(p, "%s", err.msg);
	for (int i = 0; i < cfg->nsources; i++)
		check_source(cfg, &cfg->sources[i], p);
	sp_hub_check(cfg, p);
}

const sp_config_vocab sp_run_vocab = {
	.format = sp_connector_format_at,
	.stage = stage_name_at,
	.keys = section_keys_at,
	.source_keys = source_keys_at,
	.check = check_config,
};

int sp_stage_index(const char *name)
{
	const sp_stage *s = stage_find(name);
	return s ? (int)(s - sp_stages) : -1;
}

/* ---- run rows ------------------------------------------------------------------------------ */

/* Runs left 'running' are from a process that died (we hold the lock, so none is alive). */
static int mark_dead_runs(sp_store *db, sp_err *err)
{
	return sp_store_exec(db,
			     "UPDATE stage_run SET status='killed', ended=COALESCE(ended, started) WHERE status='running';"
			     "UPDATE run SET status='killed', ended=COALESCE(ended, started),"
			     " error=COALESCE(error,'interrupted: the process died before finishing') WHERE status='running';",
			     err);
}

static int run_insert(sp_store *db, const sp_config *cfg, const sp_run_opts *o, const char *as_of, int64_t *id,
		      sp_err *err)
{
	sp_stmt *s;
	if (sp_store_prepare(db,
			     "INSERT INTO run(job, as_of, started, status, pid, host, args, config_hash)"
			     " VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7)",
			     &s, err) != SP_OK)
		return SP_EDB;
	char now[32], host[128] = "?";
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	gethostname(host, sizeof(host) - 1);
	sp_bind_text(s, 1, o->job ? o->job : "manual");
	sp_bind_text(s, 2, as_of);
	sp_bind_text(s, 3, now);
	sp_bind_int64(s, 4, (int64_t)getpid());
	sp_bind_text(s, 5, host);
	sp_bind_text(s, 6, o->args);
	sp_bind_text(s, 7, cfg->sha256);
	int rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	*id = sp_store_last_id(db);
	return rc;
}

static int run_close(sp_store *db, int64_t id, const char *status, const char *error, long peak_kb, sp_err *err)
{
	sp_stmt *s;
	if (sp_store_prepare(db, "UPDATE run SET ended=?1, status=?2, error=?3, peak_kb=?4 WHERE id=?5", &s, err) != SP_OK)
		return SP_EDB;
	char now[32];
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	sp_bind_text(s, 1, now);
	sp_bind_text(s, 2, status);
	sp_bind_text(s, 3, error);
	sp_bind_int64(s, 4, peak_kb);
	sp_bind_int64(s, 5, id);
	int rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	return rc;
}

static int stage_row_open(sp_store *db, int64_t run_id, const char *stage, const char *source, int64_t *id, sp_err *err)
{
	sp_stmt *s;
	if (sp_store_prepare(db, "INSERT INTO stage_run(run_id, stage, source, started) VALUES (?1, ?2, ?3, ?4)", &s, err) != SP_OK)
		return SP_EDB;
	char now[32];
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	sp_bind_int64(s, 1, run_id);
	sp_bind_text(s, 2, stage);
	sp_bind_text(s, 3, source);
	sp_bind_text(s, 4, now);
	int rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	*id = sp_store_last_id(db);
	return rc;
}

static int stage_row_close(sp_store *db, int64_t id, const sp_stage_result *r, sp_err *err)
{
	sp_stmt *s;
	if (sp_store_prepare(db,
			     "UPDATE stage_run SET ended=?1, rows_in=?2, rows_out=?3, rows_rejected=?4, peak_kb=?5,"
			     " status=?6, message=?7, seconds=?9, budget=?10 WHERE id=?8",
			     &s, err) != SP_OK)
		return SP_EDB;
	char now[32];
	sp_time_iso((int64_t)time(NULL), now, sizeof(now));
	sp_bind_text(s, 1, now);
	sp_bind_int64(s, 2, r->counts.in);
	sp_bind_int64(s, 3, r->counts.out);
	sp_bind_int64(s, 4, r->counts.rejected);
	sp_bind_int64(s, 5, r->peak_kb);
	sp_bind_text(s, 6, r->rc == SP_EINTERRUPTED ? "killed" : r->rc < 0 ? "failed" : "ok");
	sp_bind_text(s, 7, r->rc < 0 ? r->message : r->counts.note);
	sp_bind_int64(s, 8, id);
	sp_bind_double(s, 9, (double)(int64_t)(r->seconds * 100 + 0.5) / 100);
	sp_bind_text(s, 10, r->budget);
	int rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	return rc;
}

/* ---- selection of stages and sources ------------------------------------------------------- */

/* Fill sel[i] = 1 for each stage to run. */
static int select_stages(const sp_config *cfg, const sp_run_opts *o, int *sel, sp_err *err)
{
	memset(sel, 0, sizeof(int) * (size_t)sp_nstages);
	if (o->stage) {
		int i = sp_stage_index(o->stage);
		if (i < 0)
			return sp_err_set(err, SP_EUSAGE, "unknown stage '%s'", o->stage);
		sel[i] = 1;
		return SP_OK;
	}
	if (o->from || o->to) {
		int a = o->from ? sp_stage_index(o->from) : 0;
		int b = o->to ? sp_stage_index(o->to) : sp_nstages - 1;
		if (a < 0 || b < 0)
			return sp_err_set(err, SP_EUSAGE, "unknown stage '%s'", a < 0 ? o->from : o->to);
		if (a > b)
			return sp_err_set(err, SP_EUSAGE, "--from %s comes after --to %s", o->from, o->to);
		if (!o->to && !o->job) /* --from alone: up to score; report runs only when asked or in a job */
			b = sp_stage_index("score");
		if (b < a)
			b = a;
		for (int i = a; i <= b; i++)
			sel[i] = 1;
		return SP_OK;
	}
	const char *jname = o->job ? o->job : "nightly";
	const sp_job *j = sp_config_job(cfg, jname);
	if (!j)
		return sp_err_set(err, SP_EUSAGE, "%s: no [job %s] in the configuration", cfg->path, jname);
	for (int k = 0; k < j->nstages; k++)
		sel[sp_stage_index(j->stages[k])] = 1;
	return SP_OK;
}

static int source_selected(const sp_run_opts *o, const char *name)
{
	if (!o->nsources)
		return 1;
	for (int i = 0; i < o->nsources; i++)
		if (!strcmp(o->sources[i], name))
			return 1;
	return 0;
}

/* ---- dry run: what each stage would read --------------------------------------------------- */

static int64_t count_q(sp_store *db, const char *sql, const char *p1)
{
	int64_t n = 0;
	sp_err e;
	if (sp_store_int(db, sql, &n, &e, p1) != SP_OK)
		return 0;
	return n;
}

/* Fill c->in with the rows available to the stage now, and c->note with what they are. */
static void dry_counts(sp_ctx *ctx, const sp_stage *st, const sp_source *src, sp_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (!ctx->db) {
		snprintf(c->note, sizeof(c->note), "(no database yet: nothing stored to read)");
		return;
	}
	if (!strcmp(st->name, "fetch")) {
		c->in = count_q(ctx->db, "SELECT count(*) FROM fetch WHERE source = ?1 AND status <> 'failed'", src->name);
		snprintf(c->note, sizeof(c->note), "would download %s (%lld good fetches so far)", src->url, (long long)c->in);
		c->in = 0;
	} else if (!strcmp(st->name, "parse")) {
		sp_stmt *s;
		sp_err e;
		snprintf(c->note, sizeof(c->note), "no snapshot in the raw store yet");
		if (sp_store_prepare(ctx->db,
				     "SELECT f.id, COALESCE(f.size,0), COALESCE(f.path,''), s.parsed_fetch IS f.id,"
				     " (SELECT rows_read FROM parse_stat p WHERE p.fetch_id = f.id)"
				     " FROM source_state s JOIN fetch f ON f.id = s.last_good_fetch WHERE s.source = ?1",
				     &s, &e) != SP_OK)
			return;
		sp_bind_text(s, 1, src->name);
		if (sp_step(s) == SP_ROW) {
			int parsed = sp_col_int(s, 3);
			c->in = sp_col_int64(s, 4);
			snprintf(c->note, sizeof(c->note), "snapshot fetch %lld %s, %lld bytes, %s", (long long)sp_col_int64(s, 0),
				 sp_col_text(s, 2), (long long)sp_col_int64(s, 1),
				 !parsed ? "not parsed yet" : ctx->force ? "parsed already, would reparse" : "parsed already, would skip");
		}
		sp_finalize(s);
	} else if (!strcmp(st->name, "normalise")) {
		c->in = count_q(ctx->db, "SELECT count(*) FROM record WHERE gone = 0 AND out_of_scope IS NULL", NULL);
		snprintf(c->note, sizeof(c->note), "live records");
	} else if (!strcmp(st->name, "dedupe")) {
		c->in = count_q(ctx->db, "SELECT count(*) FROM candidate", NULL);
		snprintf(c->note, sizeof(c->note), "candidates");
	} else if (!strcmp(st->name, "score")) {
		c->in = count_q(ctx->db, "SELECT count(*) FROM entity_live", NULL);
		snprintf(c->note, sizeof(c->note), "entities");
	} else if (!strcmp(st->name, "report")) {
		char y[16];
		snprintf(y, sizeof(y), "%d", ctx->year);
		c->in = count_q(ctx->db, "SELECT count(*) FROM entity_live WHERE (?1 = '0' OR cohort = CAST(?1 AS INTEGER))", y);
		snprintf(c->note, sizeof(c->note), ctx->year ? "entities of cohort %d" : "entities (no --year given)", ctx->year);
	}
}

/* ---- raw store probe ----------------------------------------------------------------------- */

/* Write, sync and remove a small file in dir: catches read-only, permissions and a full disk. */
static int probe_dir(const char *rel, sp_err *err)
{
	char cwd[4096], dir[4096 + 512];
	if (rel[0] != '/' && getcwd(cwd, sizeof(cwd))) /* name the path absolutely in messages */
		snprintf(dir, sizeof(dir), "%s/%s", cwd, rel[0] == '.' && rel[1] == '/' ? rel + 2 : rel);
	else
		snprintf(dir, sizeof(dir), "%s", rel);
	struct stat sb;
	if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
		return sp_err_set(err, SP_EIO, "raw store %s is not a directory", dir);
	if (sp_mkdir_p(dir, err) != SP_OK)
		return sp_err_prefix(err, "raw store unusable");
	sp_buf p = SP_BUF_INIT;
	sp_buf_addf(&p, "%s/.sparker-probe.%ld", dir, (long)getpid());
	int fd = open(p.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = SP_OK;
	if (fd < 0) {
		rc = sp_err_set(err, SP_EIO, "raw store %s is not writable: %s", dir, strerror(errno));
	} else {
		static const char block[65536];
		size_t done = 0;
		while (done < sizeof(block)) { /* a short write is retried: the retry reports ENOSPC */
			ssize_t n = write(fd, block + done, sizeof(block) - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			done += (size_t)n;
		}
		if (done < sizeof(block) || fsync(fd) != 0)
			rc = sp_err_set(err, SP_EIO, "raw store %s: cannot write: %s", dir, strerror(errno));
		if (close(fd) != 0 && rc == SP_OK)
			rc = sp_err_set(err, SP_EIO, "raw store %s: cannot write: %s", dir, strerror(errno));
		unlink(p.buf);
	}
	sp_buf_release(&p);
	return rc;
}

static int probe_raw_store(sp_ctx *ctx, const sp_run_opts *o, sp_err *err)
{
	if (probe_dir(ctx->cfg->raw_dir, err) != SP_OK)
		return SP_EIO;
	for (int k = 0; k < ctx->cfg->nsources; k++) {
		const sp_source *src = &ctx->cfg->sources[k];
		if (o->nsources) {
			int sel = 0;
			for (int i = 0; i < o->nsources; i++)
				sel |= !strcmp(o->sources[i], src->name);
			if (!sel)
				continue;
		}
		sp_buf d = SP_BUF_INIT;
		sp_buf_addf(&d, "%s/%s", ctx->cfg->raw_dir, src->name);
		struct stat sb;
		int rc = stat(d.buf, &sb) == 0 ? probe_dir(d.buf, err) : SP_OK;
		sp_buf_release(&d);
		if (rc != SP_OK)
			return rc;
	}
	return SP_OK;
}

/* ---- test hook ------------------------------------------------------------------------------ */

void sp_test_stall(const char *stage)
{
	const char *v = getenv("SPARKER_TEST_STALL");
	size_t n = strlen(stage);
	if (!v || strncmp(v, stage, n) || v[n] != ':')
		return;
	double secs = atof(v + n + 1);
	double t0 = sp_mono();
	while (!sp_stop_requested() && sp_mono() - t0 < secs) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* ---- stage budgets -------------------------------------------------------------------------- */

/* What one run carries from stage call to stage call. */
typedef struct runner {
	sp_ctx *ctx;
	const sp_run_opts *o;
	sp_stage_cb cb;
	void *user;
	sp_run_summary *sum;
	int budget_fail; /* [sparker] budget_action = fail: a stage over its budget fails */
	char first_error[SP_ERR_MAX];
} runner;

/* budget_action = warn (default) | fail (checked when the configuration loads: sp_run_keys). */
static int budget_action(const sp_config *cfg, int *fail, sp_err *err)
{
	(void)err;
	*fail = sp_config_choice(cfg, "sparker", sp_run_keys, "budget_action") == 1;
	return SP_OK;
}

/*
 * A stage call against [sparker] max_seconds.STAGE and max_rss_mb.STAGE (absent or 0: no budget;
 * a per-source stage's budget holds for each source's call): when it went over, what it exceeded
 * ("stage parse took 712 s, budget 600 s") in out, and 1.
 */
static long budget_of(const sp_config *cfg, const char *what, const char *stage)
{
	char key[64];
	snprintf(key, sizeof(key), "%s.%s", what, stage);
	return sp_config_find(cfg, "sparker", key) ? sp_config_int(cfg, "sparker", sp_run_keys, key) : 0;
}

static int budget_check(const sp_config *cfg, const sp_stage_result *r, char *out, size_t n)
{
	long max_s = budget_of(cfg, "max_seconds", r->stage);
	long max_mb = budget_of(cfg, "max_rss_mb", r->stage);
	int over_s = max_s > 0 && r->seconds > (double)max_s;
	int over_mb = max_mb > 0 && r->peak_kb > max_mb * 1024L;
	if (!over_s && !over_mb)
		return 0;
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "stage %s%s%s", r->stage, r->source ? " of source " : "", r->source ? r->source : "");
	if (over_s)
		sp_buf_addf(&b, " took %.*f s, budget %ld s", r->seconds < 100 ? 1 : 0, r->seconds, max_s);
	if (over_mb)
		sp_buf_addf(&b, "%s peak %ld MB, budget %ld MB", over_s ? ";" : "", (r->peak_kb + 1023) / 1024, max_mb);
	snprintf(out, n, "%s", b.buf);
	sp_buf_release(&b);
	return 1;
}

/* ---- stage calls ---------------------------------------------------------------------------- */

/* Run one stage call and record it. Returns the stage's rc; DB errors of the bookkeeping too. */
static int call_stage(runner *R, const sp_stage *st, const sp_source *src, const char *blocked)
{
	sp_ctx *ctx = R->ctx;
	sp_stage_result r;
	memset(&r, 0, sizeof(r));
	r.run_id = ctx->run_id;
	r.stage = st->name;
	r.source = src ? src->name : NULL;
	int64_t row = 0;
	if (!ctx->dry_run && !ctx->beside && stage_row_open(ctx->db, ctx->run_id, st->name, r.source, &row, ctx->err) != SP_OK)
		return SP_EDB;
	/* The process's peak so far is the run's; a stage with a memory budget is measured on its own
	 * (the kernel's peak is reset: what time(1) reports for the process is then the peak since). */
	long so_far = sp_peak_rss_kb();
	if (so_far > R->sum->peak_kb)
		R->sum->peak_kb = so_far;
	if (!ctx->dry_run && budget_of(ctx->cfg, "max_rss_mb", st->name) > 0)
		sp_peak_rss_reset();
	double t0 = sp_mono();
	sp_err_clear(ctx->err);
	if (ctx->dry_run) {
		dry_counts(ctx, st, src, &r.counts);
		r.rc = SP_OK;
	} else if (blocked && *blocked) {
		r.rc = sp_err_set(ctx->err, SP_EIO, "%s (nothing fetched)", blocked);
	} else {
		sp_test_stall(st->name);
		r.rc = sp_stop_requested() ? sp_stop_err(ctx->err) : st->run(ctx, src, &r.counts);
	}
	sp_store_rollback(ctx->db); /* a stage that failed mid-transaction leaves nothing half-done */
	r.seconds = sp_mono() - t0;
	r.peak_kb = sp_peak_rss_kb();
	if (r.peak_kb > R->sum->peak_kb)
		R->sum->peak_kb = r.peak_kb;
	char msg[SP_ERR_MAX], budget[256];
	snprintf(msg, sizeof(msg), "%s", ctx->err->msg);
	if (!ctx->dry_run && budget_check(ctx->cfg, &r, budget, sizeof(budget))) {
		r.budget = budget;
		R->sum->over_budget++;
		if (R->budget_fail && r.rc >= 0) { /* what the stage committed stands; the run treats it as failed */
			r.rc = SP_EIO;
			snprintf(msg, sizeof(msg), "%s (budget_action = fail)", budget);
		}
	}
	r.message = msg;
	if (R->cb)
		R->cb(R->user, &r);
	if (!ctx->dry_run && !ctx->beside) {
		sp_err e2;
		if (stage_row_close(ctx->db, row, &r, &e2) != SP_OK && r.rc >= 0) {
			*ctx->err = e2;
			return SP_EDB;
		}
	}
	if (r.rc < 0)
		sp_err_set(ctx->err, r.rc, "%s", msg);
	return r.rc;
}

/* A stop was requested: the run ends here, saying where. */
static int stopped(runner *R, const sp_stage *st, const sp_source *src)
{
	sp_err e;
	sp_stop_err(&e);
	snprintf(R->first_error, sizeof(R->first_error), "%s in stage %s%s%s; the next run does that work again", e.msg,
		 st->name, src ? " of source " : "", src ? src->name : "");
	return SP_EINTERRUPTED;
}

static int run_stages(runner *R, const int *sel)
{
	sp_ctx *ctx = R->ctx;
	sp_run_summary *sum = R->sum;
	char *first_error = R->first_error;
	size_t fe_len = sizeof(R->first_error);
	for (int i = 0; i < sp_nstages; i++) {
		if (!sel[i])
			continue;
		const sp_stage *st = &sp_stages[i];
		if (!st->per_source) {
			if (sp_stop_requested())
				return stopped(R, st, NULL);
			int rc = call_stage(R, st, NULL, NULL);
			if (sp_stop_requested())
				return stopped(R, st, NULL);
			if (rc < 0) {
				sum->stages_failed++;
				snprintf(first_error, fe_len, "%s: %s", st->name, ctx->err->msg);
				return rc;
			}
			sum->stages_ok++;
			continue;
		}
		char blocked[SP_ERR_MAX] = "";
		if (!ctx->dry_run && !strcmp(st->name, "fetch")) {
			sp_err pe;
			if (probe_raw_store(ctx, R->o, &pe) != SP_OK)
				snprintf(blocked, sizeof(blocked), "%s", pe.msg);
		}
		for (int k = 0; k < ctx->cfg->nsources; k++) {
			const sp_source *src = &ctx->cfg->sources[k];
			if (!source_selected(R->o, src->name))
				continue;
			if (sp_stop_requested())
				return stopped(R, st, src);
			int rc = call_stage(R, st, src, blocked);
			if (sp_stop_requested())
				return stopped(R, st, src);
			if (rc == SP_EDB && !ctx->dry_run) {
				sum->stages_failed++;
				snprintf(first_error, fe_len, "%s %s: %s", st->name, src->name, ctx->err->msg);
				return rc; /* the database itself is in trouble: stop */
			}
			if (rc < 0) {
				sum->stages_failed++;
				sum->partial = 1;
				if (!*first_error)
					snprintf(first_error, fe_len, "%s %s: %s", st->name, src->name, ctx->err->msg);
			} else {
				sum->stages_ok++;
			}
		}
	}
	return SP_OK;
}

int sp_run_execute(sp_config *cfg, const sp_run_opts *o, sp_stage_cb cb, void *user, sp_run_summary *sum, sp_err *err)
{
	memset(sum, 0, sizeof(*sum));
	int sel[16], budget_fail;
	if (select_stages(cfg, o, sel, err) != SP_OK || budget_action(cfg, &budget_fail, err) != SP_OK)
		return err->code;
	for (int i = 0; i < o->nsources; i++)
		if (!sp_config_source(cfg, o->sources[i]))
			return sp_err_set(err, SP_EUSAGE, "no source named '%s' in %s", o->sources[i], cfg->path);
	char as_of[11];
	if (o->as_of) {
		if (!sp_date_is_iso_valid(o->as_of))
			return sp_err_set(err, SP_EUSAGE, "--as-of '%s' is not a date (YYYY-MM-DD)", o->as_of);
		snprintf(as_of, sizeof(as_of), "%s", o->as_of);
	} else {
		char iso[32];
		sp_time_iso(sp_now(), iso, sizeof(iso));
		snprintf(as_of, sizeof(as_of), "%.10s", iso);
	}

	if (!o->dry_run && !sp_store_is_server(cfg->database)) { /* the SQLite file's directory, as init makes it */
		const char *slash = strrchr(cfg->database, '/');
		if (slash && slash != cfg->database) {
			char *dir = sp_xstrndup(cfg->database, (size_t)(slash - cfg->database));
			int mk = sp_mkdir_p(dir, err);
			free(dir);
			if (mk != SP_OK)
				return mk;
		}
	}
	sp_lock *lock = NULL;
	int book = !o->dry_run && !o->beside; /* the run's rows, the lock, the inbox */
	if (book && !o->lock_held && sp_lock_take(cfg, o->args ? o->args : "run", &lock, err) != SP_OK)
		return err->code;
	sp_store *db = NULL;
	int rc = o->dry_run ? sp_store_open_if_exists(cfg->database, &db, err) : sp_store_open(cfg->database, &db, err);
	if (rc != SP_OK) {
		sp_lock_release(lock);
		return rc;
	}
	if (book && (rc = mark_dead_runs(db, err)) != SP_OK)
		goto out;
	if (book && !sp_store_is_server(cfg->database)) { /* before any stage reads judgements */
		sp_inbox_drained d;
		if ((rc = sp_inbox_drain(cfg->database, db, &d, err)) != SP_OK)
			goto out;
		sum->inbox_applied = d.applied, sum->inbox_failed = d.failed;
	}
	sp_ctx ctx = { .cfg = cfg, .db = db, .year = o->year, .report_pdf = o->report_pdf, .report_csv = o->report_csv, .report_html = o->report_html, .verbose = o->verbose, .quiet = o->quiet,
		       .dry_run = o->dry_run, .force = (o->stage || o->from), .accept = o->accept, .beside = o->beside, .err = err };
	snprintf(ctx.as_of, sizeof(ctx.as_of), "%s", as_of);
	if (book && (rc = run_insert(db, cfg, o, as_of, &ctx.run_id, err)) != SP_OK)
		goto out;
	sum->run_id = ctx.run_id;
	if (o->on_start && book)
		o->on_start(user, ctx.run_id, as_of, o->args ? o->args : "run");

	/* the judgements this run reads: those recorded until now (pipeline/history.h); anything
	 * that feeds judgements into the log at a run's start goes before this line */
	if (book && (rc = sp_history_mark_judgements(db, ctx.run_id, err)) != SP_OK)
		goto out;
	runner R = { .ctx = &ctx, .o = o, .cb = cb, .user = user, .sum = sum, .budget_fail = budget_fail };
	rc = run_stages(&R, sel);

	if (book) {
		const char *status = rc < 0 ? (rc == SP_EINTERRUPTED ? "killed" : "failed") : sum->partial ? "partial" : "ok";
		sp_err e2;
		if (run_close(db, ctx.run_id, status, *R.first_error ? R.first_error : NULL, sum->peak_kb, &e2) != SP_OK &&
		    rc >= 0) {
			*err = e2;
			rc = SP_EDB;
		}
		/* PostgreSQL plans by its statistics: a run's bulk writes leave them stale until autovacuum
		 * passes, and the analysts' commands after the run would be planned as for empty tables */
		if (sp_store_is_server(cfg->database))
			(void)sp_store_exec(db, "ANALYZE", &e2);
	}
	sum->failed = rc < 0;
	if (rc >= 0 && sum->partial)
		rc = sp_err_set(err, SP_EIO, "%s", R.first_error);
	else if (rc < 0)
		sp_err_set(err, rc, "%s", R.first_error);
out:
	sp_store_close(db);
	sp_lock_release(lock);
	return rc;
}
