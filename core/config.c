/*
 * config.c — reading the INI file with inih (keys, section headers, continuation lines), the
 * core's own keys and sections ([sparker], [source NAME], [job NAME]), the getters, loading and
 * freeing. config_check.c checks sections and keys against the specs. See config.h.
 */
#include "core/config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "core/config_int.h"
#include "core/store.h"

/*
 * The core's keys. format is one of the vocabulary's formats and stages names its stages: both are
 * checked by load_source and load_job, which know the vocabulary. schedule is read and checked by
 * cli/cmd_schedule.c (the vocabulary comes from the pipeline, which cannot see cli/).
 */
const sp_config_key sp_config_core_keys[] = {
	{ "sparker", "database", SP_KEY_PATH, .def = "sparker.db", .flags = SP_KEY_CREATE },
	{ "sparker", "raw_dir", SP_KEY_PATH, .def = "raw", .flags = SP_KEY_CREATE | SP_KEY_DIR },
	{ "sparker", "report_dir", SP_KEY_PATH, .def = "reports", .flags = SP_KEY_CREATE | SP_KEY_DIR },
	{ "sparker", "log_file", SP_KEY_PATH, .flags = SP_KEY_CREATE },
	{ "sparker", "programme", SP_KEY_STRING, .def = "Open innovation programme" },
	{ "source *", "format", SP_KEY_STRING, .flags = 0 },
	{ "source *", "url", SP_KEY_STRING, .flags = SP_KEY_REQUIRED },
	{ "source *", "mode", SP_KEY_ENUM, .def = "snapshot", .choices = "snapshot|append|delta" },
	{ "source *", "priority", SP_KEY_INT, .def = "0", .min = -1000000, .max = 1000000 },
	{ "job *", "stages", SP_KEY_LIST, .flags = SP_KEY_REQUIRED },
	{ "job *", "schedule", SP_KEY_STRING, .flags = 0 },
	{ 0 },
};

/* ---- reading the file ---------------------------------------------------------------------- */

/*
 * Debian's inih is built without INI_HANDLER_LINENO, so the handler gets no line number: we read
 * through ini_parse_stream() with our own line reader, which counts lines as inih asks for them,
 * and sorts each line as inih will (comment, continuation, section header, key), so that section
 * headers (even of empty sections) and continuation lines are known.
 */
struct load_state {
	sp_config *cfg;
	FILE *f;
	int line;
	int cont;     /* the line being parsed continues the previous key (indented) */
	int after_key; /* inih's prev_name is set: an indented line continues it */
	int long_line; /* first line longer than inih's buffer, 0 if none */
};

