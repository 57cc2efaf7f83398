/*
 * judgement.c — the analysts' append-only log (contract and rules in judgement.h).
 *
 * All SQL on `judgement` and `judgement_record` is here. Where a judgement lands is the view
 * judgement_place (schema.c), read here, by the score stage (select) and by the report.
 *
 * Three ways in: a command records a judgement made now (sp_judgement_record with the rules of
 * superseding); the inbox (inbox.h) replays a command's judgement made earlier, during a run, by
 * the same rules (j->replay: its time and records given, its carrier found by its records); and
 * an import replays a judgement made elsewhere verbatim (created and user given, anchors given): it is written unless the very same row (kind, value, date, records,
 * note, user, created) is already in the history and was not matched by an earlier row of the
 * same file, so importing a file twice imports it once, and two identical rows (a pin toggled
 * within one second) stay two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/entity.h"
#include "pipeline/judgement.h"

const char *const sp_judgement_kind_names[SP_J_NKINDS] = { "link", "apart", "alone", "unsure", "pin",
							   "decision", "note", "label", "remove" };

const char *const sp_decision_names[4] = { "accompanied", "cocreation", "invested", "declined" };

int sp_judgement_kind_parse(const char *s)
{
	for (int k = 0; s && k < SP_J_NKINDS; k++)
		if (!strcmp(s, sp_judgement_kind_names[k]))
			return k;
	return -1;
}

int sp_judgement_anchored(int k)
{
	return k == SP_J_PIN || k == SP_J_DECISION || k == SP_J_NOTE || k == SP_J_LABEL;
}

int sp_decision_valid(const char *d)
{
	for (size_t i = 0; d && i < SP_ARRAY_LEN(sp_decision_names); i++)
		if (!strcmp(d, sp_decision_names[i]))
			return 1;
	return 0;
}

int sp_decision_pins_in(const char *d)
{
	return sp_decision_valid(d) && strcmp(d, "declined") != 0;
}

/* ---------------------------------------------------------------- record references */

char *sp_judgement_ref_encode(const char *ref)
{
	sp_buf b = SP_BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)ref; *p; p++) {
		if (*p == '%' || *p <= ' ' || *p == 0x7f)
			sp_buf_addf(&b, "%%%02X", *p);
		else
			sp_buf_add(&b, (const char *)p, 1);
	}
	return sp_buf_detach(&b);
}

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *sp_judgement_ref_decode(const char *s, size_t n)
{
	sp_buf b = SP_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
			char c = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
			sp_buf_add(&b, &c, 1);
			i += 2;
		} else {
			sp_buf_add(&b, s + i, 1);
		}
	}
	return sp_buf_detach(&b);
}

/* SOURCE:KEY of a stored record? (entity.h reads the reference.) */
static int ref_check(sp_store *db, const char *ref, sp_err *err)
{
	int64_t rid;
	return sp_record_ref(db, ref, &rid, err);
}

/* ---------------------------------------------------------------- writing rows */

static const char *txt(sp_stmt *s, int i)
{
	return sp_col_text(s, i);
}

static int insert_row(sp_store *db, const sp_judgement *j, const char *name, int64_t *id, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "INSERT INTO judgement (kind, value, date, a, b, entity_id, name, note, user, created, origin, target, hub)"
				  " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	char now[32];
	sp_time_iso(sp_now(), now, sizeof(now));
	sp_bind_text(s, 1, sp_judgement_kind_names[j->kind]);
	sp_bind_text(s, 2, j->value);
	sp_bind_text(s, 3, j->date);
	sp_bind_text(s, 4, j->a);
	sp_bind_text(s, 5, j->b);
	if (j->entity > 0)
		sp_bind_int64(s, 6, j->entity);
	sp_bind_text(s, 7, name);
	sp_bind_text(s, 8, j->note);
	sp_bind_text(s, 9, j->user && *j->user ? j->user : "unknown");
	sp_bind_text(s, 10, j->created && *j->created ? j->created : now);
	sp_bind_text(s, 11, j->origin);
	if (j->target > 0)
		sp_bind_int64(s, 12, j->target);
	sp_bind_text(s, 13, j->hub && *j->hub ? j->hub : NULL);
	rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	if (rc == SP_OK)
		*id = sp_store_last_id(db);
	return rc;
}

