#!/usr/bin/env bash
# test_ops_kill.sh — kill -9 at random instants of the nightly job, then rerun: the database
# always passes PRAGMA integrity_check, no run is left 'running', and the exports (members,
# entities, qualified) hash exactly like those of an uninterrupted run. Also: a rerun of the
# whole job and of each stage on unchanged input leaves the exports unchanged (reruns are exact).
#
# Input: ~8,000 synthetic rows in two mapped-CSV sources (generator in test_ops_lib.inc), with
# overlapping names so dedupe merges. KILL_ROUNDS (default 15) rounds, bounded to ~60 s.
# Even rounds kill the first night (empty database); odd rounds run night 1 uninterrupted, then
# change the sources (rows added, rows gone) and kill night 2, so a kill also hits a database
# that already holds committed state, which must be updated exactly like an uninterrupted night 2.
# Skips (77) while a stage of the nightly job is still a placeholder.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"

# a private copy of the binary: a concurrent `make` must not swap it between reference and rounds
cp "$SP" "$T/sparker.bin"; SP=$T/sparker.bin
ROUNDS=${KILL_ROUNDS:-15}
BUDGET=${KILL_BUDGET_SECONDS:-60}
ASOF=2025-06-30

B=$T/base
mkdir -p "$B/src"
OPS_DB=$(cd "$B" && test_db db/sparker.db) # PostgreSQL: an empty database each copy of $B copies
ops_gen_csv "$B/src/alpha.csv" 5000 11 A
ops_gen_csv "$B/src/beta.csv" 3000 12 B
ops_config "$B"
# night 2's sources: alpha gains rows, beta loses its first 500 data rows
mkdir -p "$B/night2"
ops_gen_csv "$T/extra.csv" 800 13 C
{ cat "$B/src/alpha.csv"; tail -n +2 "$T/extra.csv"; } > "$B/night2/alpha.csv"
{ head -1 "$B/src/beta.csv"; tail -n +502 "$B/src/beta.csv"; } > "$B/night2/beta.csv"
ASOF2=2025-07-01

nightly() { "$SP" -c sparker.ini run --job nightly --as-of $ASOF "$@"; }
exports_hash() { # DIR
  (cd "$1" && for k in members entities qualified; do "$SP" -c sparker.ini export $k || exit 1; done) | sha256sum | cut -c1-16
}

# Reference: one uninterrupted run.
test_copy_dir "$B" "$T/ref"
t0=$(date +%s%N)
set +e; (cd "$T/ref" && nightly) >"$T/ref.out" 2>&1; rc=$?; set -e
ref_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if grep -q "not implemented yet" "$T/ref.out"; then
  skip "a stage of the nightly job is not implemented yet: $(grep -m1 'not implemented' "$T/ref.out" | cut -c1-120)"
fi
[ $rc = 0 ] || die "reference run failed (exit $rc): $(tail -5 "$T/ref.out")"
REF=$(exports_hash "$T/ref")
ents=$(sq "$(dir_db "$T/ref")" "SELECT count(*) FROM entity WHERE merged_into IS NULL")
qual=$(sq "$(dir_db "$T/ref")" "SELECT count(*) FROM selection WHERE qualified=1")
[ "$ents" -gt 100 ] || die "reference run made only $ents entities"
echo "INFO: reference run ${ref_ms}ms, $ents entities, $qual qualified, exports $REF"

# Reruns are exact: the whole job again, then each stage by hand.
(cd "$T/ref" && nightly) || die "second uninterrupted run failed"
assert_eq "$(exports_hash "$T/ref")" "$REF" "exports after a rerun of the job"
for s in parse normalise dedupe score; do
  (cd "$T/ref" && "$SP" -c sparker.ini run --stage $s --as-of $ASOF) || die "rerun --stage $s failed"
  assert_eq "$(exports_hash "$T/ref")" "$REF" "exports after rerun --stage $s"
done

# Reference for two nights.
test_copy_dir "$B" "$T/ref2"
(cd "$T/ref2" && nightly && cp night2/*.csv src/ && "$SP" -c sparker.ini run --job nightly --as-of $ASOF2) >"$T/ref2.out" 2>&1 ||
  die "two-night reference failed: $(tail -5 "$T/ref2.out")"
REF2=$(exports_hash "$T/ref2")
[ "$REF2" != "$REF" ] || die "night 2 changed nothing: the two-night rounds would prove nothing"
echo "INFO: two-night reference exports $REF2"

# Kill rounds.
start=$SECONDS
hits=""
done_rounds=0
for i in $(seq 1 "$ROUNDS"); do
  [ $((SECONDS - start)) -lt "$BUDGET" ] || { echo "INFO: time budget reached after $done_rounds rounds"; break; }
  W=$T/k$i
  rm -rf "$W"; test_copy_dir "$B" "$W"
  asof=$ASOF; want=$REF
  if [ $((i % 2)) = 1 ]; then
    (cd "$W" && nightly && cp night2/*.csv src/) >/dev/null 2>&1 || die "round $i: night 1 failed"
    asof=$ASOF2; want=$REF2
  fi
  kills=$(( i % 3 == 0 ? 2 : 1 ))   # every third round kills the rerun too
  for k in $(seq 1 $kills); do
    delay_ms=$(( RANDOM % (ref_ms * 12 / 10 + 5) ))
    (cd "$W" && exec "$SP" -c sparker.ini run --job nightly --as-of $asof) >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '0.%03d' "$delay_ms")"
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    hit=$(sq "$(dir_db "$W")" "SELECT COALESCE((SELECT stage FROM stage_run WHERE status='running' ORDER BY id DESC LIMIT 1),
             (SELECT CASE WHEN count(*) = 0 THEN 'before-run' ELSE 'after-run' END FROM run WHERE status <> 'running'))" 2>/dev/null || echo "no-db")
    hits="$hits $hit"
  done
  set +e; (cd "$W" && "$SP" -c sparker.ini run --job nightly --as-of $asof) >"$T/rerun.out" 2>&1; rc=$?; set -e
  [ $rc = 0 ] || die "round $i: rerun after kill failed (exit $rc): $(tail -5 "$T/rerun.out")"
  if [ "$BACKEND" = sqlite ]; then assert_eq "$(sq "$(dir_db "$W")" "PRAGMA integrity_check")" ok "round $i: integrity_check"; fi
  assert_eq "$(sq "$(dir_db "$W")" "SELECT count(*) FROM run WHERE status='running'")" 0 "round $i: runs left running"
  assert_eq "$(sq "$(dir_db "$W")" "SELECT count(*) FROM stage_run WHERE status='running'")" 0 "round $i: stages left running"
  got=$(exports_hash "$W")
  [ "$got" = "$want" ] || die "round $i (as of $asof, killed in:$hits): exports $got differ from the uninterrupted run's $want"
  rm -rf "$W"
  done_rounds=$i
done
[ "$done_rounds" -ge 5 ] || die "only $done_rounds kill rounds ran within ${BUDGET}s"
summary=$(echo $hits | tr ' ' '\n' | sort | uniq -c | awk '{printf "%s%s=%s", sep, $2, $1; sep=" "}')
echo "MEASURE: kill -9 rounds: $done_rounds, kills by stage hit: $summary; all exports identical, integrity ok"
