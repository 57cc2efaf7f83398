/*
 * figures.h — every number of the yearly report, computed once from the database (SQL -> one
 * struct), so the PDF and the CSV companion can never disagree.
 *
 * Definitions: SP_FIG_DEFS below is the one list of the report's figures: each has one key (the
 * CSV's), one name (the PDF's and the HTML summary's, wherever the figure is printed) and one
 * definition (printed on the report and in the CSV). For year Y:
 *   records pulled  sum of parse_stat.rows_read over the source files parsed by runs whose logical
 *                   date (run.as_of) is in Y (a snapshot source counts every snapshot parsed);
 *                   = out of scope + rejected + already known + in scope (the funnel's first
 *                   stage and the by-source table's "Records pulled" column are this one sum);
 *   out of scope, rejected
 *                   parse_stat.rows_out_of_scope, rows_rejected of those files;
 *   already known   the rest of those rows: records stored again (read in an earlier snapshot)
 *                   or dated in another year (pulled - out of scope - rejected - in scope);
 *   in scope        records (gone or not) first seen in Y: rows that passed the pushdown filter
 *                   and validation and were stored;
 *   integrated      unique startups of cohort Y: entity_live, cohort = Y
 *                   (= `sparker export entities --year Y` rows);
 *   qualified       selection.qualified = 1 AND selection.cohort = Y
 *                   (= `sparker export qualified --year Y` rows);
 *   accompanied, co-creation, invested
 *                   distinct startups of cohort Y (merged ids followed) with at least one such
 *                   decision, whatever its date; decisions dated in Y for any cohort are given
 *                   alongside (dec_*).
 *   returning       live startups of an earlier cohort holding a record the platform first saw
 *                   (record.first_seen, not a publication date) in Y and one it saw before Y;
 *   time to decision
 *                   days from a startup's first sighting (entity.first_seen) to each committee
 *                   decision in force dated in Y (any value, declines included): median and
 *                   quartiles (linear interpolation between ranks);
 *   re-scouted      returning startups (as above) with a decline in force dated before Y;
 *   per hub         (only when the config has [hub] sections) the integrated startups, those of
 *                   them qualified, and the accompanied startups of cohort Y whose country is in
 *                   the hub (pipeline/hub.h: sp_hub_of_country; "other": in no hub or unknown),
 *                   beside the hub's targets ([hub NAME] target_*, none by default).
 * The funnel, the cross-year figures are loaded for Y and the SP_FIG_NHIST - 1 years before it.
 * The first load: the logical date of the oldest run that wrote data; when it falls in Y, the
 * startups of cohort Y first seen on that day (the backlog the first load found, dated by it).
 * Ops figures (runs, rejects, freshness, failure streaks) use the runs whose as_of is in Y; runs
 * that only wrote a report are left out, so writing a report does not change the next one.
 *
 * Besides the numbers, sp_figures holds every value the renderers print that comes from the config
 * or the program (programme, domain and hub labels, targets, band, sources' URLs, the config's
 * sha256, the version): the PDF, the CSV and the HTML summary read f only, never the config.
 *
 * Ownership: sp_figures owns every string and array in it; sp_figures_release() frees them.
 * Failure: sp_figures_load() returns SP_EDB with the SQL error in err.
 */
#ifndef SP_FIGURES_H
#define SP_FIGURES_H

#include <stdio.h>

#include "core/config.h"
#include "core/store.h"

/* The figures, in the order they are printed; SP_FIG_DEFS[id] gives each its key, name, definition. */
enum sp_fig_id {
	SP_FIG_PULLED, SP_FIG_OUT_OF_SCOPE, SP_FIG_REJECTED, SP_FIG_KNOWN, SP_FIG_IN_SCOPE, SP_FIG_INTEGRATED,
	SP_FIG_QUALIFIED, SP_FIG_ACCOMPANIED, SP_FIG_COCREATION, SP_FIG_INVESTED, SP_FIG_SRC_STARTUPS, SP_FIG_DUPS,
	SP_FIG_RETURNING, SP_FIG_TO_DECISION, SP_FIG_RESCOUTED, SP_FIG_RUNS, SP_FIG_NDEFS
};
typedef struct sp_fig_def {
	const char *key, *name, *text;
} sp_fig_def;
extern const sp_fig_def SP_FIG_DEFS[SP_FIG_NDEFS];
#define SP_FIG_NAME(id) (SP_FIG_DEFS[id].name)

#define SP_FIG_NHIST 4 /* years side by side: Y - 3 .. Y */

typedef struct sp_fig_funnel {
	int64_t pulled, out_of_scope, rejected, known, in_scope, integrated, qualified, accompanied, cocreation, invested;
	int64_t dec_accompanied, dec_cocreation, dec_invested; /* decisions dated in Y, any cohort */
} sp_fig_funnel;

/* A breakdown line: integrated (a) and qualified (b) startups for one key; label: a domain's
 * label from its [taxonomy KEY] section, else the key (NULL for regions and countries). */
typedef struct sp_fig_count {
	char *key, *label;
	int64_t a, b;
} sp_fig_count;

typedef struct sp_fig_source {
	char *name;
	char *url;           /* from the config, NULL for a source no longer configured */
	int64_t pulled, out_of_scope, rejected, known, in_scope, unique, dups; /* pulled = out_of_scope + rejected + known + in_scope */
	char last_good[11];  /* logical date of the newest good fetch up to the end of Y, "" = none */
	int streak_max;      /* longest run of consecutive failed fetches in Y */
	int streak_end;      /* consecutive failed fetches at the end of Y */
} sp_fig_source;

typedef struct sp_fig_reject {
	char *source, *reason;
	int64_t n;
} sp_fig_reject;

