#!/usr/bin/env bash
# sync_taxonomy.sh — copy demo/taxonomy.ini verbatim into demo/sparker.ini, between the
# "BEGIN taxonomy" and "END taxonomy" marker lines (inih has no include directive).
# Usage: tests/gen/sync_taxonomy.sh [--check]   (--check: exit 1 when the copy differs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INI=$ROOT/demo/sparker.ini TAX=$ROOT/demo/taxonomy.ini
[ -f "$TAX" ] || { echo "sync_taxonomy: $TAX does not exist yet" >&2; exit 2; }
grep -q '^; ---- BEGIN taxonomy' "$INI" && grep -q '^; ---- END taxonomy' "$INI" || {
  echo "sync_taxonomy: marker lines missing in $INI" >&2; exit 2; }
new=$(mktemp)
trap 'rm -f "$new"' EXIT
awk -v tax="$TAX" '
  /^; ---- BEGIN taxonomy/ { print; while ((getline l < tax) > 0) print l; skip = 1; next }
  /^; ---- END taxonomy/   { skip = 0 }
  !skip { print }' "$INI" >"$new"
if [ "${1:-}" = "--check" ]; then
  cmp -s "$new" "$INI" || { echo "demo/sparker.ini: the taxonomy block differs from demo/taxonomy.ini (run tests/gen/sync_taxonomy.sh)"; exit 1; }
  exit 0
fi
cmp -s "$new" "$INI" || cat "$new" >"$INI"
