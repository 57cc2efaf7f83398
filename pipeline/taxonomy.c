/*
 * taxonomy.c — load [taxonomy DOMAIN] sections (see taxonomy.h for the syntax and contract).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/taxonomy.h"

/* Item keys accumulate: a key may repeat, or go on over indented lines. */
#define ITEMS (SP_KEY_REPEAT)
const sp_config_key sp_taxonomy_keys[] = {
	{ "sparker", "taxonomy", SP_KEY_STRING, .def = "builtin" }, /* builtin | none | FILE */
	{ "score", "code_weight", SP_KEY_NUMBER, .def = "4", .min = 0, .max = SP_KEY_ANY },
	{ "score", "category_weight", SP_KEY_NUMBER, .def = "3", .min = 0, .max = SP_KEY_ANY },
	{ "score", "keyword_weight", SP_KEY_NUMBER, .def = "1", .min = 0, .max = SP_KEY_ANY },
	{ "score", "negative_weight", SP_KEY_NUMBER, .def = "3", .min = 0, .max = SP_KEY_ANY },
	{ "taxonomy *", "label", SP_KEY_STRING, .flags = 0 },
	{ "taxonomy *", "weight", SP_KEY_NUMBER, .def = "1", .min = 0, .max = SP_KEY_ANY },
	{ "taxonomy *", "codes", SP_KEY_STRING, .flags = ITEMS },
	{ "taxonomy *", "categories", SP_KEY_STRING, .flags = ITEMS },
	{ "taxonomy *", "keywords", SP_KEY_STRING, .flags = ITEMS },
	{ "taxonomy *", "negative", SP_KEY_STRING, .flags = ITEMS },
	{ "taxonomy *", "negatives", SP_KEY_STRING, .flags = ITEMS },
	{ "taxonomy *", "context", SP_KEY_STRING, .flags = ITEMS },
	{ 0 },
};

static void tax_defaults(const sp_taxonomy *t, const sp_config *cfg, sp_tax_defaults *d)
{
	d->code = sp_taxonomy_num(t, cfg, "score", sp_taxonomy_keys, "code_weight");
	d->category = sp_taxonomy_num(t, cfg, "score", sp_taxonomy_keys, "category_weight");
	d->keyword = sp_taxonomy_num(t, cfg, "score", sp_taxonomy_keys, "keyword_weight");
	d->negative = sp_taxonomy_num(t, cfg, "score", sp_taxonomy_keys, "negative_weight");
}

static void push_item(sp_tax_item **items, int *n, const char *text, size_t len, double w, int line, int code)
{
	while (len && isspace((unsigned char)*text))
		text++, len--;
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	if (!len)
		return;
	*items = sp_xrealloc(*items, sizeof(**items) * (size_t)(*n + 1));
	sp_tax_item *it = &(*items)[(*n)++];
	memset(it, 0, sizeof(*it));
	it->text = sp_xstrndup(text, len);
	it->weight = w;
	it->line = line;
	if (code) {
		sp_buf d = SP_BUF_INIT;
		sp_buf_add(&d, "", 0);
		for (size_t i = 0; i < len; i++)
			if (isdigit((unsigned char)text[i]))
				sp_buf_addc(&d, text[i]);
		it->digits = sp_buf_detach(&d);
	}
}

/* If word (w, n) ends in ":NUMBER", set *num, *wl (length before ':') and return 1. */
static int split_weight(const char *w, size_t n, double *num, size_t *wl)
{
	const char *colon = NULL;
	for (size_t i = n; i > 0; i--)
		if (w[i - 1] == ':') {
			colon = w + i - 1;
			break;
		}
	if (!colon || colon + 1 == w + n)
		return 0;
	char tmp[64];
	size_t k = (size_t)(w + n - colon - 1);
	if (k >= sizeof(tmp))
		return 0;
	memcpy(tmp, colon + 1, k);
	tmp[k] = '\0';
	char *end;
	double v = strtod(tmp, &end);
	if (*end || end == tmp)
		return -1;
	*num = v;
	*wl = (size_t)(colon - w);
	return 1;
}

int sp_taxonomy_parse_items(const char *value, int codes, double def_weight, int line, const char *where,
			    sp_tax_item **items, int *n, sp_err *err)
{
	const char *p = value;
	sp_buf phrase = SP_BUF_INIT;
	int rc = SP_OK;
	while (1) {
		/* next word: up to whitespace, ';' or ',' */
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == ';' || *p == ',') {
			if (phrase.len)
				push_item(items, n, phrase.buf, phrase.len, def_weight, line, codes);
			sp_buf_reset(&phrase);
			if (!*p)
				break;
			p++;
			continue;
		}
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ';' && *p != ',')
			p++;
		size_t wn = (size_t)(p - w), wl = wn;
		double wt = def_weight;
		int hw = split_weight(w, wn, &wt, &wl);
		if (hw < 0) {
			rc = sp_err_set(err, SP_ECONFIG, "%s: bad weight in '%.*s' (expected WORDS:NUMBER)", where, (int)wn, w);
			break;
		}
		if (codes) {
			push_item(items, n, w, wl, wt, line, 1);
			if (*n && !*(*items)[*n - 1].digits) {
				rc = sp_err_set(err, SP_ECONFIG, "%s: '%.*s' is not an activity code (NACE class or prefix like 29.10 or 45.2)",
						where, (int)wn, w);
				break;
			}
			continue;
		}
		if (phrase.len)
			sp_buf_addc(&phrase, ' ');
		sp_buf_add(&phrase, w, wl);
		if (hw > 0) {
			push_item(items, n, phrase.buf, phrase.len, wt, line, 0);
			sp_buf_reset(&phrase);
		}
	}
	sp_buf_release(&phrase);
	return rc;
}

