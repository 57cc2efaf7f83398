/*
 * score.c — the score stage: sector tags with evidence, one relevance score with reasons, and the
 * per-cohort selection (select.c).
 *
 * What it does: loads the taxonomy ([taxonomy DOMAIN], see taxonomy.h and docs/taxonomy.md), then
 * for every live entity (the view entity_live: not merged, holding records) reads its member records and their candidates and
 * collects evidence per domain:
 *   code      a candidate NACE class starting with one of the domain's codes
 *   category  a record category that equals or contains (as whole words) a domain category
 *   keyword   a domain keyword found, as whole words, in the record's name, description or
 *             categories (case- and accent-insensitive, match.h)
 *   negative  a domain negative keyword found the same way (its weight is subtracted); negatives
 *             of a domain without positive evidence are dropped (nothing to speak against)
 * A domain with `context` phrases counts in full only when one occurs in the entity's texts; otherwise
 * its score is multiplied by [score] context_factor (0.5).
 * Each taxonomy item counts once per entity, however many records or fields carry it; the tag row
 * keeps the first record where it was seen. A domain's score is max(0, sum) * the domain weight;
 * the entity's evidence is the sum of its domains' scores.
 *
 * The relevance score: when evidence >= [score] min_score the entity is relevant and
 *   score = evidence + active_bonus (active) - inactive_penalty (known inactive)
 *         + age_bonus (founded within max_age_years of the run's as_of)
 *         + multi_source_bonus * min(nsources - 1, multi_source_cap)
 * (never below 0.01, so a relevant entity always has a positive score); otherwise score = 0.
 * select.c treats score > 0 as "has relevant evidence".
 *
 * [score] keys and defaults (specified in sp_score_keys below, the item weights in taxonomy.c's
 * sp_taxonomy_keys): context_factor 0.5, code_weight 4, category_weight 3, keyword_weight 1 (keywords written
 * without a weight), negative_weight 3, min_score 3, active_bonus 1, inactive_penalty 2,
 * max_age_years 10, age_bonus 1, multi_source_bonus 0.5, multi_source_cap 2.
 *
 * Writes, in ONE transaction (a kill leaves the previous scoring intact; a rerun replaces it):
 * tag (every piece of evidence, with a readable evidence text and the record), score (score,
 * domains ';'-joined by decreasing domain score, reasons as text a person can read), then
 * selection_prev, selection and cohort_band through sp_select_run(), and the versions that changed
 * in selection_hist (pipeline/history.h: unchanged entities append nothing). counts: in = entities,
 * out = qualified, note = "+N entered, -M left; ...".
 *
 * Failure: SP_ECONFIG (taxonomy or [score]/[select] keys), SP_EDB; SP_EINTERRUPTED on a stop request
 * (core/stop.h, looked at every 1024 rows read). The one transaction is rolled back on any of them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/history.h"
#include "pipeline/match.h"
#include "core/progress.h"
#include "core/stop.h"
#include "connectors/connector.h"
#include "pipeline/select.h"
#include "pipeline/stage.h"
#include "pipeline/startup.h"
#include "pipeline/taxonomy.h"

enum { K_CODE, K_CATEGORY, K_KEYWORD, K_NEGATIVE, K_CONTEXT, K_TECH };
static const char *const kind_name[] = { "code", "category", "keyword", "negative", "context", "technology" };

/* One taxonomy item in a flat id space. */
struct item {
	int domain;
	int kind;
	const sp_tax_item *ti;
};

struct weights {
	double context_factor;
	double min_score, active_bonus, age_bonus, multi_source_bonus, news_bonus;
	long max_age_years, multi_source_cap, startup_age;
};

/* What the startup rule needs of one entity (startup.h), gathered from its records. */
struct entity_state {
	int64_t id;
	int active;      /* 1 active, 0 inactive, -1 unknown */
	int nsources;
	int founded_year;
	char *directory; /* first startup source seen, owned */
	char *registry;  /* first registry seen, owned */
	char *website;   /* owned */
	char *status;    /* an inactive record's status, owned */
	char *status_ref;
	const char *tech; /* first technology word (taxonomy text) */
	long news;        /* news items naming it in the run's year (pipeline/mention.h) */
};

/* How many news items name each live entity in the run's year: sorted by entity (few rows). */
struct news_count {
	int64_t entity;
	long n;
};

struct span {
	int id;
	size_t pos, len;
};

struct hit {
	int item;
	int64_t record_id;
	char *evidence;
	double weight;
};

