/*
 * feed.c — RSS 2.0, RSS 1.0 (RDF), Atom 1.0 (and 0.3) and JSON Feed 1.0/1.1 feeds as a stream of
 * records, one per item.
 *
 * Which one: the first bytes of the file (past white space and a BOM) tell: '{' is a JSON Feed,
 * read by feed_json.c (feed_json.h) with the same item mapping; anything else is XML, below.
 *
 * What it does: the raw file (plain, zip or gzip, through sp_stream) goes through a small repair
 * filter, then into libxml2's xmlTextReader (xmlReaderForIO) in recover mode. At each item
 * (RSS/RDF <item>, Atom <entry>) the reader expands that one element, the connector copies its
 * fields, and skips past it so the reader frees it: memory is bounded per item, not per file.
 *
 * The repair filter (streaming, constant memory) fixes what real feeds get wrong before libxml2
 * sees it: leading white space, BOM and NUL bytes before the first '<' are dropped (a blank line
 * before <?xml is the commonest real defect); NUL bytes elsewhere become spaces; HTML named
 * entities (&eacute; &nbsp; &rsaquo; ...) become numeric references; unknown named entities and
 * bare '&' become "&amp;" (so no entity reference ever reaches the tree: nothing to expand);
 * when the document is (or claims to be) UTF-8, bytes that are not valid UTF-8 are read as
 * Latin-1/Windows-1252 and re-encoded. CDATA sections are passed through untouched.
 * The entity table and the HTML-to-text stripper are in feed_text.c.
 *
 * Record: key = guid (RSS), id (Atom), else link, else title; name = title (HTML stripped);
 * website = link, only when the source says link_is_website = yes; categories = RSS <category>,
 * dc:subject, Atom <category term=>; description = description / summary, else content:encoded /
 * content, HTML stripped to plain text, entities decoded, white space folded, at most
 * SP_FEED_MAX_TEXT bytes (source key max_text); published = pubDate / dc:date / published /
 * updated / issued / modified, raw (normalise converts RFC 822 and RFC 3339).
 *
 * Security: XML_PARSE_RECOVER | XML_PARSE_NONET, never NOENT or DTDLOAD: no network, no external
 * DTD or entity, no entity expansion (and the filter leaves no entity reference to expand). Text
 * is collected with a bound and without following entity references. libxml2's own limits (10 MB
 * per text node without XML_PARSE_HUGE) bound a feed of 1 GB of white space; the stream caps the
 * decompressed size (source key max_xml_mb, default 1024).
 *
 * Failure: an item with no title is rejected "missing name". A file whose root element is not
 * rss, RDF or feed is SP_EFORMAT "not a feed (root element <html>)"; a file that is not XML at
 * all is SP_EFORMAT. A document that breaks after some items (truncated download) ends the
 * stream with SP_EOF when recover mode could close it, else with SP_EFORMAT naming the line:
 * the items already yielded stand.
 */
#include "connectors/connector.h"
#include "connectors/archive.h"
#include "connectors/feed_json.h"
#include "connectors/feed_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#define SP_FEED_MAX_TEXT 4096
#define FEED_RAW_MAX (256 * 1024) /* raw text collected from one element before stripping */

/* ---- bytes the repair filter re-encodes ---- */

/* Windows-1252 0x80..0x9F; other bytes are Latin-1. */
static const unsigned short cp1252[32] = {
	8364, 0x81, 8218, 402, 8222, 8230, 8224, 8225, 710, 8240, 352, 8249, 338, 0x8D, 381, 0x8F,
	0x90, 8216, 8217, 8220, 8221, 8226, 8211, 8212, 732, 8482, 353, 8250, 339, 0x9D, 382, 376,
};

/* Length of a valid UTF-8 sequence at s (n bytes available), 0 if invalid, -1 if incomplete. */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	int len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < (size_t)len)
		return -1;
	unsigned cp = c & (0x3F >> (len - 1));
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* ---- the repair filter ---- */

enum { FS_START, FS_TEXT, FS_CDATA };

/* What the text being captured (a direct child of an item) is. */
typedef enum {
	C_NONE, C_TITLE, C_GUID, C_ID, C_LINK, C_DESC, C_SUMMARY, C_CONTENT, C_PUB, C_DCDATE, C_UPDATED, C_CATEGORY, C_COUNTRY, C_CITY
} capture_kind;

/* An item being built, and items ready to hand out. */
typedef struct feed_item {
	sp_record rec;
	int ready;
} feed_item;

