/*
 * csv_rows.h — every row the CSV reader returns for a file, as one text, so that two readings
 * (the fast tokenizer and libcsv) can be compared: test_csv_reader.c and fuzz_csv_diff.c.
 *
 * One line per row, in order: "LINE|RC|REJECT|N|F0\x1fF1\x1f...\n" (a NUL byte in a field is
 * written \0 and a backslash \\, so strcmp sees every byte), then "end RC\n" with the code that
 * ended the stream. The reader runs inline (opts.no_thread) so the order is the file's.
 * Returns NULL when the file cannot be opened (err says why); the caller frees the text.
 */
#ifndef SP_TEST_CSV_ROWS_H
#define SP_TEST_CSV_ROWS_H

#include "connectors/csv_reader.h"

static char *csv_rows(const char *path, sp_csv_opts o, int libcsv_only, sp_err *err)
{
	sp_csv *c = NULL;
	o.no_thread = 1;
	o.libcsv_only = libcsv_only;
	if (sp_csv_open(path, &o, &c, err) < 0)
		return NULL;
	sp_buf out = SP_BUF_INIT;
	sp_csv_row *r;
	int rc;
	while ((rc = sp_csv_next(c, &r, err)) == SP_OK || rc == SP_REJECT) {
		sp_buf_addf(&out, "%ld|%d|%s|%d|", r->line, rc, r->reject ? r->reject : "", r->n);
		for (int i = 0; i < r->n; i++) {
			for (size_t k = 0; k < r->len[i]; k++) {
				char ch = r->f[i][k];
				if (ch == '\0' || ch == '\\')
					sp_buf_adds(&out, ch ? "\\\\" : "\\0"); /* the text stays one C string */
				else
					sp_buf_addc(&out, ch);
			}
			sp_buf_addc(&out, 0x1f);
		}
		sp_buf_addc(&out, '\n');
	}
	sp_buf_addf(&out, "end %d\n", rc);
	sp_csv_close(c);
	return sp_buf_detach(&out);
}

#endif
