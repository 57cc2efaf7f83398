/*
 * json_api.c — one page of a JSON API (or a JSON array, or JSON Lines) as a stream of records.
 *
 * What it does: fetch stores each page of a paginated API as a raw file; this connector reads
 * one such file through sp_stream (plain, zip or gzip) with jansson, finds the array of items
 * at the dotted path `items` (empty: the document itself when it is an array; a single object
 * is one item), and maps each item to a record through `map.<field> = dotted.path` keys.
 *
 * Config keys of [source NAME] (format = json):
 *   items = path.to.array          dotted path; empty = top-level array (or the one object)
 *   map.<field> = a.b.c            <field> is a record field (key name country website founded
 *                                  description categories codes regnum lei ...); alternatives
 *                                  separated by '|' (first non-empty wins)
 *   const.<field> = value          a constant (code_system = naf2, country = FR)
 *   preset = gleif | insee         ready-made mappings (GLEIF golden-copy JSON, INSEE Sirene API)
 *   max_json_mb = 256              a single JSON document larger than this is refused (error)
 * Paths: segments are object keys; a numeric segment indexes an array; an array met before the
 * last segment is mapped over (every element's value, ';'-joined). A final value that is a
 * string/number/bool becomes text; an array is ';'-joined; an object with a "$" member (GLEIF's
 * JSON rendering of XML) gives that member; null or absent leaves the field empty.
 * Dotted paths cannot address keys that themselves contain '.'.
 *
 * JSON Lines: when the file is not one JSON document but several values one per line, each
 * line is parsed on its own (bounded by max_json_mb per line), and each line is an item (or,
 * if items is set, holds an items array).
 *
 * Memory: one document (at most max_json_mb of text) is held as a jansson tree; the JSON Lines
 * path holds one line at a time.
 *
 * Failure: unreadable JSON is SP_EFORMAT with jansson's line/column; an item without key or name
 * is rejected "missing key"/"missing name", a non-object item "item is not an object"; a missing
 * items path is SP_EFORMAT naming the path.
 */
#include "connectors/connector.h"
#include "connectors/archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#define JSON_MAX_FIELD 8192

typedef struct json_map {
	sp_field field;
	char *path;    /* NULL for a constant */
	char *value;   /* constant */
} json_map;

struct sp_parser {
	char *path;
	uint64_t max_bytes;
	char *items_path;
	json_map *map;
	int nmap;
	/* document mode */
	json_t *doc;
	json_t *items;    /* borrowed from doc */
	size_t idx, count;
	/* JSON Lines mode */
	int jsonl;
	sp_stream *in;
	sp_buf line;
	long lineno;
	json_t *linedoc;
	int eof;
	/* load callback state */
	sp_stream *ld_in;
	sp_err ld_err;
	uint64_t ld_total;
	int ld_fail; /* 1 = read error, 2 = too big */
	long nrec;
};