struct scorer {
	sp_taxonomy *tax;
	struct item *items;
	int nitems;
	int *code_base; /* per domain: flat id of its first code */
	sp_matcher *kw;  /* keywords + negatives */
	sp_matcher *cat; /* categories */
	struct weights w;
	int as_of_year;
	sp_tax_item *tech; /* [startup] technology words */
	int ntech;
	const sp_config *cfg; /* for the sources' kinds */
	struct news_count *news;
	size_t nnews;
	struct entity_state *es; /* the entity being read */
	/* per entity */
	unsigned char *seen;
	struct hit *hits;
	int nhits, caphits;
	/* per scan */
	int64_t cur_record;
	const char *cur_ref;
	const char *cur_field;
	const char *cur_text; /* raw text for category evidence */
	size_t cur_folded_len;
	struct span *spans;
	int nspans, capspans;
	unsigned char *ctx; /* per domain: a context phrase was seen for this entity */
};

static void add_hit(struct scorer *sc, int item, const char *evidence)
{
	if (sc->seen[item])
		return;
	sc->seen[item] = 1;
	if (sc->nhits == sc->caphits) {
		sc->caphits = sc->caphits ? sc->caphits * 2 : 32;
		sc->hits = sp_xrealloc(sc->hits, sizeof(*sc->hits) * (size_t)sc->caphits);
	}
	const struct item *it = &sc->items[item];
	double w = it->ti->weight * sc->tax->domains[it->domain].weight;
	sc->hits[sc->nhits++] = (struct hit){ item, sc->cur_record, sp_xstrdup(evidence), it->kind == K_NEGATIVE ? -w : w };
}

/* Matches of the text being scanned, filtered before they count: a match inside a longer match of
 * the same domain does not count ("charging" inside "charging infrastructure", "battery" inside the
 * negative "battery farm", a keyword inside a matched category). */
static void push_span(struct scorer *sc, int id, size_t pos, size_t len)
{
	if (sc->nspans == sc->capspans) {
		sc->capspans = sc->capspans ? sc->capspans * 2 : 16;
		sc->spans = sp_xrealloc(sc->spans, sizeof(*sc->spans) * (size_t)sc->capspans);
	}
	sc->spans[sc->nspans++] = (struct span){ id, pos, len };
}

static void on_kw(void *user, int id, size_t pos, size_t len)
{
	struct scorer *sc = user;
	if (sc->items[id].kind == K_CONTEXT) {
		sc->ctx[sc->items[id].domain] = 1;
		return;
	}
	if (sc->items[id].kind == K_TECH) {
		if (!sc->es->tech)
			sc->es->tech = sc->items[id].ti->text;
		return;
	}
	push_span(sc, id, pos, len);
}

static void on_cat(void *user, int id, size_t pos, size_t len)
{
	struct scorer *sc = user;
	(void)pos, (void)len;
	push_span(sc, id, 0, sc->cur_folded_len); /* a category covers its whole item */
}

static void flush_spans(struct scorer *sc)
{
	for (int i = 0; i < sc->nspans; i++) {
		const struct span *a = &sc->spans[i];
		int da = sc->items[a->id].domain, covered = 0;
		for (int j = 0; j < sc->nspans && !covered; j++) {
			const struct span *b = &sc->spans[j];
			if (j == i || sc->items[b->id].domain != da)
				continue;
			if (b->pos <= a->pos && a->pos + a->len <= b->pos + b->len &&
			    (b->len > a->len || (b->len == a->len && j < i)))
				covered = 1;
		}
		if (covered || sc->seen[a->id])
			continue;
		const struct item *it = &sc->items[a->id];
		char ev[600];
		if (it->kind == K_CATEGORY)
			snprintf(ev, sizeof(ev), "category \"%s\" matches \"%s\" (source %s)", sc->cur_text, it->ti->text,
				 sc->cur_ref);
		else
			snprintf(ev, sizeof(ev), "%s \"%s\" in %s (source %s)", it->kind == K_NEGATIVE ? "negative" : "keyword",
				 it->ti->text, sc->cur_field, sc->cur_ref);
		add_hit(sc, a->id, ev);
	}
	sc->nspans = 0;
}

static void scorer_free(struct scorer *sc)
{
	sp_matcher_free(sc->kw);
	sp_matcher_free(sc->cat);
	sp_taxonomy_free(sc->tax);
	free(sc->items);
	free(sc->code_base);
	free(sc->seen);
	for (int i = 0; i < sc->nhits; i++)
		free(sc->hits[i].evidence);
	free(sc->hits);
	free(sc->spans);
	free(sc->ctx);
	for (int i = 0; i < sc->ntech; i++) {
		free(sc->tech[i].text);
		free(sc->tech[i].digits);
	}
	free(sc->tech);
	free(sc->news);
}

