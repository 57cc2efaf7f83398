/*
 * config.c — INI loading with inih, then validation of the core sections. See config.h.
 */
#include "core/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>


/*
 * Debian's inih is built without INI_HANDLER_LINENO, so the handler gets no line number: we read
 * through ini_parse_stream() with our own line reader, which counts lines as inih asks for them.
 */
struct load_state {
	sp_config *cfg;
	FILE *f;
	int line;
};

static char *read_line(char *str, int num, void *stream)
{
	struct load_state *st = stream;
	char *r = fgets(str, num, st->f);
	if (r && strchr(r, '\n'))
		st->line++;
	else if (r && feof(st->f))
		st->line++;
	return r;
}

static int on_kv(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	int line = st->line;
	sp_config *cfg = st->cfg;
	cfg->kv = sp_xrealloc(cfg->kv, sizeof(*cfg->kv) * (size_t)(cfg->nkv + 1));
	sp_kv *kv = &cfg->kv[cfg->nkv++];
	kv->section = sp_xstrdup(section);
	kv->key = sp_xstrdup(name ? name : "");
	kv->value = sp_xstrdup(value ? value : "");
	kv->line = line;
	return 1;
}

const sp_kv *sp_config_find(const sp_config *cfg, const char *section, const char *key)
{
	/* last one wins, like most INI readers */
	for (int i = cfg->nkv - 1; i >= 0; i--)
		if (!strcmp(cfg->kv[i].section, section) && !strcmp(cfg->kv[i].key, key))
			return &cfg->kv[i];
	return NULL;
}

const char *sp_config_get(const sp_config *cfg, const char *section, const char *key, const char *def)
{
	const sp_kv *kv = sp_config_find(cfg, section, key);
	return kv ? kv->value : def;
}

long sp_config_get_long(const sp_config *cfg, const char *section, const char *key, long def)
{
	const char *v = sp_config_get(cfg, section, key, NULL);
	if (!v || !*v)
		return def;
	char *end;
	long r = strtol(v, &end, 10);
	return *end ? def : r;
}

int sp_config_get_bool(const sp_config *cfg, const char *section, const char *key, int def)
{
	const char *v = sp_config_get(cfg, section, key, NULL);
	if (!v)
		return def;
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		return 0;
	return def;
}

double sp_config_get_double(const sp_config *cfg, const char *section, const char *key, double def)
{
	const char *v = sp_config_get(cfg, section, key, NULL);
	if (!v || !*v)
		return def;
	char *end;
	double r = strtod(v, &end);
	return *end ? def : r;
}