static const struct {
	const char *preset, *items, *field, *path;
} presets[] = {
	{ "gleif", "records", "key", "LEI.$" },
	{ "gleif", NULL, "lei", "LEI.$" },
	{ "gleif", NULL, "name", "Entity.LegalName.$" },
	{ "gleif", NULL, "other_names", "Entity.OtherEntityNames.OtherEntityName.$|Entity.TransliteratedOtherEntityNames.TransliteratedOtherEntityName.$" },
	{ "gleif", NULL, "city", "Entity.LegalAddress.City.$" },
	{ "gleif", NULL, "country", "Entity.LegalAddress.Country.$|Entity.LegalJurisdiction.$" },
	{ "gleif", NULL, "postcode", "Entity.LegalAddress.PostalCode.$" },
	{ "gleif", NULL, "status", "Entity.EntityStatus.$" },
	{ "gleif", NULL, "founded", "Entity.EntityCreationDate.$" },
	{ "gleif", NULL, "legal_form", "Entity.LegalForm.EntityLegalFormCode.$|Entity.LegalForm.OtherLegalForm.$" },
	{ "gleif", NULL, "ra_id", "Entity.RegistrationAuthority.RegistrationAuthorityID.$" },
	{ "gleif", NULL, "ra_entity_id", "Entity.RegistrationAuthority.RegistrationAuthorityEntityID.$" },
	/* INSEE Sirene API v3: an etablissement (with uniteLegale) or a uniteLegale */
	{ "insee", "", "key", "siren" },
	{ "insee", NULL, "regnum", "siren" },
	{ "insee", NULL, "name", "uniteLegale.denominationUniteLegale|denominationUniteLegale|periodesUniteLegale.0.denominationUniteLegale|uniteLegale.nomUniteLegale|periodesUniteLegale.0.nomUniteLegale" },
	{ "insee", NULL, "founded", "uniteLegale.dateCreationUniteLegale|dateCreationUniteLegale" },
	{ "insee", NULL, "status", "uniteLegale.etatAdministratifUniteLegale|periodesUniteLegale.0.etatAdministratifUniteLegale" },
	{ "insee", NULL, "codes", "uniteLegale.activitePrincipaleUniteLegale|periodesUniteLegale.0.activitePrincipaleUniteLegale" },
	{ "insee", NULL, "legal_form", "uniteLegale.categorieJuridiqueUniteLegale|periodesUniteLegale.0.categorieJuridiqueUniteLegale" },
	{ "insee", NULL, "city", "adresseEtablissement.libelleCommuneEtablissement" },
	{ "insee", NULL, "postcode", "adresseEtablissement.codePostalEtablissement" },
	{ "insee", NULL, "country", "=FR" }, /* "=VALUE": a constant, as const.FIELD (a SIRENE unit is French) */
};

static int field_by_name(const char *name, sp_field *out)
{
	if (!strcmp(name, "key")) {
		*out = SP_F_KEY;
		return 1;
	}
	for (int i = 0; i < SP_F__COUNT; i++)
		if (!strcmp(sp_field_names[i], name)) {
			*out = (sp_field)i;
			return 1;
		}
	return 0;
}

static void map_add(sp_parser *p, sp_field f, const char *path, const char *value)
{
	for (int i = 0; i < p->nmap; i++) /* a later key for the same field replaces (config over preset) */
		if (p->map[i].field == f) {
			free(p->map[i].path);
			free(p->map[i].value);
			p->map[i].path = path ? sp_xstrdup(path) : NULL;
			p->map[i].value = value ? sp_xstrdup(value) : NULL;
			return;
		}
	p->map = sp_xrealloc(p->map, (size_t)(p->nmap + 1) * sizeof(*p->map));
	p->map[p->nmap].field = f;
	p->map[p->nmap].path = path ? sp_xstrdup(path) : NULL;
	p->map[p->nmap].value = value ? sp_xstrdup(value) : NULL;
	p->nmap++;
}

/* ---- value extraction ---- */

static void add_scalar(sp_buf *out, json_t *v)
{
	char num[64];
	const char *s = NULL;
	size_t n = 0;
	if (json_is_object(v)) {
		json_t *d = json_object_get(v, "$");
		if (!d)
			return;
		v = d;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER:
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = num;
		break;
	case JSON_REAL:
		n = (size_t)snprintf(num, sizeof(num), "%.15g", json_real_value(v));
		s = num;
		break;
	case JSON_TRUE:
		s = "true", n = 4;
		break;
	case JSON_FALSE:
		s = "false", n = 5;
		break;
	default:
		return;
	}
	/* trim, skip empty, ';' separates values */
	while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (!n || out->len + n + 1 > JSON_MAX_FIELD)
		return;
	if (out->len)
		sp_buf_addc(out, ';');
	size_t at = out->len;
	sp_buf_add(out, s, n);
	for (size_t i = at; i < out->len; i++)
		if (out->buf[i] == '\0')
			out->buf[i] = ' ';
}

