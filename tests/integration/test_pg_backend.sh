#!/usr/bin/env bash
# test_pg_backend.sh — the PostgreSQL backend (issue 18) against the SQLite one, on a throwaway
# cluster (tests/lib.sh pg_start; skips when the PostgreSQL binaries are absent).
#   1. config: a password in the database URL is refused at FILE:LINE and never repeated; a
#      URL is not a path (`sparker check` passes with a server database).
#   2. the same schema: tables, views and columns on both backends.
#   3. the demo nightly job on both: the same exports (members, entities, qualified per cohort,
#      rejects); then the same judgements on both (decisions import, pin, link, unlink, decide)
#      and a rerun: the same exports again; the 2025 report's figures (pdftotext) identical.
#   4. concurrency: while a run holds the PostgreSQL run lock (advisory), a second run exits 75
#      naming the holder, and an analyst's pin and decide succeed at once; the next run applies
#      them; four analysts writing at once while a run parses, then dedupes, lose nothing.
#   5. kill -9 of a PostgreSQL run mid-stage: nothing left 'running' after the rerun, which
#      finishes with the exports of an uninterrupted run.
#   6. sparker migrate: SQLite -> PostgreSQL -> SQLite leaves every table the same.
#   7. a write failing inside a COPY or pipelined batch fails its stage with the message, rolled back.
#   8. a source failing to fetch has its failures counted the same.
#   9. a quality gate holds an empty file, then accept applies it: the same on both.
#  10. a news feed: the same mentions and show on both.
. "$(dirname "$0")/../lib.sh"
pg_start
cd "$T" # a URL taken for a relative path would show here

mkdir -p "$T/demo"
ln -s "$ROOT/demo/sources" "$T/demo/sources"
config() { # NAME DATABASE: a copy of the demo config next to demo/sources
  sed -e "s|^database *=.*|database = $2|" -e "s|^raw_dir *=.*|raw_dir = $T/$1/raw|" \
      -e "s|^report_dir *=.*|report_dir = $T/$1/reports|" -e "/^log_file *=/d" \
      "$ROOT/demo/sparker.ini" >"$T/demo/$1.ini"
  echo "$T/demo/$1.ini"
}
SQ=$(config sq "$T/sq/sparker.db")
PG=$(config pg "$PG_URL")

# 1. config
BAD=$(config bad "postgresql://sparker:s3cretpw@127.0.0.1:$PG_PORT/sparker_test")
rc=0; "$SP" -c "$BAD" check >"$T/bad.out" 2>&1 || rc=$?
assert_eq "$rc" 3 "a password in the database URL: exit code"
line=$(grep -n '^database' "$BAD" | cut -d: -f1)
assert_contains "$T/bad.out" "bad.ini:$line:"
assert_contains "$T/bad.out" "password"
! grep -q s3cretpw "$T/bad.out" || die "the refused password is repeated: $(cat "$T/bad.out")"
"$SP" -c "$PG" check >"$T/check.out" 2>&1 || die "check with a PostgreSQL database failed: $(cat "$T/check.out")"
[ ! -e "$T/demo/postgresql:" ] && [ ! -e "$T/postgresql:" ] || die "the URL was taken as a path"

# 2. schema
"$SP" -c "$SQ" init >/dev/null || die "init (SQLite) failed"
"$SP" -c "$PG" init >"$T/init.out" || die "init (PostgreSQL) failed"
sqlite3 "$T/sq/sparker.db" "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
  WHERE m.type IN ('table', 'view') ORDER BY 1" >"$T/schema_sq.txt"
pq "$PG_URL" "SELECT table_name || '.' || column_name FROM information_schema.columns
  WHERE table_schema = 'public' AND table_name <> 'sparker_schema' ORDER BY 1" >"$T/schema_pg.txt"
