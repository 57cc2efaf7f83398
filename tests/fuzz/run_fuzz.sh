#!/usr/bin/env bash
# run_fuzz.sh — build every libFuzzer target with clang (-fsanitize=fuzzer,address,undefined) and
# run each for FUZZ_SECONDS (default 30) on its seed corpus: the project's fixtures for that
# format (see seeds() below, copied at run time, large files cut to 60 KB), the hand-made seeds
# in tests/fuzz/corpus/<name>/ and the regression corpus tests/fuzz/regress/<name>/.
# A crash is copied into tests/fuzz/regress/<name>/ (commit it: `make test` replays it from then
# on, tests/integration/test_fuzz_regress.sh) and the script fails.
#
#   FUZZ_SECONDS=N      seconds per target (default 30)
#   FUZZ_TARGETS="a b"  only these targets (names without fuzz_, e.g. "gleif date")
#   FUZZ_JOBS=N         libFuzzer -fork=N workers per target (default 1)
#
# Targets: one per connector format (tests/fuzz/targets.txt, built from fuzz_connector.c with
# -DFUZZ_FORMAT), config (fuzz_config.c), csv_diff (fuzz_csv_diff.c: the fast CSV tokenizer against libcsv), name / date / domain (fuzz_normalise.c with
# -DFUZZ_ONLY) and normalise (every function of normalise.h on each input).
set -euo pipefail
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_JOBS=${FUZZ_JOBS:-1}
B=build-fuzz
command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang libclang-rt-14-dev)"; exit 1; }
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
echo "fuzz: building libsparker.a with clang + sanitizers ($B/)"
make -s -j"$(nproc)" BUILD=$B CC=clang EXTRA_CFLAGS="-Wno-unknown-warning-option -Wno-error" \
     CFLAGS="-O1 -g $SAN -fsanitize=fuzzer-no-link" $B/libsparker.a 2>$B.build.log || { cat $B.build.log; exit 1; }
LIBS="$(make -s --no-print-directory print-libs)" # the Makefile's own list: one place
INC="-I. $(pkg-config --cflags libxml-2.0)"
mkdir -p $B/fuzz
failed=0

# seeds NAME: fixture files that seed a target (globs; missing ones are ignored).
seeds() {
  case "$1" in
    companies_house) echo tests/fixtures/parse/ch_edge.csv demo/sources/companies_house.csv ../shared/data/real/companies-house/*.csv tests/hostile/files/csv_*;;
    sirene)  echo tests/fixtures/parse/sirene_edge.csv tests/fixtures/sirene/*.csv demo/sources/sirene.csv ../shared/data/real/sirene/sample_unites_legales_*.csv tests/hostile/files/csv_*;;
    gleif)   echo tests/fixtures/xml/gleif* tests/fixtures/gleif/* demo/sources/gleif.xml tests/hostile/files/xml_*;;
    feed)    echo tests/fixtures/xml/* tests/fixtures/json/feed*.json tests/fixtures/news/* demo/sources/feed_*.xml tests/hostile/files/xml_*;;
    csv)     echo tests/fixtures/parse/cb_modern.csv tests/fixtures/parse/crunchbase_mac.csv demo/sources/crunchbase.csv demo/sources/malformed.csv tests/hostile/files/csv_*;;
    json)    echo tests/fixtures/json/* demo/sources/api_page1.json;;
    config)  echo demo/sparker.ini tests/fixtures/report/sparker.ini;;
    csv_diff) echo tests/fixtures/parse/*.csv demo/sources/malformed.csv tests/hostile/files/csv_*;;
    name|normalise) echo demo/sources/startups.csv;;
  esac
}

run_target() { # name src defines...
  local name=$1 short=${1#fuzz_} src=$2; shift 2
  if [ -n "${FUZZ_TARGETS:-}" ] && ! [[ " $FUZZ_TARGETS " == *" $short "* ]]; then return 0; fi
  clang -std=c11 -D_GNU_SOURCE -O1 -g $SAN -fsanitize=fuzzer $INC "$@" -o $B/fuzz/$name $src $B/libsparker.a $LIBS
  local corpus=$B/fuzz/corpus-$name; rm -rf "$corpus"; mkdir -p "$corpus"
  local f
  for f in $(seeds "$short"); do
    [ -f "$f" ] || continue
    if [ "$(stat -c %s "$f")" -gt 61440 ]; then head -c 61440 "$f" >"$corpus/seed-$(basename "$f")"; else cp "$f" "$corpus/seed-$(basename "$f")"; fi
  done
  for d in tests/fuzz/corpus/$short tests/fuzz/regress/$short; do [ -d "$d" ] && cp "$d"/* "$corpus"/ 2>/dev/null || true; done
  echo "fuzz $name: ${FUZZ_SECONDS}s on $(ls "$corpus" | wc -l) seeds"
  local fork=""; [ "$FUZZ_JOBS" -gt 1 ] && fork="-fork=$FUZZ_JOBS -ignore_crashes=0"
  if ! (cd $B/fuzz && ASAN_OPTIONS=detect_leaks=1 ./$name -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 \
        -timeout=10 $fork -artifact_prefix="crash-$name-" "corpus-$name" >"$name.log" 2>&1); then
    echo "fuzz $name: FAILED (see $B/fuzz/$name.log)"; grep -A25 -m1 -E 'ERROR|runtime error|timeout|out-of-memory' "$B/fuzz/$name.log" || tail -30 "$B/fuzz/$name.log"
    mkdir -p tests/fuzz/regress/$short
    for c in $B/fuzz/crash-$name-* ; do [ -f "$c" ] && cp "$c" tests/fuzz/regress/$short/ && echo "fuzz $name: saved tests/fuzz/regress/$short/$(basename "$c")"; done
    failed=1
  else
    grep -E '^Done|^#[0-9]+: cov' "$B/fuzz/$name.log" | tail -1 | sed "s/^/fuzz $name: /" || true
  fi
}
while read -r name format extra; do
  case "$name" in ''|\#*) continue;; esac
  run_target "fuzz_$name" tests/fuzz/fuzz_connector.c -DFUZZ_FORMAT="\"$format\"" -DFUZZ_EXTRA="\"$(printf '%s' "$extra")\""
done < tests/fuzz/targets.txt
run_target fuzz_config tests/fuzz/fuzz_config.c
run_target fuzz_csv_diff tests/fuzz/fuzz_csv_diff.c
for fam in name date domain; do
  run_target "fuzz_$fam" tests/fuzz/fuzz_normalise.c -DFUZZ_ONLY="\"$fam\""
done
run_target fuzz_normalise tests/fuzz/fuzz_normalise.c
[ $failed = 0 ] && echo "fuzz: all targets ran clean" || echo "fuzz: crashes saved under tests/fuzz/regress/ (commit them)"
exit $failed
