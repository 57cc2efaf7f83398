/*
 * cmd_entity.c — `sparker show`, `sparker link`, `sparker unlink`: look at an entity and store
 * analysts' judgements about which records belong together.
 *
 * show ENTITY_ID | SOURCE:KEY prints the golden record with the member (and source) that won
 * each field — by the same rule as the dedupe stage: highest source priority, then the most
 * recent record — then every member with the rule, score and peer that placed it. A merged
 * entity id is followed to the entity it was merged into.
 *
 * link A B / unlink A write one `override` row (under the run lock, so they never race a run).
 * A and B are SOURCE:KEY record references; link also accepts entity ids (stored as the
 * reference of the entity's earliest record). They apply at the next dedupe run.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "pipeline/entity.h"
#include "pipeline/golden.h"
#include "pipeline/run.h"

static int cmd_show(int argc, char **argv, sp_env *env);
static int cmd_link(int argc, char **argv, sp_env *env);
static int cmd_unlink(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_show_entry = {
	.name = "show",
	.fn = cmd_show,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "an entity's golden record and why each member is in it",
	.usage = "usage: sparker [-c CONFIG] show ENTITY_ID | SOURCE:KEY\n"
};

const sp_cmd sp_cmd_link_entry = {
	.name = "link",
	.fn = cmd_link,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "force two records (or entities) into one entity",
	.usage = "usage: sparker [-c CONFIG] link A B [--note TEXT]\n\n"
	         "A and B are SOURCE:KEY record references or entity ids. The judgement is stored and\n"
	         "respected by every later dedupe run.\n"
};

const sp_cmd sp_cmd_unlink_entry = {
	.name = "unlink",
	.fn = cmd_unlink,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "force a record out of its entity",
	.usage = "usage: sparker [-c CONFIG] unlink SOURCE:KEY [--note TEXT]\n"
};

static const char *txt(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return v ? v : "";
}

static int is_number(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Record id of SOURCE:KEY, or 0. */
static int64_t record_of(sp_store *db, const char *ref)
{
	const char *colon = strchr(ref, ':');
	if (!colon)
		return 0;
	char *src = sp_xstrndup(ref, (size_t)(colon - ref));
	sqlite3_stmt *s;
	sp_err err;
	int64_t id = 0;
	if (sp_store_prepare(db, "SELECT id FROM record WHERE source = ?1 AND source_key = ?2", &s, &err) == SP_OK) {
		sp_bind_text(s, 1, src);
		sp_bind_text(s, 2, colon + 1);
		if (sqlite3_step(s) == SQLITE_ROW)
			id = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	free(src);
	return id;
}

/* What `show` prints for one member: its record as normalised (display values only). */
typedef struct mrow {
	int64_t rid;
	char *source, *key, *name, *country, *city, *founded, *website, *rule, *peer;
	double score;
} mrow;

static int mrow_by_rid(const void *x, const void *y)
{
	const mrow *a = x, *b = y;
	return a->rid < b->rid ? -1 : (a->rid > b->rid);
}

/*
 * show, step 1: ENTITY_ID | SOURCE:KEY -> the live entity id in *eid, saying so when the id was
 * merged. *eid = 0 with SP_EXIT_OK when the record is in no entity yet (said too); SP_EXIT_FAIL
 * after printing the error.
 */
static int show_resolve(sp_store *db, const char *arg, int64_t *eid)
{
	sp_err err;
	int64_t asked = 0;
	*eid = 0;
	if (is_number(arg)) {
		asked = atoll(arg);
	} else {
		int64_t rid = record_of(db, arg);
		if (!rid) {
			sp_cmd_error("show: no record %s (expected ENTITY_ID or SOURCE:KEY)", arg);
			return SP_EXIT_FAIL;
		}
		sqlite3_stmt *s;
		if (sp_store_prepare(db, "SELECT entity_id FROM member WHERE record_id = ?1", &s, &err) == SP_OK) {
			sqlite3_bind_int64(s, 1, rid);
			if (sqlite3_step(s) == SQLITE_ROW)
				asked = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
		}
		if (!asked) {
			printf("Record %s is in no entity yet (run the dedupe stage).\n", arg);
			return SP_EXIT_OK;
		}
	}
	int64_t live = 0;
	if (sp_entity_live(db, asked, &live, &err) != SP_OK) {
		sp_cmd_error("show: %s", err.msg);
		return SP_EXIT_FAIL;
	}
	if (live != asked)
		printf("Entity %lld was merged into entity %lld.\n\n", (long long)asked, (long long)live);
	*eid = live;
	return SP_EXIT_OK;
}

/* show, step 2: the entity row as the dedupe stage wrote it. */
static int show_entity(sp_store *db, int64_t eid)
{
	sp_err err;
	sqlite3_stmt *s;
	if (sp_store_prepare(db,
			     "SELECT COALESCE(name,''), COALESCE(country,''), COALESCE(first_seen,''), COALESCE(cohort,''),"
			     " nsources, active, created_run FROM entity WHERE id = ?1",
			     &s, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EXIT_FAIL;
	}
	sqlite3_bind_int64(s, 1, eid);
	if (sqlite3_step(s) == SQLITE_ROW) {
		printf("Entity %lld: %s%s%s%s\n", (long long)eid, txt(s, 0), *txt(s, 1) ? " (" : "", txt(s, 1),
		       *txt(s, 1) ? ")" : "");
		printf("  first seen %s, cohort %s, %d source%s, %s, created by run %s\n", *txt(s, 2) ? txt(s, 2) : "-",
		       *txt(s, 3) ? txt(s, 3) : "-", sqlite3_column_int(s, 4), sqlite3_column_int(s, 4) == 1 ? "" : "s",
		       sqlite3_column_type(s, 5) == SQLITE_NULL ? "activity unknown"
							      : (sqlite3_column_int(s, 5) ? "active" : "inactive"),
		       *txt(s, 6) ? txt(s, 6) : "-");
	}
	sqlite3_finalize(s);
	return SP_EXIT_OK;
}

/* show, step 3: the golden record of the members, by the dedupe stage's own rule (golden.h). */
static void show_golden(const sp_golden_member *m, size_t n)
{
	sp_golden g;
	sp_golden_compute(m, n, &g);
	printf("\nGolden record (per field: highest source priority, then most recent record):\n");
	for (int f = 0; f < SP_GOLDEN_NFIELDS; f++) {
		const char *v = sp_golden_value(&g, m, f);
		if (v) {
			const sp_golden_member *w = &m[g.from[f]];
			printf("  %-8s %-40s from %s:%s (priority %d)\n", sp_golden_field_names[f], v, w->source,
			       w->source_key ? w->source_key : "", w->prio);
		} else {
			printf("  %-8s -\n", sp_golden_field_names[f]);
		}
	}
}

/* The member rows of an entity with their reasons, by record id. */
static mrow *members_read(sp_store *db, int64_t eid, size_t *n)
{
	sp_err err;
	sqlite3_stmt *s;
	mrow *m = NULL;
	size_t cap = 0;
	*n = 0;
	if (sp_store_prepare(db,
			     "SELECT r.id, r.source, r.source_key, COALESCE(c.name, r.name, ''), COALESCE(c.country,''),"
			     " COALESCE(r.city,''), COALESCE(c.founded,''), COALESCE(r.website, c.domain, ''), m.rule,"
			     " m.score, COALESCE(p.source || ':' || p.source_key, '')"
			     " FROM member m JOIN record r ON r.id = m.record_id LEFT JOIN candidate c ON c.record_id = r.id"
			     " LEFT JOIN record p ON p.id = m.peer_record_id WHERE m.entity_id = ?1 ORDER BY r.id",
			     &s, &err) != SP_OK)
		return NULL;
	sqlite3_bind_int64(s, 1, eid);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			m = sp_xrealloc(m, cap * sizeof(*m));
		}
		mrow *x = &m[(*n)++];
		x->rid = sqlite3_column_int64(s, 0);
		x->source = sp_xstrdup(txt(s, 1));
		x->key = sp_xstrdup(txt(s, 2));
		x->name = sp_xstrdup(txt(s, 3));
		x->country = sp_xstrdup(txt(s, 4));
		x->city = sp_xstrdup(txt(s, 5));
		x->founded = sp_xstrdup(txt(s, 6));
		x->website = sp_xstrdup(txt(s, 7));
		x->rule = sp_xstrdup(txt(s, 8));
		x->score = sqlite3_column_double(s, 9);
		x->peer = sp_xstrdup(txt(s, 10));
	}
	sqlite3_finalize(s);
	return m;
}

