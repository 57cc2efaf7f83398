#!/usr/bin/env bash
# test_score_select.sh — score stage, band selection, explain, pin, diff-selection, decide,
# decisions import/list, on a tiny hand-built database (entity/member/record/candidate rows
# inserted directly, so this test does not depend on the earlier stages).
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to build the fixture database"

cd "$T"
DB=$(test_db db.sqlite)
printf '[sparker]\ndatabase = %s\nraw_dir = raw\nreport_dir = reports\n' "$DB" > sparker.ini  # the built-in thesis
$SP -c sparker.ini init >/dev/null

# Cohort 2025: 60 entities. 1 = strong (two sources), 2-5 = clear, 6-8 = a tie group, 9-12 = weak,
# 13-60 = irrelevant (with traps: "every", "revolution", a radiology "diagnostics" startup).
# Cohort 2024: 10 entities, one relevant.
python3 - "$DB" <<'PY'
import dbq, sys
db = dbq.connect(sys.argv[1])
rid = [0]
def ent(eid, name, cohort, recs, active=1):
    db.execute("INSERT INTO entity(id,name,country,first_seen,cohort,active,nsources) VALUES (?,?,?,?,?,?,?)",
               (eid, name, "FR", "%d-03-01" % cohort, cohort, active, len({r[0] for r in recs})))
    for (src, desc, cats, nace) in recs:
        rid[0] += 1
        key = "k%d" % rid[0]
        db.execute("INSERT INTO record(id,source,source_key,first_seen,last_seen,name,description,categories) VALUES (?,?,?,?,?,?,?,?)",
                   (rid[0], src, key, "2025-03-01", "2025-03-01", name, desc, cats))
        db.execute("INSERT INTO candidate(record_id,source,name,nace,active,founded_year,first_seen) VALUES (?,?,?,?,?,?,?)",
                   (rid[0], src, name, nace, active, 2022, "2025-03-01"))
        db.execute("INSERT INTO member(record_id,entity_id,rule) VALUES (?,?,?)", (rid[0], eid, "new"))
ent(1, "Voltiq Énergie", 2025, [("cb", "Voltiq développe des bornes de recharge pour véhicules électriques.", "Electric Vehicle,Charging Infrastructure", None),
                               ("ch", None, None, "27.90;29.31")])
clear = ["smart charging software for charge point operators", "telematics units for connected cars and V2X modules",
         "a network of mobile mechanics for car repair", "online distribution of aftermarket car parts"]
for i, d in enumerate(clear):
    ent(2 + i, "Clear%d" % i, 2025, [("cb", d + (" and more" * i), "Automotive", None)])
# make 2..5 distinct: add increasing evidence
for i in range(3):
    ent(6 + i, "Tied%d" % i, 2025, [("cb", "fleet management software for corporate vehicles", "Fleet Management", None)])
for i in range(4):
    ent(9 + i, "Weak%d" % i, 2025, [("cb", "we help drivers" + " of cars" * (i % 2), "Automotive" if i < 2 else "", None)])
traps = ["Every day we bake bread", "A revolution in yoga", "AI diagnostics for radiology patients",
         "plant-based ready meals", "craft beer brewing", "Everest evening events"]
for i in range(48):
    ent(13 + i, "Other%d" % i, 2025, [("cb", traps[i % len(traps)], "Food and Beverage", None)])
ent(101, "Recyclo", 2024, [("cb", "recycling of end-of-life vehicles and car parts", "Recycling,Circular Economy", "38.31")])
for i in range(9):
    ent(102 + i, "Old%d" % i, 2024, [("cb", "boutique hotel booking", "Travel", None)])
ent(400, "Robo Works", 2024, [("cb", "collaborative robots for warehouses", "Robotics", None)])
ent(401, "Robo Cars", 2024, [("cb", "collaborative robots for car plants", "Robotics", None)])
db.commit()
PY

run_score() { $SP -c sparker.ini run --stage score --as-of 2025-12-31 || die "score stage failed"; }
q() { sql "$DB" "$1"; }

