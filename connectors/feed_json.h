/*
 * feed_json.h — PRIVATE to the feed connector (feed.c, feed_json.c): JSON Feed 1.0 and 1.1
 * (https://jsonfeed.org/version/1.1), which `format = feed` detects beside RSS and Atom.
 *
 * feed.c opens the raw stream, looks at its first bytes and, when the document starts with '{',
 * hands the stream (and the bytes it already read) to sp_feed_json_open(). Items are mapped the
 * way feed.c maps an RSS/Atom item (see feed.c): key = id, else url, else title; name = title
 * (HTML stripped); website = url (else external_url) only with link_is_website = yes;
 * categories = tags; description = summary, else content_text, else content_html stripped;
 * published = date_published, else date_modified (RFC 3339, raw). An item without a title is
 * rejected "missing name", one that is not an object "item is not an object".
 *
 * Memory: the one JSON document is held as a jansson tree, at most max_bytes of text (the source's
 * max_xml_mb): a JSON Feed is one document, a feed's latest items, not a registry.
 * Failure: not JSON, or JSON without a jsonfeed.org "version", is SP_EFORMAT naming the file.
 * Ownership: the caller keeps the stream and closes it after sp_feed_json_free (NULL: no-op).
 */
#ifndef SP_FEED_JSON_H
#define SP_FEED_JSON_H

#include "connectors/archive.h"
#include "connectors/connector.h"

typedef struct sp_feed_json sp_feed_json;

/* Parse the document: head[0..nhead) are bytes already read from in. */
int sp_feed_json_open(sp_feed_json **out, sp_stream *in, const char *head, size_t nhead, uint64_t max_bytes,
		      const char *path, sp_err *err);
/* The next item, as connector.h's next(): SP_OK, SP_REJECT or SP_EOF. */
int sp_feed_json_next(sp_feed_json *j, sp_record *rec, int link_is_website, size_t max_text);
void sp_feed_json_free(sp_feed_json *j);

#endif
