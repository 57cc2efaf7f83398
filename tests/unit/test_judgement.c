/*
 * test_judgement.c — the analysts' judgement log (pipeline/judgement.c) on a real SQLite file:
 * the recording rules (identical ones, superseding, removal), append-only triggers, where an
 * anchored judgement lands (majority, ties, split), import identity, record reference encoding,
 * and the migration of a version-1 database's override/pin/decision rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h> /* builds a version-1 database by hand */

#include "core/store.h"
#include "pipeline/judgement.h"

typedef struct fx {
	char dir[64], path[96];
	sp_store *db;
	sp_err err;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/sp-judgement-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/sp.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	sp_store_close(f->db);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void sql(fx *f, const char *s)
{
	if (sp_store_exec(f->db, s, &f->err) != SP_OK)
		fail_msg("%s", f->err.msg);
}

static int64_t num(fx *f, const char *s)
{
	int64_t v = -1;
	if (sp_store_int(f->db, s, &v, &f->err) != SP_OK)
		fail_msg("%s: %s", s, f->err.msg);
	return v;
}

/* Entities 1 (records a:1, a:2, a:3) and 2 (b:1); 3 is empty (merged away). */
static void open_fixture(fx *f)
{
	assert_int_equal(sp_store_open(f->path, &f->db, &f->err), SP_OK);
	sql(f, "INSERT INTO record (id, source, source_key, first_seen, last_seen, name) VALUES"
	       " (1, 'a', '1', 'x', 'x', 'Voltiq'), (2, 'a', '2', 'x', 'x', 'Voltiq SAS'), (3, 'a', '3', 'x', 'x', 'Voltiq'),"
	       " (4, 'b', '1', 'x', 'x', 'Ampeai');"
	       "INSERT INTO entity (id, name, nsources) VALUES (1, 'Voltiq', 1), (2, 'Ampeai', 1), (3, 'Gone', 0);"
	       "INSERT INTO member (record_id, entity_id, rule, home_id) VALUES (1, 1, 'single', 1), (2, 1, 'exact_name', 1),"
	       " (3, 1, 'exact_name', 1), (4, 2, 'single', 2);");
}

static sp_judgement_out rec(fx *f, sp_judgement j, int want)
{
	sp_judgement_out out;
	if (!j.user)
		j.user = "tester";
	int rc = sp_judgement_record(f->db, &j, &out, &f->err);
	if (rc != want)
		fail_msg("record %s: rc %d, wanted %d (%s)", sp_judgement_kind_names[j.kind], rc, want, f->err.msg);
	return out;
}

static void recording_rules(void **state)
{
	fx *f = *state;
	open_fixture(f);
	/* a decision: anchored to the entity's three records, with its name then */
	sp_judgement_out d = rec(f, (sp_judgement){ .kind = SP_J_DECISION, .value = "invested", .date = "2025-05-01", .entity = 1 }, SP_OK);
	assert_false(d.same);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_record WHERE judgement_id = 1"), 3);
	assert_int_equal(num(f, "SELECT entity_id FROM judgement_place WHERE carries"), 1);
	/* the same again: nothing written; with a new note: the old one removed, the new in force */
	assert_true(rec(f, (sp_judgement){ .kind = SP_J_DECISION, .value = "invested", .date = "2025-05-01", .entity = 1 }, SP_OK).same);
	sp_judgement_out d2 = rec(f, (sp_judgement){ .kind = SP_J_DECISION, .value = "invested", .date = "2025-05-01", .entity = 1,
						    .note = "series A" }, SP_OK);
	assert_int_equal(d2.superseded, 1);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'decision'"), 1);
	/* bad values and missing things are refused, nothing written */
	int64_t before = num(f, "SELECT count(*) FROM judgement");
	rec(f, (sp_judgement){ .kind = SP_J_DECISION, .value = "adopted", .date = "2025-05-01", .entity = 1 }, SP_EUSAGE);
	rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "sideways", .entity = 1 }, SP_EUSAGE);
	rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "in", .entity = 3 }, SP_ENOTFOUND); /* no records */
	rec(f, (sp_judgement){ .kind = SP_J_LINK, .a = "a:1", .b = "zz:9" }, SP_ENOTFOUND);
	rec(f, (sp_judgement){ .kind = SP_J_LINK, .a = "a:1", .b = "a:1" }, SP_EUSAGE);
	rec(f, (sp_judgement){ .kind = SP_J_REMOVE, .target = 999 }, SP_ENOTFOUND);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement"), before);
	/* pins: one per startup; a new one replaces, clear removes */
	rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "in", .entity = 2 }, SP_OK);
	assert_int_equal(rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "out", .entity = 2 }, SP_OK).superseded, 1);
	int n = -1;
	assert_int_equal(sp_judgement_clear_pins(f->db, 2, "tester", NULL, NULL, &n, &f->err), SP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(sp_judgement_clear_pins(f->db, 2, "tester", NULL, NULL, &n, &f->err), SP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'pin'"), 0);
	/* the hub is recorded as given, on the judgement and on the removals it makes (none: NULL) */
	rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "in", .entity = 2, .user = "ana", .hub = "UK" }, SP_OK);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'pin' AND user = 'ana' AND hub = 'UK'"), 1);
	assert_int_equal(sp_judgement_clear_pins(f->db, 2, "bo", "US", NULL, &n, &f->err), SP_OK);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement WHERE kind = 'remove' AND user = 'bo' AND hub = 'US'"), 1);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement WHERE hub IS NULL AND kind = 'pin'"), 2);
	/* labels (the audit's): yes or no, anchored; one per startup, a new one replaces */
	rec(f, (sp_judgement){ .kind = SP_J_LABEL, .value = "maybe", .entity = 2 }, SP_EUSAGE);
	rec(f, (sp_judgement){ .kind = SP_J_LABEL, .entity = 2 }, SP_EUSAGE);
	sp_judgement_out y = rec(f, (sp_judgement){ .kind = SP_J_LABEL, .value = "yes", .entity = 2 }, SP_OK);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_record r JOIN judgement j ON j.id = r.judgement_id"
			        " WHERE j.kind = 'label' AND r.source = 'b' AND r.source_key = '1'"), 1);
	assert_true(rec(f, (sp_judgement){ .kind = SP_J_LABEL, .value = "yes", .entity = 2 }, SP_OK).same);
	assert_int_equal(rec(f, (sp_judgement){ .kind = SP_J_LABEL, .value = "no", .entity = 2 }, SP_OK).superseded, 1);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'label'"), 1);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'label' AND value = 'no'"), 1);
	assert_true(num(f, "SELECT count(*) FROM judgement WHERE kind = 'label'") == 2 && y.id > 0);
	assert_true(sp_judgement_anchored(SP_J_LABEL) && !sp_judgement_anchored(SP_J_LINK));
	/* match judgements: the pair is ordered; link and apart supersede each other; alone removes links */
	sp_judgement_out l = rec(f, (sp_judgement){ .kind = SP_J_LINK, .a = "b:1", .b = "a:1" }, SP_OK);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'link' AND a = 'a:1' AND b = 'b:1'"), 1);
	assert_true(rec(f, (sp_judgement){ .kind = SP_J_LINK, .a = "a:1", .b = "b:1" }, SP_OK).same);
	assert_int_equal(rec(f, (sp_judgement){ .kind = SP_J_APART, .a = "a:1", .b = "b:1" }, SP_OK).superseded, 1);
	assert_int_equal(rec(f, (sp_judgement){ .kind = SP_J_LINK, .a = "a:1", .b = "b:1" }, SP_OK).superseded, 1);
	assert_int_equal(rec(f, (sp_judgement){ .kind = SP_J_ALONE, .a = "a:1" }, SP_OK).superseded, 1);
	assert_true(rec(f, (sp_judgement){ .kind = SP_J_ALONE, .a = "a:1" }, SP_OK).same); /* no new no-op row */
	/* removing: recorded; twice is once; a removal cannot be removed */
	sp_judgement_out r = rec(f, (sp_judgement){ .kind = SP_J_REMOVE, .target = d2.id }, SP_OK);
	assert_true(rec(f, (sp_judgement){ .kind = SP_J_REMOVE, .target = d2.id }, SP_OK).same);
	rec(f, (sp_judgement){ .kind = SP_J_REMOVE, .target = r.id }, SP_EUSAGE);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'decision'"), 0);
	(void)l;
	/* append-only */
	assert_int_not_equal(sp_store_exec(f->db, "UPDATE judgement SET note = 'x' WHERE id = 1", &f->err), SP_OK);
	assert_non_null(strstr(f->err.msg, "append-only"));
	assert_int_not_equal(sp_store_exec(f->db, "DELETE FROM judgement", &f->err), SP_OK);
	assert_int_not_equal(sp_store_exec(f->db, "DELETE FROM judgement_record", &f->err), SP_OK);
}

