#!/usr/bin/env bash
# Hostile input: billion laughs (nested internal entities) in GLEIF and RSS, and a quadratic
# blowup (one 50 KB entity referenced 50,000 times): bounded time and memory, no expansion.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
for c in "gleif $ROOT/tests/fixtures/xml/gleif_laughs.xml" "feed $ROOT/tests/fixtures/xml/laughs.xml" "feed $H_FILES/xml_quadratic.xml"; do
  set -- $c
  rm -rf "$T/db" "$T/raw"
  hostile_config s "$1" "$2"
  HOSTILE_TIMEOUT=60 hostile_run 0 4
  hostile_outcome
  hostile_explained
  # expansion would put 10^9 "lol"s / 2.5 GB of "A"s in a name: nothing near that may be stored
  n=$(q "SELECT coalesce(max(length(name)), 0) FROM record")
  [ "$n" -lt 1000000 ] || die "a name of $n bytes: entities were expanded"
  hostile_no_text "lollollollollollollollollol"
done