/* The [score] keys read here (the default item weights are taxonomy.c's). */
const sp_config_key sp_score_keys[] = {
	{ "score", "min_score", SP_KEY_NUMBER, .def = "3", .min = 0, .max = SP_KEY_ANY },
	{ "score", "context_factor", SP_KEY_NUMBER, .def = "0.5", .min = 0, .max = 1 },
	{ "score", "active_bonus", SP_KEY_NUMBER, .def = "1", .min = -SP_KEY_ANY, .max = SP_KEY_ANY },
	{ "score", "age_bonus", SP_KEY_NUMBER, .def = "1", .min = -SP_KEY_ANY, .max = SP_KEY_ANY },
	{ "score", "max_age_years", SP_KEY_INT, .def = "10", .min = 0, .max = 1000 },
	{ "score", "multi_source_bonus", SP_KEY_NUMBER, .def = "0.5", .min = -SP_KEY_ANY, .max = SP_KEY_ANY },
	{ "score", "multi_source_cap", SP_KEY_INT, .def = "2", .min = 0, .max = 1000 },
	{ "score", "news_bonus", SP_KEY_NUMBER, .def = "0.5", .min = -SP_KEY_ANY, .max = SP_KEY_ANY },
	{ 0 },
};

/* One [startup] technology value into sc->tech. */
static int add_tech(void *user, const sp_config *from, const sp_kv *kv)
{
	void **a = user;
	struct scorer *sc = a[0];
	char where[512];
	snprintf(where, sizeof(where), "%s:%d: [startup] technology", from->path, kv->line);
	return sp_taxonomy_parse_items(kv->value, 0, 0, kv->line, where, &sc->tech, &sc->ntech, a[1]);
}

static int scorer_init(struct scorer *sc, const sp_config *cfg, const char *as_of, sp_err *err)
{
	memset(sc, 0, sizeof(*sc));
	int rc = sp_taxonomy_load(cfg, &sc->tax, err);
	if (rc != SP_OK)
		return rc;
	const sp_config_key *k = sp_score_keys;
	const sp_taxonomy *t = sc->tax;
	sc->w.min_score = sp_taxonomy_num(t, cfg, "score", k, "min_score");
	sc->w.context_factor = sp_taxonomy_num(t, cfg, "score", k, "context_factor");
	sc->w.active_bonus = sp_taxonomy_num(t, cfg, "score", k, "active_bonus");
	sc->w.age_bonus = sp_taxonomy_num(t, cfg, "score", k, "age_bonus");
	sc->w.max_age_years = sp_taxonomy_int(t, cfg, "score", k, "max_age_years");
	sc->w.multi_source_bonus = sp_taxonomy_num(t, cfg, "score", k, "multi_source_bonus");
	sc->w.multi_source_cap = sp_taxonomy_int(t, cfg, "score", k, "multi_source_cap");
	sc->w.news_bonus = sp_taxonomy_num(t, cfg, "score", k, "news_bonus");
	sc->w.startup_age = sp_taxonomy_int(t, cfg, "startup", sp_startup_keys, "max_age_years");
	sc->as_of_year = atoi(as_of);
	sc->cfg = cfg;
	void *a[2] = { sc, err };
	if ((rc = sp_taxonomy_each(t, cfg, "startup", "technology", add_tech, a)) != SP_OK)
		return rc;
	sc->kw = sp_matcher_new();
	sc->cat = sp_matcher_new();
	sc->code_base = sp_xcalloc((size_t)sc->tax->ndomains, sizeof(int));
	int total = 0;
	for (int d = 0; d < sc->tax->ndomains; d++) {
		const sp_tax_domain *dom = &sc->tax->domains[d];
		total += dom->ncodes + dom->ncategories + dom->nkeywords + dom->nnegatives + dom->ncontext;
	}
	total += sc->ntech;
	sc->items = sp_xcalloc((size_t)total + 1, sizeof(*sc->items));
	sc->seen = sp_xcalloc((size_t)total + 1, 1);
	sc->ctx = sp_xcalloc((size_t)sc->tax->ndomains + 1, 1);
	for (int d = 0; d < sc->tax->ndomains; d++) {
		const sp_tax_domain *dom = &sc->tax->domains[d];
		sc->code_base[d] = sc->nitems;
		for (int i = 0; i < dom->ncodes; i++)
			sc->items[sc->nitems++] = (struct item){ d, K_CODE, &dom->codes[i] };
		struct {
			const sp_tax_item *v;
			int n, kind;
		} groups[] = { { dom->categories, dom->ncategories, K_CATEGORY },
			       { dom->keywords, dom->nkeywords, K_KEYWORD },
			       { dom->negatives, dom->nnegatives, K_NEGATIVE },
			       { dom->context, dom->ncontext, K_CONTEXT } };
		for (size_t g = 0; g < SP_ARRAY_LEN(groups); g++) {
			for (int i = 0; i < groups[g].n; i++) {
				int id = sc->nitems;
				sc->items[sc->nitems++] = (struct item){ d, groups[g].kind, &groups[g].v[i] };
				sp_matcher *m = groups[g].kind == K_CATEGORY ? sc->cat : sc->kw;
				if (sp_matcher_add(m, groups[g].v[i].text, id) != SP_OK)
					return sp_err_set(err, SP_ECONFIG, "%s:%d: taxonomy %s: '%s' has no letters or digits",
							  cfg->path, groups[g].v[i].line, dom->name, groups[g].v[i].text);
			}
		}
	}
	for (int i = 0; i < sc->ntech; i++) {
		int id = sc->nitems;
		sc->items[sc->nitems++] = (struct item){ -1, K_TECH, &sc->tech[i] };
		if (sp_matcher_add(sc->kw, sc->tech[i].text, id) != SP_OK)
			return sp_err_set(err, SP_ECONFIG, "[startup] technology: '%s' has no letters or digits", sc->tech[i].text);
	}
	return SP_OK;
}

