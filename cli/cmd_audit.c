/*
 * cmd_audit.c — `sparker audit sample|label|import|estimate`: what the filter missed, estimated
 * from a labelled random sample (pipeline/audit.h: strata, allocation, the math).
 *
 * audit sample --year Y --n N [--qualified Q] [--min M] [--seed S] [--replace]
 *     Draws the sample of cohort Y (N startups in all, Q of them qualified) and prints the
 *     strata. A year with a draw needs --replace: the new draw replaces the old one for the
 *     estimate, and labels (judgements) stay with their startups.
 * audit label ENTITY yes|no [--note TEXT]
 *     One label (a judgement of kind label, anchored to the startup's records; a new label
 *     supersedes the startup's earlier one through the rules of judgement.h).
 * audit import FILE.csv
 *     Rows entity,label[,note] (an optional header row starting with "entity"): ENTITY is an id
 *     or SOURCE:KEY, label yes or no. Bad rows are "FILE:LINE: reason" (exit 1); the others are
 *     recorded in one transaction, so importing twice records once.
 * audit estimate [--year Y] [--format text|csv|json]
 *     Precision of the selection, relevant startups missed among the rejects and recall, each
 *     with its 95 % interval, and the strata they come from.
 *
 * Labels carry who (sp_cmd_user) and origin "audit" or "audit import:FILE"; label and import never
 * wait for a run (during a run on SQLite they queue into the inbox, pipeline/inbox.h; import: all
 * rows in one transaction of it, or none when a row is bad); sample takes the run lock. `sparker review audit` is the same labelling on a terminal screen (cmd_review.c).
 */
#include <csv.h>
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cmd.h"
#include "pipeline/audit.h"
#include "pipeline/entity.h"
#include "pipeline/inbox.h"
#include "pipeline/judgement.h"
#include "reports/csv_out.h"

