/*
 * normalise.c — pure normalisation functions (see normalise.h for the contract).
 *
 * Design notes: folding has an ASCII fast path (most registry names are ASCII) and goes through
 * utf8proc only for other text. Lookup tables (countries, legal forms, abbreviations, shared
 * hosts) are static and sorted or small; nothing here allocates beyond its results.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>
#include <utf8proc.h>

#include "pipeline/normalise.h"

#include "pipeline/normalise_countries.inc"

/* ---------------------------------------------------------------- folding */

static void put_cp(sp_buf *b, utf8proc_int32_t cp)
{
	utf8proc_uint8_t tmp[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, tmp);
	sp_buf_add(b, (const char *)tmp, (size_t)n);
}

/* Append folded s to b: letters/digits kept (lower case, no marks), everything else one space. */
static void fold_into(sp_buf *b, const char *s, size_t len)
{
	int ascii = 1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80) {
			ascii = 0;
			break;
		}
	size_t start = b->len;
	int space = 1; /* pending separator state: suppress leading spaces */
	if (ascii) {
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			if (isalnum(c)) {
				if (space && b->len > start)
					sp_buf_addc(b, ' ');
				sp_buf_addc(b, (char)tolower(c));
				space = 0;
			} else
				space = 1;
		}
		sp_buf_adds(b, "");
		return;
	}
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &out,
					  UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK |
						  UTF8PROC_STABLE);
	if (n < 0) { /* invalid UTF-8: keep ASCII letters and digits only */
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 0x80 && isalnum(c)) {
				if (space && b->len > start)
					sp_buf_addc(b, ' ');
				sp_buf_addc(b, (char)tolower(c));
				space = 0;
			} else
				space = 1;
		}
		sp_buf_adds(b, "");
		return;
	}
	utf8proc_ssize_t i = 0;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(out + i, n - i, &cp);
		if (k <= 0)
			break;
		i += k;
		utf8proc_category_t cat = utf8proc_category(cp);
		int keep = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
			   (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
		if (!keep) {
			space = 1;
			continue;
		}
		if (space && b->len > start)
			sp_buf_addc(b, ' ');
		space = 0;
		switch (cp) {
		case 0x0153: sp_buf_adds(b, "oe"); break; /* œ */
		case 0x00E6: sp_buf_adds(b, "ae"); break; /* æ */
		case 0x00F8: sp_buf_addc(b, 'o'); break;  /* ø */
		case 0x0111: sp_buf_addc(b, 'd'); break;  /* đ */
		case 0x0142: sp_buf_addc(b, 'l'); break;  /* ł */
		case 0x0131: sp_buf_addc(b, 'i'); break;  /* ı */
		case 0x00FE: sp_buf_adds(b, "th"); break; /* þ */
		case 0x00F0: sp_buf_addc(b, 'd'); break;  /* ð */
		default:
			if (cp < 0x80)
				sp_buf_addc(b, (char)tolower(cp));
			else
				put_cp(b, cp);
		}
	}
	free(out);
	sp_buf_adds(b, "");
}

char *sp_norm_fold(const char *s)
{
	sp_buf b = SP_BUF_INIT;
	if (s)
		fold_into(&b, s, strlen(s));
	sp_buf_adds(&b, "");
	return sp_buf_detach(&b);
}

/* Name pre-pass: apostrophes vanish, '&' and '+' become " and ". */
static void name_prepass(sp_buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\'' || c == '`')
			continue;
		if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0x99 || (unsigned char)s[i + 2] == 0x98)) {
			i += 2; /* ’ ‘ */
			continue;
		}
		if (c == '&' || c == '+') {
			sp_buf_adds(b, " and ");
			continue;
		}
		sp_buf_addc(b, (char)c);
	}
	sp_buf_adds(b, "");
}

/* Token-level rewrites on a folded string: single letters joined ("s a s" -> "sas"), and-words
 * to "and", abbreviations; when drop_the, a leading "the" goes. Result replaces *b. */
static const struct { const char *from, *to; } abbrev[] = {
	{ "et", "and" }, { "und", "and" },
	{ "int", "intl" }, { "internacional", "intl" }, { "international", "intl" }, { "internationale", "intl" },
	{ "internationaux", "intl" }, { "internazionale", "intl" },
	{ "lab", "labs" }, { "laboratoire", "labs" }, { "laboratoires", "labs" }, { "laboratories", "labs" },
	{ "laboratory", "labs" },
	{ "mgmt", "management" },
	{ "svcs", "services" }, { "service", "services" },
	{ "sys", "systems" }, { "system", "systems" },
	{ "solution", "solutions" },
	{ "techno", "tech" }, { "technik", "tech" }, { "technologie", "tech" }, { "technologien", "tech" }, { "technologies", "tech" },
	{ "technology", "tech" }, { "technologys", "tech" }, { "techs", "tech" },
	{ "tecnologia", "tech" }, { "tecnologias", "tech" },
};

