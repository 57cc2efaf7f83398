/*
 * config_check.c — checking a config's sections and keys against the key specs (config.h).
 *
 * What it does: for every section header, that its kind is one some spec names (else "unknown
 * section", with the closest kind), that it is named when its kind is ("[source NAME]") and not
 * otherwise, and that it appears once; for every key, that a spec of its section's kind (for a
 * [source], of its format) defines it (else "unknown key", with the closest name valid there, or
 * the formats it belongs to), that it is set once (unless SP_KEY_REPEAT), that an indented
 * continuation line continues a key that accumulates, that its value has the spec's type, range and
 * choices and passes the spec's check; and that every SP_KEY_REQUIRED key is set.
 *
 * Invariants: it reads cfg and the specs only; every problem goes to the sp_config_problems the
 * caller passes, as "FILE:LINE: what", in file order; it never stops at the first.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_int.h"
#include "core/date.h"

/* ---- kinds and specs ----------------------------------------------------------------------- */

void sp_config_kind(const char *section, char *kind, size_t n, int *named)
{
	while (*section == ' ')
		section++;
	size_t k = strcspn(section, " ");
	snprintf(kind, n, "%.*s", (int)k, section);
	const char *rest = section + k;
	while (*rest == ' ')
		rest++;
	*named = *rest != '\0';
}

int sp_config_spec_kind_is(const sp_config_key *k, const char *kind, int named)
{
	size_t n = strlen(kind);
	if (strncmp(k->section, kind, n))
		return 0;
	return named ? !strcmp(k->section + n, " *") : k->section[n] == '\0';
}

/* Is suffix one of names(0), names(1)...? (any suffix when names is NULL) */
static int suffix_ok(const sp_config_key *k, const char *suffix)
{
	if (!*suffix)
		return 0;
	if (!k->names)
		return 1;
	const char *n;
	for (size_t i = 0; (n = k->names(i)); i++)
		if (!strcmp(n, suffix))
			return 1;
	return 0;
}

/* Does the spec entry k name key (exactly, or as a member of its family)? */
static int spec_names(const sp_config_key *k, const char *key)
{
	size_t n = strlen(k->name);
	if (n >= 2 && !strcmp(k->name + n - 2, ".*"))
		return !strncmp(key, k->name, n - 1) && suffix_ok(k, key + n - 1);
	return !strcmp(k->name, key);
}

const sp_config_key *sp_config_spec_find(const sp_config_key *arr, const char *kind, int named, const char *key)
{
	for (const sp_config_key *k = arr; k && k->name; k++)
		if ((!kind || sp_config_spec_kind_is(k, kind, named)) && spec_names(k, key))
			return k;
	return NULL;
}

/* The specs that apply to one section: pointers into the owners' arrays. */
typedef struct spec_set {
	const sp_config_key **v;
	size_t n, cap;
} spec_set;

static void set_add(spec_set *s, const sp_config_key *arr, const char *kind, int named)
{
	for (const sp_config_key *k = arr; k && k->name; k++) {
		if (!sp_config_spec_kind_is(k, kind, named))
			continue;
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 32;
			s->v = sp_xrealloc(s->v, s->cap * sizeof(*s->v));
		}
		s->v[s->n++] = k;
	}
}

/* The specs of a section of this kind (and format, for a [source]). */
static void set_fill(spec_set *s, const sp_config_vocab *vocab, const char *kind, int named, const char *format)
{
	s->n = 0;
	set_add(s, sp_config_core_keys, kind, named);
	const sp_config_key *arr;
	for (size_t i = 0; vocab->keys && (arr = vocab->keys(i)); i++)
		set_add(s, arr, kind, named);
	if (!format)
		return;
	set_add(s, sp_date_keys, kind, named);
	for (size_t i = 0; vocab->source_keys && (arr = vocab->source_keys(format, i)); i++)
		set_add(s, arr, kind, named);
}

static const sp_config_key *set_find(const spec_set *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (spec_names(s->v[i], key))
			return s->v[i];
	return NULL;
}

/* ---- did you mean -------------------------------------------------------------------------- */

int sp_config_distance(const char *a, const char *b, int max)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return max + 1;
	if ((la > lb ? la - lb : lb - la) > (size_t)max)
		return max + 1;
	int d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1; /* two neighbours swapped */
			d[i][j] = v;
		}
	}
	return d[la][lb] > max ? max + 1 : d[la][lb];
}

