/*
 * csv_source.c — the glue between the CSV reader and the CSV-family connectors (companies_house,
 * sirene, mapped_csv): reader options from a source's config, opening a source and its header,
 * header column lookup, the next row as a record (or a reject with an excerpt), setting a record
 * field from a column. Declared in csv_reader.h (the part "Helpers for the CSV-family
 * connectors"), so connectors include one header.
 *
 * Invariants: uses only the reader's public API (csv_reader.h); a reject's excerpt is at most 200
 * bytes of valid UTF-8. Ownership: rows belong to the reader (valid until its next call); the
 * record belongs to the connector; nothing here keeps state.
 * Failure: SP_ECONFIG with one message for a bad delimiter; the reader's own codes and messages
 * pass through; SP_EFORMAT "PATH: empty file (no header row)" when a source has no header.
 */
#include <string.h>
#include <strings.h>

#include "connectors/csv_reader.h"

int sp_csv_col(const sp_csv_row *hdr, const char *name)
{
	size_t nl = strlen(name);
	for (int i = 0; i < hdr->n; i++) {
		const char *s = hdr->f[i];
		size_t n = hdr->len[i];
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == nl && !strncasecmp(s, name, n))
			return i;
	}
	return -1;
}

void sp_csv_excerpt(const sp_csv_row *row, char delim, sp_buf *out, size_t max)
{
	sp_buf_reset(out);
	for (int i = 0; i < row->n && out->len < max; i++) {
		if (i)
			sp_buf_addc(out, delim);
		size_t n = row->len[i];
		if (out->len + n > max)
			n = max - out->len;
		sp_buf_add(out, row->f[i], n);
	}
	if (!out->buf)
		sp_buf_adds(out, "");
	sp_utf8_sanitize(out->buf, out->len);
}


static int check_delimiter(const char *d, sp_err *err)
{
	if (strlen(d) == 1 || !strcasecmp(d, "tab") || !strcmp(d, "\\t"))
		return SP_OK;
	return sp_err_set(err, SP_ECONFIG, "must be one character or 'tab', not '%s'", d);
}

const sp_config_key sp_csv_source_keys[] = {
	{ "source *", "delimiter", SP_KEY_STRING, .def = ",", .check = check_delimiter },
	{ "source *", "encoding", SP_KEY_STRING, .check = sp_csv_encoding_check },
	{ "source *", "max_field_bytes", SP_KEY_INT, .def = "1048576", .min = 1, .max = SP_KEY_ANY },
	{ "source *", "max_columns", SP_KEY_INT, .def = "512", .min = 1, .max = 1000000 },
	{ "source *", "max_unpacked_bytes", SP_KEY_INT, .def = "0", .min = 0, .max = SP_KEY_ANY },
	{ 0 },
};

static int opts_from_config(sp_csv_opts *o, const sp_config *cfg, const sp_source *src, sp_err *err)
{
	memset(o, 0, sizeof(*o));
	const char *sec = src->section;
	const char *d = sp_config_str(cfg, sec, sp_csv_source_keys, "delimiter");
	if (check_delimiter(d, err) != SP_OK)
		return sp_err_prefix(err, "source %s: delimiter", src->name);
	o->delim = strlen(d) == 1 ? d[0] : '\t';
	o->encoding = sp_config_str(cfg, sec, sp_csv_source_keys, "encoding");
	o->max_field = (size_t)sp_config_int(cfg, sec, sp_csv_source_keys, "max_field_bytes");
	o->max_cols = (int)sp_config_int(cfg, sec, sp_csv_source_keys, "max_columns");
	o->want_ext = ".csv";
	o->max_bytes = (uint64_t)sp_config_int(cfg, sec, sp_csv_source_keys, "max_unpacked_bytes");
	o->no_thread = !sp_config_bool(cfg, sec, sp_parse_keys, "parse_thread");
	return SP_OK;
}

int sp_csv_reject(const sp_csv_row *row, char delim, sp_record *rec, const char *reason)
{
	sp_record_clear(rec);
	rec->line = row->line;
	sp_buf ex = SP_BUF_INIT;
	sp_csv_excerpt(row, delim, &ex, 200);
	sp_record_reject(rec, reason, ex.buf, ex.len);
	sp_buf_release(&ex);
	return SP_REJECT;
}

void sp_csv_set(sp_record *rec, sp_field f, const sp_csv_row *row, int col, int na_empty)
{
	if (col < 0 || col >= row->n)
		return;
	const char *s = row->f[col];
	size_t n = row->len[col];
	if (na_empty && n == 2 && s[0] == 'N' && s[1] == 'A')
		return;
	sp_record_set(rec, f, s, n);
}

static int open_source(const sp_config *cfg, const sp_source *src, const char *path, int in_order, sp_csv **csv,
		       sp_csv_row **hdr, char *delim, sp_err *err)
{
	*csv = NULL;
	sp_csv_opts o;
	int rc = opts_from_config(&o, cfg, src, err);
	if (rc < 0)
		return rc;
	if (in_order)
		o.split_min = UINT64_MAX;
	*delim = o.delim;
	if ((rc = sp_csv_open(path, &o, csv, err)) < 0)
		return rc;
	rc = sp_csv_next(*csv, hdr, err);
	if (rc < 0 || rc == SP_EOF) {
		sp_csv_close(*csv);
		*csv = NULL;
		return rc < 0 ? rc : sp_err_set(err, SP_EFORMAT, "%s: empty file (no header row)", path);
	}
	return SP_OK;
}

int sp_csv_open_source(const sp_config *cfg, const sp_source *src, const char *path, sp_csv **csv,
		       sp_csv_row **hdr, char *delim, sp_err *err)
{
	return open_source(cfg, src, path, 0, csv, hdr, delim, err);
}

int sp_csv_open_source_in_order(const sp_config *cfg, const sp_source *src, const char *path, sp_csv **csv,
				sp_csv_row **hdr, char *delim, sp_err *err)
{
	return open_source(cfg, src, path, 1, csv, hdr, delim, err);
}

int sp_csv_next_record(sp_csv *c, int ncols, char delim, sp_record *rec, sp_csv_row **row, sp_err *err)
{
	sp_csv_row *r;
	int rc = sp_csv_next(c, &r, err);
	if (rc < 0 || rc == SP_EOF)
		return rc;
	if (rc == SP_REJECT)
		return sp_csv_reject(r, delim, rec, r->reject);
	if (r->n != ncols)
		return sp_csv_reject(r, delim, rec, "bad column count");
	sp_record_clear(rec);
	rec->line = r->line;
	*row = r;
	return SP_OK;
}
