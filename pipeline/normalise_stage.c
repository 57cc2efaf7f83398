/*
 * normalise_stage.c — the normalise stage: every live record -> one `candidate` row.
 *
 * What it does: in ONE transaction, deletes every candidate and writes one per record with
 * gone = 0 that is in scope (out_of_scope IS NULL: connectors/scope.h), through the pure
 * functions of normalise.h. Running it twice is running it once.
 * A record without a country gets the country named at the end of its location ("Palo Alto,
 * California, United States"), else its source's `country`, else the country of its city when the
 * city names one country (sp_norm_city_country).
 * Per-source settings read from the config: `country` (default country for records without one)
 * and `date_order = dmy|mdy` (how to read ambiguous nn/nn/yyyy dates; `preset = crunchbase`
 * implies mdy; see sp_date_order_config). Dates go through sp_date_parse() with that order, the
 * same call the pushdown filter makes, so both read a record's date alike.
 * A record whose source is no longer in the config is still normalised (defaults).
 * Aliases: each name of record.other_names (';'-separated) that gives a match key other than the
 * record's own becomes a `candidate_alias` row (name as given, key, kind 'previous' for a
 * companies_house source's PreviousName_*, 'other' for every other source), for dedupe's
 * previous_name rule; a name repeated in one record is written once.
 *
 * Speed: one prepared SELECT and one prepared INSERT, no per-record query; about 1M records in
 * a few seconds (utf8proc only for non-ASCII names).
 *
 * Progress (core/progress.h) in records, with the total (a count of live records, made only when
 * a progress line is drawn) so it shows a percentage and an ETA. A stop request (core/stop.h),
 * looked at every 1024 records, ends the stage with SP_EINTERRUPTED and rolls it back.
 *
 * Failure: SP_EDB with sqlite's message; the transaction is rolled back (previous candidates stay).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "core/date.h"
#include "core/progress.h"
#include "core/stop.h"
#include "pipeline/normalise.h"
#include "pipeline/stage.h"

typedef struct src_opts {
	char name[128];
	const char *country; /* static alpha-2 or NULL */
	sp_date_order order; /* the source's date_order, as the pushdown filter reads it */
	const char *alias_kind; /* "previous" (Companies House previous names) or "other" */
} src_opts;

static void src_lookup(const sp_config *cfg, const char *name, src_opts *o)
{
	if (strcmp(o->name, name) == 0)
		return;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->country = NULL;
	o->order = SP_DATE_DMY;
	o->alias_kind = "other";
	const sp_source *s = cfg ? sp_config_source(cfg, name) : NULL;
	if (!s)
		return;
	if (s->format && strcmp(s->format, "companies_house") == 0)
		o->alias_kind = "previous";
	o->country = sp_norm_country(sp_config_str(cfg, s->section, sp_parse_keys, "country"));
	o->order = sp_date_order_config(cfg, s->section, NULL);
}

static const char *col(sp_stmt *s, int i)
{
	const char *v = sp_col_text(s, i);
	return v ? v : "";
}

/* One candidate_alias row per distinct alias key of a record (not its own name key). */
static int write_aliases(sp_ctx *ctx, sp_stmt *ins, int64_t rid, const char *other, const char *own_key,
			 const char *country, const char *kind)
{
	char *keys[32];
	int nk = 0, rc = SP_OK;
	while (*other && nk < 32 && rc == SP_OK) {
		size_t n = strcspn(other, ";");
		char raw[512];
		snprintf(raw, sizeof(raw), "%.*s", (int)(n < sizeof(raw) ? n : sizeof(raw) - 1), other);
		other += n + (other[n] == ';');
		sp_name nm;
		sp_norm_name(raw, country, &nm);
		int dup = !nm.key || !*nm.key || (own_key && strcmp(nm.key, own_key) == 0);
		for (int k = 0; k < nk && !dup; k++)
			dup = strcmp(keys[k], nm.key) == 0;
		if (!dup) {
			sp_bind_int64(ins, 1, rid);
			sp_bind_text(ins, 2, nm.display && *nm.display ? nm.display : raw);
			sp_bind_text(ins, 3, nm.key);
			sp_bind_text(ins, 4, kind);
			rc = sp_store_step_done(ctx->db, ins, ctx->err);
			keys[nk++] = nm.key, nm.key = NULL;
		}
		sp_name_release(&nm);
	}
	for (int k = 0; k < nk; k++)
		free(keys[k]);
	return rc;
}

/* The stage's three statements: records in, candidates and aliases out. */
static int prepare(sp_store *db, sp_stmt **sel, sp_stmt **ins, sp_stmt **ains, sp_err *err)
{
	int rc;
	if ((rc = sp_store_prepare(db,
				   "SELECT id, source, name, legal_form, country, city, website, founded, status, codes,"
				   " code_system, regnum, lei, ra_id, ra_entity_id, published, first_seen, other_names"
				   " FROM record WHERE gone = 0 AND out_of_scope IS NULL ORDER BY id",
				   sel, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db,
				   "INSERT INTO candidate (record_id, source, name, name_key, legal_form, country, city_key,"
				   " domain, founded, founded_year, nace, regnum_key, lei, ra_key, active, first_seen)"
				   " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
				   ins, err)) != SP_OK)
		return rc;
	if ((rc = sp_store_prepare(db, "INSERT INTO candidate_alias (record_id, name, name_key, kind) VALUES (?1,?2,?3,?4)",
				   ains, err)) != SP_OK)
		return rc;
	return SP_OK;
}

