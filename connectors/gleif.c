/*
 * gleif.c — GLEIF LEI-CDF XML (1.0, 2.1, 3.x; plain, zip or gzip) as a stream of records.
 *
 * What it does: reads the raw file through sp_stream (archive.h) into libxml2's xmlTextReader
 * (xmlReaderForIO), walks the document node by node and, at each LEIRecord element, expands that
 * one element into a small DOM (xmlTextReaderExpand), copies its fields into the record, then
 * skips past it (xmlTextReaderNext), which lets the reader free the subtree. Memory is bounded
 * by the largest single LEIRecord, never by the file.
 *
 * Fields: LEI (key and lei), Entity/LegalName (name), OtherEntityNames/OtherEntityName and
 * TransliteratedOtherEntityNames (other_names, ';'-separated), LegalAddress City/Country/
 * PostalCode (country falls back to the LegalJurisdiction's country part), EntityStatus (status),
 * EntityCreationDate (founded, 3.x only), Registration/RegistrationStatus (folded into status:
 * "INACTIVE (RETIRED)", "ACTIVE (LAPSED)"; see set_status), LegalForm/EntityLegalFormCode (legal_form; the
 * OtherLegalForm text when the code is 8888 or absent; LegalForm text in 1.0),
 * RegistrationAuthority/RegistrationAuthorityID (ra_id) and RegistrationAuthorityEntityID
 * (ra_entity_id); in LEI-CDF 1.0 BusinessRegisterEntityID with its register= attribute.
 * Elements are matched by local name, so any namespace prefix (lei:, none, a 3.x namespace) works.
 *
 * Security: XML_PARSE_NONET, never NOENT/DTDLOAD: no network, no external entity, no entity
 * expansion (XXE and billion laughs fail safe). Decompressed size is capped by the stream
 * (source key max_xml_mb, default 65536, i.e. 64 GiB) so a zip bomb ends in an error.
 *
 * Full or delta: the header's FileContent (GLEIF_FULL_PUBLISHED, GLEIF_DELTA_PUBLISHED,
 * LOU_DELTA_PUBLISHED ...) says whether the file is the whole golden copy or a delta (LastDay,
 * LastWeek, IntraDay: only the LEIs new, changed or retired since); sp_connector.full_file tells
 * the parse stage, which with `mode = delta` applies a delta on top of the last snapshot. A file
 * without that header counts as full.
 *
 * Failure: a record with no LEI is rejected "missing key", with no legal name "missing name".
 * A file that is not XML, or XML with no LEIRecord at all, ends in SP_EFORMAT; an XML error
 * after some records were yielded ends the stream with SP_EFORMAT naming the line.
 */
#include "connectors/connector.h"
#include "connectors/archive.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#define GLEIF_MAX_FIELD 4096

struct sp_parser {
	sp_stream *in;
	xmlTextReaderPtr reader;
	sp_err io_err;      /* last error of the stream read callback */
	int io_failed;
	char *path;
	long nrec;          /* LEIRecord elements seen */
	int done;
	int pending, next_rc;
	sp_buf errmsg;      /* first fatal XML error message */
	int full;           /* the header's FileContent says a full file (*_FULL_*); 1 when it has none */
};

static int gleif_read(void *ctx, char *buf, int len)
{
	sp_parser *p = ctx;
	ssize_t n = sp_stream_read(p->in, buf, (size_t)len, &p->io_err);
	if (n < 0) {
		p->io_failed = 1;
		return -1;
	}
	return (int)n;
}

static int gleif_close_cb(void *ctx)
{
	(void)ctx;
	return 0;
}

static void gleif_error(void *arg, const char *msg, xmlParserSeverities sev, xmlTextReaderLocatorPtr loc)
{
	sp_parser *p = arg;
	if (sev == XML_PARSER_SEVERITY_ERROR || sev == XML_PARSER_SEVERITY_VALIDITY_ERROR) {
		if (!p->errmsg.len) {
			if (xmlTextReaderLocatorLineNumber(loc) > 0)
				sp_buf_addf(&p->errmsg, "line %d: ", xmlTextReaderLocatorLineNumber(loc));
			sp_buf_adds(&p->errmsg, msg);
			while (p->errmsg.len && (p->errmsg.buf[p->errmsg.len - 1] == '\n'))
				p->errmsg.buf[--p->errmsg.len] = '\0';
		}
	}
}

static int lname_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->name && !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	if (!n)
		return NULL;
	for (const xmlNode *c = n->children; c; c = c->next)
		if (lname_is(c, name))
			return c;
	return NULL;
}

/*
 * Text of an element: its text and CDATA descendants, at most GLEIF_MAX_FIELD bytes. Entity
 * references are never followed (no expansion, whatever the document declares).
 */
static void collect(const xmlNode *n, sp_buf *b, int depth)
{
	for (const xmlNode *c = n->children; c && b->len < GLEIF_MAX_FIELD; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			size_t len = c->content ? strlen((const char *)c->content) : 0;
			if (len > GLEIF_MAX_FIELD - b->len)
				len = GLEIF_MAX_FIELD - b->len;
			sp_buf_add(b, (const char *)c->content, len);
		} else if (c->type == XML_ELEMENT_NODE && depth < 32) {
			collect(c, b, depth + 1);
		}
	}
}

