#!/usr/bin/env bash
# Hostile input: names of only punctuation, symbols, zero-width or non-breaking spaces, or only
# a legal form. No crash, and dedupe must not glue them together through an empty match key.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
hostile_config s companies_house "$H_FILES/csv_punct_names.csv"
hostile_run 0
hostile_outcome
n=$(q "SELECT count(*) FROM record")
assert_eq "$n" 14 "records"
assert_eq "$(q "SELECT count(DISTINCT entity_id) FROM member")" "$n" "entities (no merge through empty keys)"
