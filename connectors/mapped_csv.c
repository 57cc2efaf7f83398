/*
 * mapped_csv.c — any CSV through a column mapping in the config (format = csv).
 *
 * What it does: reads the file with csv_reader (delimiter, encoding: UTF-8, LATIN1, WINDOWS-1252,
 * MACINTOSH) and fills record fields from the columns named by `map.<field> = <header>` keys
 * (<field>: key name legal_form other_names country city postcode website founded status
 * description categories codes code_system regnum lei ra_id ra_entity_id published).
 * `preset = crunchbase` maps a Crunchbase organization export without any map.* key:
 *   key = uuid, else permalink; name = name; website = homepage_url, else domain;
 *   country = country_code (ISO3, raw); city = city; categories = category_list, else
 *   category_code; description = short_description; founded = founded_on, else founded_at;
 *   status = status. Explicit map.* keys override the preset.
 * Multi-valued columns (categories, codes, other_names) are split on any character of
 * `categories_sep` (default ",", preset "," and "|") and stored ';'-separated.
 * Dates: when the source declares `date_order = mdy | dmy` (preset crunchbase: mdy; see
 * sp_date_order_config), founded dates are converted to ISO by sp_date_parse in exactly that order
 * (no day/month swap: 03/25/2024 in a dmy source stays raw); other text is kept raw, for the
 * normalise stage to read with the same parser.
 * `code_system = nace2` (a constant) when the file has no such column; `country = XX` (the
 * source's default country) fills records without one.
 *
 * Rejects: "bad column count", "missing key", "missing name", and the reader's own.
 * Failure: SP_ECONFIG when no key/name mapping exists; SP_EFORMAT when a map.* header is not in
 * the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"
#include "connectors/csv_reader.h"
#include "core/date.h"

struct sp_parser {
	sp_csv *csv;
	char delim;
	int ncols;
	int col[SP_F__COUNT];
	int convert_dates;        /* the source declares its date order */
	sp_date_order date_order; /* SP_DATE_DMY_ONLY or SP_DATE_MDY_ONLY */
	char sep[8];
	char *code_system;
	char *country;
};

static const char *mc_note(sp_parser *p)
{
	return sp_csv_note(p->csv);
}

static void mc_close(sp_parser *p)
{
	if (!p)
		return;
	sp_csv_close(p->csv);
	free(p->code_system);
	free(p->country);
	free(p);
}

static const sp_config_key mapped_csv_keys[] = {
	{ "source *", "preset", SP_KEY_ENUM, .choices = "crunchbase" },
	{ "source *", "map.*", SP_KEY_STRING, .names = sp_field_config_name },
	{ "source *", "categories_sep", SP_KEY_STRING, .def = "," }, /* preset crunchbase: ",|" */
	{ "source *", "code_system", SP_KEY_ENUM, .choices = "sic2007|naf2|nace2" },
	{ 0 },
};
static const sp_config_key *const mc_keys[] = { sp_csv_source_keys, mapped_csv_keys, NULL };

static int first_col(const sp_csv_row *h, const char *a, const char *b)
{
	int c = sp_csv_col(h, a);
	if (c < 0 && b)
		c = sp_csv_col(h, b);
	return c;
}