/* Split a categories field on , ; | and newlines; call the category matcher on each part and the
 * keyword matcher on the whole. */
static void scan_categories(struct scorer *sc, const char *cats)
{
	const char *p = cats;
	while (*p) {
		size_t n = strcspn(p, ",;|\n");
		const char *b = p;
		size_t bn = n;
		while (bn && (*b == ' ' || *b == '\t'))
			b++, bn--;
		while (bn && (b[bn - 1] == ' ' || b[bn - 1] == '\t' || b[bn - 1] == '\r'))
			bn--;
		char *part = sp_xstrndup(b, bn);
		char *f = sp_match_fold(part);
		if (*f) {
			sc->cur_text = part;
			sc->cur_folded_len = strlen(f);
			sc->cur_field = "categories";
			sp_matcher_scan(sc->cat, f, on_cat, sc);
			sp_matcher_scan(sc->kw, f, on_kw, sc);
			flush_spans(sc);
		}
		free(f);
		free(part);
		p += n;
		if (*p)
			p++;
	}
}

static void scan_text(struct scorer *sc, const char *field, const char *text)
{
	if (!text || !*text)
		return;
	char *f = sp_match_fold(text);
	sc->cur_field = field;
	sp_matcher_scan(sc->kw, f, on_kw, sc);
	flush_spans(sc);
	free(f);
}

static void scan_codes(struct scorer *sc, const char *nace)
{
	if (!nace)
		return;
	const char *p = nace;
	while (*p) {
		size_t n = strcspn(p, ";, ");
		if (n) {
			char cls[32];
			snprintf(cls, sizeof(cls), "%.*s", (int)(n < 31 ? n : 31), p);
			for (int d = 0; d < sc->tax->ndomains; d++) {
				int i = sp_taxonomy_code_match(&sc->tax->domains[d], cls);
				if (i < 0)
					continue;
				int id = sc->code_base[d] + i;
				if (sc->seen[id])
					continue;
				char ev[256];
				snprintf(ev, sizeof(ev), "code %s matches NACE %s (source %s)", sc->items[id].ti->text, cls,
					 sc->cur_ref);
				add_hit(sc, id, ev);
			}
		}
		p += n;
		if (*p)
			p++;
	}
}

struct dom_sum {
	int d;
	double sum;
};

static int dom_cmp(const void *a, const void *b)
{
	const struct dom_sum *x = a, *y = b;
	if (x->sum != y->sum)
		return x->sum > y->sum ? -1 : 1;
	return x->d - y->d;
}

/* A negative only speaks against a domain the entity has positive evidence for: drop the others
 * from the hit list (and from seen[], so the list and seen[] stay in step). */
static void drop_unopposed_negatives(struct scorer *sc)
{
	int nd = sc->tax->ndomains;
	unsigned char *pos = sp_xcalloc((size_t)nd, 1);
	for (int i = 0; i < sc->nhits; i++)
		if (sc->hits[i].weight > 0)
			pos[sc->items[sc->hits[i].item].domain] = 1;
	int kept = 0;
	for (int i = 0; i < sc->nhits; i++) {
		if (sc->hits[i].weight < 0 && !pos[sc->items[sc->hits[i].item].domain]) {
			sc->seen[sc->hits[i].item] = 0;
			free(sc->hits[i].evidence);
			continue;
		}
		sc->hits[kept++] = sc->hits[i];
	}
	sc->nhits = kept;
	free(pos);
}

/* One tag row per hit of the entity. */
static int write_tags(const struct scorer *sc, int64_t entity, sp_stmt *ins_tag, sp_store *db, sp_err *err)
{
	int rc = SP_OK;
	for (int i = 0; i < sc->nhits && rc == SP_OK; i++) {
		const struct hit *h = &sc->hits[i];
		const struct item *it = &sc->items[h->item];
		sp_bind_int64(ins_tag, 1, entity);
		sp_bind_text(ins_tag, 2, sc->tax->domains[it->domain].name);
		sp_bind_text(ins_tag, 3, kind_name[it->kind]);
		sp_bind_text(ins_tag, 4, h->evidence);
		if (h->record_id)
			sp_bind_int64(ins_tag, 5, h->record_id);
		else
			sp_bind_null(ins_tag, 5);
		sp_bind_double(ins_tag, 6, h->weight);
		rc = sp_store_step_done(db, ins_tag, err);
	}
	return rc;
}

