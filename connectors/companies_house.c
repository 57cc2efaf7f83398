/*
 * companies_house.c — UK Companies House BasicCompanyData (format = companies_house).
 *
 * What it does: reads the monthly snapshot (the zip or the CSV inside it, fully quoted, or an
 * R/readr re-export without quotes and with "NA" for missing values) through csv_reader, finds
 * the columns by header name (so both the 55-column layout and the older 53-column one work, and
 * header names with leading spaces such as " CompanyNumber" match), and yields one record per
 * company:
 *   key, regnum = CompanyNumber; name = CompanyName; legal_form = CompanyCategory;
 *   status = CompanyStatus; founded = IncorporationDate dd/mm/yyyy -> YYYY-MM-DD (sp_date_parse,
 *   day first only; a field that is no such date leaves founded empty);
 *   country = RegAddress.Country, else CountryOfOrigin (raw); city = RegAddress.PostTown;
 *   postcode = RegAddress.PostCode; codes = the SIC codes of SICCode.SicText_1..4
 *   ("62012 - Business and domestic software development" -> "62012"), code_system = sic2007;
 *   other_names = PreviousName_N.CompanyName, ';'-separated.
 *
 * Rejects: "bad column count" (a row with fewer or more fields than the header), "missing key",
 * "missing name", and the reader's own ("invalid UTF-8", "field too large", "too many columns").
 * Failure: a file without CompanyNumber/CompanyName headers is SP_EFORMAT.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "connectors/csv_reader.h"
#include "core/date.h"

#define NSIC 4
#define NPREV 10

struct sp_parser {
	sp_csv *csv;
	char delim;
	int ncols;
	int c_name, c_number, c_town, c_postcode, c_country, c_origin, c_category, c_status, c_inc;
	int c_sic[NSIC];
	int c_prev[NPREV];
};

static const char *ch_note(sp_parser *p)
{
	return sp_csv_note(p->csv);
}

static void ch_close(sp_parser *p)
{
	if (!p)
		return;
	sp_csv_close(p->csv);
	free(p);
}

static int ch_open(sp_parser **out, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err)
{
	*out = NULL;
	sp_parser *p = sp_xcalloc(1, sizeof(*p));
	sp_csv_row *h;
	int rc = sp_csv_open_source(cfg, src, path, &p->csv, &h, &p->delim, err);
	if (rc < 0) {
		free(p);
		return rc;
	}
	p->ncols = h->n;
	p->c_name = sp_csv_col(h, "CompanyName");
	p->c_number = sp_csv_col(h, "CompanyNumber");
	p->c_town = sp_csv_col(h, "RegAddress.PostTown");
	p->c_postcode = sp_csv_col(h, "RegAddress.PostCode");
	p->c_country = sp_csv_col(h, "RegAddress.Country");
	p->c_origin = sp_csv_col(h, "CountryOfOrigin");
	p->c_category = sp_csv_col(h, "CompanyCategory");
	p->c_status = sp_csv_col(h, "CompanyStatus");
	p->c_inc = sp_csv_col(h, "IncorporationDate");
	for (int i = 0; i < NSIC; i++) {
		char nm[40];
		snprintf(nm, sizeof(nm), "SICCode.SicText_%d", i + 1);
		p->c_sic[i] = sp_csv_col(h, nm);
	}
	for (int i = 0; i < NPREV; i++) {
		char nm[48];
		snprintf(nm, sizeof(nm), "PreviousName_%d.CompanyName", i + 1);
		p->c_prev[i] = sp_csv_col(h, nm);
	}
	if (p->c_name < 0 || p->c_number < 0) {
		ch_close(p);
		return sp_err_set(err, SP_EFORMAT, "%s: not a Companies House BasicCompanyData file "
				  "(no CompanyName/CompanyNumber header)", path);
	}
	*out = p;
	return SP_OK;
}

/* "62012 - Business and domestic software development" -> "62012"; "None Supplied" -> nothing. */
static void add_sic(sp_record *rec, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	size_t b = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i > b)
		sp_record_append(rec, SP_F_CODES, s + b, i - b);
}

static int ch_next(sp_parser *p, sp_record *rec, sp_err *err)
{
	sp_csv_row *r;
	int rc = sp_csv_next_record(p->csv, p->ncols, p->delim, rec, &r, err);
	if (rc != SP_OK)
		return rc;
	sp_csv_set(rec, SP_F_KEY, r, p->c_number, 1);
	if (!rec->f[SP_F_KEY].len)
		return sp_csv_reject(r, p->delim, rec, "missing key");
	sp_csv_set(rec, SP_F_NAME, r, p->c_name, 0);
	if (!rec->f[SP_F_NAME].len)
		return sp_csv_reject(r, p->delim, rec, "missing name");
	sp_record_set(rec, SP_F_REGNUM, rec->f[SP_F_KEY].buf, rec->f[SP_F_KEY].len);
	sp_csv_set(rec, SP_F_LEGAL_FORM, r, p->c_category, 1);
	sp_csv_set(rec, SP_F_STATUS, r, p->c_status, 1);
	sp_csv_set(rec, SP_F_CITY, r, p->c_town, 1);
	sp_csv_set(rec, SP_F_POSTCODE, r, p->c_postcode, 1);
	sp_csv_set(rec, SP_F_COUNTRY, r, p->c_country, 1);
	if (!rec->f[SP_F_COUNTRY].len)
		sp_csv_set(rec, SP_F_COUNTRY, r, p->c_origin, 1);
	if (p->c_inc >= 0) {
		char iso[SP_DATE_ISO_SIZE];
		/* the registry writes dd/mm/yyyy: anything else (01/13/2020, 31/02/2024) is no date,
		 * not a date to be read another way downstream */
		if (sp_date_parse(r->f[p->c_inc], SP_DATE_DMY_ONLY, iso, sizeof(iso)))
			sp_record_sets(rec, SP_F_FOUNDED, iso);
	}
	for (int i = 0; i < NSIC; i++)
		if (p->c_sic[i] >= 0)
			add_sic(rec, r->f[p->c_sic[i]], r->len[p->c_sic[i]]);
	if (rec->f[SP_F_CODES].len)
		sp_record_sets(rec, SP_F_CODE_SYSTEM, "sic2007");
	for (int i = 0; i < NPREV; i++) {
		int c = p->c_prev[i];
		if (c >= 0 && r->len[c] && !(r->len[c] == 2 && !memcmp(r->f[c], "NA", 2)))
			sp_record_append(rec, SP_F_OTHER_NAMES, r->f[c], r->len[c]);
	}
	return SP_OK;
}

static const sp_config_key *const ch_keys[] = { sp_csv_source_keys, NULL };

const sp_connector sp_connector_companies_house = {
	.format = "companies_house",
	.open = ch_open,
	.next = ch_next,
	.close = ch_close,
	.keys = ch_keys,
	.note = ch_note,
};
