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
 *   record, reject, parse_stat, gate_hold ... parse stage (connectors/parse.c, through gate.c;
 *                  record.out_of_scope: scope.c)
 *   candidate ............. normalise stage
 *   entity, member, entity_merge, review_pair, record_entity ... dedupe stage
 *   tag, score, selection, selection_prev, cohort_band ... score stage
 *   selection_hist ........ score stage, through pipeline/history.c only (append-only)
 *   run.judgement_upto .... run.c, through sp_history_mark_judgements() (pipeline/history.h)
 *   report ................ report stage (sp_report_row_write, reports/report_stage.c)
 *   report_edition ........ report stage, through reports/edition.c only (append-only)
 *   judgement, judgement_record ... analysts' commands, through pipeline/judgement.c only
 *                  (on SQLite, what they made during a run is written by the next run, applying
 *                  the inbox file pipeline/inbox.c; a report beside a run likewise)
 *   audit_draw, audit_sample ... `sparker audit sample`, through pipeline/audit.c only
 *   news_item ............. parse stage (a `kind = news` feed's items)
 *   mention ............... dedupe stage, through pipeline/mention.c
 * (A startup's hub is not stored: pipeline/hub.c derives it from entity.country and the config.)
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

	/* version 2: analysts' judgements anchored to records, append-only (pipeline/judgement.h);
	 * records' home entity (id stability under undo); the review queue's near misses. The
	 * override, pin and decision rows of version 1 become judgements, anchored to the records
	 * of the entity they were made on (its live entity when it was merged since). */
	"CREATE TABLE judgement ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"               /* link|apart|alone|unsure|pin|decision|note|remove (judgement.h) */
	"  value TEXT,"                       /* pin: in|out; decision: accompanied|cocreation|invested|declined */
	"  date TEXT,"                        /* decision: the committee's date */
	"  a TEXT, b TEXT,"                   /* link|apart|unsure: two records, alone: one (SOURCE:KEY) */
	"  entity_id INTEGER, name TEXT,"     /* the live entity and its name when recorded: display only */
	"  note TEXT, user TEXT NOT NULL, created TEXT NOT NULL, origin TEXT,"
	"  target INTEGER REFERENCES judgement(id));" /* remove: the judgement it removes */
	"CREATE INDEX judgement_target ON judgement(target);"
	"CREATE TABLE judgement_record ("      /* the records a pin, decision or note was made on */
	"  judgement_id INTEGER NOT NULL REFERENCES judgement(id), source TEXT NOT NULL, source_key TEXT NOT NULL,"
	"  PRIMARY KEY (judgement_id, source, source_key));"
	"CREATE TRIGGER judgement_no_update BEFORE UPDATE ON judgement"
	"  BEGIN SELECT RAISE(ABORT, 'judgements are append-only: record a remove instead'); END;"
	"CREATE TRIGGER judgement_no_delete BEFORE DELETE ON judgement"
	"  BEGIN SELECT RAISE(ABORT, 'judgements are append-only: record a remove instead'); END;"
	"CREATE TRIGGER judgement_record_no_update BEFORE UPDATE ON judgement_record"
	"  BEGIN SELECT RAISE(ABORT, 'judgements are append-only'); END;"
	"CREATE TRIGGER judgement_record_no_delete BEFORE DELETE ON judgement_record"
	"  BEGIN SELECT RAISE(ABORT, 'judgements are append-only'); END;"
	/* the judgements in force: not a remove, and not removed */
	"CREATE VIEW judgement_active AS SELECT j.* FROM judgement j WHERE j.kind <> 'remove'"
	"  AND NOT EXISTS (SELECT 1 FROM judgement x WHERE x.kind = 'remove' AND x.target = j.id);"
	/* where an anchored judgement lands: per entity holding some of its records, how many; the
	 * entity with the most (ties: the oldest, i.e. smallest id) carries it; parts > 1 means its
	 * records are split across entities and the judgement needs review */
	"CREATE VIEW judgement_place AS"
	"  WITH c AS (SELECT a.judgement_id AS jid, m.entity_id AS eid, count(*) AS n FROM judgement_record a"
	"             JOIN record r ON r.source = a.source AND r.source_key = a.source_key"
	"             JOIN member m ON m.record_id = r.id GROUP BY a.judgement_id, m.entity_id),"
	"       k AS (SELECT jid, eid, n, row_number() OVER (PARTITION BY jid ORDER BY n DESC, eid) AS rk,"
	"             count(*) OVER (PARTITION BY jid) AS parts FROM c)"
	"  SELECT jid AS judgement_id, eid AS entity_id, n AS records, rk = 1 AS carries, parts FROM k;"

	"ALTER TABLE member ADD COLUMN home_id INTEGER;" /* the entity the record was first placed in */
	"UPDATE member SET home_id = entity_id;"
	"CREATE TABLE review_pair ("          /* dedupe's near misses, replaced by each dedupe run */
	"  a INTEGER NOT NULL REFERENCES record(id), b INTEGER NOT NULL REFERENCES record(id),"
	"  rule TEXT, score REAL, reason TEXT NOT NULL, run_id INTEGER, PRIMARY KEY (a, b));"

	"INSERT INTO judgement (kind, a, b, note, user, created, origin)"
	"  SELECT CASE kind WHEN 'link' THEN 'link' ELSE 'alone' END, a, b, note, 'unknown', created,"
	"  'schema 2: override ' || id FROM override ORDER BY id;"
	"INSERT INTO judgement (kind, value, entity_id, note, user, created, origin)"
	"  SELECT 'pin', direction, entity_id, note, 'unknown', created, 'schema 2: pin' FROM pin ORDER BY created, entity_id;"
	"INSERT INTO judgement (kind, value, date, entity_id, note, user, created, origin)"
	"  SELECT 'decision', decision, date, entity_id, note, 'unknown', created, COALESCE(origin, 'cli') FROM decision ORDER BY id;"
	"INSERT INTO judgement_record SELECT DISTINCT j.id, r.source, r.source_key FROM judgement j"
	"  JOIN entity e ON e.id = j.entity_id JOIN member m ON m.entity_id = COALESCE(e.merged_into, e.id)"
	"  JOIN record r ON r.id = m.record_id WHERE j.kind IN ('pin', 'decision');"
	"DROP TABLE override; DROP TABLE pin; DROP TABLE decision;",

	/* version 3: scope follows the configuration (connectors/scope.h): a stored record that no
	 * longer passes its source's filter is kept with the reason; the filter settings a snapshot
	 * was parsed with, so that changing them parses it again */
	"ALTER TABLE record ADD COLUMN out_of_scope TEXT;"
	"ALTER TABLE source_state ADD COLUMN parsed_filter TEXT;"
	/* the entity each record was last placed in and first placed in (its home), kept when the
	 * record leaves the candidates (gone, out of scope), so that it comes back to its entity;
	 * member.home_id is the same home, for the records placed now */
	"CREATE TABLE record_entity ("
	"  record_id INTEGER PRIMARY KEY REFERENCES record(id), entity_id INTEGER NOT NULL, home_id INTEGER NOT NULL);"
	"INSERT INTO record_entity SELECT record_id, entity_id, COALESCE(home_id, entity_id) FROM member;"
	/* the one definition of a live entity: not merged, and holding records now (an entity whose
	 * records are all gone or out of scope keeps its row, for the judgements and ids, but is no
	 * startup of any cohort, score or selection) */
	"CREATE VIEW entity_live AS SELECT e.* FROM entity e WHERE e.merged_into IS NULL"
	"  AND EXISTS (SELECT 1 FROM member m WHERE m.entity_id = e.id);",

	/* version 4: quality gates (connectors/gate.h). Each source's snapshot the parse stage held
	 * back: kept in the raw store, not applied, until a good one comes or `sparker accept`. */
	"CREATE TABLE gate_hold ("
	"  source TEXT PRIMARY KEY,"
	"  fetch_id INTEGER REFERENCES fetch(id),"  /* the held snapshot; NULL: nothing to apply (max_age_days) */
	"  gate TEXT NOT NULL,"                     /* min_rows|max_reject_pct|max_gone_pct|no_valid_rows|max_age_days|unreadable */
	"  measured REAL, limit_value REAL,"        /* the gate's measure and its limit (rows, %, days) */
	"  rows_read INTEGER, rows_rejected INTEGER, live INTEGER, gone INTEGER," /* live before; would be gone */
	"  message TEXT NOT NULL, run_id INTEGER REFERENCES run(id), as_of TEXT, held_at TEXT NOT NULL);",

	/* version 5: stage budgets (pipeline/run.h). A stage call's elapsed time to the hundredth
	 * (started/ended are whole seconds) and, when it went over its [sparker] max_seconds.STAGE or
	 * max_rss_mb.STAGE, what it exceeded ("stage
	 * parse took 712 s, budget 600 s"); stage_run.peak_kb is the call's own peak when its stage
	 * has a memory budget (run.h). */
	"ALTER TABLE stage_run ADD COLUMN seconds REAL;"
	"ALTER TABLE stage_run ADD COLUMN budget TEXT;",

	/* version 6: relevance apart from qualifying (pipeline/score.c, startup.h). evidence is the
	 * entity's thesis evidence; thesis = 1 when it reaches [score] min_score ("tagged relevant");
	 * startup = 1 startup, 0 not a startup, 2 closed. score > 0 only when all three hold. */
	"ALTER TABLE score ADD COLUMN evidence REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE score ADD COLUMN thesis INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE score ADD COLUMN startup INTEGER;",

	/* version 7 (the audit, pipeline/audit.h): a stratified random sample of a cohort's rejects
	 * and of its qualified startups, drawn for analysts to label (labels are judgements of kind
	 * 'label'). Each sampled startup is anchored to one of its records (source, source_key), as
	 * judgements are, so that merges and undos never move it; the stratum, the stratum's size and
	 * its sample size at the draw weight the estimate. A new draw for a year replaces the
	 * earlier one for the estimate; nothing is deleted. */
	"CREATE TABLE audit_draw ("
	"  id INTEGER PRIMARY KEY, year INTEGER NOT NULL, seed INTEGER NOT NULL,"
	"  n_rejects INTEGER NOT NULL, n_qualified INTEGER NOT NULL, min_per_stratum INTEGER NOT NULL,"
	"  rejects INTEGER NOT NULL, qualified INTEGER NOT NULL," /* the populations at the draw */
	"  score_run INTEGER," /* the run whose selection was sampled */
	"  user TEXT NOT NULL, created TEXT NOT NULL);"
	"CREATE INDEX audit_draw_year ON audit_draw(year, id);"
	"CREATE TABLE audit_sample ("
	"  id INTEGER PRIMARY KEY, draw_id INTEGER NOT NULL REFERENCES audit_draw(id), year INTEGER NOT NULL,"
	"  side TEXT NOT NULL CHECK (side IN ('qualified', 'reject')),"
	"  stratum TEXT NOT NULL, stratum_size INTEGER NOT NULL, sample_size INTEGER NOT NULL, seed INTEGER NOT NULL,"
	"  source TEXT NOT NULL, source_key TEXT NOT NULL," /* the record it is anchored to */
	"  entity_id INTEGER, name TEXT, score REAL);"    /* when drawn: display only */
	"CREATE INDEX audit_sample_draw ON audit_sample(draw_id);"
	"CREATE INDEX judgement_record_ref ON judgement_record(source, source_key);",

	/* version 8: news feeds (`kind = news`, pipeline/mention.h). A news item is never a record:
	 * the parse stage keeps it in news_item; the dedupe stage attaches it (pipeline/mention.c) to
	 * the startups whose names it carries, anchored to a record (like judgements), so that a
	 * mention follows its startup through merges and splits: the entity is the record's member
	 * entity now. entity_mention / entity_mentions are the one reading of it (show, explain, the
	 * score's signal). */
	"CREATE TABLE news_item ("
	"  id INTEGER PRIMARY KEY, source TEXT NOT NULL, item_key TEXT NOT NULL,"
	"  fetch_id INTEGER REFERENCES fetch(id), line INTEGER, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,"
	"  title TEXT, url TEXT, published TEXT,"     /* published: YYYY-MM-DD when the date reads, else NULL */
	"  snippet TEXT, categories TEXT,"            /* the item's summary as plain text; its tags */
	"  UNIQUE(source, item_key));"
	"CREATE TABLE mention ("                      /* replaced by each dedupe run */
	"  item_id INTEGER NOT NULL REFERENCES news_item(id), record_id INTEGER NOT NULL REFERENCES record(id),"
	"  name TEXT NOT NULL,"                       /* the startup's name as matched */
	"  rule TEXT NOT NULL,"                       /* name | name+domain | name+category | name+other name */
	"  run_id INTEGER, PRIMARY KEY (item_id, record_id));"
	"CREATE INDEX mention_record ON mention(record_id);"
	/* each mention where it lands now: the live entity holding the anchor record; year = the
	 * item's publication year, else the year the item was first seen */
	"CREATE VIEW entity_mention AS SELECT m.entity_id AS entity_id, n.id AS item_id,"
	"  CAST(substr(COALESCE(n.published, n.first_seen), 1, 4) AS INTEGER) AS year,"
	"  n.title AS title, n.url AS url, n.published AS published, n.source AS source, x.name AS name, x.rule AS rule"
	"  FROM mention x JOIN news_item n ON n.id = x.item_id JOIN member m ON m.record_id = x.record_id"
	"  JOIN entity e ON e.id = m.entity_id WHERE e.merged_into IS NULL;"
	/* per live entity and year: how many distinct news items mention it */
	"CREATE VIEW entity_mentions AS SELECT entity_id, year, count(DISTINCT item_id) AS n"
	"  FROM entity_mention GROUP BY entity_id, year;",

	/* version 9: aliases in dedupe (pipeline/dedupe.h, rule previous_name). candidate_alias holds
	 * one row per previous or other name of a candidate (record.other_names), written by the
	 * normalise stage: the name as given, its match key, and kind 'previous' (Companies House
	 * PreviousName_*) or 'other' (SIRENE sigle and usual names, GLEIF other names, mapped
	 * columns). member.reason says in words why a member is there when the rule alone does not
	 * (the alias that matched, a rename). hub_key: the largest hub keys of the last dedupe run (postcodes
	 * shared by more distinct names than [dedupe] postcode_cap), for `sparker status`. */
	"CREATE TABLE candidate_alias ("
	"  record_id INTEGER NOT NULL REFERENCES record(id), name TEXT NOT NULL, name_key TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('previous','other')));"
	"CREATE INDEX candidate_alias_record ON candidate_alias(record_id);"
	"ALTER TABLE member ADD COLUMN reason TEXT;"
	"CREATE TABLE hub_key ("
	"  kind TEXT NOT NULL, key TEXT NOT NULL, names INTEGER NOT NULL, run_id INTEGER,"
	"  PRIMARY KEY (kind, key));"
	/* redirect: where each website's home page ends after redirects ([dedupe] resolve_redirects,
	 * pipeline/redirect.c), a cache kept for [dedupe] redirect_ttl_days: final_domain is the
	 * registrable domain of the final URL (NULL: no answer), status the last HTTP status or 0. */
	"CREATE TABLE redirect ("
	"  domain TEXT PRIMARY KEY, final_domain TEXT, status INTEGER NOT NULL, checked_at TEXT NOT NULL);",

	/* version 10: where a judgement was made (pipeline/hub.h): the analyst's hub (`--hub`,
	 * SPARKER_HUB, `[sparker] hub`), NULL when hubs are off and for every judgement made before.
	 * judgement_active is made again so that it lists the new column on every backend (a view's
	 * `j.*` may be expanded when it is created). */
	"ALTER TABLE judgement ADD COLUMN hub TEXT;"
	"DROP VIEW judgement_active;"
	"CREATE VIEW judgement_active AS SELECT j.* FROM judgement j WHERE j.kind <> 'remove'"
	"  AND NOT EXISTS (SELECT 1 FROM judgement x WHERE x.kind = 'remove' AND x.target = j.id);",

	/* version 11: views for analysts who query the database directly (README "Querying the
	 * database"), so that nobody has to know that merged entities, entities without records and
	 * gone records stay in the tables. Portable SQL (they build on SQLite and PostgreSQL); read
	 * only, derived from the tables at each query.
	 * startups: the live startups (entity_live) with cohort, score, domains and selection;
	 * qualified_startups: the qualified list of each year (year = the cohort; the rows of
	 * `sparker export qualified --year Y` and the report's); record_startup: every source record
	 * and the startup holding it now (a gone or out-of-scope record: the startup it was last in,
	 * followed one merge on), member = 1 when it counts now; source_health: per source seen by a
	 * fetch, the last fetch, the last good one, the failure streak, the gate's hold, the live and
	 * gone records and the rejects. */
	"CREATE VIEW startups AS SELECT e.id AS entity_id, e.name AS name, e.country AS country, e.city AS city,"
	"  e.founded AS founded, e.website AS website, e.first_seen AS first_seen, e.cohort AS cohort,"
	"  e.nsources AS nsources, sc.score AS score, sc.domains AS domains, sc.evidence AS evidence,"
	"  COALESCE(s.qualified, 0) AS qualified, s.rank AS selection_rank, s.why AS selection_why"
	"  FROM entity_live e LEFT JOIN score sc ON sc.entity_id = e.id LEFT JOIN selection s ON s.entity_id = e.id;"
	"CREATE VIEW qualified_startups AS SELECT s.cohort AS year, s.rank AS selection_rank, e.id AS entity_id,"
	"  e.name AS name, e.country AS country, e.founded AS founded, e.website AS website, sc.score AS score,"
	"  sc.domains AS domains, sc.reasons AS reasons"
	"  FROM selection s JOIN entity e ON e.id = s.entity_id LEFT JOIN score sc ON sc.entity_id = e.id"
	"  WHERE s.qualified = 1;"
	"CREATE VIEW record_startup AS SELECT r.id AS record_id, r.source AS source, r.source_key AS source_key,"
	"  r.name AS record_name, r.first_seen AS first_seen, r.last_seen AS last_seen, r.gone AS gone,"
	"  r.out_of_scope AS out_of_scope,"
	"  COALESCE(m.entity_id, e.merged_into, re.entity_id) AS entity_id,"
	"  CASE WHEN m.record_id IS NULL THEN 0 ELSE 1 END AS member"
	"  FROM record r LEFT JOIN member m ON m.record_id = r.id LEFT JOIN record_entity re ON re.record_id = r.id"
	"  LEFT JOIN entity e ON e.id = re.entity_id;"
	"CREATE VIEW source_health AS SELECT x.source AS source,"
	"  (SELECT f.fetched_at FROM fetch f WHERE f.source = x.source ORDER BY f.id DESC LIMIT 1) AS last_fetch_at,"
	"  (SELECT f.status FROM fetch f WHERE f.source = x.source ORDER BY f.id DESC LIMIT 1) AS last_fetch_status,"
	"  ss.last_good_at AS last_good_at, COALESCE(ss.consecutive_failures, 0) AS consecutive_failures,"
	"  ss.last_error AS last_error, gh.gate AS held_by_gate, gh.message AS held_message,"
	"  (SELECT count(*) FROM record r WHERE r.source = x.source AND r.gone = 0 AND r.out_of_scope IS NULL) AS live_records,"
	"  (SELECT count(*) FROM record r WHERE r.source = x.source AND r.gone <> 0) AS gone_records,"
	"  (SELECT count(*) FROM reject rj WHERE rj.source = x.source) AS rejected_rows"
	"  FROM (SELECT DISTINCT source FROM fetch) x LEFT JOIN source_state ss ON ss.source = x.source"
	"  LEFT JOIN gate_hold gh ON gh.source = x.source;",

	/* version 12: a history that can be replayed (pipeline/history.h, reports/edition.h).
	 * selection_hist: per entity, each version of what the score stage says of it (score,
	 * domains; cohort, qualified of its selection, rank and why when qualified; gone = 1: no longer scored nor
	 * selected), appended by the score stage in its transaction only when it differs from the
	 * entity's newest row; the state as of run N is, per entity, its newest row with run_id <= N.
	 * A database upgraded to 12 gets its current state as the first version, under the newest run.
	 * run.judgement_upto: the newest judgement id when the run started (its judgements are those
	 * with id <= it). report_edition: every report written, with the inputs it was rendered from
	 * (JSON: the figures, the audit estimate, the written time, the config-derived values
	 * printed), so that `report --as-of-run N` renders the same bytes again. Both append-only. */
	"CREATE TABLE selection_hist ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, entity_id INTEGER NOT NULL,"
	"  gone INTEGER NOT NULL DEFAULT 0,"
	"  score REAL, domains TEXT, cohort INTEGER, qualified INTEGER, rank INTEGER, why TEXT);"
	"CREATE INDEX selection_hist_entity ON selection_hist(entity_id, id);"
	"CREATE INDEX selection_hist_run ON selection_hist(run_id);"
	"CREATE TRIGGER selection_hist_no_update BEFORE UPDATE ON selection_hist"
	"  BEGIN SELECT RAISE(ABORT, 'selection_hist is append-only'); END;"
	"CREATE TRIGGER selection_hist_no_delete BEFORE DELETE ON selection_hist"
	"  BEGIN SELECT RAISE(ABORT, 'selection_hist is append-only'); END;"
	"INSERT INTO selection_hist (run_id, entity_id, gone, score, domains, cohort, qualified, rank, why)"
	"  SELECT (SELECT COALESCE(max(r.id), 0) FROM run r), k.entity_id, 0, sc.score, sc.domains, s.cohort,"
	"  s.qualified, CASE WHEN s.qualified = 1 THEN s.rank END, CASE WHEN s.qualified = 1 THEN s.why END"
	"  FROM (SELECT entity_id FROM score UNION SELECT entity_id FROM selection) k"
	"  LEFT JOIN score sc ON sc.entity_id = k.entity_id LEFT JOIN selection s ON s.entity_id = k.entity_id"
	"  ORDER BY k.entity_id;"
	"ALTER TABLE run ADD COLUMN judgement_upto INTEGER;"
	"CREATE TABLE report_edition ("
	"  id INTEGER PRIMARY KEY, year INTEGER NOT NULL, as_of_run INTEGER NOT NULL, run_id INTEGER,"
	"  created TEXT NOT NULL, path TEXT, csv_path TEXT, pdf_sha256 TEXT NOT NULL, csv_sha256 TEXT NOT NULL,"
	"  inputs TEXT NOT NULL);"
	"CREATE INDEX report_edition_year ON report_edition(year, as_of_run);"
	"CREATE TRIGGER report_edition_no_update BEFORE UPDATE ON report_edition"
	"  BEGIN SELECT RAISE(ABORT, 'report editions are append-only'); END;"
	"CREATE TRIGGER report_edition_no_delete BEFORE DELETE ON report_edition"
	"  BEGIN SELECT RAISE(ABORT, 'report editions are append-only'); END;"
	/* the inbox's applied entries are found by origin (pipeline/inbox.c: 'ORIGIN inbox:TOKEN') */
	"CREATE INDEX judgement_origin ON judgement(origin);",
};

const int sp_schema_version = (int)(sizeof(sp_schema_migrations) / sizeof(sp_schema_migrations[0]));