struct sp_parser {
	sp_stream *in;
	sp_feed_json *json; /* a JSON Feed (feed_json.h): the XML machinery below is unused */
	sp_buf peek;        /* the first bytes, read to tell JSON from XML, handed to the filter first */
	size_t peekpos;
	xmlParserCtxtPtr ctxt;
	sp_err io_err;
	int io_failed, in_eof;
	char *path;
	int link_is_website;
	size_t max_text;
	/* repair filter */
	int fstate;
	int fix_utf8;      /* repair invalid UTF-8 (document is UTF-8 or undeclared) */
	int raw;           /* UTF-16/32: pass bytes through untouched */
	unsigned char carry[64];
	size_t ncarry;
	unsigned char inbuf[65536];
	sp_buf out;        /* filtered bytes not yet handed to libxml2 */
	size_t outpos;
	size_t cdata_match; /* progress matching "]]>" */
	/* SAX state */
	int depth;          /* current element depth (root = 1) */
	int in_feed;        /* inside an rss/RDF/feed/channel element */
	int feed_depth;
	int item_depth;     /* depth of the open item, 0 = none */
	capture_kind cap;   /* capture in progress (a direct child of the item) */
	int cap_depth;
	sp_buf cap_text;    /* raw text of the captured child, bounded */
	int link_rank;      /* quality of it_link: 3 Atom alternate, 2 RSS text, 1 other rel */
	sp_buf it_title, it_guid, it_id, it_link, it_desc, it_summary, it_content, it_pub, it_dcdate, it_updated;
	sp_buf it_cats, it_country, it_city;
	char root[48];
	int seen_root;
	/* queue of finished items (one parse chunk can finish several) */
	sp_record *q;
	size_t qlen, qcap, qhead;
	long nitems;
	int parse_done;     /* the parser was given the end of input, or halted */
	int done;
	int broken_reported;
	int nerrors;
	sp_buf errmsg;      /* first error */
	sp_buf tmp;
};

/* Decide from the first bytes whether the document is UTF-8 (repairable) or something else. */
static void sniff_encoding(sp_parser *p, const unsigned char *s, size_t n)
{
	if (n >= 2 && ((s[0] == 0xFE && s[1] == 0xFF) || (s[0] == 0xFF && s[1] == 0xFE))) {
		p->raw = 1;
		return;
	}
	if (n >= 4 && ((s[0] == 0 && s[1] == '<') || (s[0] == '<' && s[1] == 0))) {
		p->raw = 1;
		return;
	}
	p->fix_utf8 = 1;
	if (n < 5 || memcmp(s, "<?xml", 5))
		return;
	size_t end = 0;
	while (end < n && end < 200 && s[end] != '>')
		end++;
	for (size_t i = 5; i + 8 < end; i++) {
		if (!strncasecmp((const char *)s + i, "encoding", 8)) {
			size_t j = i + 8;
			while (j < end && (s[j] == ' ' || s[j] == '=' || s[j] == '"' || s[j] == '\''))
				j++;
			if (j + 5 <= end && !strncasecmp((const char *)s + j, "utf-8", 5))
				return;
			if (j + 4 <= end && !strncasecmp((const char *)s + j, "utf8", 4))
				return;
			p->fix_utf8 = 0; /* a declared 8-bit charset: libxml2 converts it */
			return;
		}
	}
}

/*
 * Filter bytes s[0..n) into p->out. Returns how many bytes were consumed; the rest (an
 * incomplete entity or UTF-8 sequence at the end of the chunk) is carried to the next call,
 * unless at_eof.
 */
