/*
 * cmd_review.c — `sparker review`: the review queues (pipeline/review.h) on a terminal screen
 * (cli/review_screen.c), or for scripts as CSV (--list) and one verdict at a time (--answer).
 *
 * review [--list]
 *     The pairs of records the last dedupe run nearly merged or refused, most consequential
 *     first, one per screen: s same (a link judgement), d different (apart), u unsure, n skip,
 *     z undo (a remove judgement), q quit. --list: the queue as CSV (PAIRS_HEADER).
 * review --answer A B same|different|unsure [--note TEXT]
 *     One verdict on two records (SOURCE:KEY), as the screen would record it.
 * review selection [--year Y] [--list]
 *     The startups just above and below the cut of a cohort (default: the latest), SEL_EACH per
 *     side, to pin: i in, o out, c clear, n next, z undo, q quit. --list: CSV (SEL_HEADER).
 * review audit [--year Y] [--list]
 *     The audit sample of a cohort (pipeline/audit.h; default: the latest drawn), unlabelled
 *     first, to label: y yes (relevant), n no, s or space skip, z undo, q quit. --list: CSV
 *     (AUDIT_HEADER), for scripts, which label with `sparker audit label|import`.
 *
 * Every judgement carries who (sp_cmd_user) and origin "review", through sp_judgement_record
 * (pipeline/judgement.h: its rules, not ours). The screen and --answer write under the run lock
 * (the screen takes it for each write, never for the session); --list only reads. The screen needs a terminal on standard
 * input and output; without one, and without --list or --answer, the command says so (exit 2).
 * Match judgements apply at the next dedupe run, pins at the next scoring; both say so.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/review_screen.h"
#include "pipeline/audit.h"
#include "pipeline/inbox.h"
#include "pipeline/judgement.h"
#include "pipeline/review.h"
#include "reports/csv_out.h"

static int cmd_review(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_review_entry = {
	.name = "review",
	.fn = cmd_review,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "review near-miss pairs, or the startups around the cut, on a terminal screen",
	.usage = "usage: sparker [-c CONFIG] review [--list]\n"
	         "       sparker [-c CONFIG] review --answer A B same|different|unsure [--note TEXT]\n"
	         "       sparker [-c CONFIG] review selection [--year Y] [--list]\n"
	         "       sparker [-c CONFIG] review audit [--year Y] [--list]\n\n"
	         "review: the pairs of records the last dedupe run nearly merged or refused, a startup in\n"
	         "the selection first, then by score; one pair per screen with the reason it was not\n"
	         "merged. Keys: s same (records a link), d different (apart), u unsure, n or space skip,\n"
	         "p back, z undo (records a remove), q quit, ? keys. Judgements apply at the next dedupe\n"
	         "run (sparker run --stage dedupe).\n"
	         "review selection: the 10 lowest qualified and the 10 highest not qualified startups of a\n"
	         "cohort (default: the latest) with their reasons. Keys: i pin in, o pin out, c clear the\n"
	         "pin, n next, p back, z undo, q quit, ? keys. Pins take effect at the next scoring\n"
	         "(sparker run --stage score).\n"
	         "review audit: the startups of a cohort's audit sample (sparker audit sample; default: the\n"
	         "latest drawn), unlabelled first, with their score and reasons. Keys: y relevant (label\n"
	         "yes), n not relevant (label no), s or space skip, p back, z undo, q quit, ? keys. Labels\n"
	         "count at once in `sparker audit estimate`.\n\n"
	         "  --list          the queue as CSV on stdout (a header row; no terminal needed)\n"
	         "  --answer A B V  record verdict V (same, different or unsure) on records A and B\n"
	         "                  (SOURCE:KEY), without a terminal\n"
	         "  --note TEXT     with --answer: a note kept with the judgement\n"
	         "  --year Y        review selection, review audit: cohort Y\n\n"
	         "The screen needs a terminal; it takes the run lock for each judgement it writes, so a\n"
	         "nightly run is never kept out by an open screen.\n"
};

#define PAIRS_HEADER "rank,a,b,entity_a,entity_b,name_a,name_b,rule,score,reason"
#define SEL_HEADER "rank,entity,name,country,score,qualified,pin,why,reasons"
#define AUDIT_HEADER "rank,sample,record,entity,name,stratum,side,score,label"
#define SEL_EACH 10

struct review_opts {
	int list, answer, selection, audit;
	const char *note;
	int64_t year;
	char **args; /* positional arguments after "selection" */
	int nargs;
};