/*
 * Per domain score into ds (indexed by domain, ds[d].d = d): the sum of its hits' weights, never
 * below 0, times context_factor when the domain has context phrases and none was seen (offctx[d]
 * = 1). Returns the entity's evidence, the sum over domains.
 */
static double domain_scores(const struct scorer *sc, struct dom_sum *ds, unsigned char *offctx)
{
	int nd = sc->tax->ndomains;
	for (int d = 0; d < nd; d++)
		ds[d].d = d;
	for (int i = 0; i < sc->nhits; i++)
		ds[sc->items[sc->hits[i].item].domain].sum += sc->hits[i].weight;
	double evidence = 0;
	for (int d = 0; d < nd; d++) {
		if (ds[d].sum < 0)
			ds[d].sum = 0;
		if (ds[d].sum > 0 && sc->tax->domains[d].ncontext && !sc->ctx[d]) {
			ds[d].sum *= sc->w.context_factor;
			offctx[d] = 1;
		}
		evidence += ds[d].sum;
	}
	return evidence;
}

/* The domains an entity belongs to, ';'-joined from ds sorted best first: those with at least
 * min(min_score, best domain) evidence. */
static void domain_list(const struct scorer *sc, const struct dom_sum *ds, sp_buf *out)
{
	int nd = sc->tax->ndomains;
	double floor_d = nd ? (ds[0].sum < sc->w.min_score ? ds[0].sum : sc->w.min_score) : 0;
	for (int k = 0; k < nd && ds[k].sum > 0 && ds[k].sum >= floor_d - 1e-9; k++)
		sp_buf_addf(out, "%s%s", k ? ";" : "", sc->tax->domains[ds[k].d].name);
}

/*
 * The score of a qualifying entity (thesis evidence >= min_score, a startup, not closed): evidence
 * plus the bonuses of the module comment, never below 0.01. Appends "score S = evidence E + ..."
 * to reasons, every term written, and says so when the floor raised the sum.
 */
static double relevance_score(const struct scorer *sc, const struct entity_state *es, double evidence, sp_buf *reasons)
{
	sp_buf head = SP_BUF_INIT;
	double score = evidence;
	sp_buf_addf(&head, "evidence %.4g", evidence);
	if (es->active == 1 && sc->w.active_bonus) {
		score += sc->w.active_bonus;
		sp_buf_addf(&head, " %c active %.4g", sc->w.active_bonus < 0 ? '-' : '+', fabs(sc->w.active_bonus));
	}
	if (es->founded_year > 0 && sc->as_of_year > 0 && sc->w.age_bonus &&
	    sc->as_of_year - es->founded_year <= sc->w.max_age_years && es->founded_year <= sc->as_of_year) {
		score += sc->w.age_bonus;
		sp_buf_addf(&head, " %c founded %d (within %ld years) %.4g", sc->w.age_bonus < 0 ? '-' : '+',
			    es->founded_year, sc->w.max_age_years, fabs(sc->w.age_bonus));
	}
	if (es->nsources > 1 && sc->w.multi_source_bonus) {
		long extra = es->nsources - 1;
		if (extra > sc->w.multi_source_cap)
			extra = sc->w.multi_source_cap;
		double b = sc->w.multi_source_bonus * (double)extra;
		if (b) {
			score += b;
			sp_buf_addf(&head, " %c %d sources %.4g", b < 0 ? '-' : '+', es->nsources, fabs(b));
		}
	}
	if (es->news > 0 && sc->w.news_bonus) {
		score += sc->w.news_bonus;
		sp_buf_addf(&head, " %c in the news %ld time%s in %d %.4g", sc->w.news_bonus < 0 ? '-' : '+', es->news,
			    es->news == 1 ? "" : "s", sc->as_of_year, fabs(sc->w.news_bonus));
	}
	if (score < 0.01) {
		sp_buf_addf(reasons, "score 0.01 (raised to the floor from %.4g = %s)", score, head.buf);
		score = 0.01;
	} else {
		sp_buf_addf(reasons, "score %.4g = %s", score, head.buf);
	}
	sp_buf_release(&head);
	return score;
}

/* Per domain with hits, best first (ds sorted): ". Label S (no context word: xF): evidence +w; ...";
 * domains whose evidence cancelled out come with S = 0. */
static void domain_reasons(const struct scorer *sc, const struct dom_sum *ds, const unsigned char *offctx,
			   sp_buf *reasons)
{
	for (int k = 0; k < sc->tax->ndomains; k++) {
		int d = ds[k].d;
		int any = 0;
		for (int i = 0; i < sc->nhits; i++)
			any |= sc->items[sc->hits[i].item].domain == d;
		if (!any)
			continue;
		sp_buf_addf(reasons, ". %s %.4g", sc->tax->domains[d].label, ds[k].sum);
		if (offctx[d])
			sp_buf_addf(reasons, " (no context word: x%.4g)", sc->w.context_factor);
		sp_buf_addc(reasons, ':');
		int first = 1;
		for (int i = 0; i < sc->nhits; i++) {
			if (sc->items[sc->hits[i].item].domain != d)
				continue;
			sp_buf_addf(reasons, "%s %s %+.4g", first ? "" : ";", sc->hits[i].evidence, sc->hits[i].weight);
			first = 0;
		}
	}
}

