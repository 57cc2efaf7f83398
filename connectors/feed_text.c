/*
 * feed_text.c — the feed connector's text helpers: HTML named entities, code points to UTF-8, and
 * HTML (or plain text) to plain text. Private to the feed connector (feed_text.h).
 *
 * Invariants: output is valid UTF-8 (a NUL, a surrogate or a code point past U+10FFFF is written
 * as U+FFFD) and never longer than asked (cut on a UTF-8 boundary); nothing is fetched or expanded
 * beyond the fixed entity table. Ownership: the caller owns every buffer. Failure: none
 * (allocation failure aborts).
 */
#include "connectors/feed_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- HTML entities (shared by the repair filter and the HTML-to-text stripper) ---- */

static const struct {
	const char *name;
	unsigned cp;
} html_entities[] = {
	{ "AElig", 198 }, { "Aacute", 193 }, { "Acirc", 194 }, { "Agrave", 192 }, { "Aring", 197 },
	{ "Atilde", 195 }, { "Auml", 196 }, { "Ccedil", 199 }, { "Dagger", 8225 }, { "ETH", 208 },
	{ "Eacute", 201 }, { "Ecirc", 202 }, { "Egrave", 200 }, { "Euml", 203 }, { "Iacute", 205 },
	{ "Icirc", 206 }, { "Igrave", 204 }, { "Iuml", 207 }, { "Ntilde", 209 }, { "OElig", 338 },
	{ "Oacute", 211 }, { "Ocirc", 212 }, { "Ograve", 210 }, { "Oslash", 216 }, { "Otilde", 213 },
	{ "Ouml", 214 }, { "Prime", 8243 }, { "Scaron", 352 }, { "THORN", 222 }, { "Uacute", 218 },
	{ "Ucirc", 219 }, { "Ugrave", 217 }, { "Uuml", 220 }, { "Yacute", 221 }, { "Yuml", 376 },
	{ "aacute", 225 }, { "acirc", 226 }, { "acute", 180 }, { "aelig", 230 }, { "agrave", 224 },
	{ "amp", '&' }, { "apos", '\'' }, { "aring", 229 }, { "atilde", 227 }, { "auml", 228 },
	{ "bdquo", 8222 }, { "brvbar", 166 }, { "bull", 8226 }, { "ccedil", 231 }, { "cedil", 184 },
	{ "cent", 162 }, { "circ", 710 }, { "copy", 169 }, { "curren", 164 }, { "dagger", 8224 },
	{ "darr", 8595 }, { "deg", 176 }, { "divide", 247 }, { "eacute", 233 }, { "ecirc", 234 },
	{ "egrave", 232 }, { "emsp", 8195 }, { "ensp", 8194 }, { "eth", 240 }, { "euml", 235 },
	{ "euro", 8364 }, { "frac12", 189 }, { "frac14", 188 }, { "frac34", 190 }, { "gt", '>' },
	{ "hearts", 9829 }, { "hellip", 8230 }, { "iacute", 237 }, { "icirc", 238 }, { "iexcl", 161 },
	{ "igrave", 236 }, { "iquest", 191 }, { "iuml", 239 }, { "laquo", 171 }, { "larr", 8592 },
	{ "ldquo", 8220 }, { "lrm", 8206 }, { "lsaquo", 8249 }, { "lsquo", 8216 }, { "lt", '<' },
	{ "macr", 175 }, { "mdash", 8212 }, { "micro", 181 }, { "middot", 183 }, { "nbsp", 160 },
	{ "ndash", 8211 }, { "not", 172 }, { "ntilde", 241 }, { "oacute", 243 }, { "ocirc", 244 },
	{ "oelig", 339 }, { "ograve", 242 }, { "ordf", 170 }, { "ordm", 186 }, { "oslash", 248 },
	{ "otilde", 245 }, { "ouml", 246 }, { "para", 182 }, { "permil", 8240 }, { "plusmn", 177 },
	{ "pound", 163 }, { "prime", 8242 }, { "quot", '"' }, { "raquo", 187 }, { "rarr", 8594 },
	{ "rdquo", 8221 }, { "reg", 174 }, { "rlm", 8207 }, { "rsaquo", 8250 }, { "rsquo", 8217 },
	{ "sbquo", 8218 }, { "scaron", 353 }, { "sect", 167 }, { "shy", 173 }, { "sup1", 185 },
	{ "sup2", 178 }, { "sup3", 179 }, { "szlig", 223 }, { "thinsp", 8201 }, { "thorn", 254 },
	{ "tilde", 732 }, { "times", 215 }, { "trade", 8482 }, { "uacute", 250 }, { "uarr", 8593 },
	{ "ucirc", 251 }, { "ugrave", 249 }, { "uml", 168 }, { "uuml", 252 }, { "yacute", 253 },
	{ "yen", 165 }, { "yuml", 255 }, { "zwj", 8205 }, { "zwnj", 8204 },
};

