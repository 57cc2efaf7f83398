/*
 * edition_json.c — sp_report_inputs to JSON and back (edition.h), driven by one table of fields
 * per struct: a field added to sp_figures is stored and replayed once it has its line here.
 *
 * Kinds: I64, INT, DBL (17 significant digits; NaN and infinities as the strings "nan", "inf",
 * "-inf"), STR (char *, NULL as JSON null), CHARS (a char array), SUB (an embedded struct),
 * FIXED (an embedded array of structs), I64S (an embedded int64 array), ARR (a pointer to an
 * array of structs with its int count elsewhere in the struct). Reading fills a zeroed struct
 * whose ownership is the loader's (sp_figures_release frees what this allocates).
 */
#include "reports/edition.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { J_I64, J_INT, J_DBL, J_STR, J_CHARS, J_SUB, J_FIXED, J_I64S, J_ARR };
typedef struct jtype jtype;
typedef struct jfield {
	const char *name;
	int kind;
	size_t off, n;       /* CHARS: size; FIXED, I64S: elements */
	const jtype *sub;    /* SUB, FIXED, ARR */
	size_t count_off;    /* ARR: the int count */
} jfield;
struct jtype {
	size_t size;
	const jfield *fields;
};

#define F(T, m, k) { #m, k, offsetof(T, m), 0, NULL, 0 }
#define FC(T, m) { #m, J_CHARS, offsetof(T, m), sizeof(((T *)0)->m), NULL, 0 }
#define FS(T, m, t) { #m, J_SUB, offsetof(T, m), 0, &t, 0 }
#define FX(T, m, t) { #m, J_FIXED, offsetof(T, m), SP_ARRAY_LEN(((T *)0)->m), &t, 0 }
#define F64S(T, m) { #m, J_I64S, offsetof(T, m), SP_ARRAY_LEN(((T *)0)->m), NULL, 0 }
#define FA(T, m, t, cnt) { #m, J_ARR, offsetof(T, m), 0, &t, offsetof(T, cnt) }
#define END { NULL, 0, 0, 0, NULL, 0 }