/* Forget the entity: hits, seen[], the context flags and its facts, ready for the next one. */
static void reset_entity(struct scorer *sc, struct entity_state *es)
{
	memset(sc->ctx, 0, (size_t)sc->tax->ndomains);
	for (int i = 0; i < sc->nhits; i++) {
		sc->seen[sc->hits[i].item] = 0;
		free(sc->hits[i].evidence);
	}
	sc->nhits = 0;
	free(es->directory);
	free(es->registry);
	free(es->website);
	free(es->status);
	free(es->status_ref);
	memset(es, 0, sizeof(*es));
}

/* The startup rule's verdict on es (startup.h), its sentence appended to why. */
static int startup_verdict(const struct scorer *sc, const struct entity_state *es, sp_buf *why)
{
	sp_startup_facts f = { .directory = es->directory, .registry = es->registry, .website = es->website,
			       .founded_year = es->founded_year, .as_of_year = sc->as_of_year, .technology = es->tech,
			       .active = es->active, .status = es->status, .status_ref = es->status_ref,
			       .max_age_years = sc->w.startup_age, .news = es->news };
	return sp_startup_judge(&f, why);
}

/* The score row's reasons: what decided, then the startup sentence, then the domains' evidence. */
static double score_reasons(const struct scorer *sc, const struct entity_state *es, double evidence, int thesis,
			    int startup, const char *who, sp_buf *reasons)
{
	double score = 0;
	if (thesis && startup == SP_STARTUP_YES)
		score = relevance_score(sc, es, evidence, reasons);
	else if (thesis)
		sp_buf_addf(reasons, "score 0 (not qualified): thesis evidence %.4g reaches min_score %.4g", evidence,
			    sc->w.min_score);
	else if (evidence > 0 || sc->nhits)
		sp_buf_addf(reasons, "not relevant: evidence %.4g below min_score %.4g", evidence, sc->w.min_score);
	else
		sp_buf_adds(reasons, "not relevant: no code, category or keyword of the taxonomy");
	sp_buf_addf(reasons, ". %s", who);
	return score;
}

/*
 * Score the current entity from its hits: write its tag rows and its score row (score 0 and the
 * reason when it does not qualify), set *relevant, and reset for the next entity (also on failure).
 */
static int finish_entity(struct scorer *sc, struct entity_state *es, sp_stmt *ins_tag, sp_stmt *ins_score,
			 sp_store *db, int64_t run_id, int *relevant, sp_err *err)
{
	int nd = sc->tax->ndomains;
	drop_unopposed_negatives(sc);
	int rc = write_tags(sc, es->id, ins_tag, db, err);
	struct dom_sum *ds = sp_xcalloc((size_t)nd, sizeof(*ds));
	unsigned char *offctx = sp_xcalloc((size_t)nd, 1);
	double evidence = domain_scores(sc, ds, offctx);
	qsort(ds, (size_t)nd, sizeof(*ds), dom_cmp);
	sp_buf domains = SP_BUF_INIT, reasons = SP_BUF_INIT;
	domain_list(sc, ds, &domains);
	int thesis = evidence >= sc->w.min_score - 1e-9 && evidence > 0;
	sp_buf who = SP_BUF_INIT;
	int startup = startup_verdict(sc, es, &who);
	double score = score_reasons(sc, es, evidence, thesis, startup, who.buf, &reasons);
	sp_buf_release(&who);
	domain_reasons(sc, ds, offctx, &reasons);
	if (rc == SP_OK) {
		sp_bind_int64(ins_score, 1, es->id);
		sp_bind_double(ins_score, 2, score);
		sp_bind_text(ins_score, 3, domains.len ? domains.buf : NULL);
		sp_bind_text(ins_score, 4, sp_buf_str(&reasons));
		sp_bind_int64(ins_score, 5, run_id);
		sp_bind_double(ins_score, 6, evidence);
		sp_bind_int(ins_score, 7, thesis);
		sp_bind_int(ins_score, 8, startup);
		rc = sp_store_step_done(db, ins_score, err);
	}
	*relevant = score > 0;
	sp_buf_release(&domains);
	sp_buf_release(&reasons);
	free(ds);
	free(offctx);
	reset_entity(sc, es);
	return rc;
}

static int year_of(const char *s)
{
	if (!s || strlen(s) < 4)
		return 0;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return atoi(s);
}

/* Inside the stage's transaction: clear tag and score, prepare the reading query and the two
 * inserts, start the progress line (with the number of live entities when it is drawn). */