run_score
# evidence and reasons
assert_eq "$(q "SELECT count(*) FROM tag WHERE entity_id = 1 AND kind = 'keyword' AND evidence LIKE 'keyword \"bornes de recharge\" in description (source cb:%'")" 1 "accent-insensitive phrase evidence"
assert_eq "$(q "SELECT count(*) FROM tag WHERE entity_id = 1 AND kind = 'code'")" 2 "NACE code evidence (27.90 and 29.31)"
assert_eq "$(q "SELECT count(*) FROM tag WHERE entity_id = 1 AND kind = 'category'")" 2 "category evidence"
assert_eq "$(q "SELECT count(*) FROM score WHERE entity_id = 1 AND score > 10")" 1 "strong entity scores high"
assert_eq "$(q "SELECT count(*) FROM score WHERE entity_id = 1 AND domains LIKE 'electrification%'")" 1 "domain listed"
assert_eq "$(q "SELECT count(*) FROM score WHERE entity_id = 13 AND score = 0")" 1 "'every' is not 'ev'"
assert_eq "$(q "SELECT count(*) FROM tag WHERE entity_id IN (13,14,18,19)")" 0 "no evidence in every/revolution/Everest"
assert_eq "$(q "SELECT count(*) FROM score WHERE entity_id = 15 AND score = 0")" 1 "negative keyword cancels radiology 'diagnostics'"
assert_eq "$(q "SELECT count(*) FROM tag WHERE entity_id = 15 AND kind = 'negative'")" 2 "negatives recorded as evidence"
assert_eq "$(q "SELECT count(*) FROM score s JOIN selection x USING(entity_id) WHERE x.qualified = 1 AND (s.reasons IS NULL OR s.reasons = '')")" 0 "every qualified entity has reasons"

# the band: cohort 2025 has 60 entities -> 4.8..6 qualified; ties never split
n25=$(q "SELECT qualified FROM cohort_band WHERE cohort = 2025")
[ "$n25" -ge 5 ] && [ "$n25" -le 6 ] || die "cohort 2025 qualified $n25, expected 5..6"
assert_eq "$(q "SELECT reached FROM cohort_band WHERE cohort = 2025")" 1 "band reached"
tied=$(q "SELECT sum(qualified) FROM selection WHERE entity_id IN (6,7,8)")
[ "$tied" = 0 ] || [ "$tied" = 3 ] || die "a tie was split: $tied of 3 equal scores qualified"
assert_eq "$(q "SELECT count(DISTINCT score) FROM score WHERE entity_id IN (6,7,8)")" 1 "fixture: 6-8 are tied"
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = 1")" 1 "strongest qualifies"
assert_eq "$(q "SELECT qualified || '/' || integrated FROM cohort_band WHERE cohort = 2024")" 1/12 "cohort 2024: one of twelve"
assert_eq "$(q "SELECT count(*) FROM score WHERE entity_id = 400 AND reasons LIKE '%(no context word: x0.25)%'")" 1 "no automotive context: a quarter weight (the built-in context_factor)"
assert_eq "$(q "SELECT count(*) FROM score WHERE entity_id = 401 AND reasons LIKE '%no context word%'")" 0 "context word 'car' found"
assert_eq "$(q "SELECT CASE WHEN (SELECT score FROM score WHERE entity_id = 401) > (SELECT score FROM score WHERE entity_id = 400) THEN 1 ELSE 0 END")" 1 "context counts"
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = 101")" 1 "cohort 2024's relevant one"

# idempotent: a rerun changes nothing
before=$(q "SELECT entity_id || ':' || qualified || ':' || rank FROM selection ORDER BY entity_id" | paste -sd,)
tags=$(q "SELECT count(*) FROM tag")
run_score
assert_eq "$(q "SELECT entity_id || ':' || qualified || ':' || rank FROM selection ORDER BY entity_id" | paste -sd,)" "$before" "rerun is idempotent"
assert_eq "$(q "SELECT count(*) FROM tag")" "$tags" "tags replaced, not added"
assert_eq "$(q "SELECT message FROM stage_run WHERE stage = 'score' ORDER BY id DESC LIMIT 1" | cut -d';' -f1)" "+0 entered, -0 left" "stage note"

