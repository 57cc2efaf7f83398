/*
 * cmd_score.c — `sparker score --preview`: what a changed taxonomy would do to the selection,
 * before anything is written.
 *
 * Runs the score stage (pipeline/score.c) on the current entities with the configuration as it
 * is now (the taxonomy file or sections an analyst just edited), inside one transaction that the
 * stage rolls back (sp_ctx.preview): tags, scores and the selection stay as the last run left
 * them. Prints each startup that would enter and leave the selection (name, cohort, score,
 * domains), then, when analysts labelled an audit sample (pipeline/audit.h), precision and recall
 * of the selection now and of the previewed one on those labels, then the totals. The date the stage scores as of is --as-of, else the last run's.
 * Holds the run lock while it scores (a preview waits for no one: exit 75 when a run holds it).
 * To score for real, `sparker run --stage score`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/date.h"
#include "pipeline/audit.h"
#include "pipeline/select.h"
#include "pipeline/stage.h"

static int cmd_score(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_score_entry = {
	.name = "score",
	.fn = cmd_score,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "preview what the taxonomy in the config would change in the selection (writes nothing)",
	.usage = "usage: sparker [-c CONFIG] score --preview [--as-of YYYY-MM-DD] [--limit N]\n\n"
	         "Scores every live entity with the taxonomy and [score] keys of CONFIG as they are\n"
	         "now, selects, and prints the startups that would enter and leave the selection,\n"
	         "with precision and recall on the audited labels when an audit was labelled,\n"
	         "then rolls everything back: nothing is written. To score for real: sparker run\n"
	         "--stage score.\n"
	         "  --preview         required: say that nothing is to be written\n"
	         "  --as-of DATE      the date to score as of (default: the last run's)\n"
	         "  --limit N         list at most N startups each way (default 50; 0 = all)\n"
};

struct preview {
	long limit;
	long shown[2], total[2]; /* [0] left, [1] entered */
};

static int print_change(void *user, const sp_sel_change *c)
{
	struct preview *p = user;
	int k = c->entered;
	if (p->total[k]++ == 0)
		printf("%s:\n", k ? "would enter" : "would leave");
	if (p->limit && p->shown[k] >= p->limit)
		return SP_OK;
	p->shown[k]++;
	printf("  %c %-8lld %-40.40s cohort %d  score %-6.4g %s\n", k ? '+' : '-', (long long)c->entity_id,
	       c->name ? c->name : "?", c->cohort, c->score, c->domains ? c->domains : "");
	return SP_OK;
}

/* Precision and recall of the selection before (prev) or after on the audited labels, if any. */
static int print_labels(sp_store *db, int prev, sp_err *err)
{
	int64_t tp = 0, fp = 0, fn = 0;
	int rc = sp_audit_label_counts(db, prev, &tp, &fp, &fn, err);
	if (rc != SP_OK || tp + fp + fn == 0)
		return rc;
	printf("%s on the audited labels: precision %.3f, recall %.3f (%lld yes qualified, %lld no qualified, "
	       "%lld yes left out; unweighted)\n",
	       prev ? "now    " : "preview", tp + fp ? (double)tp / (double)(tp + fp) : 0.0,
	       tp + fn ? (double)tp / (double)(tp + fn) : 0.0, (long long)tp, (long long)fp, (long long)fn);
	return SP_OK;
}

static int on_preview(void *user, sp_store *db, sp_err *err)
{
	struct preview *p = user;
	int rc = sp_select_changes(db, print_change, p, err);
	if (rc != SP_OK)
		return rc;
	for (int k = 1; k >= 0; k--)
		if (p->total[k] > p->shown[k])
			printf("  (%ld more %s not listed: --limit 0 lists all)\n", p->total[k] - p->shown[k],
			       k ? "entering" : "leaving");
	for (int prev = 1; prev >= 0 && rc == SP_OK; prev--)
		rc = print_labels(db, prev, err);
	int64_t q = 0;
	if (rc == SP_OK)
		rc = sp_store_int(db, "SELECT count(*) FROM selection WHERE qualified = 1", &q, err);
	printf("preview: +%ld entered, -%ld left, %lld qualified; nothing written\n", p->total[1], p->total[0],
	       (long long)q);
	return rc;
}

/* --as-of, else the last run's date, else today (UTC). */
static int preview_date(sp_store *db, const char *given, char out[11], sp_err *err)
{
	if (given) {
		if (!sp_date_is_iso_valid(given))
			return sp_err_set(err, SP_EUSAGE, "score: --as-of '%s' is not a date YYYY-MM-DD", given);
		snprintf(out, 11, "%s", given);
		return SP_OK;
	}
	char iso[32];
	sp_time_iso(sp_now(), iso, sizeof(iso));
	snprintf(out, 11, "%.10s", iso);
	sp_stmt *q = NULL;
	int rc = sp_store_prepare(db, "SELECT as_of FROM run ORDER BY id DESC LIMIT 1", &q, err);
	if (rc == SP_OK && sp_step(q) == SP_ROW && sp_col_text(q, 0))
		snprintf(out, 11, "%s", sp_col_text(q, 0));
	sp_finalize(q);
	return rc;
}

static int limit_arg(const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0)
		return 0;
	*out = v;
	return 1;
}

static int cmd_score(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = { { "preview", no_argument, NULL, 'p' },
					       { "as-of", required_argument, NULL, 'a' },
					       { "limit", required_argument, NULL, 'l' },
					       { 0 } };
	int preview = 0, c;
	const char *as_of = NULL;
	struct preview p = { .limit = 50 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			preview = 1;
		else if (c == 'a')
			as_of = optarg;
		else if (c == 'l' && limit_arg(optarg, &p.limit))
			continue;
		else {
			sp_cmd_usage(stderr, &sp_cmd_score_entry);
			return SP_EXIT_USAGE;
		}
	}
	if (!preview || optind < argc) {
		sp_cmd_error("score: only --preview is done here (to score for real: sparker run --stage score)");
		return SP_EXIT_USAGE;
	}
	sp_lock *lock = NULL;
	sp_err err;
	if (sp_lock_take(env->cfg, "preview the score", &lock, &err) != SP_OK) { /* the score tables: a run's lock */
		sp_cmd_error("%s", err.msg);
		return sp_cmd_exit_code(err.code);
	}
	sp_store *db = sp_cmd_open_db(env);
	if (!db) {
		sp_lock_release(lock);
		return SP_EXIT_FAIL;
	}
	sp_ctx ctx = { .cfg = env->cfg, .db = db, .quiet = 1, .err = &err, .preview = on_preview, .preview_user = &p };
	int rc = preview_date(db, as_of, ctx.as_of, &err);
	if (rc == SP_OK)
		rc = sp_stage_score(&ctx, NULL, &(sp_counts){ 0 });
	sp_store_close(db);
	sp_lock_release(lock);
	if (rc != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	return SP_EXIT_OK;
}
