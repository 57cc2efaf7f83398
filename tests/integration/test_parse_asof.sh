#!/usr/bin/env bash
# test_parse_asof.sh — parse reads the snapshot current at the run's logical date: after a
# snapshot fetched on 2025-01-10 and a changed one on 2025-02-10, a backfill of 2025-01-15 parses
# the January file (the row deleted in February is live again), and a nightly run parses February's.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
cd "$T"
DB=$(test_db db.sqlite)
cat > s.ini <<EOF2
[sparker]
database = $DB
raw_dir = raw
; February's snapshot drops one of two records (50 %) on purpose: the gone gate is off here
max_gone_pct = 100

[source cb]
format = csv
preset = crunchbase
url = $T/cb.csv

[job nightly]
stages = fetch parse
EOF2
q() { sql "$DB" "$1"; }
hdr='uuid,name,homepage_url,domain,country_code,city,category_list,short_description,founded_on,status'
printf '%s\n%s\n%s\n' "$hdr" 'u1,Alpha Motors,https://alpha.example,,FRA,Paris,EV,,2020-01-01,operating' \
  'u2,Beta Charge,https://beta.example,,DEU,Berlin,EV,,2021-01-01,operating' > cb.csv
"$SP" -c s.ini run --as-of 2025-01-10 || die "January run failed"
printf '%s\n%s\n' "$hdr" 'u1,Alpha Motors,https://alpha.example,,FRA,Paris,EV,,2020-01-01,operating' > cb.csv
"$SP" -c s.ini run --as-of 2025-02-10 || die "February run failed"
assert_eq "$(q "SELECT source_key||'='||gone FROM record ORDER BY source_key" | paste -sd' ')" \
  "u1=0 u2=1" "after February's snapshot u2 is gone"
"$SP" -c s.ini run --backfill 2025-01-15..2025-01-15 --stage parse || die "backfill failed"
assert_eq "$(q "SELECT source_key||'='||gone FROM record ORDER BY source_key" | paste -sd' ')" \
  "u1=0 u2=0" "a backfill of 2025-01-15 parses January's snapshot"
jan=$(q "SELECT f.id FROM \"fetch\" f JOIN run r ON r.id=f.run_id WHERE r.as_of='2025-01-10' AND f.status='new'")
assert_eq "$(q "SELECT parsed_fetch FROM source_state WHERE source='cb'")" "$jan" "parsed_fetch is January's"
"$SP" -c s.ini run --as-of 2025-02-11 --stage parse > byhand.out || die "rerun failed"
grep -q '^parse cb: ' byhand.out || die "a run by hand prints each stage's outcome: $(cat byhand.out)"
"$SP" -c s.ini run --as-of 2025-02-12 > job.out || die "nightly failed"
[ ! -s job.out ] || die "a job run must be silent on success: $(cat job.out)"
assert_eq "$(q "SELECT source_key||'='||gone FROM record ORDER BY source_key" | paste -sd' ')" \
  "u1=0 u2=1" "a run as of February parses February's snapshot again"
echo "INFO: parse picks the snapshot current at the logical date"
