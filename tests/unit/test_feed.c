/*
 * test_feed.c — the feed connector (RSS 2.0, RSS 1.0/RDF, Atom) on fixtures: fields, HTML to
 * text, link_is_website, broken feeds (blank line before <?xml, HTML entities, bare &, Latin-1
 * bytes, NUL, truncation, tag mismatch), not-a-feed files, XXE and billion laughs, a gzip feed,
 * and bounded memory on a large white-space feed.
 * `test_feed --dump [-v] FILE...` runs the connector over files (used by
 * tests/integration/test_feeds_real.sh).
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

#include "connector_dump.h"
#include "pipeline/run.h"

#define FX "tests/fixtures/xml/"

static char tmpdir[256];

static void run_all_cfg(const sp_config *cfg, const sp_source *src, const char *path, all_t *a)
{
	sp_collect(&sp_connector_feed, cfg, src, path, a);
}

static void run_all(const char *path, all_t *a) { run_all_cfg(NULL, NULL, path, a); }

static void rss2(void **state)
{
	(void)state;
	all_t a;
	run_all(FX "rss2.xml", &a); /* starts with a blank line before <?xml */
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	assert_int_equal(a.rej, 1);
	assert_string_equal(F(&a, 0, SP_F_KEY), "voltiq-1");
	assert_string_equal(F(&a, 0, SP_F_NAME), "Voltiq & Co raises seed"); /* not media:title */
	assert_string_equal(F(&a, 0, SP_F_WEBSITE), "");                     /* link_is_website defaults to no */
	assert_string_equal(F(&a, 0, SP_F_CATEGORIES), "Climate");
	assert_string_equal(F(&a, 0, SP_F_COUNTRY), "FR");
	assert_string_equal(F(&a, 0, SP_F_CITY), "Lyon");
	assert_string_equal(F(&a, 0, SP_F_DESCRIPTION), "Voltiq builds chargers for fleets.");
	assert_string_equal(F(&a, 0, SP_F_PUBLISHED), "Wed, 16 Aug 2023 05:41:28 +0000");
	assert_int_equal(a.r[0].line, 1);
	/* no guid: the link is the key; CDATA title with markup; content:encoded; dc:date */
	assert_string_equal(F(&a, 1, SP_F_KEY), "https://zm.example.ch/");
	assert_string_equal(F(&a, 1, SP_F_NAME), "Zürich Mobility AG");
	assert_string_equal(F(&a, 1, SP_F_DESCRIPTION), "Electric scooters élégants — Zürich.");
	assert_string_equal(F(&a, 1, SP_F_PUBLISHED), "2023-08-15T10:00:00Z");
	assert_string_equal(REASON(&a, 2), "missing name");
	assert_int_equal(a.r[2].line, 3);
	free_all(&a);
}