typedef struct sp_fig_qual {
	int64_t id;
	char *name, *country, *domains, *founded, *website, *reason; /* name, website: display forms (display.h) */
	double score;
} sp_fig_qual;

/* One hub's line; a target < 0 is not set. */
typedef struct sp_fig_hub {
	char *name, *label;
	int64_t integrated, qualified, accompanied;
	int64_t target_int_min, target_int_max, target_acc;
} sp_fig_hub;

typedef struct sp_fig_snap {
	int64_t fetch_id;
	char *source, *url, *date, *sha256;
} sp_fig_snap;

/* Cross-year figures of one year (see the definitions above). */
typedef struct sp_fig_cross {
	int64_t returning;      /* startups of earlier cohorts seen again */
	int64_t rescouted;      /* startups declined before, seen again */
	int64_t ndecisions;     /* decisions dated in the year with a first sighting: the sample below */
	double days_q1, days_median, days_q3; /* first sighting -> decision, in days (0 when none) */
} sp_fig_cross;

/* A startup that entered (entered = 1) or left the qualified list of the year since the earlier
 * report; name: its name now. */
typedef struct sp_fig_moved {
	int64_t id;
	char *name;
	int entered;
} sp_fig_moved;
#define SP_FIG_MOVED_MAX 40 /* names kept (the counts are whole) */

/* What changed since the earlier report of the year (reports/restate.h); edition 0: none. */
typedef struct sp_fig_restate {
	int64_t edition, run;             /* the earlier edition compared with, and its as-of run */
	char date[11];                    /* the day it was written */
	sp_fig_funnel old;                /* its key figures */
	sp_fig_hub *hubs; int nhubs;      /* its per-hub lines */
	int64_t entered, left;            /* startups into and out of the qualified list of Y since run */
	sp_fig_moved *moved; int nmoved;  /* the first SP_FIG_MOVED_MAX of them, by id */
	char *runs; int64_t nruns;        /* runs after `run` with a logical date in Y: "12 (2025-06-30), ..." */
	int64_t judgements, decisions, pins; /* recorded since run's judgement_upto: all, decisions, pins */
	int changed;                      /* anything above differs; 0: "no change since" */
} sp_fig_restate;

typedef struct sp_figures {
	int year;
	/* what the report prints from the config and the program, resolved when loaded so that a
	 * stored edition replays without them (reports/edition.h) */
	char *programme;                         /* [sparker] programme, "" when unset */
	char *config_sha256;                     /* of the configuration file */
	char *version;                           /* sparker's version */
	sp_fig_funnel cur, prev;                 /* = hist[NHIST - 1], hist[NHIST - 2] */
	sp_fig_funnel hist[SP_FIG_NHIST];        /* year - NHIST + 1 + i */
	sp_fig_cross cross[SP_FIG_NHIST];
	char first_load[11];                     /* as_of of the first run that wrote data; "" = none */
	int64_t first_load_run, first_load_n;    /* that run; startups of cohort Y first seen that day (0: not in Y) */
	/* targets ([report], [select]) */
	int64_t target_int_min, target_int_max, target_acc;
	double band_min, band_max;
	sp_fig_count *domains; int ndomains;     /* sorted by integrated desc, then key */
	sp_fig_count *regions; int nregions;
	sp_fig_count *countries; int ncountries;
	sp_fig_hub *hubs; int nhubs;             /* config order, then "other"; 0: no [hub] in the config */
	sp_fig_source *sources; int nsources;    /* config order, then others by name */
	int64_t month_int[13], month_qual[13];   /* [1..12]; [0] = unknown month */
	sp_fig_qual *qual; int nqual;            /* by score desc, entity id */
	int64_t runs_ok, runs_partial, runs_failed, runs_killed, runs_other;
	sp_fig_reject *rejects; int nrejects;    /* by source, count desc, reason */
	int64_t dup_records;    /* records folded into an earlier record's startup, cohort Y */
	int64_t entity_merges;  /* entity_merge rows written by runs of Y */
	sp_fig_snap *snaps; int nsnaps;
	char *run_ids;          /* runs of Y, as ranges "1-40, 42" ("" when none) */
	char *config_hashes;    /* distinct config hashes of those runs, comma-separated */
	int64_t data_run;       /* newest run that wrote data (not a report-only run); 0 = none */
	sp_fig_restate restate; /* filled by sp_restate_load (reports/restate.h), not sp_figures_load */
} sp_figures;

int sp_figures_load(sp_store *db, const sp_config *cfg, int year, sp_figures *f, sp_err *err);
void sp_figures_release(sp_figures *f);

/* The CSV companion: section,key,metric,value — every figure of the report, definitions included.
 * A pure function of f and written (no config: a stored edition replays the same bytes). */
void sp_figures_csv(const sp_figures *f, const char *written, FILE *out);

/* Continent of an ISO 3166-1 alpha-2 code ("Europe", ...; "Unknown" for NULL/unknown). */
const char *sp_continent(const char *iso2);


/* The per-hub figures' definition: on the report and in the CSV only when hubs are configured. */
#define SP_FIG_HUB_DEFINITION                                                                                  \
	"Per hub: a startup belongs to the hub whose countries include its country, else to \"other\" (in no "  \
	"hub, or its country unknown); integrated, qualified (of the hub's integrated startups) and accompanied " \
	"as above. Targets from the config's [hub] sections."

/* a / b as a percentage string ("12.5 %"; "0.04 %" below 1 %; "–" when b == 0) into out: the
 * one format of a percentage in the PDF, the charts and the HTML summary. */
void sp_fig_pct(int64_t a, int64_t b, char *out, size_t n);

#endif