int sp_stage_normalise(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	(void)src;
	sp_store *db = ctx->db;
	sp_stmt *sel = NULL, *ins = NULL, *ains = NULL;
	int rc;
	/* one big transaction: a large page cache keeps SQLite from spilling it page by page */
	if ((rc = sp_store_exec(db, "PRAGMA cache_size = -262144", ctx->err)) != SP_OK)
		return rc;
	if ((rc = sp_store_begin(db, ctx->err)) != SP_OK)
		return rc;
	if ((rc = sp_store_exec(db, "DELETE FROM candidate; DELETE FROM candidate_alias", ctx->err)) != SP_OK)
		goto fail;
	if ((rc = prepare(db, &sel, &ins, &ains, ctx->err)) != SP_OK)
		goto fail;
	src_opts so;
	memset(&so, 0, sizeof(so));
	so.name[0] = '\x01';
	int64_t total = 0;
	if (sp_progress_enabled() &&
	    (rc = sp_store_int(db, "SELECT count(*) FROM record WHERE gone = 0", &total, ctx->err, NULL)) != SP_OK)
		goto fail;
	sp_progress_start("normalise", total, "records");
	int step;
	while ((step = sp_step(sel)) == SP_ROW) {
		if ((++c->in & 1023) == 0) {
			if (sp_stop_requested()) {
				rc = sp_stop_err(ctx->err);
				goto fail;
			}
			sp_progress_update(c->in);
		}
		const char *source = col(sel, 1);
		src_lookup(ctx->cfg, source, &so);
		const char *country = sp_norm_country(col(sel, 4)), *loc_country;
		char *city = sp_norm_location(col(sel, 5), &loc_country);
		if (!country) /* "Palo Alto, California, United States" */
			country = loc_country;
		if (!country)
			country = so.country;
		if (!country) /* "Munich" says Germany; ambiguous city names say nothing */
			country = sp_norm_city_country(city);
		sp_name nm;
		sp_norm_name(col(sel, 2), country, &nm);
		char *domain = sp_norm_domain(col(sel, 6));
		char founded[16], pub[16];
		sp_date_parse(col(sel, 7), so.order, founded, sizeof(founded));
		sp_date_parse(col(sel, 15), so.order, pub, sizeof(pub));
		char *nace = sp_norm_codes(col(sel, 9), col(sel, 10));
		char *regnum = sp_norm_regnum(col(sel, 11), country);
		char *lei = sp_norm_lei(col(sel, 12));
		char *ra = sp_norm_ra_key(col(sel, 13), col(sel, 14));
		int active = sp_norm_active(col(sel, 8));
		const char *fs = col(sel, 16);
		char first_seen[16];
		snprintf(first_seen, sizeof(first_seen), "%s", fs);
		if (strlen(pub) == 10 && strcmp(pub, first_seen) < 0)
			snprintf(first_seen, sizeof(first_seen), "%s", pub);
		const char *lf = nm.legal_form;
		char *lf_raw = NULL;
		if (!lf && *col(sel, 3))
			lf = lf_raw = sp_norm_fold(col(sel, 3));

		sp_bind_int64(ins, 1, sp_col_int64(sel, 0));
		sp_bind_text(ins, 2, source);
		sp_bind_text(ins, 3, nm.display);
		sp_bind_text(ins, 4, nm.key);
		sp_bind_text(ins, 5, lf);
		sp_bind_text(ins, 6, country);
		sp_bind_text(ins, 7, city);
		sp_bind_text(ins, 8, domain);
		sp_bind_text(ins, 9, founded);
		if (*founded)
			sp_bind_int(ins, 10, atoi(founded));
		else
			sp_bind_null(ins, 10);
		sp_bind_text(ins, 11, nace);
		sp_bind_text(ins, 12, regnum);
		sp_bind_text(ins, 13, lei);
		sp_bind_text(ins, 14, ra);
		if (active >= 0)
			sp_bind_int(ins, 15, active);
		else
			sp_bind_null(ins, 15);
		sp_bind_text(ins, 16, first_seen);
		rc = sp_store_step_done(db, ins, ctx->err);
		if (rc == SP_OK && *col(sel, 17))
			rc = write_aliases(ctx, ains, sp_col_int64(sel, 0), col(sel, 17), nm.key, country, so.alias_kind);
		sp_name_release(&nm);
		free(city), free(domain), free(nace), free(regnum), free(lei), free(ra), free(lf_raw);
		if (rc != SP_OK)
			goto fail;
		c->out++;
	}
	if (step != SP_DONE) {
		rc = sp_store_error(db, ctx->err, "normalise: reading records");
		goto fail;
	}
	sp_finalize(sel), sel = NULL;
	sp_finalize(ins), ins = NULL;
	sp_finalize(ains), ains = NULL;
	if ((rc = sp_store_commit(db, ctx->err)) != SP_OK)
		goto fail;
	sp_progress_end();
	snprintf(c->note, sizeof(c->note), "%lld candidates", (long long)c->out);
	return SP_OK;
fail:
	sp_progress_end();
	sp_finalize(sel);
	sp_finalize(ins);
	sp_finalize(ains);
	sp_store_rollback(db);
	return rc;
}
