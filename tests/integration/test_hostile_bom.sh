#!/usr/bin/env bash
# Hostile input: a UTF-8 byte-order mark before the header: the first column is still found.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
hostile_config s companies_house "$H_FILES/csv_bom.csv"
hostile_run 0
hostile_outcome
assert_eq "$(q "SELECT count(*) FROM record")" 3 "rows read"
assert_eq "$(q "SELECT count(*) FROM record WHERE name LIKE 'BOM % LIMITED'")" 3 "names (first column) read"
q "SELECT name FROM record" | grep -q $'\xef\xbb\xbf' && die "BOM kept in a value"
true
