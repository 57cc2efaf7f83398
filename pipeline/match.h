/*
 * match.h — keyword and phrase matching on word boundaries, case- and accent-insensitive.
 *
 * What it does: sp_match_fold() turns any UTF-8 text into a "folded" form: Unicode NFKC, case
 * fold, combining marks stripped (utf8proc), "œ"/"æ" spelt out, and every run of characters that
 * is neither a letter nor a digit replaced by ONE space, with no leading or trailing space. So
 * "Bornes de recharge (V2G) — électrique" folds to "bornes de recharge v2g electrique", and
 * "e-Mobility" to "e mobility". A phrase is folded the same way, so punctuation inside a phrase
 * matches any punctuation or space in the text.
 *
 * An sp_matcher holds many phrases, each with an integer id chosen by the caller. Scanning a
 * folded text reports every (id, occurrence) whose phrase occurs as whole words: "ev" never
 * matches inside "every", "predictive maintenance" matches only those two words in that order.
 * A phrase ending in '*' matches when its last word is a PREFIX of a text word ("batter*"
 * matches "battery" and "batteries"); all earlier words must match exactly.
 * Scanning costs O(words of text * log(phrases)), independent of the number of phrases.
 *
 * Invariants: the matcher owns copies of its phrases; ids are opaque to it. sp_matcher_free(NULL)
 * is a no-op. Text that is not valid UTF-8 is folded byte by byte with invalid bytes treated as
 * separators (never an error).
 *
 * Failure: sp_matcher_add() returns SP_EUSAGE when the phrase folds to nothing (only punctuation).
 */
#ifndef SP_MATCH_H
#define SP_MATCH_H

#include "core/common.h"

/* Folded copy of s (see above); caller frees. s may be NULL (gives ""). */
char *sp_match_fold(const char *s);

typedef struct sp_matcher sp_matcher;

sp_matcher *sp_matcher_new(void);
void sp_matcher_free(sp_matcher *m);
/* Add a phrase (raw text; folded here) with the caller's id. */
int sp_matcher_add(sp_matcher *m, const char *phrase, int id);
int sp_matcher_count(const sp_matcher *m);

/* Called once per occurrence: the match is folded[pos .. pos+len) (whole words; a prefix phrase
 * covers the whole last word). */
typedef void (*sp_match_cb)(void *user, int id, size_t pos, size_t len);
/* Scan an ALREADY FOLDED text (from sp_match_fold). */
void sp_matcher_scan(const sp_matcher *m, const char *folded, sp_match_cb cb, void *user);

/* Convenience: 1 when phrase occurs in text (both raw) on word boundaries, else 0. */
int sp_match_text(const char *text, const char *phrase);

#endif
