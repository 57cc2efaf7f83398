/*
 * sirene.c — INSEE SIRENE StockUniteLegale (format = sirene).
 *
 * What it does: reads the legal-units stock CSV (zip or CSV; columns found by header name, so
 * schema drift such as a missing statutDiffusionUniteLegale is tolerated) and yields one record
 * per legal unit:
 *   key, regnum = siren; founded = dateCreationUniteLegale (already ISO);
 *   name = denominationUniteLegale, or for sole traders (no denomination)
 *          "prenomUsuelUniteLegale|prenom1UniteLegale nomUsageUniteLegale|nomUniteLegale";
 *   other_names = sigleUniteLegale and denominationUsuelle1..3UniteLegale;
 *   status = etatAdministratifUniteLegale (A active, C ceased);
 *   codes = activitePrincipaleUniteLegale ("62.01Z"); code_system = naf2 (NAFRev2, or when the
 *   nomenclature column is absent), naf1 (NAFRev1), naf1993 (NAF1993), nap (NAP);
 *   legal_form = categorieJuridiqueUniteLegale (the INSEE code, e.g. 5710);
 *   country = FR (or the source's `country`).
 *
 * Rejects: "bad column count", "missing key", "missing name", and the reader's own.
 * Failure: a file without a siren header is SP_EFORMAT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"
#include "connectors/csv_reader.h"

struct sp_parser {
	sp_csv *csv;
	char delim;
	int ncols;
	char country[8];
	int c_siren, c_created, c_denom, c_prenom_u, c_prenom1, c_nom, c_nom_usage, c_etat, c_naf, c_nomencl,
	    c_catjur, c_sigle, c_usuelle[3];
};

static const char *si_note(sp_parser *p)
{
	return sp_csv_note(p->csv);
}

static void si_close(sp_parser *p)
{
	if (!p)
		return;
	sp_csv_close(p->csv);
	free(p);
}

static const sp_config_key *const si_keys[] = { sp_csv_source_keys, NULL };

static int si_open(sp_parser **out, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err)
{
	*out = NULL;
	sp_parser *p = sp_xcalloc(1, sizeof(*p));
	const char *cc = sp_config_str(cfg, src->section, sp_parse_keys, "country"); /* a SIRENE file is French */
	snprintf(p->country, sizeof(p->country), "%s", cc && *cc ? cc : "FR");
	sp_csv_row *h;
	int rc = sp_csv_open_source(cfg, src, path, &p->csv, &h, &p->delim, err);
	if (rc < 0) {
		free(p);
		return rc;
	}
	p->ncols = h->n;
	p->c_siren = sp_csv_col(h, "siren");
	p->c_created = sp_csv_col(h, "dateCreationUniteLegale");
	p->c_denom = sp_csv_col(h, "denominationUniteLegale");
	p->c_prenom_u = sp_csv_col(h, "prenomUsuelUniteLegale");
	p->c_prenom1 = sp_csv_col(h, "prenom1UniteLegale");
	p->c_nom = sp_csv_col(h, "nomUniteLegale");
	p->c_nom_usage = sp_csv_col(h, "nomUsageUniteLegale");
	p->c_etat = sp_csv_col(h, "etatAdministratifUniteLegale");
	p->c_naf = sp_csv_col(h, "activitePrincipaleUniteLegale");
	p->c_nomencl = sp_csv_col(h, "nomenclatureActivitePrincipaleUniteLegale");
	p->c_catjur = sp_csv_col(h, "categorieJuridiqueUniteLegale");
	p->c_sigle = sp_csv_col(h, "sigleUniteLegale");
	for (int i = 0; i < 3; i++) {
		char nm[48];
		snprintf(nm, sizeof(nm), "denominationUsuelle%dUniteLegale", i + 1);
		p->c_usuelle[i] = sp_csv_col(h, nm);
	}
	if (p->c_siren < 0) {
		si_close(p);
		return sp_err_set(err, SP_EFORMAT, "%s: not a SIRENE StockUniteLegale file (no siren header)", path);
	}
	*out = p;
	return SP_OK;
}

static const char *col(const sp_csv_row *r, int c, size_t *n)
{
	if (c < 0 || c >= r->n) {
		*n = 0;
		return "";
	}
	*n = r->len[c];
	return r->f[c];
}

static int si_next(sp_parser *p, sp_record *rec, sp_err *err)
{
	sp_csv_row *r;
	int rc = sp_csv_next_record(p->csv, p->ncols, p->delim, rec, &r, err);
	if (rc != SP_OK)
		return rc;
	sp_csv_set(rec, SP_F_KEY, r, p->c_siren, 0);
	if (!rec->f[SP_F_KEY].len)
		return sp_csv_reject(r, p->delim, rec, "missing key");
	sp_csv_set(rec, SP_F_NAME, r, p->c_denom, 0);
	if (!rec->f[SP_F_NAME].len) {
		size_t n1, n2;
		const char *first = col(r, p->c_prenom_u, &n1);
		if (!n1)
			first = col(r, p->c_prenom1, &n1);
		const char *last = col(r, p->c_nom_usage, &n2);
		if (!n2)
			last = col(r, p->c_nom, &n2);
		if (n2) {
			sp_buf *b = &rec->f[SP_F_NAME];
			if (n1) {
				sp_buf_add(b, first, n1);
				sp_buf_addc(b, ' ');
			}
			sp_buf_add(b, last, n2);
		}
	}
	if (!rec->f[SP_F_NAME].len)
		return sp_csv_reject(r, p->delim, rec, "missing name");
	sp_record_set(rec, SP_F_REGNUM, rec->f[SP_F_KEY].buf, rec->f[SP_F_KEY].len);
	sp_csv_set(rec, SP_F_FOUNDED, r, p->c_created, 0);
	sp_csv_set(rec, SP_F_STATUS, r, p->c_etat, 0);
	sp_csv_set(rec, SP_F_LEGAL_FORM, r, p->c_catjur, 0);
	size_t n;
	const char *s = col(r, p->c_sigle, &n);
	sp_record_append(rec, SP_F_OTHER_NAMES, s, n);
	for (int i = 0; i < 3; i++) {
		s = col(r, p->c_usuelle[i], &n);
		sp_record_append(rec, SP_F_OTHER_NAMES, s, n);
	}
	sp_csv_set(rec, SP_F_CODES, r, p->c_naf, 0);
	if (rec->f[SP_F_CODES].len) {
		const char *sys = "naf2";
		s = col(r, p->c_nomencl, &n);
		if (n == 7 && !strncasecmp(s, "NAFRev1", 7))
			sys = "naf1";
		else if (n == 7 && !strncasecmp(s, "NAF1993", 7))
			sys = "naf1993";
		else if (n == 3 && !strncasecmp(s, "NAP", 3))
			sys = "nap";
		sp_record_sets(rec, SP_F_CODE_SYSTEM, sys);
	}
	sp_record_sets(rec, SP_F_COUNTRY, p->country);
	return SP_OK;
}

const sp_connector sp_connector_sirene = {
	.format = "sirene",
	.open = si_open,
	.next = si_next,
	.close = si_close,
	.keys = si_keys,
	.note = si_note,
};
