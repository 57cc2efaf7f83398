#!/usr/bin/env bash
# test_ops_lock.sh — the run lock: a second run while one holds it exits at once with 75 and a
# one-line message naming the holder; a holder killed with kill -9 leaves no lock behind (flock),
# its run and stage rows are marked 'killed' by the next run, which takes over and completes.
# Also: backfill respects the lock; `status` shows a dead 'running' run as such.
# Uses the SPARKER_TEST_STALL=STAGE:SECONDS hook (run.h) to hold a run inside a stage.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"

D=$T/w; ops_config "$D"
cd "$D"
DB=db/sparker.db

wait_for_holder() { # PID: until the lock file names it and its stage row is written
  for _ in $(seq 1 200); do
    if [ -s "$DB.lock" ] && grep -q "pid $1 " "$DB.lock" &&
       [ "$(sq "$DB" "SELECT count(*) FROM stage_run WHERE status='running'" 2>/dev/null)" = 1 ]; then return 0; fi
    kill -0 "$1" 2>/dev/null || die "holder $1 exited early: $(cat "$T/holder.err")"
    sleep 0.05
  done
  die "holder $1 never took the lock"
}

# 1. A holder stalls inside fetch; a second run exits at once with 75, one line naming the holder.
SPARKER_TEST_STALL=fetch:30 "$SP" -c sparker.ini run --job nightly 2>"$T/holder.err" &
HOLDER=$!
wait_for_holder $HOLDER
t0=$(date +%s%N)
set +e; "$SP" -c sparker.ini run --job nightly 2>"$T/second.err"; rc=$?; set -e
dt_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq "$rc" 75 "second run exit code"
[ "$dt_ms" -lt 2000 ] || die "second run took ${dt_ms}ms to give up (should be immediate)"
assert_eq "$(wc -l < "$T/second.err")" 1 "second run message is one line"
assert_contains "$T/second.err" "pid $HOLDER "
assert_contains "$T/second.err" "run --job nightly"
assert_contains "$T/second.err" "$D/$DB.lock"
echo "INFO: lock refusal in ${dt_ms}ms: $(cat "$T/second.err")"
# the refused run left no run row behind
assert_eq "$(sq "$DB" "SELECT count(*) FROM run")" 1 "refused run must not add a run row"

# backfill and a --stage rerun are refused the same way
set +e; "$SP" -c sparker.ini run --backfill 2025-01-01..2025-01-02 2>"$T/bf.err"; rc=$?; set -e
assert_eq "$rc" 75 "backfill while locked"
set +e; "$SP" -c sparker.ini run --stage normalise 2>/dev/null; rc=$?; set -e
assert_eq "$rc" 75 "--stage while locked"
# --dry-run does not need the lock
"$SP" -c sparker.ini run --dry-run >/dev/null || die "dry-run must work while a run holds the lock"

# 2. kill -9 the holder: the kernel drops the flock; the run row stays 'running' until the next run.
kill -9 $HOLDER; wait $HOLDER 2>/dev/null || true
assert_eq "$(sq "$DB" "SELECT status FROM run WHERE id=1")" running "killed run row before takeover"
"$SP" -c sparker.ini status >"$T/status.out"
assert_contains "$T/status.out" "process gone"

# 3. A new run takes over at once (not 75), marks the dead run and its stage rows 'killed'.
set +e; "$SP" -c sparker.ini run --job nightly 2>"$T/third.err"; rc=$?; set -e
[ "$rc" != 75 ] || die "stale lock not taken over: $(cat "$T/third.err")"
assert_eq "$(sq "$DB" "SELECT status FROM run WHERE id=1")" killed "dead run marked killed"
assert_eq "$(sq "$DB" "SELECT count(*) FROM stage_run WHERE run_id=1 AND status='running'")" 0 "dead stage rows"
assert_eq "$(sq "$DB" "SELECT status FROM stage_run WHERE run_id=1 ORDER BY id LIMIT 1")" killed "dead stage row killed"
assert_eq "$(sq "$DB" "SELECT count(*) FROM run WHERE id=2 AND status <> 'running' AND ended IS NOT NULL")" 1 "takeover run closed"
assert_eq "$(sq "$DB" "PRAGMA integrity_check")" ok "integrity after kill"
[ ! -s "$DB.lock" ] || die "lock file still names a holder after the run: $(cat "$DB.lock")"

# 4. SIGTERM: the run stops between stage calls, closes as 'killed' and releases the lock.
SPARKER_TEST_STALL=fetch:30 "$SP" -c sparker.ini run --job nightly 2>"$T/holder.err" &
HOLDER=$!
wait_for_holder $HOLDER
kill -TERM $HOLDER
set +e; wait $HOLDER; rc=$?; set -e
[ "$rc" != 0 ] || die "a run stopped by SIGTERM must not exit 0"
last=$(sq "$DB" "SELECT max(id) FROM run")
assert_eq "$(sq "$DB" "SELECT status FROM run WHERE id=$last")" killed "SIGTERM run status"
"$SP" -c sparker.ini run --stage normalise >/dev/null 2>&1 || true
assert_eq "$(sq "$DB" "SELECT count(*) FROM run WHERE status='running'")" 0 "no run left running"
echo "lock: ok"