static const char *abbrev_of(const char *w, size_t n)
{
	for (size_t i = 0; i < SP_ARRAY_LEN(abbrev); i++)
		if (strlen(abbrev[i].from) == n && memcmp(abbrev[i].from, w, n) == 0)
			return abbrev[i].to;
	return NULL;
}

/* A long descriptor glued to the end of a word ("tanextechnologies"): its length, or 0. Only
 * words of six letters or more, after at least three letters, so "biotech" stays one word. */
static size_t glued_suffix(const char *w, size_t n)
{
	for (size_t i = 0; i < SP_ARRAY_LEN(abbrev); i++) {
		size_t l = strlen(abbrev[i].from);
		if (l >= 6 && n >= l + 3 && memcmp(w + n - l, abbrev[i].from, l) == 0)
			return l;
	}
	return 0;
}

static void rewrite_tokens(sp_buf *b, int map_abbrev, int drop_the)
{
	sp_buf o = SP_BUF_INIT;
	sp_buf_adds(&o, "");
	const char *p = sp_buf_str(b);
	int prev_single = 0, first = 1;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t n = (size_t)(p - w);
		int single = (n == 1 && isalpha((unsigned char)*w));
		if (first && drop_the && n == 3 && memcmp(w, "the", 3) == 0 && *p) {
			first = 0;
			continue;
		}
		first = 0;
		const char *rep = map_abbrev ? abbrev_of(w, n) : NULL;
		size_t glued = map_abbrev && !rep ? glued_suffix(w, n) : 0;
		if (glued) { /* "tanextechnologies" -> "tanex tech" */
			if (o.len)
				sp_buf_addc(&o, ' ');
			sp_buf_add(&o, w, n - glued);
			sp_buf_addc(&o, ' ');
			sp_buf_adds(&o, abbrev_of(w + n - glued, glued));
			prev_single = 0;
			continue;
		}
		if (!rep && !map_abbrev && ((n == 2 && memcmp(w, "et", 2) == 0) || (n == 3 && memcmp(w, "und", 3) == 0)))
			rep = "and";
		if (single && prev_single) {
			sp_buf_add(&o, w, n); /* join with the previous single letter */
		} else {
			if (o.len)
				sp_buf_addc(&o, ' ');
			if (rep)
				sp_buf_adds(&o, rep);
			else
				sp_buf_add(&o, w, n);
		}
		prev_single = single;
	}
	sp_buf_release(b);
	*b = o;
}

/* Fold as a name (no abbreviation mapping): used to recognise legal forms. */
static void name_fold(sp_buf *out, const char *s, size_t len, int map_abbrev)
{
	sp_buf pre = SP_BUF_INIT;
	name_prepass(&pre, s, len);
	sp_buf_reset(out);
	fold_into(out, pre.buf, pre.len);
	sp_buf_release(&pre);
	rewrite_tokens(out, map_abbrev, map_abbrev);
}

/* ---------------------------------------------------------------- legal forms */

/* countries: NULL = set aside whatever the country; else a space-separated list of alpha-2 codes
 * where the (short, ambiguous) form is a legal form. Sorted by key (binary search). */
