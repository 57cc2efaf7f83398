#!/usr/bin/env bash
# test_gleif_delta.sh — mode = delta on a GLEIF source: a full golden copy, then LastDay deltas
# applied on top of it. A delta changes exactly the LEIs it lists (the record table before and
# after differs in those rows only); a retired LEI stays, inactive, in its entity with the pin
# an analyst made on it; two deltas fetched before one parse are both applied, in order; a
# delta is not held by min_rows. Then the real GLEIF intra-day JSON delta of
# ../shared/data/real/gleif (format = json, preset = gleif) on a small base: only its LEIs change.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI absent"
FX=$ROOT/tests/fixtures/gleif
cd "$T"
DB=$(test_db db.sqlite)
q() { sql "$DB" "$1"; }
config() { # URL
  printf '[sparker]\ndatabase = %s\nraw_dir = raw\nreport_dir = reports\n\n[source lei]\nformat = gleif\nmode = delta\nmin_rows = 5\nmax_gone_pct = 50\nurl = %s\n' "$DB" "$1" > sparker.ini
}
run() { # AS_OF STAGES...
  local d=$1; shift
  $SP -c sparker.ini run --from "$1" --to "$2" --as-of "$d" > run.out 2>&1 || { cat run.out; die "run $* failed"; }
}
dump() { q "SELECT * FROM record ORDER BY source_key" > "$1"; }
lei_entity() { q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source_key = '$1'"; }

config "$FX/full.xml"
$SP -c sparker.ini init >/dev/null
run 2026-01-10 fetch dedupe
assert_eq "$(q "SELECT count(*) FROM record")" 6 "full file"
R=$(lei_entity 213800RETIRES0000004)
$SP -c sparker.ini --user t pin "$R" in >/dev/null || die "pin failed"
dump before.txt

# day 2: the LastDay delta (one moved, one retired, one lapsed, one new)
config "$FX/delta1.xml"
run 2026-01-11 fetch dedupe
dump after.txt
q "SELECT message FROM stage_run WHERE stage = 'parse' ORDER BY id DESC LIMIT 1" | grep -q "delta applied on the last snapshot: 4 records listed, 1 of them new" \
  || die "parse note: $(q "SELECT message FROM stage_run WHERE stage = 'parse' ORDER BY id DESC LIMIT 1")"
listed='969500CHARGEO0000002|213800RETIRES0000004|529900LAPSEDS0000005|969500NEWCOME0000007'
# every row the delta does not list is byte for byte the same
diff <(grep -Ev "$listed" before.txt) <(grep -Ev "$listed" after.txt) > unlisted.diff || die "a row the delta does not list changed: $(cat unlisted.diff)"
# every row it lists changed (or is new)
for k in ${listed//|/ }; do
  if grep -q "$k" before.txt && [ "$(grep "$k" before.txt)" = "$(grep "$k" after.txt)" ]; then die "$k is listed but unchanged"; fi
done
assert_eq "$(wc -l < after.txt)" 7 "rows after the delta: six + one new"
assert_eq "$(q "SELECT count(*) FROM record WHERE gone = 1")" 0 "a delta marks nothing gone"
assert_eq "$(q "SELECT city FROM record WHERE source_key = '969500CHARGEO0000002'")" Grenoble "moved"
assert_eq "$(q "SELECT status FROM record WHERE source_key = '213800RETIRES0000004'")" "INACTIVE (RETIRED)" "retired"
assert_eq "$(q "SELECT status FROM record WHERE source_key = '529900LAPSEDS0000005'")" "ACTIVE (LAPSED)" "lapsed"
assert_eq "$(q "SELECT c.active FROM candidate c JOIN record r ON r.id = c.record_id WHERE r.source_key = '213800RETIRES0000004'")" 0 "retired: inactive"
assert_eq "$(q "SELECT c.active FROM candidate c JOIN record r ON r.id = c.record_id WHERE r.source_key = '529900LAPSEDS0000005'")" 1 "lapsed: still active"
# the retired startup keeps its entity and the analyst's pin
assert_eq "$(lei_entity 213800RETIRES0000004)" "$R" "retired LEI's entity"
assert_eq "$(q "SELECT p.entity_id FROM judgement_place p JOIN judgement j ON j.id = p.judgement_id WHERE j.kind = 'pin' AND p.carries = 1")" "$R" "pin placed"

# days 3 and 4 fetched, parsed in one go: both deltas applied, in order
config "$FX/delta2.xml"
run 2026-01-12 fetch fetch
config "$FX/delta3.xml"
run 2026-01-13 fetch fetch
dump before3.txt
run 2026-01-13 parse parse
dump after3.txt
assert_eq "$(q "SELECT name FROM record WHERE source_key = '213800FLEETLY0000003'")" "Fleetly Group Ltd" "the first of two deltas applied"
assert_eq "$(q "SELECT city FROM record WHERE source_key = '969500NEWCOME0000008'")" Roubaix "the second applied after it"
assert_eq "$(q "SELECT count(*) FROM record")" 8 "rows"
diff <(grep -Ev '213800FLEETLY0000003|969500NEWCOME0000008' before3.txt) <(grep -Ev '213800FLEETLY0000003|969500NEWCOME0000008' after3.txt) >/dev/null \
  || die "two deltas changed rows they do not list"
assert_eq "$(q "SELECT parsed_fetch FROM source_state WHERE source = 'lei'")" "$(q "SELECT max(id) FROM \"fetch\" WHERE source = 'lei'")" "parsed up to the last fetch"

# a delta whose every row is rejected is held; accept applies that one file and succeeds
sed -e 's|<LegalName>Second Newcomer SAS</LegalName>||' -e 's/2026-01-13/2026-01-14/' "$FX/delta3.xml" > bad.xml
config "$T/bad.xml"
rc=0; $SP -c sparker.ini run --from fetch --to parse --as-of 2026-01-14 > held.out 2>&1 || rc=$?
assert_eq "$rc" 4 "a delta of rejects is held (exit 4)"
$SP -c sparker.ini accept lei > accept.out 2>&1 || die "accept of a held delta failed: $(cat accept.out)"
assert_eq "$(q "SELECT parsed_fetch FROM source_state WHERE source = 'lei'")" "$(q "SELECT max(id) FROM \"fetch\" WHERE source = 'lei'")" "accepted"