static int score_prepare(sp_store *db, sp_stmt **q, sp_stmt **ins_tag, sp_stmt **ins_score, sp_err *err)
{
	int rc = sp_store_exec(db, "DELETE FROM tag; DELETE FROM score;", err);
	if (rc == SP_OK)
		rc = sp_store_prepare(db,
				      "SELECT e.id, e.active, e.nsources, e.founded, e.name,"
				      " r.id, r.source, r.source_key, r.name, r.description, r.categories, r.other_names,"
				      " c.nace, c.active, c.founded_year, e.website, r.website, r.status"
				      " FROM entity_live e JOIN member m ON m.entity_id = e.id"
				      " JOIN record r ON r.id = m.record_id"
				      " LEFT JOIN candidate c ON c.record_id = r.id"
				      " ORDER BY e.id, r.id",
				      q, err);
	if (rc == SP_OK)
		rc = sp_store_prepare(db, "INSERT INTO tag(entity_id, domain, kind, evidence, record_id, weight) VALUES (?,?,?,?,?,?)",
				      ins_tag, err);
	if (rc == SP_OK)
		rc = sp_store_prepare(db, "INSERT INTO score(entity_id, score, domains, reasons, run_id, evidence, thesis, startup)"
				      " VALUES (?,?,?,?,?,?,?,?)",
				      ins_score, err);
	int64_t total = 0;
	if (rc == SP_OK && sp_progress_enabled())
		rc = sp_store_int(db, "SELECT count(*) FROM entity_live", &total, err, NULL);
	sp_progress_start("score", total, "entities");
	return rc;
}

/* The news counts of the run's year (entity_mentions, pipeline/mention.h), sorted by entity. */
static int load_news(struct scorer *sc, sp_store *db, sp_err *err)
{
	sp_stmt *q = NULL;
	int rc = sp_store_prepare(db, "SELECT entity_id, n FROM entity_mentions WHERE year = ? ORDER BY entity_id", &q, err);
	size_t cap = 0;
	int step = SP_DONE;
	if (rc == SP_OK)
		sp_bind_int(q, 1, sc->as_of_year);
	while (rc == SP_OK && (step = sp_step(q)) == SP_ROW) {
		if (sc->nnews == cap) {
			cap = cap ? cap * 2 : 64;
			sc->news = sp_xrealloc(sc->news, cap * sizeof(*sc->news));
		}
		sc->news[sc->nnews++] = (struct news_count){ sp_col_int64(q, 0), sp_col_int(q, 1) };
	}
	if (rc == SP_OK && step != SP_DONE)
		rc = sp_store_error(db, err, "score: read news mentions");
	sp_finalize(q);
	return rc;
}

static long news_of(const struct scorer *sc, int64_t entity)
{
	size_t lo = 0, hi = sc->nnews;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sc->news[mid].entity < entity)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sc->nnews && sc->news[lo].entity == entity ? sc->news[lo].n : 0;
}

/* The first row of an entity: its own columns into es. */
static void entity_begin(const struct scorer *sc, struct entity_state *es, sp_stmt *q)
{
	es->id = sp_col_int64(q, 0);
	es->news = news_of(sc, es->id);
	es->active = sp_col_null(q, 1) ? -1 : sp_col_int(q, 1) != 0;
	es->nsources = sp_col_int(q, 2);
	es->founded_year = year_of(sp_col_text(q, 3));
	const char *web = sp_col_text(q, 15);
	if (web && *web)
		es->website = sp_xstrdup(web);
}

/* What one member record says of the entity's startup facts (startup.h). */
static void record_facts(struct scorer *sc, struct entity_state *es, sp_stmt *q)
{
	const char *source = sp_col_text(q, 6);
	const sp_source *src = source ? sp_config_source(sc->cfg, source) : NULL;
	sp_source_kind kind = src ? sp_source_kind_of(sc->cfg, src) : SP_KIND_NEWS; /* unknown: neither */
	if (kind == SP_KIND_DIRECTORY && !es->directory)
		es->directory = sp_xstrdup(source);
	else if (kind == SP_KIND_REGISTRY && !es->registry)
		es->registry = sp_xstrdup(source);
	const char *web = sp_col_text(q, 16);
	if (!es->website && web && *web)
		es->website = sp_xstrdup(web);
	int has_active = !sp_col_null(q, 13);
	if (has_active && sp_col_int(q, 13) == 1) {
		es->active = 1; /* any member seen active makes the entity active */
	} else if (has_active && es->active != 1) {
		es->active = 0;
		if (!es->status) {
			const char *st = sp_col_text(q, 17);
			es->status = sp_xstrdup(st ? st : "inactive");
			es->status_ref = sp_xstrdup(sc->cur_ref);
		}
	}
	int fy = sp_col_int(q, 14);
	if (fy > 0 && (!es->founded_year || fy < es->founded_year))
		es->founded_year = fy;
}

