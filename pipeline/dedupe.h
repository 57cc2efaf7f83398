/*
 * dedupe.h — the dedupe stage: candidates -> stable entities, with reasons.
 *
 * What it does (sp_stage_dedupe, declared in stage.h): loads every candidate with its previous
 * membership into memory arrays, links records, clusters them, gives each cluster a stable
 * entity id, writes its golden record, and replaces `member` — all in ONE transaction.
 *
 * Linking, in this order (the first rule that places a record is the one it keeps):
 *   1. override  — analysts' `link A B` judgements (forced, bypass every guard);
 *                  `unlink A` keeps record A out of every automatic link.
 *   2. regnum    — same registry key (candidate.regnum_key);
 *      ra_link   — a GLEIF record's registration-authority link equals a registry key;
 *      lei       — same LEI;
 *      domain    — same registrable domain (shared hosts are NULL upstream; a domain held by
 *                  more than [dedupe] domain_cap records is ignored) when the names are
 *                  compatible (close, or the same leading word give or take a typo) and the
 *                  postcodes (record.postcode) do not differ. A website shared by incompatible
 *                  names (an acquirer's domain on its acquisitions) is a group, never a merge:
 *                  the pair goes to `review_pair` as "same website, different names: same group?" (`show`
 *                  lists it under "Same group?") — unless the two records, from two sources, have
 *                  the same city and founding year: a company renamed on its own website
 *                  (Fanpulse / FanVibe on fanvibe.com; an acquisition was founded years before or
 *                  after its acquirer), joined with score 0.8 and the reason "renamed".
 *      snapshot_name — two snapshots of one directory (two snapshot sources of which >= 80 % of
 *                  the smaller one's distinct names, at least 20, appear in the other): the same
 *                  name key, listed once in each, is one listing even when its city or founding
 *                  year moved; not when countries or websites differ.
 *      redirect — with [dedupe] resolve_redirects = yes (redirect.h), a website whose home page
 *                  redirects to another record's website: compatible names are one company
 *                  renamed (rule domain, score 0.9, reason "one website redirects to the
 *                  other's: renamed"), others a group in `review_pair` ("website redirects to
 *                  the other's, different names: acquired? same group?"); not when postcodes
 *                  differ, nor for a target domain held by more than domain_cap records.
 *   3. previous_name — an alias (a previous or other name: record.other_names, Companies House
 *                  PreviousName_*, SIRENE sigle and usual names, GLEIF other names; the normalise
 *                  stage writes their keys to candidate_alias) with the same compact name key as
 *                  another source's record's name, when the alias is distinctive (more than three
 *                  letters, its rarest word used by at most three distinct names: "SOLUTIONS
 *                  LIMITED" never joins "Solutions"), nothing contradicts (country, registry key,
 *                  LEI, founding years two or more apart, city, website, postcode) and one field
 *                  corroborates (city, year, non-hub postcode, website, a website named after the
 *                  alias). Never inside one source (a registry re-issues a dropped name). The
 *                  member's reason names the alias: 'its previous name "TANEX TECHNOLOGIES" is the
 *                  peer's name' / 'matches previous name "…" of the peer'; a contradicted alias is
 *                  a near miss. Applied with the fuzzy edges, ranked between exact_name and
 *                  name_subset; the chain guard lets it join clusters whose first names differ.
 *   4. fuzzy, inside blocks (the two rarest name tokens, the exact name key, and a 6-character
 *      prefix of the name; no country in the key so records without one still meet):
 *      exact_name  — same name key (or same tokens in another order), no more contradictions
 *                    than corroborations;
 *      name_subset — one name is the other plus words ("Voltiq" / "Voltiq Energie"): needs two
 *                    corroborations; or, across two sources, one corroboration when the short
 *                    name is a bare brand with exactly one longer name in its country (no
 *                    "Voltiq Mobility" next to "Voltiq Energie");
 *      fuzzy_name  — one typo (one edit, not on the first or last letter, names >= 5 letters)
 *                    with two corroborations or one strong one; or every token close and
 *                    Jaro-Winkler >= 0.90 on the compact names with two corroborations of which
 *                    one strong. Never with any contradiction.
 *      Strong evidence: same website domain, a domain named after the other name.
 *      Evidence-free records (no country, city, postcode, website or registry id) join only by
 *      the same name key, and only when the name is distinctive: more than three letters, its
 *      rarest word used by at most three distinct names; never by name_subset or fuzzy_name.
 *      Inside one source, name_subset and fuzzy_name need strong evidence (a source lists each
 *      company once; in a hub city, look-alike names share city and year: CircleCi / CircleUp).
 *      Evidence: same city, same founding year, same domain, same postcode, a domain named
 *      after the other record's name; contradictions: different city, domain or postcode.
 *      A shared postcode is never strong (never enough alone), and a hub postcode — one shared
 *      by more distinct names than [dedupe] postcode_cap (default 8: an incubator, a formation
 *      agent, a coarse ZIP code) — is no evidence, except for name_subset when the short name is
 *      distinctive (as for aliases: "Gale" in "Chicago Public Schools Gale Academy", never
 *      "Center"); the three largest hubs are named in the stage note and, with the three largest
 *      domains over domain_cap, kept in `hub_key` for `sparker status`.
 *      Never: different countries, different registry keys, different LEIs, founding years two
 *      or more apart, different cities with nothing else for it.
 *      A block larger than [dedupe] block_cap (default 50) is compared by sliding window
 *      ([dedupe] window, default 20) over its members sorted by country and name; how many blocks
 *      were capped is reported in the stage note.
 *   Chain guard: a union of two clusters is refused when they hold different registry keys or
 *   LEIs, or both hold a record of one snapshot source (a directory or registry lists each
 *   company once; append feeds, and snapshot sources where more than one record in ten carries
 *   a repeated name, are lists of listings and exempt; nor for a cluster an analyst's link
 *   joined: the analyst said it is one company) — for every rule but overrides; for
 *   snapshot_name also when countries or websites differ; and, for fuzzy rules, when their
 *   countries differ, their founding years are two or more apart, their anchor names (each
 *   cluster's earliest record) are not close, or the result would exceed 100 records.
 *
 * Stable ids: each old entity id goes to the new cluster holding most of the records born in it
 * (their home id: the entity a record was first placed in), then most of its former members
 * (ties: the cluster with the earliest record); a cluster winning several keeps the smallest
 * (oldest) and the others get merged_into + an entity_merge row. A cluster winning none, or
 * holding an id born in none of its records, takes back the home id of most of its records when
 * no cluster holds that id (undoing a merge gives the split-off startup its old id again, even
 * when a part of it carried a new id meanwhile: "revived", its entity_merge row dropped); else
 * it gets a new id (max + 1, in order of earliest record). Unchanged input -> unchanged ids. An entity
 * whose records all disappeared keeps its row with nsources = 0 (other tables may refer to it).
 *
 * Analysts' match judgements (judgement.h): `link` is rule 1; `apart A B` refuses every union,
 * forced or not, that would put A and B in one cluster (counted in the note); `alone A` keeps A
 * out of every automatic rule.
 *
 * Near misses: pairs a rule considered and refused (a contradicting field, too little evidence,
 * the chain guard) are written to `review_pair` with the reason, at most [dedupe] review_cap
 * (default 20000) in the order found, for `sparker review`.
 *
 * Golden record: golden.h (one rule, shared with `sparker show`).
 *
 * Files: dedupe.c (driver, linking, clustering), dedupe_load.c (candidates, aliases, overrides),
 * dedupe_prep.c (per-run key facts: sources and snapshot pairs, hub postcodes, plain names),
 * dedupe_alias.c (the previous_name rule),
 * dedupe_ids.c (stable ids, no SQL), golden.c (golden record), dedupe_write.c (the SQL writer);
 * dedupe_int.h is their private header. entity.h reads what this stage wrote (merged_into).
 *
 * Failure: sp_stage_dedupe returns SP_OK, or SP_EDB with ctx->err set and nothing written (the
 * write is one transaction, rolled back on error).
 */
