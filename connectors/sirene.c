/*
 * sirene.c — INSEE SIRENE, every layout INSEE has shipped (format = sirene).
 *
 * What it does: reads a SIRENE CSV (zip, gzip or plain; columns found by header name), tells its
 * layout from the header, and yields ONE RECORD PER COMPANY (per SIREN), whatever the layout:
 *   StockUniteLegale (v3, 2019-): one row per legal unit, mapped as it is;
 *   StockEtablissement (v3, also the geo-enriched variant with longitude, geo_adresse ...): one
 *     row per establishment; a record per SIREN from its head office row (etablissementSiege);
 *   the v2 stock (NOMEN_LONG, L1_NORMALISEE ..., one row per establishment with the company's
 *     columns repeated) and geo-sirene, the v2 daily patch (the same plus update-type columns
 *     VMAJ, EVE, DATEVE ...): a record per SIREN from its head office row (SIEGE = 1).
 * A user deduplicating companies wants one company per SIREN, not one per establishment: so for
 * an establishments-level file, the rows of one SIREN (consecutive: INSEE sorts by SIRET) give one
 * record, from the best row: a v3 file prefers the head office, then an active establishment; a
 * v2 file prefers a row that is not a before-image (VMAJ I) or a deletion (VMAJ E), then the head
 * office; ties go to the first row. A SIREN whose head office is not in the file (a v2 patch
 * lists only what changed) is named from its best other row.
 *
 * The pair: the monthly product is two files, legal units (names, legal form, creation, activity,
 * state) and establishments (addresses). A source with `establishments_url` is fetched as a pair
 * (fetch.c; the snapshot is a manifest naming both files, rawstore.h) and read here as a MERGE
 * JOIN on SIREN: both files are streamed once, side by side, in INSEE's order (legal units by
 * siren, establishments by siret), and each legal unit gets its head office's city and postcode
 * (the establishment whose nic is nicSiegeUniteLegale, else the one flagged etablissementSiege).
 * Memory holds one row of each file, never a file. Counted and shown in the note: legal units
 * without a head office in the establishments file (no city then), establishments without a
 * legal unit (skipped).
 *
 * Fields:
 *   key, regnum = siren; country = FR (or the source's `country`);
 *   v3 legal units: name = denominationUniteLegale, or for sole traders "prenomUsuelUniteLegale|
 *     prenom1UniteLegale nomUsageUniteLegale|nomUniteLegale"; other_names = sigleUniteLegale,
 *     denominationUsuelle1..3UniteLegale; founded = dateCreationUniteLegale; status =
 *     etatAdministratifUniteLegale (A active, C ceased); legal_form = categorieJuridiqueUniteLegale
 *     (INSEE code, e.g. 5710); codes = activitePrincipaleUniteLegale ("62.01Z") with code_system
 *     naf2 (NAFRev2 or no nomenclature column), naf1 (NAFRev1), naf1993, nap (NAP);
 *   v3 establishments: city = libelleCommuneEtablissement (abroad: libelleCommuneEtranger...),
 *     postcode = codePostalEtablissement; alone (no legal units) also name =
 *     denominationUsuelleEtablissement | enseigne1..3Etablissement, else the SIREN itself (an
 *     establishments file carries no company name: configure the pair for names), founded =
 *     dateCreationEtablissement, status = etatAdministratifEtablissement (A, F closed), codes =
 *     activitePrincipaleEtablissement;
 *   v2: name = "PRENOM NOM" for a person, else NOMEN_LONG; other_names = SIGLE; founded = DCREN
 *     (YYYYMMDD -> ISO); status A (F for a VMAJ E deletion); legal_form = NJ; codes = APEN700
 *     ("6420Z" -> "64.20Z", naf2); city = LIBCOM; postcode = CODPOS.
 *   No street address: the record has no such field.
 *
 * Refused (SP_EFORMAT at open, so the parse stage holds the snapshot as unreadable and names why):
 * a header that is no SIRENE layout; a v3 header lacking any column of the layout as INSEE
 * documents it since 2019 ("missing column nic"; more columns are fine): its rows would be read
 * shifted; a pair whose files are not legal units + establishments. Refused while reading: a file
 * that relies on order (an establishments-level file, either file of a pair) out of INSEE's order
 * ("not sorted"): grouping or joining it would silently mis-assign rows.
 * Rejects: "bad column count" (a shifted row), "missing key", "duplicate siren" (a pair's legal
 * units), "establishments: ..." (a row of a pair's establishments file), and the reader's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"
#include "connectors/csv_reader.h"
#include "connectors/rawstore.h"

typedef enum { SI_UL, SI_ETAB, SI_V2 } si_layout;
static const char *const layout_names[] = { "StockUniteLegale", "StockEtablissement", "SIRENE v2" };

/* The columns read, by meaning; each layout names them its own way (col_names). */
enum {
	C_SIREN, C_NIC, C_CREATED, C_NAME, C_PRENOM_U, C_PRENOM1, C_NOM, C_NOM_USAGE, C_SIGLE, C_USUELLE1,
	C_USUELLE2, C_USUELLE3, C_ETAT, C_NAF, C_NOMENCL, C_CATJUR, C_NICSIEGE, C_SIEGE, C_CITY, C_CITY_ABROAD,
	C_POSTCODE, C_ENSEIGNE1, C_ENSEIGNE2, C_ENSEIGNE3, C_VMAJ, C__COUNT
};