/* Where an anchored judgement lands when its records move: the majority, then the smallest id;
 * split is visible (parts > 1), and a record in no entity leaves it pending. */
static void placement(void **state)
{
	fx *f = *state;
	open_fixture(f);
	rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "in", .entity = 1 }, SP_OK);
	/* one of three records moves to entity 2: entity 1 still carries it (2 of 3), split */
	sql(f, "UPDATE member SET entity_id = 2 WHERE record_id = 3");
	assert_int_equal(num(f, "SELECT entity_id FROM judgement_place WHERE carries"), 1);
	assert_int_equal(num(f, "SELECT parts FROM judgement_place WHERE carries"), 2);
	/* two of three move: entity 2 carries it */
	sql(f, "UPDATE member SET entity_id = 2 WHERE record_id = 2");
	assert_int_equal(num(f, "SELECT entity_id FROM judgement_place WHERE carries"), 2);
	/* one each in 1 and 4 (the third gone from member): a tie goes to the smaller id */
	sql(f, "INSERT INTO entity (id, name) VALUES (4, 'Split');"
	       "UPDATE member SET entity_id = 4 WHERE record_id = 2; DELETE FROM member WHERE record_id = 3");
	assert_int_equal(num(f, "SELECT entity_id FROM judgement_place WHERE carries"), 1);
	/* all back together: one part */
	sql(f, "INSERT INTO member (record_id, entity_id, rule) VALUES (3, 1, 'single'); UPDATE member SET entity_id = 1");
	assert_int_equal(num(f, "SELECT entity_id FROM judgement_place WHERE carries"), 1);
	assert_int_equal(num(f, "SELECT parts FROM judgement_place WHERE carries"), 1);
}

