#!/usr/bin/env bash
# test_analyst_inbox.sh — analysts never wait for nor fail on the nightly run on SQLite
# (pipeline/inbox.h): judgements made while a run holds the lock go to "<database>.inbox" and the
# next run applies them first.
#   1. the demo's nightly job, a base.
#   2. while a run is stalled in parse, then in dedupe (SPARKER_TEST_STALL), with a write
#      transaction held on the database file the whole time (as a stage holds one): four
#      analysts in parallel each record notes, a decision, a pin, a link and an unlink; every
#      command exits 0 at once (none waits for the writer), nothing is lost (pending = written),
#      `judgements list` shows them pending, a pending one cannot be removed; show, explain,
#      export and report succeed during the run; the run itself is not disturbed.
#   3. the next run applies them all: the judgement rows, each entry's token once, the analyst's
#      time kept, the pins' effect on the selection, the report's row.
#   4. a run waits (SP_LOCK_RUN_WAIT) for an analyst's brief direct write instead of failing.
#   5. kill -9 of a run while it applies the inbox (SPARKER_TEST_STALL=drain), then a rerun:
#      every pending judgement recorded exactly once.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is needed"
command -v python3 >/dev/null || skip "python3 is needed to hold a write transaction"
cd "$T"
mkdir -p demo
ln -s "$ROOT/demo/sources" demo/sources
sed -e "s|^database *=.*|database = $T/sq/sparker.db|" -e "s|^raw_dir *=.*|raw_dir = $T/sq/raw|" \
    -e "s|^report_dir *=.*|report_dir = $T/sq/reports|" -e "/^log_file *=/d" "$ROOT/demo/sparker.ini" >demo/sq.ini
C=$T/demo/sq.ini
DB=$T/sq/sparker.db
sp() { "$SP" -c "$C" "$@"; }
nightly() { sp run --job nightly --as-of 2025-12-31 --quiet "$@"; }
q() { sqlite3 -cmd '.timeout 10000' "$DB" "$1"; }
pending() { if [ -f "$DB.inbox" ]; then sqlite3 -cmd '.timeout 5000' "$DB.inbox" "SELECT count(*) FROM pending"; else echo 0; fi; }
# the inbox tokens recorded in the database (each once), and the rows carrying one
TOKENS="SELECT count(DISTINCT substr(origin, instr(origin, 'inbox:'))) FROM judgement WHERE origin LIKE '%inbox:%'"
ROWS="SELECT count(*) FROM judgement WHERE origin LIKE '%inbox:%' AND kind <> 'remove'"

# ---------------------------------------------------------------- 1. base
nightly >base.out 2>&1 || die "the base run failed: $(tail -3 base.out)"
sp export --year 2025 -o q0.csv qualified
sp export -o members0.csv members
[ "$(wc -l <q0.csv)" -gt 60 ] || die "too few qualified startups in the demo to judge"
ent() { sed -n "$(($1 + 1))p" q0.csv | cut -d, -f1; }       # the Nth qualified startup (N from 1)
rec() { sed -n "$(($1 + 1))p" members0.csv | cut -d, -f1,2 | tr , :; } # the Nth record

