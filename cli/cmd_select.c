/*
 * cmd_select.c — `sparker explain`, `sparker pin` (diff-selection: cmd_diff.c).
 *
 * explain ENTITY      the score, every reason and piece of evidence, the selection status and why,
 *                     and the judgements (pins, decisions, notes) placed on it. ENTITY is an
 *                     entity id or a SOURCE:KEY record reference; a merged id is followed (said).
 * pin ENTITY in|out|clear [--note TEXT]
 *                     records the analyst's pin as a judgement anchored to the startup's records
 *                     (pipeline/judgement.h), under the run lock; a new pin replaces the one the
 *                     startup carries, clear removes it (both recorded). It takes effect at the
 *                     next scoring and survives every rerun, rescoring, link and unlink.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "pipeline/entity.h"
#include "pipeline/inbox.h"
#include "pipeline/judgement.h"
#include "pipeline/run.h"

static int cmd_explain(int argc, char **argv, sp_env *env);
static int cmd_pin(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_explain_entry = {
	.name = "explain",
	.fn = cmd_explain,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "an entity's relevance score and every reason",
	.usage = "usage: sparker [-c CONFIG] explain ENTITY\n\nENTITY is an entity id or SOURCE:KEY.\n"
};

const sp_cmd sp_cmd_pin_entry = {
	.name = "pin",
	.fn = cmd_pin,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "pin a startup in or out of the selection",
	.usage = "usage: sparker [-c CONFIG] pin ENTITY in|out|clear [--note TEXT]\n\nENTITY is an entity id or SOURCE:KEY.\n"
};

static const char *col(sp_stmt *s, int i)
{
	const char *v = sp_col_text(s, i);
	return v ? v : "";
}

/* Print the reasons text one clause per line. */
static void print_reasons(const char *r)
{
	const char *p = r;
	fputs("  ", stdout);
	while (*p) {
		if (p[0] == '.' && p[1] == ' ') {
			fputs("\n  ", stdout);
			p += 2;
			continue;
		}
		fputc(*p, stdout);
		p++;
	}
	fputc('\n', stdout);
}

