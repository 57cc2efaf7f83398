#!/usr/bin/env bash
# Hostile input: zip entry names with ../, an absolute path and a symlink entry. Entry names are
# never used as paths: nothing may be written outside the raw store, and the raw store holds
# only content-addressed files.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
rm -f /tmp/sparker-zipslip-evil.csv /tmp/sparker-zipslip-abs.csv "$T/../sparker-zipslip-link.csv" 2>/dev/null || true
mkdir -p "$T/work/a/b"
hostile_config s companies_house "$H_FILES/zip_slip.zip"
(cd "$T/work/a/b" && hostile_run 0 4)
hostile_outcome
hostile_explained
for f in /tmp/sparker-zipslip-evil.csv /tmp/sparker-zipslip-abs.csv "$T/../sparker-zipslip-link.csv" "$T/work/a/sparker-zipslip-link.csv" "$T/work/sparker-zipslip-evil.csv"; do
  [ -e "$f" ] && die "written outside the raw store: $f"
done
[ -z "$(find "$T/work" -mindepth 3)" ] || die "files written in the working directory: $(find "$T/work" -mindepth 3)"
bad=$(find "$T/raw" -regextype posix-extended -type f ! -regex '.*/raw/s/[0-9a-f]{64}\.[a-z.]+' -print)
[ -z "$bad" ] || die "raw store holds non content-addressed files: $bad"
[ -z "$(find "$T/raw" -type l)" ] || die "symlink in the raw store"
echo "nothing written outside the raw store"