static void set_text(sp_record *r, sp_field f, const xmlNode *n)
{
	if (!n)
		return;
	sp_buf b = SP_BUF_INIT;
	collect(n, &b, 0);
	sp_record_set(r, f, b.buf, b.len);
	sp_buf_release(&b);
}

static void append_text(sp_record *r, sp_field f, const xmlNode *n)
{
	sp_buf b = SP_BUF_INIT;
	collect(n, &b, 0);
	if (r->f[f].len + b.len < 4 * GLEIF_MAX_FIELD)
		sp_record_append(r, f, b.buf, b.len);
	sp_buf_release(&b);
}

static void append_names(sp_record *r, const xmlNode *list, const char *item)
{
	if (!list)
		return;
	for (const xmlNode *c = list->children; c; c = c->next)
		if (lname_is(c, item))
			append_text(r, SP_F_OTHER_NAMES, c);
}

/*
 * status: the EntityStatus, and what the LEI's RegistrationStatus says beyond it. An LEI RETIRED,
 * MERGED, ANNULLED or DUPLICATE is of a company that is gone (or never was that one): "INACTIVE
 * (RETIRED)", whatever the EntityStatus; a LAPSED LEI (not renewed) is of a company that usually
 * still trades: "ACTIVE (LAPSED)". normalise reads the first word (sp_norm_active). The record is
 * kept either way: a retired LEI stays in its entity, inactive, with the judgements made on it.
 */
static void set_status(sp_record *rec, const xmlNode *entity_status, const xmlNode *reg_status)
{
	static const char *const ended[] = { "RETIRED", "MERGED", "ANNULLED", "DUPLICATE" };
	set_text(rec, SP_F_STATUS, entity_status);
	sp_buf reg = SP_BUF_INIT;
	if (reg_status)
		collect(reg_status, &reg, 0);
	const char *r = reg.len ? reg.buf : "";
	int gone = 0;
	for (size_t i = 0; i < SP_ARRAY_LEN(ended); i++)
		gone |= !strcmp(r, ended[i]);
	if (gone || !strcmp(r, "LAPSED")) {
		sp_buf b = SP_BUF_INIT;
		sp_buf_addf(&b, "%s (%s)", gone ? "INACTIVE" : rec->f[SP_F_STATUS].len ? rec->f[SP_F_STATUS].buf : "ACTIVE", r);
		sp_record_set(rec, SP_F_STATUS, b.buf, b.len);
		sp_buf_release(&b);
	}
	sp_buf_release(&reg);
}

/* Fill rec from one expanded LEIRecord element. */
static int fill_record(const xmlNode *lr, sp_record *rec)
{
	const xmlNode *e = child(lr, "Entity");
	set_text(rec, SP_F_KEY, child(lr, "LEI"));
	sp_record_set(rec, SP_F_LEI, rec->f[SP_F_KEY].buf, rec->f[SP_F_KEY].len);
	set_text(rec, SP_F_NAME, child(e, "LegalName"));
	append_names(rec, child(e, "OtherEntityNames"), "OtherEntityName");
	append_names(rec, child(e, "TransliteratedOtherEntityNames"), "TransliteratedOtherEntityName");

	const xmlNode *addr = child(e, "LegalAddress");
	if (!addr)
		addr = child(e, "HeadquartersAddress");
	set_text(rec, SP_F_CITY, child(addr, "City"));
	set_text(rec, SP_F_COUNTRY, child(addr, "Country"));
	set_text(rec, SP_F_POSTCODE, child(addr, "PostalCode"));
	if (!rec->f[SP_F_COUNTRY].len) {
		set_text(rec, SP_F_COUNTRY, child(e, "LegalJurisdiction"));
		sp_buf *c = &rec->f[SP_F_COUNTRY];
		char *dash = c->buf ? strchr(c->buf, '-') : NULL;
		if (dash) { /* "US-DE" -> "US" */
			*dash = '\0';
			c->len = (size_t)(dash - c->buf);
		}
	}
	set_status(rec, child(e, "EntityStatus"), child(child(lr, "Registration"), "RegistrationStatus"));
	set_text(rec, SP_F_FOUNDED, child(e, "EntityCreationDate"));

	const xmlNode *lf = child(e, "LegalForm");
	if (lf) {
		const xmlNode *code = child(lf, "EntityLegalFormCode"), *other = child(lf, "OtherLegalForm");
		if (code)
			set_text(rec, SP_F_LEGAL_FORM, code);
		if (other && (!rec->f[SP_F_LEGAL_FORM].len || !strcmp(rec->f[SP_F_LEGAL_FORM].buf, "8888")))
			set_text(rec, SP_F_LEGAL_FORM, other);
		if (!code && !other) /* LEI-CDF 1.0: text */
			set_text(rec, SP_F_LEGAL_FORM, lf);
	}

	const xmlNode *ra = child(e, "RegistrationAuthority");
	if (ra) {
		set_text(rec, SP_F_RA_ID, child(ra, "RegistrationAuthorityID"));
		set_text(rec, SP_F_RA_ENTITY_ID, child(ra, "RegistrationAuthorityEntityID"));
	} else {
		const xmlNode *br = child(e, "BusinessRegisterEntityID"); /* LEI-CDF 1.0 */
		if (br) {
			xmlChar *reg = xmlGetProp(br, (const xmlChar *)"register");
			if (reg) {
				sp_record_sets(rec, SP_F_RA_ID, (const char *)reg);
				xmlFree(reg);
			}
			set_text(rec, SP_F_RA_ENTITY_ID, br);
		}
	}

	if (!rec->f[SP_F_KEY].len)
		return sp_record_reject(rec, "missing key", rec->f[SP_F_NAME].buf, rec->f[SP_F_NAME].len);
	if (!rec->f[SP_F_NAME].len)
		return sp_record_reject(rec, "missing name", rec->f[SP_F_KEY].buf, rec->f[SP_F_KEY].len);
	return SP_OK;
}