static int cmd_audit(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_audit_entry = {
	.name = "audit",
	.fn = cmd_audit,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "estimate what the selection missed, from a labelled random sample",
	.usage = "usage: sparker [-c CONFIG] audit sample --year Y --n N [--qualified Q] [--min M] [--seed S] [--replace]\n"
	         "       sparker [-c CONFIG] audit label ENTITY yes|no [--note TEXT]\n"
	         "       sparker [-c CONFIG] audit import FILE.csv\n"
	         "       sparker [-c CONFIG] audit estimate [--year Y] [--format text|csv|json]\n\n"
	         "sample: a stratified random sample of cohort Y: Q qualified startups (default N/4) and\n"
	         "N - Q of the others, stratified by score band (zero, low, near the cut) and domain,\n"
	         "proportional with at least M per stratum (default 2). --seed makes the draw\n"
	         "reproducible (default: from the clock; printed). --replace: draw again for a year that\n"
	         "has a sample (the new one replaces it for the estimate; labels stay).\n"
	         "label: yes (relevant to the programme) or no, on an entity id or SOURCE:KEY; recorded\n"
	         "as a judgement (a new label replaces the startup's earlier one).\n"
	         "import: rows entity,label[,note] (optional header row); errors as FILE:LINE.\n"
	         "estimate: precision of the selection, relevant startups missed among the rejects and\n"
	         "recall, with 95 % intervals (stratified Wilson; see the manual).\n"
	         "Label on a terminal with `sparker review audit`.\n"
};

/* ---------------------------------------------------------------- options */

struct audit_opts {
	int64_t year, n, qualified;
	int min, replace, seed_set;
	uint64_t seed;
	const char *note, *format;
	char **args;
	int nargs;
};

static int usage_error(const char *why)
{
	sp_cmd_error("audit: %s", why);
	sp_cmd_usage(stderr, &sp_cmd_audit_entry);
	return SP_EXIT_USAGE;
}

static int number(const char *s, long long lo, long long hi, long long *v)
{
	char *end;
	*v = strtoll(s, &end, 10);
	return *s && !*end && *v >= lo && *v <= hi;
}

static int parse_opts(int argc, char **argv, struct audit_opts *o)
{
	static const struct option opts[] = {
		{ "year", required_argument, NULL, 'y' },   { "n", required_argument, NULL, 'n' },
		{ "qualified", required_argument, NULL, 'Q' }, { "min", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },   { "replace", no_argument, NULL, 'r' },
		{ "note", required_argument, NULL, 'N' },   { "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof(*o));
	o->qualified = -1;
	long long v;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'y':
			if (!number(optarg, 1900, 9999, &v))
				return usage_error("--year takes a year (e.g. 2025)");
			o->year = v;
			break;
		case 'n':
			if (!number(optarg, 1, 10000000, &v))
				return usage_error("--n takes a positive number of startups");
			o->n = v;
			break;
		case 'Q':
			if (!number(optarg, 0, 10000000, &v))
				return usage_error("--qualified takes a number of startups (0 or more)");
			o->qualified = v;
			break;
		case 'm':
			if (!number(optarg, 1, 1000, &v))
				return usage_error("--min takes a number from 1 to 1000");
			o->min = (int)v;
			break;
		case 's': {
			char *end;
			o->seed = strtoull(optarg, &end, 10);
			if (!*optarg || *end || *optarg == '-')
				return usage_error("--seed takes a non-negative integer");
			o->seed_set = 1;
			break;
		}
		case 'r': o->replace = 1; break;
		case 'N': o->note = optarg; break;
		case 'f': o->format = optarg; break;
		default: sp_cmd_usage(stderr, &sp_cmd_audit_entry); return SP_EXIT_USAGE;
		}
	}
	o->args = argv + optind, o->nargs = argc - optind;
	return SP_EXIT_OK;
}

/* ---------------------------------------------------------------- sample */

static int audit_sample(sp_env *env, const struct audit_opts *o)
{
	if (!o->year || !o->n || o->nargs != 1)
		return usage_error("audit sample takes --year Y and --n N");
	sp_lock *lock;
	int code;
	sp_store *db = sp_cmd_open_db_locked(env, "audit sample", &lock, &code);
	if (!db)
		return code;
	sp_audit_opts ao = { .year = o->year, .n = o->n, .qualified = o->qualified, .min = o->min, .seed = o->seed,
			     .seed_set = o->seed_set, .replace = o->replace, .user = sp_cmd_user(env) };
	sp_audit_drawn d;
	sp_err err;
	int rc = sp_audit_sample(db, &ao, &d, &err);
	sp_store_close(db);
	sp_lock_release(lock);
	if (rc != SP_OK) {
		sp_cmd_error("audit sample: %s", err.msg);
		return rc == SP_EUSAGE ? SP_EXIT_FAIL : sp_cmd_exit_code(rc);
	}
	if (!env->quiet) {
		printf("audit sample: cohort %lld, draw %lld (seed %llu%s): %lld of %lld qualified and %lld of %lld others"
		       " in %d strata.\n",
		       (long long)o->year, (long long)d.draw_id, (unsigned long long)d.seed,
		       d.replaced ? ", replacing the earlier draw" : "", (long long)d.n_qualified, (long long)d.qualified,
		       (long long)d.n_rejects, (long long)d.rejects, d.strata);
		printf("%lld of them already carry a label. Label the others with `sparker review audit`,"
		       " `sparker audit label` or `sparker audit import`; then `sparker audit estimate --year %lld`.\n",
		       (long long)d.labelled, (long long)o->year);
	}
	return SP_EXIT_OK;
}

/* ---------------------------------------------------------------- label, import */

/* yes|no (any case) -> "yes"/"no", else NULL. */
static const char *label_word(const char *s)
{
	return !strcasecmp(s, "yes") ? "yes" : !strcasecmp(s, "no") ? "no" : NULL;
}

/* Record one label (into the inbox when ib: pipeline/inbox.h). */
static int record_label(sp_store *db, sp_inbox *ib, int64_t entity, const char *label, const char *note,
			const char *user, const char *hub, const char *origin, sp_judgement_out *out, sp_err *err)
{
	sp_judgement j = { .kind = SP_J_LABEL, .value = label, .entity = entity, .note = note && *note ? note : NULL,
			   .user = user, .hub = hub, .origin = origin };
	return sp_inbox_record(db, ib, &j, out, err);
}

static int audit_label(sp_env *env, const struct audit_opts *o)
{
	if (o->nargs != 3)
		return usage_error("audit label takes ENTITY yes|no");
	const char *label = label_word(o->args[2]);
	if (!label)
		return usage_error("the label is yes or no");
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "audit label", &an);
	if (code != SP_EXIT_OK)
		return code;
	sp_store *db = an.db;
	int64_t id;
	int rc = sp_cmd_resolve_entity(db, o->args[1], &id, env->quiet);
	code = rc == SP_OK ? SP_EXIT_OK : rc == SP_EUSAGE ? SP_EXIT_USAGE : SP_EXIT_FAIL;
	if (rc == SP_OK) {
		sp_err err;
		sp_judgement_out out;
		sp_judgement j = { .kind = SP_J_LABEL, .value = label, .entity = id, .note = o->note && *o->note ? o->note : NULL,
				   .user = sp_cmd_user(env), .hub = sp_cmd_hub(env), .origin = "audit" };
		if (sp_inbox_record(db, an.inbox, &j, &out, &err) != SP_OK) {
			sp_cmd_error("audit label: %s", err.msg);
			code = sp_cmd_exit_code(err.code);
		} else if (!sp_cmd_analyst_pending(env, &an, out.pending) && !env->quiet) {
			printf("entity %lld: label %s %s (judgement %lld)%s\n", (long long)id, label,
			       out.same ? "already recorded" : "recorded", (long long)out.id,
			       out.superseded ? "; it replaces the earlier label" : "");
		}
	}
	sp_cmd_analyst_close(&an);
	return code;
}

