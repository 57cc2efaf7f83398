#!/usr/bin/env bash
# test_ops_select.sh — `sparker run` options do exactly what they say, checked in the stage_run
# and run tables: --stage, --from/--to, --source, --as-of, --job, --dry-run, and bad arguments.
# Works whether or not the stages are implemented yet: a failing global stage stops a run, so
# for global ranges the test checks the calls made are an in-order prefix of the range, and
# the whole range when the run succeeded.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"

D=$T/w; OPS_DB=$(mkdir -p "$D" && cd "$D" && test_db db/sparker.db); ops_config "$D"
cd "$D"
DB=$OPS_DB
no_schema() { # the database holds no table (SQLite: no file)
  if [ "$BACKEND" = sqlite ]; then [ ! -e "$DB" ]
  else [ "$(sq "$DB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")" = 0 ]; fi
}
ORDER="fetch parse normalise dedupe score report"

run() { set +e; "$SP" -c sparker.ini "$@" >"$T/out" 2>"$T/err"; RC=$?; set -e; }
last_run() { sq "$DB" "SELECT max(id) FROM run"; }
calls() { sq "$DB" "SELECT stage || ':' || COALESCE(source,'-') FROM stage_run WHERE run_id=$(last_run) ORDER BY id" | tr '\n' ' ' | sed 's/ $//'; }
expected_calls() { # STAGES... (per-source stages expand to alpha beta unless SOURCES is set)
  local out="" s src
  for s in "$@"; do
    case $s in
      fetch|parse) for src in ${SOURCES:-alpha beta}; do out="$out $s:$src"; done ;;
      *) out="$out $s:-" ;;
    esac
  done
  echo "${out# }"
}
check_range() { # MSG STAGES...: calls are the expected list, or its prefix when the run failed
  local msg=$1; shift
  local want got; want=$(expected_calls "$@"); got=$(calls)
  if [ "$RC" = 0 ] || [ "$RC" = 4 ]; then
    assert_eq "$got" "$want" "$msg"
  else
    case "$want " in "$got "*) ;; *) die "$msg: calls '$got' are not a prefix of '$want'" ;; esac
    [ -n "$got" ] || die "$msg: no stage was called"
  fi
}

# --dry-run before any database: nothing created, what would run listed with counts
run run --dry-run
assert_eq "$RC" 0 "dry-run exit"
no_schema || die "--dry-run created the database"
assert_eq "$(grep -c '^would run:' "$T/out")" 7 "dry-run lines for nightly (2 fetch, 2 parse, 3 global)"
assert_contains "$T/out" "would run: normalise"

# plain `run` is the nightly job
run run
assert_eq "$(sq "$DB" "SELECT job FROM run WHERE id=$(last_run)")" nightly "plain run records job nightly"
check_range "nightly" fetch parse normalise dedupe score

# --stage S: exactly that stage, once (global) or once per source
for s in fetch parse normalise dedupe score; do
  run run --stage $s
  [ "$RC" != 2 ] || die "--stage $s: usage error: $(cat "$T/err")"
  assert_eq "$(calls)" "$(expected_calls $s)" "--stage $s"
  assert_eq "$(sq "$DB" "SELECT job FROM run WHERE id=$(last_run)")" manual "--stage run job"
done

# --source restricts per-source stages, repeatable
SOURCES=beta; run run --from fetch --to parse --source beta
check_range "--from fetch --to parse --source beta" fetch parse
SOURCES="alpha beta"; run run --stage fetch --source beta --source alpha
assert_eq "$(calls)" "fetch:alpha fetch:beta" "--source twice (config order)"
unset SOURCES

# --from/--to ranges
run run --from dedupe --to score;   check_range "--from dedupe --to score" dedupe score
run run --from normalise;           check_range "--from normalise (stops after score)" normalise dedupe score
run run --from parse --to parse;    check_range "--from parse --to parse" parse
run run --to parse;                 check_range "--to parse" fetch parse

# --as-of sets the run's logical date (leap day ok), default today UTC
run run --stage normalise --as-of 2024-02-29
assert_eq "$(sq "$DB" "SELECT as_of FROM run WHERE id=$(last_run)")" 2024-02-29 "--as-of"
run run --stage normalise
assert_eq "$(sq "$DB" "SELECT as_of FROM run WHERE id=$(last_run)")" "$(date -u +%Y-%m-%d)" "default as_of"

# --dry-run writes nothing, takes no lock, prints counts per stage call
before=$(sq "$DB" "SELECT count(*) FROM run") ; before_s=$(sq "$DB" "SELECT count(*) FROM stage_run")
run run --from parse --to score --source alpha --dry-run
assert_eq "$RC" 0 "dry-run exit"
assert_eq "$(sq "$DB" "SELECT count(*) FROM run")" "$before" "dry-run wrote a run row"
assert_eq "$(sq "$DB" "SELECT count(*) FROM stage_run")" "$before_s" "dry-run wrote stage rows"
assert_eq "$(grep -c '^would run:' "$T/out")" 4 "dry-run lines (parse alpha, normalise, dedupe, score)"
grep -q '^would run: parse     alpha .*reads [0-9]' "$T/out" || die "dry-run parse line: $(cat "$T/out")"
recs=$(sq "$DB" "SELECT count(*) FROM record WHERE gone=0")
grep -q "^would run: normalise (all) *reads $recs live records" "$T/out" || die "dry-run normalise count ($recs): $(cat "$T/out")"
cands=$(sq "$DB" "SELECT count(*) FROM candidate")
grep -q "^would run: dedupe .*reads $cands candidates" "$T/out" || die "dry-run dedupe count ($cands)"
ents=$(sq "$DB" "SELECT count(*) FROM entity WHERE merged_into IS NULL")
grep -q "^would run: score .*reads $ents entities" "$T/out" || die "dry-run score count ($ents)"
echo "INFO: dry-run counts: records=$recs candidates=$cands entities=$ents"

# bad arguments: exit 2, nothing written
n=$(sq "$DB" "SELECT count(*) FROM run")
for args in "--stage nosuch" "--from score --to parse" "--source nosuch --stage fetch" "--as-of 2023-02-29" \
            "--as-of yesterday" "--job nosuch" "--stage parse --from parse" "--job nightly --stage score" "extra"; do
  run run $args
  assert_eq "$RC" 2 "run $args exit code"
  assert_eq "$(wc -l < "$T/err")" 1 "run $args: one-line message"
done
assert_eq "$(sq "$DB" "SELECT count(*) FROM run")" "$n" "bad arguments wrote run rows"
echo "select: ok"