/* show, step 4: every member with the rule, score and peer that placed it, in golden order. */
static void show_members(sp_store *db, int64_t eid, const sp_golden_member *gm, size_t ngm)
{
	size_t n;
	mrow *m = members_read(db, eid, &n);
	printf("\nMembers (%zu):\n", n);
	for (size_t i = 0; i < ngm; i++) {
		mrow key = { .rid = gm[i].rid };
		const mrow *x = n ? bsearch(&key, m, n, sizeof(*m), mrow_by_rid) : NULL;
		if (!x)
			continue;
		printf("  %s:%s\n    \"%s\" %s %s %s %s\n    rule %s, score %.2f%s%s\n", x->source, x->key, x->name,
		       *x->country ? x->country : "-", *x->city ? x->city : "-", *x->founded ? x->founded : "-",
		       *x->website ? x->website : "-", x->rule, x->score, *x->peer ? ", matched with " : "", x->peer);
	}
	for (size_t i = 0; i < n; i++) {
		mrow *x = &m[i];
		free(x->source), free(x->key), free(x->name), free(x->country), free(x->city), free(x->founded);
		free(x->website), free(x->rule), free(x->peer);
	}
	free(m);
}

/* show, step 5: the ids that were merged into this entity. */
static void show_merged_ids(sp_store *db, int64_t eid)
{
	sp_err err;
	sqlite3_stmt *s;
	if (sp_store_prepare(db, "SELECT old_id, COALESCE(run_id,''), COALESCE(reason,'') FROM entity_merge WHERE into_id = ?1 ORDER BY old_id",
			     &s, &err) != SP_OK)
		return;
	sqlite3_bind_int64(s, 1, eid);
	int first = 1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		printf("%s  entity %s (run %s: %s)\n", first ? "\nMerged into this entity:\n" : "", txt(s, 0), txt(s, 1),
		       txt(s, 2));
		first = 0;
	}
	sqlite3_finalize(s);
}

