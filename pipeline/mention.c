/*
 * mention.c — attach news items to the startups they name (the rule and its guard: mention.h).
 *
 * Invariants: mention is written only here, and only as a whole (DELETE then INSERT in one
 * transaction); news_item and the entities are only read. Memory: the live entities' names,
 * domains and category words, plus one news item at a time.
 */
#include "pipeline/mention.h"
#include "pipeline/match.h"
#include "core/stop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

const sp_config_key sp_mention_keys[] = {
	{ "mention", "dictionary", SP_KEY_STRING, .def = "/usr/share/dict/words" },
	{ 0 },
};

/* ---- the common-word guard ---- */

/* Common words that are also startup names, for when no dictionary file is installed. */
static const char *const builtin_words[] = {
	"apple", "bird", "lime", "via", "go", "linear", "threads", "cruise", "wag", "bolt", "lift", "gig",
	"ring", "nest", "square", "stripe", "slack", "box", "zoom", "match", "spot", "drive", "park",
	"charge", "plug", "spin", "jump", "ride", "move", "shift", "path", "loop", "wave", "volt",
	"amp", "car", "cars", "auto", "taxi", "fleet", "parts", "tire", "tyre", "wash", "fuel", "green",
	"blue", "next", "now", "one", "first", "open", "smart", "mobile", "share", "hive", "bee", "fox",
	"wolf", "bear", "lion", "tiger", "eagle", "falcon", "orange", "lemon", "mint", "pear", "plum",
	"sun", "moon", "star", "sky", "cloud", "rain", "snow", "stone", "rock", "river", "ocean", "forest",
	"robin", "hood", "x", "samples", "follow", "roundup", "better", "place",
};

struct sp_mention_dict {
	char **w;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

sp_mention_dict *sp_mention_dict_load(const char *path)
{
	sp_mention_dict *d = sp_xcalloc(1, sizeof(*d));
	FILE *f = path && *path ? fopen(path, "r") : NULL;
	size_t cap = 0;
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		line[n] = '\0';
		/* ASCII words, lower-case or capitalised (places and first names: "Paris", "Tesla"), no "'s" */
		int ok = n > 0;
		if (ok && line[0] >= 'A' && line[0] <= 'Z')
			line[0] = (char)(line[0] - 'A' + 'a');
		for (size_t i = 0; i < n && ok; i++)
			ok = line[i] >= 'a' && line[i] <= 'z';
		if (!ok)
			continue;
		if (d->n == cap) {
			cap = cap ? 2 * cap : 4096;
			d->w = sp_xrealloc(d->w, cap * sizeof(*d->w));
		}
		d->w[d->n++] = sp_xstrdup(line);
	}
	if (f)
		fclose(f);
	if (d->n > 1)
		qsort(d->w, d->n, sizeof(*d->w), cmp_str);
	size_t k = 0; /* "Tesla" and "tesla": once */
	for (size_t i = 0; i < d->n; i++) {
		if (k && !strcmp(d->w[k - 1], d->w[i]))
			free(d->w[i]);
		else
			d->w[k++] = d->w[i];
	}
	d->n = k;
	return d;
}

void sp_mention_dict_free(sp_mention_dict *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->w[i]);
	free(d->w);
	free(d);
}

int sp_mention_word_guarded(const sp_mention_dict *d, const char *folded)
{
	size_t letters = 0;
	for (const char *p = folded; *p; p++)
		letters += ((unsigned char)*p & 0xC0) != 0x80;
	if (letters <= 3)
		return 1;
	for (size_t i = 0; i < SP_ARRAY_LEN(builtin_words); i++)
		if (!strcmp(builtin_words[i], folded))
			return 1;
	return d && d->n && bsearch(&folded, d->w, d->n, sizeof(*d->w), cmp_str) != NULL;
}

/* ---- capitalised occurrence ---- */

static int word_cat(utf8proc_int32_t c)
{
	utf8proc_category_t k = utf8proc_category(c);
	return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_MC) || (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO) ||
	       k == UTF8PROC_CATEGORY_ME;
}

/* The next word of s from *i: its byte range [*a, *b) and its first code point; 0 at the end. */
static int next_word(const char *s, size_t n, size_t *i, size_t *a, size_t *b, utf8proc_int32_t *first)
{
	utf8proc_int32_t c;
	while (*i < n) { /* skip separators */
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + *i, (utf8proc_ssize_t)(n - *i), &c);
		if (k <= 0) {
			(*i)++;
			continue;
		}
		if (word_cat(c))
			break;
		*i += (size_t)k;
	}
	if (*i >= n)
		return 0;
	*a = *i;
	*first = -1;
	while (*i < n) {
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + *i, (utf8proc_ssize_t)(n - *i), &c);
		if (k <= 0 || !word_cat(c))
			break;
		if (*first < 0)
			*first = c;
		*i += (size_t)k;
	}
	*b = *i;
	return 1;
}