struct imp {
	const char *file;
	sp_store *db;
	sp_inbox *inbox; /* during a run (SQLite): the labels are queued there */
	const char *user, *hub;
	char origin[300];
	sp_buf f[4];
	int nf;
	long line, row_line;
	int rows, bad, added, same, relabelled, queued, fatal;
	sp_err err;
};

static void on_field(void *s, size_t len, void *data)
{
	struct imp *im = data;
	if (im->nf == 0)
		im->row_line = im->line;
	if (im->nf < 4) {
		sp_buf_reset(&im->f[im->nf]);
		sp_buf_add(&im->f[im->nf], s ? (const char *)s : "", s ? len : 0);
	}
	im->nf++;
}

static void bad(struct imp *im, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s:%ld: ", im->file, im->row_line);
	fprintf(stderr, fmt, arg ? arg : "");
	fputc('\n', stderr);
	im->bad++;
}

static char *trimmed(sp_buf *b)
{
	char *s = b->buf ? b->buf : (char *)"";
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

static void import_row(struct imp *im, int nf)
{
	char *ent = trimmed(&im->f[0]);
	if (!strncmp(ent, "\xEF\xBB\xBF", 3))
		ent += 3;
	if (im->rows++ == 0 && (!strcasecmp(ent, "entity") || !strcasecmp(ent, "entity_id") || !strcasecmp(ent, "record")))
		return; /* the header */
	if (nf == 1 && !*ent)
		return; /* blank line */
	if (nf < 2 || nf > 3) {
		char n[16];
		snprintf(n, sizeof(n), "%d", nf);
		return bad(im, "%s columns, expected entity,label[,note]", n);
	}
	const char *label = label_word(trimmed(&im->f[1]));
	if (!label)
		return bad(im, "the label is yes or no, not '%s'", trimmed(&im->f[1]));
	int64_t asked = 0, live = 0;
	sp_err e;
	int rc = sp_entity_resolve(im->db, ent, &asked, &live, &e);
	sp_judgement_out out;
	if (rc == SP_OK)
		rc = record_label(im->db, im->inbox, live, label, nf > 2 ? trimmed(&im->f[2]) : NULL, im->user, im->hub,
				  im->origin, &out, &e);
	if (rc == SP_EDB || (rc != SP_OK && e.code == SP_EDB)) {
		im->err = e, im->fatal = 1;
	} else if (rc != SP_OK) {
		bad(im, "%s", e.msg);
	} else if (out.pending) {
		im->queued++;
	} else {
		out.same ? im->same++ : im->added++;
		im->relabelled += out.superseded > 0;
	}
}

static void on_row(int c, void *data)
{
	(void)c;
	struct imp *im = data;
	int nf = im->nf;
	im->nf = 0;
	if (!im->fatal)
		import_row(im, nf);
}

/* Read the file through libcsv into im (inside the caller's transaction). */
static void import_read(struct imp *im, FILE *f)
{
	const char *why = sp_cmd_csv_feed(f, CSV_APPEND_NULL, on_field, on_row, im, &im->line, &im->fatal);
	if (why) {
		im->row_line = im->line;
		bad(im, "%s", why);
		im->fatal = 1;
	}
}

/* The end of an import: committed (nothing on a database error or a file libcsv cannot read;
 * queued: nothing when a row was bad) or rolled back; said. */
static int import_end(sp_env *env, sp_cmd_analyst *an, struct imp *im)
{
	sp_err err;
	int ok = !im->fatal && !(an->inbox && im->bad);
	if (sp_cmd_import_end(an, ok, &err) != SP_OK)
		im->err = err, im->fatal = 1;
	if (*im->err.msg) {
		sp_cmd_error("%s: %s", im->file, im->err.msg);
		return SP_EXIT_FAIL;
	}
	if (an->inbox)
		sp_cmd_import_queued(an, im->file, ok ? im->queued : 0, im->bad);
	else if (!im->fatal && (!env->quiet || im->bad))
		fprintf(im->bad ? stderr : stdout, "%s: %d label%s recorded (%d replacing an earlier one), %d already recorded,"
			" %d bad line%s\n", im->file, im->added, im->added == 1 ? "" : "s", im->relabelled, im->same, im->bad,
			im->bad == 1 ? "" : "s");
	return im->bad || im->fatal ? SP_EXIT_FAIL : SP_EXIT_OK;
}

static int audit_import(sp_env *env, const struct audit_opts *o)
{
	if (o->nargs != 2)
		return usage_error("audit import takes FILE.csv");
	const char *file = o->args[1];
	FILE *f = fopen(file, "rb");
	if (!f) {
		sp_cmd_error("cannot read %s: %m", file);
		return SP_EXIT_FAIL;
	}
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "audit import", &an);
	struct imp im = { .file = file, .db = an.db, .inbox = an.inbox, .user = sp_cmd_user(env), .hub = sp_cmd_hub(env) };
	snprintf(im.origin, sizeof(im.origin), "audit import:%s", file);
	sp_err err;
	if (code == SP_EXIT_OK && sp_cmd_import_begin(&an, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		code = SP_EXIT_FAIL;
	}
	if (code == SP_EXIT_OK) {
		import_read(&im, f);
		code = import_end(env, &an, &im);
	}
	for (int i = 0; i < 4; i++)
		sp_buf_release(&im.f[i]);
	fclose(f);
	sp_cmd_analyst_close(&an);
	return code;
}

/* ---------------------------------------------------------------- estimate */

static const char *num(char *b, size_t n, double v, const char *fmt)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, fmt, v);
	return b;
}