# ---------------------------------------------------------------- 2. analysts during a run
# A write transaction held on the database while the analysts write: a command that wrote into
# the file would wait for the busy timeout (10 s) and fail.
hold_writer() { # SECONDS: BEGIN IMMEDIATE on the database, until SECONDS pass; "$DB.held" once held
  rm -f "$DB.held"
  python3 - "$DB" "$1" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[1] + ".held", "w").close()
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
PY
  WRITER=$!
  for _ in $(seq 1 100); do [ -f "$DB.held" ] && return; sleep 0.05; done
  die "the writer never took its transaction"
}
timed() { # LOG CMD...: run CMD, append "ms rc" to LOG
  local log=$1 t0 rc=0
  shift
  t0=$(date +%s%N)
  "$@" >>"$log.out" 2>&1 || rc=$?
  echo "$(( ($(date +%s%N) - t0) / 1000000 )) $rc" >>"$log"
}
analyst() { # NAME BASE STAGE DAY: two notes, a decision, a pin out, a link and an unlink
  local n=$1 b=$2 log=$T/analyst.$1
  timed "$log" sp --user "$n" note "$(ent $((b + 1)))" "$n during $3 #1"
  timed "$log" sp --user "$n" note "$(ent $((b + 2)))" "$n during $3 #2"
  timed "$log" sp --user "$n" decide "$(ent $((b + 2)))" cocreation --date "2025-11-$4"
  timed "$log" sp --user "$n" pin "$(ent $((b + 3)))" out --note "$n during $3"
  timed "$log" sp --user "$n" link "$(rec $((b * 2 + 1)))" "$(rec $((b * 2 + 2)))"
  timed "$log" sp --user "$n" unlink "$(rec $((b * 2 + 3)))" "$(rec $((b * 2 + 4)))"
}
PER=6 # commands per analyst
written=0
base=0
judgements_before=$(q "SELECT count(*) FROM judgement")
declare -A inbox_created # token -> the time the judgement was made (the next run keeps it)
keep_created() {
  while IFS='|' read -r tok cr; do inbox_created[$tok]=$cr; done < <(sqlite3 "$DB.inbox" "SELECT token, created FROM pending WHERE what <> 'report'")
}
for stage in parse dedupe; do
  SPARKER_TEST_STALL=$stage:6 "$SP" -c "$C" run --job nightly --as-of 2025-12-31 --quiet >long.run 2>&1 &
  long=$!
  for _ in $(seq 1 200); do
    [ "$(q "SELECT count(*) FROM stage_run WHERE status = 'running' AND stage = '$stage'")" -gt 0 ] && break
    sleep 0.05
  done
  hold_writer 3
  rm -f "$T"/analyst.*
  pids=""
  day=10
  for a in ana bo cy dee; do
    day=$((day + 1)); base=$((base + 4))
    analyst $a $base $stage $day & pids="$pids $!"
  done
  for p in $pids; do wait $p; done
  cat "$T"/analyst.ana "$T"/analyst.bo "$T"/analyst.cy "$T"/analyst.dee >times.$stage
  assert_eq "$(wc -l <times.$stage)" $((4 * PER)) "commands run during $stage"
  awk '$2 != 0 { exit 1 }' times.$stage || die "an analyst's command failed during $stage: $(cat "$T"/analyst.*.out)"
  slowest=$(sort -n times.$stage | tail -1 | cut -d' ' -f1)
  [ "$slowest" -lt 2000 ] || die "an analyst's command took ${slowest} ms during $stage: it waited for the writer"
  grep -q "a run is in progress (pid $long " "$T/analyst.ana.out" || die "no 'a run is in progress' line: $(head -3 "$T/analyst.ana.out")"
  written=$((written + 4 * PER))
  assert_eq "$(pending)" "$((4 * PER))" "pending entries = judgements written during $stage"
  # readers during the run
  e=$(ent 1)
  sp show "$e" >show.out 2>&1 || die "show during $stage failed: $(cat show.out)"
  sp explain "$e" >explain.out 2>&1 || die "explain during $stage failed: $(cat explain.out)"
  sp export -o members.$stage.csv members 2>export.err || die "export during $stage failed: $(cat export.err)"
  assert_eq "$(grep -c '\[pending: the next run applies it\]' <<<"$(sp judgements list)")" "$((4 * PER))" "judgements list shows them pending"
  rc=0; sp judgements remove P1 2>remove.err || rc=$?
  assert_eq "$rc" 2 "removing a pending judgement is refused"
  assert_contains remove.err "P1 is pending"
  kill -0 $long 2>/dev/null || die "the run ended before the analysts wrote: the check proves nothing"
  wait "$WRITER"
  wait $long || die "the run during the analysts' writes failed: $(tail -3 long.run)"
  keep_created # the next run (of the next round) applies them
  echo "MEASURE: 4 analysts x $PER judgements during a SQLite run's $stage (a writer holding the file): slowest command ${slowest} ms, exit 0, all pending"
