/*
 * entity.c — following merged_into to the live entity (contract in entity.h).
 *
 * One prepared statement, stepped once per hop; a hop that returns to an id already on the
 * chain is a cycle. Reads only; no transaction of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/entity.h"

int sp_entity_live(sp_store *db, int64_t id, int64_t *live, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db, "SELECT COALESCE(merged_into, 0) FROM entity WHERE id = ?1", &s, err);
	if (rc != SP_OK)
		return rc;
	int64_t chain[SP_ENTITY_MAX_HOPS + 1];
	int hops = 0;
	for (;;) {
		for (int k = 0; k < hops; k++)
			if (chain[k] == id) {
				sp_finalize(s);
				return sp_err_set(err, SP_EDB, "entity %lld: merged_into chain loops back to %lld",
						  (long long)chain[0], (long long)id);
			}
		if (hops > SP_ENTITY_MAX_HOPS) {
			sp_finalize(s);
			return sp_err_set(err, SP_EDB, "entity %lld: merged_into chain longer than %d",
					  (long long)chain[0], SP_ENTITY_MAX_HOPS);
		}
		chain[hops++] = id;
		sp_bind_int64(s, 1, id);
		int step = sp_step(s);
		if (step != SP_ROW && step != SP_DONE) {
			rc = sp_store_error(db, err, "following merged_into");
			sp_finalize(s);
			return rc;
		}
		if (step == SP_DONE) {
			sp_finalize(s);
			return sp_err_set(err, SP_ENOTFOUND, "no entity %lld", (long long)id);
		}
		int64_t into = sp_col_int64(s, 0);
		sp_reset(s);
		if (!into)
			break;
		id = into;
	}
	sp_finalize(s);
	*live = id;
	return SP_OK;
}

int sp_record_ref(sp_store *db, const char *ref, int64_t *record_id, sp_err *err)
{
	const char *colon = ref ? strchr(ref, ':') : NULL;
	*record_id = 0;
	if (!colon || colon == ref || !colon[1])
		return sp_err_set(err, SP_EUSAGE, "'%s' is not a record reference SOURCE:KEY", ref ? ref : "");
	sp_stmt *s;
	int rc = sp_store_prepare(db, "SELECT id FROM record WHERE source = ?1 AND source_key = ?2", &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_textn(s, 1, ref, (int)(colon - ref));
	sp_bind_textn(s, 2, colon + 1, -1);
	int st = sp_step(s);
	if (st == SP_ROW)
		*record_id = sp_col_int64(s, 0);
	sp_finalize(s);
	if (st != SP_ROW && st != SP_DONE)
		return sp_store_error(db, err, "looking up a record");
	return *record_id ? SP_OK : sp_err_set(err, SP_ENOTFOUND, "no record %s", ref);
}

int sp_entity_resolve(sp_store *db, const char *arg, int64_t *asked, int64_t *live, sp_err *err)
{
	char *end;
	long long v = arg && *arg ? strtoll(arg, &end, 10) : 0;
	int rc;
	if (arg && *arg && !*end && v > 0) {
		*asked = v;
	} else if (arg && strchr(arg, ':')) {
		int64_t rid;
		if ((rc = sp_record_ref(db, arg, &rid, err)) != SP_OK)
			return rc;
		char idbuf[32];
		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)rid);
		rc = sp_store_int(db, "SELECT COALESCE(max(entity_id), 0) FROM member WHERE record_id = ?", asked, err, idbuf);
		if (rc != SP_OK)
			return rc;
		if (*asked == 0)
			return sp_err_set(err, SP_ENOTFOUND, "record %s is in no entity yet (run the dedupe stage)", arg);
	} else {
		return sp_err_set(err, SP_EUSAGE, "'%s' is neither an entity id nor a SOURCE:KEY record reference",
				  arg ? arg : "");
	}
	return sp_entity_live(db, *asked, live, err);
}
