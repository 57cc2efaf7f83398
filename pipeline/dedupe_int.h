/*
 * dedupe_int.h — PRIVATE to the dedupe stage's files (dedupe.c, dedupe_load.c, dedupe_write.c).
 * No other module includes it; the stage's API is dedupe.h, the golden record's golden.h.
 *
 * What it holds: the in-memory working set of one dedupe run (`dd`), shared by
 *   dedupe_load.c   reads candidates (and their previous entity, their aliases) and the analysts' overrides;
 *   dedupe_alias.c  links a record's previous or other name to another record's name;
 *   dedupe.c        links records (keys, blocks, fuzzy names) and clusters them (union-find);
 *   dedupe_write.c  gives clusters their stable ids and golden records and writes them out.
 *
 * Invariants: d->c[0..n) are ordered by record id (the order of the loading SELECT); every
 * string a cand points to lives in d->ar (or is a static "") and lives as long as the dd.
 * parent/size/anchor/miny/maxy/hard/lei/country/city/domain are indexed by candidate and are
 * meaningful at union-find roots: anchor is the cluster's earliest candidate, the others are the
 * cluster's values for the chain guard.
 *
 * Ownership: sp_stage_dedupe (dedupe.c) owns the dd and frees every array and the arena.
 */
#ifndef SP_DEDUPE_INT_H
#define SP_DEDUPE_INT_H

#include <stdint.h>

#include "pipeline/stage.h"

/* Strings of the candidates, in 1 MB blocks freed all at once. */
typedef struct dd_arena_blk {
	struct dd_arena_blk *next;
	size_t used, cap;
	char data[];
} dd_arena_blk;

typedef struct dd_arena {
	dd_arena_blk *head;
} dd_arena;

/* The rules, in priority order: a record keeps the lowest rule that placed it. */
enum { R_OVERRIDE, R_REGNUM, R_RALINK, R_LEI, R_DOMAIN, R_SNAPSHOT, R_EXACT, R_ALIAS, R_SUBSET, R_FUZZY, R_SINGLE };

/* A candidate's member row as the previous run left it, to write only what changed. */
typedef struct dd_oldmem {
	int64_t eid, peer, home; /* peer, home: 0 for NULL */
	double score;
	const char *rule, *reason;
	int score_null;
} dd_oldmem;

typedef struct cand {
	int64_t rid, old_eid; /* record id; entity of the previous run (0: none) */
	const dd_oldmem *om; /* NULL: the record had no member row */
	int64_t home_eid;     /* the entity the record was first placed in (0: none) */
	const char *label; /* first label of the domain, without get/try/hello... prefixes and '-' */
	const char *source, *srckey, *name, *key, *compact, *city, *domain, *founded, *regnum, *ra, *hard,
		*lei, *first_seen, *city_raw, *website, *last_seen, *postcode;
	const char *moved; /* the registrable domain the website redirects to (redirect.h), when another */
	char country[3];
	int year, active, prio, alone;
	int napart; /* analysts' `apart` pairs naming this candidate */
	int amb; /* one-word names: distinct longer names starting with that word in the country */
	int sidx;   /* the source's index in dd.src (-1 past DD_MAXSRC sources) */
	int hubpc;  /* the postcode is a hub key: more distinct names than [dedupe] postcode_cap */
	int dupkey; /* another record of the same source has the same name key */
	int bare;   /* evidence-free: no country, city, postcode, website or registry id */
	int plain;  /* the name is not distinctive: <= 3 letters, or its rarest word is common */
	/* reason: the rule, score and peer that placed the record (rule -1: none), and its note
	 * (edge.note) */
	int rule, peer, note;
	float score;
} cand;

typedef struct edge {
	int a, b, rule, ev; /* ev: corroborating evidence, orders edges of one rule */
	int note;           /* why beyond the rule: R_ALIAS: the alias (index in dd.al); DD_NOTE_*; -1 */
	float score;
} edge;

/* Notes of R_DOMAIN edges between incompatible names (edge.note, cand.note). */
enum { DD_NOTE_NONE = -1, DD_NOTE_RENAMED = -2, DD_NOTE_REDIRECT = -3 };

/* A previous or other name of a candidate (candidate_alias), in candidate order. */
typedef struct dd_alias {
	int idx;            /* the candidate it belongs to */
	const char *name;   /* as given */
	const char *compact; /* match key without spaces */
	const char *key;
	int previous;       /* 1: a previous name (Companies House), 0: another name */
	int plain;          /* not distinctive: <= 3 letters, or its rarest word is common */
} dd_alias;

typedef struct dd_pair {
	int a, b;
} dd_pair;

/* A pair the stage nearly joined, for the review queue (why: a static string). */
typedef struct dd_near {
	int a, b, rule;
	float score;
	const char *why;
} dd_near;

