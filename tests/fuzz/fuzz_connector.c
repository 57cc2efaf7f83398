/*
 * fuzz_connector.c — libFuzzer target for one connector, chosen at build time with
 * -DFUZZ_FORMAT='"feed"' (and FUZZ_EXTRA for extra source config lines).
 *
 * Each input is written to a scratch file and read to the end through the connector's
 * open/next/close, exactly as the parse stage does; the connector must return, never crash,
 * hang or grow without bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connectors/connector.h"
#include "pipeline/run.h"

/* The libFuzzer builds fix the format at compile time; the replay build (`make test`, one binary
 * for every format) takes it from the environment: FUZZ_FORMAT, FUZZ_EXTRA (with "\n"). */
#ifdef FUZZ_FORMAT
#ifndef FUZZ_EXTRA
#define FUZZ_EXTRA ""
#endif
static const char *fuzz_format(void) { return FUZZ_FORMAT; }
static const char *fuzz_extra(void) { return FUZZ_EXTRA; }
#else
static const char *fuzz_format(void)
{
	const char *f = getenv("FUZZ_FORMAT");
	if (!f || !*f) {
		fprintf(stderr, "set FUZZ_FORMAT (a connector format)\n");
		exit(2);
	}
	return f;
}
static const char *fuzz_extra(void)
{
	static char buf[4096];
	const char *e = getenv("FUZZ_EXTRA");
	size_t j = 0;
	for (size_t i = 0; e && e[i] && j + 1 < sizeof(buf); i++) {
		if (e[i] == '\\' && e[i + 1] == 'n') {
			buf[j++] = '\n';
			i++;
		} else {
			buf[j++] = e[i];
		}
	}
	buf[j] = 0;
	return buf;
}
#endif

static sp_config *cfg;
static char input_path[256], ini_path[512], dir_path[64];

static void cleanup(void)
{
	sp_config_free(cfg);
	unlink(input_path);
	unlink(ini_path);
	rmdir(dir_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	static char dir[] = "/tmp/sp-fuzz-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	char *ini = ini_path;
	snprintf(ini_path, sizeof(ini_path), "%s/fuzz.ini", dir);
	snprintf(dir_path, sizeof(dir_path), "%s", dir);
	snprintf(input_path, sizeof(input_path), "%s/input", dir);
	FILE *f = fopen(ini, "w");
	if (!f)
		abort();
	fprintf(f, "[sparker]\ndatabase = fuzz.db\n[source s]\nformat = %s\nurl = input\n%s\n", fuzz_format(), fuzz_extra());
	fclose(f);
	sp_err err;
	if (sp_config_load(ini, &sp_run_vocab, &cfg, &err) != SP_OK) {
		fprintf(stderr, "fuzz config: %s\n", err.msg);
		abort();
	}
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(input_path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	const sp_connector *c = sp_connector_find(fuzz_format());
	if (!c)
		return 0; /* connector not linked in this build */
	sp_parser *p = NULL;
	sp_err err;
	if (c->open(&p, cfg, &cfg->sources[0], input_path, &err) != SP_OK)
		return 0;
	sp_record rec;
	sp_record_init(&rec);
	for (long n = 0; n < 1000000; n++) {
		sp_record_clear(&rec);
		int rc = c->next(p, &rec, &err);
		if (rc == SP_EOF || rc < 0)
			break;
	}
	sp_record_release(&rec);
	c->close(p);
	return 0;
}
