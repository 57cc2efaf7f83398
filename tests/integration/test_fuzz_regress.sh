#!/usr/bin/env bash
# Replays, through the fuzz targets built without libFuzzer ($BUILD/fuzz/replay_*, `make test`
# builds them with the normal compiler, `make asan` with sanitizers): every crash kept in
# tests/fuzz/regress/<target>/, the hand-made seeds in tests/fuzz/corpus/<target>/, and the small
# hostile corpus (tests/hostile/files/) through every connector and through normalise; every CSV
# fixture through csv_diff (the fast tokenizer against libcsv).
# Each input must return (no crash, no sanitizer report) within 30 s.
. "$(dirname "$0")/../lib.sh"
B=${BUILD:-$ROOT/build}/fuzz
for b in replay_connector replay_config replay_normalise replay_csv_diff; do
  [ -x "$B/$b" ] || die "$B/$b missing (make $B/$b)"
done
n=0
replay() { # BIN FILES... (env passed by the caller)
  local bin=$1; shift
  [ $# -gt 0 ] || return 0
  if ! timeout 60 "$B/$bin" "$@" >"$T/replay.log" 2>&1; then
    tail -30 "$T/replay.log"; die "$bin (${FUZZ_FORMAT:-}) failed on one of: $*"
  fi
  grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' "$T/replay.log" && { cat "$T/replay.log"; die "sanitizer report"; }
  n=$((n + $#))
}
files() { local d f; for d in "$@"; do [ -d "$d" ] || continue; for f in "$d"/*; do [ -f "$f" ] && echo "$f"; done; done; }
hostile=$(files "$ROOT/tests/hostile/files")
while read -r name format extra; do
  case "$name" in ''|\#*) continue;; esac
  # shellcheck disable=SC2046
  FUZZ_FORMAT=$format FUZZ_EXTRA=$extra replay replay_connector $(files "$ROOT/tests/fuzz/regress/$name" "$ROOT/tests/fuzz/corpus/$name") $hostile
done < "$ROOT/tests/fuzz/targets.txt"
replay replay_config $(files "$ROOT/tests/fuzz/regress/config" "$ROOT/tests/fuzz/corpus/config")
# the fast CSV tokenizer must give libcsv's rows on every CSV we keep (the first byte picks options)
replay replay_csv_diff $(files "$ROOT/tests/fuzz/regress/csv_diff" "$ROOT/tests/fuzz/corpus/csv_diff") \
  $(ls "$ROOT"/tests/fixtures/parse/*.csv "$ROOT"/demo/sources/*.csv "$ROOT"/tests/hostile/files/csv_* 2>/dev/null)
replay replay_normalise $(files "$ROOT/tests/fuzz/regress/"{name,date,domain,normalise} "$ROOT/tests/fuzz/corpus/"{name,date,domain,normalise}) $hostile
echo "INFO: fuzz regressions: $n inputs replayed clean"
