/*
 * test_core.c — config loading (with file:line errors), store migrations, sp_buf, the run lock.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "connectors/filter.h"
#include "core/config.h"
#include "core/progress.h"
#include "core/stop.h"
#include "pipeline/run.h"
#include "core/store.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sp-core-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *write_file(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void config_ok(void **state)
{
	(void)state;
	const char *p = write_file("ok.ini",
				   "[sparker]\ndatabase = db/x.db\n\n"
				   "[source feed1]\nformat = feed\nurl = http://127.0.0.1/f.xml\nmode = append\npriority = 3\n"
				   "link_is_website = On\nparse_thread = FALSE\n"
				   "[source ch]\nformat = companies_house\nurl = ch.zip\n"
				   "[job nightly]\nstages = fetch parse normalise\n"
				   "[taxonomy electrification]\nkeywords = battery:3\n");
	sp_config *cfg;
	sp_err err;
	assert_int_equal(sp_config_load(p, &sp_run_vocab, &cfg, &err), SP_OK);
	assert_int_equal(cfg->nsources, 2);
	assert_string_equal(cfg->sources[0].name, "feed1");
	assert_int_equal(cfg->sources[0].mode, SP_MODE_APPEND);
	assert_int_equal(cfg->sources[0].priority, 3);
	assert_int_equal(cfg->sources[1].mode, SP_MODE_SNAPSHOT);
	assert_int_equal(cfg->njobs, 1);
	assert_int_equal(cfg->jobs[0].nstages, 3);
	char want[512];
	snprintf(want, sizeof(want), "%s/db/x.db", tmpdir);
	assert_string_equal(cfg->database, want);
	int it = 0;
	assert_string_equal(sp_config_section_next(cfg, "taxonomy ", &it), "taxonomy electrification");
	assert_null(sp_config_section_next(cfg, "taxonomy ", &it));
	const sp_kv *kv = sp_config_find(cfg, "source feed1", "priority");
	assert_non_null(kv);
	assert_int_equal(kv->line, 8);
	/* yes/no keys: any case, yes/true/on/1 and no/false/off/0; absent -> the spec's default
	 * (tests/unit/test_config.c checks the rest of the specs) */
	assert_int_equal(sp_config_bool(cfg, "source feed1", sp_parse_keys, "parse_thread"), 0);
	assert_int_equal(sp_config_bool(cfg, "source feed1", sp_filter_keys, "filter.active"), 0);
	assert_int_equal(sp_config_bool(cfg, "source ch", sp_parse_keys, "parse_thread"), 1);
	sp_config_free(cfg);
}