static const jfield funnel_f[] = {
	F(sp_fig_funnel, pulled, J_I64), F(sp_fig_funnel, out_of_scope, J_I64), F(sp_fig_funnel, rejected, J_I64),
	F(sp_fig_funnel, known, J_I64), F(sp_fig_funnel, in_scope, J_I64), F(sp_fig_funnel, integrated, J_I64),
	F(sp_fig_funnel, qualified, J_I64), F(sp_fig_funnel, accompanied, J_I64), F(sp_fig_funnel, cocreation, J_I64),
	F(sp_fig_funnel, invested, J_I64), F(sp_fig_funnel, dec_accompanied, J_I64),
	F(sp_fig_funnel, dec_cocreation, J_I64), F(sp_fig_funnel, dec_invested, J_I64), END,
};
static const jtype funnel_t = { sizeof(sp_fig_funnel), funnel_f };
static const jfield count_f[] = {
	F(sp_fig_count, key, J_STR), F(sp_fig_count, label, J_STR), F(sp_fig_count, a, J_I64), F(sp_fig_count, b, J_I64), END,
};
static const jtype count_t = { sizeof(sp_fig_count), count_f };
static const jfield source_f[] = {
	F(sp_fig_source, name, J_STR), F(sp_fig_source, url, J_STR), F(sp_fig_source, pulled, J_I64),
	F(sp_fig_source, out_of_scope, J_I64), F(sp_fig_source, rejected, J_I64), F(sp_fig_source, known, J_I64),
	F(sp_fig_source, in_scope, J_I64), F(sp_fig_source, unique, J_I64), F(sp_fig_source, dups, J_I64),
	FC(sp_fig_source, last_good), F(sp_fig_source, streak_max, J_INT), F(sp_fig_source, streak_end, J_INT), END,
};
static const jtype source_t = { sizeof(sp_fig_source), source_f };
static const jfield reject_f[] = {
	F(sp_fig_reject, source, J_STR), F(sp_fig_reject, reason, J_STR), F(sp_fig_reject, n, J_I64), END,
};
static const jtype reject_t = { sizeof(sp_fig_reject), reject_f };
static const jfield qual_f[] = {
	F(sp_fig_qual, id, J_I64), F(sp_fig_qual, name, J_STR), F(sp_fig_qual, country, J_STR),
	F(sp_fig_qual, domains, J_STR), F(sp_fig_qual, founded, J_STR), F(sp_fig_qual, website, J_STR),
	F(sp_fig_qual, reason, J_STR), F(sp_fig_qual, score, J_DBL), END,
};
static const jtype qual_t = { sizeof(sp_fig_qual), qual_f };
static const jfield hub_f[] = {
	F(sp_fig_hub, name, J_STR), F(sp_fig_hub, label, J_STR), F(sp_fig_hub, integrated, J_I64),
	F(sp_fig_hub, qualified, J_I64), F(sp_fig_hub, accompanied, J_I64), F(sp_fig_hub, target_int_min, J_I64),
	F(sp_fig_hub, target_int_max, J_I64), F(sp_fig_hub, target_acc, J_I64), END,
};
static const jtype hub_t = { sizeof(sp_fig_hub), hub_f };
static const jfield snap_f[] = {
	F(sp_fig_snap, fetch_id, J_I64), F(sp_fig_snap, source, J_STR), F(sp_fig_snap, url, J_STR),
	F(sp_fig_snap, date, J_STR), F(sp_fig_snap, sha256, J_STR), END,
};
static const jtype snap_t = { sizeof(sp_fig_snap), snap_f };
static const jfield cross_f[] = {
	F(sp_fig_cross, returning, J_I64), F(sp_fig_cross, rescouted, J_I64), F(sp_fig_cross, ndecisions, J_I64),
	F(sp_fig_cross, days_q1, J_DBL), F(sp_fig_cross, days_median, J_DBL), F(sp_fig_cross, days_q3, J_DBL), END,
};
static const jtype cross_t = { sizeof(sp_fig_cross), cross_f };
static const jfield moved_f[] = {
	F(sp_fig_moved, id, J_I64), F(sp_fig_moved, name, J_STR), F(sp_fig_moved, entered, J_INT), END,
};
static const jtype moved_t = { sizeof(sp_fig_moved), moved_f };
static const jfield restate_f[] = {
	F(sp_fig_restate, edition, J_I64), F(sp_fig_restate, run, J_I64), FC(sp_fig_restate, date),
	FS(sp_fig_restate, old, funnel_t), FA(sp_fig_restate, hubs, hub_t, nhubs), F(sp_fig_restate, entered, J_I64),
	F(sp_fig_restate, left, J_I64), FA(sp_fig_restate, moved, moved_t, nmoved), F(sp_fig_restate, runs, J_STR),
	F(sp_fig_restate, nruns, J_I64), F(sp_fig_restate, judgements, J_I64), F(sp_fig_restate, decisions, J_I64),
	F(sp_fig_restate, pins, J_I64), F(sp_fig_restate, changed, J_INT), END,
};
static const jtype restate_t = { sizeof(sp_fig_restate), restate_f };
static const jfield figures_f[] = {
	F(sp_figures, year, J_INT), F(sp_figures, programme, J_STR), F(sp_figures, config_sha256, J_STR),
	F(sp_figures, version, J_STR), FS(sp_figures, cur, funnel_t), FS(sp_figures, prev, funnel_t),
	FX(sp_figures, hist, funnel_t), FX(sp_figures, cross, cross_t), FC(sp_figures, first_load),
	F(sp_figures, first_load_run, J_I64), F(sp_figures, first_load_n, J_I64), F(sp_figures, target_int_min, J_I64),
	F(sp_figures, target_int_max, J_I64), F(sp_figures, target_acc, J_I64), F(sp_figures, band_min, J_DBL),
	F(sp_figures, band_max, J_DBL), FA(sp_figures, domains, count_t, ndomains),
	FA(sp_figures, regions, count_t, nregions), FA(sp_figures, countries, count_t, ncountries),
	FA(sp_figures, hubs, hub_t, nhubs), FA(sp_figures, sources, source_t, nsources), F64S(sp_figures, month_int),
	F64S(sp_figures, month_qual), FA(sp_figures, qual, qual_t, nqual), F(sp_figures, runs_ok, J_I64),
	F(sp_figures, runs_partial, J_I64), F(sp_figures, runs_failed, J_I64), F(sp_figures, runs_killed, J_I64),
	F(sp_figures, runs_other, J_I64), FA(sp_figures, rejects, reject_t, nrejects), F(sp_figures, dup_records, J_I64),
	F(sp_figures, entity_merges, J_I64), FA(sp_figures, snaps, snap_t, nsnaps), F(sp_figures, run_ids, J_STR),
	F(sp_figures, config_hashes, J_STR), F(sp_figures, data_run, J_I64), FS(sp_figures, restate, restate_t), END,
};
static const jtype figures_t = { sizeof(sp_figures), figures_f };
/* the audit estimate: what the report prints (its strata are not stored) */
static const jfield acount_f[] = {
	F(sp_audit_count, est, J_DBL), F(sp_audit_count, lo, J_DBL), F(sp_audit_count, hi, J_DBL),
	F(sp_audit_count, p, J_DBL), F(sp_audit_count, p_lo, J_DBL), F(sp_audit_count, p_hi, J_DBL),
	F(sp_audit_count, n_eff, J_DBL), F(sp_audit_count, size, J_I64), F(sp_audit_count, labelled, J_I64),
	F(sp_audit_count, yes, J_I64), F(sp_audit_count, unknown, J_I64), F(sp_audit_count, complete, J_INT), END,
};
static const jtype acount_t = { sizeof(sp_audit_count), acount_f };
static const jfield audit_f[] = {
	F(sp_audit_estimate, year, J_I64), F(sp_audit_estimate, draw_id, J_I64), F(sp_audit_estimate, score_run, J_I64),
	F(sp_audit_estimate, now_run, J_I64), FC(sp_audit_estimate, created), FC(sp_audit_estimate, user),
	FS(sp_audit_estimate, found, acount_t), FS(sp_audit_estimate, missed, acount_t),
	F(sp_audit_estimate, precision, J_DBL), F(sp_audit_estimate, precision_lo, J_DBL),
	F(sp_audit_estimate, precision_hi, J_DBL), F(sp_audit_estimate, recall, J_DBL),
	F(sp_audit_estimate, recall_lo, J_DBL), F(sp_audit_estimate, recall_hi, J_DBL), END,
};
static const jtype audit_t = { sizeof(sp_audit_estimate), audit_f };

