#!/usr/bin/env bash
# Hostile input: a million columns (header and one row), as a Companies House file and as a
# mapped CSV. A clear error or rejects, bounded time and memory.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
python3 "$ROOT/tests/hostile/gen_big.py" manycols "$T/cols.csv" 1000000
hostile_config s companies_house "$T/cols.csv"
hostile_run 0 4
hostile_outcome
hostile_explained
rm -rf "$T/db" "$T/raw"
hostile_config s csv "$T/cols.csv" "map.key = c0" "map.name = c999999"
hostile_run 0 4
hostile_outcome
hostile_explained