# a full file again in mode = delta is a snapshot: what it lacks is gone
cp "$FX/full.xml" full2.xml; sed -i 's/2026-01-10/2026-01-15/' full2.xml; config "$T/full2.xml"
run 2026-01-15 fetch parse
assert_eq "$(q "SELECT source_key FROM record WHERE gone = 1 ORDER BY 1" | paste -sd,)" "969500NEWCOME0000007,969500NEWCOME0000008" "full file: the LEIs it lacks are gone"

# mode = delta is refused for a format without delta files
printf '[sparker]\ndatabase = x.db\n[source c]\nformat = companies_house\nmode = delta\nurl = x.csv\n' > bad.ini
$SP -c bad.ini check > bad.out 2>&1 && die "mode = delta accepted for companies_house"
grep -q "mode = delta: format companies_house has no delta files" bad.out || die "message: $(cat bad.out)"
echo "PASS: fixtures"

# ---- the real GLEIF intra-day delta (JSON rendering, LEI-CDF 3.1) ----
REAL=$(shared_data)
J=$REAL/gleif/20240505-0000-gleif-goldencopy-lei2-intra-day.json
[ -f "$J" ] || skip "$J absent"
test_db_reset "$DB"; rm -rf raw
# a base: two of the delta's LEIs with old names, and two LEIs it does not list
python3 - "$J" base.json <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))["records"]
base = []
for r in recs[:2]:
    r = json.loads(json.dumps(r)); r["Entity"]["LegalName"]["$"] = "OLD NAME " + r["LEI"]["$"]; base.append(r)
for i in range(2):
    r = json.loads(json.dumps(recs[5])); r["LEI"]["$"] = "UNLISTED%012d" % i; r["Entity"]["LegalName"]["$"] = "Unlisted %d" % i
    base.append(r)
json.dump({"records": base}, open(sys.argv[2], "w"))
PY
n=$(python3 -c 'import json,sys; print(len({r["LEI"]["$"] for r in json.load(open(sys.argv[1]))["records"]}))' "$J")
printf '[sparker]\ndatabase = %s\nraw_dir = raw\nreport_dir = reports\n\n[source lei]\nformat = json\npreset = gleif\nmode = delta\nurl = %s\n' "$DB" "$T/base.json" > sparker.ini
$SP -c sparker.ini init >/dev/null
run 2024-05-04 fetch parse
dump base.txt
printf '[sparker]\ndatabase = %s\nraw_dir = raw\nreport_dir = reports\n\n[source lei]\nformat = json\npreset = gleif\nmode = delta\nurl = %s\n' "$DB" "$J" > sparker.ini
start=$(date +%s.%N)
run 2024-05-05 fetch parse
secs=$(echo "$(date +%s.%N) - $start" | bc)
dump real.txt
assert_eq "$(q "SELECT count(*) FROM record")" $((n + 2)) "records: the delta's $n LEIs and the two it does not list"
diff <(grep UNLISTED base.txt) <(grep UNLISTED real.txt) >/dev/null || die "a LEI the real delta does not list changed"
assert_eq "$(q "SELECT count(*) FROM record WHERE name LIKE 'OLD NAME%'")" 0 "the listed LEIs took the delta's names"
assert_eq "$(q "SELECT count(*) FROM record WHERE gone = 1")" 0 "nothing gone"
echo "MEASURE: gleif real intra-day delta: $n LEIs applied on a base of 4 (2 listed), 2 unlisted untouched, ${secs}s"
