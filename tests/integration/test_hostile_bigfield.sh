#!/usr/bin/env bash
# Hostile input: a single 100 MB field (generated at test time) between two good rows. The row
# is rejected ("field too large"), the rows around it stored, memory stays flat.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
python3 "$ROOT/tests/hostile/gen_big.py" bigfield "$T/big.csv" "${HOSTILE_BIGFIELD_MB:-100}"
hostile_config s companies_house "$T/big.csv"
hostile_run 0
hostile_outcome
assert_eq "$(q "SELECT count(*) FROM record WHERE name IN ('BEFORE LIMITED','AFTER LIMITED')")" 2 "rows around the big field"
[ "$(q "SELECT count(*) FROM reject WHERE reason LIKE '%too large%'")" -ge 1 ] || die "no 'field too large' reject"
[ "$RSS_MB" -lt 128 ] || [ $HOSTILE_ASAN = 1 ] || die "peak RSS $RSS_MB MB for a 100 MB field: the field was buffered"
