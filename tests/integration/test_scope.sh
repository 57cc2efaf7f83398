#!/usr/bin/env bash
# test_scope.sh — scope follows the configuration (connectors/scope.h, issue 15): a filter
# tightened marks the stored records it now excludes out of scope (kept, with the reason, never
# gone), and entities and the selection follow; fixing the filter brings them back to the same
# entity ids; a startup ageing out of filter.max_age_years leaves when the run date moves, with
# the snapshot unchanged; a record missing from the snapshot is gone, not out of scope.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to write the source file"
command -v sqlite3 >/dev/null || skip "sqlite3 is needed to read the database"
cd "$T"
mkdir -p src
# 20 young active startups, 5 dissolved, 4 founded in 2005, 1 founded 2015-09-01 (ages out of a
# 10-year window between as-of 2025-07-01 and 2025-10-01)
python3 - <<'PY'
rows = []
for i in range(20):
    rows.append(("y%d" % i, "Voltaro%s Mobility" % chr(65 + i), "GB", "2021-03-01", "active"))
for i in range(5):
    rows.append(("d%d" % i, "Closedco%s Drive" % chr(65 + i), "GB", "2022-01-01", "dissolved"))
for i in range(4):
    rows.append(("o%d" % i, "Oldie%s Parts" % chr(65 + i), "GB", "2005-05-05", "active"))
rows.append(("edge", "Edgecase Charging", "GB", "2015-09-01", "active"))
with open("src/reg.csv", "w") as f:
    f.write("id,name,country,founded,status,description\n")
    for k, n, c, d, s in rows:
        f.write('%s,%s,%s,%s,%s,"electric vehicle charging and battery software for fleets"\n' % (k, n, c, d, s))
PY
DB=$(test_db db/sparker.db)
config() { # EXTRA filter lines
  cat > sparker.ini <<INI
[sparker]
database = $DB
raw_dir = raw
report_dir = reports

[source reg]
format = csv
url = src/reg.csv
mode = snapshot
map.key = id
map.name = name
map.country = country
map.founded = founded
map.status = status
map.description = description
$1

[job nightly]
stages = fetch parse normalise dedupe score

[taxonomy electrification]
keywords = charging:2 battery:2 electric vehicle:2
INI
}
q() { sql "$DB" "$1"; }
night() { # AS_OF
  "$SP" -c sparker.ini run --job nightly --as-of "$1" >"$T/run.log" 2>&1 || die "nightly $1 failed: $(tail -3 "$T/run.log")"
}
parse_note() { q "SELECT message FROM stage_run WHERE stage = 'parse' ORDER BY id DESC LIMIT 1"; }
ents() { q "SELECT r.source_key || '=' || m.entity_id FROM member m JOIN record r ON r.id = m.record_id ORDER BY 1"; }

config ""
"$SP" -c sparker.ini init >/dev/null || die "init failed"
night 2025-06-30
assert_eq "$(q "SELECT count(*) FROM candidate")" 30 "night 1: every record is a candidate"
BASE=$(ents)
D0=$(q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source_key = 'd0'")
"$SP" -c sparker.ini decide "$D0" declined --date 2025-06-30 >/dev/null || die "decide failed"

# 1. a filter added: the same snapshot is parsed again; dissolved records leave the scope
config "filter.active = yes"
night 2025-07-01
case "$(parse_note)" in *"parsed again: the filter settings changed"*) ;; *) die "parse note: $(parse_note)" ;; esac
assert_eq "$(q "SELECT count(*) FROM record WHERE out_of_scope = 'inactive status (filter.active)'")" 5 "dissolved records out of scope, with the reason"
assert_eq "$(q "SELECT count(*) FROM record WHERE gone = 1")" 0 "out of scope is not gone"
assert_eq "$(q "SELECT count(*) FROM record")" 30 "nothing deleted"
assert_eq "$(q "SELECT count(*) FROM candidate")" 25 "candidates follow the scope"
assert_eq "$(q "SELECT nsources FROM entity WHERE id = $D0")" 0 "the dissolved startup's entity has no records now"
assert_eq "$(q "SELECT count(*) FROM selection WHERE entity_id = $D0")" 0 "nor a place in the selection"
case "$(parse_note)" in *"leaving the scope 5, returning 0"*) ;; *) die "parse note: $(parse_note)" ;; esac

# 2. the filter fixed: they come back, to the same entities
config ""
night 2025-07-02
assert_eq "$(q "SELECT count(*) FROM record WHERE out_of_scope IS NOT NULL")" 0 "filter removed: every record back in scope"
assert_eq "$(ents)" "$BASE" "records back in scope return to their entity ids"
assert_eq "$(q "SELECT p.entity_id FROM judgement_place p WHERE p.carries = 1")" "$D0" "the decision is on its startup again"

# 3. ageing out: a 10-year window; the 2005 records leave at once, the 2015-09-01 one when the
#    run date passes 2025-09-01, without a new snapshot
config "filter.max_age_years = 10"
night 2025-07-01
assert_eq "$(q "SELECT count(*) FROM record WHERE out_of_scope = 'founded too long ago (filter.max_age_years)'")" 4 "old records out of scope"
assert_eq "$(q "SELECT count(*) FROM record WHERE source_key = 'edge' AND out_of_scope IS NULL")" 1 "2015-09-01 is inside the window on 2025-07-01"
night 2025-10-01
case "$(parse_note)" in *"unchanged since last parse"*"scope: 1 left, 0 returned"*) ;; *) die "ageing out: parse note $(parse_note)" ;; esac
assert_eq "$(q "SELECT out_of_scope FROM record WHERE source_key = 'edge'")" "founded too long ago (filter.max_age_years)" "aged out as the run date moved"
assert_eq "$(q "SELECT count(*) FROM candidate")" 25 "candidates follow the ageing"

# 4. a record missing from the snapshot is gone; one out of scope stays out of scope, not gone
python3 - <<'PY'
lines = open("src/reg.csv").read().splitlines(True)
open("src/reg.csv", "w").writelines(l for l in lines if not l.startswith("y0,"))
PY
night 2025-10-02
assert_eq "$(q "SELECT gone FROM record WHERE source_key = 'y0'")" 1 "a record missing from the snapshot is gone"
assert_eq "$(q "SELECT count(*) FROM record WHERE gone = 1")" 1 "out-of-scope records still in the file are not gone"
assert_eq "$(q "SELECT count(*) FROM record WHERE out_of_scope IS NOT NULL AND gone = 0")" 5 "they stay out of scope"
echo "INFO: scope: filter added (5 left), fixed (back, same ids), ageing out with an unchanged snapshot, gone vs out of scope"
