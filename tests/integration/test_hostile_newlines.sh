#!/usr/bin/env bash
# Hostile input: mixed LF, CRLF and lone CR line ends, and a quoted field with an embedded CRLF
# and CR: every row is read, none glued to its neighbour.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
hostile_config s companies_house "$H_FILES/csv_mixed_eol.csv"
hostile_run 0
hostile_outcome
assert_eq "$(q "SELECT count(*) FROM record")" 7 "rows read"
assert_eq "$(q "SELECT count(*) FROM record WHERE name LIKE 'MIXED % LIMITED'")" 6 "plain rows"
[ "$(q "SELECT count(*) FROM record WHERE source_key = '92000099'")" = 1 ] || die "row with embedded newlines lost"
