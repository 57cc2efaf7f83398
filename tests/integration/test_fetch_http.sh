#!/usr/bin/env bash
# fetch over HTTP, the good paths: new snapshot, conditional second run (304 -> not_modified),
# changed content (new), same bytes without validators (unchanged), gzip transfer encoding,
# one redirect, zip/gz/xml extensions, API key from the environment (never stored), URL redaction.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost # a proxy in the environment must not see loopback tests
export HTTP_SERVER_TOKEN=s3cr3t-t0ken-xyz
W=$T/www
mkdir -p "$W"
printf 'name,country\nVoltiq,FR\nAcme,GB\n' >"$W/a.csv"
printf '\xef\xbb\xbf\n  <?xml version="1.0"?><feed/>\n' >"$W/feed.xml"
printf ' {"items": [{"name": "Voltiq"}]}\n' >"$W/api.json"
(cd "$W" && printf 'name\nZed\n' >inner.csv && zip -q data.zip inner.csv && gzip -c inner.csv >data.csv.gz)
http_start "$W"

DB=$(test_db "$T/db.sqlite")
q() { sql "$DB" "$1"; }
run_fetch() { set +e; "$SP" -c "$T/cfg.ini" run --stage fetch "$@" >"$T/out" 2>&1; RC=$?; set -e; }
U=$HTTP_URL
cat >"$T/cfg.ini" <<EOF
[sparker]
database = $DB
raw_dir = raw

[source plain]
format = csv
url = $U/a.csv

[source noval]
format = csv
url = $U/fault/noetag/a.csv

[source gz]
format = csv
url = $U/fault/gzip/a.csv

[source redir]
format = csv
url = $U/fault/redirect/a.csv

[source zipped]
format = companies_house
url = $U/data.zip

[source gzipped]
format = sirene
url = $U/data.csv.gz

[source xml]
format = feed
url = $U/feed.xml

[source api]
format = json
url = $U/api.json

[source keyed]
format = csv
url = http://user:hunter2pw@127.0.0.1:$HTTP_PORT/fault/auth/a.csv?x=1&api_key=qwertyuiop
api_key_env = SPARKER_TEST_API_KEY
EOF
export SPARKER_TEST_API_KEY=$HTTP_SERVER_TOKEN

run_fetch
[ "$RC" = 0 ] || { cat "$T/out"; die "first run exit $RC"; }
for s in plain noval gz redir zipped gzipped xml api keyed; do
  assert_eq "$(q "select status from \"fetch\" where source='$s' order by id desc limit 1")" new "$s first fetch"
  p=$(q "select path from \"fetch\" where source='$s' order by id desc limit 1")
  [ -f "$T/raw/$p" ] || die "$s: raw file $p missing"
  sha=$(sha256sum "$T/raw/$p" | cut -d' ' -f1)
  assert_eq "$(q "select sha256 from \"fetch\" where source='$s' order by id desc limit 1")" "$sha" "$s sha256"
  assert_eq "$(basename "$p" | cut -d. -f1)" "$sha" "$s file named by its hash"
  assert_eq "$(q "select count(*) from source_state where source='$s' and last_good_fetch = (select max(id) from \"fetch\" where source='$s')")" 1 "$s last_good_fetch"
  assert_eq "$(q "select consecutive_failures from source_state where source='$s'")" 0 "$s failures"
done
assert_eq "$(q "select count(*) from \"fetch\" where source='plain' and path like '%.csv'")" 1 "csv ext"
assert_eq "$(q "select count(*) from \"fetch\" where source='zipped' and path like '%.zip'")" 1 "zip ext"
assert_eq "$(q "select count(*) from \"fetch\" where source='gzipped' and path like '%.gz'")" 1 "gz ext"
assert_eq "$(q "select count(*) from \"fetch\" where source='xml' and path like '%.xml'")" 1 "xml ext"
assert_eq "$(q "select count(*) from \"fetch\" where source='api' and path like '%.json'")" 1 "json ext"
# gzip transfer: the stored file is the decoded body, identical to the plain one
assert_eq "$(q "select sha256 from \"fetch\" where source='gz'")" "$(q "select sha256 from \"fetch\" where source='plain'")" "gzip decoded"
grep -q 'GET /fault/gzip/a.csv -> 200 .*ae=[^=]*gzip' "$T/http.log" || die "Accept-Encoding gzip not sent"
grep -q 'ua=sparker/' "$T/http.log" || die "User-Agent does not name sparker"
assert_eq "$(q "select count(*) from source_state where source='plain' and etag is not null and last_modified is not null")" 1 "validators kept"
assert_eq "$(q "select size from \"fetch\" where source='plain'")" "$(stat -c %s "$W/a.csv")" "size"
# stage_run counts
assert_eq "$(q "select rows_out || ' ' || message from stage_run where stage='fetch' and source='plain'")" "1 new $(stat -c %s "$W/a.csv") B" "stage_run note"