static int usage_error(const char *why)
{
	sp_cmd_error("review: %s", why);
	sp_cmd_usage(stderr, &sp_cmd_review_entry);
	return SP_EXIT_USAGE;
}

static int parse_opts(int argc, char **argv, struct review_opts *o)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },        { "answer", no_argument, NULL, 'a' },
		{ "note", required_argument, NULL, 'n' }, { "year", required_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof(*o));
	int c;
	char *end;
	optind = 0; /* full re-initialisation: main's getopt used REQUIRE_ORDER ('+') */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o->list = 1; break;
		case 'a': o->answer = 1; break;
		case 'n': o->note = optarg; break;
		case 'y':
			o->year = strtoll(optarg, &end, 10);
			if (*end || o->year < 1900 || o->year > 9999)
				return usage_error("--year takes a year (e.g. 2025)");
			break;
		default: sp_cmd_usage(stderr, &sp_cmd_review_entry); return SP_EXIT_USAGE;
		}
	}
	o->args = argv + optind, o->nargs = argc - optind;
	if (o->nargs && !strcmp(o->args[0], "selection"))
		o->selection = 1, o->args++, o->nargs--;
	else if (o->nargs && !strcmp(o->args[0], "audit"))
		o->audit = 1, o->args++, o->nargs--;
	if (o->selection && (o->answer || o->note || o->nargs))
		return usage_error("review selection takes only --year and --list (pin with `sparker pin`)");
	if (o->audit && (o->answer || o->note || o->nargs))
		return usage_error("review audit takes only --year and --list (label with `sparker audit label`)");
	if (!o->selection && !o->audit && o->year)
		return usage_error("--year is for review selection and review audit");
	if (o->answer && (o->list || o->nargs != 3))
		return usage_error("--answer takes A B same|different|unsure, and no --list");
	if (!o->answer && (o->note || (!o->selection && !o->audit && o->nargs)))
		return usage_error(o->note ? "--note goes with --answer" : "unexpected argument");
	return SP_EXIT_OK;
}

/* ---------------------------------------------------------------- without a terminal */

static void csv_num(FILE *f, double v, int scored, int last)
{
	char b[32];
	snprintf(b, sizeof(b), "%.4g", v);
	sp_csv_field(f, scored ? b : NULL, last);
}

static void csv_id(FILE *f, int64_t v, int last)
{
	char b[24];
	snprintf(b, sizeof(b), "%lld", (long long)v);
	sp_csv_field(f, v ? b : NULL, last);
}

