#!/usr/bin/env bash
# Hostile input: impossible dates (31/02/2024, 29/02/2023, 00/00/0000, a 20-digit year,
# negatives): the record is kept (a bad date does not make a company disappear) but its
# founding date is empty, never an impossible ISO date.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
hostile_config s companies_house "$H_FILES/csv_dates.csv"
hostile_run 0
hostile_outcome
assert_eq "$(q "SELECT count(*) FROM candidate")" 7 "candidates"
for k in 94000001 94000002 94000004 94000005 94000006 94000007; do  # 94000005: 01/13/2020 is no dd/mm/yyyy date
  v=$(q "SELECT coalesce(c.founded,'') FROM candidate c JOIN record r ON r.id = c.record_id WHERE r.source_key = '$k'")
  [ -z "$v" ] || die "record $k: impossible date normalised to '$v'"
done
assert_eq "$(q "SELECT c.founded FROM candidate c JOIN record r ON r.id = c.record_id WHERE r.source_key = '94000003'")" 2024-02-29 "leap day"
bad=$(q "SELECT count(*) FROM candidate WHERE founded IS NOT NULL AND founded != '' AND date(substr(founded || '-01-01', 1, 10)) IS NULL")
assert_eq "$bad" 0 "invalid ISO dates among candidates"