/* Collect the value(s) at path (segments separated by '.') under v into out. */
static void collect(json_t *v, const char *path, sp_buf *out, int depth)
{
	if (!v || depth > 64)
		return;
	if (!*path) {
		if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				if (json_is_array(e))
					continue;
				add_scalar(out, e);
			}
		} else {
			add_scalar(out, v);
		}
		return;
	}
	const char *dot = strchr(path, '.');
	size_t n = dot ? (size_t)(dot - path) : strlen(path);
	const char *rest = dot ? dot + 1 : "";
	char seg[256];
	if (n >= sizeof(seg))
		return;
	memcpy(seg, path, n);
	seg[n] = '\0';
	if (json_is_object(v)) {
		collect(json_object_get(v, seg), rest, out, depth + 1);
	} else if (json_is_array(v)) {
		char *end = NULL;
		unsigned long k = strtoul(seg, &end, 10);
		if (n && end == seg + n) {
			collect(json_array_get(v, k), rest, out, depth + 1);
		} else { /* map over the elements */
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) collect(json_object_get(e, seg), rest, out, depth + 1);
		}
	}
}

static json_t *get_path(json_t *v, const char *path)
{
	char seg[256];
	while (v && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (json_is_object(v)) {
			v = json_object_get(v, seg);
		} else if (json_is_array(v)) {
			char *end = NULL;
			unsigned long k = strtoul(seg, &end, 10);
			v = n && end == seg + n ? json_array_get(v, k) : NULL;
		} else {
			v = NULL;
		}
		path = dot ? dot + 1 : path + n;
	}
	return v;
}

static int fill(sp_parser *p, json_t *item, sp_record *rec)
{
	sp_record_clear(rec);
	rec->line = ++p->nrec;
	if (!json_is_object(item)) {
		char *s = json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);
		int rc = sp_record_reject(rec, "item is not an object", s, s ? strlen(s) : 0);
		free(s);
		return rc;
	}
	sp_buf v = SP_BUF_INIT;
	for (int i = 0; i < p->nmap; i++) {
		json_map *m = &p->map[i];
		if (!m->path) {
			sp_record_sets(rec, m->field, m->value);
			continue;
		}
		const char *alt = m->path;
		while (*alt) {
			const char *bar = strchr(alt, '|');
			size_t n = bar ? (size_t)(bar - alt) : strlen(alt);
			char *one = sp_xstrndup(alt, n);
			sp_buf_reset(&v);
			collect(item, one, &v, 0);
			free(one);
			if (v.len) {
				sp_record_set(rec, m->field, v.buf, v.len);
				break;
			}
			alt = bar ? bar + 1 : alt + n;
		}
	}
	sp_buf_release(&v);
	if (!rec->f[SP_F_KEY].len || !rec->f[SP_F_NAME].len) {
		char *s = json_dumps(item, JSON_COMPACT);
		int rc = sp_record_reject(rec, !rec->f[SP_F_KEY].len ? "missing key" : "missing name", s, s ? strlen(s) : 0);
		free(s);
		return rc;
	}
	return SP_OK;
}

/* ---- loading ---- */

static size_t load_cb(void *buf, size_t n, void *data)
{
	sp_parser *p = data;
	ssize_t k = sp_stream_read(p->ld_in, buf, n, &p->ld_err);
	if (k < 0) {
		p->ld_fail = 1;
		return (size_t)-1;
	}
	p->ld_total += (uint64_t)k;
	if (p->ld_total > p->max_bytes) {
		p->ld_fail = 2;
		return (size_t)-1;
	}
	return (size_t)k;
}

/* Items array of a document (or the document itself). Returns SP_OK or SP_EFORMAT. */
static int find_items(sp_parser *p, json_t *doc, json_t **items, sp_err *err, long line)
{
	if (p->items_path && *p->items_path) {
		*items = get_path(doc, p->items_path);
		if (!*items) {
			if (line)
				return sp_err_set(err, SP_EFORMAT, "%s:%ld: no '%s' in this JSON line", p->path, line, p->items_path);
			return sp_err_set(err, SP_EFORMAT, "%s: no '%s' in the JSON document (items = %s)", p->path,
			                  p->items_path, p->items_path);
		}
	} else {
		*items = doc;
	}
	return SP_OK;
}