static size_t filter_chunk(sp_parser *p, const unsigned char *s, size_t n, int at_eof)
{
	size_t i = 0;
	if (p->fstate == FS_START) {
		while (i < n && (isspace(s[i]) || s[i] == 0))
			i++;
		if (i + 3 <= n && s[i] == 0xEF && s[i + 1] == 0xBB && s[i + 2] == 0xBF) {
			i += 3;
			while (i < n && (isspace(s[i]) || s[i] == 0))
				i++;
		}
		if (i == n)
			return n;
		if (n - i < 64 && !at_eof && s[i] == 0xEF)
			return i; /* maybe a split BOM */
		sniff_encoding(p, s + i, n - i);
		p->fstate = FS_TEXT;
	}
	if (p->raw) {
		sp_buf_add(&p->out, (const char *)s + i, n - i);
		return n;
	}
	static const char cdo[] = "<![CDATA[", cdc[] = "]]>";
	while (i < n) {
		unsigned char c = s[i];
		if (p->fstate == FS_CDATA) {
			if (c == (unsigned char)cdc[p->cdata_match]) {
				if (++p->cdata_match == 3) {
					p->fstate = FS_TEXT;
					p->cdata_match = 0;
				}
			} else {
				p->cdata_match = c == ']' ? (p->cdata_match >= 2 ? 2 : 1) : 0;
			}
		} else if (c == '&') {
			/* an entity or character reference, or a bare '&' */
			size_t j = i + 1;
			while (j < n && j - i < 40 && (isalnum(s[j]) || s[j] == '#' || s[j] == '_' || s[j] == '-' || s[j] == '.'))
				j++;
			if (j == n && !at_eof && j - i < 40)
				return i; /* incomplete: carry */
			if (j < n && s[j] == ';' && j > i + 1) {
				const char *name = (const char *)s + i + 1;
				size_t nl = j - i - 1;
				if (name[0] == '#') {
					sp_buf_add(&p->out, (const char *)s + i, j + 1 - i);
				} else if ((nl == 3 && !memcmp(name, "amp", 3)) || (nl == 2 && !memcmp(name, "lt", 2)) ||
				           (nl == 2 && !memcmp(name, "gt", 2)) || (nl == 4 && !memcmp(name, "quot", 4)) ||
				           (nl == 4 && !memcmp(name, "apos", 4))) {
					sp_buf_add(&p->out, (const char *)s + i, j + 1 - i);
				} else {
					unsigned cp = sp_feed_entity(name, nl);
					if (cp)
						sp_buf_addf(&p->out, "&#%u;", cp);
					else { /* unknown entity: keep it as text, never as a reference */
						sp_buf_adds(&p->out, "&amp;");
						sp_buf_add(&p->out, name, nl + 1);
					}
				}
				i = j + 1;
				continue;
			}
			sp_buf_adds(&p->out, "&amp;");
			i++;
			continue;
		} else if (c == '<') {
			if (n - i < 9 && !at_eof && !memcmp(s + i, cdo, n - i))
				return i; /* maybe a split "<![CDATA[" */
			if (n - i >= 9 && !memcmp(s + i, cdo, 9)) {
				sp_buf_add(&p->out, cdo, 9);
				i += 9;
				p->fstate = FS_CDATA;
				p->cdata_match = 0;
				continue;
			}
		}
		/* bytes: NUL, invalid UTF-8 */
		if (c == 0) {
			sp_buf_addc(&p->out, ' ');
			i++;
			continue;
		}
		if (c >= 0x80 && p->fix_utf8) {
			int len = utf8_seq(s + i, n - i);
			if (len < 0 && !at_eof)
				return i; /* incomplete sequence: carry */
			if (len <= 0) {
				sp_feed_put_utf8(&p->out, c >= 0x80 && c < 0xA0 ? cp1252[c - 0x80] : c);
				i++;
				continue;
			}
			sp_buf_add(&p->out, (const char *)s + i, (size_t)len);
			i += (size_t)len;
			continue;
		}
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') { /* not allowed in XML 1.0 */
			sp_buf_addc(&p->out, ' ');
			i++;
			continue;
		}
		sp_buf_addc(&p->out, (char)c);
		i++;
	}
	return n;
}

/* Bytes of the raw stream: the peeked ones first. */
static ssize_t raw_read(sp_parser *p, unsigned char *buf, size_t n)
{
	if (p->peekpos < p->peek.len) {
		size_t k = p->peek.len - p->peekpos < n ? p->peek.len - p->peekpos : n;
		memcpy(buf, p->peek.buf + p->peekpos, k);
		p->peekpos += k;
		return (ssize_t)k;
	}
	return sp_stream_read(p->in, buf, n, &p->io_err);
}

static int feed_read(void *ctx, char *buf, int len)
{
	sp_parser *p = ctx;
	while (p->outpos >= p->out.len) {
		sp_buf_reset(&p->out);
		p->outpos = 0;
		if (p->in_eof) {
			if (p->ncarry) {
				filter_chunk(p, p->carry, p->ncarry, 1);
				p->ncarry = 0;
				continue;
			}
			return 0;
		}
		memcpy(p->inbuf, p->carry, p->ncarry);
		ssize_t n = raw_read(p, p->inbuf + p->ncarry, sizeof(p->inbuf) - p->ncarry);
		if (n < 0) {
			p->io_failed = 1;
			return -1;
		}
		if (n == 0)
			p->in_eof = 1;
		size_t have = p->ncarry + (size_t)n;
		size_t used = filter_chunk(p, p->inbuf, have, p->in_eof);
		p->ncarry = have - used;
		if (p->ncarry > sizeof(p->carry)) { /* cannot happen: carries are short */
			filter_chunk(p, p->inbuf + used, p->ncarry, 1);
			p->ncarry = 0;
		} else {
			memcpy(p->carry, p->inbuf + used, p->ncarry);
		}
		if (p->in_eof && p->ncarry) {
			filter_chunk(p, p->carry, p->ncarry, 1);
			p->ncarry = 0;
		}
	}
	size_t k = p->out.len - p->outpos;
	if (k > (size_t)len)
		k = (size_t)len;
	memcpy(buf, p->out.buf + p->outpos, k);
	p->outpos += k;
	return (int)k;
}

