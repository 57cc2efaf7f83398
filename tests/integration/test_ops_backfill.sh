#!/usr/bin/env bash
# test_ops_backfill.sh — `sparker run --backfill FROM..TO`: one run per logical date, stages
# parse..score only (never fetch nor report), from the raw store; resumable (a killed backfill
# resumes at the date it stopped; done dates are skipped); replays everything when the config
# changes; --stage/--source narrow it; bad ranges are usage errors; --dry-run lists the plan.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"

D=$T/w; OPS_DB=$(mkdir -p "$D" && cd "$D" && test_db db/sparker.db); ops_config "$D"
cd "$D"
DB=$OPS_DB
stages_not_ready "$D" && skip "stages not implemented yet: backfill needs parse..score"

run() { set +e; "$SP" -c sparker.ini "$@" >"$T/out" 2>"$T/err"; RC=$?; set -e; }
nruns() { sq "$DB" "SELECT count(*) FROM run WHERE job='backfill' AND args LIKE '%$1%' ${2:+AND $2}"; }

# usage errors first (nothing written, not even a database)
for r in "2025-01-05..2025-01-01" "2025-13-01..2025-12-31" "2025-01-01" "2025-01-01..2025-02-30" "x..y"; do
  run run --backfill "$r"
  assert_eq "$RC" 2 "--backfill $r"
done
run run --backfill 2025-01-01..2025-01-02 --job nightly;  assert_eq "$RC" 2 "--backfill with --job"
run run --backfill 2025-01-01..2025-01-02 --as-of 2025-01-01; assert_eq "$RC" 2 "--backfill with --as-of"
run run --backfill 2025-01-01..2025-01-02 --from fetch;   assert_eq "$RC" 2 "--backfill with fetch"
run run --backfill 2025-01-01..2025-01-02 --stage report; assert_eq "$RC" 2 "--backfill with report"
run run --backfill 2000-01-01..2025-01-01;                assert_eq "$RC" 2 "--backfill of 25 years"
if [ "$BACKEND" = postgresql ]; then # the database exists (empty): no table made in it
  assert_eq "$(sq "$DB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")" 0 "usage errors made tables"
else [ ! -e "$DB" ] || [ "$(sq "$DB" "SELECT count(*) FROM run")" = 0 ] || die "usage errors wrote runs"; fi

# snapshots in the raw store
run run --job nightly --as-of 2024-12-31
assert_eq "$RC" 0 "nightly: $(cat "$T/err")"
fetches=$(sq "$DB" "SELECT count(*) FROM \"fetch\"")

# 1. five dates, one run each, parse..score, no fetch, no report
run run --backfill 2025-01-01..2025-01-05
assert_eq "$RC" 0 "backfill: $(cat "$T/err")"
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] || die "backfill must be silent on success"
K="backfill 2025-01-01..2025-01-05 stages parse..score"
assert_eq "$(nruns "$K" "status='ok'")" 5 "five ok runs"
assert_eq "$(sq "$DB" "SELECT as_of FROM run WHERE job='backfill' ORDER BY id" | paste -sd' ')" \
  "2025-01-01 2025-01-02 2025-01-03 2025-01-04 2025-01-05" "one run per date, in order"
assert_eq "$(sq "$DB" "SELECT count(*) FROM stage_run s JOIN run r ON r.id=s.run_id WHERE r.job='backfill' AND s.stage IN ('fetch','report')")" 0 \
  "no fetch or report in a backfill"
assert_eq "$(sq "$DB" "SELECT stage || ':' || COALESCE(source,'-') FROM stage_run WHERE run_id=(SELECT min(id) FROM run WHERE job='backfill') ORDER BY id" | paste -sd' ')" \
  "parse:alpha parse:beta normalise:- dedupe:- score:-" "stages of one backfill run"
assert_eq "$(sq "$DB" "SELECT count(*) FROM \"fetch\"")" "$fetches" "backfill fetched"

# 2. the same command again: every date skipped
run -v run --backfill 2025-01-01..2025-01-05
assert_eq "$RC" 0 "backfill again"
assert_eq "$(nruns "$K")" 5 "no new runs for done dates"
assert_eq "$(grep -c 'skipped, done in run' "$T/err")" 5 "-v says each date was skipped"
run run --backfill 2025-01-01..2025-01-05 --dry-run
assert_eq "$(grep -c 'would skip' "$T/out")" 5 "dry-run: would skip"

# 3. resumable: kill -9 during the third date, run again
K2="backfill 2025-02-01..2025-02-05 stages parse..score"
SPARKER_TEST_STALL=dedupe:0.4 "$SP" -c sparker.ini run --backfill 2025-02-01..2025-02-05 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  [ "$(nruns "$K2" "as_of='2025-02-03' AND status='running'" 2>/dev/null)" = 1 ] && break
  sleep 0.02
done
kill -9 $pid; wait $pid 2>/dev/null || true
assert_eq "$(nruns "$K2" "status='ok'")" 2 "two dates done before the kill"
run run --backfill 2025-02-01..2025-02-05
assert_eq "$RC" 0 "resumed backfill: $(cat "$T/err")"
for d in 01 02 04 05; do assert_eq "$(nruns "$K2" "as_of='2025-02-$d'")" 1 "2025-02-$d run once"; done
assert_eq "$(sq "$DB" "SELECT status FROM run WHERE as_of='2025-02-03' AND job='backfill' ORDER BY id" | paste -sd' ')" \
  "killed ok" "2025-02-03: killed, then ok"
if [ "$BACKEND" = sqlite ]; then assert_eq "$(sq "$DB" "PRAGMA integrity_check")" ok "integrity"; fi

# 4. a changed config replays every date
echo "; a comment changes the config hash" >> sparker.ini
run run --backfill 2025-01-01..2025-01-05
assert_eq "$RC" 0 "backfill after config change"
assert_eq "$(nruns "$K" "status='ok'")" 10 "config change replays all dates"

# 5. narrowed: one stage, one source
run run --backfill 2025-03-01..2025-03-02 --stage parse --source beta
assert_eq "$RC" 0 "narrow backfill"
assert_eq "$(sq "$DB" "SELECT stage || ':' || COALESCE(source,'-') FROM stage_run s JOIN run r ON r.id=s.run_id WHERE r.args LIKE 'backfill 2025-03-01..2025-03-02 stages parse..parse sources beta' ORDER BY s.id" | paste -sd' ')" \
  "parse:beta parse:beta" "--stage parse --source beta"
echo "backfill: ok"