int sp_mention_capitalised(const char *text, const char *folded)
{
	size_t n = strlen(text), words = 1;
	for (const char *p = folded; *p; p++)
		words += *p == ' ';
	size_t i = 0, a, b;
	utf8proc_int32_t first;
	while (next_word(text, n, &i, &a, &b, &first)) {
		utf8proc_category_t k = utf8proc_category(first);
		if (k != UTF8PROC_CATEGORY_LU && k != UTF8PROC_CATEGORY_LT && k != UTF8PROC_CATEGORY_ND)
			continue;
		size_t j = b, end = b, a2, b2;
		utf8proc_int32_t f2;
		for (size_t w = 1; w < words && next_word(text, n, &j, &a2, &b2, &f2); w++)
			end = b2;
		char *span = sp_xstrndup(text + a, end - a);
		char *f = sp_match_fold(span);
		int hit = !strcmp(f, folded);
		free(span);
		free(f);
		if (hit)
			return 1;
		i = b;
	}
	return 0;
}

/* ---- the live entities' names and context ---- */

typedef struct m_name {
	int64_t entity, record;
	char *display, *folded;
	int ent;       /* index into ents */
	int multiword;
	int guarded;   /* needs context: a dictionary word, three letters or fewer, or shared by entities */
} m_name;

typedef struct m_ent {
	int64_t id;
	char *domain;  /* registrable domain, or NULL */
	char *cats;    /* folded category words of its records, ' '-separated, with a space on each side */
} m_ent;

typedef struct m_set {
	m_name *names;
	size_t nnames, capnames;
	m_ent *ents;
	size_t nents, capents;
	sp_matcher *m;
} m_set;

static void set_free(m_set *s)
{
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i].display), free(s->names[i].folded);
	for (size_t i = 0; i < s->nents; i++)
		free(s->ents[i].domain), free(s->ents[i].cats);
	free(s->names);
	free(s->ents);
	sp_matcher_free(s->m);
}

/* Add the category words of raw (';'-separated) to e->cats: folded, four letters or more. */
static void add_cats(m_ent *e, const char *raw)
{
	char *f = sp_match_fold(raw);
	sp_buf b = SP_BUF_INIT;
	sp_buf_adds(&b, e->cats ? e->cats : " ");
	for (char *w = strtok(f, " "); w; w = strtok(NULL, " ")) {
		char pad[128];
		if (strlen(w) < 4 || strlen(w) > 100)
			continue;
		snprintf(pad, sizeof(pad), " %s ", w);
		if (!strstr(b.buf, pad))
			sp_buf_addf(&b, "%s ", w);
	}
	free(f);
	free(e->cats);
	e->cats = sp_buf_detach(&b);
}

static void add_name(m_set *s, const sp_mention_dict *d, int64_t entity, int64_t record, const char *display)
{
	char *f = sp_match_fold(display);
	if (strlen(f) < 2) {
		free(f);
		return;
	}
	for (size_t i = s->nnames; i-- > 0 && s->names[i].entity == entity;)
		if (!strcmp(s->names[i].folded, f)) { /* a name of this startup already */
			free(f);
			return;
		}
	if (s->nnames == s->capnames) {
		s->capnames = s->capnames ? 2 * s->capnames : 256;
		s->names = sp_xrealloc(s->names, s->capnames * sizeof(*s->names));
	}
	m_name *n = &s->names[s->nnames];
	n->entity = entity, n->record = record, n->ent = (int)s->nents - 1;
	n->display = sp_xstrdup(display), n->folded = f;
	n->multiword = strchr(f, ' ') != NULL;
	n->guarded = !n->multiword && sp_mention_word_guarded(d, f);
	if (sp_matcher_add(s->m, display, (int)s->nnames) == SP_OK)
		s->nnames++;
	else
		free(n->display), free(n->folded);
}

static int by_folded(const void *a, const void *b)
{
	return strcmp((*(m_name *const *)a)->folded, (*(m_name *const *)b)->folded);
}

