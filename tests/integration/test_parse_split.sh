#!/usr/bin/env bash
# test_parse_split.sh — a Companies House file parsed as two byte ranges by two threads
# (csv_reader.c; SPARKER_CSV_SPLIT_MIN lowers the 64 MiB threshold) gives exactly the records,
# lines and rejects of the one-range parse, and duplicate company numbers keep the LAST row of the
# file whichever half each copy is in (rows of the two halves reach parse.c interleaved). A third
# parse with libcsv on every row (SPARKER_CSV_TOKENIZER=libcsv) must store exactly what the fast
# tokenizer stores, and so must a fourth with parse_thread = no (no pump thread, no reader thread).
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
cd "$T"
python3 - <<'PY'
import random
random.seed(8)
rows = []
n = 30000
for i in range(n):
    rows.append(['C%07d' % i, 'Company %d "Ltd"\nsecond line' % i if i % 97 == 0 else 'Company %d' % i,
                 'Active', '01/02/20%02d' % (i % 25), '62012 - Software'])
# duplicates: A in both halves, B twice in the second half, C twice in the first half
rows[100][0] = rows[20000][0] = 'DUPA'
rows[100][1], rows[20000][1] = 'A first half', 'A second half (last)'
rows[18000][0] = rows[25000][0] = 'DUPB'
rows[18000][1], rows[25000][1] = 'B early', 'B last'
rows[200][0] = rows[300][0] = 'DUPC'
rows[200][1], rows[300][1] = 'C early', 'C last'
# E: the last copy early in range 2, the first late in range 1 (range 2's rows arrive first)
rows[16000][0] = rows[17500][0] = 'DUPE'
rows[16000][1], rows[17500][1] = 'E range 1', 'E last'
rows[29000][0] = 'DUPD'; rows[29000][1] = 'D last'   # D: last copy in range 2 ...
rows[29500] = ['DUPD', '', 'Active', '01/02/2020', '']  # ... then a rejected copy (missing name)
def q(s): return '"' + s.replace('"', '""') + '"'
with open('ch.csv', 'w', newline='') as f:
    f.write('"CompanyName"," CompanyNumber","CompanyStatus","IncorporationDate","SICCode.SicText_1"\n')
    for r in rows:
        if r[0] == 'C0000500':
            f.write('"bad","row","with","too","many","columns"\n')
            continue
        f.write(','.join(q(x) for x in [r[1], r[0], r[2], r[3], r[4]]) + '\n')
PY
[ "$(stat -c %s ch.csv)" -gt 600000 ] || die "test file too small to be cut"
for mode in one two lib inl; do
  mkdir -p $mode && test_db "$T/$mode/db.sqlite" > $mode/db.target
  cat > $mode/s.ini <<EOF2
[sparker]
database = $(cat $mode/db.target)
raw_dir = raw
[source ch]
format = companies_house
url = $T/ch.csv
mode = snapshot
$([ $mode = inl ] && echo 'parse_thread = no')
EOF2
  min=1; [ $mode != two ] && min=999999999999999
  tok=fast; [ $mode = lib ] && tok=libcsv
  (cd $mode && SPARKER_CSV_TOKENIZER=$tok SPARKER_CSV_SPLIT_MIN=$min "$SP" -q -c s.ini run --from fetch --to parse --as-of 2025-12-31 >out 2>&1) \
    || { cat $mode/out; die "$mode: run failed"; }
  sql "$(cat $mode/db.target)" "SELECT source_key, line, name, hash FROM record ORDER BY source_key" >$mode/records
  sql "$(cat $mode/db.target)" "SELECT line, reason, excerpt FROM reject ORDER BY line" >$mode/rejects
  sql "$(cat $mode/db.target)" "SELECT rows_read, rows_stored, rows_out_of_scope, rows_rejected, rows_gone FROM parse_stat" >$mode/stat
done
q() { sql "$(cat "$T/two/db.target")" "$1"; }
assert_eq "$(cat two/stat)" "$(cat one/stat)" "parse_stat"
assert_eq "$(cat two/stat)" "30000|29998|0|2|0" "parse_stat counts"
cmp -s one/records two/records || die "records differ between one and two ranges: $(diff one/records two/records | head -5)"
cmp -s one/rejects two/rejects || die "rejects differ between one and two ranges"
assert_eq "$(cat lib/stat)" "$(cat one/stat)" "parse_stat, libcsv on every row"
cmp -s one/records lib/records || die "records differ between the fast tokenizer and libcsv: $(diff lib/records one/records | head -5)"
cmp -s one/rejects lib/rejects || die "rejects differ between the fast tokenizer and libcsv"
assert_eq "$(cat inl/stat)" "$(cat one/stat)" "parse_stat, parse_thread = no"
cmp -s one/records inl/records || die "records differ with parse_thread = no: $(diff inl/records one/records | head -5)"
cmp -s one/rejects inl/rejects || die "rejects differ with parse_thread = no"
assert_eq "$(q "SELECT name FROM record WHERE source_key = 'DUPA'")" "A second half (last)" "A"
assert_eq "$(q "SELECT name FROM record WHERE source_key = 'DUPB'")" "B last" "B"
assert_eq "$(q "SELECT name FROM record WHERE source_key = 'DUPC'")" "C last" "C"
assert_eq "$(q "SELECT name FROM record WHERE source_key = 'DUPD'")" "D last" "D"
assert_eq "$(q "SELECT name FROM record WHERE source_key = 'DUPE'")" "E last" "E"
assert_eq "$(q "SELECT line FROM record WHERE source_key = 'C0000098'")" "102" "line after an embedded newline"
assert_eq "$(q "SELECT line FROM record WHERE source_key = 'C0029999'")" "30311" "last line"
assert_eq "$(q "SELECT reason || '@' || line FROM reject ORDER BY line" | paste -sd' ')" \
  "bad column count@508 missing name@29807" "rejects"
# a forced re-parse of the same fetch keeps the last rows (equal lines replace, earlier ones not)
(cd two && SPARKER_CSV_SPLIT_MIN=1 "$SP" -q -c s.ini run --stage parse --as-of 2026-01-31 >out 2>&1) \
  || { cat two/out; die "re-parse failed"; }
assert_eq "$(q "SELECT name || '|' || last_seen FROM record WHERE source_key = 'DUPA'")" "A second half (last)|2026-01-31" "A after re-parse"
assert_eq "$(q "SELECT count(*) FROM record WHERE last_seen = '2026-01-31'")" "29994" "every record refreshed"
echo "INFO: two-range parse of $(stat -c %s ch.csv) bytes identical to one range, to libcsv alone and to parse_thread = no"
