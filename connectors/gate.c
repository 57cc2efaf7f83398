/*
 * gate.c — the quality gates and the held snapshots. See gate.h (the gates, their order and
 * defaults, invariants, failure). The limits, the check and the wording of every gate message
 * live here and nowhere else; parse.c measures and applies, cli/ prints what this module wrote.
 */
#include "connectors/gate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- limits --------------------------------------------------------------------------------- */

/* The gate keys: [sparker] sets them for every source, a [source NAME] for itself. Types and
 * ranges are checked when the configuration loads (core/config.h). */
const sp_config_key sp_gate_keys[] = {
	{ "sparker", "min_rows", SP_KEY_INT, .def = "0", .min = 0, .max = SP_KEY_ANY },
	{ "sparker", "max_gone_pct", SP_KEY_NUMBER, .def = "20", .min = 0, .max = 100 },
	{ "sparker", "max_reject_pct", SP_KEY_NUMBER, .def = "5", .min = 0, .max = 100 },
	{ "sparker", "max_age_days", SP_KEY_INT, .def = "0", .min = 0, .max = SP_KEY_ANY },
	{ "source *", "min_rows", SP_KEY_INT, .min = 0, .max = SP_KEY_ANY },
	{ "source *", "max_gone_pct", SP_KEY_NUMBER, .min = 0, .max = 100 },
	{ "source *", "max_reject_pct", SP_KEY_NUMBER, .min = 0, .max = 100 },
	{ "source *", "max_age_days", SP_KEY_INT, .min = 0, .max = SP_KEY_ANY },
	{ 0 },
};

/* The source's value when it sets the key, else [sparker]'s (or its default). */
static const char *key_section(const sp_config *cfg, const sp_source *src, const char *key)
{
	return sp_config_find(cfg, src->section, key) ? src->section : "sparker";
}

int sp_gate_limits_read(const sp_config *cfg, const sp_source *src, sp_gate_limits *l, sp_err *err)
{
	(void)err;
	memset(l, 0, sizeof(*l));
	l->min_rows = sp_config_int(cfg, key_section(cfg, src, "min_rows"), sp_gate_keys, "min_rows");
	l->max_age_days = sp_config_int(cfg, key_section(cfg, src, "max_age_days"), sp_gate_keys, "max_age_days");
	l->max_gone_pct = sp_config_num(cfg, key_section(cfg, src, "max_gone_pct"), sp_gate_keys, "max_gone_pct");
	l->max_reject_pct = sp_config_num(cfg, key_section(cfg, src, "max_reject_pct"), sp_gate_keys, "max_reject_pct");
	return SP_OK;
}

/* ---- the check ------------------------------------------------------------------------------ */

static int fail(sp_gate_hold *h, const char *gate, double measured, double limit)
{
	snprintf(h->gate, sizeof(h->gate), "%s", gate);
	h->measured = measured;
	h->limit = limit;
	return 1;
}