/* The records the judgement is anchored to: the entity's members now, or the given list. */
static int insert_anchors(sp_store *db, const sp_judgement *j, int64_t id, sp_err *err)
{
	sp_stmt *s;
	int rc;
	if (!j->nrecords) {
		rc = sp_store_prepare(db,
				      "INSERT INTO judgement_record (judgement_id, source, source_key) SELECT ?1, r.source, r.source_key"
				      " FROM member m JOIN record r ON r.id = m.record_id WHERE m.entity_id = ?2",
				      &s, err);
		if (rc != SP_OK)
			return rc;
		sp_bind_int64(s, 1, id);
		sp_bind_int64(s, 2, j->entity);
		rc = sp_store_step_done(db, s, err);
		sp_finalize(s);
		return rc;
	}
	rc = sp_store_prepare(db, "INSERT OR IGNORE INTO judgement_record (judgement_id, source, source_key) VALUES (?1,?2,?3)",
			      &s, err);
	for (size_t i = 0; rc == SP_OK && i < j->nrecords; i++) {
		const char *ref = j->records[i], *colon = strchr(ref, ':');
		if (!colon) {
			rc = sp_err_set(err, SP_EUSAGE, "'%s' is not a record reference SOURCE:KEY", ref);
			break;
		}
		char *src = sp_xstrndup(ref, (size_t)(colon - ref));
		sp_bind_int64(s, 1, id);
		sp_bind_text(s, 2, src);
		sp_bind_text(s, 3, colon + 1);
		free(src);
		rc = sp_store_step_done(db, s, err);
	}
	sp_finalize(s);
	return rc;
}

static int remove_one(sp_store *db, int64_t target, const sp_judgement *by, sp_err *err)
{
	sp_judgement r = { .kind = SP_J_REMOVE, .target = target, .user = by->user, .hub = by->hub, .origin = by->origin,
			   .created = by->created };
	char note[96];
	snprintf(note, sizeof(note), "superseded by a later %s", sp_judgement_kind_names[by->kind]);
	r.note = by->kind == SP_J_REMOVE ? by->note : note; /* a plain removal (pin clear) keeps its own note */
	int64_t id;
	return insert_row(db, &r, NULL, &id, err);
}

/* Remove every id the query (bound with ?1..?3 = x, y, z) returns; *n counts them. The query
 * reads judgement_active, so a removed id drops out of it: read in slices until none is left. */
static int remove_where(sp_store *db, const char *sql, const char *x, const char *y, int64_t z, const sp_judgement *by,
			int *n, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db, sql, &s, err);
	for (int k = 1; rc == SP_OK && k > 0;) {
		int64_t ids[64];
		int st;
		k = 0;
		sp_bind_text(s, 1, x);
		sp_bind_text(s, 2, y);
		sp_bind_int64(s, 3, z);
		while ((st = sp_step(s)) == SP_ROW && k < (int)SP_ARRAY_LEN(ids))
			ids[k++] = sp_col_int64(s, 0);
		if (st != SP_ROW && st != SP_DONE)
			rc = sp_store_error(db, err, "reading judgements");
		sp_reset(s);
		for (int i = 0; rc == SP_OK && i < k; i++)
			rc = remove_one(db, ids[i], by, err);
		if (rc == SP_OK)
			*n += k;
	}
	sp_finalize(s);
	return rc;
}

/* The judgements in force of one kind that an entity carries. */
#define CARRIED(kind_cond) \
	"SELECT j.id FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1" \
	" WHERE p.entity_id = ?3 AND " kind_cond

/* ---------------------------------------------------------------- the rules */

