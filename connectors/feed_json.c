/*
 * feed_json.c — JSON Feed 1.0/1.1 items as records, for the feed connector (feed_json.h).
 *
 * Invariants: every text field goes through the same HTML-to-text stripper as RSS/Atom items
 * (feed_text.h), so a JSON Feed item and an RSS item with the same content give the same record.
 * The document is read through the caller's stream with a byte cap; jansson never sees more.
 */
#include "connectors/feed_json.h"
#include "connectors/feed_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct sp_feed_json {
	json_t *doc;
	json_t *items; /* borrowed from doc; NULL when the feed has none */
	size_t idx;
	/* load state */
	sp_stream *in;
	const char *head;
	size_t nhead, headpos;
	uint64_t total, max;
	int fail; /* 1 read error, 2 too big */
	sp_err io_err;
	sp_buf tmp;
};

static size_t load_cb(void *buf, size_t n, void *data)
{
	sp_feed_json *j = data;
	if (j->headpos < j->nhead) {
		size_t k = j->nhead - j->headpos < n ? j->nhead - j->headpos : n;
		memcpy(buf, j->head + j->headpos, k);
		j->headpos += k;
		j->total += k;
		return k;
	}
	ssize_t r = sp_stream_read(j->in, buf, n, &j->io_err);
	if (r < 0) {
		j->fail = 1;
		return (size_t)-1;
	}
	j->total += (uint64_t)r;
	if (j->total > j->max) {
		j->fail = 2;
		return (size_t)-1;
	}
	return (size_t)r;
}

int sp_feed_json_open(sp_feed_json **out, sp_stream *in, const char *head, size_t nhead, uint64_t max_bytes,
		      const char *path, sp_err *err)
{
	*out = NULL;
	sp_feed_json *j = sp_xcalloc(1, sizeof(*j));
	j->in = in;
	j->head = head;
	j->nhead = nhead;
	j->max = max_bytes;
	json_error_t je;
	j->doc = json_load_callback(load_cb, j, JSON_ALLOW_NUL, &je);
	j->head = NULL;
	int rc = SP_OK;
	if (!j->doc && j->fail == 1)
		rc = sp_err_set(err, j->io_err.code ? j->io_err.code : SP_EIO, "%s: %s", path, j->io_err.msg);
	else if (!j->doc && j->fail == 2)
		rc = sp_err_set(err, SP_EFORMAT, "%s: JSON feed larger than %llu MB (max_xml_mb)", path,
				(unsigned long long)(j->max >> 20));
	else if (!j->doc)
		rc = sp_err_set(err, SP_EFORMAT, "%s: not a feed: JSON error at line %d column %d: %s", path, je.line,
				je.column, je.text);
	if (rc == SP_OK) {
		const char *v = json_string_value(json_object_get(j->doc, "version"));
		if (!json_is_object(j->doc) || !v || strncmp(v, "https://jsonfeed.org/version/1", 30))
			rc = sp_err_set(err, SP_EFORMAT, "%s: not a feed: JSON without a jsonfeed.org version (%s)", path,
					v ? v : "no \"version\"");
	}
	if (rc != SP_OK) {
		sp_feed_json_free(j);
		return rc;
	}
	j->items = json_object_get(j->doc, "items");
	if (!json_is_array(j->items))
		j->items = NULL;
	*out = j;
	return SP_OK;
}

/* A string member as text (a number id as digits); "" when absent. */
static const char *member(json_t *o, const char *name, char num[32])
{
	json_t *v = json_object_get(o, name);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(num, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return num;
	}
	return "";
}

static void set_text(sp_feed_json *j, sp_record *r, sp_field f, const char *s, size_t max)
{
	sp_feed_html_to_text(s, strlen(s), &j->tmp, max);
	sp_record_set(r, f, j->tmp.buf, j->tmp.len);
}

int sp_feed_json_next(sp_feed_json *j, sp_record *rec, int link_is_website, size_t max_text)
{
	if (!j->items || j->idx >= json_array_size(j->items))
		return SP_EOF;
	json_t *it = json_array_get(j->items, j->idx++);
	sp_record_clear(rec);
	rec->line = (long)j->idx;
	if (!json_is_object(it)) {
		char *s = json_dumps(it, JSON_COMPACT | JSON_ENCODE_ANY);
		int rc = sp_record_reject(rec, "item is not an object", s ? s : "", s ? strlen(s) : 0);
		free(s);
		return rc;
	}
	char n1[32], n2[32];
	set_text(j, rec, SP_F_NAME, member(it, "title", n2), max_text);
	const char *id = member(it, "id", n1), *url = member(it, "url", n2);
	if (!*url)
		url = member(it, "external_url", n2);
	const char *key = *id ? id : *url ? url : sp_record_get(rec, SP_F_NAME);
	sp_record_sets(rec, SP_F_KEY, key);
	if (link_is_website && *url)
		sp_record_sets(rec, SP_F_WEBSITE, url);
	const char *d = member(it, "summary", n2);
	if (!*d)
		d = member(it, "content_text", n2);
	if (!*d)
		d = member(it, "content_html", n2);
	set_text(j, rec, SP_F_DESCRIPTION, d, max_text);
	const char *pub = member(it, "date_published", n2);
	sp_record_sets(rec, SP_F_PUBLISHED, *pub ? pub : member(it, "date_modified", n2));
	json_t *tags = json_object_get(it, "tags"), *t;
	size_t i;
	json_array_foreach(tags, i, t) {
		if (!json_is_string(t) || rec->f[SP_F_CATEGORIES].len + json_string_length(t) >= max_text)
			continue;
		sp_feed_html_to_text(json_string_value(t), json_string_length(t), &j->tmp, 512);
		for (size_t k = 0; k < j->tmp.len; k++)
			if (j->tmp.buf[k] == ';')
				j->tmp.buf[k] = ',';
		if (j->tmp.len)
			sp_record_append(rec, SP_F_CATEGORIES, j->tmp.buf, j->tmp.len);
	}
	if (!rec->f[SP_F_NAME].len)
		return sp_record_reject(rec, "missing name", rec->f[SP_F_KEY].buf, rec->f[SP_F_KEY].len);
	return SP_OK;
}

void sp_feed_json_free(sp_feed_json *j)
{
	if (!j)
		return;
	json_decref(j->doc);
	sp_buf_release(&j->tmp);
	free(j);
}