/* inih's find_chars_or_comment: the first of chars, or an inline ';' after white space. */
static const char *find_or_comment(const char *s, const char *chars)
{
	int was_space = 0;
	while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static void add_section(sp_config *cfg, const char *name, size_t n, int line)
{
	cfg->sections = sp_xrealloc(cfg->sections, sizeof(*cfg->sections) * (size_t)(cfg->nsections + 1));
	sp_config_section *s = &cfg->sections[cfg->nsections++];
	s->name = sp_xstrndup(name, n);
	s->line = line;
}

static void classify(struct load_state *st, const char *raw)
{
	const char *line = raw;
	if (st->line == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	const char *start = line;
	while (isspace((unsigned char)*start))
		start++;
	st->cont = 0;
	if (!*start || *start == ';' || *start == '#')
		return;
	if (st->after_key && start > line) {
		st->cont = 1;
		return;
	}
	if (*start == '[') {
		const char *end = find_or_comment(start + 1, "]");
		if (*end == ']') {
			add_section(st->cfg, start + 1, (size_t)(end - start - 1), st->line);
			st->after_key = 0;
		}
		return;
	}
	const char *eq = find_or_comment(start, "=:");
	if (*eq == '=' || *eq == ':')
		st->after_key = 1;
}

static char *read_line(char *str, int num, void *stream)
{
	struct load_state *st = stream;
	char *r = fgets(str, num, st->f);
	if (!r)
		return r;
	int whole = strchr(r, '\n') || feof(st->f);
	if (!whole && !st->long_line)
		st->long_line = st->line + 1;
	if (whole)
		st->line++;
	classify(st, r);
	return r;
}

static int on_kv(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	sp_config *cfg = st->cfg;
	cfg->kv = sp_xrealloc(cfg->kv, sizeof(*cfg->kv) * (size_t)(cfg->nkv + 1));
	sp_kv *kv = &cfg->kv[cfg->nkv++];
	kv->section = sp_xstrdup(section);
	kv->key = sp_xstrdup(name ? name : "");
	kv->value = sp_xstrdup(value ? value : "");
	kv->line = st->line;
	kv->cont = st->cont;
	return 1;
}

/* ---- problems ------------------------------------------------------------------------------ */

static void problem_add(sp_config_problems *p, const char *msg)
{
	if (!p->n++)
		snprintf(p->first, sizeof(p->first), "%s", msg);
	sp_buf_addf(&p->text, "%s\n", msg);
}

void sp_config_problem(sp_config_problems *p, const char *fmt, ...)
{
	char msg[SP_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	problem_add(p, msg);
}

void sp_config_problem_at(sp_config_problems *p, const sp_config *cfg, int line, const char *fmt, ...)
{
	char msg[SP_ERR_MAX];
	int k = line > 0 ? snprintf(msg, sizeof(msg), "%s:%d: ", cfg->path, line) : snprintf(msg, sizeof(msg), "%s: ", cfg->path);
	va_list ap;
	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < sizeof(msg))
		vsnprintf(msg + k, sizeof(msg) - (size_t)k, fmt, ap);
	va_end(ap);
	problem_add(p, msg);
}

/* ---- accessors ----------------------------------------------------------------------------- */

const sp_kv *sp_config_find(const sp_config *cfg, const char *section, const char *key)
{
	if (!cfg || !section)
		return NULL;
	/* the last one: a key is set once (checked), its continuation lines follow it */
	for (int i = cfg->nkv - 1; i >= 0; i--)
		if (!cfg->kv[i].cont && !strcmp(cfg->kv[i].section, section) && !strcmp(cfg->kv[i].key, key))
			return &cfg->kv[i];
	return NULL;
}

const char *sp_config_get(const sp_config *cfg, const char *section, const char *key, const char *def)
{
	const sp_kv *kv = sp_config_find(cfg, section, key);
	return kv ? kv->value : def;
}

/* ---- typed getters ------------------------------------------------------------------------- */

int sp_config_parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < SP_ARRAY_LEN(yes); i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = 1, SP_OK;
		if (!strcasecmp(v, no[i]))
			return *out = 0, SP_OK;
	}
	return SP_ECONFIG;
}

int sp_config_parse_long(const char *v, long *out)
{
	char *end;
	errno = 0;
	long r = strtol(v, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || end == v || *end)
		return SP_ECONFIG;
	*out = r;
	return SP_OK;
}

int sp_config_parse_double(const char *v, double *out)
{
	char *end;
	errno = 0;
	double r = strtod(v, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || end == v || *end || !isfinite(r))
		return SP_ECONFIG;
	*out = r;
	return SP_OK;
}

int sp_config_choice_index(const char *choices, const char *v)
{
	int i = 0;
	for (const char *p = choices; p && *p; i++) {
		size_t n = strcspn(p, "|");
		if (n == strlen(v) && !strncasecmp(p, v, n))
			return i;
		p += n;
		if (*p == '|')
			p++;
	}
	return -1;
}