static void items_free(sp_tax_item *it, int n)
{
	for (int i = 0; i < n; i++) {
		free(it[i].text);
		free(it[i].digits);
	}
	free(it);
}

void sp_taxonomy_free(sp_taxonomy *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ndomains; i++) {
		sp_tax_domain *d = &t->domains[i];
		free(d->name);
		free(d->label);
		items_free(d->codes, d->ncodes);
		items_free(d->categories, d->ncategories);
		items_free(d->keywords, d->nkeywords);
		items_free(d->negatives, d->nnegatives);
		items_free(d->context, d->ncontext);
	}
	free(t->domains);
	sp_config_free(t->base);
	free(t->base_name);
	free(t);
}

static sp_tax_domain *domain_named(sp_taxonomy *t, const char *name)
{
	for (int i = 0; i < t->ndomains; i++)
		if (!strcmp(t->domains[i].name, name))
			return &t->domains[i];
	t->domains = sp_xrealloc(t->domains, sizeof(*t->domains) * (size_t)(t->ndomains + 1));
	sp_tax_domain *d = &t->domains[t->ndomains++];
	memset(d, 0, sizeof(*d));
	d->name = sp_xstrdup(name);
	d->weight = 1;
	return d;
}

/* One key of a [taxonomy DOMAIN] section into d. */
static int domain_key(sp_tax_domain *d, const sp_config *from, const sp_kv *kv, const sp_tax_defaults *def,
		      sp_err *err)
{
	char where[512];
	snprintf(where, sizeof(where), "%s:%d: taxonomy %s", from->path, kv->line, d->name);
	if (!strcmp(kv->key, "label")) {
		free(d->label);
		d->label = sp_xstrdup(kv->value);
		return SP_OK;
	}
	if (!strcmp(kv->key, "weight")) {
		d->weight = sp_config_num(from, kv->section, sp_taxonomy_keys, "weight"); /* checked at load */
		return SP_OK;
	}
	if (!strcmp(kv->key, "codes"))
		return sp_taxonomy_parse_items(kv->value, 1, def->code, kv->line, where, &d->codes, &d->ncodes, err);
	if (!strcmp(kv->key, "categories"))
		return sp_taxonomy_parse_items(kv->value, 0, def->category, kv->line, where, &d->categories,
					       &d->ncategories, err);
	if (!strcmp(kv->key, "keywords"))
		return sp_taxonomy_parse_items(kv->value, 0, def->keyword, kv->line, where, &d->keywords, &d->nkeywords,
					       err);
	if (!strcmp(kv->key, "context"))
		return sp_taxonomy_parse_items(kv->value, 0, 0, kv->line, where, &d->context, &d->ncontext, err);
	if (!strcmp(kv->key, "negative") || !strcmp(kv->key, "negatives"))
		return sp_taxonomy_parse_items(kv->value, 0, def->negative, kv->line, where, &d->negatives,
					       &d->nnegatives, err);
	/* sp_taxonomy_keys; the config refused any other when it loaded */
	return sp_err_set(err, SP_ECONFIG, "%s: unknown key '%s'", where, kv->key);
}

/* The [taxonomy DOMAIN] sections of one config, merged into t (file order). */
static int load_domains(sp_taxonomy *t, const sp_config *from, const sp_tax_defaults *def, sp_err *err)
{
	int it = 0, rc = SP_OK;
	const char *sec;
	while (rc == SP_OK && (sec = sp_config_section_next(from, "taxonomy ", &it)) != NULL) {
		const char *name = sec + strlen("taxonomy ");
		while (*name == ' ')
			name++;
		sp_tax_domain *d = domain_named(t, name);
		int kit = 0, first_line = 0;
		const sp_kv *kv;
		while (rc == SP_OK && (kv = sp_config_kv_next(from, sec, &kit)) != NULL) {
			if (!first_line)
				first_line = kv->line;
			rc = domain_key(d, from, kv, def, err);
		}
		if (rc == SP_OK && !d->ncodes && !d->ncategories && !d->nkeywords)
			rc = sp_err_set(err, SP_ECONFIG, "%s:%d: taxonomy %s: no codes, categories or keywords", from->path,
					first_line ? first_line : sp_config_section_line(from, sec), d->name);
		if (!d->label)
			d->label = sp_xstrdup(d->name);
	}
	return rc;
}

