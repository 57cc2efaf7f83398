#!/usr/bin/env bash
# test_signals.sh — SIGTERM and SIGINT in the middle of a parse of a large generated file: the
# program says "stopping after the current batch" at once, stops within 2 s (a correctness
# bound: the parse loop looks at the request after every row), exits 143 / 130, leaves the run
# and the stage call 'killed' (never 'running'), the records table as it was before the run (the
# parse transaction rolled back) and a database that passes PRAGMA integrity_check; the next run
# completes. A second signal exits at once, without closing the run (the next run marks it).
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
ROWS=${SIGNALS_ROWS:-700000}

D=$T/w
mkdir -p "$D/src"
python3 - "$D/src/alpha.csv" "$ROWS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w", encoding="utf-8") as f:
    f.write("id,name,country,city,website,founded,status,categories,description\n")
    for i in range(n):
        f.write('A-%d,"Startup %d Volt Labs",GB,City%d,https://s%d.example.com/,2021-03-%02d,active,Energy,'
                '"battery and grid startup number %d"\n' % (i, i, i % 40, i, 1 + i % 28, i))
PY
OPS_DB=$(cd "$D" && test_db db/sparker.db)
ops_config "$D"
cd "$D"
DB=$OPS_DB
"$SP" -c sparker.ini run --stage fetch >"$T/fetch.out" 2>&1 || die "fetch: $(cat "$T/fetch.out")"

# wait_stage STAGE PID: until the stage's stage_run row of the newest run is 'running'
wait_stage() {
  for _ in $(seq 1 400); do
    [ "$(sq $DB "SELECT count(*) FROM stage_run WHERE stage = '$1' AND status = 'running'" 2>/dev/null)" = 1 ] && return 0
    kill -0 "$2" 2>/dev/null || die "the run ended before its $1 stage was seen running: $(cat "$T/run.err")"
    sleep 0.02
  done
  die "the $1 stage never started"
}

interrupt() { # SIGNAL EXPECTED_EXIT
  local sig=$1 want=$2
  "$SP" -c sparker.ini run --stage parse --source alpha >"$T/run.out" 2>"$T/run.err" &
  local pid=$!
  wait_stage parse $pid
  sleep 0.4 # well inside the parse of the file (several seconds)
  local t0 t1 rc
  t0=$(date +%s.%N)
  kill -"$sig" $pid
  set +e; wait $pid; rc=$?; set -e
  t1=$(date +%s.%N)
  local secs; secs=$(echo "$t1 - $t0" | bc)
  echo "INFO: SIG$sig: exit $rc after $secs s"
  assert_eq "$rc" "$want" "SIG$sig: exit code"
  [ "$(echo "$secs < 2" | bc)" = 1 ] || die "SIG$sig: took $secs s to stop (bound: 2 s)"
  grep -q "^sparker: stopping after the current batch" "$T/run.err" || die "SIG$sig: no 'stopping' message: $(cat "$T/run.err")"
  assert_eq "$(sq $DB "SELECT status FROM run ORDER BY id DESC LIMIT 1")" killed "SIG$sig: run status"
  sq $DB "SELECT error FROM run ORDER BY id DESC LIMIT 1" | grep -q "interrupted by SIG$sig in stage parse of source alpha" ||
    die "SIG$sig: run error: $(sq $DB "SELECT error FROM run ORDER BY id DESC LIMIT 1")"
  # the stop came in the middle of the parse (not before it, not after it)
  assert_eq "$(sq $DB "SELECT status FROM stage_run WHERE stage = 'parse' ORDER BY id DESC LIMIT 1")" killed \
    "SIG$sig: the parse stage call (a parse already over: raise SIGNALS_ROWS on this machine)"
  assert_eq "$(sq $DB "SELECT count(*) FROM run WHERE status = 'running'")" 0 "SIG$sig: runs left running"
  if [ "$BACKEND" = sqlite ]; then assert_eq "$(sq $DB "PRAGMA integrity_check")" ok "SIG$sig: integrity_check"; fi
}

interrupt TERM 143
assert_eq "$(sq $DB "SELECT count(*) FROM record")" 0 "SIGTERM: the parse was rolled back"
interrupt INT 130
assert_eq "$(sq $DB "SELECT count(*) FROM record")" 0 "SIGINT: the parse was rolled back"

# the next run completes
"$SP" -c sparker.ini run --stage parse --source alpha >"$T/next.out" 2>&1 || die "the run after the interrupts: $(cat "$T/next.out")"
assert_eq "$(sq $DB "SELECT count(*) FROM record WHERE source = 'alpha'")" "$ROWS" "records after the next run"
assert_eq "$(sq $DB "SELECT status FROM run ORDER BY id DESC LIMIT 1")" ok "the next run"

# A second signal exits at once: stop the process during a stall (one thread), queue SIGINT then
# SIGTERM, let it go on: the first handler sets the request, the second exits 128 + its signal
# before the run can close its row.
SPARKER_TEST_STALL=score:30 "$SP" -c sparker.ini run --stage score >"$T/run.out" 2>"$T/run.err" &
pid=$!
wait_stage score $pid
kill -STOP $pid
kill -INT $pid
kill -TERM $pid
kill -CONT $pid
set +e; wait $pid; rc=$?; set -e
case $rc in 130|143) ;; *) die "second signal: exit $rc";; esac
assert_eq "$(sq $DB "SELECT status FROM run ORDER BY id DESC LIMIT 1")" running "second signal: the run row is left as a kill leaves it"
"$SP" -c sparker.ini run --stage score >"$T/next.out" 2>&1 || die "the run after a second signal: $(cat "$T/next.out")"
assert_eq "$(sq $DB "SELECT status FROM run ORDER BY id DESC LIMIT 1 OFFSET 1")" killed "the next run marks the dead run killed"
assert_eq "$(sq $DB "SELECT status FROM run ORDER BY id DESC LIMIT 1")" ok "the next run"
if [ "$BACKEND" = sqlite ]; then assert_eq "$(sq $DB "PRAGMA integrity_check")" ok "integrity_check at the end"; fi
echo "ok"
