#!/usr/bin/env bash
# test_demo_taxonomy.sh — demo/sparker.ini carries a verbatim copy of demo/taxonomy.ini (inih has
# no include): the block between the BEGIN/END taxonomy markers must equal the file.
. "$(dirname "$0")/../lib.sh"
[ -f "$ROOT/demo/taxonomy.ini" ] || skip "demo/taxonomy.ini does not exist yet"
"$ROOT/tests/gen/sync_taxonomy.sh" --check || die "taxonomy copy out of date"
n=$(grep -c '^\[taxonomy ' "$ROOT/demo/sparker.ini" || true)
[ "$n" -gt 0 ] || die "demo/sparker.ini has no [taxonomy ...] section"
echo "INFO: demo/sparker.ini carries $n taxonomy domains from demo/taxonomy.ini"
