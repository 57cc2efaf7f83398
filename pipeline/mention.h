/*
 * mention.h — news items attached to the startups they name: a signal, never a startup.
 *
 * What it does: a feed source with `kind = news` (connectors/feed.c) keeps its items in
 * `news_item` (the parse stage), never in `record`, so an article never becomes a startup.
 * After the dedupe stage has written the entities, sp_mention_attach() (called by the dedupe
 * stage, at its end, in a transaction of its own) scans every news item's title and summary for
 * the names of the live entities and writes one `mention` row per (item, startup) it attaches,
 * replacing the previous run's rows (idempotent).
 *
 * The matching rule (one place: mention.c):
 *   - Names: the normalised display name (candidate.name: legal form set aside) of each record of
 *     a live entity; names of fewer than two characters never match.
 *   - Whole words, case- and accent-insensitive (pipeline/match.h): "Lime" never matches inside
 *     "Limelight", "Zürich Mobility" matches "ZURICH MOBILITY".
 *   - Capitalised: the occurrence in the item's own text must begin with a capital letter or a
 *     digit ("the bird flew" never names Bird; "Bird raises $50M" may).
 *   - Guard for names that are words: a one-word name that is a dictionary word (the entries of
 *     `[mention] dictionary`, by default /usr/share/dict/words from Debian's wamerican: common
 *     words, and capitalised ones, places and first names such as "Paris"; plus a built-in list
 *     of common words, used also when that file is missing) or
 *     has at most three letters ("Go", "Via"), and any name two live entities share, attaches
 *     only with context in the same item: the startup's registrable domain ("bird.co"), or
 *     another multi-word name of it, or a word (four letters or more) of its categories. So
 *     "Apple" the startup needs its domain or one of its category words beside its name, and
 *     "Linear TV viewing sinks" does not name the startup Linear.
 *   - One item counts once per startup (the first matching record anchors it).
 *   The rule that attached each mention is kept in mention.rule: name | name+domain |
 *   name+category | name+other name.
 *
 * Anchoring: a mention names a record (like an analyst's pin, pipeline/judgement.h), not an entity
 * id; the view entity_mention (core/schema.c) puts it on the live entity holding that record now,
 * so a mention follows its startup through merges, and a split leaves it with the part that
 * carries the name.
 *
 * Failure: SP_EDB (message in err); SP_EINTERRUPTED when a stop is requested (rolled back).
 */
#ifndef SP_MENTION_H
#define SP_MENTION_H

#include <stdint.h>

#include "core/config.h"
#include "core/store.h"

extern const sp_config_key sp_mention_keys[]; /* [mention] dictionary */

/* Attach every news item to the startups it names (see above). *items = news items read,
 * *attached = mention rows written. With no news item stored, only clears mention. */
int sp_mention_attach(sp_store *db, const sp_config *cfg, int64_t run_id, int64_t *items, int64_t *attached,
		      sp_err *err);

/*
 * The signal: how many distinct news items mention the live entity entity_id in year (the
 * item's publication year, else the year it was first seen); year 0 = every year. An id that is
 * merged or unknown has 0. The same count, for every entity at once, is the view
 * entity_mentions(entity_id, year, n).
 */
int sp_mention_count(sp_store *db, int64_t entity_id, int year, long *n, sp_err *err);

/* 1 when the one-word, folded name (sp_match_fold) needs context by the guard above (exposed for
 * the unit test); dict from sp_mention_dict_load or NULL (the built-in list only). */
typedef struct sp_mention_dict sp_mention_dict;
sp_mention_dict *sp_mention_dict_load(const char *path);
void sp_mention_dict_free(sp_mention_dict *d);
int sp_mention_word_guarded(const sp_mention_dict *d, const char *folded);
/* 1 when the folded name occurs in text (raw UTF-8) starting with a capital letter or a digit. */
int sp_mention_capitalised(const char *text, const char *folded);

#endif