static void rdf(void **state)
{
	(void)state;
	all_t a;
	run_all(FX "rdf.xml", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	assert_string_equal(F(&a, 0, SP_F_KEY), "https://calra.example.de/");
	assert_string_equal(F(&a, 0, SP_F_NAME), "Cälra AG");
	assert_string_equal(F(&a, 0, SP_F_CATEGORIES), "Human Resources");
	assert_string_equal(F(&a, 0, SP_F_CITY), "Berlin");
	assert_string_equal(F(&a, 0, SP_F_PUBLISHED), "2025-12-25T20:40:00Z");
	assert_string_equal(F(&a, 1, SP_F_KEY), "https://vexis.example.de/"); /* rdf:about */
	free_all(&a);
}

static void atom_with_config(void **state)
{
	(void)state;
	char ini[512];
	snprintf(ini, sizeof(ini), "%s/feed.ini", tmpdir);
	FILE *f = fopen(ini, "w");
	assert_non_null(f);
	fprintf(f, "[sparker]\ndatabase = x.db\nraw_dir = raw\nreport_dir = rep\n\n"
	           "[source eu]\nformat = feed\nurl = x.xml\nmode = append\nlink_is_website = yes\n\n"
	           "[job nightly]\nstages = parse\n");
	fclose(f);
	sp_config *cfg = NULL;
	sp_err err;
	assert_int_equal(sp_config_load(ini, &sp_run_vocab, &cfg, &err), SP_OK);
	all_t a;
	run_all_cfg(cfg, sp_config_source(cfg, "eu"), FX "atom.xml", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	assert_string_equal(F(&a, 0, SP_F_KEY), "tag:watch.example.net,2025:entry-1");
	assert_string_equal(F(&a, 0, SP_F_NAME), "Navite Ltd."); /* type="html" title */
	assert_string_equal(F(&a, 0, SP_F_WEBSITE), "https://www.trynavite.io/?a=1&b=2"); /* rel=alternate */
	assert_string_equal(F(&a, 0, SP_F_CATEGORIES), "Restaurants;Food, Beverage");
	assert_string_equal(F(&a, 0, SP_F_COUNTRY), "GBR");
	assert_string_equal(F(&a, 0, SP_F_CITY), "Edinburgh");
	assert_string_equal(F(&a, 0, SP_F_DESCRIPTION), "Zero-waste catering. Offices.");
	assert_string_equal(F(&a, 0, SP_F_PUBLISHED), "2025-12-28T14:24:00Z"); /* published before updated */
	assert_string_equal(F(&a, 1, SP_F_KEY), "https://usedrivix.io/"); /* no id: the link */
	assert_string_equal(F(&a, 1, SP_F_WEBSITE), "https://usedrivix.io/");
	assert_string_equal(F(&a, 1, SP_F_PUBLISHED), "2025-12-28T11:23:00Z");
	assert_string_equal(F(&a, 1, SP_F_DESCRIPTION), "Budgeting app.");
	free_all(&a);
	sp_config_free(cfg);
}

static void broken_recovered(void **state)
{
	(void)state;
	all_t a;
	/* blank lines before <?xml, &eacute; &rsaquo; &nbsp;, bare &, Latin-1 and cp1252 bytes, NUL, truncated */
	run_all(FX "broken.xml", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	assert_string_equal(F(&a, 0, SP_F_NAME), "Café élégant › Tom & Jerry Ltd");
	assert_string_equal(F(&a, 0, SP_F_DESCRIPTION), "x y &unknownentity; “quoted”");
	assert_string_equal(F(&a, 1, SP_F_KEY), "b2");
	assert_string_equal(REASON(&a, 2), "truncated item");
	assert_string_equal(REASON(&a, 3), "broken xml");
	free_all(&a);
	/* tag mismatch: the items before stand, then one reject says why */
	run_all(FX "mismatch.xml", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_true(a.ok >= 2);
	assert_string_equal(F(&a, 0, SP_F_NAME), "One");
	free_all(&a);
}

static void not_a_feed(void **state)
{
	(void)state;
	all_t a;
	run_all(FX "notfeed.xml", &a);
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_non_null(strstr(a.err.msg, "not a feed"));
	assert_non_null(strstr(a.err.msg, "<html>"));
	free_all(&a);
	run_all(FX "notxml.xml", &a);
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_non_null(strstr(a.err.msg, "not a feed"));
	free_all(&a);
	char path[512];
	snprintf(path, sizeof(path), "%s/empty.xml", tmpdir);
	FILE *f = fopen(path, "w");
	fputs("  \n\n  ", f);
	fclose(f);
	run_all(path, &a);
	assert_int_equal(a.rc, SP_EFORMAT);
	free_all(&a);
}

static void hostile(void **state)
{
	(void)state;
	all_t a;
	run_all(FX "xxe.xml", &a);
	assert_int_equal(a.ok, 1);
	assert_null(strstr(F(&a, 0, SP_F_NAME), "root:"));
	assert_null(strstr(F(&a, 0, SP_F_DESCRIPTION), "root:"));
	free_all(&a);
	long before = sp_peak_rss_kb();
	run_all(FX "laughs.xml", &a);
	assert_int_equal(a.ok, 1);
	assert_true(strlen(F(&a, 0, SP_F_NAME)) < 100); /* never expanded */
	assert_true(sp_peak_rss_kb() - before < 50 * 1024);
	free_all(&a);
}

static void gzip_feed(void **state)
{
	(void)state;
	all_t a;
	run_all(FX "rss2.xml.gz", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	free_all(&a);
}

/* 64 MB of white space inside an item, and a long description: memory stays flat, text capped. */
static void big_whitespace(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/ws.xml", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("<?xml version=\"1.0\"?><rss><channel><item><title>Big</title><description>", f);
	static char blk[1 << 16];
	memset(blk, ' ', sizeof(blk));
	memcpy(blk + 100, "word", 4);
	for (int i = 0; i < 1024; i++)
		fwrite(blk, 1, sizeof(blk), f);
	fputs("</description></item><item><title>After</title></item></channel></rss>", f);
	fclose(f);
	long before = sp_peak_rss_kb();
	all_t a;
	run_all(path, &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	assert_true(strlen(F(&a, 0, SP_F_DESCRIPTION)) <= 4096);
	assert_string_equal(F(&a, 1, SP_F_NAME), "After");
	long grew = sp_peak_rss_kb() - before;
	printf("INFO: 64 MB white-space feed: peak RSS grew %ld KB\n", grew);
	assert_true(grew < 32 * 1024);
	free_all(&a);
	unlink(path);
}

static void registry(void **state)
{
	(void)state;
	sp_connector_feed.close(NULL);
	assert_ptr_equal(sp_connector_find("feed"), &sp_connector_feed);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sp-feed-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* JSON Feed 1.1 and 1.0: detected by format = feed, items mapped as RSS/Atom items are */
static void json_feed(void **state)
{
	(void)state;
	all_t a;
	run_all("tests/fixtures/json/feed11.json", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 2);
	assert_int_equal(a.rej, 2);
	assert_string_equal(F(&a, 0, SP_F_KEY), "voltiq-1");
	assert_string_equal(F(&a, 0, SP_F_NAME), "Voltiq & Co raises seed"); /* the same record as rss2.xml's */
	assert_string_equal(F(&a, 0, SP_F_WEBSITE), "");                     /* link_is_website defaults to no */
	assert_string_equal(F(&a, 0, SP_F_DESCRIPTION), "Voltiq builds chargers for fleets.");
	assert_string_equal(F(&a, 0, SP_F_CATEGORIES), "Climate;EV, charging");
	assert_string_equal(F(&a, 0, SP_F_PUBLISHED), "2023-08-16T05:41:28+00:00");
	assert_int_equal(a.r[0].line, 1);
	assert_string_equal(F(&a, 1, SP_F_KEY), "42"); /* a number id */
	assert_string_equal(F(&a, 1, SP_F_NAME), "Zürich Mobility AG");
	assert_string_equal(F(&a, 1, SP_F_DESCRIPTION), "Electric scooters élégants — Zürich.");
	assert_string_equal(F(&a, 1, SP_F_PUBLISHED), "2023-08-15T10:00:00Z"); /* date_modified */
	assert_string_equal(REASON(&a, 2), "missing name");
	assert_string_equal(REASON(&a, 3), "item is not an object");
	free_all(&a);
	run_all("tests/fixtures/json/feed10.json", &a);
	assert_int_equal(a.rc, SP_EOF);
	assert_int_equal(a.ok, 1);
	assert_string_equal(F(&a, 0, SP_F_DESCRIPTION), "Hello world");
	free_all(&a);
	run_all("tests/fixtures/json/notfeed.json", &a); /* JSON, but not a JSON Feed */
	assert_int_equal(a.rc, SP_EFORMAT);
	assert_non_null(strstr(a.err.msg, "jsonfeed.org"));
	run_all("tests/fixtures/json/truncated.json", &a);
	assert_int_equal(a.rc, SP_EFORMAT);
}

/* link_is_website = yes: the item's url (else external_url) is the website, as an RSS link */
static void json_feed_website(void **state)
{
	(void)state;
	char ini[512];
	snprintf(ini, sizeof(ini), "%s/jf.ini", tmpdir);
	FILE *f = fopen(ini, "w");
	assert_non_null(f);
	fprintf(f, "[sparker]\ndatabase = x.db\nraw_dir = raw\nreport_dir = rep\n\n"
	           "[source jf]\nformat = feed\nurl = x.json\nmode = append\nlink_is_website = yes\n");
	fclose(f);
	sp_config *cfg = NULL;
	sp_err err;
	assert_int_equal(sp_config_load(ini, &sp_run_vocab, &cfg, &err), SP_OK);
	all_t a;
	run_all_cfg(cfg, sp_config_source(cfg, "jf"), "tests/fixtures/json/feed11.json", &a);
	assert_int_equal(a.ok, 2);
	assert_string_equal(F(&a, 0, SP_F_WEBSITE), "https://voltiq.example.fr/");
	assert_string_equal(F(&a, 1, SP_F_WEBSITE), "https://zm.example.ch/");
	free_all(&a);
	sp_config_free(cfg);
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--dump"))
		return sp_dump_main(&sp_connector_feed, argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rss2),       cmocka_unit_test(rdf),       cmocka_unit_test(atom_with_config),
		cmocka_unit_test(broken_recovered), cmocka_unit_test(not_a_feed), cmocka_unit_test(hostile),
		cmocka_unit_test(gzip_feed),  cmocka_unit_test(big_whitespace), cmocka_unit_test(registry),
		cmocka_unit_test(json_feed),  cmocka_unit_test(json_feed_website),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
