#!/usr/bin/env bash
# Hostile input: a zip cut in half, a zip cut inside its central directory, a gzip cut in the
# middle. Each must end in a clear error (the source fails, the run says partial), no crash.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
for f in zip_truncated_half.zip zip_truncated_cd.zip gz_truncated.csv.gz; do
  rm -rf "$T/db" "$T/raw"
  hostile_config s companies_house "$H_FILES/$f"
  hostile_run 4
  hostile_outcome
  m=$(q "SELECT message FROM stage_run WHERE status != 'ok' AND stage IN ('fetch','parse')")
  echo "$m" | grep -Eqi 'zip|gzip|inflate|truncat|end of file|archive' || die "$f: unclear error: '$m'"
  [ "$(q 'SELECT count(*) FROM record')" = 0 ] || die "$f: records stored from a truncated archive"
done
