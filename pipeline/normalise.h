/*
 * normalise.h — pure functions that turn the raw fields of a record into match keys.
 *
 * What it does (no I/O, no database, no global state besides read-only tables):
 *   - names: Unicode NFKC + case fold + accents stripped (utf8proc); a legal form at the end of
 *     the name ("SAS", "GmbH & Co. KG", "UG (haftungsbeschränkt)", "Pvt. Ltd.", "B.V." ...) is set
 *     aside; "&"/"and"/"et"/"und" fold to "and"; punctuation and spacing fold to one space;
 *     dotted initials join ("S.A.S." -> "sas"); apostrophes vanish ("Morton's" -> "mortons");
 *     abbreviations fold (Technologies/Technology/Tech -> "tech", International/Intl -> "intl").
 *     Short, ambiguous legal forms (SA, AS, AB, AG, NV, BV, KK, Oy, SL, SE, Co ...) are set aside
 *     only when the record's country uses them or is unknown; a name is never reduced to nothing.
 *   - countries: ISO 3166-1 alpha-2 from alpha-2, alpha-3, English and native names.
 *   - dates are not here: the normalise stage reads them with the one date parser that the
 *     pushdown filter and the connectors use too (core/date.h, sp_date_parse).
 *   - websites: the registrable domain (libpsl); shared hosts (linkedin.com, facebook.com,
 *     medium.com, github.io, wixsite.com, twitter.com, crunchbase.com ...) give NULL.
 *   - activity codes: UK SIC 2007 ("62012 - Business ..."), NAF rev.2 ("62.01Z"), NACE rev.2
 *     ("J62.01", "6201") -> NACE class "62.01".
 *
 * Ownership: functions returning char * return malloc'd strings the caller frees (NULL = no
 * value). Functions writing into caller buffers say how big the buffer must be.
 * Failure: none; input that cannot be normalised gives an empty/NULL value.
 */
#ifndef SP_NORMALISE_H
#define SP_NORMALISE_H

#include "core/common.h"

/* Generic fold: NFKC, casefold, marks stripped; every run of non letter/digit -> one space,
 * trimmed. NULL gives "". Caller frees. */
char *sp_norm_fold(const char *s);

typedef struct sp_name {
	char *display;    /* the name as given, legal form removed, trimmed */
	char *key;        /* match key: folded, legal form removed, abbreviations folded */
	char *legal_form; /* canonical folded legal form ("sas", "gmbh and co kg") or NULL */
} sp_name;

/* country: ISO alpha-2 or NULL (used for ambiguous legal forms). */
void sp_norm_name(const char *raw, const char *country, sp_name *out);
void sp_name_release(sp_name *n);

/* City match key: folded, with native/variant names mapped to one name ("München" -> "munich",
 * "Lisboa" -> "lisbon", "Bangalore" -> "bengaluru"); NULL when empty. Caller frees. */
char *sp_norm_city(const char *raw);

/*
 * A location written as one string, "Palo Alto, California, United States" or "Paris, France":
 * the city key of its first part (as sp_norm_city), and in *country the country its last part
 * names (static alpha-2) or NULL. A string without a comma is just a city. Caller frees.
 */
char *sp_norm_location(const char *raw, const char **country);

/* The country of a city key (from sp_norm_city) when the city names one country unambiguously
 * (a table of startup hubs; "cambridge", "london", "paris" are absent), else NULL. */
const char *sp_norm_city_country(const char *city_key);

/* ISO 3166-1 alpha-2 (static string) or NULL. */
const char *sp_norm_country(const char *raw);

/* Registrable domain, lower case; NULL for empty, unparsable or shared hosts. Caller frees. */
char *sp_norm_domain(const char *url);
/* 1 when host (or its registrable domain) is a shared host that does not identify a company. */
int sp_norm_shared_host(const char *host);

/* One activity code -> NACE class "NN.NN" into out (>= 6 bytes); 1 on success. system may be
 * NULL/"" (guessed from the shape), "sic2007", "naf2" or "nace2". */
int sp_norm_code(const char *code, const char *system, char *out, size_t n);
/* ';'-separated codes -> ';'-separated distinct NACE classes in input order, or NULL. */
char *sp_norm_codes(const char *codes, const char *system);

/* Status text -> 1 active, 0 inactive (dissolved, closed, ceased, liquidation ...), -1 unknown. */
int sp_norm_active(const char *status);

/* Registry key "CC:NUMBER" (GB numbers padded to 8, FR SIREN 9 digits from a SIREN or SIRET),
 * or NULL. */
char *sp_norm_regnum(const char *regnum, const char *country);
/* GLEIF registration-authority link as a registry key: RA000585 -> GB, RA000189 -> FR; NULL
 * for other authorities. */
char *sp_norm_ra_key(const char *ra_id, const char *ra_entity_id);
/* LEI upper case, 20 alphanumerics, or NULL. */
char *sp_norm_lei(const char *lei);

#endif