# secrets: the key is sent (the server answered 200) but never stored; URL credentials masked
assert_eq "$(q "select url from \"fetch\" where source='keyed'")" "http://***@127.0.0.1:$HTTP_PORT/fault/auth/a.csv?x=1&api_key=***" "redacted url"
DBF=$(test_db_files "$DB")
grep -qa "fault/auth/a.csv" $DBF || die "the leak search cannot see into the database"
for secret in "$SPARKER_TEST_API_KEY" hunter2pw qwertyuiop; do
  if grep -qa -- "$secret" $DBF "$T/out" 2>/dev/null; then die "secret '$secret' leaked"; fi
done

# second night: conditional requests, nothing new
: >"$T/http.log"
run_fetch
[ "$RC" = 0 ] || { cat "$T/out"; die "second run exit $RC"; }
assert_eq "$(q "select status from \"fetch\" where source='plain' order by id desc limit 1")" not_modified "conditional"
assert_eq "$(q "select http_status from \"fetch\" where source='plain' order by id desc limit 1")" 304 "304 recorded"
grep -q 'GET /a.csv -> 304 inm="' "$T/http.log" || die "If-None-Match not sent: $(cat "$T/http.log")"
assert_eq "$(q "select message from stage_run where source='plain' order by id desc limit 1")" "304 not modified" "note"
# no validators: downloaded again, same bytes -> unchanged, last_good_fetch stays on the first fetch
assert_eq "$(q "select status from \"fetch\" where source='noval' order by id desc limit 1")" unchanged "unchanged"
assert_eq "$(q "select last_good_fetch from source_state where source='noval'")" "$(q "select min(id) from \"fetch\" where source='noval'")" "unchanged keeps last_good_fetch"
grep -q 'GET /fault/noetag/a.csv -> 200 inm=- ims=-' "$T/http.log" || die "noetag: unexpected conditional headers"
assert_eq "$(ls "$T/raw/plain" | wc -l)" 1 "one snapshot"

# If-Modified-Since alone is enough when there is no ETag stored
sql "$DB" "update source_state set etag=NULL where source='plain'"
: >"$T/http.log"
run_fetch --source plain
assert_eq "$(q "select status from \"fetch\" where source='plain' order by id desc limit 1")" not_modified "IMS conditional"
grep -q 'GET /a.csv -> 304 inm=- ims=' "$T/http.log" || die "If-Modified-Since not sent"

# content changes: new snapshot, the old one stays (immutable raw store)
printf 'name,country\nVoltiq,FR\nAcme,GB\nNew,DE\n' >"$W/a.csv"
touch -d '+1 hour' "$W/a.csv"
run_fetch --source plain
assert_eq "$(q "select status from \"fetch\" where source='plain' order by id desc limit 1")" new "changed content"
assert_eq "$(ls "$T/raw/plain" | wc -l)" 2 "two snapshots"
assert_eq "$(q "select last_good_fetch from source_state where source='plain'")" "$(q "select max(id) from \"fetch\" where source='plain'")" "last_good moved"

# the raw file of the last good fetch vanished: no conditional request, fetched again
rm -f "$T/raw/plain/"*
: >"$T/http.log"
run_fetch --source plain
grep -q 'GET /a.csv -> 200 inm=- ims=-' "$T/http.log" || die "conditional request sent without a snapshot on disk"
assert_eq "$(q "select status from \"fetch\" where source='plain' order by id desc limit 1")" new "refetched"

# api key variable unset: a failed fetch naming the variable, not a crash
unset SPARKER_TEST_API_KEY
run_fetch --source keyed
assert_eq "$RC" 4 "missing key env -> partial"
assert_eq "$(q "select status from \"fetch\" where source='keyed' order by id desc limit 1")" failed "missing key"
assert_contains "$T/out" "SPARKER_TEST_API_KEY is not set"
echo "ok"
