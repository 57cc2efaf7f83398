#!/usr/bin/env bash
# Hostile input: a feed with 1 GB of white space between two items (generated at test time;
# HOSTILE_WS_MB sets the size, 256 under ASan). Bounded time and memory; the items are read,
# or the source fails with a clear message (the feed connector caps a decompressed feed).
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
mb=${HOSTILE_WS_MB:-1024}; [ $HOSTILE_ASAN = 1 ] && mb=${HOSTILE_WS_MB:-256}
python3 "$ROOT/tests/hostile/gen_big.py" wsfeed "$T/ws.xml" "$mb"
echo "INFO: white-space feed of $mb MB"
hostile_config s feed "$T/ws.xml"
hostile_run 0 4
hostile_outcome
hostile_explained