static const struct {
	si_layout layout;
	int col;
	const char *name;
} col_names[] = {
	{ SI_UL, C_SIREN, "siren" }, { SI_UL, C_CREATED, "dateCreationUniteLegale" },
	{ SI_UL, C_NAME, "denominationUniteLegale" }, { SI_UL, C_PRENOM_U, "prenomUsuelUniteLegale" },
	{ SI_UL, C_PRENOM1, "prenom1UniteLegale" }, { SI_UL, C_NOM, "nomUniteLegale" },
	{ SI_UL, C_NOM_USAGE, "nomUsageUniteLegale" }, { SI_UL, C_SIGLE, "sigleUniteLegale" },
	{ SI_UL, C_USUELLE1, "denominationUsuelle1UniteLegale" }, { SI_UL, C_USUELLE2, "denominationUsuelle2UniteLegale" },
	{ SI_UL, C_USUELLE3, "denominationUsuelle3UniteLegale" }, { SI_UL, C_ETAT, "etatAdministratifUniteLegale" },
	{ SI_UL, C_NAF, "activitePrincipaleUniteLegale" }, { SI_UL, C_NOMENCL, "nomenclatureActivitePrincipaleUniteLegale" },
	{ SI_UL, C_CATJUR, "categorieJuridiqueUniteLegale" }, { SI_UL, C_NICSIEGE, "nicSiegeUniteLegale" },
	{ SI_ETAB, C_SIREN, "siren" }, { SI_ETAB, C_NIC, "nic" }, { SI_ETAB, C_CREATED, "dateCreationEtablissement" },
	{ SI_ETAB, C_NAME, "denominationUsuelleEtablissement" }, { SI_ETAB, C_ETAT, "etatAdministratifEtablissement" },
	{ SI_ETAB, C_NAF, "activitePrincipaleEtablissement" },
	{ SI_ETAB, C_NOMENCL, "nomenclatureActivitePrincipaleEtablissement" },
	{ SI_ETAB, C_SIEGE, "etablissementSiege" }, { SI_ETAB, C_CITY, "libelleCommuneEtablissement" },
	{ SI_ETAB, C_CITY_ABROAD, "libelleCommuneEtrangerEtablissement" },
	{ SI_ETAB, C_POSTCODE, "codePostalEtablissement" }, { SI_ETAB, C_ENSEIGNE1, "enseigne1Etablissement" },
	{ SI_ETAB, C_ENSEIGNE2, "enseigne2Etablissement" }, { SI_ETAB, C_ENSEIGNE3, "enseigne3Etablissement" },
	{ SI_V2, C_SIREN, "SIREN" }, { SI_V2, C_NIC, "NIC" }, { SI_V2, C_CREATED, "DCREN" },
	{ SI_V2, C_NAME, "NOMEN_LONG" }, { SI_V2, C_PRENOM1, "PRENOM" }, { SI_V2, C_NOM, "NOM" },
	{ SI_V2, C_SIGLE, "SIGLE" }, { SI_V2, C_NAF, "APEN700" }, { SI_V2, C_CATJUR, "NJ" },
	{ SI_V2, C_NICSIEGE, "NICSIEGE" }, { SI_V2, C_SIEGE, "SIEGE" }, { SI_V2, C_CITY, "LIBCOM" },
	{ SI_V2, C_POSTCODE, "CODPOS" }, { SI_V2, C_ENSEIGNE1, "ENSEIGNE" }, { SI_V2, C_VMAJ, "VMAJ" },
};