static const struct { const char *key, *countries; } legal_forms[] = {
	{ "ab", "SE FI" }, { "ag", "DE CH AT LI LU" }, { "ag and co kg", NULL }, { "aktiengesellschaft", NULL },
	{ "and co", NULL }, { "and co kg", NULL }, { "aps", NULL }, { "as", "NO DK CZ SK EE TR" }, { "asa", "NO" },
	{ "besloten vennootschap", NULL }, { "bhd", NULL }, { "bv", "NL BE" }, { "bvba", NULL }, { "cic", NULL },
	{ "co", NULL }, { "co inc", NULL }, { "co kg", NULL }, { "co limited", NULL }, { "co ltd", NULL },
	{ "community interest company", NULL }, { "company", NULL }, { "company limited", NULL }, { "corp", NULL },
	{ "corporation", NULL }, { "cvba", NULL }, { "doo", NULL }, { "eurl", NULL }, { "ev", "DE AT" },
	{ "gbr", NULL }, { "gesellschaft mit beschrankter haftung", NULL }, { "gmbh", NULL },
	{ "gmbh and co kg", NULL }, { "gmbh and co kgaa", NULL }, { "inc", NULL }, { "incorporated", NULL },
	{ "kabushiki kaisha", NULL }, { "kft", NULL }, { "kg", "DE AT CH LI" }, { "kgaa", NULL }, { "kk", "JP" },
	{ "lda", NULL }, { "limitada", NULL }, { "limite", NULL }, { "limited", NULL },
	{ "limited liability company", NULL }, { "limited liability partnership", NULL }, { "llc", NULL },
	{ "llp", NULL }, { "lp", "US GB CA" }, { "ltd", NULL }, { "ltda", NULL }, { "ltee", NULL },
	{ "naamloze vennootschap", NULL }, { "nv", "NL BE CW SX" }, { "ohg", NULL }, { "oy", "FI" },
	{ "oyj", NULL }, { "pbc", NULL }, { "plc", NULL }, { "private limited", NULL },
	{ "private limited company", NULL }, { "pte ltd", NULL }, { "pty", NULL }, { "pty ltd", NULL },
	{ "public limited company", NULL }, { "pvt ltd", NULL },
	{ "sa", "FR BE CH LU ES PT PL AR BR MX CL CO PE UY GR MA TN" }, { "sa de cv", NULL },
	{ "sapi de cv", NULL }, { "sarl", NULL }, { "sas", NULL }, { "sasu", NULL }, { "sca", NULL },
	{ "scop", NULL }, { "scs", NULL }, { "sdn bhd", NULL },
	{ "se", "DE FR NL AT LU BE IT ES CZ FI SE DK IE PL" }, { "sl", "ES" }, { "sll", NULL }, { "slu", NULL },
	{ "snc", NULL }, { "sociedad anonima", NULL }, { "sociedad limitada", NULL },
	{ "societa a responsabilita limitata", NULL }, { "societa per azioni", NULL },
	{ "societe a responsabilite limitee", NULL }, { "societe anonyme", NULL },
	{ "societe par actions simplifiee", NULL }, { "sp zoo", NULL }, { "spa", "IT" }, { "spol sro", NULL },
	{ "sprl", NULL }, { "srl", NULL }, { "srls", NULL }, { "sro", "CZ SK" }, { "ug", "DE" },
	{ "ug haftungsbeschraenkt", NULL }, { "ug haftungsbeschrankt", NULL }, { "zrt", NULL },
};

static const char *legal_form_find(const char *key, const char *country)
{
	size_t lo = 0, hi = SP_ARRAY_LEN(legal_forms);
	while (lo < hi) {
		size_t i = (lo + hi) / 2;
		int c = strcmp(key, legal_forms[i].key);
		if (c < 0) {
			hi = i;
			continue;
		}
		if (c > 0) {
			lo = i + 1;
			continue;
		}
		const char *cs = legal_forms[i].countries;
		if (!cs || !country || !*country)
			return legal_forms[i].key;
		for (const char *p = cs; *p; p += (p[2] ? 3 : 2))
			if (p[0] == country[0] && p[1] == country[1])
				return legal_forms[i].key;
		return NULL;
	}
	return NULL;
}

/* A form with countries listed is short and ambiguous ("sa", "as", "co"...): never split off
 * a hyphenated word. */
static int legal_form_short(const char *lf)
{
	return strlen(lf) < 3 || strcmp(lf, "co") == 0;
}

/* A legal form glued in capitals to the end of a word of n bytes ("ZENZEVELIMITED"), after at
 * least three letters: where it starts in the word, or 0. Only forms that never end a word. */
static size_t glued_form(const char *w, size_t n)
{
	static const char *const g[] = { "LIMITED", "GMBH", "SARL", "LTDA", "LIMITADA" };
	for (size_t i = 0; i < SP_ARRAY_LEN(g); i++) {
		size_t l = strlen(g[i]);
		if (n >= l + 3 && memcmp(w + n - l, g[i], l) == 0 && isupper((unsigned char)w[n - l - 1]))
			return n - l;
	}
	return 0;
}

void sp_name_release(sp_name *n)
{
	if (!n)
		return;
	free(n->display);
	free(n->key);
	free(n->legal_form);
	n->display = n->key = n->legal_form = NULL;
}