/* An import row is written verbatim once: the same row again is recognised, not duplicated. */
static void import_identity(void **state)
{
	fx *f = *state;
	open_fixture(f);
	const char *recs[] = { "a:1", "a:2", "zz:not-yet" };
	sp_judgement j = { .kind = SP_J_DECISION, .value = "accompanied", .date = "2024-05-26", .records = recs,
			   .nrecords = 3, .user = "alice", .created = "2025-01-02T03:04:05Z", .origin = "import:x" };
	sp_judgement_out a = rec(f, j, SP_OK), b = rec(f, j, SP_OK);
	assert_false(a.same);
	assert_true(b.same);
	assert_int_equal(a.id, b.id);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_record"), 3);
	assert_int_equal(num(f, "SELECT entity_id FROM judgement_place WHERE carries"), 1);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement WHERE user = 'alice' AND created = '2025-01-02T03:04:05Z'"), 1);
}

static void ref_encoding(void **state)
{
	(void)state;
	const char *refs[] = { "radar:https://x.org/s/a b%c", "cb:plain", "feed:tab\there", "" };
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		char *e = sp_judgement_ref_encode(refs[i]);
		assert_null(strchr(e, ' '));
		char *d = sp_judgement_ref_decode(e, strlen(e));
		assert_string_equal(d, refs[i]);
		free(e), free(d);
	}
	char *d = sp_judgement_ref_decode("a%2", 3); /* a stray % stays as it is */
	assert_string_equal(d, "a%2");
	free(d);
}

/* A version-1 database: its overrides, pins and decisions become judgements, anchored to the
 * records of the entity they were made on (its live entity when it was merged). */
static void migrate_v1(void **state)
{
	fx *f = *state;
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, sp_schema_migrations[0], NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
				      "PRAGMA user_version = 1;"
				      "INSERT INTO record (id, source, source_key, first_seen, last_seen) VALUES (1, 'a', '1', 'x', 'x'),"
				      " (2, 'a', '2', 'x', 'x'), (3, 'b', '1', 'x', 'x');"
				      "INSERT INTO entity (id, name) VALUES (1, 'One'), (2, 'Two');"
				      "INSERT INTO entity (id, name, merged_into) VALUES (5, 'Old five', 1);"
				      "INSERT INTO member (record_id, entity_id, rule) VALUES (1, 1, 'single'), (2, 1, 'x'), (3, 2, 'single');"
				      "INSERT INTO override (kind, a, b, note, created) VALUES ('link', 'a:1', 'b:1', 'same', 't1'),"
				      " ('unlink', 'a:2', NULL, NULL, 't2');"
				      "INSERT INTO pin VALUES (5, 'in', 'before the merge', 't3');"
				      "INSERT INTO decision (entity_id, decision, date, note, created, origin) VALUES"
				      " (2, 'invested', '2025-01-01', NULL, 't4', 'cli');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(sp_store_open(f->path, &f->db, &f->err), SP_OK);
	assert_int_equal(num(f, "PRAGMA user_version"), sp_schema_version); /* every later migration ran too */
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'link' AND a = 'a:1' AND b = 'b:1'"), 1);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'alone' AND a = 'a:2'"), 1);
	/* the pin made on 5 (merged into 1) lands on 1; the decision on 2 */
	assert_int_equal(num(f, "SELECT p.entity_id FROM judgement_place p JOIN judgement j ON j.id = p.judgement_id"
				" WHERE j.kind = 'pin' AND p.carries"),
			 1);
	assert_int_equal(num(f, "SELECT p.entity_id FROM judgement_place p JOIN judgement j ON j.id = p.judgement_id"
				" WHERE j.kind = 'decision' AND p.carries"),
			 2);
	assert_int_equal(num(f, "SELECT count(*) FROM member WHERE home_id = entity_id"), 3);
	assert_int_equal(num(f, "SELECT count(*) FROM record_entity WHERE home_id = entity_id"), 3); /* schema 3 */
	assert_int_equal(num(f, "SELECT count(*) FROM sqlite_master WHERE name IN ('override', 'pin', 'decision')"), 0);
}