/* The columns a header must have, per layout: v3 as INSEE documents them since 2019 (newer
 * columns may come in addition); v2: those read here (VMAJ only in update files). */
static const char *const required[] = {
	[SI_UL] = "siren statutDiffusionUniteLegale unitePurgeeUniteLegale dateCreationUniteLegale sigleUniteLegale "
		  "sexeUniteLegale prenom1UniteLegale prenom2UniteLegale prenom3UniteLegale prenom4UniteLegale "
		  "prenomUsuelUniteLegale pseudonymeUniteLegale identifiantAssociationUniteLegale "
		  "trancheEffectifsUniteLegale anneeEffectifsUniteLegale dateDernierTraitementUniteLegale "
		  "nombrePeriodesUniteLegale categorieEntreprise anneeCategorieEntreprise dateDebut "
		  "etatAdministratifUniteLegale nomUniteLegale nomUsageUniteLegale denominationUniteLegale "
		  "denominationUsuelle1UniteLegale denominationUsuelle2UniteLegale denominationUsuelle3UniteLegale "
		  "categorieJuridiqueUniteLegale activitePrincipaleUniteLegale nomenclatureActivitePrincipaleUniteLegale "
		  "nicSiegeUniteLegale economieSocialeSolidaireUniteLegale caractereEmployeurUniteLegale",
	[SI_ETAB] = "siren nic siret statutDiffusionEtablissement dateCreationEtablissement trancheEffectifsEtablissement "
		    "anneeEffectifsEtablissement activitePrincipaleRegistreMetiersEtablissement "
		    "dateDernierTraitementEtablissement etablissementSiege nombrePeriodesEtablissement "
		    "complementAdresseEtablissement numeroVoieEtablissement indiceRepetitionEtablissement "
		    "typeVoieEtablissement libelleVoieEtablissement codePostalEtablissement libelleCommuneEtablissement "
		    "libelleCommuneEtrangerEtablissement distributionSpecialeEtablissement codeCommuneEtablissement "
		    "codeCedexEtablissement libelleCedexEtablissement codePaysEtrangerEtablissement "
		    "libellePaysEtrangerEtablissement complementAdresse2Etablissement numeroVoie2Etablissement "
		    "indiceRepetition2Etablissement typeVoie2Etablissement libelleVoie2Etablissement codePostal2Etablissement "
		    "libelleCommune2Etablissement libelleCommuneEtranger2Etablissement distributionSpeciale2Etablissement "
		    "codeCommune2Etablissement codeCedex2Etablissement libelleCedex2Etablissement codePaysEtranger2Etablissement "
		    "libellePaysEtranger2Etablissement dateDebut etatAdministratifEtablissement enseigne1Etablissement "
		    "enseigne2Etablissement enseigne3Etablissement denominationUsuelleEtablissement "
		    "activitePrincipaleEtablissement nomenclatureActivitePrincipaleEtablissement "
		    "caractereEmployeurEtablissement",
	[SI_V2] = "SIREN NIC NOMEN_LONG NOM PRENOM SIGLE SIEGE CODPOS LIBCOM APEN700 NJ DCREN",
};

/* One CSV file of the source: its reader, layout and columns, and the order check's last SIREN. */
typedef struct si_file {
	sp_csv *csv;
	char delim;
	int ncols;
	si_layout layout;
	int c[C__COUNT];
	const char *role;  /* "legal units", "establishments", "file": for messages */
	char last[16];     /* the last SIREN read (order check) */
	long last_line;
} si_file;

struct sp_parser {
	si_file a;          /* the file; in a pair, the legal units */
	si_file e;          /* a pair's establishments (e.csv NULL otherwise) */
	char country[8];
	/* an establishments-level file alone: the best row so far of the current SIREN */
	sp_record held, cur;
	int have_held, held_rank;
	/* the join: the establishments row read ahead (valid until e's next read) */
	sp_csv_row *erow;
	int e_eof, pending, hq_rank;
	char nic_siege[16];
	long no_hq, orphans;
	sp_buf note;
};