void sp_norm_name(const char *raw, const char *country, sp_name *out)
{
	memset(out, 0, sizeof(*out));
	if (!raw)
		raw = "";
	/* word boundaries in raw (white space separated) */
	enum { MAXW = 64 };
	size_t ws[MAXW], we[MAXW];
	int nw = 0;
	const char *p = raw;
	while (*p && nw < MAXW) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		ws[nw] = (size_t)(p - raw);
		while (*p && !isspace((unsigned char)*p))
			p++;
		we[nw] = (size_t)(p - raw);
		nw++;
	}
	sp_buf f = SP_BUF_INIT;
	/* a legal form joined by a hyphen or glued to the last word ("ZENZEVE-LIMITED",
	 * "ZENZEVELIMITED"): a word of its own (only unambiguous forms of three letters or more) */
	if (nw && nw < MAXW) {
		size_t a = ws[nw - 1], z = we[nw - 1], cut = 0, h = z;
		while (h > a + 1 && raw[h - 1] != '-')
			h--;
		if (h > a + 1 && z - h <= 40) { /* the last hyphen; one fold of what follows it */
			name_fold(&f, raw + h, z - h, 0);
			const char *lf = f.len >= 3 ? legal_form_find(sp_buf_str(&f), NULL) : NULL;
			if (lf && !legal_form_short(lf))
				cut = h - 1;
		}
		size_t g = cut ? 0 : glued_form(raw + a, z - a);
		if (g)
			cut = a + g;
		if (cut) {
			we[nw - 1] = cut;
			ws[nw] = raw[cut] == '-' ? cut + 1 : cut;
			we[nw] = z;
			nw++;
		}
	}
	size_t end = nw ? we[nw - 1] : 0;
	int keep = nw;
	const char *form = NULL;
	for (int round = 0; round < 2 && keep > 1; round++) {
		int found = 0;
		for (int k = keep - 1 < 5 ? keep - 1 : 5; k >= 1; k--) {
			size_t s0 = ws[keep - k];
			name_fold(&f, raw + s0, we[keep - 1] - s0, 0);
			const char *lf = legal_form_find(sp_buf_str(&f), country);
			if (!lf)
				continue;
			/* what remains must still fold to something */
			name_fold(&f, raw, ws[keep - k], 0);
			if (!f.len)
				continue;
			if (!form)
				form = lf;
			keep -= k;
			end = we[keep - 1];
			found = 1;
			break;
		}
		if (!found)
			break;
	}
	/* a legal form written first ("SAS VOLTIQ", "AB Volvo", "S.A.R.L. Dupont"): the form's
	 * words in capitals or with dots, and at least one word left after it */
	size_t st = 0;
	for (int k = keep - 1 < 3 ? keep - 1 : 3; k >= 1; k--) {
		int caps = 1;
		for (size_t i = ws[0]; i < we[k - 1]; i++)
			if (islower((unsigned char)raw[i]))
				caps = 0;
		if (!caps && !memchr(raw + ws[0], '.', we[k - 1] - ws[0]))
			continue;
		name_fold(&f, raw + ws[0], we[k - 1] - ws[0], 0);
		const char *lf = f.len ? legal_form_find(sp_buf_str(&f), country) : NULL;
		if (!lf)
			continue;
		if (!form)
			form = lf;
		st = ws[k];
		break;
	}
	if (!st && nw)
		st = ws[0];
	/* display: raw from st up to end, trailing separators trimmed */
	while (end > st && (strchr(" \t,;:-/(", raw[end - 1]) != NULL))
		end--;
	while (st < end && isspace((unsigned char)raw[st]))
		st++;
	out->display = sp_xstrndup(raw + st, end - st);
	name_fold(&f, out->display, strlen(out->display), 1);
	out->key = sp_buf_detach(&f);
	out->legal_form = form ? sp_xstrdup(form) : NULL;
}

/* ---------------------------------------------------------------- cities */