/* ---- SAX handlers: build one item at a time ---- */

static int ns_core(const xmlChar *uri)
{
	/* RSS 2.0 (no namespace), RSS 1.0, Atom 1.0 and 0.3 */
	return !uri || strstr((const char *)uri, "purl.org/rss/1.0") || strstr((const char *)uri, "w3.org/2005/Atom") ||
	       strstr((const char *)uri, "purl.org/atom");
}

static const char *attr_value(const xmlChar **attrs, int nb, const char *name, size_t *len)
{
	for (int i = 0; i < nb; i++) {
		const xmlChar **a = attrs + 5 * i; /* localname, prefix, URI, value, end */
		if (!strcmp((const char *)a[0], name)) {
			*len = (size_t)(a[4] - a[3]);
			return (const char *)a[3];
		}
	}
	return NULL;
}

/* attribute values from SAX2 are raw (entities not decoded): decode &amp; etc. into b */
static void add_attr(sp_buf *b, const char *v, size_t n, size_t max)
{
	sp_buf_reset(b);
	for (size_t i = 0; i < n && b->len < max; i++) {
		if (v[i] == '&' && i + 2 < n && v[i + 1] == '#') { /* &#38; &#x26; */
			char *e = NULL;
			unsigned long cp = (v[i + 2] == 'x' || v[i + 2] == 'X') ? strtoul(v + i + 3, &e, 16) : strtoul(v + i + 2, &e, 10);
			if (e && e < v + n && *e == ';' && cp > 0 && cp <= 0x10FFFF) {
				sp_feed_put_utf8(b, (unsigned)cp);
				i = (size_t)(e - v);
				continue;
			}
		}
		if (v[i] == '&') {
			static const struct { const char *e; char c; } pre[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' } };
			int hit = 0;
			for (size_t k = 0; k < SP_ARRAY_LEN(pre); k++) {
				size_t el = strlen(pre[k].e);
				if (n - i >= el && !memcmp(v + i, pre[k].e, el)) {
					sp_buf_addc(b, pre[k].c);
					i += el - 1;
					hit = 1;
					break;
				}
			}
			if (hit)
				continue;
		}
		sp_buf_addc(b, v[i]);
	}
}

static void item_reset(sp_parser *p)
{
	sp_buf *bs[] = { &p->it_title, &p->it_guid, &p->it_id, &p->it_link, &p->it_desc, &p->it_summary,
		         &p->it_content, &p->it_pub, &p->it_dcdate, &p->it_updated, &p->it_cats, &p->it_country, &p->it_city };
	for (size_t i = 0; i < SP_ARRAY_LEN(bs); i++)
		sp_buf_reset(bs[i]);
	p->link_rank = 0;
	p->cap = C_NONE;
}

static sp_record *queue_push(sp_parser *p)
{
	if (p->qhead == p->qlen)
		p->qhead = p->qlen = 0;
	if (p->qlen == p->qcap) {
		size_t ncap = p->qcap ? 2 * p->qcap : 16;
		p->q = sp_xrealloc(p->q, ncap * sizeof(*p->q));
		for (size_t i = p->qcap; i < ncap; i++)
			sp_record_init(&p->q[i]);
		p->qcap = ncap;
	}
	sp_record *r = &p->q[p->qlen++];
	sp_record_clear(r);
	return r;
}

static void set_buf(sp_record *r, sp_field f, const sp_buf *b)
{
	sp_record_set(r, f, b->buf, b->len);
}

/* The item element closed (or the document ended inside it: truncated). */
static void item_finish(sp_parser *p, int truncated)
{
	sp_record *r = queue_push(p);
	p->nitems++;
	r->line = p->nitems;
	set_buf(r, SP_F_NAME, &p->it_title);
	const sp_buf *key = p->it_guid.len ? &p->it_guid : p->it_id.len ? &p->it_id : p->it_link.len ? &p->it_link : &p->it_title;
	set_buf(r, SP_F_KEY, key);
	if (p->link_is_website && p->it_link.len)
		set_buf(r, SP_F_WEBSITE, &p->it_link);
	const sp_buf *d = p->it_desc.len ? &p->it_desc : p->it_summary.len ? &p->it_summary : &p->it_content;
	set_buf(r, SP_F_DESCRIPTION, d);
	set_buf(r, SP_F_CATEGORIES, &p->it_cats);
	set_buf(r, SP_F_COUNTRY, &p->it_country);
	set_buf(r, SP_F_CITY, &p->it_city);
	const sp_buf *date = p->it_pub.len ? &p->it_pub : p->it_dcdate.len ? &p->it_dcdate : &p->it_updated;
	set_buf(r, SP_F_PUBLISHED, date);
	if (truncated) {
		const sp_buf *ex = p->it_title.len ? &p->it_title : key;
		sp_record_reject(r, "truncated item", ex->buf, ex->len);
	} else if (!r->f[SP_F_NAME].len) {
		sp_record_reject(r, "missing name", key->buf, key->len);
	}
	item_reset(p);
	p->item_depth = 0;
}

static void sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI, int nb_namespaces,
                      const xmlChar **namespaces, int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	sp_parser *p = ctx;
	const char *ln = (const char *)localname;
	p->depth++;
	if (!p->seen_root) {
		p->seen_root = 1;
		snprintf(p->root, sizeof(p->root), "%s", ln);
	}
	if (!p->in_feed) {
		/* A feed wrapped in something else (an HTML page around an Atom feed) still counts. */
		if (!strcmp(ln, "rss") || !strcmp(ln, "RDF") || !strcmp(ln, "feed") || !strcmp(ln, "channel")) {
			p->in_feed = 1;
			p->feed_depth = p->depth;
		}
		return;
	}
	if (p->cap != C_NONE) { /* markup inside a captured child (Atom xhtml content) */
		if (p->cap_text.len < FEED_RAW_MAX && sp_feed_block_tag(ln, strlen(ln)))
			sp_buf_addc(&p->cap_text, ' ');
		return;
	}
	if (!p->item_depth) {
		if (!strcmp(ln, "item") || !strcmp(ln, "entry")) {
			item_reset(p);
			p->item_depth = p->depth;
			size_t n;
			const char *about = attr_value(attributes, nb_attributes, "about", &n); /* RSS 1.0 */
			if (about) {
				add_attr(&p->it_link, about, n, 2048);
				p->link_rank = 1;
			}
		}
		return;
	}
	if (p->depth != p->item_depth + 1)
		return;
	capture_kind k = C_NONE;
	const char *u = (const char *)URI;
	if (!strcmp(ln, "title") && ns_core(URI))
		k = C_TITLE;
	else if (!strcmp(ln, "guid"))
		k = C_GUID;
	else if (!strcmp(ln, "id") && ns_core(URI))
		k = C_ID;
	else if (!strcmp(ln, "link") && (ns_core(URI) || strstr(u, "Atom"))) {
		size_t n = 0, rn = 0;
		const char *href = attr_value(attributes, nb_attributes, "href", &n);
		const char *rel = attr_value(attributes, nb_attributes, "rel", &rn);
		if (href) {
			int rank = !rel || (rn == 9 && !memcmp(rel, "alternate", 9)) ? 3 : 1;
			if (rank > p->link_rank) {
				add_attr(&p->it_link, href, n, 2048);
				p->link_rank = rank;
			}
		} else {
			k = C_LINK;
		}
	} else if (!strcmp(ln, "description"))
		k = C_DESC;
	else if (!strcmp(ln, "summary"))
		k = C_SUMMARY;
	else if (!strcmp(ln, "encoded") || (!strcmp(ln, "content") && ns_core(URI)))
		k = C_CONTENT;
	else if ((!strcmp(ln, "pubDate") || !strcmp(ln, "published") || !strcmp(ln, "issued")) && ns_core(URI))
		k = C_PUB;
	else if (!strcmp(ln, "date") && u && strstr(u, "purl.org/dc"))
		k = C_DCDATE;
	else if ((!strcmp(ln, "updated") || !strcmp(ln, "modified")) && ns_core(URI))
		k = C_UPDATED;
	else if ((!strcmp(ln, "category") && ns_core(URI)) || (!strcmp(ln, "subject") && u && strstr(u, "purl.org/dc"))) {
		/* <category domain="country"> (RSS) / scheme="country" (Atom) carry a location */
		size_t n = 0, dn = 0;
		const char *dom = attr_value(attributes, nb_attributes, "domain", &dn);
		if (!dom)
			dom = attr_value(attributes, nb_attributes, "scheme", &dn);
		sp_buf *loc = NULL;
		if (dom && dn == 7 && !strncasecmp(dom, "country", 7))
			loc = &p->it_country, k = C_COUNTRY;
		else if (dom && dn == 4 && !strncasecmp(dom, "city", 4))
			loc = &p->it_city, k = C_CITY;
		const char *term = attr_value(attributes, nb_attributes, "term", &n);
		if (term && loc) {
			if (!loc->len)
				add_attr(loc, term, n, 256);
			k = C_NONE;
		} else if (term) {
			add_attr(&p->tmp, term, n, 512);
			if (p->it_cats.len + p->tmp.len < p->max_text) {
				for (size_t i = 0; i < p->tmp.len; i++)
					if (p->tmp.buf[i] == ';')
						p->tmp.buf[i] = ',';
				if (p->it_cats.len && p->tmp.len)
					sp_buf_addc(&p->it_cats, ';');
				sp_buf_add(&p->it_cats, p->tmp.buf, p->tmp.len);
			}
		} else if (!loc) {
			k = C_CATEGORY;
		}
	} else if (!strcmp(ln, "coverage") && u && strstr(u, "purl.org/dc")) {
		k = C_CITY; /* dc:coverage: the place */
	}
	if (k != C_NONE) {
		p->cap = k;
		p->cap_depth = p->depth;
		sp_buf_reset(&p->cap_text);
	}
}