static const sp_config_key gleif_keys[] = {
	{ "source *", "max_xml_mb", SP_KEY_INT, .def = "65536", .min = 1, .max = 1 << 30 },
	{ 0 },
};
static const sp_config_key *const gleif_key_arrays[] = { gleif_keys, NULL };

static int gleif_open(sp_parser **out, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err)
{
	*out = NULL;
	uint64_t max_out = 64ULL << 30;
	if (cfg && src) {
		max_out = (uint64_t)sp_config_int(cfg, src->section, gleif_keys, "max_xml_mb") << 20;
	}
	sp_parser *p = sp_xcalloc(1, sizeof(*p));
	int rc = sp_stream_open(path, ".xml", max_out, &p->in, err);
	if (rc < 0) {
		free(p);
		return rc;
	}
	p->path = sp_xstrdup(path);
	p->full = 1;
	p->reader = xmlReaderForIO(gleif_read, gleif_close_cb, p, NULL, NULL,
	                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT);
	if (!p->reader) {
		sp_stream_close(p->in);
		free(p->path);
		free(p);
		return sp_err_set(err, SP_EFORMAT, "%s: cannot start the XML reader", path);
	}
	xmlTextReaderSetErrorHandler(p->reader, gleif_error, p);
	*out = p;
	return SP_OK;
}

static int fail(sp_parser *p, sp_err *err)
{
	p->done = 1;
	if (p->io_failed)
		return sp_err_set(err, p->io_err.code ? p->io_err.code : SP_EIO, "%s: %s", p->path, p->io_err.msg);
	return sp_err_set(err, SP_EFORMAT, "%s: not well-formed XML (at LEI record %ld): %s", p->path, p->nrec,
	                  p->errmsg.len ? p->errmsg.buf : "parse error");
}

static int gleif_next(sp_parser *p, sp_record *rec, sp_err *err)
{
	if (p->done)
		return SP_EOF;
	for (;;) {
		int r;
		if (p->pending) { /* xmlTextReaderNext() already moved to this node */
			p->pending = 0;
			r = p->next_rc;
		} else {
			r = xmlTextReaderRead(p->reader);
		}
		if (r == 0) {
			p->done = 1;
			if (p->nrec == 0)
				return sp_err_set(err, SP_EFORMAT, "%s: no LEIRecord element: not a GLEIF LEI-CDF file", p->path);
			return SP_EOF;
		}
		if (r < 0)
			return fail(p, err);
		if (xmlTextReaderNodeType(p->reader) != XML_READER_TYPE_ELEMENT)
			continue;
		const xmlChar *ln = xmlTextReaderConstLocalName(p->reader);
		if (ln && !p->nrec && !strcmp((const char *)ln, "FileContent")) { /* the header: full or delta */
			xmlChar *v = xmlTextReaderReadString(p->reader);
			p->full = !v || !strstr((const char *)v, "DELTA");
			xmlFree(v);
			continue;
		}
		if (!ln || strcmp((const char *)ln, "LEIRecord"))
			continue;
		p->nrec++;
		xmlNodePtr n = xmlTextReaderExpand(p->reader);
		if (!n)
			return fail(p, err);
		sp_record_clear(rec);
		rec->line = p->nrec;
		int rc = fill_record(n, rec);
		/* Move past the subtree so the reader can free it; the node it lands on (or the
		 * end, or an error) is examined at the next call. */
		p->next_rc = xmlTextReaderNext(p->reader);
		p->pending = 1;
		return rc;
	}
}

static void gleif_close(sp_parser *p)
{
	if (!p)
		return;
	if (p->reader)
		xmlFreeTextReader(p->reader);
	sp_stream_close(p->in);
	sp_buf_release(&p->errmsg);
	free(p->path);
	free(p);
}

static int gleif_full_file(sp_parser *p)
{
	return p->full;
}

const sp_connector sp_connector_gleif = { "gleif", gleif_open, gleif_next, gleif_close, gleif_key_arrays, NULL,
					  gleif_full_file };
