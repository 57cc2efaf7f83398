/*
 * config.h — the INI configuration (parsed with inih).
 *
 * What it does: reads one INI file into (a) a generic list of every section/key/value with its
 * line number, so any module can read keys of its own without this module knowing them, and
 * (b) typed views of the sections the core needs: [sparker], [source NAME], [job NAME].
 * [taxonomy DOMAIN] and other sections are read by their owners through sp_config_get() and
 * sp_config_section_next().
 *
 * Invariants: paths in [sparker] are resolved relative to the config file's directory.
 * Source names are unique and match [A-Za-z0-9_.-]+ (they become directory names in the raw store).
 * A config that loads is valid for the core: every source has a known format and mode.
 *
 * Ownership: sp_config owns every string in it; sp_config_free() releases all. Pointers returned by
 * accessors live as long as the config.
 *
 * Failure: sp_config_load() returns SP_ECONFIG with "FILE:LINE: what is wrong" in err.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

#include "core/common.h"

typedef struct sp_kv {
	char *section; /* full section name, e.g. "source feed1", "taxonomy electrification" */
	char *key;
	char *value;
	int line;
} sp_kv;

typedef enum { SP_MODE_SNAPSHOT = 0, SP_MODE_APPEND = 1 } sp_source_mode;

typedef struct sp_source {
	char *name;      /* after "source " */
	char *format;    /* companies_house, sirene, gleif, feed, csv, json */
	char *url;       /* http(s)://, file:// or a path (relative to the config dir) */
	sp_source_mode mode;
	int priority;    /* golden-record source priority: higher wins; default 0 */
	int line;        /* line of the section header, for messages */
	char *section;   /* "source NAME": pass to sp_config_get() for format-specific keys */
} sp_source;

typedef struct sp_job {
	char *name;
	char **stages; /* NULL-terminated */
	int nstages;
} sp_job;

typedef struct sp_config {
	char *path;      /* the file as given */
	char *dir;       /* its directory, for relative paths */
	char sha256[65]; /* hash of the file's bytes (lineage) */
	/* [sparker] */
	char *database;
	char *raw_dir;
	char *report_dir;
	char *log_file;  /* optional */
	char *programme; /* programme name for the report cover */
	/* everything */
	sp_kv *kv;
	int nkv;
	sp_source *sources;
	int nsources;
	sp_job *jobs;
	int njobs;
} sp_config;

/*
 * The names a config is checked against, owned by the layers that define them: the formats of
 * the connector registry and the stages of the stage table. pipeline/run.h gives the program's
 * (sp_run_vocab); each function returns the i-th name, NULL past the last.
 */
typedef struct sp_config_vocab {
	const char *(*format)(size_t i);
	const char *(*stage)(size_t i);
} sp_config_vocab;

int sp_config_load(const char *path, const sp_config_vocab *vocab, sp_config **out, sp_err *err);
void sp_config_free(sp_config *cfg);

/* Value of key in section, or def when absent. */
const char *sp_config_get(const sp_config *cfg, const char *section, const char *key, const char *def);
/* Like sp_config_get, with the line it came from (0 when absent). */
const sp_kv *sp_config_find(const sp_config *cfg, const char *section, const char *key);
long sp_config_get_long(const sp_config *cfg, const char *section, const char *key, long def);
/* yes/true/on/1 -> 1, no/false/off/0 -> 0 (any case); absent, empty or anything else -> def. */
int sp_config_get_bool(const sp_config *cfg, const char *section, const char *key, int def);
double sp_config_get_double(const sp_config *cfg, const char *section, const char *key, double def);

/*
 * Iterate sections whose name starts with prefix ("taxonomy "), in file order, each once.
 * Start with *it = 0; returns the section name or NULL at the end.
 */
const char *sp_config_section_next(const sp_config *cfg, const char *prefix, int *it);
/* Iterate the keys of one section, in file order. Start with *it = 0. */
const sp_kv *sp_config_kv_next(const sp_config *cfg, const char *section, int *it);

const sp_source *sp_config_source(const sp_config *cfg, const char *name);
const sp_job *sp_config_job(const sp_config *cfg, const char *name);

/* Resolve a path relative to the config dir; caller frees. Absolute paths are copied. */
char *sp_config_path(const sp_config *cfg, const char *p);

#endif