static int cmd_show(int argc, char **argv, sp_env *env)
{
	if (argc != 2) {
		sp_cmd_usage(stderr, sp_cmd_find("show"));
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db(env);
	if (!db)
		return SP_EXIT_FAIL;
	int64_t eid = 0;
	int code = show_resolve(db, argv[1], &eid);
	if (code == SP_EXIT_OK && eid)
		code = show_entity(db, eid);
	if (code == SP_EXIT_OK && eid) {
		sp_err err;
		sp_golden_member *gm = NULL;
		size_t ngm = 0;
		if (sp_golden_load(db, env->cfg, eid, &gm, &ngm, &err) != SP_OK) {
			sp_cmd_error("show: %s", err.msg);
			code = SP_EXIT_FAIL;
		} else {
			show_golden(gm, ngm);
			show_members(db, eid, gm, ngm);
			show_merged_ids(db, eid);
		}
		sp_golden_members_free(gm, ngm);
	}
	sp_store_close(db);
	return code;
}

/* Turn an argument into a SOURCE:KEY reference (entity ids: the entity's earliest record). */
static char *resolve_ref(sp_store *db, const char *arg, int allow_entity)
{
	if (strchr(arg, ':')) {
		if (!record_of(db, arg)) {
			sp_cmd_error("no record %s (expected SOURCE:KEY of a stored record)", arg);
			return NULL;
		}
		return sp_xstrdup(arg);
	}
	if (allow_entity && is_number(arg)) {
		sqlite3_stmt *s;
		sp_err err;
		char *ref = NULL;
		int64_t id = atoll(arg);
		int64_t live;
		if (sp_entity_live(db, id, &live, &err) == SP_OK) /* a merged id stands for the entity it joined */
			id = live;
		if (sp_store_prepare(db,
				     "SELECT r.source || ':' || r.source_key FROM member m JOIN record r ON r.id = m.record_id"
				     " WHERE m.entity_id = ?1 ORDER BY r.id LIMIT 1",
				     &s, &err) == SP_OK) {
			sqlite3_bind_int64(s, 1, id);
			if (sqlite3_step(s) == SQLITE_ROW)
				ref = sp_xstrdup(txt(s, 0));
			sqlite3_finalize(s);
		}
		if (!ref)
			sp_cmd_error("no entity %s with members", arg);
		return ref;
	}
	sp_cmd_error("'%s' is not a record reference SOURCE:KEY%s", arg, allow_entity ? " or an entity id" : "");
	return NULL;
}

static int store_override(int argc, char **argv, sp_env *env, int link)
{
	static const struct option opts[] = { { "note", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	const char *note = NULL;
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (o == 'n')
			note = optarg;
		else {
			sp_cmd_usage(stderr, sp_cmd_find(argv[0]));
			return SP_EXIT_USAGE;
		}
	}
	int need = link ? 2 : 1;
	if (argc - optind != need) {
		sp_cmd_usage(stderr, sp_cmd_find(argv[0]));
		return SP_EXIT_USAGE;
	}
	sp_err err;
	sp_lock *lock;
	int open_code;
	sp_store *db = sp_cmd_open_db_locked(env, argv[0], &lock, &open_code);
	if (!db)
		return open_code;
	int rc = SP_EXIT_FAIL;
	char *a = resolve_ref(db, argv[optind], link);
	char *b = link && a ? resolve_ref(db, argv[optind + 1], 1) : NULL;
	if (!a || (link && !b))
		goto out;
	if (link && strcmp(a, b) == 0) {
		sp_cmd_error("link: %s and %s resolve to the same record %s", argv[optind], argv[optind + 1], a);
		goto out;
	}
	sqlite3_stmt *s;
	if (sp_store_prepare(db, "INSERT INTO override (kind, a, b, note, created) VALUES (?1, ?2, ?3, ?4, ?5)", &s,
			     &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		goto out;
	}
	char now[32];
	sp_time_iso(sp_now(), now, sizeof(now));
	sp_bind_text(s, 1, link ? "link" : "unlink");
	sp_bind_text(s, 2, a);
	sp_bind_text(s, 3, b);
	sp_bind_text(s, 4, note);
	sp_bind_text(s, 5, now);
	if (sp_store_step_done(db, s, &err) != SP_OK) {
		sqlite3_finalize(s);
		sp_cmd_error("%s", err.msg);
		goto out;
	}
	sqlite3_finalize(s);
	if (link)
		printf("Stored: link %s %s (override %lld). It applies at the next dedupe run"
		       " (sparker run --stage dedupe, or the nightly job).\n",
		       a, b, (long long)sp_store_last_id(db));
	else
		printf("Stored: unlink %s (override %lld). It applies at the next dedupe run"
		       " (sparker run --stage dedupe, or the nightly job).\n",
		       a, (long long)sp_store_last_id(db));
	rc = SP_EXIT_OK;
out:
	free(a), free(b);
	sp_store_close(db);
	sp_lock_release(lock);
	return rc;
}

static int cmd_link(int argc, char **argv, sp_env *env)
{
	return store_override(argc, argv, env, 1);
}

static int cmd_unlink(int argc, char **argv, sp_env *env)
{
	return store_override(argc, argv, env, 0);
}
