/*
 * entity.h — reading entities as the dedupe stage left them: following merges.
 *
 * What it does: when two clusters join, the dedupe stage keeps the smaller id and marks the
 * other entity `merged_into` the survivor (dedupe.h, "Stable ids"); the old id stays valid as a
 * name for the company. sp_entity_live() is the one way to turn any entity id into the live one
 * (merged_into IS NULL); every command that takes an entity id goes through it, by way of
 * sp_entity_resolve, which also reads SOURCE:KEY record references.
 *
 * Invariants: the dedupe stage keeps chains one hop deep, but this follows any length up to
 * SP_ENTITY_MAX_HOPS and refuses cycles, so a damaged database gives an error, not a hang.
 *
 * Failure: SP_OK with *live set; SP_ENOTFOUND with "no entity N" (N: the id that is missing,
 * the argument or one on its chain); SP_EDB when the chain loops or is too long, or on a
 * database error. *live is untouched on failure.
 */
#ifndef SP_ENTITY_H
#define SP_ENTITY_H

#include <stdint.h>

#include "core/store.h"

#define SP_ENTITY_MAX_HOPS 64

int sp_entity_live(sp_store *db, int64_t id, int64_t *live, sp_err *err);

/*
 * What an analyst typed -> entities: an entity id, or SOURCE:KEY of a record (the entity the
 * record is in). *asked is that entity, *live the live one it stands for now (sp_entity_live).
 * SP_EUSAGE when arg is neither form; SP_ENOTFOUND for no such entity or record, or a record
 * that is in no entity yet (the dedupe stage has not run since it arrived); err says which.
 */
int sp_entity_resolve(sp_store *db, const char *arg, int64_t *asked, int64_t *live, sp_err *err);

/*
 * A record reference SOURCE:KEY (the source is everything before the first ':', the key all
 * after it) -> the stored record's id. The one reading of a reference: entity arguments,
 * judgements and link/unlink go through it. SP_EUSAGE when ref is not of that form,
 * SP_ENOTFOUND "no record REF" when no such record is stored.
 */
int sp_record_ref(sp_store *db, const char *ref, int64_t *record_id, sp_err *err);

#endif
