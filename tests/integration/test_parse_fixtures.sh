#!/usr/bin/env bash
# test_parse_fixtures.sh — `run --from fetch --to parse` on the hand-made CSV fixtures (plain, zip
# and gzip): record/reject counts, reject reasons and lines, the second night (nothing new: parse
# does nothing), a changed snapshot (gone), and the pushdown filter.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/parse
cd "$T"
cp "$FX/ch_edge.csv" ch.csv
(cd "$T" && zip -q ch.zip ch.csv)
gzip -c "$FX/sirene_edge.csv" > sirene.csv.gz
DB=$(test_db db.sqlite)
cat > s.ini <<EOF2
[sparker]
database = $DB
raw_dir = raw
; the fixtures are edge cases, a third of their rows rejected on purpose, and the changed
; snapshot drops one of four records (25 %) on purpose: the reject and gone gates are off here
max_reject_pct = 100
max_gone_pct = 100

[source ch]
format = companies_house
url = $T/ch.zip

[source fr]
format = sirene
url = $T/sirene.csv.gz

[source cb]
format = csv
preset = crunchbase
encoding = MACINTOSH
url = $FX/crunchbase_mac.csv

[source chf]
format = companies_house
url = $T/ch.csv
filter.active = yes
filter.max_age_years = 10
filter.code_prefixes = 62 29 45.2

[job nightly]
stages = fetch parse
EOF2
q() { sql "$DB" "$1"; }
"$SP" -c s.ini run --from fetch --to parse --as-of 2025-12-31 > run1.log 2>&1 || { cat run1.log; die "first run failed"; }
assert_eq "$(q "SELECT rows_in||'/'||rows_out||'/'||rows_rejected FROM stage_run WHERE stage='parse' AND source='ch'")" "8/5/3" "ch counts"
assert_eq "$(q "SELECT count(*) FROM record WHERE source='ch'")" "4" "ch distinct records"
assert_eq "$(q "SELECT reason||'@'||line FROM reject WHERE source='ch' ORDER BY line" | paste -sd' ')" \
  "missing name@5 missing key@6 bad column count@7" "ch rejects"
assert_eq "$(q "SELECT rows_in||'/'||rows_out||'/'||rows_rejected FROM stage_run WHERE stage='parse' AND source='fr'")" "5/4/1" "sirene counts"
assert_eq "$(q "SELECT name FROM record WHERE source='fr' AND source_key='000325175'")" "THIERRY JANOYER" "sole trader name"
assert_eq "$(q "SELECT rows_in||'/'||rows_out||'/'||rows_rejected FROM stage_run WHERE stage='parse' AND source='cb'")" "4/3/1" "crunchbase counts"
assert_eq "$(q "SELECT name FROM record WHERE source='cb' AND source_key='/company/qualtre'")" "Qualtré" "Mac Roman"
assert_eq "$(q "SELECT rows_read||'/'||rows_out_of_scope||'/'||rows_stored FROM parse_stat WHERE source='chf'")" "8/1/4" "filter"
echo "INFO: fixtures: ch 8 read/5 stored/3 rejected; sirene 5/4/1; crunchbase(mac) 4/3/1; filtered ch 1 out of scope"

# second night (the cron job, not forced), nothing changed upstream: parse has nothing to do
"$SP" -c s.ini run --job nightly --as-of 2026-01-01 > run2.log 2>&1 || { cat run2.log; die "second run failed"; }
run2=$(q "SELECT max(run_id) FROM stage_run")
assert_eq "$(q "SELECT count(*) FROM stage_run WHERE run_id=$run2 AND stage='parse' AND rows_in > 0")" "0" "nothing reparsed"
assert_eq "$(q "SELECT count(*) FROM reject WHERE source='ch'")" "3" "rejects not doubled"

# a new snapshot without one company: it is marked gone, first_seen kept
grep -v '"AUTO REPAIR LTD"' "$FX/ch_edge.csv" > ch.csv
rm ch.zip && zip -q ch.zip ch.csv
"$SP" -c s.ini run --from fetch --to parse --source ch --as-of 2026-01-02 > run3.log 2>&1 || { cat run3.log; die "third run failed"; }
assert_eq "$(q "SELECT gone FROM record WHERE source='ch' AND source_key='00000007'")" "1" "gone"
assert_eq "$(q "SELECT gone||' '||first_seen||' '||last_seen FROM record WHERE source='ch' AND source_key='12345678'")" \
  "0 2025-12-31 2026-01-02" "kept record"
echo "ok"