LC_ALL=C sort -o "$T/schema_sq.txt" "$T/schema_sq.txt"; LC_ALL=C sort -o "$T/schema_pg.txt" "$T/schema_pg.txt"
diff "$T/schema_sq.txt" "$T/schema_pg.txt" >"$T/schema.diff" || die "schemas differ: $(head -20 "$T/schema.diff")"
assert_eq "$(pq "$PG_URL" "SELECT version FROM sparker_schema")" "$(sqlite3 "$T/sq/sparker.db" "PRAGMA user_version")" "schema version"
echo "INFO: schema: $(wc -l <"$T/schema_pg.txt") columns of tables and views, identical"

# 3. the demo on both
nightly() { "$SP" -c "$1" run --job nightly --as-of 2025-12-31 --quiet; }
exports() { # CONFIG OUT-PREFIX
  for k in members entities rejects; do "$SP" -c "$1" export -o "$2.$k.csv" $k || die "export $k ($1)"; done
  for y in 2024 2025; do "$SP" -c "$1" export --year $y -o "$2.q$y.csv" qualified || die "export qualified ($1)"; done
}
same_exports() { # WHAT
  exports "$SQ" "$T/sq"; exports "$PG" "$T/pg"
  for f in members entities rejects q2024 q2025; do
    cmp -s "$T/sq.$f.csv" "$T/pg.$f.csv" || die "$1: export $f differs: $(diff "$T/sq.$f.csv" "$T/pg.$f.csv" | head -6)"
  done
  echo "INFO: $1: $(($(wc -l <"$T/pg.entities.csv") - 1)) entities, $(($(wc -l <"$T/pg.members.csv") - 1)) members," \
       "$(($(wc -l <"$T/pg.q2025.csv") - 1)) qualified in 2025: identical on both"
}
t0=$(date +%s%N); nightly "$SQ" >"$T/sq.run" 2>&1 || die "SQLite run failed: $(tail -3 "$T/sq.run")"
t1=$(date +%s%N); nightly "$PG" >"$T/pg.run" 2>&1 || die "PostgreSQL run failed: $(tail -3 "$T/pg.run")"
t2=$(date +%s%N)
echo "MEASURE: demo nightly job: SQLite $(( (t1 - t0) / 1000000 )) ms, PostgreSQL $(( (t2 - t1) / 1000000 )) ms"
same_exports "first night"

judge() { # CONFIG: the same analysts' judgements
  "$SP" -c "$1" --user ana decisions import "$ROOT/demo/decisions.csv" >/dev/null || die "decisions import ($1)"
  local q1 q2 q3
  q1=$(sed -n 2p "$T/pg.q2025.csv" | cut -d, -f1); q2=$(sed -n 3p "$T/pg.q2025.csv" | cut -d, -f1)
  q3=$(sed -n 4p "$T/pg.q2025.csv" | cut -d, -f1)
  "$SP" -c "$1" --user ana pin "$q1" out --note "not a fit" >/dev/null || die "pin ($1)"
  "$SP" -c "$1" --user bo decide "$q2" invested --date 2025-11-02 >/dev/null || die "decide ($1)"
  local r1 r2 r3
  r1=$(sed -n 2p "$T/pg.members.csv" | cut -d, -f1,2 | tr , :); r2=$(sed -n 3p "$T/pg.members.csv" | cut -d, -f1,2 | tr , :)
  r3=$(grep ",$q3\$" "$T/pg.members.csv" | head -1 | cut -d, -f1,2 | tr , :)
  "$SP" -c "$1" --user ana link "$r1" "$r2" --note "same" >/dev/null || die "link ($1)"
  "$SP" -c "$1" --user ana unlink "$r3" >/dev/null || die "unlink ($1)"
}
judge "$SQ"; judge "$PG"
for sql in "DELETE FROM judgement" "UPDATE judgement SET note = 'x'" "DELETE FROM judgement_record"; do
  rc=0; pq "$PG_URL" "$sql" >"$T/trig.out" 2>&1 || rc=$?
  [ $rc != 0 ] && grep -q "append-only" "$T/trig.out" || die "$sql: judgements are not append-only on PostgreSQL: $(cat "$T/trig.out")"