/* link|apart|unsure|alone: records checked, pair ordered, identical ones found, opposites removed. */
static int record_match(sp_store *db, sp_judgement *j, sp_judgement_out *out, sp_err *err)
{
	int rc = ref_check(db, j->a, err);
	if (rc == SP_OK && j->kind != SP_J_ALONE) {
		if ((rc = ref_check(db, j->b, err)) == SP_OK && !strcmp(j->a, j->b))
			rc = sp_err_set(err, SP_EUSAGE, "%s and %s are the same record", j->a, j->b);
		if (rc == SP_OK && strcmp(j->a, j->b) > 0) {
			const char *t = j->a;
			j->a = j->b, j->b = t;
		}
	}
	if (rc != SP_OK)
		return rc;
	const char *kind = sp_judgement_kind_names[j->kind];
	int64_t same = 0;
	if ((rc = sp_store_int(db, "SELECT COALESCE(min(id), 0) FROM judgement_active WHERE kind = ? AND a = ? AND b IS ?",
			       &same, err, kind, j->a, j->kind == SP_J_ALONE ? NULL : j->b)) != SP_OK)
		return rc;
	if (same) {
		out->id = same, out->same = 1;
		return SP_OK;
	}
	/* what this judgement contradicts, of the same pair (or, for alone, every link of a) */
	static const char *const opposite[SP_J_UNSURE + 1] = {
		[SP_J_LINK] = "SELECT id FROM judgement_active WHERE kind IN ('apart', 'unsure') AND a = ?1 AND b = ?2",
		[SP_J_APART] = "SELECT id FROM judgement_active WHERE kind IN ('link', 'unsure') AND a = ?1 AND b = ?2",
		[SP_J_ALONE] = "SELECT id FROM judgement_active WHERE kind = 'link' AND (a = ?1 OR b = ?1)",
		[SP_J_UNSURE] = NULL,
	};
	if (opposite[j->kind])
		rc = remove_where(db, opposite[j->kind], j->a, j->b, 0, j, &out->superseded, err);
	return rc == SP_OK ? insert_row(db, j, NULL, &out->id, err) : rc;
}

static int entity_name(sp_store *db, int64_t entity, char **name, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db, "SELECT name, (SELECT count(*) FROM member WHERE entity_id = ?1) FROM entity WHERE id = ?1",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, entity);
	*name = NULL;
	if (sp_step(s) != SP_ROW)
		rc = sp_err_set(err, SP_ENOTFOUND, "no entity %lld", (long long)entity);
	else if (!sp_col_int64(s, 1))
		rc = sp_err_set(err, SP_ENOTFOUND, "entity %lld has no records (merged, or its records are gone)",
				(long long)entity);
	else
		*name = txt(s, 0) ? sp_xstrdup(txt(s, 0)) : NULL;
	sp_finalize(s);
	return rc;
}

/* A replay (judgement.h): the live entity holding most of j's records now (ties: the smallest
 * id), as judgement_place would place it; 0 when none holds any. */
static int replay_carrier(sp_store *db, const sp_judgement *j, int64_t *entity, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "SELECT m.entity_id FROM record r JOIN member m ON m.record_id = r.id"
				  " WHERE r.source = ?1 AND r.source_key = ?2",
				  &s, err);
	int64_t *ids = sp_xcalloc(j->nrecords + 1, sizeof(*ids));
	size_t n = 0;
	for (size_t i = 0; rc == SP_OK && i < j->nrecords; i++) {
		const char *ref = j->records[i], *colon = strchr(ref, ':');
		if (!colon)
			continue;
		char *src = sp_xstrndup(ref, (size_t)(colon - ref));
		sp_bind_text(s, 1, src);
		sp_bind_text(s, 2, colon + 1);
		free(src);
		if (sp_step(s) == SP_ROW)
			ids[n++] = sp_col_int64(s, 0);
		sp_reset(s);
	}
	sp_finalize(s);
	*entity = 0;
	size_t best = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		for (size_t x = 0; x < n; x++)
			k += ids[x] == ids[i];
		if (k > best || (k == best && ids[i] < *entity))
			best = k, *entity = ids[i];
	}
	free(ids);
	return rc;
}

/* pin|decision|note on a live entity: identical ones found, replaced ones removed. A replay
 * finds its entity by its records, and keeps the entity and name of the moment it was made. */
