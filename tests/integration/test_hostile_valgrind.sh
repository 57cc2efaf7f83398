#!/usr/bin/env bash
# End to end under valgrind memcheck: the demo's nightly job (9 sources over HTTP on 127.0.0.1:
# feeds, CSV, registries, GLEIF XML, paginated JSON; fetch parse normalise dedupe score), then a
# second no-change night (304s), then the yearly report. No invalid read/write, no use of
# uninitialised values, no leak "definitely lost". Skipped on ASan builds (the two do not mix)
# and when valgrind is absent. SPARKER_VALGRIND_FAST=1 uses a 300-startup generated demo.
. "$(dirname "$0")/../lib.sh"
command -v valgrind >/dev/null || skip "valgrind not installed"
if [ "$( (nm -an "$SP"; ldd "$SP") 2>/dev/null | grep -c -e __asan_init -e libasan)" != 0 ]; then skip "ASan build: valgrind does not run sanitized binaries"; fi
mkdir -p "$T/www" "$T/db"
cp "$ROOT"/demo/sources/* "$T/www/"
http_start "$T/www"
sed -e "s|^database = .*|database = $T/db/sparker.db|; s|^raw_dir = .*|raw_dir = $T/raw|; s|^report_dir = .*|report_dir = $T/reports|" \
    -e "s|^url = sources/|url = $HTTP_URL/|" "$ROOT/demo/sparker.ini" >"$T/sp.ini"
VG=(valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --track-origins=yes --error-exitcode=99 --num-callers=30)
vg() { # name args...
  local name=$1; shift
  set +e; timeout 900 "${VG[@]}" --log-file="$T/vg.$name.log" "$SP" -q -c "$T/sp.ini" "$@" >"$T/out.$name" 2>&1; local rc=$?; set -e
  local errs; errs=$(grep -m1 'ERROR SUMMARY' "$T/vg.$name.log" | sed 's/.*ERROR SUMMARY: \([0-9]*\).*/\1/' || true)
  local lost; lost=$(grep -m1 'definitely lost:' "$T/vg.$name.log" | sed 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/' | tr -d , || true)
  echo "MEASURE: valgrind $name: exit $rc, errors ${errs:-?}, definitely lost ${lost:-0} bytes"
  if [ "$rc" = 99 ] || [ "${errs:-1}" != 0 ] || [ "${lost:-0}" != 0 ]; then
    grep -E -A25 'Invalid|uninitialised|definitely lost in' "$T/vg.$name.log" | head -80
    cp "$T/vg.$name.log" "${BUILD:-$ROOT/build}/valgrind-$name.log" 2>/dev/null || true
    die "valgrind reports errors in '$name' (log kept in build/valgrind-$name.log)"
  fi
  [ "$rc" = 0 ] || { cat "$T/out.$name"; die "$name: exit $rc"; }
}
vg night1 run --job nightly --as-of 2025-12-31
vg night2 run --job nightly --as-of 2026-01-01
vg report report --year 2025
echo "INFO: demo nightly x2 + report clean under valgrind memcheck"