/* A hub key: a postcode or a domain shared by more distinct names (domains: records) than its cap. */
typedef struct dd_hub {
	const char *kind, *key; /* kind "postcode" or "domain"; key NULL: unused slot */
	long names;
} dd_hub;
#define DD_NHUB 3 /* the largest hubs kept per kind */

/* Keep the DD_NHUB largest hubs in h[0..DD_NHUB), largest first (ties: the first seen). */
void dd_hub_keep(dd_hub *h, const char *kind, const char *key, long names);

#define DD_MAXSRC 64 /* sources told apart by the snapshot guard; more share no bits */

typedef struct dd {
	sp_ctx *ctx;
	dd_arena ar;
	cand *c;
	int n, cap;
	int *parent, *size, *anchor, *miny, *maxy;
	const char **hard, **lei;
	const char **country, **city, **domain;
	uint64_t *srcmask; /* per root: the snapshot sources with a record in the cluster */
	unsigned char *linked; /* per root: an analyst's link joined the cluster (the one-listing guard steps aside) */
	const char *src[DD_MAXSRC];              /* source names by index */
	int nsrc;
	unsigned char snap[DD_MAXSRC];           /* 1: snapshot mode (lists each company once) */
	unsigned char snappair[DD_MAXSRC][DD_MAXSRC]; /* 1: two snapshots of one directory */
	edge *e;
	size_t ne, ecap;
	dd_alias *al;         /* aliases, by candidate */
	size_t nal, alcap;
	long alias_links;     /* unions made by an alias */
	long block_cap, window, domain_cap, postcode_cap;
	long capped_blocks, largest_block, capped_domains, refused, hub_postcodes, group_pairs;
	int redirects;          /* [dedupe] resolve_redirects: cand.moved is read */
	long redirect_asked, redirect_moved, redirect_links;
	char hubs[160]; /* the largest hub postcodes, for the stage note */
	dd_hub hub[2 * DD_NHUB]; /* the largest hub keys for hub_key: postcodes, then capped domains */
	int *napart_root;     /* per root: apart-named members in the cluster */
	dd_pair *apart;       /* analysts' apart pairs */
	size_t napart, apart_cap;
	long apart_refused;   /* unions refused because an apart pair would end up together */
	dd_near *near;        /* near misses, at most near_cap, in the order found */
	size_t nnear, near_cap;
	size_t near_written;  /* of those, written to review_pair (records in two clusters, each pair once) */
	int64_t pairs;
} dd;

/* dedupe_load.c */
void dd_arena_free(dd_arena *a);
/* Append every candidate to d->c (one SELECT). SP_OK, or SP_EDB with ctx->err set. */
int dd_load(dd *d);
/* Apply the match judgements in force: `alone` records, `apart` pairs, links as R_OVERRIDE unions.
 * *nover counts the judgements that named known records. SP_OK or SP_EDB. */
int dd_overrides(dd *d, long *nover);

/* Append the aliases (candidate_alias) to d->al, after dd_load. SP_OK, or SP_EDB with ctx->err set. */
int dd_load_aliases(dd *d);

/* dedupe_prep.c: per-run facts about keys before linking: source indexes and snapshot pairs,
 * hub postcodes, names repeated inside a source, evidence-free records, plain names and aliases. */
void dd_prep(dd *d);

/* dedupe_alias.c: rule previous_name edges (not yet applied): a record's alias equal to another
 * source's record's name, with corroboration and no contradiction. */
void dd_alias_links(dd *d);

/* dedupe.c */
int dd_find(dd *d, int x);                                     /* union-find root */
/* Near miss for review (why: a static string); kept while fewer than near_cap. */
void dd_near_add(dd *d, int a, int b, int rule, float score, const char *why);
/* Field evidence for a pair: ev (+1 city, year, non-hub postcode; +2 website, a website named
 * after the other name), contradictions (cflags 1 city, 2 website, 4 postcode); *yearfar when
 * founding years are two or more apart. Returns 1 when the evidence is strong (a website). */
int dd_evidence(const cand *a, const cand *b, int *ev, int *contra, int *cflags, int *yearfar);
void dd_edge_add(dd *d, int a, int b, int rule, float score, int ev);
void dd_apply_edges(dd *d, size_t from);                       /* union edges[from..ne) */

/* dedupe_write.c: ids, golden records, members, merges in one transaction; fills cnt->out and
 * cnt->note. SP_OK, or an error code with ctx->err set and the transaction rolled back. */
int dd_write(dd *d, sp_counts *cnt);

/* A key of a sort-and-scan join (dedupe.c, dedupe_alias.c): the key text, the candidate or alias
 * index, and which kind of key it is; sp_dd_kent_cmp orders by key, then kind, then index. */
typedef struct kent {
	const char *k;
	int idx, kind;
} kent;
int sp_dd_kent_cmp(const void *x, const void *y);

#endif
