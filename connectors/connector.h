/*
 * connector.h — the interface every source format implements, and the record it yields.
 *
 * What it does: a connector turns one raw file (as stored by fetch) into a stream of sp_record,
 * baton-style: the parse stage calls next() with the same sp_record again and again; the
 * connector overwrites its fields each time. Memory per record is bounded; memory never grows
 * with the size of the file (read in chunks, XML with xmlTextReader, one item at a time).
 *
 * Contract of next():
 *   SP_OK      a record is in *rec (fields set with sp_record_set; unset fields are empty)
 *   SP_REJECT  this row is unusable: rec->reject_reason and rec->excerpt say why; call next() again
 *   SP_EOF     no more rows
 *   < 0        the file cannot be read further (err says why); records already yielded stand
 * rec->line is the 1-based line (CSV) or record number (XML, JSON) where the row starts.
 * rec->in_scope == 0 means the row parsed but the source's pushdown filter excluded it: it is
 * counted, not stored.
 *
 * Ownership: open() receives the raw file path (plain, .zip or .gz: connectors use archive.h to
 * read through the compression) and the source's config; close(NULL) is a no-op.
 */
#ifndef SP_CONNECTOR_H
#define SP_CONNECTOR_H

#include "core/common.h"
#include "core/config.h"

typedef enum {
	SP_F_KEY = 0,       /* key in the source: company number, SIREN, LEI, uuid/permalink, guid/link */
	SP_F_NAME,
	SP_F_LEGAL_FORM,    /* raw legal form / category when given separately */
	SP_F_OTHER_NAMES,   /* previous/other names, ';'-separated */
	SP_F_COUNTRY,       /* raw: name, alpha-2 or alpha-3 */
	SP_F_CITY,
	SP_F_POSTCODE,
	SP_F_WEBSITE,
	SP_F_FOUNDED,       /* raw date in the source's format */
	SP_F_STATUS,        /* raw status: Active, A, ISSUED, operating ... */
	SP_F_DESCRIPTION,   /* plain text (HTML stripped) */
	SP_F_CATEGORIES,    /* ';'-separated category names */
	SP_F_CODES,         /* ';'-separated activity codes as given ("62012", "62.01Z") */
	SP_F_CODE_SYSTEM,   /* sic2007 | naf2 | nace2 */
	SP_F_REGNUM,        /* registry number (CH company number, SIREN) */
	SP_F_LEI,
	SP_F_RA_ID,         /* GLEIF RegistrationAuthorityID, e.g. RA000585 */
	SP_F_RA_ENTITY_ID,  /* the entity's id at that authority */
	SP_F_PUBLISHED,     /* feed item publication date, raw */
	SP_F__COUNT
} sp_field;

/* Column names in the record table, indexed by sp_field. */
extern const char *const sp_field_names[SP_F__COUNT];

typedef struct sp_record {
	sp_buf f[SP_F__COUNT];
	long line;
	int in_scope;
	sp_buf reject_reason;
	sp_buf excerpt;
} sp_record;

void sp_record_init(sp_record *r);
void sp_record_release(sp_record *r);
/* Empty every field, line 0, in_scope 1. */
void sp_record_clear(sp_record *r);
/* Set a field, trimming surrounding white space. */
void sp_record_set(sp_record *r, sp_field f, const char *s, size_t n);
void sp_record_sets(sp_record *r, sp_field f, const char *s);
/* Append to a ';'-separated list field. */
void sp_record_append(sp_record *r, sp_field f, const char *s, size_t n);
const char *sp_record_get(const sp_record *r, sp_field f); /* "" when unset */
/* Mark the record rejected: reason (short, stable, used for counting) + excerpt of the input. */
int sp_record_reject(sp_record *r, const char *reason, const char *excerpt, size_t n);

typedef struct sp_parser sp_parser; /* each connector's own state */

typedef struct sp_connector {
	const char *format; /* as in the config's format = */
	int (*open)(sp_parser **out, const sp_config *cfg, const sp_source *src, const char *path, sp_err *err);
	int (*next)(sp_parser *p, sp_record *rec, sp_err *err);
	void (*close)(sp_parser *p);
	/* the spec arrays of the [source] keys this format reads beyond every format's (registry.c),
	 * NULL-terminated; NULL = none */
	const sp_config_key *const *keys;
	/* Optional (NULL: none): one line about the whole file for the parse stage's note, e.g. the
	 * CSV connectors' "file is not UTF-8; read as windows-1252" (sp_csv_note); NULL when none. */
	const char *(*note)(sp_parser *p);
	/* Optional (NULL: the format has no delta files, and `mode = delta` is refused when the config
	 * loads): once the file is read, 1 when it was a full file, 0 when a delta (GLEIF's header
	 * FileContent: *_FULL_* or *_DELTA_*). A source with mode = delta applies a full file as a
	 * snapshot and a delta on top of what it holds (connectors/parse.c). */
	int (*full_file)(sp_parser *p);
} sp_connector;

/*
 * What a source is to the programme ([source X] kind = directory | registry | news; registry.c):
 *   directory  a startup source (a startup database, an accelerator list, a directory feed): being
 *              in it is a startup signal (pipeline/startup.h). The default of csv, json and feed.
 *   registry   a company register (companies_house, sirene, gleif: their default): every company,
 *              startup or not, so being in it says nothing about being a startup.
 *   news       a news feed: its items are mentions of startups, never startups themselves.
 */
typedef enum { SP_KIND_DIRECTORY = 0, SP_KIND_REGISTRY = 1, SP_KIND_NEWS = 2 } sp_source_kind;
extern const sp_config_key sp_kind_keys[];
sp_source_kind sp_source_kind_of(const sp_config *cfg, const sp_source *src);
extern const char *const sp_source_kind_names[]; /* indexed by sp_source_kind */

/* The connector for a format, or NULL. The table lives in connectors/registry.c. */
const sp_connector *sp_connector_find(const char *format);
/* The format of the i-th connector of the registry, NULL past the last (the config's vocabulary). */
const char *sp_connector_format_at(size_t i);
/*
 * The i-th spec array of the keys a [source] of this format may hold: every format's (fetch,
 * filter, parse), then the format's own (sp_connector.keys); NULL past the last.
 */
const sp_config_key *sp_connector_keys_at(const char *format, size_t i);
/* The i-th record field as a config names it (map.FIELD, const.FIELD: "key" for the source's
 * key, then sp_field_names), NULL past the last. */
const char *sp_field_config_name(size_t i);

/* Key specs read by more than one file of this layer (others stay static in their file). */
extern const sp_config_key sp_fetch_keys[];      /* fetch.c: every format */
extern const sp_config_key sp_fetch_page_keys[]; /* fetch.c: paginated APIs (format json) */
extern const sp_config_key sp_parse_keys[];      /* parse.c: every format (country, parse_thread...) */
extern const sp_config_key sp_json_keys[];       /* json_api.c (items is also read by fetch) */
extern const sp_config_key sp_sirene_keys[];     /* sirene.c (establishments_url is read by fetch) */
/* The roles of a sirene pair's files in its snapshot manifest (rawstore.h): fetch writes them,
 * sirene.c reads them. */
#define SP_SIRENE_UNITS "legal_units"
#define SP_SIRENE_ESTABLISHMENTS "establishments"
extern const sp_config_key sp_feed_keys[];       /* feed.c */

extern const sp_connector sp_connector_gleif;
extern const sp_connector sp_connector_feed;
extern const sp_connector sp_connector_json;
extern const sp_connector sp_connector_companies_house;
extern const sp_connector sp_connector_sirene;
extern const sp_connector sp_connector_csv;

#endif
