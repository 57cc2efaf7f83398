/*
 * hub.h — hubs: the places a programme scouts from (`[hub UK] countries = GB IE`), which analyst
 * works where and which startups are whose.
 *
 * What it does: reads the [hub NAME] sections of the config (countries, label; the report's
 * targets per hub are read by reports/figures.c) and answers the two questions asked of them:
 *   - the hub of a startup: the hub whose countries include its country (entity.country), else
 *     SP_HUB_OTHER ("other"): sp_hub_of_country() is that one rule, for the report and any other
 *     reader (a startup's hub is never stored, so editing a hub's countries moves its startups);
 *   - the hub an analyst names (`--hub`, SPARKER_HUB, `[sparker] hub`): sp_hub_find() gives the
 *     configured spelling, recorded on every judgement (judgement.hub).
 *
 * Invariants, checked when a config loads (sp_hub_check, through the vocabulary's check hook in
 * pipeline/run.c): every country is an ISO 3166-1 alpha-2 code (the key spec's check), no country
 * is in two hubs, a hub's name is [A-Za-z0-9_.-]+ and not "other", and `[sparker] hub` names a
 * configured hub. With no [hub] section, hubs are off: every startup is "other", judgements carry
 * no hub, the report has no per-hub breakdown.
 *
 * Ownership: the names and labels returned point into the config and live as long as it.
 * Failure: none; these functions only read the config.
 */
#ifndef SP_HUB_H
#define SP_HUB_H

#include "core/config.h"

#define SP_HUB_OTHER "other"

/* [hub *] countries, label; [sparker] hub (the analysts' default hub). */
extern const sp_config_key sp_hub_keys[];

/* The hub names in file order: start with *it = 0; NULL at the end. */
const char *sp_hub_next(const sp_config *cfg, int *it);
/* How many [hub] sections the config has (0: hubs are off). */
int sp_hub_count(const sp_config *cfg);
/* The configured hub named name (any case) in its configured spelling, or NULL. */
const char *sp_hub_find(const sp_config *cfg, const char *name);
/* A hub's label (its `label`, else its name). */
const char *sp_hub_label(const sp_config *cfg, const char *hub);
/* The hub a startup of this country belongs to (any case; NULL or "" = unknown): a hub name, or
 * SP_HUB_OTHER when no hub lists the country. */
const char *sp_hub_of_country(const sp_config *cfg, const char *country);
/* `[sparker] hub`, the analysts' default hub (configured spelling), or NULL. */
const char *sp_hub_default(const sp_config *cfg);
/* The section of a hub, "hub NAME", into out (for reading a hub's keys). */
void sp_hub_section(const char *hub, char *out, size_t n);

/* What the key specs cannot say (the config check hook): a country in two hubs, a bad hub name,
 * `[sparker] hub` naming no hub. */
void sp_hub_check(const sp_config *cfg, sp_config_problems *p);

#endif
