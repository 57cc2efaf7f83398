/*
 * config.h — the INI configuration (parsed with inih), checked completely when it loads.
 *
 * What it does: reads one INI file into (a) a generic list of every section/key/value with its
 * line number, so any module can read keys of its own without this module knowing them, and
 * (b) typed views of the sections the core needs: [sparker], [source NAME], [job NAME].
 * [taxonomy DOMAIN] and other sections are read by their owners through the getters below.
 *
 * Every key is defined once, by a key spec (sp_config_key) next to the code that reads it: its
 * section, name, type, range and default. The owners export their spec arrays, and the caller
 * passes them to sp_config_load() through the vocabulary (sp_config_vocab; pipeline/run.h gives
 * the program's, sp_run_vocab), with the formats and stages: the core never names them itself.
 * A config loads only when every section and key is one a spec defines (a misspelling gets
 * "did you mean 'X'?"), no section or key appears twice (except keys flagged SP_KEY_REPEAT),
 * every value has its spec's type and range, and the vocabulary's check hook (taxonomy, filters,
 * cross-key rules) finds nothing wrong. The getters then read a key through its spec, so a
 * default is written once, in the spec.
 *
 * Invariants: paths in [sparker] are resolved relative to the config file's directory.
 * Source names are unique and match [A-Za-z0-9_.-]+ (they become directory names in the raw store).
 * A config that loads is valid for the core: every source has a known format and mode, every
 * value has its spec's type.
 *
 * Ownership: sp_config owns every string in it; sp_config_free() releases all. Pointers returned by
 * accessors live as long as the config. Key specs are static data of their owners.
 *
 * Failure: sp_config_load() returns SP_ECONFIG with "FILE:LINE: what is wrong" in err (the first
 * problem); sp_config_load_all() also gives every problem found, one per line.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

#include "core/common.h"

typedef struct sp_kv {
	char *section; /* full section name, e.g. "source feed1", "taxonomy electrification" */
	char *key;
	char *value;
	int line;
	int cont;      /* an indented line continuing the key before it (inih's multi-line values) */
} sp_kv;

/* A section header as written, in file order (a section may have no keys). */
typedef struct sp_config_section {
	char *name;
	int line;
} sp_config_section;

/* snapshot: each file is the whole source (what it lacks is gone); append: a feed of new items;
 * delta: files are full snapshots or deltas (new, changed, retired rows only) applied on top of
 * the last one, as the connector says (sp_connector.full_file; connectors/parse.c) */
typedef enum { SP_MODE_SNAPSHOT = 0, SP_MODE_APPEND = 1, SP_MODE_DELTA = 2 } sp_source_mode;

typedef struct sp_source {
	char *name;      /* after "source " */
	char *format;    /* companies_house, sirene, gleif, feed, csv, json */
	char *url;       /* http(s)://, file:// or a path (relative to the config dir) */
	sp_source_mode mode;
	int priority;    /* golden-record source priority: higher wins; default 0 */
	int line;        /* line of the section header, for messages */
	char *section;   /* "source NAME": pass to the getters for format-specific keys */
} sp_source;

typedef struct sp_job {
	char *name;
	char **stages; /* NULL-terminated */
	int nstages;
} sp_job;

struct sp_config_vocab;

typedef struct sp_config {
	char *path;      /* the file as given */
	char *dir;       /* its directory, for relative paths */
	char sha256[65]; /* hash of the file's bytes (lineage) */
	const struct sp_config_vocab *vocab; /* what it was checked against */
	/* [sparker] */
	char *database;
	char *raw_dir;
	char *report_dir;
	char *log_file;  /* optional */
	char *programme; /* programme name for the report cover */
	/* everything */
	sp_kv *kv;
	int nkv;
	sp_config_section *sections;
	int nsections;
	sp_source *sources;
	int nsources;
	sp_job *jobs;
	int njobs;
} sp_config;

/*
 * A key spec: one key of one kind of section, defined once, next to the code that reads it.
 * Arrays of specs end with an entry whose name is NULL.
 */
typedef enum sp_key_type {
	SP_KEY_STRING,  /* any text */
	SP_KEY_PATH,    /* a file or directory, relative to the config's directory */
	SP_KEY_INT,     /* a whole number in [min, max] */
	SP_KEY_NUMBER,  /* a decimal number in [min, max] */
	SP_KEY_BOOL,    /* yes/no, true/false, on/off, 1/0 (any case) */
	SP_KEY_ENUM,    /* one of choices (any case) */
	SP_KEY_LIST,    /* words separated by spaces, ',' or ';' */
} sp_key_type;

enum {
	SP_KEY_REPEAT = 1 << 0,   /* may be given several times in a section: the values accumulate */
	SP_KEY_REQUIRED = 1 << 1, /* every section of its kind must set it */
	SP_KEY_READ = 1 << 2,     /* SP_KEY_PATH: a file sparker reads (`check`: it must be readable) */
	SP_KEY_CREATE = 1 << 3,   /* SP_KEY_PATH: a file sparker creates (`check`: when it exists it
	                             is a writable file, else its parent can be created) */
	SP_KEY_DIR = 1 << 4,      /* with SP_KEY_CREATE: a directory sparker creates */
};

/* Both bounds 0: no range. Use SP_KEY_ANY for the open side of a one-sided range. */
#define SP_KEY_ANY 1e18