/* Native and variant names of cities -> one key (folded English name); scanned linearly. */
static const struct { const char *from, *to; } city_alias[] = {
	{ "a coruna", "la coruna" }, { "antwerpen", "antwerp" }, { "athina", "athens" }, { "bangalore", "bengaluru" },
	{ "beograd", "belgrade" }, { "bombay", "mumbai" }, { "braunschweig", "brunswick" }, { "brussel", "brussels" },
	{ "bruxelles", "brussels" }, { "bucuresti", "bucharest" }, { "calcutta", "kolkata" },
	{ "ciudad de mexico", "mexico city" }, { "cdmx", "mexico city" }, { "den haag", "the hague" },
	{ "firenze", "florence" }, { "frankfurt am main", "frankfurt" }, { "geneve", "geneva" }, { "genf", "geneva" },
	{ "genova", "genoa" }, { "gent", "ghent" }, { "goteborg", "gothenburg" }, { "hannover", "hanover" },
	{ "kobenhavn", "copenhagen" }, { "koln", "cologne" }, { "krakow", "cracow" }, { "lisboa", "lisbon" },
	{ "luzern", "lucerne" }, { "madras", "chennai" }, { "milano", "milan" }, { "moskva", "moscow" },
	{ "munchen", "munich" }, { "napoli", "naples" }, { "new york city", "new york" }, { "nurnberg", "nuremberg" },
	{ "nyc", "new york" }, { "peking", "beijing" }, { "praha", "prague" }, { "roma", "rome" },
	{ "s gravenhage", "the hague" }, { "saigon", "ho chi minh city" }, { "sankt peterburg", "saint petersburg" },
	{ "sevilla", "seville" }, { "sf", "san francisco" }, { "st petersburg", "saint petersburg" },
	{ "tel aviv yafo", "tel aviv" }, { "torino", "turin" }, { "valencia", "valencia" }, { "venezia", "venice" },
	{ "warszawa", "warsaw" }, { "wien", "vienna" }, { "zurich", "zurich" },
};

char *sp_norm_city(const char *raw)
{
	char *f = sp_norm_fold(raw);
	for (size_t i = 0; i < SP_ARRAY_LEN(city_alias); i++)
		if (strcmp(f, city_alias[i].from) == 0) {
			free(f);
			return sp_xstrdup(city_alias[i].to);
		}
	if (!*f) {
		free(f);
		return NULL;
	}
	return f;
}

char *sp_norm_location(const char *raw, const char **country)
{
	*country = NULL;
	const char *comma = raw ? strchr(raw, ',') : NULL;
	if (!comma)
		return sp_norm_city(raw);
	*country = sp_norm_country(strrchr(raw, ',') + 1);
	char *first = sp_xstrndup(raw, (size_t)(comma - raw));
	char *city = sp_norm_city(first);
	free(first);
	return city;
}

/* Cities that name one country unambiguously (startup hubs), by city key. Used only when a record
 * has no country. Sorted by city. Ambiguous names (Cambridge, London, Paris, Valencia ...) are absent. */
