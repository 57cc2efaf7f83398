/*
 * feed_text.h — PRIVATE to the feed connector (feed.c, feed_text.c): the text helpers its repair
 * filter and its item capture share. See feed_text.c for invariants; none of them fails.
 */
#ifndef SP_FEED_TEXT_H
#define SP_FEED_TEXT_H

#include <stddef.h>

#include "core/common.h"

/* Code point of the HTML named entity name[0..n) (without '&' and ';'), 0 if unknown. */
unsigned sp_feed_entity(const char *name, size_t n);
/* Append cp as UTF-8 (U+FFFD for 0, a surrogate or past U+10FFFF). */
void sp_feed_put_utf8(sp_buf *b, unsigned cp);
/* 1 when the HTML tag t[0..n) breaks a line (p, br, div, li, ...), ignoring case. */
int sp_feed_block_tag(const char *t, size_t n);
/*
 * HTML (or plain text) -> plain text into out: tags dropped (script/style with their content),
 * entities decoded, white space folded, at most max bytes (cut on a UTF-8 boundary).
 */
void sp_feed_html_to_text(const char *s, size_t n, sp_buf *out, size_t max);

#endif