static int mc_open(sp_parser **out, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err)
{
	*out = NULL;
	const char *sec = src->section;
	int crunchbase = sp_config_choice(cfg, sec, mapped_csv_keys, "preset") == 0;
	sp_parser *p = sp_xcalloc(1, sizeof(*p));
	const char *sep = crunchbase && !sp_config_find(cfg, sec, "categories_sep")
				  ? ",|"
				  : sp_config_str(cfg, sec, mapped_csv_keys, "categories_sep");
	snprintf(p->sep, sizeof(p->sep), "%s", sep);
	p->date_order = sp_date_order_config(cfg, sec, &p->convert_dates) == SP_DATE_MDY ? SP_DATE_MDY_ONLY
											 : SP_DATE_DMY_ONLY;
	static const char *const systems[] = { "sic2007", "naf2", "nace2" }; /* as in code_system's choices */
	int cs = sp_config_choice(cfg, sec, mapped_csv_keys, "code_system");
	p->code_system = cs >= 0 ? sp_xstrdup(systems[cs]) : NULL;
	const char *cc = sp_config_str(cfg, sec, sp_parse_keys, "country");
	p->country = cc && *cc ? sp_xstrdup(cc) : NULL;
	sp_csv_row *h;
	int rc = sp_csv_open_source(cfg, src, path, &p->csv, &h, &p->delim, err);
	if (rc < 0) {
		mc_close(p);
		return rc;
	}
	p->ncols = h->n;
	for (int f = 0; f < SP_F__COUNT; f++)
		p->col[f] = -1;
	if (crunchbase) {
		p->col[SP_F_KEY] = first_col(h, "uuid", "permalink");
		p->col[SP_F_NAME] = first_col(h, "name", NULL);
		p->col[SP_F_WEBSITE] = first_col(h, "homepage_url", "domain");
		p->col[SP_F_COUNTRY] = first_col(h, "country_code", NULL);
		p->col[SP_F_CITY] = first_col(h, "city", NULL);
		p->col[SP_F_CATEGORIES] = first_col(h, "category_list", "category_code");
		p->col[SP_F_DESCRIPTION] = first_col(h, "short_description", NULL);
		p->col[SP_F_FOUNDED] = first_col(h, "founded_on", "founded_at");
		p->col[SP_F_STATUS] = first_col(h, "status", NULL);
	}
	for (int f = 0; f < SP_F__COUNT; f++) {
		char key[48];
		snprintf(key, sizeof(key), "map.%s", sp_field_config_name((size_t)f));
		const char *hn = sp_config_str(cfg, sec, mapped_csv_keys, key);
		if (!hn)
			continue;
		int c = sp_csv_col(h, hn);
		if (c < 0) {
			mc_close(p);
			return sp_err_set(err, SP_EFORMAT, "source %s: %s = '%s': no such column in %s", src->name, key, hn, path);
		}
		p->col[f] = c;
	}
	if (p->col[SP_F_KEY] < 0 || p->col[SP_F_NAME] < 0) {
		mc_close(p);
		return sp_err_set(err, SP_ECONFIG, "source %s: format csv needs map.key and map.name (or preset = crunchbase "
				  "on a file with uuid/permalink and name columns)", src->name);
	}
	*out = p;
	return SP_OK;
}

static void add_split(sp_parser *p, sp_record *rec, sp_field f, const char *s, size_t n)
{
	size_t b = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || strchr(p->sep, s[i])) {
			sp_record_append(rec, f, s + b, i - b);
			b = i + 1;
		}
	}
}

static int mc_next(sp_parser *p, sp_record *rec, sp_err *err)
{
	sp_csv_row *r;
	int rc = sp_csv_next_record(p->csv, p->ncols, p->delim, rec, &r, err);
	if (rc != SP_OK)
		return rc;
	for (int f = 0; f < SP_F__COUNT; f++) {
		int c = p->col[f];
		if (c < 0)
			continue;
		const char *s = r->f[c];
		size_t n = r->len[c];
		if (n == 2 && s[0] == 'N' && s[1] == 'A' && f != SP_F_NAME)
			continue; /* R's missing value */
		if (f == SP_F_CATEGORIES || f == SP_F_CODES || f == SP_F_OTHER_NAMES) {
			add_split(p, rec, (sp_field)f, s, n);
		} else if (f == SP_F_FOUNDED && p->convert_dates) {
			char iso[SP_DATE_ISO_SIZE];
			if (sp_date_parse(s, p->date_order, iso, sizeof(iso)))
				sp_record_sets(rec, SP_F_FOUNDED, iso);
			else
				sp_record_set(rec, SP_F_FOUNDED, s, n);
		} else {
			sp_record_set(rec, (sp_field)f, s, n);
		}
	}
	if (!rec->f[SP_F_KEY].len)
		return sp_csv_reject(r, p->delim, rec, "missing key");
	if (!rec->f[SP_F_NAME].len)
		return sp_csv_reject(r, p->delim, rec, "missing name");
	if (p->code_system && !rec->f[SP_F_CODE_SYSTEM].len && rec->f[SP_F_CODES].len)
		sp_record_sets(rec, SP_F_CODE_SYSTEM, p->code_system);
	if (p->country && !rec->f[SP_F_COUNTRY].len)
		sp_record_sets(rec, SP_F_COUNTRY, p->country);
	return SP_OK;
}

const sp_connector sp_connector_csv = {
	.format = "csv",
	.open = mc_open,
	.next = mc_next,
	.close = mc_close,
	.keys = mc_keys,
	.note = mc_note,
};