const char *sp_config_closest(const char *word, const char *const *names, size_t n)
{
	size_t len = strlen(word);
	int max = len <= 4 ? 1 : len <= 8 ? 2 : 3, best = max + 1;
	const char *found = NULL;
	for (size_t i = 0; i < n; i++) {
		int d = sp_config_distance(word, names[i], max);
		if (d < best)
			best = d, found = names[i];
	}
	return found;
}

/* The names valid in a section, families spelled out ("map.name", "map.key", ...). */
typedef struct name_list {
	char **v;
	size_t n;
} name_list;

static void names_add(name_list *l, const char *s, size_t len)
{
	l->v = sp_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = sp_xstrndup(s, len);
}

static void names_of(const spec_set *s, name_list *l)
{
	for (size_t i = 0; i < s->n; i++) {
		const sp_config_key *k = s->v[i];
		size_t n = strlen(k->name);
		if (n < 2 || strcmp(k->name + n - 2, ".*") || !k->names) {
			names_add(l, k->name, n);
			continue;
		}
		const char *suffix;
		for (size_t j = 0; (suffix = k->names(j)); j++) {
			sp_buf b = SP_BUF_INIT;
			sp_buf_addf(&b, "%.*s%s", (int)(n - 1), k->name, suffix);
			names_add(l, b.buf, b.len);
			sp_buf_release(&b);
		}
	}
}

