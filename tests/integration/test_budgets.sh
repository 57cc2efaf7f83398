#!/usr/bin/env bash
# test_budgets.sh — stage budgets ([sparker] max_seconds.STAGE, max_rss_mb.STAGE,
# budget_action): a stage made slow (SPARKER_TEST_STALL) over a 1 s budget gives one warning
# line in the run's output, a stage_run.budget, its seconds, and an "OVER BUDGET" line in
# `status`, exit 0; a memory budget of 1 MB is exceeded by any stage; without a budget, or with
# 0, nothing is said. budget_action = fail: a global stage over budget fails the run (exit 1, the
# later stages do not run), a per-source one makes it partial (exit 4); another budget_action
# is a configuration error (exit 3).
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
D=$T/w
OPS_DB=$(mkdir -p "$D" && cd "$D" && test_db db/sparker.db)
ops_config "$D"
cd "$D"
DB=$OPS_DB
"$SP" -c sparker.ini run --job nightly >"$T/first.out" 2>&1 || die "first run: $(cat "$T/first.out")"
cp sparker.ini base.ini

# with BUDGET_LINES put in [sparker]
config() { awk -v add="$1" '{ print } /^\[sparker\]$/ { print add }' base.ini > sparker.ini; }
run() { # EXPECTED_EXIT ARGS...
  local want=$1; shift
  set +e; "$SP" -c sparker.ini run "$@" >"$T/out" 2>"$T/err"; RC=$?; set -e
  assert_eq "$RC" "$want" "exit code of run $* ($(cat "$T/err"))"
}
last() { sq $DB "SELECT $1 FROM stage_run WHERE stage = '$2' ORDER BY id DESC LIMIT 1"; }

# warn (the default): one warning, the run goes on and succeeds
config "max_seconds.normalise = 1"
SPARKER_TEST_STALL=normalise:1.5 run 0 --from normalise
assert_eq "$(grep -c "warning: stage normalise took 1\.[5-9] s, budget 1 s" "$T/err")" 1 "the warning line: $(cat "$T/err")"
assert_eq "$(grep -c warning "$T/err")" 1 "one warning"
[ "$(last "budget" normalise)" != "" ] || die "stage_run.budget is empty"
[ "$(echo "$(last seconds normalise) >= 1.5" | bc)" = 1 ] || die "stage_run.seconds: $(last seconds normalise)"
assert_eq "$(last status normalise)" ok "warn: the stage stays ok"
assert_eq "$(last status score)" ok "warn: the later stages ran"
"$SP" -c sparker.ini status > "$T/status"
grep -q "OVER BUDGET: stage normalise took 1\.[5-9] s, budget 1 s" "$T/status" || die "status: $(cat "$T/status")"

# per source: the source is named
config "max_seconds.parse = 1"
SPARKER_TEST_STALL=parse:1.3 run 0 --stage parse --source alpha
grep -q "warning: stage parse of source alpha took 1\.[3-9] s, budget 1 s" "$T/err" || die "per-source warning: $(cat "$T/err")"

# memory: every stage holds more than 1 MB
config "max_rss_mb.dedupe = 1"
run 0 --stage dedupe
grep -Eq "warning: stage dedupe peak [0-9]+ MB, budget 1 MB" "$T/err" || die "memory warning: $(cat "$T/err")"

# no budget, or 0: nothing said, nothing recorded
for b in "" "max_seconds.normalise = 0"; do
  config "$b"
  SPARKER_TEST_STALL=normalise:1.2 run 0 --stage normalise
  [ ! -s "$T/err" ] || die "no budget ($b): stderr: $(cat "$T/err")"
  assert_eq "$(last "COALESCE(budget,'-')" normalise)" - "no budget ($b): stage_run.budget"
done

# fail: a global stage fails the run, exit 1, the stages after it do not run
config "$(printf 'max_seconds.normalise = 1\nbudget_action = fail')"
SPARKER_TEST_STALL=normalise:1.3 run 1 --from normalise
assert_eq "$(last status normalise)" failed "fail: the stage"
assert_eq "$(sq $DB "SELECT status FROM run ORDER BY id DESC LIMIT 1")" failed "fail: the run"
assert_eq "$(sq $DB "SELECT count(*) FROM stage_run WHERE run_id = (SELECT max(id) FROM run) AND stage = 'dedupe'")" 0 "fail: dedupe did not run"
grep -q "stage normalise took 1\.[3-9] s, budget 1 s (budget_action = fail)" "$T/err" || die "fail: message: $(cat "$T/err")"

# fail, per source: partial, exit 4, the other source and the later stages go on
config "$(printf 'max_seconds.parse = 1\nbudget_action = fail')"
SPARKER_TEST_STALL=parse:1.2 run 4 --from parse --to normalise
assert_eq "$(sq $DB "SELECT status FROM stage_run WHERE run_id = (SELECT max(id) FROM run) ORDER BY id" | paste -sd,)" \
  "failed,failed,ok" "fail per source: parse alpha, parse beta, normalise"
assert_eq "$(sq $DB "SELECT status FROM run ORDER BY id DESC LIMIT 1")" partial "fail per source: the run"

# an unknown budget_action
config "budget_action = panic"
run 3 --stage normalise
grep -q "sparker.ini:[0-9]*: \[sparker\] budget_action must be one of warn, fail, not 'panic'" "$T/err" || die "bad budget_action: $(cat "$T/err")"
echo "ok"