/* A captured child closed: store its text in the item. */
static void capture_end(sp_parser *p)
{
	sp_buf *raw = &p->cap_text;
	const char *s = raw->buf ? raw->buf : "";
	switch (p->cap) {
	case C_TITLE:
		if (!p->it_title.len)
			sp_feed_html_to_text(s, raw->len, &p->it_title, p->max_text);
		break;
	case C_DESC:
		sp_feed_html_to_text(s, raw->len, &p->it_desc, p->max_text);
		break;
	case C_SUMMARY:
		sp_feed_html_to_text(s, raw->len, &p->it_summary, p->max_text);
		break;
	case C_CONTENT:
		if (!p->it_content.len)
			sp_feed_html_to_text(s, raw->len, &p->it_content, p->max_text);
		break;
	case C_CATEGORY:
		sp_feed_html_to_text(s, raw->len, &p->tmp, 512);
		if (p->tmp.len && p->it_cats.len + p->tmp.len < p->max_text) {
			for (size_t i = 0; i < p->tmp.len; i++)
				if (p->tmp.buf[i] == ';')
					p->tmp.buf[i] = ',';
			if (p->it_cats.len)
				sp_buf_addc(&p->it_cats, ';');
			sp_buf_add(&p->it_cats, p->tmp.buf, p->tmp.len);
		}
		break;
	case C_COUNTRY:
	case C_CITY: {
		sp_buf *dst = p->cap == C_COUNTRY ? &p->it_country : &p->it_city;
		if (!dst->len)
			sp_feed_html_to_text(s, raw->len, dst, 256);
		break;
	}
	default: {
		/* plain values: trimmed, bounded */
		size_t a = 0, n = raw->len > 2048 ? 2048 : raw->len;
		while (a < n && isspace((unsigned char)s[a]))
			a++;
		while (n > a && isspace((unsigned char)s[n - 1]))
			n--;
		sp_buf *dst = p->cap == C_GUID ? &p->it_guid : p->cap == C_ID ? &p->it_id : p->cap == C_PUB ? &p->it_pub
		              : p->cap == C_DCDATE ? &p->it_dcdate : p->cap == C_UPDATED ? &p->it_updated : NULL;
		if (p->cap == C_LINK) {
			if (p->link_rank < 2 && n > a) {
				sp_buf_reset(&p->it_link);
				sp_buf_add(&p->it_link, s + a, n - a);
				p->link_rank = 2;
			}
		} else if (dst && !dst->len) {
			sp_buf_add(dst, s + a, n - a);
		}
	}
	}
	p->cap = C_NONE;
	sp_buf_reset(&p->cap_text);
}