#define AT(base, off, T) ((T *)((char *)(base) + (off)))
#define CAT(base, off, T) ((const T *)((const char *)(base) + (off)))

static json_t *dbl_out(double v)
{
	if (isnan(v))
		return json_string("nan");
	if (isinf(v))
		return json_string(v > 0 ? "inf" : "-inf");
	return json_real(v);
}

static json_t *obj_out(const void *p, const jtype *t)
{
	json_t *o = json_object();
	for (const jfield *f = t->fields; f->name; f++) {
		json_t *v = NULL;
		switch (f->kind) {
		case J_I64: v = json_integer(*CAT(p, f->off, int64_t)); break;
		case J_INT: v = json_integer(*CAT(p, f->off, int)); break;
		case J_DBL: v = dbl_out(*CAT(p, f->off, double)); break;
		case J_STR: { const char *s = *CAT(p, f->off, char *const); v = s ? json_string(s) : json_null(); break; }
		case J_CHARS: v = json_stringn(CAT(p, f->off, char), strnlen(CAT(p, f->off, char), f->n)); break;
		case J_SUB: v = obj_out(CAT(p, f->off, char), f->sub); break;
		case J_FIXED:
			v = json_array();
			for (size_t i = 0; i < f->n; i++)
				json_array_append_new(v, obj_out(CAT(p, f->off + i * f->sub->size, char), f->sub));
			break;
		case J_I64S:
			v = json_array();
			for (size_t i = 0; i < f->n; i++)
				json_array_append_new(v, json_integer(CAT(p, f->off, int64_t)[i]));
			break;
		case J_ARR: {
			const char *a = *CAT(p, f->off, char *const);
			int n = *CAT(p, f->count_off, int);
			v = json_array();
			for (int i = 0; i < n; i++)
				json_array_append_new(v, obj_out(a + (size_t)i * f->sub->size, f->sub));
			break;
		}
		}
		json_object_set_new(o, f->name, v ? v : json_null());
	}
	return o;
}