/* One row of the reading query (an entity's member record): its evidence and facts. */
static void scan_row(struct scorer *sc, struct entity_state *es, sp_stmt *q, sp_buf *ref)
{
	sp_buf_reset(ref);
	if (sp_col_null(q, 5)) {
		/* an entity without member records: score its golden name only */
		sc->cur_record = 0;
		sp_buf_addf(ref, "entity %lld", (long long)es->id);
		sc->cur_ref = ref->buf;
		scan_text(sc, "name", sp_col_text(q, 4));
		return;
	}
	sp_buf_addf(ref, "%s:%s", sp_col_text(q, 6), sp_col_text(q, 7));
	sc->cur_record = sp_col_int64(q, 5);
	sc->cur_ref = ref->buf;
	scan_codes(sc, sp_col_text(q, 12));
	const char *cats = sp_col_text(q, 10);
	if (cats)
		scan_categories(sc, cats);
	scan_text(sc, "name", sp_col_text(q, 8));
	scan_text(sc, "other names", sp_col_text(q, 11));
	scan_text(sc, "description", sp_col_text(q, 9));
	record_facts(sc, es, q);
}

/* Read every live entity's records, scoring each entity when its last row has been read. */
static int score_entities(struct scorer *sc, sp_ctx *ctx, sp_stmt *q, sp_stmt *ins_tag,
			  sp_stmt *ins_score, int64_t *nent, int64_t *nrel)
{
	sp_err *err = ctx->err;
	struct entity_state es = { 0 };
	sc->es = &es;
	int have = 0, relevant = 0, rc = SP_OK, step;
	int64_t nrows = 0;
	sp_buf ref = SP_BUF_INIT;
	while (rc == SP_OK && (step = sp_step(q)) == SP_ROW) {
		if ((++nrows & 1023) == 0 && sp_stop_requested()) { /* rolled back by the caller */
			rc = sp_stop_err(err);
			break;
		}
		int64_t eid = sp_col_int64(q, 0);
		if (!have || eid != es.id) {
			if (have) {
				rc = finish_entity(sc, &es, ins_tag, ins_score, ctx->db, ctx->run_id, &relevant, err);
				*nrel += relevant;
				if (rc != SP_OK)
					break;
			}
			have = 1;
			entity_begin(sc, &es, q);
			if ((++*nent & 1023) == 0)
				sp_progress_update(*nent);
		}
		scan_row(sc, &es, q, &ref);
	}
	if (rc == SP_OK && step != SP_DONE && step != SP_ROW)
		rc = sp_store_error(ctx->db, err, "score: read entities");
	if (rc == SP_OK && have) {
		rc = finish_entity(sc, &es, ins_tag, ins_score, ctx->db, ctx->run_id, &relevant, err);
		*nrel += relevant;
	}
	reset_entity(sc, &es);
	sc->es = NULL;
	sp_buf_release(&ref);
	return rc;
}

int sp_stage_score(sp_ctx *ctx, const sp_source *src, sp_counts *c)
{
	(void)src;
	sp_err *err = ctx->err;
	struct scorer sc;
	int rc = scorer_init(&sc, ctx->cfg, ctx->as_of, err);
	if (rc != SP_OK) {
		scorer_free(&sc);
		return rc;
	}
	double bmin, bmax;
	if ((rc = sp_select_band(ctx->cfg, &bmin, &bmax, err)) != SP_OK || ctx->dry_run) {
		scorer_free(&sc);
		return rc;
	}
	sp_store *db = ctx->db;
	sp_stmt *q = NULL, *ins_tag = NULL, *ins_score = NULL;
	if ((rc = sp_store_begin(db, err)) != SP_OK) {
		scorer_free(&sc);
		return rc;
	}
	rc = score_prepare(db, &q, &ins_tag, &ins_score, err);
	if (rc == SP_OK)
		rc = load_news(&sc, db, err);
	int64_t nent = 0, nrel = 0;
	if (rc == SP_OK)
		rc = score_entities(&sc, ctx, q, ins_tag, ins_score, &nent, &nrel);
	sp_finalize(q);
	sp_finalize(ins_tag);
	sp_finalize(ins_score);
	int64_t qualified = 0;
	if (rc == SP_OK)
		rc = sp_select_run(db, ctx->cfg, ctx->run_id, &qualified, c->note, sizeof(c->note), err);
	if (rc == SP_OK && ctx->run_id > 0) /* the versions that changed (history.h); a preview has no run */
		rc = sp_history_append(db, ctx->run_id, NULL, err);
	if (rc == SP_OK && ctx->preview) {
		rc = ctx->preview(ctx->preview_user, db, err);
		sp_store_rollback(db); /* a preview writes nothing */
		sp_progress_end();
		scorer_free(&sc);
		return rc;
	}
	if (rc == SP_OK)
		rc = sp_store_commit(db, err);
	if (rc != SP_OK) {
		sp_store_rollback(db);
	} else {
		c->in = nent;
		c->out = qualified;
	}
	sp_progress_end();
	scorer_free(&sc);
	return rc;
}
