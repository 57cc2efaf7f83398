#!/usr/bin/env bash
# Hostile input: 100,000 levels of nesting, as JSON arrays inside a paginated API's items and as
# XML elements inside a feed title. No stack overflow: a clear error (JSON depth limit) or the
# items read, in bounded time and memory.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
hostile_config s json "$H_FILES/json_deep.json" "items = data" "map.key = id" "map.name = name"
hostile_run 0 4
hostile_outcome
hostile_explained
rm -rf "$T/db" "$T/raw"
hostile_config s feed "$H_FILES/xml_deep.xml"
hostile_run 0 4
hostile_outcome
hostile_explained
