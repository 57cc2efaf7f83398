/*
 * entity.c — following merged_into to the live entity (contract in entity.h).
 *
 * One prepared statement, stepped once per hop; a hop that returns to an id already on the
 * chain is a cycle. Reads only; no transaction of its own.
 */
#include "pipeline/entity.h"

int sp_entity_live(sp_store *db, int64_t id, int64_t *live, sp_err *err)
{
	sqlite3_stmt *s;
	int rc = sp_store_prepare(db, "SELECT COALESCE(merged_into, 0) FROM entity WHERE id = ?1", &s, err);
	if (rc != SP_OK)
		return rc;
	int64_t chain[SP_ENTITY_MAX_HOPS + 1];
	int hops = 0;
	for (;;) {
		for (int k = 0; k < hops; k++)
			if (chain[k] == id) {
				sqlite3_finalize(s);
				return sp_err_set(err, SP_EDB, "entity %lld: merged_into chain loops back to %lld",
						  (long long)chain[0], (long long)id);
			}
		if (hops > SP_ENTITY_MAX_HOPS) {
			sqlite3_finalize(s);
			return sp_err_set(err, SP_EDB, "entity %lld: merged_into chain longer than %d",
					  (long long)chain[0], SP_ENTITY_MAX_HOPS);
		}
		chain[hops++] = id;
		sqlite3_bind_int64(s, 1, id);
		int step = sqlite3_step(s);
		if (step != SQLITE_ROW && step != SQLITE_DONE) {
			rc = sp_store_error(db, err, "following merged_into");
			sqlite3_finalize(s);
			return rc;
		}
		if (step == SQLITE_DONE) {
			sqlite3_finalize(s);
			return sp_err_set(err, SP_ENOTFOUND, "no entity %lld", (long long)id);
		}
		int64_t into = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (!into)
			break;
		id = into;
	}
	sqlite3_finalize(s);
	*live = id;
	return SP_OK;
}