/* A name two live entities share is guarded too: only context tells them apart. */
static void guard_shared(m_set *s)
{
	m_name **v = sp_xmalloc((s->nnames + 1) * sizeof(*v));
	for (size_t i = 0; i < s->nnames; i++)
		v[i] = &s->names[i];
	qsort(v, s->nnames, sizeof(*v), by_folded);
	for (size_t i = 0; i + 1 < s->nnames; i++)
		if (!strcmp(v[i]->folded, v[i + 1]->folded) && v[i]->entity != v[i + 1]->entity)
			v[i]->guarded = v[i + 1]->guarded = 1;
	free(v);
}

static int load_names(sp_store *db, const sp_mention_dict *d, m_set *s, sp_err *err)
{
	sp_stmt *q;
	if (sp_store_prepare(db,
			     "SELECT m.entity_id, m.record_id, c.name, c.domain, r.categories FROM member m"
			     " JOIN entity e ON e.id = m.entity_id AND e.merged_into IS NULL"
			     " JOIN candidate c ON c.record_id = m.record_id JOIN record r ON r.id = m.record_id"
			     " ORDER BY m.entity_id, m.record_id", &q, err) != SP_OK)
		return SP_EDB;
	s->m = sp_matcher_new();
	int rc;
	while ((rc = sp_step(q)) == SP_ROW) {
		int64_t eid = sp_col_int64(q, 0);
		if (!s->nents || s->ents[s->nents - 1].id != eid) {
			if (s->nents == s->capents) {
				s->capents = s->capents ? 2 * s->capents : 256;
				s->ents = sp_xrealloc(s->ents, s->capents * sizeof(*s->ents));
			}
			s->ents[s->nents++] = (m_ent){ .id = eid };
		}
		m_ent *e = &s->ents[s->nents - 1];
		const char *dom = sp_col_text(q, 3), *cats = sp_col_text(q, 4);
		if (!e->domain && dom && *dom)
			e->domain = sp_xstrdup(dom);
		if (cats && *cats)
			add_cats(e, cats);
		const char *name = sp_col_text(q, 2);
		if (name && *name)
			add_name(s, d, eid, sp_col_int64(q, 1), name);
	}
	sp_finalize(q);
	if (rc != SP_DONE)
		return sp_store_error(db, err, "mention: read entities");
	guard_shared(s);
	return SP_OK;
}

/* ---- attaching ---- */

typedef struct m_item {
	const char *text;     /* title and summary, raw */
	const char *folded;   /* the same, folded, with the item's categories */
	const char *url;
	int *hits;
	size_t nhits, caphits;
} m_item;

static void on_hit(void *user, int id, size_t pos, size_t len)
{
	m_item *it = user;
	for (size_t i = 0; i < it->nhits; i++)
		if (it->hits[i] == id)
			return;
	if (it->nhits == it->caphits) {
		it->caphits = it->caphits ? 2 * it->caphits : 16;
		it->hits = sp_xrealloc(it->hits, it->caphits * sizeof(*it->hits));
	}
	it->hits[it->nhits++] = id;
}

/* What besides the name says the item is about this startup: NULL when nothing does. */
static const char *context(const m_set *s, const m_name *n, const m_item *it)
{
	const m_ent *e = &s->ents[n->ent];
	if (e->domain && (sp_match_text(it->text, e->domain) || (it->url && strstr(it->url, e->domain))))
		return "name+domain";
	for (size_t i = 0; i < it->nhits; i++) {
		const m_name *o = &s->names[it->hits[i]];
		if (o != n && o->entity == n->entity && o->multiword && sp_mention_capitalised(it->text, o->folded))
			return "name+other name";
	}
	if (e->cats) { /* " w1 w2 " against the folded item */
		const char *w = e->cats + 1;
		while (*w) {
			const char *sp = strchr(w, ' ');
			size_t wl = (size_t)(sp - w);
			char word[128];
			snprintf(word, sizeof(word), "%.*s", (int)wl, w);
			if (strcmp(word, n->folded) && sp_match_text(it->folded, word))
				return "name+category";
			w = sp + 1;
		}
	}
	return NULL;
}

/* The hits of one item -> mention rows (one per startup: the first of its names that holds). */
static int attach_item(sp_store *db, sp_stmt *ins, const m_set *s, m_item *it, int64_t item_id, int64_t *attached,
		       sp_err *err)
{
	int64_t done[64];
	size_t ndone = 0;
	for (size_t h = 0; h < it->nhits; h++) {
		const m_name *n = &s->names[it->hits[h]];
		int seen = 0;
		for (size_t k = 0; k < ndone && !seen; k++)
			seen = done[k] == n->entity;
		if (seen || !sp_mention_capitalised(it->text, n->folded))
			continue;
		const char *rule = n->guarded ? context(s, n, it) : "name";
		if (!rule)
			continue;
		sp_bind_int64(ins, 1, item_id);
		sp_bind_int64(ins, 2, n->record);
		sp_bind_static(ins, 3, n->display, -1);
		sp_bind_static(ins, 4, rule, -1);
		if (sp_store_step_done(db, ins, err) != SP_OK)
			return SP_EDB;
		(*attached)++;
		if (ndone < SP_ARRAY_LEN(done))
			done[ndone++] = n->entity;
	}
	return SP_OK;
}