static int record_anchored(sp_store *db, const sp_judgement *jin, sp_judgement_out *out, sp_err *err)
{
	char *name = NULL;
	sp_judgement jr = *jin;
	const sp_judgement *j = &jr;
	int rc = SP_OK;
	if (jin->replay) {
		if ((rc = replay_carrier(db, jin, &jr.entity, err)) != SP_OK)
			return rc;
		name = jin->name ? sp_xstrdup(jin->name) : NULL;
		if (!jr.entity) { /* no live entity holds its records: written as made, placed later */
			jr.entity = jin->entity;
			rc = insert_row(db, jin, name, &out->id, err);
			if (rc == SP_OK)
				rc = insert_anchors(db, jin, out->id, err);
			free(name);
			return rc;
		}
	} else if ((rc = entity_name(db, j->entity, &name, err)) != SP_OK) {
		return rc;
	}
	const char *kind = sp_judgement_kind_names[j->kind];
	int64_t same = 0;
	sp_stmt *s;
	if ((rc = sp_store_prepare(db,
				   "SELECT COALESCE(min(j.id), 0) FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id"
				   " AND p.carries = 1 WHERE p.entity_id = ?1 AND j.kind = ?2 AND j.value IS ?3 AND j.date IS ?4 AND j.note IS ?5",
				   &s, err)) != SP_OK)
		goto out;
	sp_bind_int64(s, 1, j->entity);
	sp_bind_text(s, 2, kind);
	sp_bind_text(s, 3, j->value);
	sp_bind_text(s, 4, j->date);
	sp_bind_text(s, 5, j->note);
	same = sp_step(s) == SP_ROW ? sp_col_int64(s, 0) : 0;
	sp_finalize(s);
	if (same) {
		out->id = same, out->same = 1;
		goto out;
	}
	if (j->kind == SP_J_PIN)
		rc = remove_where(db, CARRIED("j.kind = 'pin'"), NULL, NULL, j->entity, j, &out->superseded, err);
	else if (j->kind == SP_J_LABEL)
		rc = remove_where(db, CARRIED("j.kind = 'label'"), NULL, NULL, j->entity, j, &out->superseded, err);
	else if (j->kind == SP_J_DECISION)
		rc = remove_where(db, CARRIED("j.kind = 'decision' AND j.value = ?1 AND j.date = ?2"), j->value, j->date,
				  j->entity, j, &out->superseded, err);
	if (rc == SP_OK)
		rc = insert_row(db, jin, name, &out->id, err);
	if (rc == SP_OK)
		rc = insert_anchors(db, jin, out->id, err);
out:
	free(name);
	return rc;
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Is judgement id anchored to exactly the records of j (as a set)? */
static int anchors_same(sp_store *db, int64_t id, const sp_judgement *j, int *same, sp_err *err)
{
	const char **refs = sp_xmalloc((j->nrecords + 1) * sizeof(*refs));
	size_t n = 0;
	for (size_t i = 0; i < j->nrecords; i++)
		refs[n++] = j->records[i];
	qsort(refs, n, sizeof(*refs), str_cmp);
	size_t k = 0; /* distinct */
	for (size_t i = 0; i < n; i++)
		if (!k || strcmp(refs[k - 1], refs[i]))
			refs[k++] = refs[i];
	sp_stmt *s;
	int rc = sp_store_prepare(db, "SELECT source || ':' || source_key FROM judgement_record WHERE judgement_id = ?1", &s, err);
	size_t have = 0;
	*same = 1;
	if (rc == SP_OK) {
		sp_bind_int64(s, 1, id);
		int st;
		while (*same && (st = sp_step(s)) == SP_ROW) {
			const char *r = txt(s, 0);
			*same = r && k && bsearch(&r, refs, k, sizeof(*refs), str_cmp);
			have++;
		}
		sp_finalize(s);
	}
	if (*same && have != k)
		*same = 0;
	free(refs);
	return rc;
}

/*
 * An import: written verbatim unless the same row — kind, value, date, a, b, note, user, created,
 * target and the records it is anchored to — is in the history already (two startups pinned in
 * the same second by the same analyst are two judgements) and no earlier row of the file matched
 * it (a link removed and made again within one second is two links). The hub is carried but is
 * not part of the match: a file exported before hubs were recorded imports once beside its newer
 * export.
 */
static int record_verbatim(sp_store *db, const sp_judgement *j, sp_judgement_out *out, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "SELECT id FROM judgement WHERE kind = ?1 AND value IS ?2 AND date IS ?3 AND a IS ?4 AND b IS ?5"
				  " AND note IS ?6 AND user = ?7 AND created = ?8 AND target IS ?9 ORDER BY id",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_text(s, 1, sp_judgement_kind_names[j->kind]);
	sp_bind_text(s, 2, j->value);
	sp_bind_text(s, 3, j->date);
	sp_bind_text(s, 4, j->a);
	sp_bind_text(s, 5, j->b);
	sp_bind_text(s, 6, j->note);
	sp_bind_text(s, 7, j->user && *j->user ? j->user : "unknown");
	sp_bind_text(s, 8, j->created);
	if (j->target > 0)
		sp_bind_int64(s, 9, j->target);
	int64_t same = 0;
	while (rc == SP_OK && !same && sp_step(s) == SP_ROW) {
		int eq = 0;
		int64_t id = sp_col_int64(s, 0);
		size_t t = 0;
		while (t < j->ntaken && j->taken[t] != id)
			t++;
		if (t < j->ntaken)
			continue; /* an earlier row of the same file is that one */
		rc = anchors_same(db, id, j, &eq, err);
		if (eq)
			same = id;
	}
	sp_finalize(s);
	if (rc != SP_OK)
		return rc;
	if (same) {
		out->id = same, out->same = 1;
		return SP_OK;
	}
	if ((rc = insert_row(db, j, NULL, &out->id, err)) == SP_OK && j->nrecords)
		rc = insert_anchors(db, j, out->id, err);
	return rc;
}

/* The judgement a remove names: refused when there is none or it is a removal itself;
 * *removed_by the remove in force on it already (0: none). */
static int remove_target(sp_store *db, int64_t target, int64_t *removed_by, sp_err *err)
{
	sp_stmt *s;
	*removed_by = 0;
	int rc = sp_store_prepare(db,
				  "SELECT kind, (SELECT min(x.id) FROM judgement x WHERE x.kind = 'remove' AND x.target = j.id)"
				  " FROM judgement j WHERE id = ?1",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, target);
	if (sp_step(s) != SP_ROW)
		rc = sp_err_set(err, SP_ENOTFOUND, "no judgement %lld (see `sparker judgements list`)", (long long)target);
	else if (!strcmp(txt(s, 0), "remove"))
		rc = sp_err_set(err, SP_EUSAGE, "judgement %lld is itself a removal; record the judgement again instead",
				(long long)target);
	else if (!sp_col_null(s, 1))
		*removed_by = sp_col_int64(s, 1);
	sp_finalize(s);
	return rc;
}

static int record_remove(sp_store *db, const sp_judgement *j, sp_judgement_out *out, sp_err *err)
{
	int64_t by;
	int rc = remove_target(db, j->target, &by, err);
	if (rc == SP_OK && by)
		out->id = by, out->same = 1; /* already removed */
	else if (rc == SP_OK)
		rc = insert_row(db, j, NULL, &out->id, err);
	return rc;
}

static int value_check(const sp_judgement *jp, sp_err *err);

/* A writer's transaction: its own unless the caller already holds one (an import). */
static int tx_begin(sp_store *db, int *own, sp_err *err)
{
	*own = !sp_store_in_tx(db);
	return *own ? sp_store_begin(db, err) : SP_OK;
}

static int tx_end(sp_store *db, int own, int rc, sp_err *err)
{
	if (own && rc == SP_OK)
		rc = sp_store_commit(db, err);
	if (own && rc != SP_OK)
		sp_store_rollback(db);
	return rc;
}

int sp_judgement_check(sp_store *db, const sp_judgement *j, sp_err *err)
{
	int rc = value_check(j, err);
	if (rc != SP_OK || j->replay || (j->created && *j->created))
		return rc;
	if (j->kind == SP_J_REMOVE) {
		int64_t by;
		return remove_target(db, j->target, &by, err);
	}
	if (sp_judgement_anchored(j->kind)) {
		char *name = NULL;
		rc = entity_name(db, j->entity, &name, err);
		free(name);
		return rc;
	}
	if ((rc = ref_check(db, j->a, err)) == SP_OK && j->kind != SP_J_ALONE &&
	    (rc = ref_check(db, j->b, err)) == SP_OK && !strcmp(j->a, j->b))
		rc = sp_err_set(err, SP_EUSAGE, "%s and %s are the same record", j->a, j->b);
	return rc;
}

int sp_judgement_record(sp_store *db, const sp_judgement *jin, sp_judgement_out *out, sp_err *err)
{
	memset(out, 0, sizeof(*out));
	sp_judgement j = *jin;
	int rc = value_check(&j, err);
	if (rc != SP_OK)
		return rc;
	int own;
	if ((rc = tx_begin(db, &own, err)) != SP_OK)
		return rc;
	int anchored = sp_judgement_anchored(j.kind);
	if (j.created && *j.created && j.kind != SP_J_REMOVE && !j.replay)
		rc = record_verbatim(db, &j, out, err);
	else if (j.kind == SP_J_REMOVE)
		rc = record_remove(db, &j, out, err);
	else if (anchored)
		rc = record_anchored(db, &j, out, err);
	else
		rc = record_match(db, &j, out, err);
	return tx_end(db, own, rc, err);
}

/* The kind and value of j: what can be checked without the database. */
static int value_check(const sp_judgement *jp, sp_err *err)
{
	sp_judgement j = *jp;
	if ((int)j.kind < 0 || j.kind >= SP_J_NKINDS)
		return sp_err_set(err, SP_EUSAGE, "unknown judgement kind");
	if (j.kind == SP_J_PIN && (!j.value || (strcmp(j.value, "in") && strcmp(j.value, "out"))))
		return sp_err_set(err, SP_EUSAGE, "a pin is in or out, not '%s'", j.value ? j.value : "");
	if (j.kind == SP_J_DECISION && !sp_decision_valid(j.value))
		return sp_err_set(err, SP_EUSAGE, "unknown decision '%s' (accompanied, cocreation, invested or declined)",
				  j.value ? j.value : "");
	if (j.kind == SP_J_LABEL && (!j.value || (strcmp(j.value, "yes") && strcmp(j.value, "no"))))
		return sp_err_set(err, SP_EUSAGE, "a label is yes or no, not '%s'", j.value ? j.value : "");
	if (j.kind == SP_J_NOTE && (!j.note || !*j.note))
		return sp_err_set(err, SP_EUSAGE, "a note needs its text");
	if (j.replay && sp_judgement_anchored(j.kind) && !j.nrecords)
		return sp_err_set(err, SP_EUSAGE, "a replayed %s needs its records", sp_judgement_kind_names[j.kind]);
	return SP_OK;
}

int sp_judgement_clear_pins(sp_store *db, int64_t entity, const char *user, const char *hub, const char *note, int *n,
			    sp_err *err)
{
	sp_judgement by = { .kind = SP_J_REMOVE, .user = user, .hub = hub, .note = note, .origin = "pin clear" };
	return sp_judgement_clear_pins_by(db, entity, &by, n, err);
}

int sp_judgement_clear_pins_by(sp_store *db, int64_t entity, const sp_judgement *byin, int *n, sp_err *err)
{
	*n = 0;
	sp_judgement by = *byin;
	by.kind = SP_J_REMOVE;
	by.note = by.note && *by.note ? by.note : "pin cleared";
	int own, rc = SP_OK;
	if (by.replay && (rc = replay_carrier(db, &by, &entity, err)) != SP_OK)
		return rc;
	if (!entity) /* a replay whose records no live entity holds: no pin to clear */
		return SP_OK;
	if ((rc = tx_begin(db, &own, err)) != SP_OK)
		return rc;
	rc = remove_where(db, CARRIED("j.kind = 'pin'"), NULL, NULL, entity, &by, n, err);
	return tx_end(db, own, rc, err);
}

int sp_judgement_origin_seen(sp_store *db, const char *origin, int *seen, sp_err *err)
{
	int64_t n = 0;
	int rc = sp_store_int(db, "SELECT count(*) FROM judgement WHERE origin = ?", &n, err, origin);
	*seen = n > 0;
	return rc;
}

/* ---------------------------------------------------------------- listing */

static char *anchors_text(sp_stmt *q, int64_t id)
{
	sp_buf b = SP_BUF_INIT;
	sp_bind_int64(q, 1, id);
	while (sp_step(q) == SP_ROW) {
		char *e = sp_judgement_ref_encode(txt(q, 0));
		if (b.len)
			sp_buf_add(&b, " ", 1);
		sp_buf_add(&b, e, strlen(e));
		free(e);
	}
	sp_reset(q);
	return b.len ? sp_buf_detach(&b) : (sp_buf_release(&b), NULL);
}

int sp_judgement_each(sp_store *db, int which, int64_t entity, sp_judgement_fn fn, void *user, sp_err *err)
{
	sp_stmt *s = NULL, *q = NULL;
	int rc = sp_store_prepare(
		db,
		"SELECT j.id, j.kind, j.value, j.date, j.a, j.b, j.entity_id, j.name, j.note, j.user, j.created, j.origin,"
		" j.target, (SELECT min(x.id) FROM judgement x WHERE x.kind = 'remove' AND x.target = j.id) AS removed_by,"
		" p.entity_id, p.parts, j.hub FROM judgement j LEFT JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1"
		" WHERE (?1 = 1 OR (j.kind <> 'remove'"
		"  AND NOT EXISTS (SELECT 1 FROM judgement x WHERE x.kind = 'remove' AND x.target = j.id)))"
		" AND (?2 = 0 OR EXISTS (SELECT 1 FROM judgement_place q WHERE q.judgement_id = j.id AND q.entity_id = ?2)"
		"      OR EXISTS (SELECT 1 FROM member m JOIN record r ON r.id = m.record_id WHERE m.entity_id = ?2"
		"                 AND r.source || ':' || r.source_key IN (j.a, j.b)))"
		" ORDER BY j.id",
		&s, err);
	if (rc == SP_OK)
		rc = sp_store_prepare(db,
				      "SELECT source || ':' || source_key FROM judgement_record WHERE judgement_id = ?1"
				      " ORDER BY source, source_key",
				      &q, err);
	if (rc != SP_OK) {
		sp_finalize(s);
		return rc;
	}
	sp_bind_int(s, 1, which == SP_J_LIST_ALL);
	sp_bind_int64(s, 2, entity);
	int st, stop = 0;
	while (!stop && (st = sp_step(s)) == SP_ROW) {
		sp_judgement_row r = {
			.id = sp_col_int64(s, 0),
			.kind = sp_judgement_kind_parse(txt(s, 1)),
			.value = txt(s, 2), .date = txt(s, 3), .a = txt(s, 4), .b = txt(s, 5),
			.entity_then = sp_col_int64(s, 6), .name_then = txt(s, 7), .note = txt(s, 8),
			.user = txt(s, 9), .created = txt(s, 10), .origin = txt(s, 11),
			.target = sp_col_int64(s, 12), .removed_by = sp_col_int64(s, 13),
			.carrier = sp_col_int64(s, 14), .parts = sp_col_int(s, 15), .hub = txt(s, 16),
		};
		char *anchors = anchors_text(q, r.id);
		r.records = anchors;
		stop = fn(&r, user);
		free(anchors);
	}
	if (!stop && st != SP_DONE)
		rc = sp_store_error(db, err, "listing judgements");
	sp_finalize(s);
	sp_finalize(q);
	return rc != SP_OK ? rc : stop;
}

int sp_judgement_count_hubs(sp_store *db, int (*fn)(const char *hub, int64_t n, void *user), void *user, sp_err *err)
{
	sp_stmt *s;
	int rc = sp_store_prepare(db,
				  "SELECT hub, count(*) FROM judgement_active GROUP BY hub"
				  " ORDER BY CASE WHEN hub IS NULL THEN 1 ELSE 0 END, hub",
				  &s, err);
	if (rc != SP_OK)
		return rc;
	int st, stop = 0;
	while (!stop && (st = sp_step(s)) == SP_ROW)
		stop = fn(txt(s, 0), sp_col_int64(s, 1), user);
	if (!stop && st != SP_DONE)
		rc = sp_store_error(db, err, "counting judgements by hub");
	sp_finalize(s);
	return rc;
}

int sp_judgement_count(sp_store *db, sp_judgement_counts *c, sp_err *err)
{
	memset(c, 0, sizeof(*c));
	int rc = sp_store_int(db, "SELECT count(*) FROM judgement_active", &c->active, err);
	if (rc == SP_OK)
		rc = sp_store_int(db,
				  "SELECT count(*) FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id"
				  " AND p.carries = 1 WHERE p.parts > 1",
				  &c->review, err);
	if (rc == SP_OK)
		rc = sp_store_int(db,
				  "SELECT count(*) FROM judgement_active j WHERE j.kind IN ('pin', 'decision', 'note', 'label')"
				  " AND NOT EXISTS (SELECT 1 FROM judgement_place p WHERE p.judgement_id = j.id)",
				  &c->pending, err);
	if (rc == SP_OK)
		rc = sp_store_int(db, "SELECT count(*) FROM review_pair", &c->queue, err);
	return rc;
}
