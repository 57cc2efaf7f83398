/*
 * display.h — how the report shows a startup's name and website (the database keeps them as the
 * sources gave them: `sparker entity show` prints the raw values).
 *
 * sp_display_name(): a name written all in capitals (as registries do: "TANEX TECHNOLOGIES LTD")
 * in title case ("Tanex Technologies Ltd"), keeping acronyms (legal forms such as SAS, GmbH, BV,
 * words without a vowel such as "BMW", two-letter words not in a short list of particles) and
 * letters after a digit or an apostrophe as they are. A name with any lower-case letter is left
 * as it is (its owner chose that case). UTF-8 aware (utf8proc): "MÖTOEK" -> "Mötoek".
 *
 * sp_display_website(): the website without scheme, "www.", tracking parameters (utm_*, gclid,
 * fbclid, msclkid, mc_cid, mc_eid, _ga, ref, yclid, igshid), an empty query or fragment, and a
 * trailing "/": "https://www.domal.fr/?utm_source=x" -> "domal.fr". The one place this rule lives:
 * the report (PDF, CSV companion, HTML summary) calls it at display; the golden record keeps the
 * source's URL.
 *
 * Both return a string the caller frees; NULL gives "".
 */
#ifndef SP_DISPLAY_H
#define SP_DISPLAY_H

char *sp_display_name(const char *raw);
char *sp_display_website(const char *url);

#endif
