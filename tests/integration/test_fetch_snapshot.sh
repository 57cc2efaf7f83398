#!/usr/bin/env bash
# A failed or truncated fetch never replaces the last good snapshot; the other sources of the run
# still go ahead (exit 4, run 'partial'); local sources (file:// and plain paths) work; a stale
# temporary file from a killed run is cleaned up.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost # a proxy in the environment must not see loopback tests
W=$T/www
mkdir -p "$W" "$T/conf/data"
printf 'name,country\nVoltiq,FR\n' >"$W/v1.csv"
printf 'name,country\nVoltiq,FR\nAcme,GB\nZed,DE\n' >"$W/v2.csv"
printf 'name\nLocal One\n' >"$T/conf/data/local.csv"
printf 'name\nAbs File\n' >"$T/abs file.csv"
http_start "$W"
U=$HTTP_URL
C=$T/conf/cfg.ini
DB=$(test_db "$T/conf/db.sqlite")
q() { sql "$DB" "$1"; }
run_fetch() { set +e; "$SP" -c "$C" run --stage fetch "$@" >"$T/out" 2>&1; RC=$?; set -e; }
write_cfg() { # URL of the flaky source
  cat >"$C" <<EOF
[sparker]
database = $DB
raw_dir = raw

[source flaky]
format = csv
url = $1
retries = 1

[source rel]
format = csv
url = data/local.csv

[source fileurl]
format = csv
url = file://$(printf '%s' "$T/abs file.csv" | sed 's/ /%20/g')
EOF
}

write_cfg "$U/v1.csv"
run_fetch
[ "$RC" = 0 ] || { cat "$T/out"; die "first run exit $RC"; }
for s in flaky rel fileurl; do
  assert_eq "$(q "select status from \"fetch\" where source='$s'")" new "$s new"
done
assert_eq "$(q "select url from \"fetch\" where source='rel'")" "data/local.csv" "plain path url"
good=$(q "select path from \"fetch\" where source='flaky'")
good_id=$(q "select last_good_fetch from source_state where source='flaky'")
sum_before=$(sha256sum "$T/conf/raw/$good" | cut -d' ' -f1)
cmp -s "$T/conf/raw/$(q "select path from \"fetch\" where source='fileurl'")" "$T/abs file.csv" || die "file:// copy differs"
cmp -s "$T/conf/raw/$(q "select path from \"fetch\" where source='rel'")" "$T/conf/data/local.csv" || die "relative copy differs"

# a stale temporary file from a killed run
echo junk >"$T/conf/raw/flaky/.part-dead01"

# the new version arrives cut short, reset, as a 500, too slowly: each time the old snapshot stands
n=0
for bad in /fault/short/v2.csv /fault/reset/v2.csv /fault/500/v2.csv /fault/trickle/v2.csv; do
  n=$((n + 1))
  write_cfg "$U$bad"
  sed -i '/^\[source flaky\]/a timeout = 1' "$C"
  run_fetch
  assert_eq "$RC" 4 "one source failed, others ok -> exit 4 ($bad): $(cat "$T/out")"
  assert_eq "$(q "select status from run order by id desc limit 1")" partial "run partial"
  assert_eq "$(q "select status from \"fetch\" where source='flaky' order by id desc limit 1")" failed "$bad failed"
  assert_eq "$(q "select last_good_fetch from source_state where source='flaky'")" "$good_id" "$bad: last good kept"
  assert_eq "$(q "select consecutive_failures from source_state where source='flaky'")" "$n" "$bad: failures"
  assert_eq "$(ls -A "$T/conf/raw/flaky")" "$(basename "$good")" "$bad: raw dir holds only the good snapshot"
  assert_eq "$(sha256sum "$T/conf/raw/$good" | cut -d' ' -f1)" "$sum_before" "$bad: snapshot bytes untouched"
  # the other sources went ahead
  assert_eq "$(q "select status from \"fetch\" where source='rel' order by id desc limit 1")" unchanged "rel still fetched"
  assert_eq "$(q "select status from \"fetch\" where source='fileurl' order by id desc limit 1")" unchanged "fileurl still fetched"
done
grep -q "finished with failed sources" "$T/out" || die "no failure summary on stderr"

# back to normal: the new version lands, failures reset
write_cfg "$U/v2.csv"
run_fetch
assert_eq "$RC" 0 "recovered"
assert_eq "$(q "select status from \"fetch\" where source='flaky' order by id desc limit 1")" new "v2 new"
assert_eq "$(q "select consecutive_failures || '|' || COALESCE(last_error,'') from source_state where source='flaky'")" "0|" "reset"
assert_eq "$(ls "$T/conf/raw/flaky" | wc -l)" 2 "both snapshots kept"
cmp -s "$T/conf/raw/$(q "select path from \"fetch\" where id=(select last_good_fetch from source_state where source='flaky')")" "$W/v2.csv" || die "v2 stored"

# a local file that disappears: failed, snapshot kept
rm "$T/conf/data/local.csv"
run_fetch
assert_eq "$RC" 4 "missing local file -> partial"
assert_eq "$(q "select status from \"fetch\" where source='rel' order by id desc limit 1")" failed "rel failed"
assert_contains "$T/out" "No such file"
assert_eq "$(ls "$T/conf/raw/rel" | wc -l)" 1 "rel snapshot kept"
echo "ok"