static void sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI)
{
	sp_parser *p = ctx;
	if (p->cap != C_NONE && p->depth == p->cap_depth)
		capture_end(p);
	else if (p->cap != C_NONE && p->cap_text.len < FEED_RAW_MAX && sp_feed_block_tag((const char *)localname, strlen((const char *)localname)))
		sp_buf_addc(&p->cap_text, ' ');
	if (p->item_depth && p->depth == p->item_depth)
		item_finish(p, 0);
	if (p->in_feed && p->depth == p->feed_depth)
		p->in_feed = 0; /* after </feed>: a second feed element would start again */
	p->depth--;
}

static void sax_text(void *ctx, const xmlChar *ch, int len)
{
	sp_parser *p = ctx;
	if (p->cap == C_NONE || len <= 0)
		return;
	size_t n = (size_t)len;
	if (p->cap_text.len + n > FEED_RAW_MAX)
		n = FEED_RAW_MAX > p->cap_text.len ? FEED_RAW_MAX - p->cap_text.len : 0;
	sp_buf_add(&p->cap_text, (const char *)ch, n);
}

static void sax_error(void *ctx, xmlErrorPtr e)
{
	sp_parser *p = ctx;
	if (!e || e->level < XML_ERR_ERROR)
		return;
	p->nerrors++;
	if (!p->errmsg.len) {
		sp_buf_addf(&p->errmsg, "line %d: %s", e->line, e->message ? e->message : "XML error");
		while (p->errmsg.len && isspace((unsigned char)p->errmsg.buf[p->errmsg.len - 1]))
			p->errmsg.buf[--p->errmsg.len] = '\0';
	}
}