int sp_gate_check(const sp_gate_limits *l, const sp_gate_counts *c, const char *source, int64_t fetch_id,
		  sp_gate_hold *h)
{
	memset(h, 0, sizeof(*h));
	h->fetch_id = fetch_id;
	h->counts = *c;
	double reject_pct = c->read ? 100.0 * (double)c->rejected / (double)c->read : 0;
	double gone_pct = c->snapshot && c->live ? 100.0 * (double)c->gone / (double)c->live : 0;
	long long rows = (long long)c->read;
	int held = 0;
	if (l->min_rows > 0 && c->read < l->min_rows) {
		held = fail(h, "min_rows", (double)c->read, (double)l->min_rows);
		snprintf(h->message, sizeof(h->message), "source %s: snapshot fetch %lld: %lld rows, fewer than the gate "
			 "min_rows = %ld", source, (long long)fetch_id, rows, l->min_rows);
	} else if (reject_pct > l->max_reject_pct) {
		held = fail(h, "max_reject_pct", reject_pct, l->max_reject_pct);
		snprintf(h->message, sizeof(h->message), "source %s: snapshot fetch %lld: %lld rows, %.1f %% rejected "
			 "(%lld; gate max_reject_pct = %g; `sparker export rejects` shows why)", source,
			 (long long)fetch_id, rows, reject_pct, (long long)c->rejected, l->max_reject_pct);
	} else if (gone_pct > l->max_gone_pct) {
		held = fail(h, "max_gone_pct", gone_pct, l->max_gone_pct);
		snprintf(h->message, sizeof(h->message), "source %s: snapshot fetch %lld: %lld rows, %.1f %% of live "
			 "records would be gone (%lld of %lld; gate max_gone_pct = %g)", source, (long long)fetch_id,
			 rows, gone_pct, (long long)c->gone, (long long)c->live, l->max_gone_pct);
	} else if (c->read > 0 && c->rejected == c->read) {
		held = fail(h, "no_valid_rows", (double)c->rejected, 0);
		snprintf(h->message, sizeof(h->message), "source %s: snapshot fetch %lld: %lld rows, every one rejected "
			 "(`sparker export rejects` shows why)", source, (long long)fetch_id, rows);
	} else if (c->snapshot && c->read == 0) { /* a registry is never empty, not even on a first load */
		held = fail(h, "no_valid_rows", 0, 0);
		if (c->live > 0)
			snprintf(h->message, sizeof(h->message), "source %s: snapshot fetch %lld has no data rows and would "
				 "mark all %lld live records gone", source, (long long)fetch_id, (long long)c->live);
		else
			snprintf(h->message, sizeof(h->message), "source %s: snapshot fetch %lld has no data rows (0 records)",
				 source, (long long)fetch_id);
	}
	if (held) {
		size_t n = strlen(h->message);
		snprintf(h->message + n, sizeof(h->message) - n, "; not applied: `sparker accept %s` applies it", source);
	}
	return held;
}

int sp_gate_check_age(const sp_gate_limits *l, int64_t days, const char *last_as_of, const char *source,
		      int64_t unapplied, sp_gate_hold *h)
{
	memset(h, 0, sizeof(*h));
	if (l->max_age_days <= 0 || days <= l->max_age_days)
		return 0;
	h->fetch_id = unapplied;
	fail(h, "max_age_days", (double)days, (double)l->max_age_days);
	int n = snprintf(h->message, sizeof(h->message), "source %s: last good snapshot %lld days old (last fetched as "
			 "of %s; gate max_age_days = %ld): fetch it again", source, (long long)days, last_as_of,
			 l->max_age_days);
	if (unapplied && n > 0 && (size_t)n < sizeof(h->message))
		snprintf(h->message + n, sizeof(h->message) - (size_t)n, "; snapshot fetch %lld not applied: "
			 "`sparker accept %s` applies it", (long long)unapplied, source);
	return 1;
}

void sp_gate_unreadable(const char *source, int64_t fetch_id, const char *why, sp_gate_hold *h)
{
	memset(h, 0, sizeof(*h));
	h->fetch_id = fetch_id;
	fail(h, "unreadable", 0, 0);
	snprintf(h->message, sizeof(h->message), "source %s: snapshot fetch %lld unreadable: %s; not applied, the "
		 "source's records stay as they were", source, (long long)fetch_id, why);
}

/* ---- the table ------------------------------------------------------------------------------ */

int sp_gate_age(sp_store *db, const char *source, const char *as_of, int64_t *days, char last_as_of[11],
		sp_err *err)
{
	sp_stmt *s;
	if (sp_store_prepare(db, "SELECT r.as_of, CAST(trunc(julianday(?2) - julianday(r.as_of)) AS INTEGER)"
			     " FROM fetch f JOIN run r ON r.id = f.run_id"
			     " WHERE f.source = ?1 AND f.status IN ('new', 'unchanged', 'not_modified') AND r.as_of <= ?2"
			     " ORDER BY r.as_of DESC LIMIT 1", &s, err) != SP_OK)
		return SP_EDB;
	sp_bind_text(s, 1, source);
	sp_bind_text(s, 2, as_of);
	int rc = sp_step(s);
	if (rc == SP_ROW) {
		snprintf(last_as_of, 11, "%s", sp_col_text(s, 0));
		*days = sp_col_int64(s, 1);
		rc = SP_OK;
	} else if (rc == SP_DONE) {
		rc = sp_err_set(err, SP_ENOTFOUND, "source %s: no successful fetch as of %s", source, as_of);
	} else {
		rc = sp_store_error(db, err, "gate: age of the last good snapshot");
	}
	sp_finalize(s);
	return rc;
}