static double dbl_in(const json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		return !strcmp(s, "inf") ? INFINITY : !strcmp(s, "-inf") ? -INFINITY : NAN;
	}
	return json_number_value(v);
}

/* Fill the zeroed struct p of type t from o; a field missing from o stays zero. */
static int obj_in(const json_t *o, void *p, const jtype *t, sp_err *err)
{
	if (!json_is_object(o))
		return sp_err_set(err, SP_EFORMAT, "report inputs: an object was expected");
	for (const jfield *f = t->fields; f->name; f++) {
		const json_t *v = json_object_get(o, f->name);
		if (!v || json_is_null(v))
			continue;
		switch (f->kind) {
		case J_I64: *AT(p, f->off, int64_t) = (int64_t)json_integer_value(v); break;
		case J_INT: *AT(p, f->off, int) = (int)json_integer_value(v); break;
		case J_DBL: *AT(p, f->off, double) = dbl_in(v); break;
		case J_STR: *AT(p, f->off, char *) = sp_xstrdup(json_string_value(v) ? json_string_value(v) : ""); break;
		case J_CHARS: snprintf(AT(p, f->off, char), f->n, "%s", json_string_value(v) ? json_string_value(v) : ""); break;
		case J_SUB:
			if (obj_in(v, AT(p, f->off, char), f->sub, err) != SP_OK)
				return err->code;
			break;
		case J_FIXED:
			for (size_t i = 0; i < f->n && i < json_array_size(v); i++)
				if (obj_in(json_array_get(v, i), AT(p, f->off + i * f->sub->size, char), f->sub, err) != SP_OK)
					return err->code;
			break;
		case J_I64S:
			for (size_t i = 0; i < f->n && i < json_array_size(v); i++)
				AT(p, f->off, int64_t)[i] = (int64_t)json_integer_value(json_array_get(v, i));
			break;
		case J_ARR: {
			size_t n = json_array_size(v);
			char *a = n ? sp_xcalloc(n, f->sub->size) : NULL;
			*AT(p, f->off, char *) = a;
			*AT(p, f->count_off, int) = (int)n; /* set first: a failure below leaves it releasable */
			for (size_t i = 0; i < n; i++)
				if (obj_in(json_array_get(v, i), a + i * f->sub->size, f->sub, err) != SP_OK)
					return err->code;
			break;
		}
		}
	}
	return SP_OK;
}

char *sp_inputs_to_json(const sp_report_inputs *in)
{
	json_t *o = json_object();
	json_object_set_new(o, "format", json_integer(1));
	json_object_set_new(o, "epoch", json_integer(in->epoch));
	json_object_set_new(o, "figures", obj_out(&in->f, &figures_t));
	json_object_set_new(o, "audit", in->audited ? obj_out(&in->audit, &audit_t) : json_null());
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	json_decref(o);
	return s; /* NULL only when out of memory */
}

int sp_inputs_from_json(const char *json, sp_report_inputs *in, sp_err *err)
{
	memset(in, 0, sizeof(*in));
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	if (!o)
		return sp_err_set(err, SP_EFORMAT, "report inputs: %s (line %d)", je.text, je.line);
	int rc = SP_OK;
	in->epoch = (int64_t)json_integer_value(json_object_get(o, "epoch"));
	if (json_integer_value(json_object_get(o, "format")) != 1)
		rc = sp_err_set(err, SP_EFORMAT, "report inputs: unknown format");
	else if ((rc = obj_in(json_object_get(o, "figures"), &in->f, &figures_t, err)) == SP_OK &&
		 json_is_object(json_object_get(o, "audit"))) {
		in->audited = 1;
		rc = obj_in(json_object_get(o, "audit"), &in->audit, &audit_t, err);
	}
	json_decref(o);
	if (rc != SP_OK)
		sp_inputs_release(in);
	return rc;
}

void sp_inputs_release(sp_report_inputs *in)
{
	if (!in)
		return;
	sp_figures_release(&in->f);
	sp_audit_estimate_release(&in->audit);
	memset(in, 0, sizeof(*in));
}