static void estimate_text(const sp_audit_estimate *e)
{
	char a[32], b[32], c[32];
	printf("Audit of cohort %lld: draw %lld of %.10s by %s (seed %llu); 95 %% intervals.\n", (long long)e->year,
	       (long long)e->draw_id, e->created, e->user, (unsigned long long)e->seed);
	if (e->now_run != e->score_run)
		printf("Note: the selection was scored again since the draw (run %lld, drawn from run %lld): the estimate"
		       " describes the selection that was sampled; draw again (--replace) for the current one.\n",
		       (long long)e->now_run, (long long)e->score_run);
	printf("\n%-32s %9s %8s %9s %6s %10s\n", "stratum", "startups", "drawn", "labelled", "yes", "relevant");
	for (size_t i = 0; i < e->nstrata; i++) {
		const sp_audit_stratum_row *r = &e->strata[i];
		double est = r->s.labelled ? (double)r->s.size * (double)r->s.yes / (double)r->s.labelled : NAN;
		printf("%-32s %9lld %8lld %9lld %6lld %10s\n", r->name, (long long)r->s.size, (long long)r->drawn,
		       (long long)r->s.labelled, (long long)r->s.yes, num(a, sizeof(a), est, "%.1f"));
	}
	printf("\nPrecision of the selection  %s  (%s .. %s)   %lld of %lld qualified labelled\n",
	       num(a, sizeof(a), e->precision, "%.3f"), num(b, sizeof(b), e->precision_lo, "%.3f"),
	       num(c, sizeof(c), e->precision_hi, "%.3f"), (long long)e->found.labelled, (long long)e->found.size);
	printf("Relevant among the qualified %s  (%s .. %s)\n", num(a, sizeof(a), e->found.labelled ? e->found.est : NAN, "%.0f"),
	       num(b, sizeof(b), e->found.lo, "%.0f"), num(c, sizeof(c), e->found.hi, "%.0f"));
	printf("Missed: relevant among the %lld others  %s  (%s .. %s)   %lld labelled, %lld yes\n",
	       (long long)e->missed.size, num(a, sizeof(a), e->missed.labelled ? e->missed.est : NAN, "%.0f"), num(b, sizeof(b), e->missed.lo, "%.0f"),
	       num(c, sizeof(c), e->missed.hi, "%.0f"), (long long)e->missed.labelled, (long long)e->missed.yes);
	printf("Recall                       %s  (%s .. %s)\n", num(a, sizeof(a), e->recall, "%.3f"),
	       num(b, sizeof(b), e->recall_lo, "%.3f"), num(c, sizeof(c), e->recall_hi, "%.3f"));
	if (!e->found.complete || !e->missed.complete)
		printf("Incomplete: %lld startups are in strata with no label yet; they count in the upper ends only.\n",
		       (long long)(e->found.unknown + e->missed.unknown));
	printf("Method: stratified Wilson interval (effective sample size %s of the others); recall pairs the ends"
	       " (at least 90 %% joint).\n", num(a, sizeof(a), e->missed.n_eff, "%.1f"));
}