/* establishments_url: the pair's second file (read by fetch.c, which fetches both) */
const sp_config_key sp_sirene_keys[] = {
	{ "source *", "establishments_url", SP_KEY_STRING, .flags = 0 },
	{ 0 },
};
static const sp_config_key *const si_keys[] = { sp_csv_source_keys, sp_sirene_keys, NULL };

/* ---- the header ------------------------------------------------------------------------------ */

static int has_suffix(const sp_csv_row *h, const char *suffix)
{
	size_t sl = strlen(suffix);
	for (int i = 0; i < h->n; i++)
		if (h->len[i] > sl && !strncasecmp(h->f[i] + h->len[i] - sl, suffix, sl))
			return 1;
	return 0;
}

static int detect(const sp_csv_row *h, si_layout *out)
{
	if (sp_csv_col(h, "NOMEN_LONG") >= 0 || sp_csv_col(h, "L1_NORMALISEE") >= 0)
		*out = SI_V2;
	else if (sp_csv_col(h, "siret") >= 0 || has_suffix(h, "Etablissement"))
		*out = SI_ETAB;
	else if (has_suffix(h, "UniteLegale"))
		*out = SI_UL;
	else
		return 0;
	return 1;
}

/* The required columns the header lacks, space-separated, into miss; how many. */
static int missing_columns(const sp_csv_row *h, si_layout l, sp_buf *miss, int *total)
{
	int n = 0;
	*total = 0;
	for (const char *s = required[l]; *s;) {
		size_t k = strcspn(s, " ");
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)k, s);
		(*total)++;
		if (sp_csv_col(h, name) < 0) {
			sp_buf_addf(miss, "%s%s", n++ ? ", " : "", name);
		}
		s += k;
		s += *s == ' ';
	}
	return n;
}

/* Open path as one SIRENE file: layout, columns, the checks above. in_order: rows in file order. */
static int file_open(si_file *f, const sp_config *cfg, const sp_source *src, const char *path, int in_order,
		     sp_err *err)
{
	sp_csv_row *h;
	int rc = in_order ? sp_csv_open_source_in_order(cfg, src, path, &f->csv, &h, &f->delim, err)
			  : sp_csv_open_source(cfg, src, path, &f->csv, &h, &f->delim, err);
	if (rc < 0)
		return rc;
	if (!detect(h, &f->layout))
		return sp_err_set(err, SP_EFORMAT, "%s: not a SIRENE file: the header has none of siren + "
				  "...UniteLegale (StockUniteLegale), ...Etablissement (StockEtablissement), "
				  "NOMEN_LONG (v2)", path);
	sp_buf miss = SP_BUF_INIT;
	int total, n = missing_columns(h, f->layout, &miss, &total);
	if (n) {
		rc = sp_err_set(err, SP_EFORMAT, "%s: %s header: missing column%s %s (%d of the %d columns of the "
				"layout; rows would be read shifted): file refused", path, layout_names[f->layout],
				n > 1 ? "s" : "", miss.buf, total - n, total);
		sp_buf_release(&miss);
		return rc;
	}
	f->ncols = h->n;
	for (int i = 0; i < C__COUNT; i++)
		f->c[i] = -1;
	for (size_t i = 0; i < SP_ARRAY_LEN(col_names); i++)
		if (col_names[i].layout == f->layout)
			f->c[col_names[i].col] = sp_csv_col(h, col_names[i].name);
	if (!in_order && f->layout != SI_UL) { /* grouping by SIREN needs the rows in file order */
		sp_csv_close(f->csv);
		f->csv = NULL;
		return file_open(f, cfg, src, path, 1, err);
	}
	return SP_OK;
}

/* ---- rows to fields -------------------------------------------------------------------------- */

static const char *cv(const si_file *f, const sp_csv_row *r, int c, size_t *n)
{
	int i = f->c[c];
	if (i < 0 || i >= r->n) {
		*n = 0;
		return "";
	}
	*n = r->len[i];
	return r->f[i];
}

static int is(const si_file *f, const sp_csv_row *r, int c, const char *v)
{
	size_t n;
	const char *s = cv(f, r, c, &n);
	return n == strlen(v) && !strncasecmp(s, v, n);
}