unsigned sp_feed_entity(const char *name, size_t n)
{
	for (size_t i = 0; i < SP_ARRAY_LEN(html_entities); i++)
		if (strlen(html_entities[i].name) == n && !memcmp(html_entities[i].name, name, n))
			return html_entities[i].cp;
	return 0;
}

void sp_feed_put_utf8(sp_buf *b, unsigned cp)
{
	char o[4];
	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = 0xFFFD;
	if (cp < 0x80) {
		sp_buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		sp_buf_add(b, o, 2);
	} else if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		sp_buf_add(b, o, 3);
	} else {
		o[0] = (char)(0xF0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[3] = (char)(0x80 | (cp & 0x3F));
		sp_buf_add(b, o, 4);
	}
}


int sp_feed_block_tag(const char *t, size_t n)
{
	static const char *const tags[] = { "p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2",
		                            "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr", "dd", "dt" };
	for (size_t i = 0; i < SP_ARRAY_LEN(tags); i++)
		if (strlen(tags[i]) == n && !strncasecmp(tags[i], t, n))
			return 1;
	return 0;
}

/*
 * HTML (or plain text) -> plain text into out: tags dropped (script/style with their content),
 * entities decoded, white space folded, at most max bytes (cut on a UTF-8 boundary).
 */
void sp_feed_html_to_text(const char *s, size_t n, sp_buf *out, size_t max)
{
	sp_buf_reset(out);
	int space = 1;
	size_t i = 0;
	sp_buf dec = SP_BUF_INIT;
	while (i < n && out->len < max) {
		unsigned char c = (unsigned char)s[i];
		if (c == '<' && i + 1 < n && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!' || s[i + 1] == '?')) {
			size_t j = i + 1;
			if (n - j >= 3 && !memcmp(s + j, "!--", 3)) {
				const char *e = memmem(s + j + 3, n - j - 3, "-->", 3);
				i = e ? (size_t)(e - s) + 3 : n;
				continue;
			}
			if (s[j] == '/')
				j++;
			size_t t0 = j;
			while (j < n && isalnum((unsigned char)s[j]))
				j++;
			size_t tl = j - t0;
			int skip_body = s[i + 1] != '/' && ((tl == 6 && !strncasecmp(s + t0, "script", 6)) ||
			                                    (tl == 5 && !strncasecmp(s + t0, "style", 5)));
			const char *gt = memchr(s + j, '>', n - j);
			i = gt ? (size_t)(gt - s) + 1 : n;
			if (skip_body) {
				const char *close = NULL;
				for (size_t k = i; k + 1 < n; k++)
					if (s[k] == '<' && s[k + 1] == '/' && k + 2 + tl <= n && !strncasecmp(s + k + 2, s + t0, tl)) {
						close = s + k;
						break;
					}
				if (close) {
					const char *g2 = memchr(close, '>', (size_t)(s + n - close));
					i = g2 ? (size_t)(g2 - s) + 1 : n;
				} else {
					i = n;
				}
			}
			if (sp_feed_block_tag(s + t0, tl) || tl == 0)
				space = 1;
			else if (tl == 3 && !strncasecmp(s + t0, "img", 3))
				space = 1;
			continue;
		}
		unsigned cp = 0;
		size_t adv = 1;
		if (c == '&') {
			size_t j = i + 1;
			while (j < n && j - i < 12 && (isalnum((unsigned char)s[j]) || s[j] == '#'))
				j++;
			if (j < n && s[j] == ';' && j > i + 1) {
				if (s[i + 1] == '#') {
					char *e = NULL;
					unsigned long v = (s[i + 2] == 'x' || s[i + 2] == 'X') ? strtoul(s + i + 3, &e, 16)
					                                                   : strtoul(s + i + 2, &e, 10);
					if (e == s + j)
						cp = v > 0x10FFFF ? 0xFFFD : (unsigned)v;
				} else {
					cp = sp_feed_entity(s + i + 1, j - i - 1);
				}
				if (cp)
					adv = j + 1 - i;
			}
		}
		if (cp) {
			if (cp == 160 || cp == 8201 || cp == 8194 || cp == 8195 || (cp < 0x20 && cp != 0) || cp == ' ') {
				space = 1;
			} else {
				if (space && out->len)
					sp_buf_addc(out, ' ');
				space = 0;
				sp_buf_reset(&dec);
				sp_feed_put_utf8(&dec, cp);
				sp_buf_add(out, dec.buf, dec.len);
			}
		} else if (isspace(c) || c == 0) {
			space = 1;
		} else if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) { /* U+00A0 */
			space = 1;
			adv = 2;
		} else {
			if (space && out->len)
				sp_buf_addc(out, ' ');
			space = 0;
			sp_buf_addc(out, (char)c);
		}
		i += adv;
	}
	sp_buf_release(&dec);
	if (out->len > max) {
		out->len = max;
		while (out->len && ((unsigned char)out->buf[out->len] & 0xC0) == 0x80)
			out->len--;
		out->buf[out->len] = '\0';
	}
}