static const struct { const char *city, *cc; } city_country[] = {
	{ "abuja", "NG" }, { "amsterdam", "NL" }, { "antwerp", "BE" }, { "athens", "GR" }, { "auckland", "NZ" },
	{ "austin", "US" }, { "bangkok", "TH" }, { "barcelona", "ES" }, { "basel", "CH" }, { "beijing", "CN" },
	{ "belo horizonte", "BR" }, { "bengaluru", "IN" }, { "berlin", "DE" }, { "bilbao", "ES" }, { "bogota", "CO" },
	{ "bologna", "IT" }, { "bordeaux", "FR" }, { "boston", "US" }, { "braga", "PT" }, { "bratislava", "SK" },
	{ "brno", "CZ" }, { "brussels", "BE" }, { "bucharest", "RO" }, { "budapest", "HU" }, { "buenos aires", "AR" },
	{ "busan", "KR" }, { "cairo", "EG" }, { "cape town", "ZA" }, { "casablanca", "MA" }, { "chennai", "IN" },
	{ "chicago", "US" }, { "clermont ferrand", "FR" }, { "cologne", "DE" }, { "copenhagen", "DK" },
	{ "coventry", "GB" }, { "cracow", "PL" }, { "delft", "NL" }, { "detroit", "US" }, { "dubai", "AE" },
	{ "dublin", "IE" }, { "dusseldorf", "DE" }, { "edinburgh", "GB" }, { "eindhoven", "NL" }, { "espoo", "FI" },
	{ "evora", "PT" }, { "florianopolis", "BR" }, { "geneva", "CH" }, { "gothenburg", "SE" }, { "grenoble", "FR" },
	{ "haifa", "IL" }, { "hamburg", "DE" }, { "hangzhou", "CN" }, { "helsinki", "FI" }, { "ho chi minh city", "VN" },
	{ "hong kong", "HK" }, { "istanbul", "TR" }, { "jakarta", "ID" }, { "johannesburg", "ZA" }, { "kyiv", "UA" },
	{ "lagos", "NG" }, { "lausanne", "CH" }, { "leeds", "GB" }, { "lille", "FR" }, { "linkoping", "SE" },
	{ "lisbon", "PT" }, { "ljubljana", "SI" }, { "lyon", "FR" }, { "madrid", "ES" }, { "malaga", "ES" },
	{ "malmo", "SE" }, { "manchester", "GB" }, { "marseille", "FR" }, { "melbourne", "AU" }, { "mexico city", "MX" },
	{ "milan", "IT" }, { "mlada boleslav", "CZ" }, { "monterrey", "MX" }, { "montreal", "CA" }, { "mumbai", "IN" },
	{ "munich", "DE" }, { "nagoya", "JP" }, { "nairobi", "KE" }, { "nantes", "FR" }, { "new york", "US" },
	{ "nuremberg", "DE" }, { "orleans", "FR" }, { "osaka", "JP" }, { "oslo", "NO" }, { "oxford", "GB" },
	{ "palo alto", "US" }, { "plzen", "CZ" }, { "porto", "PT" }, { "prague", "CZ" }, { "pune", "IN" },
	{ "rabat", "MA" }, { "reykjavik", "IS" }, { "riga", "LV" }, { "rio de janeiro", "BR" }, { "rome", "IT" },
	{ "rotterdam", "NL" }, { "saint etienne", "FR" }, { "san francisco", "US" }, { "santiago de chile", "CL" },
	{ "sao paulo", "BR" }, { "seattle", "US" }, { "seoul", "KR" }, { "seville", "ES" }, { "shanghai", "CN" },
	{ "shenzhen", "CN" }, { "singapore", "SG" }, { "sofia", "BG" }, { "stockholm", "SE" }, { "stuttgart", "DE" },
	{ "sydney", "AU" }, { "taipei", "TW" }, { "tallinn", "EE" }, { "tel aviv", "IL" }, { "the hague", "NL" },
	{ "tokyo", "JP" }, { "toronto", "CA" }, { "toulouse", "FR" }, { "turin", "IT" }, { "vancouver", "CA" },
	{ "vienna", "AT" }, { "vilnius", "LT" }, { "warsaw", "PL" }, { "wolfsburg", "DE" }, { "zagreb", "HR" },
	{ "zurich", "CH" },
};