static void set(sp_record *rec, sp_field fld, const si_file *f, const sp_csv_row *r, int c)
{
	size_t n;
	const char *s = cv(f, r, c, &n);
	sp_record_set(rec, fld, s, n);
}

static void set_codes(sp_record *rec, const si_file *f, const sp_csv_row *r)
{
	size_t n, m;
	const char *s = cv(f, r, C_NAF, &n);
	if (!n)
		return;
	if (f->layout == SI_V2 && n == 5) { /* "6420Z" -> "64.20Z", as v3 writes it */
		char code[8];
		snprintf(code, sizeof(code), "%.2s.%.3s", s, s + 2);
		sp_record_sets(rec, SP_F_CODES, code);
	} else {
		sp_record_set(rec, SP_F_CODES, s, n);
	}
	const char *sys = "naf2";
	s = cv(f, r, C_NOMENCL, &m);
	if (m == 7 && !strncasecmp(s, "NAFRev1", 7))
		sys = "naf1";
	else if (m == 7 && !strncasecmp(s, "NAF1993", 7))
		sys = "naf1993";
	else if (m == 3 && !strncasecmp(s, "NAP", 3))
		sys = "nap";
	sp_record_sets(rec, SP_F_CODE_SYSTEM, sys);
}

/* "first last" from the person columns (first may be empty), into the name; nothing without last. */
static void person_name(sp_record *rec, const char *first, size_t n1, const char *last, size_t n2)
{
	if (!n2)
		return;
	sp_buf *b = &rec->f[SP_F_NAME];
	sp_buf_reset(b);
	if (n1) {
		sp_buf_add(b, first, n1);
		sp_buf_addc(b, ' ');
	}
	sp_buf_add(b, last, n2);
}

static void map_ul(const si_file *f, const sp_csv_row *r, sp_record *rec)
{
	set(rec, SP_F_NAME, f, r, C_NAME);
	if (!rec->f[SP_F_NAME].len) { /* a sole trader */
		size_t n1, n2;
		const char *first = cv(f, r, C_PRENOM_U, &n1);
		if (!n1)
			first = cv(f, r, C_PRENOM1, &n1);
		const char *last = cv(f, r, C_NOM_USAGE, &n2);
		if (!n2)
			last = cv(f, r, C_NOM, &n2);
		person_name(rec, first, n1, last, n2);
	}
	set(rec, SP_F_FOUNDED, f, r, C_CREATED);
	set(rec, SP_F_STATUS, f, r, C_ETAT);
	set(rec, SP_F_LEGAL_FORM, f, r, C_CATJUR);
	static const int other[] = { C_SIGLE, C_USUELLE1, C_USUELLE2, C_USUELLE3 };
	for (size_t i = 0; i < SP_ARRAY_LEN(other); i++) {
		size_t n;
		const char *s = cv(f, r, other[i], &n);
		sp_record_append(rec, SP_F_OTHER_NAMES, s, n);
	}
	set_codes(rec, f, r);
}

/* City and postcode of an establishment row (v3 or v2). */
static void set_location(sp_record *rec, const si_file *f, const sp_csv_row *r)
{
	set(rec, SP_F_CITY, f, r, C_CITY);
	if (!rec->f[SP_F_CITY].len)
		set(rec, SP_F_CITY, f, r, C_CITY_ABROAD);
	set(rec, SP_F_POSTCODE, f, r, C_POSTCODE);
}

static void map_etab(const si_file *f, const sp_csv_row *r, sp_record *rec)
{
	static const int names[] = { C_NAME, C_ENSEIGNE1, C_ENSEIGNE2, C_ENSEIGNE3 };
	for (size_t i = 0; i < SP_ARRAY_LEN(names) && !rec->f[SP_F_NAME].len; i++)
		set(rec, SP_F_NAME, f, r, names[i]);
	if (!rec->f[SP_F_NAME].len) /* the company's name is in the legal units file */
		sp_record_set(rec, SP_F_NAME, rec->f[SP_F_KEY].buf, rec->f[SP_F_KEY].len);
	set(rec, SP_F_FOUNDED, f, r, C_CREATED);
	set(rec, SP_F_STATUS, f, r, C_ETAT);
	set_codes(rec, f, r);
	set_location(rec, f, r);
}