static int attach_all(sp_store *db, const m_set *s, int64_t run_id, int64_t *items, int64_t *attached, sp_err *err)
{
	sp_stmt *q = NULL, *ins = NULL;
	if (sp_store_prepare(db, "SELECT id, COALESCE(title, ''), COALESCE(snippet, ''), COALESCE(categories, ''), url"
			     " FROM news_item ORDER BY id", &q, err) != SP_OK ||
	    sp_store_prepare(db, "INSERT OR IGNORE INTO mention(item_id, record_id, name, rule, run_id)"
			     " VALUES (?1, ?2, ?3, ?4, ?5)", &ins, err) != SP_OK) {
		sp_finalize(q);
		return SP_EDB;
	}
	sp_bind_int64(ins, 5, run_id);
	m_item it = { 0 };
	sp_buf text = SP_BUF_INIT, all = SP_BUF_INIT;
	int rc = SP_OK, step;
	while (rc == SP_OK && (step = sp_step(q)) == SP_ROW) {
		if (sp_stop_requested()) {
			rc = sp_stop_err(err);
			break;
		}
		(*items)++;
		sp_buf_reset(&text);
		sp_buf_addf(&text, "%s\n%s", sp_col_text(q, 1), sp_col_text(q, 2));
		sp_buf_reset(&all);
		sp_buf_addf(&all, "%s\n%s", text.buf, sp_col_text(q, 3));
		char *folded = sp_match_fold(text.buf), *folded_all = sp_match_fold(all.buf);
		it.text = text.buf, it.folded = folded_all, it.url = sp_col_text(q, 4);
		it.nhits = 0;
		sp_matcher_scan(s->m, folded, on_hit, &it);
		rc = attach_item(db, ins, s, &it, sp_col_int64(q, 0), attached, err);
		free(folded);
		free(folded_all);
	}
	if (rc == SP_OK && step != SP_DONE)
		rc = sp_store_error(db, err, "mention: read news items");
	free(it.hits);
	sp_buf_release(&text);
	sp_buf_release(&all);
	sp_finalize(q);
	sp_finalize(ins);
	return rc;
}

int sp_mention_attach(sp_store *db, const sp_config *cfg, int64_t run_id, int64_t *items, int64_t *attached,
		      sp_err *err)
{
	*items = *attached = 0;
	int64_t any = 0;
	int rc = sp_store_begin(db, err);
	if (rc == SP_OK)
		rc = sp_store_exec(db, "DELETE FROM mention", err);
	if (rc == SP_OK)
		rc = sp_store_int(db, "SELECT EXISTS(SELECT 1 FROM news_item)", &any, err);
	if (rc == SP_OK && any) {
		sp_mention_dict *d = sp_mention_dict_load(cfg ? sp_config_str(cfg, "mention", sp_mention_keys, "dictionary") : NULL);
		m_set s = { 0 };
		rc = load_names(db, d, &s, err);
		if (rc == SP_OK)
			rc = attach_all(db, &s, run_id, items, attached, err);
		set_free(&s);
		sp_mention_dict_free(d);
	}
	if (rc == SP_OK)
		rc = sp_store_commit(db, err);
	if (rc != SP_OK)
		sp_store_rollback(db);
	return rc;
}

int sp_mention_count(sp_store *db, int64_t entity_id, int year, long *n, sp_err *err)
{
	sp_stmt *q;
	*n = 0;
	if (sp_store_prepare(db, "SELECT count(DISTINCT item_id) FROM entity_mention WHERE entity_id = ?1"
			     " AND (?2 = 0 OR year = ?2)", &q, err) != SP_OK)
		return SP_EDB;
	sp_bind_int64(q, 1, entity_id);
	sp_bind_int(q, 2, year);
	int rc = sp_step(q);
	if (rc == SP_ROW)
		*n = (long)sp_col_int64(q, 0);
	sp_finalize(q);
	return rc == SP_ROW ? SP_OK : sp_store_error(db, err, "mention: count");
}