# explain
$SP -c sparker.ini explain 1 > explain.txt || die "explain failed"
assert_contains explain.txt "score:"
assert_contains explain.txt "QUALIFIED"
assert_contains explain.txt 'keyword "bornes de recharge" in description (source cb:k1)'
assert_contains explain.txt "code 27.90 matches NACE 27.90 (source ch:k2)"
$SP -c sparker.ini explain cb:k1 > explain2.txt || die "explain by SOURCE:KEY failed"
assert_contains explain2.txt "entity 1:"
$SP -c sparker.ini explain 99999 2>/dev/null && die "explain of a missing entity must fail"

# pins: 1 out, 60 in; they survive rescoring and count in the share
$SP -c sparker.ini pin 1 out --note "already a partner" >/dev/null || die "pin out failed"
$SP -c sparker.ini pin 60 in --note "committee asked" >/dev/null || die "pin in failed"
$SP -c sparker.ini pin 60 sideways 2>/dev/null && die "bad pin direction accepted"
run_score
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = 1")" 0 "pinned out"
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = 60")" 1 "pinned in"
assert_eq "$(q "SELECT count(*) FROM selection WHERE entity_id = 60 AND why LIKE 'pinned in by an analyst: committee asked%'")" 1 "pin reason"
assert_eq "$(q "SELECT count(*) FROM score WHERE entity_id = 60 AND reasons LIKE 'pinned in by an analyst: committee asked. not relevant%'")" 1 "pin in the score reasons"
n25=$(q "SELECT qualified FROM cohort_band WHERE cohort = 2025")
[ "$n25" -ge 5 ] && [ "$n25" -le 6 ] || die "with pins, cohort 2025 qualified $n25, expected 5..6"
note=$(q "SELECT message FROM stage_run WHERE stage = 'score' ORDER BY id DESC LIMIT 1")
case "$note" in "+1 entered, -1 left"*) ;; *) die "stage note after pins: $note" ;; esac
$SP -c sparker.ini diff-selection > diff.txt || die "diff-selection failed"
assert_contains diff.txt "entered: 1"
assert_contains diff.txt "Other47"
assert_contains diff.txt "left: 1"
assert_contains diff.txt "Voltiq Énergie"
$SP -c sparker.ini diff-selection --year 2024 > diff24.txt
assert_contains diff24.txt "entered: 0"
run_score
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = 60")" 1 "pin survives another rescoring"
$SP -c sparker.ini pin 1 clear >/dev/null || die "pin clear failed"
run_score
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = 1")" 1 "cleared pin: back in"

# a pin recorded on an entity whose record dedupe later moves into another one follows the record
q "INSERT INTO entity(id, name, cohort, nsources) VALUES (300, 'Old duplicate', 2025, 1);
   INSERT INTO record(id, source, source_key, first_seen, last_seen, name) VALUES (999, 'cb', 'dup', '2025-03-01', '2025-03-01', 'Old duplicate');
   INSERT INTO member(record_id, entity_id, rule) VALUES (999, 300, 'single')"
$SP -c sparker.ini pin 300 in --note "pinned before the merge" >/dev/null || die "pin 300 failed"
q "UPDATE member SET entity_id = 20 WHERE record_id = 999; UPDATE entity SET merged_into = 20, nsources = 0 WHERE id = 300"
run_score
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = 20")" 1 "pin follows its record through a merge"
assert_eq "$(q "SELECT count(*) FROM selection WHERE entity_id = 300")" 0 "merged entities are not selected"
$SP -c sparker.ini pin 300 clear >pc.txt 2>pc.err || die "pin clear on the merged id failed"
assert_contains pc.err "entity 300 was merged into 20; using 20"
assert_contains pc.txt "entity 20: pin cleared"
$SP -c sparker.ini pin 20 clear >pc2.txt || die "second pin clear failed"
assert_contains pc2.txt "entity 20 has no pin; nothing to clear"
run_score