static void map_v2(const si_file *f, const sp_csv_row *r, sp_record *rec)
{
	size_t n1, n2, n;
	const char *first = cv(f, r, C_PRENOM1, &n1), *last = cv(f, r, C_NOM, &n2);
	person_name(rec, first, n1, last, n2);
	if (!rec->f[SP_F_NAME].len)
		set(rec, SP_F_NAME, f, r, C_NAME);
	const char *s = cv(f, r, C_SIGLE, &n);
	sp_record_append(rec, SP_F_OTHER_NAMES, s, n);
	s = cv(f, r, C_CREATED, &n);
	if (n == 8 && strspn(s, "0123456789") == 8) {
		char iso[16];
		snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", s, s + 4, s + 6);
		sp_record_sets(rec, SP_F_FOUNDED, iso);
	}
	sp_record_sets(rec, SP_F_STATUS, is(f, r, C_VMAJ, "E") ? "F" : "A");
	set(rec, SP_F_LEGAL_FORM, f, r, C_CATJUR);
	set_codes(rec, f, r);
	set_location(rec, f, r);
}

/* How good a row of an establishments-level file is to stand for its SIREN (see the top). */
static int row_rank(const si_file *f, const sp_csv_row *r)
{
	if (f->layout == SI_V2)
		return 4 * !(is(f, r, C_VMAJ, "I") || is(f, r, C_VMAJ, "E")) + 2 * is(f, r, C_SIEGE, "1");
	return 4 * is(f, r, C_SIEGE, "true") + 2 * is(f, r, C_ETAT, "A");
}

/* ---- reading in order ------------------------------------------------------------------------ */

static int not_sorted(const si_file *f, const sp_csv_row *r, const char *siren, sp_err *err)
{
	return sp_err_set(err, SP_EFORMAT, "%s: line %ld: siren %s comes after %s (line %ld): the file is not in "
			  "INSEE's order (legal units by siren, establishments by siret), which reading it one company "
			  "at a time needs: sort it and fetch it again", f->role, r->line, siren, f->last, f->last_line);
}

/* Check the row's SIREN against the last one (strict: it must grow) and remember it. 1 = equal
 * (and not strict), 0 = grew, < 0 = out of order (err set). */
static int order_check(si_file *f, const sp_csv_row *r, const char *siren, size_t n, int strict, sp_err *err)
{
	char s[16];
	snprintf(s, sizeof(s), "%.*s", (int)(n < 15 ? n : 15), siren);
	int cmp = f->last[0] ? strcmp(s, f->last) : 1;
	if (cmp < 0 || (strict && cmp == 0))
		return cmp < 0 ? not_sorted(f, r, s, err) : 1;
	snprintf(f->last, sizeof(f->last), "%s", s);
	f->last_line = r->line;
	return cmp == 0;
}

/* The next row of f mapped into rec (SP_OK, rec's key set), a reject, SP_EOF or an error. */
static int read_mapped(sp_parser *p, si_file *f, sp_record *rec, sp_csv_row **row, sp_err *err)
{
	sp_csv_row *r;
	int rc = sp_csv_next_record(f->csv, f->ncols, f->delim, rec, &r, err);
	if (rc != SP_OK)
		return rc;
	set(rec, SP_F_KEY, f, r, C_SIREN);
	if (!rec->f[SP_F_KEY].len)
		return sp_csv_reject(r, f->delim, rec, "missing key");
	sp_record_set(rec, SP_F_REGNUM, rec->f[SP_F_KEY].buf, rec->f[SP_F_KEY].len);
	if (f->layout == SI_UL)
		map_ul(f, r, rec);
	else if (f->layout == SI_ETAB)
		map_etab(f, r, rec);
	else
		map_v2(f, r, rec);
	sp_record_sets(rec, SP_F_COUNTRY, p->country);
	*row = r;
	return SP_OK;
}

static void swap(sp_record *a, sp_record *b)
{
	sp_record t = *a;
	*a = *b;
	*b = t;
}