done
nightly "$SQ" >/dev/null 2>&1 || die "SQLite rerun failed"
nightly "$PG" >"$T/pg.run2" 2>&1 || die "PostgreSQL rerun failed: $(tail -3 "$T/pg.run2")"
same_exports "after the judgements"
"$SP" -c "$SQ" judgements >"$T/sq.judgements" 2>&1 || die "judgements (SQLite)"
"$SP" -c "$PG" judgements >"$T/pg.judgements" 2>&1 || die "judgements (PostgreSQL)"
diff <(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z//g' "$T/sq.judgements") \
     <(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z//g' "$T/pg.judgements") >"$T/j.diff" ||
  die "judgements listed differently: $(head -10 "$T/j.diff")"

# the audit: the same sample drawn (seeded), labelled, estimated on both
for b in sq pg; do
  "$SP" -c "$T/demo/$b.ini" --user ana audit sample --year 2025 --n 50 --qualified 20 --seed 7 >/dev/null ||
    die "audit sample ($b)"
  for e in $("$SP" -c "$T/demo/$b.ini" review audit --year 2025 --list |
             python3 -c 'import csv, sys; [print(r[3]) for r in list(csv.reader(sys.stdin))[1:6]]'); do
    "$SP" -c "$T/demo/$b.ini" --user ana audit label "$e" yes >/dev/null || die "audit label $e ($b)"
  done
done
# the analysts' and operators' commands print the same on both (times and the database aside)
e1=$(sed -n 2p "$T/pg.q2025.csv" | cut -d, -f1); r1=$(sed -n 2p "$T/pg.members.csv" | cut -d, -f1,2 | tr , :)
for cmd in "show $e1" "show $r1" "explain $e1" "diff-selection --year 2025" "decisions list --year 2025" \
           "judgements list --all" "judgements export" "review --list" "review selection --year 2025 --list" \
           "review audit --year 2025 --list" "audit estimate --year 2025" "audit estimate --year 2025 --format csv"; do
  for b in sq pg; do
    rc=0; "$SP" -c "$T/demo/$b.ini" $cmd >"$T/$b.cmd" 2>&1 || rc=$?
    [ $rc = 0 ] || die "$cmd ($b) exited $rc: $(head -3 "$T/$b.cmd")"
    sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z//g' -e 's/[0-9.]+ ?s\b//g' -e "s|$T/sq/sparker.db|DB|; s|$PG_URL|DB|" \
      -e 's/peak [0-9]+ ?KB//g' "$T/$b.cmd" >"$T/$b.cmd.norm"
  done
  diff "$T/sq.cmd.norm" "$T/pg.cmd.norm" >"$T/cmd.diff" || die "$cmd prints differently on PostgreSQL: $(head -10 "$T/cmd.diff")"
done

if command -v pdftotext >/dev/null; then
  "$SP" -c "$SQ" report --year 2025 >/dev/null 2>&1 || die "report (SQLite)"
  "$SP" -c "$PG" report --year 2025 >"$T/pg.report" 2>&1 || die "report (PostgreSQL): $(tail -3 "$T/pg.report")"
  pdftotext -layout "$(ls "$T"/sq/reports/*.pdf | head -1)" "$T/sq.txt"
  pdftotext -layout "$(ls "$T"/pg/reports/*.pdf | head -1)" "$T/pg.txt"
  # the figures: every number of the report (times, the database's name, hashes aside)
  figures() { sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:]+Z?//g' -e 's/sha256|SOURCE_DATE_EPOCH=[0-9]+//g' \
                    -e '/sparker\.db|postgresql:|[0-9a-f]{40}/d' "$1" |
              grep -oE '[0-9]+([.,][0-9]+)?%?'; }
  diff <(figures "$T/sq.txt") <(figures "$T/pg.txt") >"$T/fig.diff" || die "the report's figures differ: $(head -10 "$T/fig.diff")"
  echo "INFO: report 2025: $(figures "$T/pg.txt" | wc -l) figures, identical on both"
  # the history (schema 12): a pin and a rescoring, a second report restating the first, the same
  # restatement and diff-selection on both; --as-of-run renders the first report's bytes again
  for b in sq pg; do
    n=$(grep -oE 'Data as of run [0-9]+' "$T/$b.txt" | head -1 | grep -oE '[0-9]+$')
    "$SP" -q -c "$T/demo/$b.ini" --user ana pin "$e1" out >/dev/null || die "pin ($b)"
    "$SP" -q -c "$T/demo/$b.ini" run --stage score >/dev/null 2>&1 || die "rescoring ($b)"
    "$SP" -q -c "$T/demo/$b.ini" report --year 2025 --out "$T/$b.r2.pdf" || die "second report ($b)"
    pdftotext -layout "$T/$b.r2.pdf" "$T/$b.r2.txt"
    grep -q "Restated since the report of" "$T/$b.r2.txt" || die "no restatement ($b)"
    "$SP" -q -c "$T/demo/$b.ini" report --year 2025 --as-of-run "$n" --pdf "$T/$b.re.pdf" || die "--as-of-run $n ($b)"
    cmp "$T/$b.re.pdf" "$(ls "$T"/$b/reports/*.pdf | head -1)" || die "--as-of-run $n ($b): not the first report's bytes"
    "$SP" -q -c "$T/demo/$b.ini" diff-selection --from "$n" --year 2025 --csv >"$T/$b.hdiff" || die "diff-selection --from ($b)"
  done
  diff <(figures "$T/sq.r2.txt") <(figures "$T/pg.r2.txt") >"$T/fig.diff" || die "the restated report differs: $(head -10 "$T/fig.diff")"
  diff "$T/sq.hdiff" "$T/pg.hdiff" >"$T/h.diff" || die "diff-selection --from differs: $(head -10 "$T/h.diff")"
  echo "INFO: history: restatement, diff-selection --from ($(grep -c '' "$T/pg.hdiff") lines) and --as-of-run identical on both"
else
  echo "INFO: pdftotext absent: the report's figures are not compared"
fi

# 4. concurrency on PostgreSQL
SPARKER_TEST_STALL=dedupe:4 "$SP" -c "$PG" run --job nightly --as-of 2025-12-31 --quiet >"$T/long.run" 2>&1 &
long=$!
for _ in $(seq 1 100); do
  [ "$(pq "$PG_URL" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1936747371 AND objid = 1")" = 1 ] && break
  sleep 0.05
done
rc=0; "$SP" -c "$PG" run --job nightly --as-of 2025-12-31 --quiet >"$T/second.run" 2>&1 || rc=$?
assert_eq "$rc" 75 "a second run while one holds the lock"
assert_contains "$T/second.run" "another run holds the lock"
assert_contains "$T/second.run" "pid $long"
q4=$(sed -n 5p "$T/pg.q2025.csv" | cut -d, -f1)
t0=$(date +%s%N)
"$SP" -c "$PG" --user cy pin "$q4" out --note "during the run" >"$T/pin.out" 2>&1 || die "pin during a run failed: $(cat "$T/pin.out")"
"$SP" -c "$PG" --user cy decide "$q4" declined --date 2025-12-01 >"$T/dec.out" 2>&1 || die "decide during a run failed: $(cat "$T/dec.out")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -0 $long 2>/dev/null || die "the run ended before the analysts wrote: the check proves nothing"
wait $long || die "the run during the analysts' writes failed: $(tail -3 "$T/long.run")"
echo "MEASURE: pin + decide during a PostgreSQL run: ${ms} ms, no wait, no error"
nightly "$PG" >/dev/null 2>&1 || die "the run after the analysts' writes failed"
"$SP" -c "$PG" export --year 2025 -o "$T/after.csv" qualified
! grep -q "^$q4," "$T/after.csv" || die "the pin made during a run is not applied by the next run"

# several analysts at once while a run parses, then while it dedupes: no error, no lost write
analyst() { # NAME STAGE DAY: five notes and a decision (of its own date: an identical one is recorded once)
  local i e
  for i in 1 2 3 4 5; do
    e=$(sed -n "$((i + 1))p" "$T/pg.q2025.csv" | cut -d, -f1)
    "$SP" -c "$PG" --user "$1" note "$e" "$1 during $2 #$i" >/dev/null || return 1
  done
  "$SP" -c "$PG" --user "$1" decide "$e" cocreation --date "2025-12-$3" >/dev/null
}
for stage in parse dedupe; do
  before=$(pq "$PG_URL" "SELECT count(*) FROM judgement")
  SPARKER_TEST_STALL=$stage:3 "$SP" -c "$PG" run --job nightly --as-of 2025-12-31 --quiet >"$T/long.run" 2>&1 &
  long=$!
  for _ in $(seq 1 100); do
    [ "$(pq "$PG_URL" "SELECT count(*) FROM stage_run WHERE status = 'running' AND stage = '$stage'")" -gt 0 ] && break
    sleep 0.05
  done
  pids=""
  day=$([ $stage = parse ] && echo 10 || echo 20)
  for a in ana bo cy dee; do day=$((day + 1)); analyst $a $stage $day >"$T/analyst.$a" 2>&1 & pids="$pids $!"; done
  for p in $pids; do wait $p || die "an analyst failed during $stage: $(cat "$T"/analyst.*)"; done
  kill -0 $long 2>/dev/null || die "the run ended before the analysts did: the check proves nothing"
  wait $long || die "the run during the analysts' writes failed: $(tail -3 "$T/long.run")"
  assert_eq "$(pq "$PG_URL" "SELECT count(*) FROM judgement")" "$((before + 24))" "judgements recorded by 4 analysts during $stage"
done
echo "MEASURE: 4 analysts x 6 judgements during a PostgreSQL run's parse, then its dedupe: 48 recorded, no error"

# 5. kill -9 mid-stage, rerun
exports "$PG" "$T/ref"
for stage in parse dedupe score; do
  SPARKER_TEST_STALL=$stage:10 "$SP" -c "$PG" run --job nightly --as-of 2025-12-31 --quiet >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    [ "$(pq "$PG_URL" "SELECT count(*) FROM stage_run WHERE status = 'running' AND stage = '$stage'")" -gt 0 ] && break
    sleep 0.05
  done
  sleep 0.2
  kill -9 $pid; wait $pid 2>/dev/null || true
  nightly "$PG" >"$T/rerun.out" 2>&1 || die "rerun after kill -9 in $stage failed: $(tail -3 "$T/rerun.out")"
  assert_eq "$(pq "$PG_URL" "SELECT count(*) FROM run WHERE status = 'running'")" 0 "runs left running after kill in $stage"
  assert_eq "$(pq "$PG_URL" "SELECT count(*) FROM stage_run WHERE status = 'running'")" 0 "stages left running after kill in $stage"
  exports "$PG" "$T/k"
  for f in members entities q2024 q2025; do
    cmp -s "$T/ref.$f.csv" "$T/k.$f.csv" || die "after kill -9 in $stage and a rerun: export $f differs"
  done
done
echo "MEASURE: kill -9 of a PostgreSQL run in parse, dedupe, score: each rerun finished with the same exports"

# 6. migrate: the SQLite database to a new PostgreSQL one and back to a new file, every table's
# rows the same (as sets: a table without a key has no order), the exports the same on the copy,
# and the copy goes on (a run, a judgement with the next id); a non-empty destination is refused
MIG_URL=$(pg_createdb sparker_mig)
"$SP" -c "$SQ" migrate --to "$MIG_URL" >"$T/mig.out" 2>&1 || die "migrate to PostgreSQL failed: $(cat "$T/mig.out")"
MIG=$(config mig "$MIG_URL")
exports "$SQ" "$T/sq"; exports "$MIG" "$T/mig"
for f in members entities rejects q2024 q2025; do
  cmp -s "$T/sq.$f.csv" "$T/mig.$f.csv" || die "export $f of the migrated database differs"
done
"$SP" -c "$MIG" migrate --to "$T/back.db" >"$T/back.out" 2>&1 || die "migrate back to SQLite failed: $(cat "$T/back.out")"
tables=0
for t in $(sqlite3 "$T/sq/sparker.db" "SELECT name FROM sqlite_master WHERE type = 'table'"); do
  cmp -s <(sqlite3 "$T/sq/sparker.db" "SELECT * FROM \"$t\"" | LC_ALL=C sort) <(sqlite3 "$T/back.db" "SELECT * FROM \"$t\"" | LC_ALL=C sort) ||
    die "table $t differs after SQLite -> PostgreSQL -> SQLite"
  tables=$((tables + 1))
done
rc=0; "$SP" -c "$SQ" migrate --to "$MIG_URL" >"$T/again.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "migrate into a database that holds rows"
assert_contains "$T/again.out" "is not empty"
njud=$(sqlite3 "$T/sq/sparker.db" "SELECT max(id) FROM judgement")
"$SP" -c "$MIG" --user ana note "$(sed -n 2p "$T/sq.q2025.csv" | cut -d, -f1)" "after the move" >/dev/null || die "a note on the migrated database"
assert_eq "$(pq "$MIG_URL" "SELECT max(id) FROM judgement")" "$((njud + 1))" "the next judgement id after migrate"
nightly "$MIG" >/dev/null 2>&1 || die "a run on the migrated database failed"
echo "MEASURE: migrate SQLite -> PostgreSQL -> SQLite: $(grep -o '[0-9]* rows in [0-9]* tables' "$T/mig.out"), all $tables tables identical"

# 7. a write that fails inside a batch (plain inserts go by COPY, upserts by multi-row batches, the rest pipelined;
# their results are read later): the stage fails with the server's message and rolls back
pq "$PG_URL" "CREATE FUNCTION sp_test_fail() RETURNS trigger LANGUAGE plpgsql AS \$\$
  BEGIN RAISE EXCEPTION 'injected failure on %', TG_TABLE_NAME; END \$\$"
for ts in tag:score member:dedupe entity:dedupe; do
  t=${ts%%:*} stage=${ts#*:}
  # dedupe writes only the member rows that changed: one missing makes it insert (by COPY)
  [ "$t" != member ] || pq "$PG_URL" "DELETE FROM member WHERE record_id = (SELECT min(record_id) FROM member)"
  exports "$PG" "$T/before"
  pq "$PG_URL" "CREATE TRIGGER sp_test_fail BEFORE INSERT ON $t FOR EACH ROW EXECUTE FUNCTION sp_test_fail()"
  rc=0; "$SP" -c "$PG" run --stage "$stage" --as-of 2025-12-31 >"$T/fail.out" 2>&1 || rc=$?
  pq "$PG_URL" "DROP TRIGGER sp_test_fail ON $t"
  [ $rc != 0 ] || die "$stage succeeded although every insert into $t fails"
  assert_contains "$T/fail.out" "injected failure on $t"
  exports "$PG" "$T/after"
  for f in members entities q2024 q2025; do
    cmp -s "$T/before.$f.csv" "$T/after.$f.csv" || die "a failed $stage ($t) changed export $f: not rolled back"
  done
done
echo "MEASURE: a failing insert into tag (COPY), member (COPY), entity (upsert, batched): the stage failed with its message, nothing kept"
[ ! -e "$T/demo/postgresql:" ] && [ ! -e "$T/postgresql:" ] || die "the URL was taken as a path (a directory or lock file was made)"

# 8. a source that fails to fetch, twice: its failures counted on both backends
for b in sq pg; do
  { cat "$T/demo/$b.ini"; printf '\n[source broken]\nformat = feed\nurl = %s\n' "$T/missing.xml"; } >"$T/demo/${b}_broken.ini"
  for i in 1 2; do
    rc=0; "$SP" -c "$T/demo/${b}_broken.ini" run --stage fetch --source broken --as-of 2025-12-31 >"$T/broken.out" 2>&1 || rc=$?
    [ $rc = 4 ] || [ $rc = 1 ] || die "a failing source on $b: exit $rc: $(tail -2 "$T/broken.out")"
    ! grep -q "recording the failure failed" "$T/broken.out" || die "recording a failed fetch failed on $b: $(tail -2 "$T/broken.out")"
  done
done
assert_eq "$(pq "$PG_URL" "SELECT consecutive_failures FROM source_state WHERE source = 'broken'")" \
  "$(sqlite3 "$T/sq/sparker.db" "SELECT consecutive_failures FROM source_state WHERE source = 'broken'")" "failures counted"
assert_eq "$(pq "$PG_URL" "SELECT consecutive_failures FROM source_state WHERE source = 'broken'")" 2 "failures counted on PostgreSQL"

# 9. a quality gate on both: a night whose crunchbase file is empty holds it (exit 4), the same
# held snapshot and exports on both; `accept` applies it on both alike
rm "$T/demo/sources"; cp -r "$ROOT/demo/sources" "$T/demo/sources"
GQ=$(config gsq "$T/gsq/sparker.db"); GP=$(config gpg "$(pg_createdb sparker_gate)")
for c in "$GQ" "$GP"; do nightly "$c" >/dev/null 2>&1 || die "first night ($c)"; done
head -1 "$ROOT/demo/sources/crunchbase.csv" >"$T/demo/sources/crunchbase.csv"
for c in "$GQ" "$GP"; do
  rc=0; "$SP" -c "$c" run --job nightly --as-of 2026-01-01 --quiet >"$T/gate.out" 2>&1 || rc=$?
  assert_eq "$rc" 4 "a night with an empty crunchbase file ($c)"
  assert_contains "$T/gate.out" "crunchbase"
  "$SP" -c "$c" status >"$T/gate.status" 2>&1 || die "status ($c)"
done
cmp_exports() { # WHAT
  exports "$GQ" "$T/gq"; exports "$GP" "$T/gp"
  for f in members entities rejects q2024 q2025; do
    cmp -s "$T/gq.$f.csv" "$T/gp.$f.csv" || die "$1: export $f differs: $(diff "$T/gq.$f.csv" "$T/gp.$f.csv" | head -4)"
  done
}
cmp_exports "a held snapshot"
for c in "$GQ" "$GP"; do
  "$SP" -c "$c" accept crunchbase >/dev/null 2>&1 || die "accept crunchbase ($c)"
  nightly "$c" >/dev/null 2>&1 || die "the night after accept ($c)"
done
cmp_exports "an accepted empty snapshot"
echo "MEASURE: quality gate held, then accepted: the same exports on both"

# 10. news feeds (kind = news, tests/fixtures/news): the same mentions, shown alike, on both
FX=$ROOT/tests/fixtures/news
NU=$(pg_createdb sparker_news)
for b in sq pg; do
  mkdir -p "$T/news_$b"
  { printf '[sparker]\ndatabase = %s\nraw_dir = raw\nreport_dir = reports\n\n' "$([ $b = sq ] && echo db.sqlite || echo "$NU")"
    printf '[source dir]\nformat = feed\nurl = %s\nmode = append\nlink_is_website = yes\n\n' "$FX/directory.xml"
    printf '[source news]\nformat = feed\nkind = news\nurl = %s\nmode = append\n\n' "$FX/news.xml"
    printf '[job nightly]\nstages = fetch parse normalise dedupe score\n'; } >"$T/news_$b/sparker.ini"
  "$SP" -c "$T/news_$b/sparker.ini" run --job nightly --as-of 2026-01-31 --quiet >"$T/news.out" 2>&1 ||
    die "news run ($b): $(tail -3 "$T/news.out")"
  "$SP" -c "$T/news_$b/sparker.ini" show dir:voltiq >"$T/news_$b/show.out" || die "show ($b)"
done
mq="SELECT n.item_key || ':' || x.name || ':' || x.rule FROM mention x JOIN news_item n ON n.id = x.item_id ORDER BY 1"
assert_eq "$(pq "$NU" "$mq" | tr '\n' ' ')" "$(sqlite3 "$T/news_sq/db.sqlite" "$mq" | tr '\n' ' ')" "news mentions"
diff "$T/news_sq/show.out" "$T/news_pg/show.out" >"$T/news.diff" || die "show with news differs: $(head -6 "$T/news.diff")"
assert_contains "$T/news_pg/show.out" "in the news 2 times in 2026"
echo "MEASURE: news feed: $(pq "$NU" "SELECT count(*) FROM mention") mentions, the same on both"