# decisions
$SP -c sparker.ini decide 2 accompanied --date 2025-06-01 --note "cohort A" >/dev/null || die "decide failed"
$SP -c sparker.ini decide 99999 accompanied 2>/dev/null && die "decide on a missing entity accepted"
set +e
$SP -c sparker.ini decide 2 accompanied --date 2025-02-30 2>err.txt; rc=$?
set -e
assert_eq "$rc" 2 "impossible date is a usage error"
assert_contains err.txt "2025-02-30"
$SP -c sparker.ini decide 2 adopted 2>/dev/null && die "unknown decision accepted"
$SP -c sparker.ini decide 3 declined >/dev/null || die "decide with default date failed"
grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}' <<<"$(q "SELECT date FROM judgement_active WHERE kind = 'decision' AND entity_id = 3")" || die "default date"

cat > dec.csv <<'CSV'
entity_id,decision,date,note
4,cocreation,2025-09-15,"pilot with the brake plant, phase 1"
99999,invested,2025-10-01,no such entity
5,invested,2025-13-01,bad month
5,funded,2025-10-01,bad decision
abc,invested,2025-10-01,bad id
5,invested,2025-11-30,
CSV
set +e
$SP -c sparker.ini decisions import dec.csv >out.txt 2>err.txt; rc=$?
set -e
[ "$rc" != 0 ] || die "decisions import with bad lines must exit non-zero"
assert_contains err.txt "dec.csv:3: no entity 99999"
assert_contains err.txt "dec.csv:4: bad date '2025-13-01'"
assert_contains err.txt "dec.csv:5: unknown decision 'funded'"
assert_contains err.txt "dec.csv:6: 'abc' is neither an entity id nor a SOURCE:KEY"
assert_eq "$(q "SELECT count(*) FROM judgement_active WHERE kind = 'decision' AND entity_id IN (4,5)")" 2 "valid lines imported"
assert_eq "$(q "SELECT note FROM judgement_active WHERE kind = 'decision' AND entity_id = 4")" "pilot with the brake plant, phase 1" "quoted note"
printf 'entity_id,decision,date,note\n4,cocreation,2025-09-15,phase 2\n' > dec2.csv
$SP -c sparker.ini decisions import dec2.csv >/dev/null || die "clean import failed"
assert_eq "$(q "SELECT count(*) || ':' || max(note) FROM judgement_active WHERE kind = 'decision' AND entity_id = 4")" "1:phase 2" "reimport updates, never duplicates"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE kind = 'remove' AND note = 'superseded by a later decision'")" 1 "the replaced note stays in the history"
$SP -c sparker.ini decisions list > list.txt || die "decisions list failed"
assert_contains list.txt "cocreation"
assert_contains list.txt "Clear0"
# a decision counts as pinned in at the next scoring
$SP -c sparker.ini decide 59 accompanied --date 2025-07-01 >/dev/null
run_score
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = 59")" 1 "accompanied counts as pinned in"

# an analyst never waits for a run: on PostgreSQL the pin is recorded at once; on SQLite, while
# the run lock is held, it goes to the inbox (pipeline/inbox.h) and the next run applies it
if [ "$BACKEND" = postgresql ]; then
  sql "$DB" "SELECT pg_advisory_lock(1936747371, 1), pg_sleep(3)" >/dev/null &
  sleep 0.5
  $SP -c sparker.ini pin 7 in >/dev/null || die "pin while a run holds the PostgreSQL run lock failed"
  wait
elif command -v flock >/dev/null; then
  flock db.sqlite.lock sleep 3 &
  sleep 0.5
  set +e
  $SP -c sparker.ini pin 7 in 2>pin.err; rc=$?
  set -e
  assert_eq "$rc" 0 "pin while a run holds the lock"
  assert_contains pin.err "the next run applies it"
  assert_eq "$(sqlite3 db.sqlite.inbox "SELECT count(*) FROM pending")" 1 "the pin waits in the inbox"
  wait
  run_score
  assert_eq "$(sqlite3 db.sqlite.inbox "SELECT count(*) FROM pending")" 0 "the next run applied the inbox"
  assert_eq "$(q "SELECT count(*) FROM judgement WHERE kind = 'pin' AND origin LIKE 'cli inbox:%'")" 1 "the pin recorded once"
fi
echo "INFO: score/select/explain/pin/diff/decide ok; cohort 2025 qualified $n25 of 60"
