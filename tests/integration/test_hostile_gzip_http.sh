#!/usr/bin/env bash
# Hostile input: gzip bombs over HTTP (tests/http_server.py on 127.0.0.1):
#  1. Content-Encoding: gzip on 256 MB of zeros (about 256 KB on the wire) with max_bytes = 32M:
#     the decoded size is capped, the fetch fails with a clear message, nothing replaced;
#  2. a .gz file (512 MB of zeros, 512 KB) served as is: stored (it is what was published),
#     then parse stops at the CSV header in constant memory.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
mkdir -p "$T/www"
python3 "$ROOT/tests/hostile/gen_big.py" zeros "$T/www/zeros.csv" 256
python3 "$ROOT/tests/hostile/gen_big.py" gzbomb "$T/www/bomb.csv.gz" 512
http_start "$T/www"
hostile_config s companies_house "$HTTP_URL/fault/gzip/zeros.csv" "max_bytes = 32M"
HOSTILE_TIMEOUT=90 hostile_run 4
hostile_outcome
grep -q 'ae=.*gzip' "$T/http.log" || die "the client did not ask for gzip"
hostile_failed_with fetch 'max_bytes|exceed|too large|limit'
[ "$(q "SELECT count(*) FROM \"fetch\" WHERE status = 'new'")" = 0 ] || die "a bomb was stored as a snapshot"
[ -z "$(find "$T/raw" -type f -size +33M)" ] || die "more than max_bytes written to the raw store"
rm -rf "$T/db" "$T/raw"
hostile_config s companies_house "$HTTP_URL/bomb.csv.gz"
HOSTILE_TIMEOUT=90 hostile_run 4
hostile_outcome
hostile_explained