static void names_free(name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* " (did you mean 'X'?)" when a name valid here is close to word; "" otherwise. */
static void did_you_mean(const spec_set *s, const char *word, char *out, size_t n)
{
	name_list l = { 0 };
	names_of(s, &l);
	const char *c = sp_config_closest(word, (const char *const *)l.v, l.n);
	if (c)
		snprintf(out, n, " (did you mean '%s'?)", c);
	else
		*out = '\0';
	names_free(&l);
}

/* ---- values -------------------------------------------------------------------------------- */

static void range_text(const sp_config_key *k, char *out, size_t n)
{
	const char *fmt = k->type == SP_KEY_INT ? "%.0f" : "%g";
	char lo[32], hi[32];
	snprintf(lo, sizeof(lo), fmt, k->min);
	snprintf(hi, sizeof(hi), fmt, k->max);
	if (k->min == 0 && k->max == 0)
		*out = '\0';
	else if (k->max >= SP_KEY_ANY)
		snprintf(out, n, " >= %s", lo);
	else if (k->min <= -SP_KEY_ANY)
		snprintf(out, n, " <= %s", hi);
	else
		snprintf(out, n, " from %s to %s", lo, hi);
}

static int in_range(const sp_config_key *k, double v)
{
	return (k->min == 0 && k->max == 0) || (v >= k->min && v <= k->max);
}

static void check_enum(const sp_config *cfg, const char *section, const sp_config_key *k, const sp_kv *kv,
		       sp_config_problems *p)
{
	if (sp_config_choice_index(k->choices, kv->value) >= 0)
		return;
	name_list l = { 0 };
	sp_buf list = SP_BUF_INIT;
	for (const char *c = k->choices; c && *c;) {
		size_t n = strcspn(c, "|");
		names_add(&l, c, n);
		sp_buf_addf(&list, "%s%.*s", list.len ? ", " : "", (int)n, c);
		c += n + (c[n] == '|');
	}
	const char *close = sp_config_closest(kv->value, (const char *const *)l.v, l.n);
	char hint[128] = "";
	if (close)
		snprintf(hint, sizeof(hint), " (did you mean '%s'?)", close);
	sp_config_problem_at(p, cfg, kv->line, "[%s] %s must be one of %s, not '%s'%s", section, kv->key, sp_buf_str(&list),
			     kv->value, hint);
	sp_buf_release(&list);
	names_free(&l);
}

/* The value of kv has the type, range and choices of k, and passes k's check. */
static void check_value(const sp_config *cfg, const char *section, const sp_config_key *k, const sp_kv *kv,
			sp_config_problems *p)
{
	const char *v = kv->value;
	char range[96];
	range_text(k, range, sizeof(range));
	long l;
	double d;
	int b;
	if (!*v)
		return; /* empty: the default */
	switch (k->type) {
	case SP_KEY_INT:
		if (sp_config_parse_long(v, &l) != SP_OK || !in_range(k, (double)l)) {
			sp_config_problem_at(p, cfg, kv->line, "[%s] %s must be a whole number%s, not '%s'", section, kv->key,
					     range, v);
			return;
		}
		break;
	case SP_KEY_NUMBER:
		if (sp_config_parse_double(v, &d) != SP_OK || !in_range(k, d)) {
			sp_config_problem_at(p, cfg, kv->line, "[%s] %s must be a number%s, not '%s'", section, kv->key, range, v);
			return;
		}
		break;
	case SP_KEY_BOOL:
		if (sp_config_parse_bool(v, &b) != SP_OK) {
			sp_config_problem_at(p, cfg, kv->line, "[%s] %s must be yes or no (or true/false, on/off, 1/0), not '%s'",
					     section, kv->key, v);
			return;
		}
		break;
	case SP_KEY_ENUM:
		check_enum(cfg, section, k, kv, p);
		return;
	default:
		break;
	}
	sp_err err;
	if (k->check && k->check(v, &err) != SP_OK)
		sp_config_problem_at(p, cfg, kv->line, "[%s] %s: %s", section, kv->key, err.msg);
}

/* ---- sections ------------------------------------------------------------------------------ */

/* The kinds of section the specs name ("sparker", "source *", ...), each once. */
static void kinds_of(const sp_config_vocab *vocab, name_list *l)
{
	const sp_config_key *arr;
	for (size_t i = 0; (arr = i == 0 ? sp_config_core_keys : vocab->keys ? vocab->keys(i - 1) : NULL); i++) {
		for (const sp_config_key *k = arr; k->name; k++) {
			size_t j = 0;
			while (j < l->n && strcmp(l->v[j], k->section))
				j++;
			if (j == l->n)
				names_add(l, k->section, strlen(k->section));
		}
	}
}

/* Is the kind of this section one the specs name, named when it should be? Reports it when not. */
static int check_header(const sp_config *cfg, const sp_config_section *s, const name_list *kinds, sp_config_problems *p)
{
	char kind[64];
	int named, forms = 0; /* 1: the kind exists unnamed, 2: named */
	sp_config_kind(s->name, kind, sizeof(kind), &named);
	for (size_t i = 0; i < kinds->n; i++) {
		size_t n = strcspn(kinds->v[i], " ");
		if (strlen(kind) == n && !strncmp(kinds->v[i], kind, n))
			forms |= kinds->v[i][n] ? 2 : 1;
	}
	if (forms & (named ? 2 : 1))
		return 1;
	if (forms) {
		if (named)
			sp_config_problem_at(p, cfg, s->line, "[%s] takes no name: write [%s]", s->name, kind);
		else
			sp_config_problem_at(p, cfg, s->line, "[%s] needs a name: [%s NAME]", s->name, kind);
		return 0;
	}
	name_list bare = { 0 };
	for (size_t i = 0; i < kinds->n; i++)
		names_add(&bare, kinds->v[i], strcspn(kinds->v[i], " "));
	const char *close = sp_config_closest(kind, (const char *const *)bare.v, bare.n);
	const char *rest = s->name + strspn(s->name, " ") + strlen(kind);
	if (close)
		sp_config_problem_at(p, cfg, s->line, "unknown section [%s] (did you mean [%s%s]?)", s->name, close, rest);
	else
		sp_config_problem_at(p, cfg, s->line, "unknown section [%s]", s->name);
	names_free(&bare);
	return 0;
}

/* Is section i's header also elsewhere? before: an earlier one (reported here), else a later one. */
static int header_twice(const sp_config *cfg, int i, int before, sp_config_problems *p)
{
	const sp_config_section *s = &cfg->sections[i];
	for (int j = before ? 0 : i + 1; j < (before ? i : cfg->nsections); j++) {
		if (strcmp(cfg->sections[j].name, s->name))
			continue;
		if (before)
			sp_config_problem_at(p, cfg, s->line, "[%s] appears twice (first at line %d): merge the two", s->name,
					     cfg->sections[j].line);
		return 1;
	}
	return 0;
}

/* ---- keys ---------------------------------------------------------------------------------- */

/* The formats other than this one that have key: "json" or "csv, json"; "" when none. */
static void other_formats(const sp_config *cfg, const char *format, const char *key, sp_buf *out)
{
	const sp_config_vocab *vocab = cfg->vocab;
	const char *f;
	for (size_t i = 0; vocab->format && (f = vocab->format(i)); i++) {
		if (!strcmp(f, format))
			continue;
		spec_set s = { 0 };
		set_fill(&s, vocab, "source", 1, f);
		if (set_find(&s, key))
			sp_buf_addf(out, "%s%s", out->len ? ", " : "", f);
		free(s.v);
	}
}

static void unknown_key(const sp_config *cfg, const sp_kv *kv, const spec_set *s, const char *format,
			sp_config_problems *p)
{
	sp_buf others = SP_BUF_INIT;
	if (format)
		other_formats(cfg, format, kv->key, &others);
	if (others.len) {
		sp_config_problem_at(p, cfg, kv->line, "'%s' is not a key of format %s (only of %s)", kv->key, format,
				     others.buf);
	} else {
		char hint[160];
		did_you_mean(s, kv->key, hint, sizeof(hint));
		sp_config_problem_at(p, cfg, kv->line, "unknown key '%s' in [%s]%s", kv->key, kv->section, hint);
	}
	sp_buf_release(&others);
}

/* The first entry of the same key in the same section before kv (continuations skipped). */
static const sp_kv *earlier(const sp_config *cfg, const sp_kv *kv)
{
	for (const sp_kv *e = cfg->kv; e < kv; e++)
		if (!e->cont && !strcmp(e->section, kv->section) && !strcmp(e->key, kv->key))
			return e;
	return NULL;
}

static void check_key(const sp_config *cfg, const sp_kv *kv, const spec_set *s, const char *format, int twice,
		      sp_config_problems *p)
{
	const sp_config_key *k = set_find(s, kv->key);
	if (!k) {
		if (!kv->cont)
			unknown_key(cfg, kv, s, format, p);
		return;
	}
	if (kv->cont && !(k->flags & SP_KEY_REPEAT)) {
		sp_config_problem_at(p, cfg, kv->line,
				     "indented line continues '%s', which takes one value: remove the indent or join the lines",
				     kv->key);
		return;
	}
	const sp_kv *e = kv->cont || twice ? NULL : earlier(cfg, kv);
	if (e && !(k->flags & SP_KEY_REPEAT)) {
		sp_config_problem_at(p, cfg, kv->line, "'%s' is set twice in [%s] (first at line %d)", kv->key, kv->section,
				     e->line);
		return;
	}
	check_value(cfg, kv->section, k, kv, p);
}

/* The keys of one section (every entry of it, wherever its headers are). */
static void check_section(const sp_config *cfg, const sp_config_section *sec, int twice, sp_config_problems *p)
{
	char kind[64];
	int named;
	sp_config_kind(sec->name, kind, sizeof(kind), &named);
	const char *format = NULL;
	if (!strcmp(kind, "source") && named) {
		format = sp_config_get(cfg, sec->name, "format", NULL);
		const char *f;
		int known = 0;
		for (size_t i = 0; format && cfg->vocab->format && (f = cfg->vocab->format(i)); i++)
			known |= !strcmp(f, format);
		if (!known)
			return; /* load_source says so: without a format, which keys are valid is unknown */
	}
	spec_set s = { 0 };
	set_fill(&s, cfg->vocab, kind, named, format);
	for (int i = 0; i < cfg->nkv; i++)
		if (!strcmp(cfg->kv[i].section, sec->name))
			check_key(cfg, &cfg->kv[i], &s, format, twice, p);
	for (size_t i = 0; i < s.n; i++)
		if ((s.v[i]->flags & SP_KEY_REQUIRED) && !twice && !sp_config_find(cfg, sec->name, s.v[i]->name))
			sp_config_problem_at(p, cfg, sec->line, "[%s] has no '%s'", sec->name, s.v[i]->name);
	free(s.v);
}

void sp_config_check_keys(const sp_config *cfg, sp_config_problems *p)
{
	name_list kinds = { 0 };
	kinds_of(cfg->vocab, &kinds);
	for (int i = 0; i < cfg->nkv; i++) /* keys before any section header */
		if (!*cfg->kv[i].section && !cfg->kv[i].cont)
			sp_config_problem_at(p, cfg, cfg->kv[i].line, "'%s' is outside any section: put it under [sparker] or "
					     "the section it belongs to", cfg->kv[i].key);
	for (int i = 0; i < cfg->nsections; i++) {
		const sp_config_section *s = &cfg->sections[i];
		if (header_twice(cfg, i, 1, p))
			continue; /* its keys are checked with its first header */
		if (check_header(cfg, s, &kinds, p))
			check_section(cfg, s, header_twice(cfg, i, 0, p), p);
	}
	names_free(&kinds);
}
