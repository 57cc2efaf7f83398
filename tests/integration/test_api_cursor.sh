#!/usr/bin/env bash
# A startup-database API as they come: cursor paging, an OAuth2 token that expires (after N uses,
# after T seconds), a 429 with Retry-After in seconds and as an HTTP date, a page that fails once
# (500), a spent rate limit (X-RateLimit-Remaining: 0): pulled completely over 127.0.0.1 (every
# item once), with no secret (client secret, any token) in the database, the raw store, the log or
# the output. Then: a secret file every user may read is refused; a wrong secret fails clearly; a
# server asking for a wait beyond retry_after_max fails at once and the last good snapshot stands.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
SECRET="cs-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export HTTP_SERVER_CLIENT_ID=sparker-nightly HTTP_SERVER_CLIENT_SECRET=$SECRET SP_TEST_SECRET=$SECRET
export HTTP_SERVER_TOKEN_FILE=$T/tokens
: >"$HTTP_SERVER_TOKEN_FILE"
mkdir -p "$T/www"
http_start "$T/www"
U=$HTTP_URL
cd "$T"
DB=$(test_db db.sqlite)
q() { sql "$DB" "$1"; }
run() { set +e; "$SP" -c cfg.ini run "$@" >>out 2>&1; RC=$?; set -e; }
snap_items() { # SOURCE: "items unique" over the snapshot's lines
  python3 -c 'import json,sys
ids=[i["id"] for l in open(sys.argv[1]) for i in json.loads(l)["data"]]
print(len(ids), len(set(ids)))' "raw/$(q "select path from \"fetch\" where id=(select last_good_fetch from source_state where source='$1')")"
}
printf '%s\n' "$SECRET" >secret.txt
chmod 600 secret.txt
# tokens: refused after 7 uses (expires_in says an hour: only the 401 tells), or after 1 second
cat >cfg.ini <<EOF
[sparker]
database = $DB
raw_dir = raw
log_file = sparker.log

[source deals]
format = json
url = $U/api/cursor/n=1000,auth=bearer,fail=3,r429=5,r429date=9,rl=12,r429rl=15/items
items = data
map.key = id
map.name = name
map.website = website
paging = cursor
cursor_path = meta.next_cursor
page_size = 40
token_url = $U/api/token?uses=7
client_id = sparker-nightly
client_secret_env = SP_TEST_SECRET

[source short]
format = json
url = $U/api/cursor/n=200,auth=bearer/items
items = data
paging = cursor
cursor_path = meta.next_cursor
cursor_param = cursor
page_size = 20
page_pause_ms = 250
token_url = $U/api/token?ttl=1
token_auth = post
client_id = sparker-nightly
client_secret_file = secret.txt
EOF
t0=$(date +%s%N)
run --stage fetch --source deals
t1=$(date +%s%N)
[ "$RC" = 0 ] || { cat out; tail -40 "$T/http.log"; die "fetch deals: exit $RC"; }
run --stage parse --source deals
[ "$RC" = 0 ] || { cat out; die "parse deals: exit $RC"; }
assert_eq "$(snap_items deals)" "1000 1000" "snapshot: 1000 items, none twice"
assert_eq "$(q "select count(*), count(distinct source_key) from record where source='deals' and gone=0")" "1000|1000" "records"
assert_eq "$(q "select rows_read from parse_stat p join source_state s on s.parsed_fetch=p.fetch_id where s.source='deals'")" 1000 "rows read"
q "select message from stage_run where source='deals' and stage='fetch'" | grep -q ", 25 pages$" || die "25 pages: $(q "select message from stage_run where source='deals'")"
n_tok=$(grep -c 'TOKEN issued' http.log)
[ "$n_tok" -ge 4 ] || die "a token lasting 7 uses for 25 pages: expected >= 4 tokens, got $n_tok"
grep -q 'GET /api/cursor/.* -> 401' http.log || die "no 401 seen: the refresh was not tested"
grep -q 'GET /api/cursor/.* -> 500' http.log || die "the flaky page did not fail"
assert_eq "$(grep -c 'GET /api/cursor/n=1000.* -> 429' http.log)" 3 "three 429s (Retry-After in seconds, as a date, a rate-limit reset), each once"
ms=$(((t1 - t0) / 1000000))
[ "$ms" -ge 3900 ] || die "Retry-After (1 s, a date 2 s ahead) and the rate-limit resets (1 s, an epoch time 2 s ahead) not all waited: $ms ms"
grep -q 'cursor=[^ ]*%3D' http.log || die "the cursor was not escaped in the URL"
echo "MEASURE: cursor API, 1000 items in 25 pages with $n_tok tokens, 3 x 429, 1 x 500, 1 rate-limit wait: $ms ms"

