#!/usr/bin/env bash
# The other ways APIs page, over 127.0.0.1 (tests/http_server.py's generated API): offset/limit
# (a short page does not stop it: the server may cap the page size below page_size), page numbers (stops at an empty page), the Link header rel="next" (with
# an API key in an X-Api-Key header read from a file), next links in the body (relative); every
# item once, no request past the end; max_pages caps. A client secret cannot be written in the
# config, and keys that do not fit together fail with a message naming them.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
KEY="ak-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export HTTP_SERVER_API_KEY=$KEY HTTP_SERVER_CLIENT_SECRET=$KEY
mkdir -p "$T/www"
http_start "$T/www"
U=$HTTP_URL
cd "$T"
printf '%s\n' "$KEY" >api.key
chmod 600 api.key
DB=$(test_db db.sqlite)
q() { sql "$DB" "$1"; }
run() { set +e; "$SP" -c cfg.ini run "$@" >out 2>&1; RC=$?; set -e; }
items() { # SOURCE: "items unique" over the snapshot's lines
  python3 -c 'import json,sys
ids=[i["id"] for l in open(sys.argv[1]) for i in json.loads(l)["data"]]
print(len(ids), len(set(ids)))' "raw/$(q "select path from \"fetch\" where id=(select last_good_fetch from source_state where source='$1')")"
}
cat >cfg.ini <<EOF
[sparker]
database = $DB
raw_dir = raw

[source off]
format = json
url = $U/api/offset/n=95/items
items = data
paging = offset
page_size = 20

[source num]
format = json
url = $U/api/page/n=100/items?page=1
items = data
paging = page
page_size = 25

[source lnk]
format = json
url = $U/api/link/n=55,auth=key/items?limit=10
items = data
paging = link
api_key_file = api.key
header_name = X-Api-Key

[source nxt]
format = json
url = $U/api/next/n=30/items
items = data
paging = next
next = links.next
page_size = 7

[source capoff]
format = json
url = $U/api/offset/n=95,max=20/items
items = data
paging = offset
page_size = 50

[source capped]
format = json
url = $U/api/link/n=100/items?limit=10
items = data
paging = link
max_pages = 3
EOF
run --stage fetch
[ "$RC" = 0 ] || { cat out; tail -30 http.log; die "fetch: exit $RC"; }
assert_eq "$(items off)" "95 95" "offset: every item once"
assert_eq "$(grep -c 'GET /api/offset/n=95/' http.log)" 6 "offset: 5 pages and an empty one"
grep -q 'GET /api/offset/n=95/items?limit=20&offset=80 -> 200' http.log || die "offset 80 not asked with limit 20"
assert_eq "$(items capoff)" "95 95" "offset, the server capping the page size at 20: every item once"
assert_eq "$(grep -c "GET /api/offset/n=95,max=20/" http.log)" 6 "capped offset: 5 pages and an empty one"
assert_eq "$(items num)" "100 100" "page: every item once"
assert_eq "$(grep -c 'GET /api/page/' http.log)" 5 "page: 4 full pages and an empty one"
grep -q 'GET /api/page/n=100/items?page=5&limit=25 -> 200' http.log || die "page 5 not asked"
assert_eq "$(items lnk)" "55 55" "Link header: every item once"
assert_eq "$(grep -c 'GET /api/link/n=55' http.log)" 6 "Link header: 6 pages"
grep -q 'GET /api/link/n=55.* -> 401' http.log && die "the API key was not sent"
assert_eq "$(items nxt)" "30 30" "next links: every item once"
grep -q 'GET /api/next/n=30/items?page=2&limit=7 -> 200' http.log || die "relative next link not followed"
assert_eq "$(items capped)" "30 30" "max_pages = 3"
q "select message from stage_run where source='capped'" | grep -q "3 pages (max_pages reached)" || die "cap not noted"
grep -rlaF -- "$KEY" $(test_db_files "$DB") raw out && die "the API key leaked"

# credentials and redirects: an X-Api-Key header follows a redirect within the origin, never to
# another (the fetch fails); libcurl drops an Authorization header there; OAuth2 on a single GET
printf '{"data": [{"id": "k1", "name": "K"}]}' >www/k.json
cat >>cfg.ini <<EOF

[source keysame]
format = json
url = $U/fault/redirect/k.json
items = data
api_key_file = api.key
header_name = X-Api-Key

[source keyother]
format = json
url = $U/fault/redirect-localhost/k.json
items = data
api_key_file = api.key
header_name = X-Api-Key

[source bearerother]
format = json
url = $U/fault/redirect-localhost/k.json
items = data
api_key_file = api.key

[source single]
format = json
url = $U/api/cursor/n=5,auth=bearer/items
items = data
token_url = $U/api/token
client_id = test-client
client_secret_file = api.key
EOF
run --stage fetch --source keysame --source keyother --source bearerother --source single
assert_eq "$RC" 4 "keyother fails"
assert_eq "$(q "select source || '=' || status from \"fetch\" where source in ('keysame','keyother','bearerother','single') order by source desc" | paste -sd' ')" \
  "single=new keysame=new keyother=failed bearerother=new" "redirect outcomes"
q "select error from \"fetch\" where source='keyother'" | grep -q "redirected to another origin: refused" || die "keyother: $(q "select error from \"fetch\" where source='keyother'")"
grep -q 'GET /k.json -> 200 .*auth=no .*key=yes host=127.0.0.1' http.log || die "keysame: the key did not follow the redirect within the origin"
assert_eq "$(grep -c 'GET /k.json .*host=localhost' http.log)" 1 "only bearerother reached the other origin"
grep -q 'GET /k.json -> 200 .*auth=no .*key=no host=localhost' http.log || die "bearerother: Authorization went to the other origin"
assert_eq "$(items single)" "5 5" "OAuth2 on a single GET"

# keys that do not fit: the fetch fails, naming them
cat >>cfg.ini <<EOF

[source badcur]
format = json
url = $U/api/cursor/n=10/items
paging = cursor

[source both]
format = json
url = $U/api/page/n=10/items
paging = page
api_key_file = api.key
token_url = $U/api/token
client_id = x
EOF
run --stage fetch --source badcur --source both
assert_eq "$RC" 4 "bad paging/auth keys"
q "select error from \"fetch\" where source='badcur'" | grep -q "paging = cursor needs cursor_path" || die "badcur: $(q "select error from \"fetch\" where source='badcur'")"
q "select error from \"fetch\" where source='both'" | grep -q "an API key and token_url: use one of them" || die "both: $(q "select error from \"fetch\" where source='both'")"

# a secret in the config itself is refused when the config loads, and not shown
printf '\n[source inline]\nformat = json\nurl = %s/x\nclient_secret = hunter2-inline\n' "$U" >>cfg.ini
run --stage fetch --source inline
assert_eq "$RC" 3 "client_secret in the config"
grep -q "unknown key 'client_secret'" out || die "not refused: $(cat out)"
grep -q "hunter2-inline" out && die "the value was shown"
echo ok