static int cmd_explain(int argc, char **argv, sp_env *env)
{
	if (argc != 2) {
		sp_cmd_error("usage: sparker explain ENTITY (an entity id or SOURCE:KEY)");
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	int64_t id;
	int rc = sp_cmd_resolve_entity(db, argv[1], &id, 0);
	if (rc != SP_OK) {
		sp_store_close(db);
		return rc == SP_EUSAGE ? SP_EXIT_USAGE : SP_EXIT_FAIL;
	}
	sp_err err;
	sp_stmt *s = NULL;
	int code = SP_EXIT_OK;
	if (sp_store_prepare(db,
			     "SELECT e.name, e.country, e.cohort, e.first_seen, e.nsources, sc.score, sc.domains, sc.reasons,"
			     " sl.qualified, sl.rank, sl.why"
			     " FROM entity e LEFT JOIN score sc ON sc.entity_id = e.id LEFT JOIN selection sl ON sl.entity_id = e.id"
			     " WHERE e.id = ?",
			     &s, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		sp_store_close(db);
		return SP_EXIT_FAIL;
	}
	sp_bind_int64(s, 1, id);
	if (sp_step(s) == SP_ROW) {
		printf("entity %lld: %s", (long long)id, col(s, 0));
		if (*col(s, 1))
			printf(" (%s)", col(s, 1));
		printf("\n  cohort %s, first seen %s, %d source%s\n", *col(s, 2) ? col(s, 2) : "?", *col(s, 3) ? col(s, 3) : "?",
		       sp_col_int(s, 4), sp_col_int(s, 4) == 1 ? "" : "s");
		if (sp_col_null(s, 5)) {
			printf("score: not scored yet (run `sparker run --stage score`)\n");
		} else {
			printf("score: %.4g%s\n", sp_col_double(s, 5),
			       sp_col_double(s, 5) > 0 ? "" : " (no relevant evidence)");
			printf("domains: %s\n", *col(s, 6) ? col(s, 6) : "-");
			printf("reasons:\n");
			print_reasons(col(s, 7));
		}
		if (!sp_col_null(s, 8))
			printf("selection: %s — %s\n", sp_col_int(s, 8) ? "QUALIFIED" : "not qualified", col(s, 10));
		else
			printf("selection: not selected yet\n");
	}
	sp_finalize(s);
	s = NULL;
	if (sp_store_prepare(db, "SELECT domain, kind, weight, evidence FROM tag WHERE entity_id = ? ORDER BY domain, rowid", &s,
			     &err) == SP_OK) {
		sp_bind_int64(s, 1, id);
		int first = 1;
		while (sp_step(s) == SP_ROW) {
			if (first)
				printf("evidence:\n");
			first = 0;
			printf("  %-24s %-9s %+7.3g  %s\n", col(s, 0), col(s, 1), sp_col_double(s, 2), col(s, 3));
		}
		sp_finalize(s);
		s = NULL;
	}
	if (sp_cmd_mentions_on(db, id, "news: ") != SP_OK)
		code = SP_EXIT_FAIL;
	if (sp_cmd_judgements_on(db, id) != SP_OK)
		code = SP_EXIT_FAIL;
	sp_store_close(db);
	return code;
}

/* The pins an entity carries now, described ("#12 in, made on entity 6 by ana"), so that when
 * a wrong merge put two startups' pins on one entity, clearing or replacing says what goes. */
struct pins_seen {
	int64_t entity;
	int n, foreign; /* foreign: made on another entity */
	sp_buf desc;
};

static int pin_seen(const sp_judgement_row *r, void *user)
{
	struct pins_seen *p = user;
	if (r->kind != SP_J_PIN || r->carrier != p->entity)
		return 0;
	p->foreign += r->entity_then && r->entity_then != p->entity;
	sp_buf_addf(&p->desc, "%s#%lld %s, made on entity %lld by %s", p->n++ ? "; " : "", (long long)r->id,
		    r->value ? r->value : "?", (long long)r->entity_then, r->user ? r->user : "?");
	return 0;
}

static int cmd_pin(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = { { "note", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	const char *note = NULL;
	int o;
	optind = 0; /* full re-initialisation: main's getopt used REQUIRE_ORDER ('+') */
	while ((o = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (o == 'n')
			note = optarg;
		else {
			sp_cmd_error("usage: sparker pin ENTITY in|out|clear [--note TEXT]");
			return SP_EXIT_USAGE;
		}
	}
	if (argc - optind != 2 || (strcmp(argv[optind + 1], "in") && strcmp(argv[optind + 1], "out") &&
				   strcmp(argv[optind + 1], "clear"))) {
		sp_cmd_error("usage: sparker pin ENTITY in|out|clear [--note TEXT]");
		return SP_EXIT_USAGE;
	}
	const char *ent = argv[optind], *dir = argv[optind + 1];
	sp_err err;
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "pin", &an);
	if (code != SP_EXIT_OK)
		return code;
	sp_store *db = an.db;
	int64_t id;
	int rc = sp_cmd_resolve_entity(db, ent, &id, 0);
	if (rc != SP_OK) {
		code = rc == SP_EUSAGE ? SP_EXIT_USAGE : SP_EXIT_FAIL;
		goto out;
	}
	struct pins_seen seen = { .entity = id, .desc = SP_BUF_INIT };
	rc = sp_judgement_each(db, SP_J_LIST_ACTIVE, id, pin_seen, &seen, &err);
	if (rc == SP_OK && (seen.n > 1 || seen.foreign))
		fprintf(stderr, "sparker: pin: entity %lld carries pins made on other startups now in it (%s); %s\n",
			(long long)id, sp_buf_str(&seen.desc), !strcmp(dir, "clear") ? "clearing all of them" : "the new pin replaces them");
	sp_buf_release(&seen.desc);
	if (rc == SP_OK && !strcmp(dir, "clear")) {
		int n = 0;
		int64_t pending = 0;
		sp_judgement by = { .user = sp_cmd_user(env), .hub = sp_cmd_hub(env), .note = note, .origin = "pin clear" };
		rc = sp_inbox_clear_pins(db, an.inbox, id, &by, &n, &pending, &err);
		if (rc == SP_OK && !sp_cmd_analyst_pending(env, &an, pending) && !env->quiet) {
			if (n)
				printf("entity %lld: pin cleared; takes effect at the next scoring (`sparker run --stage score`)\n",
				       (long long)id);
			else
				printf("entity %lld has no pin; nothing to clear\n", (long long)id);
		}
	} else if (rc == SP_OK) {
		sp_judgement j = { .kind = SP_J_PIN, .value = dir, .entity = id, .note = note, .user = sp_cmd_user(env),
				   .hub = sp_cmd_hub(env), .origin = "cli" };
		sp_judgement_out o;
		rc = sp_inbox_record(db, an.inbox, &j, &o, &err);
		if (rc == SP_OK && !sp_cmd_analyst_pending(env, &an, o.pending) && !env->quiet)
			printf("entity %lld: pinned %s (judgement %lld%s); takes effect at the next scoring"
			       " (`sparker run --stage score`)\n",
			       (long long)id, dir, (long long)o.id, o.same ? ", already recorded" : o.superseded ? ", replaces its earlier pin" : "");
	}
	if (rc != SP_OK) {
		sp_cmd_error("pin: %s", err.msg);
		code = sp_cmd_exit_code(rc);
	}
out:
	sp_cmd_analyst_close(&an);
	return code;
}
