/*
 * backfill.c — `sparker run --backfill FROM..TO`: replay the stages for a range of logical
 * dates from the raw store, without fetching, one run per date, resumable. See backfill.h.
 *
 * What it does: for each date D from FROM to TO (inclusive, YYYY-MM-DD), one run with
 * job = 'backfill', as_of = D and the stages parse..score (or the --stage / --from / --to given,
 * which must stay inside parse..score: backfill never fetches and never writes the report),
 * restricted to --source when given. Parse reprocesses the stored snapshot (force), so each
 * date's run sees the raw store exactly as it is.
 *
 * Resumable: each run row stores a canonical key in run.args ("backfill FROM..TO stages A..B
 * [sources x,y]") and the config hash in run.config_hash. A date that already has a run with
 * status 'ok', the same key and the same config hash is skipped; so a backfill killed on day 40
 * of 365 resumes on day 40 when the same command is run again, and a changed config (or range,
 * or stage list) replays everything. A date whose run fails stops the backfill (exit code of
 * that run): the next invocation retries it.
 *
 * Lock: taken once for the whole backfill, so a nightly run cannot slip in between two dates;
 * a second run meanwhile exits 75 naming the holder.
 *
 * It never prints: the caller's hooks see each date, each stage call and each run's end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/backfill.h"

#include "core/date.h"

#define MAX_DAYS 3700 /* ten years and a bit: a typo like 2205 for 2025 is refused */

/* Id of an ok run of this key/config for date, or 0. */
static int64_t done_run(sp_store *db, const char *key, const char *hash, const char *date)
{
	int64_t id = 0;
	sp_err e;
	if (!db)
		return 0;
	if (sp_store_int(db,
			 "SELECT COALESCE(max(id),0) FROM run WHERE job = 'backfill' AND status = 'ok' AND args = ?1"
			 " AND config_hash IS ?2 AND as_of = ?3",
			 &id, &e, key, hash, date) != SP_OK)
		return 0;
	return id;
}

/* What a backfill replays: the dates (also as day numbers a..b) and the stages. */
typedef struct span {
	char from_d[SP_DATE_ISO_SIZE], to_d[SP_DATE_ISO_SIZE];
	int64_t a, b;
	const char *s_from, *s_to;
} span;

/* The range FROM..TO and the stage range of base, checked, into *sp. */
static int check_args(const sp_config *cfg, const sp_run_opts *base, const char *range, span *sp, sp_err *err)
{
	const char *dots = strstr(range, "..");
	if (!dots || dots - range != 10 || strlen(dots + 2) != 10)
		return sp_err_set(err, SP_EUSAGE,
				  "run --backfill: '%s' is not a range FROM..TO of dates (YYYY-MM-DD..YYYY-MM-DD)", range);
	memcpy(sp->from_d, range, 10);
	sp->from_d[10] = '\0';
	snprintf(sp->to_d, sizeof(sp->to_d), "%s", dots + 2);
	if (!sp_date_is_iso_valid(sp->from_d) || !sp_date_is_iso_valid(sp->to_d))
		return sp_err_set(err, SP_EUSAGE,
				  "run --backfill: '%s' is not a range of real dates (YYYY-MM-DD..YYYY-MM-DD)", range);
	sp->a = sp_date_days(sp->from_d);
	sp->b = sp_date_days(sp->to_d);
	if (sp->a > sp->b)
		return sp_err_set(err, SP_EUSAGE, "run --backfill: %s comes after %s", sp->from_d, sp->to_d);
	if (sp->b - sp->a + 1 > MAX_DAYS)
		return sp_err_set(err, SP_EUSAGE, "run --backfill: %lld days is more than %d; split the range",
				  (long long)(sp->b - sp->a + 1), MAX_DAYS);
	if (base->job || base->as_of)
		return sp_err_set(err, SP_EUSAGE, "run --backfill: --%s does not go with --backfill (the range gives the dates)",
				  base->job ? "job" : "as-of");
	/* The stage range: parse..score unless narrowed. */
	sp->s_from = base->stage ? base->stage : base->from ? base->from : "parse";
	sp->s_to = base->stage ? base->stage : base->to ? base->to : "score";
	int pf = sp_stage_index(sp->s_from), pt = sp_stage_index(sp->s_to);
	if (pf < 0 || pt < 0)
		return sp_err_set(err, SP_EUSAGE, "run --backfill: unknown stage '%s'", pf < 0 ? sp->s_from : sp->s_to);
	if (pf < sp_stage_index("parse") || pt > sp_stage_index("score") || pf > pt)
		return sp_err_set(err, SP_EUSAGE,
				  "run --backfill: stages must lie within parse..score (backfill never fetches nor reports), got %s..%s",
				  sp->s_from, sp->s_to);
	for (int i = 0; i < base->nsources; i++)
		if (!sp_config_source(cfg, base->sources[i]))
			return sp_err_set(err, SP_EUSAGE, "run --backfill: no source named '%s' in %s", base->sources[i], cfg->path);
	return SP_OK;
}

int sp_backfill(sp_config *cfg, const sp_run_opts *base, const char *range, const sp_backfill_hooks *h,
		sp_backfill_result *res, sp_err *err)
{
	span sp;
	memset(res, 0, sizeof(*res));
	int rc = check_args(cfg, base, range, &sp, err);
	if (rc != SP_OK)
		return rc;
	res->total = (int)(sp.b - sp.a + 1);

	sp_buf key = SP_BUF_INIT;
	sp_buf_addf(&key, "backfill %s..%s stages %s..%s", sp.from_d, sp.to_d, sp.s_from, sp.s_to);
	for (int i = 0; i < base->nsources; i++)
		sp_buf_addf(&key, "%s%s", i ? "," : " sources ", base->sources[i]);

	sp_lock *lock = NULL;
	sp_store *db = NULL;
	if (!base->dry_run && (rc = sp_lock_take(cfg, key.buf, &lock, err)) != SP_OK)
		goto out;
	if ((rc = base->dry_run ? sp_store_open_if_exists(cfg->database, &db, err) : sp_store_open(cfg->database, &db, err)) != SP_OK)
		goto out;
	for (int64_t d = sp.a; d <= sp.b; d++) {
		char date[SP_DATE_ISO_SIZE];
		sp_date_from_days(d, date);
		int64_t prev = done_run(db, key.buf, cfg->sha256, date);
		if (h->on_date)
			h->on_date(h->user, date, prev);
		if (prev) {
			res->skipped++;
			continue;
		}
		sp_run_opts o = *base;
		o.job = "backfill";
		o.stage = NULL;
		o.from = sp.s_from;
		o.to = sp.s_to;
		o.as_of = date;
		o.args = key.buf;
		o.lock_held = 1;
		sp_err run_err;
		sp_err_clear(&run_err);
		double t0 = sp_mono();
		rc = sp_run_execute(cfg, &o, h->on_stage, h->user, &res->last, &run_err);
		res->ran++;
		if (h->on_run_end)
			h->on_run_end(h->user, &o, rc, &res->last, &run_err, sp_mono() - t0);
		if (rc != SP_OK) {
			res->run_failed = 1;
			sp_err_set(err, rc, "backfill stopped at %s (%d of %d dates done); run the same command again to resume",
				   date, res->skipped + res->ran - 1, res->total);
			break;
		}
	}
out:
	sp_store_close(db);
	sp_lock_release(lock);
	sp_buf_release(&key);
	return rc;
}
