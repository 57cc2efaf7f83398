/*
 * config_int.h — what config.c (reading the file, the core's sections, the getters) and
 * config_check.c (checking sections and keys against the specs) share. Not an API: only these two
 * files include it.
 */
#ifndef SP_CONFIG_INT_H
#define SP_CONFIG_INT_H

#include "core/config.h"

/* The core's own keys: [sparker], the [source *] keys every format has, [job *]. config.c */
extern const sp_config_key sp_config_core_keys[];

/* The kind of a section name ("source a" -> "source", named 1) into kind (n bytes). */
void sp_config_kind(const char *section, char *kind, size_t n, int *named);
/* Does spec entry k belong to sections of this kind? */
int sp_config_spec_kind_is(const sp_config_key *k, const char *kind, int named);
/* The entry of arr for key (exact, or the family "map.*" of "map.name"), in sections of this
 * kind (NULL: any kind); NULL when none. */
const sp_config_key *sp_config_spec_find(const sp_config_key *arr, const char *kind, int named, const char *key);

/* Parse a value of a type: SP_OK, or SP_ECONFIG (the value is not of the type). */
int sp_config_parse_bool(const char *v, int *out);
int sp_config_parse_long(const char *v, long *out);
int sp_config_parse_double(const char *v, double *out);
/* The index of v among choices "a|b|c" (any case), or -1. */
int sp_config_choice_index(const char *choices, const char *v);

/* Check every section and key of cfg against the specs of cfg->vocab (config_check.c). */
void sp_config_check_keys(const sp_config *cfg, sp_config_problems *p);

#endif