# a token of 1 second, pauses of 250 ms: refreshed on expiry; the secret in a file, in the form
run --stage fetch --source short
[ "$RC" = 0 ] || { cat out; die "fetch short: exit $RC"; }
assert_eq "$(snap_items short)" "200 200" "short: every item once"
n_tok2=$(($(grep -c 'TOKEN issued' http.log) - n_tok))
[ "$n_tok2" -ge 2 ] || die "a 1 s token over ~2.5 s of pages: expected >= 2 tokens, got $n_tok2"

# no secret anywhere: the database (and its journal), the raw store, the log, the output (of the
# runs and of status)
"$SP" -c cfg.ini status >>out 2>&1 || die "status failed"
[ "$(wc -l <tokens)" -ge 6 ] || die "token file: $(wc -l <tokens) tokens"
DBF=$(test_db_files "$DB")
leaks=$( { echo "$SECRET"; cat tokens; } | while read -r s; do
  grep -rlaF -- "$s" $DBF raw sparker.log out 2>/dev/null || true; done)
[ -z "$leaks" ] || die "a secret or token leaked into: $leaks"
# the same search does see into those files: an item id is found in the database and the raw store
[ "$(grep -rlaF -- "it-000777" $DBF raw | wc -l)" -ge 2 ] || die "the leak search cannot see into the files"
grep -qaF "Bearer" http.log && grep -aF "Bearer " http.log | grep -q "tk-" && die "the server log shows a token"

# a secret file every user may read is refused, without showing the secret
chmod 644 secret.txt
run --stage fetch --source short
assert_eq "$RC" 4 "world-readable secret file"
q "select error from \"fetch\" where source='short' order by id desc limit 1" | grep -q "every user may read" || die "no reason: $(q "select error from \"fetch\" where source='short' order by id desc limit 1")"
chmod 600 secret.txt

# a wrong secret: the token request fails clearly, nothing of the secret shown
export SP_TEST_SECRET=not-the-secret-42
run --stage fetch --source deals
assert_eq "$RC" 4 "wrong secret"
err=$(q "select error from \"fetch\" where source='deals' order by id desc limit 1")
echo "$err" | grep -q "OAuth2 token: POST .*/api/token?uses=7: HTTP 401" || die "token failure not said: $err"
grep -rlaF "not-the-secret-42" $(test_db_files "$DB") sparker.log out && die "the wrong secret leaked"
export SP_TEST_SECRET=$SECRET

# a hostile server (Retry-After: 100000 on page 4): fails at once, the last good snapshot stands
good=$(q "select last_good_fetch from source_state where source='deals'")
sed -i "s#url = $U/api/cursor/n=1000,auth=bearer,fail=3,r429=5,r429date=9,rl=12,r429rl=15/items#url = $U/api/cursor/n=1000,auth=bearer,hostile=4/items#" cfg.ini
t0=$(date +%s)
run --stage fetch --source deals
t1=$(date +%s)
assert_eq "$RC" 4 "hostile Retry-After"
[ $((t1 - t0)) -lt 20 ] || die "a hostile Retry-After stalled the fetch for $((t1 - t0)) s"
err=$(q "select error from \"fetch\" where source='deals' order by id desc limit 1")
echo "$err" | grep -q "page 4: .*the server asks to wait 100000 s (Retry-After or rate limit), more than retry_after_max = 300 s" || die "unclear: $err"
assert_eq "$(q "select last_good_fetch from source_state where source='deals'")" "$good" "last good snapshot kept"
run --stage parse --source deals
assert_eq "$(q "select count(*) from record where source='deals' and gone=0")" 1000 "records kept"
[ -z "$(find raw -name '.part-*')" ] || die "temporary files left"
echo ok
