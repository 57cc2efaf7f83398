#!/usr/bin/env bash
# Paginated JSON APIs: next links (relative and absolute) and page numbers are followed, every
# page lands as one line of the snapshot; the API key goes only to the configured origin; a failed
# page fails the fetch and keeps the previous snapshot; max_pages caps a loop.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost # a proxy in the environment must not see loopback tests
export HTTP_SERVER_TOKEN=page-token-123
export SPARKER_TEST_API_KEY=$HTTP_SERVER_TOKEN
W=$T/www
mkdir -p "$W/api" "$W/loop"
http_start "$W"
U=$HTTP_URL
# next links: p1 -> p2 (relative) -> p3 (absolute, another origin: localhost) -> end
printf '{"data": [{"id": 1, "name": "A"},\n {"id": 2, "name": "B"}],\r\n "links": {"next": "p2.json"}}\n' >"$W/api/p1.json"
printf '{"data": [{"id": 3, "name": "C"}], "links": {"next": "http://localhost:%s/api/p3.json"}}' "$HTTP_PORT" >"$W/api/p2.json"
printf '\xef\xbb\xbf{"data": [{"id": 4, "name": "D"}], "links": {"next": null}}' >"$W/api/p3.json"
# page numbers: 1, 2, then an empty page
# (the test server serves NAME.QUERY with '&' -> '.'; other query parameters are kept in place)
printf '{"items": [{"k": 1}, {"k": 2}]}' >"$W/api/num.json.page=1.size=2"
printf '{"items": [{"k": 3}]}' >"$W/api/num.json.page=2.size=2"
printf '{"items": []}' >"$W/api/num.json.page=3.size=2"
# a loop: a -> b -> a ...
printf '{"data": [1], "next": "b.json"}' >"$W/loop/a.json"
printf '{"data": [2], "next": "a.json"}' >"$W/loop/b.json"
DB=$(test_db "$T/db.sqlite")
q() { sql "$DB" "$1"; }
run_fetch() { set +e; "$SP" -c "$T/cfg.ini" run --stage fetch "$@" >"$T/out" 2>&1; RC=$?; set -e; }
snap() { cat "$T/raw/$(q "select path from \"fetch\" where id=(select last_good_fetch from source_state where source='$1')")"; }
write_cfg() {
  cat >"$T/cfg.ini" <<EOF
[sparker]
database = $DB
raw_dir = raw

[source links]
format = json
url = $1
items = data
next = links.next
api_key_env = SPARKER_TEST_API_KEY

[source numbered]
format = json
url = $U/fault/query/api/num.json?page=1&size=2
items = items
page_param = page

[source loop]
format = json
url = $U/loop/a.json
items = data
next = next
max_pages = 3

[source local]
format = json
url = www/api/p1.json
items = data
next = links.next
EOF
}
# the key is required by /fault/auth/...: page 1 and its relative next link (page 2) carry it
write_cfg "$U/fault/auth/api/p1.json"
run_fetch
[ "$RC" = 0 ] || { cat "$T/out" "$T/http.log"; die "exit $RC"; }

assert_eq "$(snap links | wc -l)" 3 "three pages, three lines"
snap links | while IFS= read -r line; do
  python3 -c 'import json,sys; json.loads(sys.argv[1])' "$line" || die "a line is not JSON: $line"
done
assert_eq "$(snap links | python3 -c 'import json,sys; print(sum(len(json.loads(l)["data"]) for l in sys.stdin))')" 4 "all items"
assert_eq "$(q "select message from stage_run where source='links'")" "new $(snap links | wc -c) B, 3 pages" "note"
grep -q 'GET /fault/auth/api/p1.json -> 200 .*auth=yes' "$T/http.log" || die "key not sent to the origin"
grep -q 'GET /fault/auth/api/p2.json -> 200 .*auth=yes' "$T/http.log" || die "key not sent to page 2"
grep -q 'GET /api/p3.json -> 200 .*auth=no' "$T/http.log" || die "key sent to another origin: $(grep p3 "$T/http.log")"

assert_eq "$(snap numbered | wc -l)" 3 "numbered: 3 pages (last one empty)"
grep -q 'GET /fault/query/api/num.json?page=2&size=2 -> 200' "$T/http.log" || die "page 2 not asked with the other params kept"
assert_eq "$(grep -c 'num.json?page=4' "$T/http.log")" 0 "no page after the empty one"
grep -q 'GET /fault/query/api/num.json?page=3&size=2 -> 200' "$T/http.log" || die "page 3 not asked"

assert_eq "$(snap loop | wc -l)" 3 "loop capped at max_pages"
q "select message from stage_run where source='loop'" | grep -q "max_pages reached" || die "cap not noted"

# local pages: p1 and p2 read from disk (relative link), p3 over HTTP (absolute link)
run_fetch --source local
assert_eq "$RC" 0 "local pages: $(cat "$T/out")"
assert_eq "$(snap local | wc -l)" 3 "local: three pages"

# second night: same bytes -> unchanged, last_good_fetch stays
before=$(q "select last_good_fetch from source_state where source='numbered'")
run_fetch --source numbered
assert_eq "$(q "select status from \"fetch\" where source='numbered' order by id desc limit 1")" unchanged "numbered unchanged"
assert_eq "$(q "select last_good_fetch from source_state where source='numbered'")" "$before" "last good kept"

# page 2 fails: the fetch fails, the snapshot stands
mv "$W/api/num.json.page=2.size=2" "$W/api/off"
run_fetch --source numbered
assert_eq "$RC" 4 "failed page -> partial"
assert_eq "$(q "select status from \"fetch\" where source='numbered' order by id desc limit 1")" failed "page 2 missing"
q "select error from \"fetch\" where source='numbered' order by id desc limit 1" | grep -q "page 2" || die "error does not name the page"
assert_eq "$(q "select last_good_fetch from source_state where source='numbered'")" "$before" "snapshot kept"
[ -z "$(find "$T/raw" -name '.part-*')" ] || die "temporary files left"

# a page that is not JSON
printf '<html>oops</html>' >"$W/api/num.json.page=2.size=2"
run_fetch --source numbered
q "select error from \"fetch\" where source='numbered' order by id desc limit 1" | grep -q "not JSON" || die "non-JSON page not caught"
echo "ok"