static void estimate_csv(const sp_audit_estimate *e)
{
	printf("measure,estimate,low,high,population,labelled,yes\n");
	struct {
		const char *name;
		double v, lo, hi;
		const sp_audit_count *c;
	} rows[] = {
		{ "precision", e->precision, e->precision_lo, e->precision_hi, &e->found },
		{ "relevant_qualified", e->found.est, e->found.lo, e->found.hi, &e->found },
		{ "missed", e->missed.est, e->missed.lo, e->missed.hi, &e->missed },
		{ "recall", e->recall, e->recall_lo, e->recall_hi, NULL },
	};
	char a[32], b[32], c[32];
	for (size_t i = 0; i < SP_ARRAY_LEN(rows); i++) {
		printf("%s,%s,%s,%s", rows[i].name, num(a, sizeof(a), rows[i].v, "%.6g"), num(b, sizeof(b), rows[i].lo, "%.6g"),
		       num(c, sizeof(c), rows[i].hi, "%.6g"));
		if (rows[i].c)
			printf(",%lld,%lld,%lld\n", (long long)rows[i].c->size, (long long)rows[i].c->labelled,
			       (long long)rows[i].c->yes);
		else
			printf(",,,\n");
	}
}

static const char *jnum(char *b, size_t n, double v)
{
	return num(b, n, v, "%.6g")[0] == '-' && isnan(v) ? "null" : b;
}