/* An establishments-level file alone: one record per SIREN, from its best row. */
static int next_grouped(sp_parser *p, sp_record *rec, sp_err *err)
{
	for (;;) {
		sp_csv_row *r;
		int rc = read_mapped(p, &p->a, &p->cur, &r, err);
		if (rc == SP_REJECT)
			swap(rec, &p->cur);
		if (rc == SP_EOF && p->have_held) {
			p->have_held = 0;
			swap(rec, &p->held);
			return SP_OK;
		}
		if (rc != SP_OK)
			return rc;
		int same = order_check(&p->a, r, p->cur.f[SP_F_KEY].buf, p->cur.f[SP_F_KEY].len, 0, err);
		if (same < 0)
			return same;
		int rank = row_rank(&p->a, r);
		if (same) {
			if (rank > p->held_rank) {
				swap(&p->held, &p->cur);
				p->held_rank = rank;
			}
			continue;
		}
		int out = p->have_held;
		if (out)
			swap(rec, &p->held);
		swap(&p->held, &p->cur);
		p->have_held = 1;
		p->held_rank = rank;
		if (out)
			return SP_OK;
	}
}

/* ---- the pair: a merge join on SIREN ----------------------------------------------------------- */

/* A row of the establishments file as a reject of the source. */
static int etab_reject(sp_parser *p, const sp_csv_row *r, sp_record *rec, const char *why)
{
	char reason[96];
	snprintf(reason, sizeof(reason), "establishments: %s", why);
	return sp_csv_reject(r, p->e.delim, rec, reason);
}

/* Make p->erow the next establishments row (or set e_eof). SP_OK, a reject in rec, or an error. */
static int etab_ahead(sp_parser *p, sp_record *rec, sp_err *err)
{
	if (p->erow || p->e_eof)
		return SP_OK;
	sp_csv_row *r;
	int rc = sp_csv_next(p->e.csv, &r, err);
	if (rc == SP_EOF) {
		p->e_eof = 1;
		return SP_OK;
	}
	if (rc < 0)
		return rc;
	if (rc == SP_REJECT)
		return etab_reject(p, r, rec, r->reject);
	if (r->n != p->e.ncols)
		return etab_reject(p, r, rec, "bad column count");
	size_t n;
	const char *siren = cv(&p->e, r, C_SIREN, &n);
	if (!n)
		return etab_reject(p, r, rec, "missing key");
	if ((rc = order_check(&p->e, r, siren, n, 0, err)) < 0)
		return rc;
	p->erow = r;
	return SP_OK;
}

/* The establishment ahead belongs to the legal unit in p->cur: take its place when it is the head
 * office (its nic is nicSiegeUniteLegale: best; flagged etablissementSiege: next best). */
static void consider_head_office(sp_parser *p)
{
	size_t n;
	const char *nic = cv(&p->e, p->erow, C_NIC, &n);
	int rank = n && n == strlen(p->nic_siege) && !strncmp(nic, p->nic_siege, n) ? 2
		   : is(&p->e, p->erow, C_SIEGE, "true")                        ? 1
										: 0;
	if (rank > p->hq_rank) {
		set_location(&p->cur, &p->e, p->erow);
		p->hq_rank = rank;
	}
}

/* A legal unit and its establishments (the pair's next()); see the top. */
static int next_joined(sp_parser *p, sp_record *rec, sp_err *err)
{
	int rc;
	if (!p->pending) {
		sp_csv_row *r;
		rc = read_mapped(p, &p->a, &p->cur, &r, err);
		if (rc == SP_REJECT) {
			swap(rec, &p->cur);
			return rc;
		}
		if (rc == SP_EOF) { /* what is left of the establishments has no legal unit */
			while ((rc = etab_ahead(p, rec, err)) == SP_OK && !p->e_eof) {
				p->orphans++;
				p->erow = NULL;
			}
			return rc == SP_OK ? SP_EOF : rc;
		}
		if (rc < 0)
			return rc;
		int same = order_check(&p->a, r, p->cur.f[SP_F_KEY].buf, p->cur.f[SP_F_KEY].len, 1, err);
		if (same < 0)
			return same;
		if (same)
			return sp_csv_reject(r, p->a.delim, rec, "duplicate siren");
		size_t n;
		const char *nic = cv(&p->a, r, C_NICSIEGE, &n);
		snprintf(p->nic_siege, sizeof(p->nic_siege), "%.*s", (int)(n < 15 ? n : 15), nic);
		p->pending = 1;
		p->hq_rank = 0;
	}
	while ((rc = etab_ahead(p, rec, err)) == SP_OK && !p->e_eof) {
		size_t n;
		const char *siren = cv(&p->e, p->erow, C_SIREN, &n);
		const sp_buf *key = &p->cur.f[SP_F_KEY];
		int cmp = strncmp(siren, key->buf, n < key->len ? n : key->len);
		if (!cmp)
			cmp = (n > key->len) - (n < key->len);
		if (cmp > 0)
			break; /* a later legal unit's: stays ahead */
		if (cmp < 0)
			p->orphans++;
		else
			consider_head_office(p);
		p->erow = NULL;
	}
	if (rc != SP_OK)
		return rc; /* a reject of an establishments row (the legal unit stays pending) or an error */
	p->no_hq += !p->hq_rank;
	p->pending = 0;
	swap(rec, &p->cur);
	return SP_OK;
}

