/*
 * csv_floor.c — the floor for a libcsv-based reader: reads a CSV file (or stdin with "-") in
 * 1 MiB chunks through libcsv (CSV_REPALL_NL, as sparker's reader) and only counts
 * fields and rows. Prints "rows N fields N bytes N". Used by tests/bench/run_bench.sh.
 */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long nfields, nrows;

static void on_field(void *s, size_t n, void *u)
{
	(void)s, (void)n, (void)u;
	nfields++;
}

static void on_row(int c, void *u)
{
	(void)c, (void)u;
	nrows++;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: csv_floor FILE|-\n");
		return 2;
	}
	FILE *f = strcmp(argv[1], "-") ? fopen(argv[1], "rb") : stdin;
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	struct csv_parser p;
	if (csv_init(&p, CSV_REPALL_NL) != 0)
		return 1;
	static char buf[1 << 20];
	size_t n;
	unsigned long long bytes = 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		bytes += n;
		if (csv_parse(&p, buf, n, on_field, on_row, NULL) != n) {
			fprintf(stderr, "csv error: %s\n", csv_strerror(csv_error(&p)));
			return 1;
		}
	}
	csv_fini(&p, on_field, on_row, NULL);
	csv_free(&p);
	printf("rows %llu fields %llu bytes %llu\n", nrows, nfields, bytes);
	return 0;
}
