/*
 * schema.c — the database schema, as migrations applied in order by store.c.
 *
 * sp_schema_migrations[i] brings a database from version i to i+1 (PRAGMA user_version).
 * Once a version has shipped, never edit it: add a new entry. (Version 1 is still unreleased
 * while the walking skeleton is built and may be edited in place until the first release.)
 *
 * Who writes what (the stage owning a table is the only writer; analysts' tables are written by
 * their commands and read by the stages):
 *   run, stage_run ........ run.c
 *   fetch, source_state ... fetch stage (connectors/fetch.c)
 *   record, reject, parse_stat ... parse stage (connectors/parse.c)
 *   candidate ............. normalise stage
 *   entity, member, entity_merge ... dedupe stage
 *   tag, score, selection, selection_prev ... score stage
 *   report ................ report stage
 *   override (link/unlink), pin, decision ... analyst commands
 */
#include "core/store.h"

const char *const sp_schema_migrations[] = {
	/* version 1 */
	"CREATE TABLE run ("
	"  id INTEGER PRIMARY KEY, job TEXT, as_of TEXT NOT NULL, started TEXT NOT NULL, ended TEXT,"
	"  status TEXT NOT NULL DEFAULT 'running',"      /* running|ok|partial|failed|killed */
	"  pid INTEGER, host TEXT, args TEXT, config_hash TEXT, error TEXT, peak_kb INTEGER);"
	"CREATE TABLE stage_run ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES run(id), stage TEXT NOT NULL, source TEXT,"
	"  started TEXT NOT NULL, ended TEXT, rows_in INTEGER DEFAULT 0, rows_out INTEGER DEFAULT 0,"
	"  rows_rejected INTEGER DEFAULT 0, peak_kb INTEGER, status TEXT NOT NULL DEFAULT 'running', message TEXT);"
	"CREATE INDEX stage_run_run ON stage_run(run_id);"

	"CREATE TABLE fetch ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES run(id), source TEXT NOT NULL, url TEXT NOT NULL,"
	"  fetched_at TEXT NOT NULL, http_status INTEGER, etag TEXT, last_modified TEXT, size INTEGER,"
	"  sha256 TEXT, path TEXT,"                        /* path relative to raw_dir */
	"  status TEXT NOT NULL,"                          /* new|unchanged|not_modified|failed */
	"  error TEXT, attempts INTEGER DEFAULT 1);"
	"CREATE INDEX fetch_source ON fetch(source, id);"
	"CREATE TABLE source_state ("
	"  source TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, last_good_fetch INTEGER REFERENCES fetch(id),"
	"  last_good_at TEXT, parsed_fetch INTEGER, consecutive_failures INTEGER NOT NULL DEFAULT 0, last_error TEXT);"

	"CREATE TABLE record ("
	"  id INTEGER PRIMARY KEY, source TEXT NOT NULL, source_key TEXT NOT NULL,"
	"  fetch_id INTEGER REFERENCES fetch(id), line INTEGER,"
	"  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, gone INTEGER NOT NULL DEFAULT 0, hash TEXT,"
	"  name TEXT, legal_form TEXT, other_names TEXT, country TEXT, city TEXT, postcode TEXT, website TEXT,"
	"  founded TEXT, status TEXT, description TEXT, categories TEXT, codes TEXT, code_system TEXT,"
	"  regnum TEXT, lei TEXT, ra_id TEXT, ra_entity_id TEXT, published TEXT,"
	"  UNIQUE(source, source_key));"
	"CREATE TABLE parse_stat ("  /* one row per parsed fetch, replaced when it is parsed again */
	"  fetch_id INTEGER PRIMARY KEY REFERENCES fetch(id), source TEXT NOT NULL, run_id INTEGER, parsed_at TEXT,"
	"  rows_read INTEGER NOT NULL DEFAULT 0,"          /* every data row/item in the file */
	"  rows_out_of_scope INTEGER NOT NULL DEFAULT 0,"  /* excluded by the pushdown filter */
	"  rows_rejected INTEGER NOT NULL DEFAULT 0,"
	"  rows_stored INTEGER NOT NULL DEFAULT 0, rows_gone INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE reject ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES run(id), source TEXT NOT NULL,"
	"  fetch_id INTEGER REFERENCES fetch(id), line INTEGER, reason TEXT NOT NULL, excerpt TEXT);"
	"CREATE INDEX reject_source ON reject(source, fetch_id);"

	"CREATE TABLE candidate ("
	"  record_id INTEGER PRIMARY KEY REFERENCES record(id), source TEXT NOT NULL,"
	"  name TEXT, name_key TEXT, legal_form TEXT, country TEXT, city_key TEXT, domain TEXT,"
	"  founded TEXT, founded_year INTEGER, nace TEXT, regnum_key TEXT, lei TEXT, ra_key TEXT,"
	"  active INTEGER, first_seen TEXT NOT NULL);"
	"CREATE INDEX candidate_name ON candidate(country, name_key);"
	"CREATE INDEX candidate_domain ON candidate(domain);"

	"CREATE TABLE entity ("
	"  id INTEGER PRIMARY KEY, name TEXT, country TEXT, city TEXT, founded TEXT, website TEXT,"
	"  first_seen TEXT, cohort INTEGER, created_run INTEGER, merged_into INTEGER REFERENCES entity(id),"
	"  active INTEGER, nsources INTEGER DEFAULT 0);"
	"CREATE INDEX entity_cohort ON entity(cohort);"
	"CREATE TABLE member ("
	"  record_id INTEGER PRIMARY KEY REFERENCES record(id), entity_id INTEGER NOT NULL REFERENCES entity(id),"
	"  rule TEXT NOT NULL, score REAL, peer_record_id INTEGER, run_id INTEGER);"
	"CREATE INDEX member_entity ON member(entity_id);"
	"CREATE TABLE entity_merge ("
	"  old_id INTEGER PRIMARY KEY, into_id INTEGER NOT NULL, run_id INTEGER, reason TEXT);"
	"CREATE TABLE override ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('link','unlink')),"
	"  a TEXT NOT NULL, b TEXT, note TEXT, created TEXT NOT NULL);" /* a, b: 'source:key' record refs */

	"CREATE TABLE tag ("
	"  entity_id INTEGER NOT NULL REFERENCES entity(id), domain TEXT NOT NULL, kind TEXT NOT NULL,"
	"  evidence TEXT NOT NULL, record_id INTEGER, weight REAL NOT NULL);"
	"CREATE INDEX tag_entity ON tag(entity_id);"
	"CREATE TABLE score ("
	"  entity_id INTEGER PRIMARY KEY REFERENCES entity(id), score REAL NOT NULL, domains TEXT, reasons TEXT, run_id INTEGER);"
	"CREATE TABLE selection ("
	"  entity_id INTEGER PRIMARY KEY REFERENCES entity(id), cohort INTEGER NOT NULL, qualified INTEGER NOT NULL,"
	"  rank INTEGER, why TEXT, run_id INTEGER);"
	"CREATE TABLE selection_prev ("
	"  entity_id INTEGER PRIMARY KEY, cohort INTEGER, qualified INTEGER);"
	"CREATE TABLE cohort_band ("
	"  cohort INTEGER PRIMARY KEY, integrated INTEGER, qualified INTEGER, band_min REAL, band_max REAL, reached INTEGER, run_id INTEGER);"
	"CREATE TABLE pin ("
	"  entity_id INTEGER PRIMARY KEY, direction TEXT NOT NULL CHECK (direction IN ('in','out')), note TEXT, created TEXT NOT NULL);"
	"CREATE TABLE decision ("
	"  id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL,"
	"  decision TEXT NOT NULL CHECK (decision IN ('accompanied','cocreation','invested','declined')),"
	"  date TEXT NOT NULL, note TEXT, created TEXT NOT NULL, origin TEXT);"
	"CREATE INDEX decision_entity ON decision(entity_id);"

	"CREATE TABLE report ("
	"  id INTEGER PRIMARY KEY, year INTEGER NOT NULL, path TEXT NOT NULL, csv_path TEXT, sha256 TEXT,"
	"  run_id INTEGER, created TEXT NOT NULL);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);",
};

const int sp_schema_version = (int)(sizeof(sp_schema_migrations) / sizeof(sp_schema_migrations[0]));