/* The spec of key for section, and its value (the default when unset or empty). */
static const sp_config_key *typed(const sp_config *cfg, const char *section, const sp_config_key *spec,
				  const char *key, const char **value)
{
	char kind[64] = "";
	int named = 0;
	if (section)
		sp_config_kind(section, kind, sizeof(kind), &named);
	const sp_config_key *k = sp_config_spec_find(spec, section ? kind : NULL, named, key);
	assert(k && "a key read through a spec that does not define it");
	const sp_kv *kv = sp_config_find(cfg, section, key);
	*value = kv && *kv->value ? kv->value : k ? k->def : NULL;
	return k;
}

const char *sp_config_str(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key)
{
	const char *v;
	typed(cfg, section, spec, key, &v);
	return v;
}

long sp_config_int(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key)
{
	const char *v;
	const sp_config_key *k = typed(cfg, section, spec, key, &v);
	long r = 0;
	if (!v || sp_config_parse_long(v, &r) != SP_OK) /* unchecked only while a check hook runs */
		if (!k || !k->def || sp_config_parse_long(k->def, &r) != SP_OK)
			r = 0;
	return r;
}

double sp_config_num(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key)
{
	const char *v;
	const sp_config_key *k = typed(cfg, section, spec, key, &v);
	double r = 0;
	if (!v || sp_config_parse_double(v, &r) != SP_OK)
		if (!k || !k->def || sp_config_parse_double(k->def, &r) != SP_OK)
			r = 0;
	return r;
}

int sp_config_bool(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key)
{
	const char *v;
	const sp_config_key *k = typed(cfg, section, spec, key, &v);
	int r = 0;
	if (!v || sp_config_parse_bool(v, &r) != SP_OK)
		if (!k || !k->def || sp_config_parse_bool(k->def, &r) != SP_OK)
			r = 0;
	return r;
}

int sp_config_choice(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key)
{
	const char *v;
	const sp_config_key *k = typed(cfg, section, spec, key, &v);
	int r = v && k ? sp_config_choice_index(k->choices, v) : -1;
	if (r < 0 && k && k->def)
		r = sp_config_choice_index(k->choices, k->def);
	return r;
}

const char *sp_config_section_next(const sp_config *cfg, const char *prefix, int *it)
{
	size_t pl = strlen(prefix);
	for (int i = *it; i < cfg->nsections; i++) {
		const char *s = cfg->sections[i].name;
		if (strncmp(s, prefix, pl))
			continue;
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = !strcmp(cfg->sections[j].name, s);
		if (seen)
			continue;
		*it = i + 1;
		return s;
	}
	*it = cfg->nsections;
	return NULL;
}

int sp_config_section_line(const sp_config *cfg, const char *section)
{
	for (int i = 0; cfg && i < cfg->nsections; i++)
		if (!strcmp(cfg->sections[i].name, section))
			return cfg->sections[i].line;
	return 0;
}

const sp_kv *sp_config_kv_next(const sp_config *cfg, const char *section, int *it)
{
	for (int i = *it; i < cfg->nkv; i++) {
		if (!strcmp(cfg->kv[i].section, section)) {
			*it = i + 1;
			return &cfg->kv[i];
		}
	}
	*it = cfg->nkv;
	return NULL;
}

const sp_source *sp_config_source(const sp_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nsources; i++)
		if (!strcmp(cfg->sources[i].name, name))
			return &cfg->sources[i];
	return NULL;
}

const sp_job *sp_config_job(const sp_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->njobs; i++)
		if (!strcmp(cfg->jobs[i].name, name))
			return &cfg->jobs[i];
	return NULL;
}

char *sp_config_path(const sp_config *cfg, const char *p)
{
	if (!p)
		return NULL;
	if (p[0] == '/' || !cfg->dir || !*cfg->dir)
		return sp_xstrdup(p);
	sp_buf b = SP_BUF_INIT;
	sp_buf_addf(&b, "%s/%s", cfg->dir, p);
	return sp_buf_detach(&b);
}

/* ---- the core's sections ------------------------------------------------------------------- */