/* ---- the connector ---- */

#define STR_(x) #x
#define STR(x) STR_(x)
const sp_config_key sp_feed_keys[] = {
	{ "source *", "link_is_website", SP_KEY_BOOL, .def = "no" },
	{ "source *", "max_xml_mb", SP_KEY_INT, .def = "1024", .min = 1, .max = 1 << 20 },
	{ "source *", "max_text", SP_KEY_INT, .def = STR(SP_FEED_MAX_TEXT), .min = 64, .max = 1 << 20 },
	{ 0 },
};
static const sp_config_key *const feed_key_arrays[] = { sp_feed_keys, NULL };

/* Read the first bytes into p->peek: *is_json when the first one past white space and a BOM is '{'. */
static int peek_kind(sp_parser *p, int *is_json, sp_err *err)
{
	unsigned char b[4096];
	*is_json = 0;
	while (p->peek.len < sizeof(b)) {
		ssize_t n = sp_stream_read(p->in, b, sizeof(b) - p->peek.len, &p->io_err);
		if (n < 0)
			return sp_err_set(err, p->io_err.code ? p->io_err.code : SP_EIO, "%s: %s", p->path, p->io_err.msg);
		if (n == 0)
			break;
		sp_buf_add(&p->peek, (const char *)b, (size_t)n);
	}
	size_t i = 0;
	const unsigned char *s = (const unsigned char *)p->peek.buf;
	if (p->peek.len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3;
	while (i < p->peek.len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	*is_json = i < p->peek.len && s[i] == '{';
	return SP_OK;
}

static int feed_open(sp_parser **out, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err)
{
	*out = NULL;
	uint64_t max_out = 1024ULL << 20;
	sp_parser *p = sp_xcalloc(1, sizeof(*p));
	p->max_text = SP_FEED_MAX_TEXT;
	if (cfg && src) {
		p->link_is_website = sp_config_bool(cfg, src->section, sp_feed_keys, "link_is_website");
		max_out = (uint64_t)sp_config_int(cfg, src->section, sp_feed_keys, "max_xml_mb") << 20;
		p->max_text = (size_t)sp_config_int(cfg, src->section, sp_feed_keys, "max_text");
	}
	int rc = sp_stream_open(path, ".xml", max_out, &p->in, err);
	if (rc < 0) {
		free(p);
		return rc;
	}
	p->path = sp_xstrdup(path);
	int is_json = 0;
	if ((rc = peek_kind(p, &is_json, err)) < 0)
		goto fail;
	if (is_json) {
		if ((rc = sp_feed_json_open(&p->json, p->in, p->peek.buf, p->peek.len, max_out, path, err)) < 0)
			goto fail;
		*out = p;
		return SP_OK;
	}

	static xmlSAXHandler sax; /* only our handlers: no entity declarations kept, no DTD loaded */
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = sax_start;
	sax.endElementNs = sax_end;
	sax.characters = sax_text;
	sax.cdataBlock = sax_text;
	sax.serror = sax_error;

	/* The first filtered bytes let libxml2 see the XML declaration (encoding). */
	char first[4096];
	int n = feed_read(p, first, sizeof(first));
	if (n < 0) {
		rc = sp_err_set(err, p->io_err.code ? p->io_err.code : SP_EIO, "%s: %s", path, p->io_err.msg);
		goto fail;
	}
	if (n == 0) {
		rc = sp_err_set(err, SP_EFORMAT, "%s: not a feed: empty (or only white space)", path);
		goto fail;
	}
	p->ctxt = xmlCreatePushParserCtxt(&sax, p, first, n, NULL);
	if (!p->ctxt) {
		rc = sp_err_set(err, SP_EFORMAT, "%s: cannot start the XML parser", path);
		goto fail;
	}
	xmlCtxtUseOptions(p->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	*out = p;
	return SP_OK;
fail:
	sp_stream_close(p->in);
	sp_buf_release(&p->out);
	sp_buf_release(&p->peek);
	free(p->path);
	free(p);
	return rc;
}

/* Feed the parser one more chunk. Returns 0, or < 0 on a read error (message in err). */
static int feed_more(sp_parser *p, sp_err *err)
{
	char buf[16384];
	int n = feed_read(p, buf, sizeof(buf));
	if (n < 0) {
		p->parse_done = 1;
		return sp_err_set(err, p->io_err.code ? p->io_err.code : SP_EIO, "%s: %s", p->path, p->io_err.msg);
	}
	xmlParseChunk(p->ctxt, buf, n, n == 0);
	if (n == 0 || p->ctxt->instate == XML_PARSER_EOF || p->ctxt->disableSAX) {
		p->parse_done = 1;
		if (p->item_depth) /* the document ended inside an item */
			item_finish(p, 1);
	}
	return 0;
}

static int feed_next(sp_parser *p, sp_record *rec, sp_err *err)
{
	if (p->json)
		return sp_feed_json_next(p->json, rec, p->link_is_website, p->max_text);
	for (;;) {
		if (p->qhead < p->qlen) {
			sp_record tmp = *rec; /* hand over the queued record, keep rec's buffers for reuse */
			*rec = p->q[p->qhead];
			p->q[p->qhead++] = tmp;
			return rec->reject_reason.len ? SP_REJECT : SP_OK;
		}
		if (p->done)
			return SP_EOF;
		if (p->parse_done) {
			p->done = 1;
			if (!p->seen_root)
				return sp_err_set(err, SP_EFORMAT, "%s: not a feed: not XML (%s)", p->path,
				                  p->errmsg.len ? p->errmsg.buf : "no element");
			if (!p->nitems && !p->feed_depth)
				return sp_err_set(err, SP_EFORMAT, "%s: not a feed (root element <%s>, no rss, RDF or feed element)",
				                  p->path, p->root);
			if (p->nerrors && p->ctxt->instate == XML_PARSER_EOF && p->ctxt->wellFormed == 0 &&
			    !p->broken_reported && p->depth > 0) {
				/* the parser gave up inside the document: say so once, as a reject */
				p->broken_reported = 1;
				sp_record_clear(rec);
				rec->line = p->nitems + 1;
				return sp_record_reject(rec, "broken xml", p->errmsg.buf, p->errmsg.len);
			}
			return SP_EOF;
		}
		int rc = feed_more(p, err);
		if (rc < 0) {
			p->done = 1;
			return rc;
		}
	}
}

static void feed_close(sp_parser *p)
{
	if (!p)
		return;
	if (p->ctxt) {
		if (p->ctxt->myDoc) /* libxml2 makes one to hold an internal subset's declarations */
			xmlFreeDoc(p->ctxt->myDoc);
		xmlFreeParserCtxt(p->ctxt);
	}
	sp_feed_json_free(p->json);
	sp_stream_close(p->in);
	sp_buf *bs[] = { &p->peek, &p->out, &p->errmsg, &p->tmp, &p->cap_text, &p->it_title, &p->it_guid, &p->it_id, &p->it_link,
		         &p->it_desc, &p->it_summary, &p->it_content, &p->it_pub, &p->it_dcdate, &p->it_updated, &p->it_cats,
		         &p->it_country, &p->it_city };
	for (size_t i = 0; i < SP_ARRAY_LEN(bs); i++)
		sp_buf_release(bs[i]);
	for (size_t i = 0; i < p->qcap; i++)
		sp_record_release(&p->q[i]);
	free(p->q);
	free(p->path);
	free(p);
}

const sp_connector sp_connector_feed = { "feed", feed_open, feed_next, feed_close, feed_key_arrays, NULL, NULL };