typedef struct sp_config_key {
	const char *section; /* the kind of section: "sparker", "score"...; named sections end in
	                        " *": "source *", "job *", "taxonomy *" */
	const char *name;    /* the key; ending in ".*" a family (map.*): the part after the dot is
	                        one of names(i), or anything when names is NULL */
	sp_key_type type;
	const char *def;     /* the default, written as in a config; NULL = none */
	double min, max;     /* SP_KEY_INT, SP_KEY_NUMBER: the range (both 0: any) */
	const char *choices; /* SP_KEY_ENUM: "snapshot|append" */
	const char *(*names)(size_t i); /* a family's suffixes, NULL past the last */
	/* a further check of a value (SP_OK), else SP_ECONFIG with what is wrong in err (no FILE:LINE) */
	int (*check)(const char *value, sp_err *err);
	unsigned flags;      /* SP_KEY_* above */
} sp_config_key;

/* Problems found in a config: every message "FILE:LINE: what", one per line. */
typedef struct sp_config_problems {
	sp_buf text;
	int n;
	char first[SP_ERR_MAX]; /* the first one */
} sp_config_problems;

/* Add one problem (printf-style; the caller writes FILE:LINE: itself). */
void sp_config_problem(sp_config_problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Add a problem at line of the config: "FILE:LINE: " + the message. */
void sp_config_problem_at(sp_config_problems *p, const sp_config *cfg, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * What a config is checked against, owned by the layers that define it (pipeline/run.h gives the
 * program's: sp_run_vocab). Every function returns the i-th item, NULL past the last.
 *   format, stage  the formats of the connector registry, the stages of the stage table
 *   keys           the spec arrays of the sections other than [source] (the core adds its own
 *                  [sparker], [source] and [job] keys)
 *   source_keys    the spec arrays of a [source] of this format (beyond the core's)
 *   check          (may be NULL) what specs cannot say: the taxonomy, each source's filter, rules
 *                  between keys; called once every key has its type, adds each problem to p
 */
typedef struct sp_config_vocab {
	const char *(*format)(size_t i);
	const char *(*stage)(size_t i);
	const sp_config_key *(*keys)(size_t i);
	const sp_config_key *(*source_keys)(const char *format, size_t i);
	void (*check)(const sp_config *cfg, sp_config_problems *p);
} sp_config_vocab;

int sp_config_load(const char *path, const sp_config_vocab *vocab, sp_config **out, sp_err *err);
/* Like sp_config_load, from text in memory; name stands for the file in messages (and paths
 * resolve against its directory). */
int sp_config_load_text(const char *name, const char *text, const sp_config_vocab *vocab, sp_config **out, sp_err *err);
/*
 * Like sp_config_load, and when the config does not load, every problem found (not only the
 * first) is in *problems (the caller passes a zeroed one and releases problems->text).
 */
int sp_config_load_all(const char *path, const sp_config_vocab *vocab, sp_config **out, sp_config_problems *problems,
		       sp_err *err);
/*
 * For `sparker check`: the paths a loaded config names (SP_KEY_PATH keys, set or defaulted) are
 * usable: a file read (SP_KEY_READ) is readable; for one created (SP_KEY_CREATE), it is of the
 * right kind when it exists, else its nearest existing parent is a writable directory. Nothing is
 * created. Adds each problem to p; returns how many.
 */
int sp_config_check_paths(const sp_config *cfg, sp_config_problems *p);
void sp_config_free(sp_config *cfg);

/*
 * Typed getters: the value of key in section, read through its spec in the owner's array (the
 * entry named key, or the family "map.*" of "map.name"), else the spec's default. The value was
 * checked at load; cfg may be NULL (the default). A key missing from spec is a programming error
 * (assert).
 *   str     the text, or the default (NULL when none)
 *   int     SP_KEY_INT; num: SP_KEY_NUMBER; bool: SP_KEY_BOOL (1 or 0)
 *   choice  SP_KEY_ENUM: the index of the value in choices, or -1 when absent without default
 */
const char *sp_config_str(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key);
long sp_config_int(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key);
double sp_config_num(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key);
int sp_config_bool(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key);
int sp_config_choice(const sp_config *cfg, const char *section, const sp_config_key *spec, const char *key);

/* The raw value of key in section, or def when absent (for defaults computed from other keys). */
const char *sp_config_get(const sp_config *cfg, const char *section, const char *key, const char *def);
/* The key's entry (value and line), or NULL when absent. */
const sp_kv *sp_config_find(const sp_config *cfg, const char *section, const char *key);

/*
 * Iterate sections whose name starts with prefix ("taxonomy "), in file order, each once (with or
 * without keys). Start with *it = 0; returns the section name or NULL at the end.
 */
const char *sp_config_section_next(const sp_config *cfg, const char *prefix, int *it);
/* The line of a section's (first) header, 0 when there is none. */
int sp_config_section_line(const sp_config *cfg, const char *section);
/* Iterate the keys of one section, in file order. Start with *it = 0. */
const sp_kv *sp_config_kv_next(const sp_config *cfg, const char *section, int *it);

const sp_source *sp_config_source(const sp_config *cfg, const char *name);
const sp_job *sp_config_job(const sp_config *cfg, const char *name);

/* Resolve a path relative to the config dir; caller frees. Absolute paths are copied. */
char *sp_config_path(const sp_config *cfg, const char *p);

/*
 * The edit distance (insertions, deletions, substitutions, swaps of neighbours) between a and b,
 * stopping at max + 1; and the name among names(0), names(1)... closest to word when it is close
 * enough to be a likely misspelling (NULL otherwise). For "did you mean".
 */
int sp_config_distance(const char *a, const char *b, int max);
const char *sp_config_closest(const char *word, const char *const *names, size_t n);

#endif