/* Is v one of the names at(0), at(1), ... ? */
static int in_names(const char *v, const char *(*at)(size_t))
{
	const char *n;
	for (size_t i = 0; (n = at(i)); i++)
		if (!strcmp(v, n))
			return 1;
	return 0;
}

static size_t count_names(const char *(*at)(size_t))
{
	size_t i = 0;
	while (at(i))
		i++;
	return i;
}

/* "a, b, c" (sep ", ") from the names at(0), at(1), ..., into a buffer the caller releases. */
static void list_names(sp_buf *b, const char *(*at)(size_t), const char *sep)
{
	const char *n;
	for (size_t i = 0; (n = at(i)); i++)
		sp_buf_addf(b, "%s%s", i ? sep : "", n);
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

static void load_source(sp_config *cfg, const sp_config_vocab *vocab, const char *section, sp_config_problems *p)
{
	const char *name = section + strlen("source ");
	int line = sp_config_section_line(cfg, section);
	if (!valid_name(name) || !strcmp(name, ".") || !strcmp(name, "..")) {
		sp_config_problem_at(p, cfg, line, "source name '%s' may use only letters, digits, '_', '-', '.'", name);
		return;
	}
	const sp_kv *fkv = sp_config_find(cfg, section, "format");
	const char *format = fkv ? fkv->value : NULL;
	const char *url = sp_config_str(cfg, section, sp_config_core_keys, "url");
	if (!format || !in_names(format, vocab->format)) {
		sp_buf names = SP_BUF_INIT;
		list_names(&names, vocab->format, ", ");
		if (!format)
			sp_config_problem_at(p, cfg, line, "[%s] has no 'format' (one of %s)", section, names.buf);
		else
			sp_config_problem_at(p, cfg, fkv->line, "unknown format '%s' (one of %s)", format, names.buf);
		sp_buf_release(&names);
		return;
	}
	if (!url || !*url || sp_config_source(cfg, name))
		return; /* reported by the key check */
	cfg->sources = sp_xrealloc(cfg->sources, sizeof(*cfg->sources) * (size_t)(cfg->nsources + 1));
	sp_source *s = &cfg->sources[cfg->nsources++];
	s->name = sp_xstrdup(name);
	s->format = sp_xstrdup(format);
	s->url = sp_xstrdup(url);
	s->mode = (sp_source_mode)sp_config_choice(cfg, section, sp_config_core_keys, "mode"); /* in choices order */
	s->priority = (int)sp_config_int(cfg, section, sp_config_core_keys, "priority");
	s->line = line;
	s->section = sp_xstrdup(section);
}

static void load_job(sp_config *cfg, const sp_config_vocab *vocab, const char *section, sp_config_problems *p)
{
	const char *name = section + strlen("job ");
	const sp_kv *kv = sp_config_find(cfg, section, "stages");
	if (!kv || sp_config_job(cfg, name))
		return; /* reported by the key check */
	size_t nstages = count_names(vocab->stage);
	char **stages = sp_xcalloc(nstages + 1, sizeof(char *));
	int n = 0, bad = 0;
	char *copy = sp_xstrdup(kv->value), *save = NULL;
	for (char *tok = strtok_r(copy, " \t,;", &save); tok && !bad; tok = strtok_r(NULL, " \t,;", &save)) {
		bad = 1;
		if (!in_names(tok, vocab->stage)) {
			sp_buf names = SP_BUF_INIT;
			list_names(&names, vocab->stage, " ");
			sp_config_problem_at(p, cfg, kv->line, "unknown stage '%s' (stages: %s)", tok, names.buf);
			sp_buf_release(&names);
		} else if ((size_t)n >= nstages) {
			sp_config_problem_at(p, cfg, kv->line, "a stage is listed twice");
		} else {
			for (int k = 0; k < n && bad; k++)
				if (!strcmp(stages[k], tok))
					sp_config_problem_at(p, cfg, kv->line, "stage '%s' is listed twice", tok), bad = 2;
			if (bad == 1)
				bad = 0, stages[n++] = sp_xstrdup(tok);
		}
	}
	free(copy);
	if (!bad && !n)
		sp_config_problem_at(p, cfg, kv->line, "[%s] stages lists no stage", section), bad = 1;
	if (bad) {
		for (int k = 0; k < n; k++)
			free(stages[k]);
		free(stages);
		return;
	}
	cfg->jobs = sp_xrealloc(cfg->jobs, sizeof(*cfg->jobs) * (size_t)(cfg->njobs + 1));
	sp_job *j = &cfg->jobs[cfg->njobs++];
	j->name = sp_xstrdup(name);
	j->stages = stages;
	j->nstages = n;
}

/* [sparker] database: a PostgreSQL URL or conninfo string is kept as it is (never resolved as a
 * path), and refused at its line when it carries a password (libpq reads it from PGPASSWORD or
 * ~/.pgpass; the password itself is never repeated); "sqlite:PATH" and a plain path are the
 * SQLite file, relative to the config's directory. sp_store_is_server() is the one test. */
static void load_database(sp_config *cfg, const sp_config_key *k, sp_config_problems *p)
{
	const char *v = sp_config_str(cfg, "sparker", k, "database");
	const sp_kv *kv = sp_config_find(cfg, "sparker", "database");
	if (v && sp_store_is_server(v)) {
		if (sp_store_has_password(v))
			sp_config_problem_at(p, cfg, kv ? kv->line : 0,
					     "[sparker] database: a password in the config is refused (give it in PGPASSWORD or ~/.pgpass)");
		cfg->database = sp_xstrdup(v);
		return;
	}
	if (v && !strncmp(v, "sqlite:", 7))
		v += 7;
	cfg->database = sp_config_path(cfg, v);
}

static void load_core(sp_config *cfg, const sp_config_vocab *vocab, sp_config_problems *p)
{
	const sp_config_key *k = sp_config_core_keys;
	load_database(cfg, k, p);
	cfg->raw_dir = sp_config_path(cfg, sp_config_str(cfg, "sparker", k, "raw_dir"));
	cfg->report_dir = sp_config_path(cfg, sp_config_str(cfg, "sparker", k, "report_dir"));
	cfg->log_file = sp_config_path(cfg, sp_config_str(cfg, "sparker", k, "log_file"));
	cfg->programme = sp_xstrdup(sp_config_str(cfg, "sparker", k, "programme"));
	int it = 0;
	const char *sec;
	while ((sec = sp_config_section_next(cfg, "source ", &it)))
		load_source(cfg, vocab, sec, p);
	it = 0;
	while ((sec = sp_config_section_next(cfg, "job ", &it)))
		load_job(cfg, vocab, sec, p);
}

/* ---- loading ------------------------------------------------------------------------------- */

static sp_config *config_new(const char *path, const sp_config_vocab *vocab)
{
	sp_config *cfg = sp_xcalloc(1, sizeof(*cfg));
	cfg->path = sp_xstrdup(path);
	cfg->vocab = vocab;
	const char *slash = strrchr(path, '/');
	cfg->dir = slash ? sp_xstrndup(path, (size_t)(slash - path)) : sp_xstrdup(".");
	if (slash == path) {
		free(cfg->dir);
		cfg->dir = sp_xstrdup("/");
	}
	/* relative paths resolve against the config's real directory, so messages, logs and cron
	 * mail name absolute paths ("/srv/sparker/build/demo/reports", not "demo/../build/...") */
	char *real = realpath(cfg->dir, NULL);
	if (real) {
		free(cfg->dir);
		cfg->dir = real;
	}
	return cfg;
}

/* Read the file (or text, when not NULL) into cfg->kv and cfg->sections; a problem when it cannot
 * be read or parsed. */
static int config_read(sp_config *cfg, const char *text, sp_config_problems *p)
{
	struct stat sb;
	if (!text && stat(cfg->path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		sp_config_problem(p, "%s: is a directory, expected an INI file", cfg->path);
		return SP_ECONFIG;
	}
	FILE *f = text ? fmemopen((void *)text, strlen(text), "r") : fopen(cfg->path, "r");
	if (!f) {
		sp_config_problem(p, "%s: cannot open configuration file: %s", cfg->path, strerror(errno));
		return SP_ECONFIG;
	}
	struct load_state st = { .cfg = cfg, .f = f };
	int rc = ini_parse_stream(read_line, &st, on_kv, &st);
	int read_error = ferror(f);
	fclose(f);
	if (rc > 0)
		sp_config_problem_at(p, cfg, rc, "syntax error (expected [section], key = value, or ; comment)");
	else if (rc != 0 || read_error)
		sp_config_problem(p, "%s: cannot read configuration file", cfg->path);
	else if (st.long_line)
		sp_config_problem_at(p, cfg, st.long_line,
				     "line longer than %d characters: continue the value on an indented line", INI_MAX_LINE - 1);
	if (p->n)
		return SP_ECONFIG;
	sp_err hash_err;
	if (text || sp_sha256_file(cfg->path, cfg->sha256, &hash_err) != SP_OK)
		cfg->sha256[0] = '\0';
	return SP_OK;
}

static int load_all(const char *path, const char *text, const sp_config_vocab *vocab, sp_config **out,
		    sp_config_problems *problems, sp_err *err)
{
	*out = NULL;
	sp_config *cfg = config_new(path, vocab);
	if (config_read(cfg, text, problems) == SP_OK) {
		sp_config_check_keys(cfg, problems);
		load_core(cfg, vocab, problems);
		if (vocab->check)
			vocab->check(cfg, problems);
	}
	if (problems->n) {
		sp_config_free(cfg);
		return sp_err_set(err, SP_ECONFIG, "%s", problems->first);
	}
	*out = cfg;
	return SP_OK;
}

int sp_config_load_all(const char *path, const sp_config_vocab *vocab, sp_config **out, sp_config_problems *problems,
		       sp_err *err)
{
	return load_all(path, NULL, vocab, out, problems, err);
}

int sp_config_load(const char *path, const sp_config_vocab *vocab, sp_config **out, sp_err *err)
{
	sp_config_problems p = { .n = 0 };
	int rc = load_all(path, NULL, vocab, out, &p, err);
	sp_buf_release(&p.text);
	return rc;
}

int sp_config_load_text(const char *name, const char *text, const sp_config_vocab *vocab, sp_config **out, sp_err *err)
{
	sp_config_problems p = { .n = 0 };
	int rc = load_all(name, text, vocab, out, &p, err);
	sp_buf_release(&p.text);
	return rc;
}

/* ---- paths (`sparker check`) --------------------------------------------------------------- */

/* A path sparker creates: when it exists, of the right kind and writable; else its nearest
 * existing parent is a writable directory. NULL when fine, else what is wrong (static text). */
static const char *creatable(const char *path, int dir, char *where, size_t n)
{
	struct stat sb;
	snprintf(where, n, "%s", path);
	if (stat(path, &sb) == 0) {
		if (dir && !S_ISDIR(sb.st_mode))
			return "is not a directory";
		if (!dir && S_ISDIR(sb.st_mode))
			return "is a directory";
		return access(path, dir ? W_OK | X_OK : W_OK) == 0 ? NULL : "is not writable";
	}
	char *up = sp_xstrdup(path);
	const char *why = NULL;
	for (;;) {
		char *slash = strrchr(up, '/');
		if (!slash)
			snprintf(up, strlen(up) + 1, ".");
		else if (slash == up)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(up, &sb) == 0) {
			snprintf(where, n, "%s", up);
			why = !S_ISDIR(sb.st_mode) ? "is not a directory" : access(up, W_OK | X_OK) ? "is not writable" : NULL;
			break;
		}
		if (!strcmp(up, "/") || !strcmp(up, "."))
			break;
	}
	free(up);
	return why;
}

static void check_path(const sp_config *cfg, const char *section, const sp_config_key *k, const char *value, int line,
		       sp_config_problems *p)
{
	char *path = sp_config_path(cfg, value);
	char where[4096];
	const char *why = NULL;
	if (k->flags & SP_KEY_READ) {
		if (access(path, R_OK) != 0)
			sp_config_problem_at(p, cfg, line, "[%s] %s = %s: cannot read %s: %s", section, k->name, value, path,
					     strerror(errno));
	} else if ((k->flags & SP_KEY_CREATE) && (why = creatable(path, (k->flags & SP_KEY_DIR) != 0, where, sizeof(where)))) {
		if (!strcmp(where, path))
			sp_config_problem_at(p, cfg, line, "[%s] %s: %s %s", section, k->name, path, why);
		else
			sp_config_problem_at(p, cfg, line, "[%s] %s: cannot create %s: %s %s", section, k->name, path, where, why);
	}
	free(path);
}

int sp_config_check_paths(const sp_config *cfg, sp_config_problems *p)
{
	int before = p->n;
	const sp_config_key *k;
	for (k = sp_config_core_keys; k->name; k++) { /* [sparker]: set or defaulted */
		if (k->type != SP_KEY_PATH || strcmp(k->section, "sparker"))
			continue;
		const sp_kv *kv = sp_config_find(cfg, "sparker", k->name);
		const char *v = kv && *kv->value ? kv->value : k->def;
		if (v && !strcmp(k->name, "database") && sp_store_is_server(v))
			continue; /* a PostgreSQL server, not a file */
		if (v && !strcmp(k->name, "database") && !strncmp(v, "sqlite:", 7))
			v += 7;
		if (v)
			check_path(cfg, "sparker", k, v, kv ? kv->line : 0, p);
	}
	for (int i = 0; i < cfg->nsources; i++) { /* sources: the path keys they set */
		const sp_source *s = &cfg->sources[i];
		for (size_t a = 0; cfg->vocab && cfg->vocab->source_keys; a++) {
			const sp_config_key *arr = cfg->vocab->source_keys(s->format, a);
			if (!arr)
				break;
			for (k = arr; k->name; k++) {
				const sp_kv *kv = k->type == SP_KEY_PATH ? sp_config_find(cfg, s->section, k->name) : NULL;
				if (kv && *kv->value)
					check_path(cfg, s->section, k, kv->value, kv->line, p);
			}
		}
	}
	return p->n - before;
}

void sp_config_free(sp_config *cfg)
{
	if (!cfg)
		return;
	for (int i = 0; i < cfg->nkv; i++) {
		free(cfg->kv[i].section);
		free(cfg->kv[i].key);
		free(cfg->kv[i].value);
	}
	free(cfg->kv);
	for (int i = 0; i < cfg->nsections; i++)
		free(cfg->sections[i].name);
	free(cfg->sections);
	for (int i = 0; i < cfg->nsources; i++) {
		free(cfg->sources[i].name);
		free(cfg->sources[i].format);
		free(cfg->sources[i].url);
		free(cfg->sources[i].section);
	}
	free(cfg->sources);
	for (int i = 0; i < cfg->njobs; i++) {
		for (int k = 0; k < cfg->jobs[i].nstages; k++)
			free(cfg->jobs[i].stages[k]);
		free(cfg->jobs[i].stages);
		free(cfg->jobs[i].name);
	}
	free(cfg->jobs);
	free(cfg->path);
	free(cfg->dir);
	free(cfg->database);
	free(cfg->raw_dir);
	free(cfg->report_dir);
	free(cfg->log_file);
	free(cfg->programme);
	free(cfg);
}