static void expect_config_error(const char *text, const char *needle)
{
	const char *p = write_file("bad.ini", text);
	sp_config *cfg = NULL;
	sp_err err;
	assert_int_equal(sp_config_load(p, &sp_run_vocab, &cfg, &err), SP_ECONFIG);
	assert_null(cfg);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

/* [sparker] database: a server is kept as written, sqlite:PATH is the file, a password refused */
static void config_database(void **state)
{
	(void)state;
	const char *p = write_file("pg.ini", "[sparker]\ndatabase = postgresql://ana@db.example:5432/sparker\n");
	sp_config *cfg;
	sp_err err;
	assert_int_equal(sp_config_load(p, &sp_run_vocab, &cfg, &err), SP_OK);
	assert_string_equal(cfg->database, "postgresql://ana@db.example:5432/sparker");
	sp_config_free(cfg);
	p = write_file("sq.ini", "[sparker]\ndatabase = sqlite:db/x.db\n");
	assert_int_equal(sp_config_load(p, &sp_run_vocab, &cfg, &err), SP_OK);
	char want[512];
	snprintf(want, sizeof(want), "%s/db/x.db", tmpdir);
	assert_string_equal(cfg->database, want);
	sp_config_free(cfg);
	expect_config_error("[sparker]\n\ndatabase = postgresql://ana:s3cret@db/sparker\n", "bad.ini:3: [sparker] database: a password");
	expect_config_error("[sparker]\ndatabase = host=db password=s3cret\n", "bad.ini:2: [sparker] database: a password");
	p = write_file("bad.ini", "[sparker]\ndatabase = postgresql://ana:s3cret@db/sparker\n");
	assert_int_equal(sp_config_load(p, &sp_run_vocab, &cfg, &err), SP_ECONFIG);
	assert_null(strstr(err.msg, "s3cret"));
}

static void config_errors(void **state)
{
	(void)state;
	expect_config_error("[source a]\nformat = nope\nurl = x\n", "bad.ini:2: unknown format 'nope'");
	expect_config_error("[source a]\nformat = feed\n", "has no 'url'");
	expect_config_error("[source a]\nformat = feed\nurl = x\nmode = sometimes\n", "bad.ini:4: [source a] mode must be one of snapshot, append, delta, not 'sometimes'");
	expect_config_error("[job n]\nstages = fetch dance\n", "bad.ini:2: unknown stage 'dance'");
	expect_config_error("[sparker]\nthis line is wrong\n", "bad.ini:2: syntax error");
	expect_config_error("[source ../x]\nformat = feed\nurl = x\n", "may use only letters");
	sp_config *cfg;
	sp_err err;
	assert_int_equal(sp_config_load("/nonexistent/x.ini", &sp_run_vocab, &cfg, &err), SP_ECONFIG);
}

static void store_migrates(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/s.db", tmpdir);
	sp_store *st;
	sp_err err;
	assert_int_equal(sp_store_open(path, &st, &err), SP_OK);
	int64_t v = 0;
	assert_int_equal(sp_store_int(st, "PRAGMA user_version", &v, &err), SP_OK);
	assert_int_equal(v, sp_schema_version);
	assert_int_equal(sp_store_int(st, "SELECT count(*) FROM sqlite_master WHERE name = ?1", &v, &err, "entity"), SP_OK);
	assert_int_equal(v, 1);
	sp_store_close(st);
	/* reopening does not re-run migrations */
	assert_int_equal(sp_store_open(path, &st, &err), SP_OK);
	assert_int_equal(sp_store_int(st, "PRAGMA foreign_keys", &v, &err), SP_OK);
	assert_int_equal(v, 1);
	sp_store_close(st);
	sp_store_close(NULL);
}

static void buf_works(void **state)
{
	(void)state;
	sp_buf b = SP_BUF_INIT;
	assert_string_equal(sp_buf_str(&b), "");
	sp_buf_adds(&b, "abc");
	sp_buf_addf(&b, "-%d-", 42);
	sp_buf_addc(&b, 'z');
	assert_string_equal(b.buf, "abc-42-z");
	char *d = sp_buf_detach(&b);
	assert_string_equal(d, "abc-42-z");
	assert_null(b.buf);
	free(d);
	sp_buf_release(&b);
}

/* The stop request: set from a handler, read by the loops, named in the message. */
static void stop_request(void **state)
{
	sp_stop_reset();
	assert_int_equal(sp_stop_requested(), 0);
	sp_stop_request(SIGTERM);
	assert_int_equal(sp_stop_requested(), SIGTERM);
	sp_err err;
	assert_int_equal(sp_stop_err(&err), SP_EINTERRUPTED);
	assert_string_equal(err.msg, "interrupted by SIGTERM");
	sp_stop_request(SIGINT);
	sp_stop_err(&err);
	assert_string_equal(err.msg, "interrupted by SIGINT");
	sp_stop_reset();
	assert_int_equal(sp_stop_requested(), 0);
}

static char last_line[256];
static void sink(const char *line)
{
	snprintf(last_line, sizeof(last_line), "%s", line ? line : "(erased)");
}

/* A progress line with a total has a percentage and an ETA, never past 99 % before the end (a
 * total may be an estimate); the unit word is kept whole. */
static void progress_line(void **state)
{
	sp_progress_set_sink(sink);
	sp_progress_start("normalise", 1000, "candidates");
	sp_progress_update(250);
	assert_non_null(strstr(last_line, "normalise: 250 candidates (25%)"));
	assert_non_null(strstr(last_line, "ETA "));
	usleep(210 * 1000); /* past the rate limit */
	sp_progress_update(1500);
	assert_non_null(strstr(last_line, "(99%)"));
	assert_non_null(strstr(last_line, "ETA 0s"));
	sp_progress_end();
	assert_string_equal(last_line, "(erased)");
	sp_progress_set_sink(NULL);
}

static void lock_excludes(void **state)
{
	(void)state;
	const char *p = write_file("lock.ini", "[sparker]\ndatabase = l.db\n");
	sp_config *cfg;
	sp_err err;
	assert_int_equal(sp_config_load(p, &sp_run_vocab, &cfg, &err), SP_OK);
	sp_lock *a, *b;
	assert_int_equal(sp_lock_take(cfg, "first", &a, &err), SP_OK);
	pid_t pid = fork();
	if (pid == 0) /* another process cannot take it */
		_exit(sp_lock_take(cfg, "second", &b, &err) == SP_ELOCKED && strstr(err.msg, "first") ? 0 : 1);
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	sp_lock_release(a);
	assert_int_equal(sp_lock_take(cfg, "third", &b, &err), SP_OK);
	sp_lock_release(b);
	sp_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_ok),    cmocka_unit_test(config_database), cmocka_unit_test(config_errors), cmocka_unit_test(store_migrates),
		cmocka_unit_test(buf_works),    cmocka_unit_test(lock_excludes), cmocka_unit_test(stop_request),
		cmocka_unit_test(progress_line),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
