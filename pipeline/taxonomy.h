/*
 * taxonomy.h — the programme's thesis as data: [taxonomy DOMAIN] sections of the config.
 *
 * What it does: sp_taxonomy_load() reads every section named "taxonomy DOMAIN" (file order) into
 * domains, each with NACE codes, category names, weighted keywords and negative keywords. The
 * score stage (score.c) matches them against each entity; docs/taxonomy.md is the user guide.
 *
 * Syntax of a section (every key optional except that a domain needs at least one of codes,
 * categories, keywords; a key may be repeated or continued on indented lines: values accumulate):
 *
 *   [taxonomy electrification]
 *   label      = Electrification & charging         ; shown in reports (default: DOMAIN)
 *   weight     = 1.0                                 ; multiplies the whole domain's score
 *   codes      = 29.10 29.31 45.2 27.20:6            ; NACE classes or prefixes (dots optional),
 *                                                    ; separated by spaces, ',' or ';'
 *   categories = Electric Vehicle; Battery; EV Charging:4   ; Crunchbase-style names, ';'-separated
 *   keywords   = battery:3 charging station:3; borne de recharge:3 e-mobility:2 batter*:2
 *   negative   = casino:5 payday loan:5
 *   context    = car*, vehicle*, automotive, mobility  ; optional: see below (separate with commas)
 *
 * Items: a keyword/negative item is one or more words; it ends at a word carrying ":WEIGHT"
 * (a decimal number) or at ';' or ','. An item without a weight gets the default from [score]:
 * keyword_weight (1) for keywords, negative_weight (3) for negatives, category_weight (3) for
 * categories, code_weight (4) for codes. A trailing '*' on the last word makes it a word prefix
 * (see match.h). Negative weights are written positive: they are subtracted.
 *
 * context: phrases (same syntax, weights ignored) that put the entity in the programme's world. A
 * domain with a context list counts in full only when one of them occurs somewhere in the
 * entity's names, descriptions or categories; otherwise its score is multiplied by [score]
 * context_factor (0.5): a robotics or VR startup with no link to vehicles weighs half.
 *
 * Invariants: every domain has a unique name; codes are stored as digit strings ("45.2" -> "452")
 * and match a NACE class whose digits start with them.
 *
 * The keys are specified in sp_taxonomy_keys, and pipeline/run.c loads the taxonomy when the config
 * loads (sp_run_vocab's check), so a config whose taxonomy does not read is refused before any
 * stage runs, not at the score stage.
 *
 * Ownership: sp_taxonomy owns everything (its base config too); sp_taxonomy_free(NULL) is a no-op.
 * Failure: SP_ECONFIG with "FILE:LINE: taxonomy DOMAIN: what is wrong" in err.
 */
#ifndef SP_TAXONOMY_H
#define SP_TAXONOMY_H

#include "core/common.h"
#include "core/config.h"

typedef struct sp_tax_item {
	char *text;    /* as written (codes: as written, e.g. "29.10") */
	char *digits;  /* codes only: digits of text, e.g. "2910" */
	double weight;
	int line;
} sp_tax_item;

typedef struct sp_tax_domain {
	char *name;
	char *label;
	double weight;
	sp_tax_item *codes;
	int ncodes;
	sp_tax_item *categories;
	int ncategories;
	sp_tax_item *keywords;
	int nkeywords;
	sp_tax_item *negatives;
	int nnegatives;
	sp_tax_item *context;
	int ncontext;
} sp_tax_domain;

typedef struct sp_taxonomy {
	sp_tax_domain *domains;
	int ndomains;
	sp_config *base;  /* the taxonomy file or the built-in thesis; NULL with taxonomy = none */
	char *base_name;  /* "built-in", the file's path, or "none" */
} sp_taxonomy;

/* Default item weights (from [score], or these defaults when cfg lacks them). */
typedef struct sp_tax_defaults {
	double code, category, keyword, negative;
} sp_tax_defaults;

/* The keys of [taxonomy DOMAIN] sections, [sparker] taxonomy and the default item weights of [score]. */
extern const sp_config_key sp_taxonomy_keys[];

/*
 * Load the thesis: the base ([sparker] taxonomy = builtin (the default: share/taxonomy.ini, built
 * into the program), FILE (relative to the config; it may hold [taxonomy DOMAIN], [score] and
 * [startup] sections), or none), then the config's own [taxonomy DOMAIN] sections on top: a
 * domain of the base with the same name is extended (its items added, label and weight replaced;
 * weight = 0 switches it off), another is added. Errors name the file and line they come from.
 */
int sp_taxonomy_load(const sp_config *cfg, sp_taxonomy **out, sp_err *err);

/* The text of the built-in thesis (share/taxonomy.ini, embedded at build time). */
extern const char sp_taxonomy_builtin[];

/*
 * A [score] or [startup] key read through the thesis: the config's value when it sets the key,
 * else the taxonomy file's, else the spec's default. t may be NULL (the config, then the default).
 */
double sp_taxonomy_num(const sp_taxonomy *t, const sp_config *cfg, const char *section, const sp_config_key *spec,
		       const char *key);
long sp_taxonomy_int(const sp_taxonomy *t, const sp_config *cfg, const char *section, const sp_config_key *spec,
		     const char *key);
/* The values of a repeated key (SP_KEY_REPEAT): the base's then the config's, each passed to fn. */
int sp_taxonomy_each(const sp_taxonomy *t, const sp_config *cfg, const char *section, const char *key,
		     int (*fn)(void *user, const sp_config *from, const sp_kv *kv), void *user);
void sp_taxonomy_free(sp_taxonomy *t);

/*
 * Parse one value into items (appended to *items, count in *n). codes = 1: whitespace-separated codes;
 * codes = 0: word phrases as described above. where = "FILE:LINE" for messages.
 */
int sp_taxonomy_parse_items(const char *value, int codes, double def_weight, int line, const char *where,
			    sp_tax_item **items, int *n, sp_err *err);

/* Index of the first code of d matching a NACE class ("29.10" or "2910"), or -1. */
int sp_taxonomy_code_match(const sp_tax_domain *d, const char *nace_class);

#endif