done
# a report during a run: no wait, no failure; its row comes with the next run
SPARKER_TEST_STALL=score:6 "$SP" -c "$C" run --job nightly --as-of 2025-12-31 --quiet >long.run 2>&1 &
long=$!
for _ in $(seq 1 200); do
  [ "$(q "SELECT count(*) FROM stage_run WHERE status = 'running' AND stage = 'score'")" -gt 0 ] && break
  sleep 0.05
done
reports=$(q "SELECT count(*) FROM report")
runs=$(q "SELECT count(*) FROM run")
t0=$(date +%s%N)
sp report --year 2025 --out "$T/during.pdf" >report.out 2>report.err || die "report during a run failed: $(cat report.err)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -0 $long 2>/dev/null || die "the run ended before the report: the check proves nothing"
assert_contains report.err "a run is in progress"
[ -s "$T/during.pdf" ] || die "no PDF written during the run"
assert_eq "$(q "SELECT count(*) FROM run")" "$runs" "a report beside a run writes no run row"
wait $long || die "the run during the report failed: $(tail -3 long.run)"
assert_eq "$(pending)" 1 "the report's row waits in the inbox (the run applied the judgements at its start)"
echo "MEASURE: report during a SQLite run: ${ms} ms, exit 0"

# ---------------------------------------------------------------- 3. the next run applies them
nightly >next.out 2>&1 || die "the run after the analysts' writes failed: $(tail -3 next.out)"
assert_eq "$(pending)" 0 "the next run emptied the inbox"
assert_eq "$(q "$TOKENS")" "$written" "every entry recorded once (tokens)"
assert_eq "$(q "$ROWS")" "$written" "every entry recorded once (rows)"
assert_eq "$(q "SELECT count(*) FROM judgement")" "$((judgements_before + written))" "no other row written"
assert_eq "$(q "SELECT count(*) FROM report")" "$((reports + 1))" "the report's row recorded by the next run"
sha=$(sha256sum "$T/during.pdf" | cut -d' ' -f1)
assert_eq "$(q "SELECT count(*) FROM report_edition WHERE pdf_sha256 = '$sha' AND inputs LIKE '{%'")" 1 \
  "the report's edition (its inputs, for --as-of-run) recorded by the next run with its row"
while IFS='|' read -r tok cr; do
  [ "${inbox_created[$tok]:-}" = "$cr" ] || die "entry $tok: recorded with time $cr, made at ${inbox_created[$tok]:-?}"
done < <(q "SELECT substr(origin, instr(origin, 'inbox:') + 6), created FROM judgement WHERE origin LIKE '%inbox:%'")
for k in note:16 decision:8 pin:8 link:8 apart:8; do
  assert_eq "$(q "SELECT count(*) FROM judgement_active WHERE kind = '${k%%:*}' AND origin LIKE '%inbox:%'")" "${k#*:}" "${k%%:*} judgements in force"
done
sp export --year 2025 -o q1.csv qualified
for b in 4 8 12 16 20 24 28 32; do
  e=$(ent $((b + 3)))
  ! grep -q "^$e," q1.csv || die "entity $e pinned out during a run is still qualified after the next run"
done
echo "MEASURE: the next runs applied $written pending judgements and a report row: each once, at the analyst's time"

# ---------------------------------------------------------------- 4. a run waits for an analyst's brief write
# An analyst's direct write applies the inbox first, under the lock; made slow here (drain 0.2 s
# an entry, 10 entries): a run started meanwhile waits for it instead of exiting 75.
SPARKER_TEST_STALL=parse:4 "$SP" -c "$C" run --job nightly --as-of 2025-12-31 --quiet >long.run 2>&1 &
long=$!
for _ in $(seq 1 200); do
  [ "$(q "SELECT count(*) FROM stage_run WHERE status = 'running' AND stage = 'parse'")" -gt 0 ] && break
  sleep 0.05
