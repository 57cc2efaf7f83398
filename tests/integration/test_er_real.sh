#!/usr/bin/env bash
# Dedupe on the labelled real ER sets in ../shared/data/real (read in place, never copied):
# Fodor's/Zagat restaurants, Foursquare/Locu venues, two Crunchbase snapshots (2013-10, 2014-01)
# linked by permalink, the YC list linked to Crunchbase by slug, and the Chicago early-childhood
# sites (address-level truth, so recall on names alone is expected to be low). Records go straight into `record`; normalise + dedupe run
# through the binary; pairwise precision/recall are printed as MEASURE lines.
# Floors asserted: precision >= 0.95 on restaurants, crunchbase and yc_crunchbase. Foursquare/Locu truth is per
# venue (every Starbucks is its own entity) while sparker's entity is the company, so chains count
# as false positives there; Chicago's truth is per address. Both are measured, not asserted.
# yc_crunchbase: the YC list 2005-2014 against Crunchbase 2014-01, truth = the list's own Crunchbase
# URL slug equal to a permalink (hidden from the matcher).
. "$(dirname "$0")/../lib.sh"
D=$(shared_data)
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is absent"
fail=0
for set in restaurants foursquare crunchbase2013 chicago yc_crunchbase; do
  W=$T/$set
  mkdir -p "$W"
  {
    printf '[sparker]\ndatabase = er.db\nraw_dir = raw\nreport_dir = rep\n'
    for s in er_a er_b er_1 er_2 er_3 er_4 er_5 er_6 er_7 er_8 er_9; do
      printf '[source %s]\nformat = csv\nurl = %s.csv\n' "$s" "$s"
    done
  } >"$W/sparker.ini"
  (cd "$W" && "$SP" -c sparker.ini init >/dev/null 2>&1) || die "$set: cannot initialise the database"
  n=$(python3 "$ROOT/tests/integration/er_real_load.py" "$set" "$D" "$W/er.db" "$W/truth.csv") || die "$set: load failed"
  start=$(date +%s.%N)
  (cd "$W" && "$SP" -c sparker.ini run --from normalise --to dedupe --as-of 2025-12-31 --quiet >"$W/run.log" 2>&1) ||
    die "$set: normalise/dedupe failed: $(cat "$W/run.log")"
  secs=$(python3 -c "import time; print('%.1f' % (time.time() - $start))")
  res=$(python3 "$ROOT/tests/integration/dedupe_eval.py" "$W/er.db" "$W/truth.csv" "$W/sparker.ini")
  echo "MEASURE: dedupe real $set ($n records, ${secs}s) $res"
  p=$(echo "$res" | sed 's/.*precision=\([0-9.]*\).*/\1/')
  if { [ "$set" = restaurants ] || [ "$set" = crunchbase2013 ] || [ "$set" = yc_crunchbase ]; } && ! python3 -c "import sys; sys.exit(0 if $p >= 0.95 else 1)"; then
    echo "FAIL: $set precision $p below 0.95"; fail=1
  fi
done
exit $fail
