#!/usr/bin/env bash
# test_house.sh — the house rules of docs/DESIGN.md, checked on the tree and on the binary:
# tests/house/check_house.py (function and file lengths, only cli/ prints or exits, includes name
# their folder, no hand-written prototypes, README and docs stand alone), then a write error on
# standard output is a failure with a message (git's check after every command).
. "$(dirname "$0")/../lib.sh"
python3 "$ROOT/tests/house/check_house.py" "$ROOT" > "$T/house" || { cat "$T/house"; die "house rules broken"; }
tail -1 "$T/house" | sed 's/^/INFO: /'

# stdout to a full disk: non-zero exit and a message, for a command that writes a lot and one
# that writes a line
cp -r "$ROOT/demo" "$T/demo"
sed -i "s|^database *=.*|database = $T/db/sparker.db|; s|^raw_dir *=.*|raw_dir = $T/raw|; s|^report_dir *=.*|report_dir = $T/reports|" "$T/demo/sparker.ini"
"$SP" -c "$T/demo/sparker.ini" run --job nightly --as-of 2025-12-31 --quiet || die "demo run failed"
for cmd in "export entities" "export members" "help" "version" "status"; do
  set +e
  "$SP" -c "$T/demo/sparker.ini" $cmd > /dev/full 2> "$T/err"
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || die "sparker $cmd > /dev/full exited 0"
  grep -q "write error on standard output" "$T/err" || die "sparker $cmd > /dev/full: no message ($(cat "$T/err"))"
done
"$SP" -c "$T/demo/sparker.ini" export entities > "$T/entities.csv" || die "export to a file failed"
[ "$(wc -l < "$T/entities.csv")" -gt 100 ] || die "export wrote too little"
echo "INFO: > /dev/full fails with a message for export, help, version, status"