static void estimate_json(const sp_audit_estimate *e)
{
	char a[32], b[32], c[32];
	printf("{\"year\":%lld,\"draw\":%lld,\"seed\":%llu,\"created\":\"%s\",", (long long)e->year, (long long)e->draw_id,
	       (unsigned long long)e->seed, e->created);
	printf("\"precision\":{\"estimate\":%s,\"low\":%s,\"high\":%s},", jnum(a, sizeof(a), e->precision),
	       jnum(b, sizeof(b), e->precision_lo), jnum(c, sizeof(c), e->precision_hi));
	printf("\"missed\":{\"estimate\":%s,\"low\":%s,\"high\":%s,\"population\":%lld,\"labelled\":%lld,\"yes\":%lld},",
	       jnum(a, sizeof(a), e->missed.est), jnum(b, sizeof(b), e->missed.lo), jnum(c, sizeof(c), e->missed.hi),
	       (long long)e->missed.size, (long long)e->missed.labelled, (long long)e->missed.yes);
	printf("\"recall\":{\"estimate\":%s,\"low\":%s,\"high\":%s},\"strata\":[", jnum(a, sizeof(a), e->recall),
	       jnum(b, sizeof(b), e->recall_lo), jnum(c, sizeof(c), e->recall_hi));
	for (size_t i = 0; i < e->nstrata; i++) {
		const sp_audit_stratum_row *r = &e->strata[i];
		printf("%s{\"stratum\":\"%s\",\"side\":\"%s\",\"startups\":%lld,\"drawn\":%lld,\"labelled\":%lld,\"yes\":%lld}",
		       i ? "," : "", r->name, r->qualified_side ? "qualified" : "reject", (long long)r->s.size,
		       (long long)r->drawn, (long long)r->s.labelled, (long long)r->s.yes);
	}
	printf("]}\n");
}

static int audit_estimate(sp_env *env, const struct audit_opts *o)
{
	const char *fmt = o->format ? o->format : "text";
	if (o->nargs != 1 || (strcmp(fmt, "text") && strcmp(fmt, "csv") && strcmp(fmt, "json")))
		return usage_error("audit estimate takes [--year Y] [--format text|csv|json]");
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_audit_estimate e;
	sp_err err;
	int rc = sp_audit_estimate_load(db, o->year, &e, &err);
	sp_store_close(db);
	if (rc != SP_OK) {
		sp_cmd_error("audit estimate: %s", err.msg);
		return sp_cmd_exit_code(rc);
	}
	if (!strcmp(fmt, "csv"))
		estimate_csv(&e);
	else if (!strcmp(fmt, "json"))
		estimate_json(&e);
	else
		estimate_text(&e);
	sp_audit_estimate_release(&e);
	return SP_EXIT_OK;
}

static int cmd_audit(int argc, char **argv, sp_env *env)
{
	struct audit_opts o;
	int code = parse_opts(argc, argv, &o);
	if (code != SP_EXIT_OK)
		return code;
	const char *sub = o.nargs ? o.args[0] : "";
	int wrong = (strcmp(sub, "sample") && (o.n || o.qualified >= 0 || o.min || o.seed_set || o.replace)) ||
		    (strcmp(sub, "label") && o.note) || (strcmp(sub, "estimate") && o.format);
	if (wrong)
		return usage_error("an option that does not go with this subcommand");
	if (!strcmp(sub, "sample"))
		return audit_sample(env, &o);
	if (!strcmp(sub, "label"))
		return audit_label(env, &o);
	if (!strcmp(sub, "import"))
		return audit_import(env, &o);
	if (!strcmp(sub, "estimate"))
		return audit_estimate(env, &o);
	return usage_error(*sub ? "unknown subcommand (sample, label, import or estimate)" : "which subcommand?");
}