#ifndef SP_DEDUPE_H
#define SP_DEDUPE_H

#include "core/config.h"
#include "pipeline/stage.h"

/* Jaro-Winkler similarity of two byte strings, in [0,1]. */
double sp_dedupe_jw(const char *a, const char *b);

/* Source priority from the config (0 when the source is unknown). */
int sp_dedupe_priority(const sp_config *cfg, const char *source);

/* The [dedupe] keys: block_cap, window, domain_cap, review_cap (0 = keep no near misses). */
extern const sp_config_key sp_dedupe_keys[];

/*
 * Stable entity ids (dedupe_ids.c; pure: no SQL, no config). The rule of "Stable ids" above:
 * clusters are numbered 0..nclusters-1 in order of their earliest record; each member that was
 * in an entity before is one claim (its old id for its new cluster). max_id is the largest id
 * ever given (SELECT max(id) FROM entity); new ids continue from it.
 */
typedef struct sp_dedupe_claim {
	int64_t old_id;  /* the entity the record was in at the last run (0: none) */
	int64_t home_id; /* the entity the record was first placed in (0: none) */
	int cluster;
} sp_dedupe_claim;

typedef struct sp_dedupe_merge {
	int64_t old_id, into; /* old_id lost to the smaller id `into` of the same cluster */
} sp_dedupe_merge;

typedef struct sp_dedupe_ids {
	int64_t *id;            /* [nclusters]: the id each cluster keeps or gets */
	sp_dedupe_merge *merge; /* in ascending old_id */
	size_t nmerge;
	int64_t *revived;       /* ids given back to a split-off cluster (were merged or idle), ascending */
	size_t nrevived;
	long created;           /* clusters that got a new id */
} sp_dedupe_ids;

/* Fill *out (release with sp_dedupe_ids_release). Sorts claims in place. */
void sp_dedupe_assign_ids(sp_dedupe_claim *claims, size_t nclaims, int nclusters, int64_t max_id, sp_dedupe_ids *out);
void sp_dedupe_ids_release(sp_dedupe_ids *ids);

#endif