const sp_config_key sp_json_keys[] = {
	{ "source *", "items", SP_KEY_STRING, .flags = 0 },
	{ "source *", "preset", SP_KEY_ENUM, .choices = "gleif|insee" },
	{ "source *", "map.*", SP_KEY_STRING, .names = sp_field_config_name },
	{ "source *", "const.*", SP_KEY_STRING, .names = sp_field_config_name },
	{ "source *", "max_json_mb", SP_KEY_INT, .def = "256", .min = 1, .max = 1 << 20 },
	{ 0 },
};
static const sp_config_key *const json_key_arrays[] = { sp_json_keys, sp_fetch_page_keys, NULL };

static int json_open(sp_parser **out, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err)
{
	*out = NULL;
	sp_parser *p = sp_xcalloc(1, sizeof(*p));
	p->path = sp_xstrdup(path);
	p->max_bytes = 256ULL << 20;
	int rc = SP_OK;
	if (cfg && src) {
		p->max_bytes = (uint64_t)sp_config_int(cfg, src->section, sp_json_keys, "max_json_mb") << 20;
		const char *preset = sp_config_str(cfg, src->section, sp_json_keys, "preset");
		if (preset) {
			int found = 0;
			for (size_t i = 0; i < SP_ARRAY_LEN(presets); i++) {
				if (strcasecmp(presets[i].preset, preset))
					continue;
				sp_field f;
				if (presets[i].items && !found)
					p->items_path = sp_xstrdup(presets[i].items);
				found = 1;
				const char *pp = presets[i].path;
				if (field_by_name(presets[i].field, &f))
					map_add(p, f, pp[0] == '=' ? NULL : pp, pp[0] == '=' ? pp + 1 : NULL);
			}
			if (!found) {
				const sp_kv *kv = sp_config_find(cfg, src->section, "preset");
				rc = sp_err_set(err, SP_ECONFIG, "%s:%d: unknown json preset '%s' (known: gleif, insee)", cfg->path,
				                kv ? kv->line : src->line, preset);
				goto fail;
			}
		}
		const char *items = sp_config_str(cfg, src->section, sp_json_keys, "items");
		if (items) {
			free(p->items_path);
			p->items_path = sp_xstrdup(items);
		}
		int it = 0;
		const sp_kv *kv;
		while ((kv = sp_config_kv_next(cfg, src->section, &it))) {
			int is_map = !strncmp(kv->key, "map.", 4), is_const = !strncmp(kv->key, "const.", 6);
			if (!is_map && !is_const)
				continue;
			sp_field f;
			const char *name = kv->key + (is_map ? 4 : 6);
			if (!field_by_name(name, &f)) {
				rc = sp_err_set(err, SP_ECONFIG, "%s:%d: %s: unknown record field '%s'", cfg->path, kv->line, kv->key,
				                name);
				goto fail;
			}
			map_add(p, f, is_map ? kv->value : NULL, is_const ? kv->value : NULL);
		}
	}
	if (!p->nmap) { /* no mapping at all: the obvious names */
		map_add(p, SP_F_KEY, "id|key|uuid", NULL);
		map_add(p, SP_F_NAME, "name|title", NULL);
	}

	if ((rc = sp_stream_open(path, ".json", 0, &p->ld_in, err)) < 0) /* load_cb bounds it */
		goto fail;
	json_error_t je;
	p->doc = json_load_callback(load_cb, p, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	sp_stream_close(p->ld_in);
	p->ld_in = NULL;
	if (!p->doc) {
		if (p->ld_fail == 2) {
			rc = sp_err_set(err, SP_EFORMAT, "%s: JSON document larger than max_json_mb (%llu MB): refused", path,
			                (unsigned long long)(p->max_bytes >> 20));
			goto fail;
		}
		if (p->ld_fail == 1) {
			rc = sp_err_set(err, p->ld_err.code ? p->ld_err.code : SP_EIO, "%s: %s", path, p->ld_err.msg);
			goto fail;
		}
		if (strstr(je.text, "end of file expected") && je.line > 1) {
			/* several values, one per line: JSON Lines */
			p->jsonl = 1;
			if ((rc = sp_stream_open(path, ".json", 0, &p->in, err)) < 0)
				goto fail;
			*out = p;
			return SP_OK;
		}
		rc = sp_err_set(err, SP_EFORMAT, "%s: not valid JSON: line %d column %d: %s", path, je.line, je.column, je.text);
		goto fail;
	}
	if ((rc = find_items(p, p->doc, &p->items, err, 0)) < 0)
		goto fail;
	p->count = json_is_array(p->items) ? json_array_size(p->items) : 1;
	*out = p;
	return SP_OK;
fail:
	p->ld_in = NULL;
	sp_connector_json.close(p);
	return rc;
}

/* JSON Lines: read the next non-blank line into p->line. 1 = got one, 0 = end, < 0 error. */
static int read_line(sp_parser *p, sp_err *err)
{
	sp_buf_reset(&p->line);
	for (;;) {
		char c;
		ssize_t k = sp_stream_read(p->in, &c, 1, err);
		if (k < 0)
			return (int)k;
		if (k == 0) {
			p->eof = 1;
			return p->line.len ? 1 : 0;
		}
		if (c == '\n') {
			p->lineno++;
			size_t a = 0;
			while (a < p->line.len && (p->line.buf[a] == ' ' || p->line.buf[a] == '\t' || p->line.buf[a] == '\r'))
				a++;
			if (a == p->line.len) {
				sp_buf_reset(&p->line);
				continue;
			}
			return 1;
		}
		if (p->line.len >= p->max_bytes)
			return sp_err_set(err, SP_EFORMAT, "%s:%ld: JSON line larger than max_json_mb: refused", p->path,
			                  p->lineno + 1);
		sp_buf_addc(&p->line, c);
	}
}

static int json_next(sp_parser *p, sp_record *rec, sp_err *err)
{
	if (!p->jsonl) {
		if (p->idx >= p->count)
			return SP_EOF;
		json_t *item = json_is_array(p->items) ? json_array_get(p->items, p->idx) : p->items;
		p->idx++;
		return fill(p, item, rec);
	}
	for (;;) {
		if (p->linedoc && p->idx < p->count) {
			json_t *item = json_is_array(p->items) ? json_array_get(p->items, p->idx) : p->items;
			p->idx++;
			return fill(p, item, rec);
		}
		json_decref(p->linedoc);
		p->linedoc = NULL;
		if (p->eof)
			return SP_EOF;
		int r = read_line(p, err);
		if (r < 0)
			return r;
		if (r == 0)
			return SP_EOF;
		json_error_t je;
		p->linedoc = json_loadb(p->line.buf, p->line.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!p->linedoc) {
			sp_record_clear(rec);
			rec->line = ++p->nrec;
			return sp_record_reject(rec, "invalid json line", p->line.buf, p->line.len);
		}
		if (find_items(p, p->linedoc, &p->items, err, p->lineno) < 0) {
			sp_record_clear(rec);
			rec->line = ++p->nrec;
			json_decref(p->linedoc);
			p->linedoc = NULL;
			return sp_record_reject(rec, "no items in json line", p->line.buf, p->line.len);
		}
		p->idx = 0;
		p->count = json_is_array(p->items) ? json_array_size(p->items) : 1;
	}
}

static void json_close(sp_parser *p)
{
	if (!p)
		return;
	json_decref(p->doc);
	json_decref(p->linedoc);
	sp_stream_close(p->in);
	sp_stream_close(p->ld_in);
	sp_buf_release(&p->line);
	for (int i = 0; i < p->nmap; i++) {
		free(p->map[i].path);
		free(p->map[i].value);
	}
	free(p->map);
	free(p->items_path);
	free(p->path);
	free(p);
}

/* A JSON page says nothing of being whole: with mode = delta (GLEIF's JSON delta files, preset
 * gleif) every file is applied as a delta. */
static int json_full_file(sp_parser *p)
{
	return 0;
}

const sp_connector sp_connector_json = { "json", json_open, json_next, json_close, json_key_arrays, NULL, json_full_file };
