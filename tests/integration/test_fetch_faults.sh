#!/usr/bin/env bash
# fetch against a misbehaving server: retried faults recover, the others fail cleanly (a failed
# fetch row, consecutive_failures, no raw file, no temporary file), and the run exits 4 (partial).
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost # a proxy in the environment must not see loopback tests
W=$T/www
mkdir -p "$W"
printf 'name,country\nVoltiq,FR\nAcme,GB\n' >"$W/a.csv"
head -c 5000 /dev/urandom | od -An -tx1 | tr -d ' \n' | fold -w 60 | sed 's/^/row,/' >"$W/big.csv"
(cd "$W" && cp big.csv inner.csv && zip -q good.zip inner.csv && head -c 300 good.zip >bad.zip \
   && gzip -c big.csv | head -c 400 >bad.csv.gz && : >empty.csv \
   && printf '<!DOCTYPE html>\n<html><body>Maintenance</body></html>\n' >maint.csv)
http_start "$W"
U=$HTTP_URL
DB=$(test_db "$T/db.sqlite")
q() { sql "$DB" "$1"; }
run_fetch() { set +e; "$SP" -c "$T/cfg.ini" run --stage fetch "$@" >"$T/out" 2>&1; RC=$?; set -e; }
# src NAME PATH [extra key lines...]
src() { local n=$1 p=$2; shift 2; printf '\n[source %s]\nformat = csv\nurl = %s%s\n' "$n" "$U" "$p"; for l in "$@"; do echo "$l"; done; }
{
  printf '[sparker]\ndatabase = %s\nraw_dir = raw\n' "$DB"
  src ok /a.csv
  src e500then200 /fault/500-then-200/a.csv
  src e500x2then200 /fault/500x2-then-200/a.csv
  src e429then200 /fault/429-then-200/a.csv
  src resetthen200 /fault/reset-then-200/big.csv
  src shortthen200 /fault/short-then-200/big.csv
  src e404 /fault/404/a.csv
  src e401 /fault/401/a.csv
  src e500 /fault/500/a.csv "retries = 2"
  src reset /fault/reset/big.csv "retries = 1"
  src short /fault/short/big.csv "retries = 1"
  src trickle /fault/trickle/a.csv "timeout = 2" "retries = 0"
  src slow /fault/trickle/a.csv "low_speed_limit = 1000" "low_speed_time = 1" "retries = 0"
  src loop /fault/redirect-loop/a.csv
  src big /big.csv "max_bytes = 1K"
  src bignolen /fault/nolength/big.csv "max_bytes = 1K"
  src gzbomb /fault/gzip/big.csv "max_bytes = 8K"
  src badzip /bad.zip
  src badgz /bad.csv.gz
  src empty /empty.csv
  src html /maint.csv
  src missing /nope.csv
  printf '\n[source notxml]\nformat = gleif\nurl = %s/a.csv\n' "$U"
  printf '\n[source notjson]\nformat = json\nurl = %s/a.csv\n' "$U"
  printf '\n[source noserver]\nformat = csv\nurl = http://127.0.0.1:1/a.csv\nretries = 1\n'
  printf '\n[source badscheme]\nformat = csv\nurl = ftp://127.0.0.1/a.csv\n'
} >"$T/cfg.ini"

t0=$(date +%s)
run_fetch
t1=$(date +%s)
assert_eq "$RC" 4 "exit code with failed sources (partial): $(cat "$T/out")"
assert_eq "$(q "select status from run order by id desc limit 1")" partial "run status"

