/*
 * csv_out.h — writing CSV fields (RFC 4180 quoting), for `export` and the report's CSV companion.
 *
 * A field with a comma, a quote or a line end is quoted, quotes doubled; NULL is written as an
 * empty field. The caller owns the stream and checks it for write errors (ferror/fclose).
 */
#ifndef SP_CSV_OUT_H
#define SP_CSV_OUT_H

#include <stdio.h>

/* Write one field, then ',' or, when last, '\n'. */
void sp_csv_field(FILE *f, const char *s, int last);

#endif