static int list_pairs(sp_env *env)
{
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_err err;
	sp_review_pair *v;
	size_t n;
	int rc = sp_review_pairs(db, &v, &n, &err);
	sp_store_close(db);
	if (rc != SP_OK) {
		sp_cmd_error("review: %s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	printf("%s\n", PAIRS_HEADER);
	for (size_t i = 0; i < n; i++) {
		const sp_review_pair *p = &v[i];
		csv_id(stdout, (int64_t)i + 1, 0);
		sp_csv_field(stdout, p->a.ref, 0);
		sp_csv_field(stdout, p->b.ref, 0);
		csv_id(stdout, p->a.entity, 0);
		csv_id(stdout, p->b.entity, 0);
		sp_csv_field(stdout, p->a.show[SP_RV_NAME], 0);
		sp_csv_field(stdout, p->b.show[SP_RV_NAME], 0);
		sp_csv_field(stdout, p->rule, 0);
		csv_num(stdout, p->score, 1, 0);
		sp_csv_field(stdout, p->reason, 1);
	}
	sp_review_pairs_free(v, n);
	return SP_EXIT_OK;
}

static int list_selection(sp_env *env, int64_t year)
{
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_err err;
	sp_review_cohort c;
	sp_review_startup *v;
	size_t n;
	int rc = sp_review_selection(db, year, SEL_EACH, &c, &v, &n, &err);
	sp_store_close(db);
	if (rc != SP_OK) {
		sp_cmd_error("review selection: %s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	printf("%s\n", SEL_HEADER);
	for (size_t i = 0; i < n; i++) {
		const sp_review_startup *x = &v[i];
		csv_id(stdout, x->rank, 0);
		csv_id(stdout, x->entity, 0);
		sp_csv_field(stdout, x->name, 0);
		sp_csv_field(stdout, x->country, 0);
		csv_num(stdout, x->score, x->scored, 0);
		sp_csv_field(stdout, x->qualified ? "1" : "0", 0);
		sp_csv_field(stdout, x->pin, 0);
		sp_csv_field(stdout, x->why, 0);
		sp_csv_field(stdout, x->reasons, 1);
	}
	sp_review_selection_free(v, n);
	return SP_EXIT_OK;
}

static int list_audit(sp_env *env, int64_t year)
{
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_err err;
	sp_audit_item *v;
	size_t n;
	int64_t y;
	int rc = sp_audit_items(db, year, &y, &v, &n, &err);
	sp_store_close(db);
	if (rc != SP_OK) {
		sp_cmd_error("review audit: %s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	printf("%s\n", AUDIT_HEADER);
	for (size_t i = 0; i < n; i++) {
		const sp_audit_item *x = &v[i];
		csv_id(stdout, (int64_t)i + 1, 0);
		csv_id(stdout, x->sample_id, 0);
		sp_csv_field(stdout, x->ref, 0);
		csv_id(stdout, x->entity, 0);
		sp_csv_field(stdout, x->name, 0);
		sp_csv_field(stdout, x->stratum, 0);
		sp_csv_field(stdout, x->qualified_side ? "qualified" : "reject", 0);
		csv_num(stdout, x->score, x->scored, 0);
		sp_csv_field(stdout, x->label, 1);
	}
	sp_audit_items_free(v, n);
	return SP_EXIT_OK;
}

static int answer(sp_env *env, char **args, const char *note)
{
	static const char *const verdicts[] = { "same", "different", "unsure" };
	static const sp_jkind kinds[] = { SP_J_LINK, SP_J_APART, SP_J_UNSURE };
	size_t k = 0;
	while (k < SP_ARRAY_LEN(verdicts) && strcmp(args[2], verdicts[k]))
		k++;
	if (k == SP_ARRAY_LEN(verdicts))
		return usage_error("the verdict is same, different or unsure");
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "review", &an);
	if (code != SP_EXIT_OK)
		return code;
	sp_judgement j = { .kind = kinds[k], .a = args[0], .b = args[1], .note = note, .user = sp_cmd_user(env),
			   .hub = sp_cmd_hub(env), .origin = "review" };
	sp_judgement_out res;
	sp_err err;
	int rc = sp_inbox_record(an.db, an.inbox, &j, &res, &err);
	int pending = rc == SP_OK && sp_cmd_analyst_pending(env, &an, res.pending);
	sp_cmd_analyst_close(&an);
	if (rc != SP_OK) {
		sp_cmd_error("review --answer: %s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	if (pending)
		return SP_EXIT_OK;
	if (!env->quiet && res.same)
		printf("Already recorded: %s %s %s (judgement %lld); nothing stored.\n", sp_judgement_kind_names[kinds[k]],
		       args[0], args[1], (long long)res.id);
	else if (!env->quiet)
		printf("Stored: %s %s %s (judgement %lld%s). It applies at the next dedupe run"
		       " (sparker run --stage dedupe).\n",
		       sp_judgement_kind_names[kinds[k]], args[0], args[1], (long long)res.id,
		       res.superseded ? "; the judgements it contradicts are removed" : "");
	return SP_EXIT_OK;
}

/* ---------------------------------------------------------------- on a terminal */

static void say_tally(const sp_review_tally *t, const char *applies)
{
	printf("review: %d judgement%s recorded, %d undone in this session.%s%s\n", t->recorded, t->recorded == 1 ? "" : "s",
	       t->undone, t->recorded > t->undone ? " " : "", t->recorded > t->undone ? applies : "");
}

static int screen(sp_env *env, const struct review_opts *o)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		sp_cmd_error("review: the review screen needs a terminal on standard input and output;"
			     " in scripts use --list%s", o->selection ? " (and `sparker pin`)"
			     : o->audit ? " (and `sparker audit label` or `sparker audit import`)" : " and --answer A B VERDICT");
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db(env); /* the screen locks each write, not the session */
	if (!db)
		return SP_EXIT_FAIL;
	sp_err err;
	sp_review_tally t = { 0 };
	int rc;
	if (o->audit) {
		sp_audit_item *v;
		size_t n;
		int64_t y = 0;
		rc = sp_audit_items(db, o->year, &y, &v, &n, &err);
		if (rc == SP_OK && !n)
			printf("review audit: the sample of cohort %lld is empty; nothing to label.\n", (long long)y);
		else if (rc == SP_OK)
			rc = sp_review_screen_audit(db, env->cfg, y, v, n, sp_cmd_user(env), sp_cmd_hub(env), &t, &err);
		if (rc == SP_OK && n && !env->quiet)
			say_tally(&t, "See `sparker audit estimate`.");
		sp_audit_items_free(v, n);
	} else if (o->selection) {
		sp_review_cohort c;
		sp_review_startup *v;
		size_t n;
		rc = sp_review_selection(db, o->year, SEL_EACH, &c, &v, &n, &err);
		if (rc == SP_OK && !n)
			printf("review selection: cohort %lld has no startup near the cut; nothing to review.\n",
			       (long long)c.cohort);
		else if (rc == SP_OK)
			rc = sp_review_screen_selection(db, env->cfg, &c, v, n, sp_cmd_user(env), sp_cmd_hub(env), &t, &err);
		if (rc == SP_OK && n && !env->quiet)
			say_tally(&t, "Pins take effect at the next scoring (sparker run --stage score).");
		sp_review_selection_free(v, n);
	} else {
		sp_review_pair *v;
		size_t n;
		rc = sp_review_pairs(db, &v, &n, &err);
		if (rc == SP_OK && !n)
			printf("review: no pairs to review (the last dedupe run left no near misses that are not judged).\n");
		else if (rc == SP_OK)
			rc = sp_review_screen_pairs(db, env->cfg, v, n, sp_cmd_user(env), sp_cmd_hub(env), &t, &err);
		if (rc == SP_OK && n && !env->quiet)
			say_tally(&t, "Judgements apply at the next dedupe run (sparker run --stage dedupe).");
		sp_review_pairs_free(v, n);
	}
	sp_store_close(db);
	if (rc != SP_OK) {
		sp_cmd_error("review: %s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	return SP_EXIT_OK;
}

static int cmd_review(int argc, char **argv, sp_env *env)
{
	struct review_opts o;
	int code = parse_opts(argc, argv, &o);
	if (code != SP_EXIT_OK)
		return code;
	if (o.answer)
		return answer(env, o.args, o.note);
	if (o.list)
		return o.audit ? list_audit(env, o.year) : o.selection ? list_selection(env, o.year) : list_pairs(env);
	return screen(env, &o);
}