check() { # source status attempts [http_status] [error substring]
  local s=$1 st=$2 at=$3 hs=${4:-} em=${5:-}
  local row
  row=$(q "select status || '|' || attempts || '|' || COALESCE(CAST(http_status AS TEXT),'') || '|' || COALESCE(error,'') from \"fetch\" where source='$s' order by id desc limit 1")
  IFS='|' read -r gst gat ghs gerr <<<"$row"
  assert_eq "$gst" "$st" "$s status ($row)"
  assert_eq "$gat" "$at" "$s attempts ($row)"
  [ -z "$hs" ] || assert_eq "$ghs" "$hs" "$s http status ($row)"
  [ -z "$em" ] || [[ "$gerr" == *"$em"* ]] || die "$s: error '$gerr' lacks '$em'"
  if [ "$st" = failed ]; then
    assert_eq "$(ls "$T/raw/$s" 2>/dev/null | wc -l)" 0 "$s: nothing in the raw store"
    assert_eq "$(q "select consecutive_failures from source_state where source='$s'")" 1 "$s failures"
    assert_eq "$(q "select count(*) from source_state where source='$s' and last_good_fetch is null and last_error is not null")" 1 "$s state"
    assert_eq "$(q "select status from stage_run where stage='fetch' and source='$s'")" failed "$s stage_run"
  else
    assert_eq "$(ls "$T/raw/$s" | wc -l)" 1 "$s: one snapshot"
  fi
}
check ok new 1 200
check e500then200 new 2 200
check e500x2then200 new 3 200
check e429then200 new 2 200
check resetthen200 new 2 200
check shortthen200 new 2 200
check e404 failed 1 404 "HTTP 404"
check e401 failed 1 401 "HTTP 401"
check e500 failed 3 500 "HTTP 500 (3 attempts)"
check reset failed 2 "" ""
check short failed 2 "" ""
check trickle failed 1 "" "timed out"
check slow failed 1 "" ""
check loop failed 1 "" "edirect"
check big failed 1 "" "max_bytes"
check bignolen failed 1 "" "max_bytes"
check gzbomb failed 1 "" "max_bytes" # compressed size under the limit, decoded over it
check badzip failed 1 200 "zip"
check badgz failed 1 200 "gzip"
check empty failed 1 200 "empty"
check html failed 1 200 "HTML"
check missing failed 1 404 ""
check notxml failed 1 200 "not XML"
check notjson failed 1 200 "not JSON"
check noserver failed 2 "" ""
check badscheme failed 1 "" "only http"
# the retried sources got the same bytes as the server has
assert_eq "$(q "select sha256 from \"fetch\" where source='resetthen200'")" "$(sha256sum "$W/big.csv" | cut -d' ' -f1)" "reset-then-200 bytes"
# no temporary file left anywhere
[ -z "$(find "$T/raw" -name '.part-*')" ] || die "temporary files left: $(find "$T/raw" -name '.part-*')"
# retries do not hammer: a 404 is asked once, a 500 three times
assert_eq "$(grep -c 'GET /fault/404/a.csv' "$T/http.log")" 1 "404 not retried"
assert_eq "$(grep -c 'GET /fault/500/a.csv' "$T/http.log")" 3 "500 retried"
assert_eq "$(grep -c 'GET /fault/redirect-loop/a.csv' "$T/http.log")" 6 "redirects capped at 5"
echo "INFO: fault run took $((t1 - t0)) s for $(q "select count(*) from \"fetch\"") sources"

# Retry-After is honoured (1 s) even with a 10 ms backoff base
printf '\n[source ra]\nformat = csv\nurl = %s/fault/503-then-200/a.csv\n' "$U" >>"$T/cfg.ini"
s0=$(date +%s%N)
run_fetch --source ra
s1=$(date +%s%N)
assert_eq "$RC" 0 "503 then 200 recovers: $(cat "$T/out")"
check ra new 2 200
[ $(((s1 - s0) / 1000000)) -ge 950 ] || die "Retry-After not honoured: $(((s1 - s0) / 1000000)) ms"

# a source that keeps failing counts its failures
run_fetch --source e404
assert_eq "$(q "select consecutive_failures from source_state where source='e404'")" 2 "failures accumulate"
echo "ok"