const char *sp_config_section_next(const sp_config *cfg, const char *prefix, int *it)
{
	size_t pl = strlen(prefix);
	for (int i = *it; i < cfg->nkv; i++) {
		const char *s = cfg->kv[i].section;
		if (strncmp(s, prefix, pl))
			continue;
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = !strcmp(cfg->kv[j].section, s);
		if (seen)
			continue;
		*it = i + 1;
		return s;
	}
	*it = cfg->nkv;
	return NULL;
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

static int section_line(const sp_config *cfg, const char *section)
{
	for (int i = 0; i < cfg->nkv; i++)
		if (!strcmp(cfg->kv[i].section, section))
			return cfg->kv[i].line;
	return 0;
}

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

static int load_source(sp_config *cfg, const sp_config_vocab *vocab, const char *section, sp_err *err)
{
	const char *name = section + strlen("source ");
	int line = section_line(cfg, section);
	if (!valid_name(name) || !strcmp(name, ".") || !strcmp(name, ".."))
		return sp_err_set(err, SP_ECONFIG, "%s:%d: source name '%s' may use only letters, digits, '_', '-', '.'",
				  cfg->path, line, name);
	if (sp_config_source(cfg, name))
		return sp_err_set(err, SP_ECONFIG, "%s:%d: source '%s' is defined twice", cfg->path, line, name);
	const char *format = sp_config_get(cfg, section, "format", NULL);
	const char *url = sp_config_get(cfg, section, "url", NULL);
	const char *mode = sp_config_get(cfg, section, "mode", "snapshot");
	if (!format || !in_names(format, vocab->format)) {
		sp_buf names = SP_BUF_INIT;
		list_names(&names, vocab->format, ", ");
		if (!format)
			sp_err_set(err, SP_ECONFIG, "%s:%d: [%s] has no 'format' (one of %s)", cfg->path, line, section, names.buf);
		else
			sp_err_set(err, SP_ECONFIG, "%s:%d: unknown format '%s' (one of %s)", cfg->path,
				   sp_config_find(cfg, section, "format")->line, format, names.buf);
		sp_buf_release(&names);
		return SP_ECONFIG;
	}
	if (!url || !*url)
		return sp_err_set(err, SP_ECONFIG, "%s:%d: [%s] has no 'url'", cfg->path, line, section);
	if (strcmp(mode, "snapshot") && strcmp(mode, "append")) {
		const sp_kv *kv = sp_config_find(cfg, section, "mode");
		return sp_err_set(err, SP_ECONFIG, "%s:%d: mode must be 'snapshot' or 'append', not '%s'",
				  cfg->path, kv->line, mode);
	}
	cfg->sources = sp_xrealloc(cfg->sources, sizeof(*cfg->sources) * (size_t)(cfg->nsources + 1));
	sp_source *s = &cfg->sources[cfg->nsources++];
	s->name = sp_xstrdup(name);
	s->format = sp_xstrdup(format);
	s->url = sp_xstrdup(url);
	s->mode = strcmp(mode, "append") ? SP_MODE_SNAPSHOT : SP_MODE_APPEND;
	s->priority = (int)sp_config_get_long(cfg, section, "priority", 0);
	s->line = line;
	s->section = sp_xstrdup(section);
	return SP_OK;
}

static int load_job(sp_config *cfg, const sp_config_vocab *vocab, const char *section, sp_err *err)
{
	const char *name = section + strlen("job ");
	const sp_kv *kv = sp_config_find(cfg, section, "stages");
	int line = section_line(cfg, section);
	if (!kv)
		return sp_err_set(err, SP_ECONFIG, "%s:%d: [%s] has no 'stages'", cfg->path, line, section);
	cfg->jobs = sp_xrealloc(cfg->jobs, sizeof(*cfg->jobs) * (size_t)(cfg->njobs + 1));
	sp_job *j = &cfg->jobs[cfg->njobs++];
	memset(j, 0, sizeof(*j));
	j->name = sp_xstrdup(name);
	size_t nstages = count_names(vocab->stage);
	j->stages = sp_xcalloc(nstages + 1, sizeof(char *));
	char *copy = sp_xstrdup(kv->value), *save = NULL;
	for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		if (!in_names(tok, vocab->stage)) {
			sp_buf names = SP_BUF_INIT;
			list_names(&names, vocab->stage, " ");
			sp_err_set(err, SP_ECONFIG, "%s:%d: unknown stage '%s' (stages: %s)", cfg->path, kv->line, tok, names.buf);
			sp_buf_release(&names);
			free(copy);
			return SP_ECONFIG;
		}
		if ((size_t)j->nstages >= nstages) {
			free(copy);
			return sp_err_set(err, SP_ECONFIG, "%s:%d: a stage is listed twice", cfg->path, kv->line);
		}
		j->stages[j->nstages++] = sp_xstrdup(tok);
	}
	free(copy);
	return SP_OK;
}

static int load_core(sp_config *cfg, const sp_config_vocab *vocab, sp_err *err)
{
	const char *db = sp_config_get(cfg, "sparker", "database", "sparker.db");
	cfg->database = sp_config_path(cfg, db);
	cfg->raw_dir = sp_config_path(cfg, sp_config_get(cfg, "sparker", "raw_dir", "raw"));
	cfg->report_dir = sp_config_path(cfg, sp_config_get(cfg, "sparker", "report_dir", "reports"));
	const char *lf = sp_config_get(cfg, "sparker", "log_file", NULL);
	cfg->log_file = lf && *lf ? sp_config_path(cfg, lf) : NULL;
	cfg->programme = sp_xstrdup(sp_config_get(cfg, "sparker", "programme", "Open innovation programme"));
	int it = 0;
	const char *sec;
	while ((sec = sp_config_section_next(cfg, "source ", &it)))
		if (load_source(cfg, vocab, sec, err) != SP_OK)
			return SP_ECONFIG;
	it = 0;
	while ((sec = sp_config_section_next(cfg, "job ", &it)))
		if (load_job(cfg, vocab, sec, err) != SP_OK)
			return SP_ECONFIG;
	return SP_OK;
}

int sp_config_load(const char *path, const sp_config_vocab *vocab, sp_config **out, sp_err *err)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return sp_err_set(err, SP_ECONFIG, "%s: cannot open configuration file", path);
	sp_config *cfg = sp_xcalloc(1, sizeof(*cfg));
	cfg->path = sp_xstrdup(path);
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
	struct load_state st = { cfg, f, 0 };
	int rc = ini_parse_stream(read_line, &st, on_kv, &st);
	fclose(f);
	if (rc != 0) {
		if (rc > 0)
			sp_err_set(err, SP_ECONFIG, "%s:%d: syntax error (expected [section], key = value, or ; comment)", path, rc);
		else
			sp_err_set(err, SP_ECONFIG, "%s: cannot read configuration file", path);
		sp_config_free(cfg);
		return SP_ECONFIG;
	}
	sp_err hash_err;
	if (sp_sha256_file(path, cfg->sha256, &hash_err) != SP_OK)
		cfg->sha256[0] = '\0';
	if (load_core(cfg, vocab, err) != SP_OK) {
		sp_config_free(cfg);
		return SP_ECONFIG;
	}
	*out = cfg;
	return SP_OK;
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