/*
 * A replay (the inbox, pipeline/inbox.h): a judgement made during a run on a startup's records,
 * recorded later by the same rules as if made then: the time kept, its carrier found by its
 * records (the entity ids changed in between), superseding what that carrier holds.
 */
static void replay(void **state)
{
	fx *f = *state;
	open_fixture(f);
	/* entity 2 (b:1) pinned in; then "dedupe" moves b:1 to a new entity 7 */
	rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "in", .entity = 2 }, SP_OK);
	sql(f, "INSERT INTO entity (id, name, nsources) VALUES (7, 'Ampeai', 1); UPDATE member SET entity_id = 7 WHERE record_id = 4;");
	/* checked as made: a pin on entity 3 (no records) is refused; a replay needs its records */
	sp_judgement bad = { .kind = SP_J_PIN, .value = "in", .entity = 3, .user = "ana" };
	assert_int_equal(sp_judgement_check(f->db, &bad, &f->err), SP_ENOTFOUND);
	rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "out", .replay = 1, .created = "2025-01-01T00:00:00Z" }, SP_EUSAGE);
	/* the replayed pin out made on entity 2 (records b:1) lands on 7 and replaces its pin in */
	const char *refs[] = { "b:1" };
	sp_judgement_out o = rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "out", .entity = 2, .records = refs, .nrecords = 1,
						    .replay = 1, .created = "2025-01-01T00:00:00Z", .name = "Ampeai then",
						    .origin = "cli inbox:t1" }, SP_OK);
	assert_false(o.same);
	assert_int_equal(o.superseded, 1);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement_active WHERE kind = 'pin'"), 1);
	assert_int_equal(num(f, "SELECT p.entity_id FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id"
			        " WHERE j.kind = 'pin' AND p.carries = 1"), 7);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement WHERE created = '2025-01-01T00:00:00Z' AND origin = 'cli inbox:t1'"), 2);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement WHERE kind = 'pin' AND entity_id = 2 AND name = 'Ampeai then'"
			        " AND value = 'out'"), 1);
	int seen = 0;
	assert_int_equal(sp_judgement_origin_seen(f->db, "cli inbox:t1", &seen, &f->err), SP_OK);
	assert_true(seen);
	assert_int_equal(sp_judgement_origin_seen(f->db, "cli inbox:t2", &seen, &f->err), SP_OK);
	assert_false(seen);
	/* the same replayed again: identical in force, nothing written */
	assert_true(rec(f, (sp_judgement){ .kind = SP_J_PIN, .value = "out", .entity = 2, .records = refs, .nrecords = 1,
					   .replay = 1, .created = "2025-01-01T00:00:01Z" }, SP_OK).same);
	/* a replayed clear on those records clears entity 7's pin, at the time it was made */
	int n = 0;
	sp_judgement by = { .user = "ana", .records = refs, .nrecords = 1, .replay = 1, .created = "2025-01-01T00:00:02Z",
			    .origin = "pin clear inbox:t3" };
	assert_int_equal(sp_judgement_clear_pins_by(f->db, 2, &by, &n, &f->err), SP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement WHERE kind = 'remove' AND created = '2025-01-01T00:00:02Z'"), 1);
	/* records no live entity holds: written as made, placed later */
	sql(f, "INSERT INTO record (id, source, source_key, first_seen, last_seen, name) VALUES (9, 'c', '9', 'x', 'x', 'Loose')");
	const char *loose[] = { "c:9" };
	rec(f, (sp_judgement){ .kind = SP_J_NOTE, .note = "later", .entity = 5, .records = loose, .nrecords = 1, .replay = 1,
			       .created = "2025-01-01T00:00:03Z" }, SP_OK);
	assert_int_equal(num(f, "SELECT count(*) FROM judgement j JOIN judgement_record r ON r.judgement_id = j.id"
			        " WHERE j.kind = 'note' AND r.source = 'c' AND r.source_key = '9'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(recording_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(replay, setup, teardown),
		cmocka_unit_test_setup_teardown(placement, setup, teardown),
		cmocka_unit_test_setup_teardown(import_identity, setup, teardown),
		cmocka_unit_test(ref_encoding),
		cmocka_unit_test_setup_teardown(migrate_v1, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
