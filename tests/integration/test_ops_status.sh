#!/usr/bin/env bash
# test_ops_status.sh — observability: log lines (timestamp, run id, one per stage call) in the
# config's log_file on every run; stderr silent on success, stage lines + a closing line on
# failure, one line with -q, every line with -v; exit 4 when a source fails and the others go
# on; `sparker status` shows the last run of each job with its stages, counts, durations and
# peak memory, recent failures, each source's last good snapshot and its age, and flags a
# source failing three nights running.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"

D=$T/w; OPS_DB=$(mkdir -p "$D" && cd "$D" && test_db db/sparker.db); ops_config "$D"
cd "$D"
sed -i 's/^report_dir = reports$/report_dir = reports\nlog_file = sparker.log/' sparker.ini
stages_not_ready "$D" && skip "stages not implemented yet"
DB=$OPS_DB
run() { set +e; "$SP" -c sparker.ini "$@" >"$T/out" 2>"$T/err"; RC=$?; set -e; }
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

# success: silent on stdout/stderr, lines in the log file
run run --job nightly
assert_eq "$RC" 0 "nightly: $(cat "$T/err")"
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] || die "a successful run must print nothing (cron mails any output)"
grep -Eq "^$TS run 1 start as-of [0-9-]{10}: run --job nightly$" sparker.log || die "start line: $(cat sparker.log)"
assert_eq "$(grep -Ec "^$TS run 1 (fetch|parse|normalise|dedupe|score) " sparker.log)" 7 "one log line per stage call"
grep -Eq "^$TS run 1 parse +alpha +ok in=[0-9]+ out=[0-9]+ rejected=[0-9]+ [0-9.]+s peak=[0-9]+KB" sparker.log || die "stage line format"
grep -Eq "^$TS run 1 end ok: 7 stage calls ok, 0 failed" sparker.log || die "end line: $(tail -1 sparker.log)"

# -v: the same lines on stderr
run -v run --stage normalise
assert_eq "$RC" 0 "-v run"
grep -Eq "^$TS run 2 normalise " "$T/err" || die "-v must print stage lines: $(cat "$T/err")"
run run --stage normalise --verbose
grep -Eq "^$TS run 3 normalise " "$T/err" || die "run --verbose must print stage lines"

# a failing source: exit 4, the others go on; stderr has the stage lines and one closing line
sed -i 's#^url = src/beta.csv$#url = src/missing.csv#' sparker.ini
run run --job nightly
assert_eq "$RC" 4 "a failing source gives exit 4"
grep -Eq "^$TS run 4 fetch +beta +FAILED" "$T/err" || die "failure summary lacks the failed stage line: $(cat "$T/err")"
tail -1 "$T/err" | grep -q "^sparker: run 4 finished with failed sources: fetch beta: " || die "closing line: $(tail -1 "$T/err")"
grep -Eq "^$TS run 4 score +- +ok" "$T/err" || die "the other stages went on"
assert_eq "$(sq "$DB" "SELECT status FROM run WHERE id=4")" partial "run status"
# -q: one line only
run -q run --job nightly
assert_eq "$RC" 4 "-q exit"
assert_eq "$(wc -l < "$T/err")" 1 "-q prints one line on failure"
run run --job nightly --quiet
assert_eq "$(wc -l < "$T/err")" 1 "run --quiet prints one line on failure"
grep -Eq "^$TS run 6 fetch +beta +FAILED" sparker.log || die "the log file gets failures too"

# status
run status
assert_eq "$RC" 0 "status"
S=$T/out
grep -q "^  nightly    run 6 as of .*: partial, peak [0-9]* KB" "$S" || die "status: last nightly run: $(cat "$S")"
grep -q "error: fetch beta:" "$S" || die "status: the run's error"
grep -Eq "^    fetch +beta +failed" "$S" || die "status: stage rows"
grep -Eq "^    score +- +ok +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+" "$S" || die "status: counts, secs, peak KB"
grep -q "^  manual     run 3 " "$S" || die "status: last run of job manual"
grep -q "^Failed, killed and partial runs" "$S" || die "status: failures section"
grep -Eq "^  alpha +csv +$TS +0 0" "$S" || die "status: alpha's last good snapshot and age: $(grep alpha "$S")"
grep -Eq "^ +snapshot fetch [0-9]+ [0-9a-f]{12} [0-9]+B" "$S" || die "status: snapshot hash"
fails=$(sq "$DB" "SELECT consecutive_failures FROM source_state WHERE source='beta'")
echo "INFO: beta consecutive_failures after 3 failing nights: $fails"
assert_eq "$fails" 3 "fetch counts consecutive failures"
grep -q "^  beta .*FAILING 3+ NIGHTS" "$S" || die "status: beta failing 3 nights must be flagged: $(grep beta "$S")"
grep -q "^  alpha .*FAILING" "$S" && die "status: alpha flagged wrongly"
echo "status: ok"