done
for i in $(seq 1 10); do sp --user eve note "$(ent 50)" "wait $i" 2>/dev/null || die "note $i failed"; done
wait $long || die "run failed"
assert_eq "$(pending)" 10 "ten notes pending"
SPARKER_TEST_STALL=drain:0.2 "$SP" -c "$C" --user eve note "$(ent 51)" "direct, after the inbox" >direct.out 2>&1 &
direct=$!
for _ in $(seq 1 100); do [ "$(pending)" -lt 10 ] && break; sleep 0.05; done
kill -0 $direct 2>/dev/null || die "the analyst's write ended before the run started: the check proves nothing"
t0=$(date +%s%N)
nightly >waited.out 2>&1 || die "a run during an analyst's brief write failed: $(cat waited.out)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $direct || die "the analyst's direct write failed: $(cat direct.out)"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE note LIKE 'wait %'")" 10 "the inbox applied by the analyst's write"
[ "$(q "SELECT id FROM judgement WHERE note = 'direct, after the inbox'")" -gt "$(q "SELECT max(id) FROM judgement WHERE note LIKE 'wait %'")" ] ||
  die "the analyst's own judgement was written before the inbox's (order lost)"
echo "MEASURE: a run started during an analyst's write (2 s) waited and succeeded in ${ms} ms"

# ---------------------------------------------------------------- 5. kill -9 while applying
N=40
SPARKER_TEST_STALL=parse:30 "$SP" -c "$C" run --job nightly --as-of 2025-12-31 --quiet >long.run 2>&1 &
long=$!
for _ in $(seq 1 200); do
  [ "$(q "SELECT count(*) FROM stage_run WHERE status = 'running' AND stage = 'parse'")" -gt 0 ] && break
  sleep 0.05
done
for i in $(seq 1 $N); do
  sp --user fay note "$(ent $((i % 30 + 1)))" "kill $i" 2>/dev/null || die "note $i failed"
done
kill -0 $long 2>/dev/null || die "the run ended before the notes: the check proves nothing"
kill -TERM $long; wait $long 2>/dev/null || true
assert_eq "$(pending)" $N "notes pending"
killed=0
for round in 1 2 3; do
  SPARKER_TEST_STALL=drain:0.1 "$SP" -c "$C" run --job nightly --as-of 2025-12-31 --quiet >/dev/null 2>&1 &
  pid=$!
  target=$((round * 8))
  for _ in $(seq 1 200); do
    [ "$(q "SELECT count(*) FROM judgement WHERE note LIKE 'kill %'")" -ge $target ] && break
    sleep 0.02
  done
  kill -9 $pid; wait $pid 2>/dev/null || true
  applied=$(q "SELECT count(*) FROM judgement WHERE note LIKE 'kill %'")
  left=$(pending)
  [ "$applied" -lt $N ] || die "round $round: the drain finished before the kill: the check proves nothing"
  [ $((applied + left)) -ge $N ] || die "round $round: lost entries: $applied applied, $left left of $N"
  [ $((applied + left)) -le $((N + 1)) ] || die "round $round: $applied applied + $left left of $N"
  killed=$((killed + 1))
done
nightly >after_kill.out 2>&1 || die "the rerun after kill -9 failed: $(tail -3 after_kill.out)"
assert_eq "$(pending)" 0 "the rerun emptied the inbox"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE note LIKE 'kill %'")" $N "each note recorded once after $killed kills"
assert_eq "$(q "SELECT count(DISTINCT note) FROM judgement WHERE note LIKE 'kill %'")" $N "each note recorded, none twice"
echo "MEASURE: kill -9 of a run applying the inbox, $killed times, then a rerun: $N of $N pending judgements recorded once"