const char *sp_norm_city_country(const char *city_key)
{
	if (!city_key)
		return NULL;
	size_t lo = 0, hi = SP_ARRAY_LEN(city_country);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(city_key, city_country[mid].city);
		if (c == 0)
			return city_country[mid].cc;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---------------------------------------------------------------- countries */

const char *sp_norm_country(const char *raw)
{
	if (!raw)
		return NULL;
	while (isspace((unsigned char)*raw))
		raw++;
	size_t n = strlen(raw);
	while (n && isspace((unsigned char)raw[n - 1]))
		n--;
	if (n == 0)
		return NULL;
	if (n == 2 || n == 3) {
		char up[4] = { 0 };
		int ok = 1;
		for (size_t i = 0; i < n; i++) {
			if (!isalpha((unsigned char)raw[i]))
				ok = 0;
			up[i] = (char)toupper((unsigned char)raw[i]);
		}
		if (ok) {
			if (n == 2 && strcmp(up, "UK") == 0)
				return "GB";
			for (size_t i = 0; i < SP_ARRAY_LEN(iso_codes); i++)
				if (strcmp(iso_codes[i][n == 2 ? 0 : 1], up) == 0)
					return iso_codes[i][0];
		}
	}
	char *f = sp_norm_fold(raw);
	const char *res = NULL;
	size_t lo = 0, hi = SP_ARRAY_LEN(iso_names);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(f, iso_names[mid].name);
		if (c == 0) {
			res = iso_names[mid].a2;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	free(f);
	return res;
}

/* ---------------------------------------------------------------- websites */

static const char *const shared_hosts[] = {
	"about.me", "amazonaws.com", "angel.co", "apple.com", "azurewebsites.net", "behance.net", "bit.ly",
	"blogspot.com", "business.site", "carrd.co", "crunchbase.com", "eventbrite.com", "f6s.com", "facebook.com",
	"fb.com", "fb.me", "github.com", "github.io", "gitlab.io", "godaddysites.com", "goo.gl", "google.com",
	"herokuapp.com", "instagram.com", "jimdo.com", "jimdosite.com", "linkedin.com", "linktr.ee", "lnkd.in",
	"medium.com", "mystrikingly.com", "netlify.app", "notion.site", "pages.dev", "producthunt.com",
	"squarespace.com", "strikingly.com", "substack.com", "t.co", "t.me", "tiktok.com", "tripadvisor.com",
	"tumblr.com", "twitter.com", "vercel.app", "wa.me", "webflow.io", "webnode.com", "weebly.com",
	"wellfound.com", "wix.com", "wixsite.com", "wordpress.com", "x.com", "xing.com", "yelp.com",
	"youtu.be", "youtube.com",
};

int sp_norm_shared_host(const char *host)
{
	size_t hl = strlen(host);
	for (size_t i = 0; i < SP_ARRAY_LEN(shared_hosts); i++) {
		size_t sl = strlen(shared_hosts[i]);
		if (hl == sl && strcmp(host, shared_hosts[i]) == 0)
			return 1;
		if (hl > sl && host[hl - sl - 1] == '.' && strcmp(host + hl - sl, shared_hosts[i]) == 0)
			return 1;
	}
	return 0;
}

char *sp_norm_domain(const char *url)
{
	if (!url)
		return NULL;
	while (isspace((unsigned char)*url))
		url++;
	const char *p = strstr(url, "://");
	if (p && p - url < 12)
		url = p + 3;
	else if (url[0] == '/' && url[1] == '/')
		url += 2;
	size_t n = strcspn(url, "/?#; \t\r\n,");
	char host[256];
	if (n == 0 || n >= sizeof(host))
		return NULL;
	memcpy(host, url, n);
	host[n] = '\0';
	char *at = strrchr(host, '@');
	char *h = at ? at + 1 : host;
	char *colon = strchr(h, ':');
	if (colon)
		*colon = '\0';
	size_t hl = strlen(h);
	while (hl && h[hl - 1] == '.')
		h[--hl] = '\0';
	if (!hl || !strchr(h, '.'))
		return NULL;
	int alldig = 1;
	for (char *q = h; *q; q++) {
		unsigned char c = (unsigned char)*q;
		if (c < 0x80) {
			if (!isalnum(c) && c != '-' && c != '.' && c != '_')
				return NULL;
			*q = (char)tolower(c);
		}
		if (!isdigit(c) && c != '.')
			alldig = 0;
	}
	if (alldig) /* an IP address */
		return NULL;
	if (sp_norm_shared_host(h))
		return NULL;
	const char *rd = psl_registrable_domain(psl_builtin(), h);
	if (!rd || !*rd)
		return NULL;
	return sp_xstrdup(rd);
}

/* ---------------------------------------------------------------- activity codes */

int sp_norm_code(const char *code, const char *system, char *out, size_t n)
{
	if (n)
		out[0] = '\0';
	if (!code)
		return 0;
	const char *p = code;
	while (isspace((unsigned char)*p))
		p++;
	if (isalpha((unsigned char)p[0]) && (isdigit((unsigned char)p[1]) || p[1] == ' ')) /* NACE section "J62.01" */
		p++;
	while (*p == ' ')
		p++;
	char d[8];
	int nd = 0, dots = 0;
	for (; *p && nd < 7; p++) {
		if (isdigit((unsigned char)*p))
			d[nd++] = *p;
		else if (*p == '.')
			dots++;
		else
			break;
	}
	d[nd] = '\0';
	if (nd < 4)
		return 0;
	int sic = system && strcmp(system, "sic2007") == 0;
	if (nd == 5 || sic) {
		if (strcmp(d, "99999") == 0 || strcmp(d, "74990") == 0) /* dormant / non-trading */
			return 0;
	}
	if (nd > 5)
		return 0;
	snprintf(out, n, "%c%c.%c%c", d[0], d[1], d[2], d[3]);
	return 1;
}

char *sp_norm_codes(const char *codes, const char *system)
{
	if (!codes || !*codes)
		return NULL;
	sp_buf b = SP_BUF_INIT;
	const char *p = codes;
	while (*p) {
		size_t k = strcspn(p, ";,|");
		char one[64];
		if (k < sizeof(one)) {
			memcpy(one, p, k);
			one[k] = '\0';
			char c[8];
			if (sp_norm_code(one, system, c, sizeof(c))) {
				int dup = 0;
				for (const char *q = b.buf ? b.buf : ""; *q; q += strcspn(q, ";"), q += (*q == ';'))
					if (strncmp(q, c, 5) == 0)
						dup = 1;
				if (!dup) {
					if (b.len)
						sp_buf_addc(&b, ';');
					sp_buf_adds(&b, c);
				}
			}
		}
		p += k;
		if (*p)
			p++;
	}
	return b.len ? sp_buf_detach(&b) : (sp_buf_release(&b), NULL);
}

/* ---------------------------------------------------------------- status, registry keys */

int sp_norm_active(const char *status)
{
	if (!status)
		return -1;
	char *f = sp_norm_fold(status);
	int r = -1;
	static const char *const off[] = { "dissolved", "closed", "ceased", "cessee", "cesse", "ferme", "fermee",
					   "liquidation", "liquidated", "inactive", "struck off", "removed", "retired",
					   "merged", "annulled", "dead", "defunct", "radiee", "deregistered",
					   "insolvency", "bankrupt", "converted closed", "dormant company", "acquired" };
	static const char *const on[] = { "active", "operating", "issued", "live", "registered", "ipo", "actif",
					  "open", "trading", "aktiv" };
	if (strcmp(f, "c") == 0 || strcmp(f, "f") == 0)
		r = 0;
	else if (strcmp(f, "a") == 0)
		r = 1;
	else {
		for (size_t i = 0; i < SP_ARRAY_LEN(off) && r < 0; i++)
			if (strstr(f, off[i]) && !(strstr(f, "active") && strstr(f, "proposal")))
				r = 0;
		if (r < 0 && strncmp(f, "inactive", 8) != 0)
			for (size_t i = 0; i < SP_ARRAY_LEN(on) && r < 0; i++)
				if (strncmp(f, on[i], strlen(on[i])) == 0)
					r = 1;
	}
	free(f);
	return r;
}

static char *alnum_upper(const char *s)
{
	sp_buf b = SP_BUF_INIT;
	for (; s && *s; s++)
		if (isalnum((unsigned char)*s))
			sp_buf_addc(&b, (char)toupper((unsigned char)*s));
	sp_buf_adds(&b, "");
	return sp_buf_detach(&b);
}

static char *gb_key(const char *num)
{
	char *u = alnum_upper(num);
	size_t n = strlen(u);
	sp_buf b = SP_BUF_INIT;
	if (n == 0 || n > 8) {
		free(u);
		return NULL;
	}
	sp_buf_adds(&b, "GB:");
	if (isdigit((unsigned char)u[0]))
		for (size_t i = n; i < 8; i++)
			sp_buf_addc(&b, '0');
	else if (n < 8) { /* SC1234 -> SC001234 */
		size_t pre = 0;
		while (pre < n && isalpha((unsigned char)u[pre]))
			pre++;
		sp_buf_add(&b, u, pre);
		for (size_t i = n; i < 8; i++)
			sp_buf_addc(&b, '0');
		sp_buf_adds(&b, u + pre);
		free(u);
		return sp_buf_detach(&b);
	}
	sp_buf_adds(&b, u);
	free(u);
	return sp_buf_detach(&b);
}

static char *fr_key(const char *num)
{
	char *u = alnum_upper(num);
	size_t n = strlen(u);
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)u[i])) {
			free(u);
			return NULL;
		}
	char *r = NULL;
	if (n == 9 || n == 14) {
		sp_buf b = SP_BUF_INIT;
		sp_buf_adds(&b, "FR:");
		sp_buf_add(&b, u, 9);
		r = sp_buf_detach(&b);
	}
	free(u);
	return r;
}

char *sp_norm_regnum(const char *regnum, const char *country)
{
	if (!regnum || !*regnum || !country || strlen(country) != 2)
		return NULL;
	if (strcmp(country, "GB") == 0)
		return gb_key(regnum);
	if (strcmp(country, "FR") == 0)
		return fr_key(regnum);
	char *u = alnum_upper(regnum);
	if (!*u) {
		free(u);
		return NULL;
	}
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "%s:%s", country, u);
	free(u);
	return sp_buf_detach(&b);
}

char *sp_norm_ra_key(const char *ra_id, const char *ra_entity_id)
{
	if (!ra_id || !ra_entity_id || !*ra_entity_id)
		return NULL;
	if (strcmp(ra_id, "RA000585") == 0)
		return gb_key(ra_entity_id);
	if (strcmp(ra_id, "RA000189") == 0)
		return fr_key(ra_entity_id);
	return NULL;
}

char *sp_norm_lei(const char *lei)
{
	char *u = alnum_upper(lei);
	if (strlen(u) != 20) {
		free(u);
		return NULL;
	}
	return u;
}
