/*
 * connector_dump.h — test helper shared by test_gleif.c, test_feed.c, test_json.c.
 *
 * sp_dump_run(conn, cfg, src, path, verbose, &stats): opens one file with a connector, pulls
 * every record, counts OK/REJECT, and returns the final code (SP_EOF or < 0) with the message
 * in stats->err. With verbose, prints one line per record ("OK key | name | ...", "REJECT reason").
 * Each test binary also runs as a driver: `test_feed --dump FILE...` prints a summary line per
 * file ("FILE<TAB>ok N<TAB>reject N<TAB>rc CODE<TAB>message"), used by the integration tests.
 */
#ifndef SP_CONNECTOR_DUMP_H
#define SP_CONNECTOR_DUMP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "pipeline/run.h"

/*
 * sp_collect(conn, cfg, src, path, &a): pull every record of a file into a, keeping the first 16
 * (a->n), counting OK (a->ok) and REJECT (a->rej); a->rc is the final code (SP_EOF or < 0, or the
 * open() failure) with the message in a->err. sp_collect_free releases the kept records.
 */
typedef struct {
	int n, ok, rej, rc;
	sp_record r[16];
	sp_err err;
} all_t;

static void sp_collect(const sp_connector *c, const sp_config *cfg, const sp_source *src, const char *path, all_t *a)
{
	memset(a, 0, sizeof(*a));
	sp_parser *p = NULL;
	a->rc = c->open(&p, cfg, src, path, &a->err);
	if (a->rc < 0)
		return;
	for (;;) {
		sp_record_init(&a->r[a->n]);
		int rc = c->next(p, &a->r[a->n], &a->err);
		if (rc != SP_OK && rc != SP_REJECT) {
			sp_record_release(&a->r[a->n]);
			a->rc = rc;
			break;
		}
		rc == SP_OK ? a->ok++ : a->rej++;
		if (a->n < 15)
			a->n++;
		else
			sp_record_release(&a->r[a->n]);
	}
	c->close(p);
}

static void free_all(all_t *a)
{
	for (int i = 0; i < a->n; i++)
		sp_record_release(&a->r[i]);
}

#define F(a, i, f) sp_record_get(&(a)->r[i], f)
#define REASON(a, i) sp_buf_str(&(a)->r[i].reject_reason)

typedef struct sp_dump_stats {
	long ok, rejected;
	int rc;
	sp_err err;
} sp_dump_stats;

static int sp_dump_run(const sp_connector *c, const sp_config *cfg, const sp_source *src, const char *path,
                       int verbose, sp_dump_stats *st)
{
	memset(st, 0, sizeof(*st));
	sp_parser *p = NULL;
	int rc = c->open(&p, cfg, src, path, &st->err);
	if (rc < 0)
		return st->rc = rc;
	sp_record rec;
	sp_record_init(&rec);
	for (;;) {
		rc = c->next(p, &rec, &st->err);
		if (rc == SP_OK) {
			st->ok++;
			if (verbose) {
				printf("OK #%ld", rec.line);
				for (int i = 0; i < SP_F__COUNT; i++)
					if (rec.f[i].len)
						printf(" | %s=%.120s", sp_field_names[i], rec.f[i].buf);
				printf("\n");
			}
		} else if (rc == SP_REJECT) {
			st->rejected++;
			if (verbose)
				printf("REJECT #%ld %s | %.80s\n", rec.line, sp_buf_str(&rec.reject_reason),
				       rec.excerpt.buf ? rec.excerpt.buf : "");
		} else {
			break;
		}
	}
	sp_record_release(&rec);
	c->close(p);
	return st->rc = rc;
}

/* `--dump [-v] FILE...`: summary line per file. Returns a process exit code.
 * SP_DUMP_CONFIG=FILE.ini and SP_DUMP_SOURCE=NAME give the connector a source section. */
static int sp_dump_main(const sp_connector *c, int argc, char **argv)
{
	int verbose = 0, crashed = 0;
	sp_config *cfg = NULL;
	const sp_source *src = NULL;
	if (getenv("SP_DUMP_CONFIG")) {
		sp_err err;
		if (sp_config_load(getenv("SP_DUMP_CONFIG"), &sp_run_vocab, &cfg, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 2;
		}
		src = sp_config_source(cfg, getenv("SP_DUMP_SOURCE") ? getenv("SP_DUMP_SOURCE") : "");
		if (!src) {
			fprintf(stderr, "no source %s in the config\n", getenv("SP_DUMP_SOURCE"));
			return 2;
		}
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = 1;
			continue;
		}
		sp_dump_stats st;
		int rc = sp_dump_run(c, cfg, src, argv[i], verbose, &st);
		printf("%s\tok %ld\treject %ld\trc %d\t%s\n", argv[i], st.ok, st.rejected, rc,
		       rc < 0 ? st.err.msg : "");
		fflush(stdout);
	}
	sp_config_free(cfg);
	return crashed;
}

#endif
