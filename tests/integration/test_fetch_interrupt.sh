#!/usr/bin/env bash
# SIGINT/SIGTERM during a slow download: the transfer stops at once (not at the timeout), the run
# is recorded as killed, the exit code is 130 / 143, the previous snapshot stands and no
# temporary file is left.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost # a proxy in the environment must not see loopback tests
W=$T/www
mkdir -p "$W"
printf 'name\nOld\n' >"$W/a.csv"
printf 'name\nNew and slow\n' >"$W/b.csv"
http_start "$W"
q() { sqlite3 "$T/db.sqlite" "$1"; }
cfg() { printf '[sparker]\ndatabase = db.sqlite\nraw_dir = raw\n\n[source s]\nformat = csv\nurl = %s\n' "$1" >"$T/cfg.ini"; }
cfg "$HTTP_URL/a.csv"
"$SP" -c "$T/cfg.ini" run --stage fetch >"$T/out" 2>&1 || die "first run: $(cat "$T/out")"
good=$(q "select path from fetch where status='new'")

for sig in INT TERM; do
  cfg "$HTTP_URL/fault/trickle/b.csv?$sig"
  "$SP" -c "$T/cfg.ini" run --stage fetch >"$T/out" 2>&1 &
  pid=$!
  sleep 1.5
  kill -"$sig" "$pid"
  t0=$(date +%s%N)
  set +e; wait "$pid"; rc=$?; set -e
  ms=$((($(date +%s%N) - t0) / 1000000))
  want=$([ $sig = INT ] && echo 130 || echo 143)
  assert_eq "$rc" "$want" "$sig: exit code"
  [ "$ms" -lt 3000 ] || die "$sig: took $ms ms to stop"
  assert_eq "$(q "select status from run order by id desc limit 1")" killed "$sig: run status"
  assert_eq "$(q "select status from stage_run order by id desc limit 1")" killed "$sig: stage status"
  assert_eq "$(q "select status from fetch order by id desc limit 1")" failed "$sig: fetch failed"
  assert_contains "$T/out" "interrupted"
  assert_eq "$(ls -A "$T/raw/s")" "$(basename "$good")" "$sig: only the good snapshot"
  assert_eq "$(q "select last_good_fetch from source_state")" 1 "$sig: last good kept"
  echo "INFO: stopped $ms ms after SIG$sig"
done
echo "ok"
