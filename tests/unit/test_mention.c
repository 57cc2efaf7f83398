/*
 * test_mention.c — pipeline/mention.c: the common-word guard (dictionary, short names), the
 * capitalised whole-word occurrence, and attaching on a small database (entities and news items
 * inserted directly): guarded names need context, a mention follows its record into a merged
 * entity, the count per entity and year, a rerun is a run.
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

#include "pipeline/mention.h"

static void guard(void **state)
{
	(void)state;
	char path[] = "/tmp/sp-dict-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char words[] = "Paris\nTesla\ntesla\nthreads\nlinear\nrobinhood's\nzebra\nMcDonald\n";
	assert_int_equal(write(fd, words, sizeof(words) - 1), (ssize_t)(sizeof(words) - 1));
	close(fd);
	sp_mention_dict *d = sp_mention_dict_load(path);
	assert_true(sp_mention_word_guarded(d, "zebra"));    /* a dictionary word */
	assert_true(sp_mention_word_guarded(d, "tesla"));    /* its lower-case entry (the unit) */
	assert_true(sp_mention_word_guarded(d, "via"));      /* three letters */
	assert_true(sp_mention_word_guarded(d, "bird"));     /* built in */
	assert_false(sp_mention_word_guarded(d, "voltiq"));
	assert_false(sp_mention_word_guarded(d, "robinhood")); /* not a word */
	assert_true(sp_mention_word_guarded(d, "paris"));      /* a capitalised entry: a place */
	assert_false(sp_mention_word_guarded(d, "mcdonald"));  /* mixed case: not an entry */
	sp_mention_dict_free(d);
	unlink(path);
	sp_mention_dict *none = sp_mention_dict_load("/nonexistent/words"); /* missing: the built-in list */
	assert_true(sp_mention_word_guarded(none, "apple"));
	assert_false(sp_mention_word_guarded(none, "zebra"));
	sp_mention_dict_free(none);
	sp_mention_dict_free(NULL);
}

static void capitalised(void **state)
{
	(void)state;
	assert_true(sp_mention_capitalised("Bird raises $50M", "bird"));
	assert_false(sp_mention_capitalised("the early bird", "bird"));
	assert_false(sp_mention_capitalised("Birdie wins", "bird"));               /* whole words */
	assert_true(sp_mention_capitalised("Deal for ZÜRICH MOBILITY AG", "zurich mobility ag"));
	assert_true(sp_mention_capitalised("Robinhood’s next chapter", "robinhood")); /* ’s */
	assert_true(sp_mention_capitalised("Electrify America–backed farm", "electrify america"));
	assert_false(sp_mention_capitalised("a better place", "better place"));
	assert_true(sp_mention_capitalised("“Better Place” returns", "better place"));
	assert_true(sp_mention_capitalised("the 2Go app", "2go"));
}

static void exec(sp_store *db, const char *sql)
{
	sp_err err;
	if (sp_store_exec(db, sql, &err) != SP_OK)
		fail_msg("%s: %s", sql, err.msg);
}

static void attach(void **state)
{
	(void)state;
	char path[] = "/tmp/sp-mention-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	sp_store *db = NULL;
	sp_err err;
	assert_int_equal(sp_store_open(path, &db, &err), SP_OK);
	exec(db, "INSERT INTO record(id, source, source_key, first_seen, last_seen, name, categories) VALUES"
		 " (1, 'd', 'voltiq', '2025-01-01', '2025-01-01', 'Voltiq', 'Electric Vehicles'),"
		 " (2, 'd', 'lime', '2025-01-01', '2025-01-01', 'Lime', 'Micromobility'),"
		 " (3, 'd', 'apple', '2025-01-01', '2025-01-01', 'Apple', 'Beverages'),"
		 " (4, 'd', 'zm', '2025-01-01', '2025-01-01', 'Zurich Mobility', 'Vans');"
		 "INSERT INTO candidate(record_id, source, name, domain, first_seen) VALUES"
		 " (1, 'd', 'Voltiq', 'voltiq.fr', '2025-01-01'), (2, 'd', 'Lime', 'li.me', '2025-01-01'),"
		 " (3, 'd', 'Apple', 'apple-juice.fr', '2025-01-01'), (4, 'd', 'Zurich Mobility', NULL, '2025-01-01');"
		 "INSERT INTO entity(id, name) VALUES (1, 'Voltiq'), (2, 'Lime'), (3, 'Apple'), (4, 'Zurich Mobility');"
		 "INSERT INTO member(record_id, entity_id, rule) VALUES (1, 1, 'new'), (2, 2, 'new'), (3, 3, 'new'), (4, 4, 'new');"
		 "INSERT INTO news_item(id, source, item_key, first_seen, last_seen, title, snippet, published) VALUES"
		 " (1, 'n', 'a', '2026-01-31', '2026-01-31', 'Voltiq and Zurich Mobility sign', NULL, '2026-01-10'),"
		 " (2, 'n', 'b', '2026-01-31', '2026-01-31', 'Lime adds bikes', 'Micromobility grows', '2026-01-11'),"
		 " (3, 'n', 'c', '2026-01-31', '2026-01-31', 'Apple unveils a phone', 'Lime and apple juice', NULL),"
		 " (4, 'n', 'd', '2025-12-01', '2025-12-01', 'Voltiq in 2025', NULL, '2025-12-01');");
	int64_t items = 0, n = 0;
	assert_int_equal(sp_mention_attach(db, NULL, 1, &items, &n, &err), SP_OK);
	assert_int_equal(items, 4);
	assert_int_equal(n, 4); /* a: Voltiq, Zurich Mobility; b: Lime (category); d: Voltiq. c: none */
	long k = -1;
	assert_int_equal(sp_mention_count(db, 1, 2026, &k, &err), SP_OK);
	assert_int_equal(k, 1);
	assert_int_equal(sp_mention_count(db, 1, 0, &k, &err), SP_OK);
	assert_int_equal(k, 2);
	assert_int_equal(sp_mention_count(db, 3, 0, &k, &err), SP_OK);
	assert_int_equal(k, 0);
	/* Zurich Mobility merged into Voltiq: item a once, the year's count 1, two in all */
	exec(db, "UPDATE member SET entity_id = 1 WHERE record_id = 4; UPDATE entity SET merged_into = 1 WHERE id = 4;");
	assert_int_equal(sp_mention_attach(db, NULL, 2, &items, &n, &err), SP_OK);
	assert_int_equal(sp_mention_count(db, 1, 2026, &k, &err), SP_OK);
	assert_int_equal(k, 1);
	assert_int_equal(sp_mention_count(db, 4, 2026, &k, &err), SP_OK);
	assert_int_equal(k, 0); /* merged: counted on the live entity */
	int64_t rows = 0;
	assert_int_equal(sp_store_int(db, "SELECT count(*) FROM mention", &rows, &err), SP_OK);
	assert_int_equal(rows, 3); /* replaced, not added: item a names one startup now, once */
	sp_store_close(db);
	unlink(path);
	char wal[64];
	snprintf(wal, sizeof(wal), "%s-wal", path), unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path), unlink(wal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guard),
		cmocka_unit_test(capitalised),
		cmocka_unit_test(attach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