static const char *no_name(size_t i)
{
	(void)i;
	return NULL;
}

extern const sp_config_key sp_score_keys[];   /* score.c */
extern const sp_config_key sp_startup_keys[]; /* startup.c */
static const sp_config_key *thesis_keys(size_t i)
{
	static const sp_config_key *const k[] = { sp_taxonomy_keys, sp_score_keys, sp_startup_keys };
	return i < SP_ARRAY_LEN(k) ? k[i] : NULL;
}
static const sp_config_key *no_source_keys(const char *format, size_t i)
{
	(void)format, (void)i;
	return NULL;
}
/* What a taxonomy file may hold: [taxonomy DOMAIN], [score] and [startup] sections (every key of
 * them is read through sp_taxonomy_num/int/each, so none is ignored). */
static const sp_config_vocab thesis_vocab = { no_name, no_name, thesis_keys, no_source_keys, NULL };

/* The base of the thesis named by [sparker] taxonomy, into t->base (NULL for none). */
static int load_base(sp_taxonomy *t, const sp_config *cfg, sp_err *err)
{
	const char *v = sp_config_str(cfg, "sparker", sp_taxonomy_keys, "taxonomy");
	if (!strcmp(v, "none")) {
		t->base_name = sp_xstrdup("none");
		return SP_OK;
	}
	if (!strcmp(v, "builtin")) {
		t->base_name = sp_xstrdup("built-in");
		return sp_config_load_text("built-in taxonomy (share/taxonomy.ini)", sp_taxonomy_builtin, &thesis_vocab,
					   &t->base, err);
	}
	char *path = sp_config_path(cfg, v);
	t->base_name = sp_xstrdup(path);
	int rc = sp_config_load(path, &thesis_vocab, &t->base, err);
	free(path);
	return rc;
}

int sp_taxonomy_load(const sp_config *cfg, sp_taxonomy **out, sp_err *err)
{
	*out = NULL;
	sp_taxonomy *t = sp_xcalloc(1, sizeof(*t));
	int rc = load_base(t, cfg, err);
	sp_tax_defaults def;
	tax_defaults(t, cfg, &def);
	if (rc == SP_OK && t->base)
		rc = load_domains(t, t->base, &def, err);
	if (rc == SP_OK)
		rc = load_domains(t, cfg, &def, err);
	if (rc == SP_OK && !t->ndomains)
		rc = sp_err_set(err, SP_ECONFIG, "%s: taxonomy = %s and no [taxonomy DOMAIN] section: scoring needs at least one",
				cfg->path, t->base_name);
	if (rc != SP_OK) {
		sp_taxonomy_free(t);
		return rc;
	}
	*out = t;
	return SP_OK;
}

/* The config that sets section.key: cfg when it does, else the base, else NULL (the default). */
static const sp_config *setter(const sp_taxonomy *t, const sp_config *cfg, const char *section, const char *key)
{
	if (cfg && sp_config_find(cfg, section, key))
		return cfg;
	if (t && t->base && sp_config_find(t->base, section, key))
		return t->base;
	return NULL;
}

double sp_taxonomy_num(const sp_taxonomy *t, const sp_config *cfg, const char *section, const sp_config_key *spec,
		       const char *key)
{
	return sp_config_num(setter(t, cfg, section, key), section, spec, key);
}

long sp_taxonomy_int(const sp_taxonomy *t, const sp_config *cfg, const char *section, const sp_config_key *spec,
		     const char *key)
{
	return sp_config_int(setter(t, cfg, section, key), section, spec, key);
}

int sp_taxonomy_each(const sp_taxonomy *t, const sp_config *cfg, const char *section, const char *key,
		     int (*fn)(void *user, const sp_config *from, const sp_kv *kv), void *user)
{
	const sp_config *from[2] = { t ? t->base : NULL, cfg };
	int rc = SP_OK;
	for (int i = 0; i < 2 && rc == SP_OK; i++) {
		if (!from[i])
			continue;
		int it = 0;
		const sp_kv *kv;
		while (rc == SP_OK && (kv = sp_config_kv_next(from[i], section, &it)) != NULL)
			if (!strcmp(kv->key, key))
				rc = fn(user, from[i], kv);
	}
	return rc;
}

int sp_taxonomy_code_match(const sp_tax_domain *d, const char *nace_class)
{
	char digits[16];
	size_t k = 0;
	for (const char *p = nace_class; *p && k + 1 < sizeof(digits); p++)
		if (isdigit((unsigned char)*p))
			digits[k++] = *p;
	digits[k] = '\0';
	if (!k)
		return -1;
	for (int i = 0; i < d->ncodes; i++) {
		size_t l = strlen(d->codes[i].digits);
		if (l && l <= k && !strncmp(digits, d->codes[i].digits, l))
			return i;
	}
	return -1;
}
