/*
 * fuzz_csv_diff.c — libFuzzer target: the fast CSV tokenizer against libcsv (csv_reader.c).
 *
 * The first byte of an input picks the reader's options: bits 0-3 the read size (1, 2, 3, 5, 7,
 * 13, 16, 17, 31, 64, 100, 4096 bytes, else the default), bits 4-5 the delimiter (, ; tab |),
 * bits 6-7 max_columns (512, 3, 8, 1). The rest is the file. Both tokenizers read it inline
 * (opts.no_thread); any difference in the rows, their fields, lines or rejects, in order,
 * aborts with both listings. max_field stays at its default (1 MiB, larger than any input), so
 * the one documented difference (resynchronising after an oversized field) cannot occur.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connectors/csv_reader.h"
#include "../unit/csv_rows.h"

static char path[64];

static void cleanup(void) { unlink(path); }

/* Every row, in order (csv_rows.h); an open failure is a bug here (the file was just written). */
static char *rows_of(sp_csv_opts o, int libcsv_only)
{
	sp_err err = { 0 };
	char *rows = csv_rows(path, o, libcsv_only, &err);
	if (!rows) {
		fprintf(stderr, "fuzz_csv_diff: open: %s\n", err.msg);
		abort();
	}
	return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[16] = { 1, 2, 3, 5, 7, 13, 16, 17, 31, 64, 100, 4096, 0, 0, 0, 0 };
	static const char delims[4] = { ',', ';', '\t', '|' };
	static const int cols[4] = { 512, 3, 8, 1 };
	if (!path[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(path, sizeof(path), "%s/fuzz_csv_diff_XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
		int fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(cleanup);
	}
	if (size < 1)
		return 0;
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
		abort();
	sp_csv_opts o = { .chunk = chunks[data[0] & 15], .delim = delims[(data[0] >> 4) & 3],
			  .max_cols = cols[data[0] >> 6] };
	char *want = rows_of(o, 1), *got = rows_of(o, 0);
	if (strcmp(want, got)) {
		fprintf(stderr, "fuzz_csv_diff: tokenizers disagree (options byte 0x%02x)\n--- libcsv:\n%s--- fast:\n%s",
			data[0], want, got);
		abort();
	}
	free(want);
	free(got);
	return 0;
}
