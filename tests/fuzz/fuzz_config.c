/*
 * fuzz_config.c — libFuzzer target for the INI configuration loader.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "pipeline/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/sp-fuzz-config-%ld.ini", (long)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	sp_config *cfg = NULL;
	sp_err err;
	if (sp_config_load(path, &sp_run_vocab, &cfg, &err) == SP_OK)
		sp_config_free(cfg);
	unlink(path);
	return 0;
}