int sp_gate_hold_put(sp_store *db, const char *source, int64_t run_id, const char *as_of, const sp_gate_hold *h,
		     sp_err *err)
{
	sp_stmt *s;
	if (sp_store_prepare(db, "INSERT INTO gate_hold(source, fetch_id, gate, measured, limit_value,"
			     " rows_read, rows_rejected, live, gone, message, run_id, as_of, held_at)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT(source) DO UPDATE SET"
			     " fetch_id = excluded.fetch_id, gate = excluded.gate, measured = excluded.measured,"
			     " limit_value = excluded.limit_value, rows_read = excluded.rows_read, rows_rejected = excluded.rows_rejected,"
			     " live = excluded.live, gone = excluded.gone, message = excluded.message, run_id = excluded.run_id,"
			     " as_of = excluded.as_of, held_at = excluded.held_at", &s, err) != SP_OK)
		return SP_EDB;
	char now[32];
	sp_time_iso(sp_now(), now, sizeof(now));
	sp_bind_text(s, 1, source);
	if (h->fetch_id)
		sp_bind_int64(s, 2, h->fetch_id);
	sp_bind_text(s, 3, h->gate);
	sp_bind_double(s, 4, h->measured);
	sp_bind_double(s, 5, h->limit);
	sp_bind_int64(s, 6, h->counts.read);
	sp_bind_int64(s, 7, h->counts.rejected);
	sp_bind_int64(s, 8, h->counts.live);
	sp_bind_int64(s, 9, h->counts.gone);
	sp_bind_text(s, 10, h->message);
	if (run_id)
		sp_bind_int64(s, 11, run_id);
	sp_bind_text(s, 12, as_of);
	sp_bind_text(s, 13, now);
	int rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	return rc;
}

static void col_text(sp_stmt *s, int i, char *out, size_t n)
{
	const char *v = sp_col_text(s, i);
	snprintf(out, n, "%s", v ? v : "");
}

int sp_gate_hold_get(sp_store *db, const char *source, sp_gate_hold *h, sp_err *err)
{
	sp_stmt *s;
	memset(h, 0, sizeof(*h));
	if (sp_store_prepare(db, "SELECT COALESCE(fetch_id, 0), gate, measured, limit_value, rows_read, rows_rejected,"
			     " live, gone, message, COALESCE(run_id, 0), as_of, held_at FROM gate_hold WHERE source = ?1",
			     &s, err) != SP_OK)
		return SP_EDB;
	sp_bind_text(s, 1, source);
	int rc = sp_step(s);
	if (rc == SP_ROW) {
		h->fetch_id = sp_col_int64(s, 0);
		col_text(s, 1, h->gate, sizeof(h->gate));
		h->measured = sp_col_double(s, 2);
		h->limit = sp_col_double(s, 3);
		h->counts.read = sp_col_int64(s, 4);
		h->counts.rejected = sp_col_int64(s, 5);
		h->counts.live = sp_col_int64(s, 6);
		h->counts.gone = sp_col_int64(s, 7);
		col_text(s, 8, h->message, sizeof(h->message));
		h->run_id = sp_col_int64(s, 9);
		col_text(s, 10, h->as_of, sizeof(h->as_of));
		col_text(s, 11, h->held_at, sizeof(h->held_at));
		rc = SP_OK;
	} else if (rc == SP_DONE) {
		rc = sp_err_set(err, SP_ENOTFOUND, "source %s: no snapshot held by the quality gates", source);
	} else {
		rc = sp_store_error(db, err, "gate: read gate_hold");
	}
	sp_finalize(s);
	return rc;
}

int sp_gate_hold_clear(sp_store *db, const char *source, int64_t applied, sp_err *err)
{
	sp_stmt *s;
	if (sp_store_prepare(db, "DELETE FROM gate_hold WHERE source = ?1 AND (fetch_id IS NULL OR fetch_id <= ?2)", &s,
			     err) != SP_OK)
		return SP_EDB;
	sp_bind_text(s, 1, source);
	sp_bind_int64(s, 2, applied);
	int rc = sp_store_step_done(db, s, err);
	sp_finalize(s);
	return rc;
}