/* ---- the connector --------------------------------------------------------------------------- */

static const char *si_note(sp_parser *p)
{
	const char *n = sp_csv_note(p->a.csv);
	if (!p->e.csv)
		return n;
	sp_buf_reset(&p->note);
	sp_buf_addf(&p->note, "join: %ld legal units without a head office in the establishments file, %ld "
		    "establishments without a legal unit", p->no_hq, p->orphans);
	if (n)
		sp_buf_addf(&p->note, "; legal units %s", n);
	if ((n = sp_csv_note(p->e.csv)))
		sp_buf_addf(&p->note, "; establishments %s", n);
	return p->note.buf;
}

static void si_close(sp_parser *p)
{
	if (!p)
		return;
	sp_csv_close(p->a.csv);
	sp_csv_close(p->e.csv);
	sp_record_release(&p->held);
	sp_record_release(&p->cur);
	sp_buf_release(&p->note);
	free(p);
}

/* A pair's snapshot (a manifest): open both files and check they are what the join needs. */
static int open_pair(sp_parser *p, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err)
{
	char *ul = NULL, *et = NULL;
	p->a.role = "legal units";
	p->e.role = "establishments";
	int rc = sp_rawstore_manifest_file(path, SP_SIRENE_UNITS, &ul, err);
	if (rc == SP_OK)
		rc = sp_rawstore_manifest_file(path, SP_SIRENE_ESTABLISHMENTS, &et, err);
	if (rc == SP_OK)
		rc = file_open(&p->a, cfg, src, ul, 1, err);
	if (rc == SP_OK)
		rc = file_open(&p->e, cfg, src, et, 1, err);
	if (rc == SP_OK && (p->a.layout != SI_UL || p->e.layout != SI_ETAB))
		rc = sp_err_set(err, SP_EFORMAT, "a sirene pair needs legal units (StockUniteLegale) at url and "
				"establishments (StockEtablissement) at establishments_url, not %s and %s",
				layout_names[p->a.layout], layout_names[p->e.layout]);
	free(ul);
	free(et);
	return rc;
}

static int si_open(sp_parser **out, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err)
{
	*out = NULL;
	sp_parser *p = sp_xcalloc(1, sizeof(*p));
	sp_record_init(&p->held);
	sp_record_init(&p->cur);
	const char *cc = cfg && src ? sp_config_str(cfg, src->section, sp_parse_keys, "country") : NULL;
	snprintf(p->country, sizeof(p->country), "%s", cc && *cc ? cc : "FR"); /* a SIRENE file is French */
	int rc;
	if (sp_rawstore_is_manifest(path)) {
		rc = open_pair(p, cfg, src, path, err);
	} else {
		p->a.role = "file";
		rc = file_open(&p->a, cfg, src, path, 0, err);
	}
	if (rc < 0) {
		si_close(p);
		return rc;
	}
	*out = p;
	return SP_OK;
}

static int si_next(sp_parser *p, sp_record *rec, sp_err *err)
{
	if (p->e.csv)
		return next_joined(p, rec, err);
	if (p->a.layout != SI_UL)
		return next_grouped(p, rec, err);
	sp_csv_row *r;
	return read_mapped(p, &p->a, rec, &r, err);
}

const sp_connector sp_connector_sirene = {
	.format = "sirene",
	.open = si_open,
	.next = si_next,
	.close = si_close,
	.keys = si_keys,
	.note = si_note,
};
