#!/usr/bin/env bash
# run_tests.sh UNIT_BIN... -- INTEGRATION_SCRIPT...
# Runs every cmocka unit binary and every integration script, prints one line per test file and a
# closing "N passed, N failed[, N skipped]" line. Exit status is non-zero when anything failed.
# An integration script exits 0 (pass), 77 (skipped: it prints why), anything else (fail).
# The PostgreSQL pass: every script with a line `# backends: ... postgresql` runs a second time with
# SPARKER_TEST_BACKEND=postgresql (tests/lib.sh), reported as "test_x.sh [postgresql]", on ONE
# throwaway cluster started here (tests/pg_cluster.sh; each test makes its own databases on it).
# Without the PostgreSQL server binaries the pass is skipped, one SKIP line per test.
set -u
pass=0; fail=0; skip=0; failed_names=()
units=(); integ=(); seen_sep=0
for a in "$@"; do
  if [ "$a" = "--" ]; then seen_sep=1; continue; fi
  if [ $seen_sep = 0 ]; then units+=("$a"); else integ+=("$a"); fi
done
logdir=${BUILD:-build}/test-logs
mkdir -p "$logdir"
run_one() { # kind name cmd...
  local kind=$1 name=$2; shift 2
  local log="$logdir/$(basename "$name" | tr ' ' - | tr -d '[]').log" t0=$SECONDS rc
  "$@" >"$log" 2>&1; rc=$?
  local dt=$((SECONDS - t0))
  if [ $rc = 0 ]; then
    pass=$((pass + 1)); printf 'PASS  %-12s %-45s %3ds\n' "$kind" "$(basename "$name")" "$dt"
    grep -E '^(MEASURE|INFO):' "$log" | sed 's/^/      /'
  elif [ $rc = 77 ]; then
    skip=$((skip + 1)); printf 'SKIP  %-12s %-45s %s\n' "$kind" "$(basename "$name")" "$(grep -m1 -i 'skip' "$log")"
  else
    fail=$((fail + 1)); failed_names+=("$name")
    printf 'FAIL  %-12s %-45s %3ds (exit %d)\n' "$kind" "$(basename "$name")" "$dt" "$rc"
    tail -n 40 "$log" | sed 's/^/      | /'
  fi
}
for u in ${units[@]+"${units[@]}"}; do run_one unit "$u" "$u"; done
for t in ${integ[@]+"${integ[@]}"}; do run_one integration "$t" bash "$t"; done
pg_pass() { # the marked scripts again on PostgreSQL
  local marked=() t rc=0 pgdir t0=$SECONDS
  for t in ${integ[@]+"${integ[@]}"}; do grep -q '^# backends:.*postgresql' "$t" && marked+=("$t"); done
  [ ${#marked[@]} -gt 0 ] || return 0
  . "$(dirname "$0")/pg_cluster.sh"
  pgdir=$(mktemp -d "${TMPDIR:-/tmp}/sparker-pgpass.XXXXXX")
  pg_cluster_start "$pgdir" 2>"$pgdir.err" || rc=$?
  if [ $rc != 0 ]; then
    local why="PostgreSQL server binaries absent (/usr/lib/postgresql/*/bin; make deps installs them)"
    [ $rc = 2 ] || why="the PostgreSQL cluster did not start: $(tail -2 "$pgdir.err")"
    for t in "${marked[@]}"; do
      skip=$((skip + 1)); printf 'SKIP  %-12s %-45s SKIP: %s\n' integration "$(basename "$t") [postgresql]" "$why"
    done
    rm -rf "$pgdir" "$pgdir.err"; return 0
  fi
  for t in "${marked[@]}"; do
    SPARKER_TEST_BACKEND=postgresql SPARKER_TEST_PG_PORT=$PG_PORT SPARKER_TEST_PG_BIN=$PG_BIN \
      run_one integration "$(basename "$t") [postgresql]" bash "$t"
  done
  pg_cluster_stop "$pgdir"
  cp "$pgdir/log" "$logdir/postgresql-server.log" 2>/dev/null # the server's ERROR lines, for a post-mortem
  rm -rf "$pgdir" "$pgdir.err"
  echo "MEASURE: the PostgreSQL pass: ${#marked[@]} tests in $((SECONDS - t0)) s"
}
pg_pass
echo
[ $fail -gt 0 ] && printf 'failed: %s\n' "${failed_names[@]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ] && [ $pass -gt 0 ]
