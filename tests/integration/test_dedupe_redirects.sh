#!/usr/bin/env bash
# Redirect evidence ([dedupe] resolve_redirects = yes): every website's home page is asked once
# (HEAD, https then http) through libcurl's connect-to pointed at the loopback test server, never
# the internet. tanex.example redirects to tanextech.example: "Tanex" and "Tanex Tech" (compatible
# names, websites that otherwise contradict) become one entity, the member saying the website
# redirects; guardium.example redirects to ibm.example: Guardium and IBM are a group ("Same group?"
# in show), never merged. The answers are cached: a second run asks nothing. The rate limit
# spaces the requests.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is absent"
mkdir -p "$T/www/_hosts" "$T/src" "$T/db"
echo "http://tanextech.example/" >"$T/www/_hosts/tanex.example"
echo "http://www.ibm.example/products/guardium" >"$T/www/_hosts/guardium.example"
http_start "$T/www"
cat >"$T/src/crunchbase.csv" <<'CSV'
uuid,name,homepage_url,domain,country_code,city,category_list,short_description,founded_on,status
cb-tanex,Tanex,https://tanex.example,tanex.example,GBR,London,Software,Fleet telematics,2019-01-15,operating
cb-guardium,Guardium,https://guardium.example,guardium.example,USA,Waltham,Security,Database security,2002-01-01,acquired
cb-plain,Plainco,https://plainco.example,plainco.example,USA,Boston,Software,Tools,2015-01-01,operating
CSV
cat >"$T/src/directory.csv" <<'CSV'
uuid,name,homepage_url,domain,country_code,city,category_list,short_description,founded_on,status
dr-tanex,Tanex Tech,https://tanextech.example,tanextech.example,GBR,London,Software,Telematics,2019-02-01,operating
dr-ibm,IBM,https://www.ibm.example,ibm.example,USA,Armonk,Enterprise,Computers,1911-06-16,operating
CSV
DB=$(test_db "$T/db/sparker.db")
cat >"$T/sparker.ini" <<INI
[sparker]
database = $DB
raw_dir = db/raw
report_dir = db/reports
[source crunchbase]
format = csv
preset = crunchbase
url = src/crunchbase.csv
priority = 30
[source directory]
format = csv
preset = crunchbase
url = src/directory.csv
priority = 20
[dedupe]
resolve_redirects = yes
redirect_connect_to = 127.0.0.1:$HTTP_PORT
redirect_per_second = 4
redirect_timeout = 5
[job er]
stages = fetch parse normalise dedupe
INI
cd "$T"
"$SP" -c sparker.ini run --from fetch --to normalise --as-of 2025-12-31 --quiet >"$T/run.log" 2>&1 || die "run failed: $(cat "$T/run.log")"
start=$(date +%s.%N)
"$SP" -c sparker.ini run --stage dedupe --as-of 2025-12-31 --quiet >>"$T/run.log" 2>&1 || die "dedupe failed: $(cat "$T/run.log")"
secs=$(python3 -c "import time; print('%.2f' % (time.time() - $start))")
q() { sql "$DB" "$1"; }
ent() { q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source || ':' || r.source_key = '$1'"; }
assert_eq "$(q "SELECT count(*) FROM redirect")" "5" "one cached answer per website"
assert_eq "$(q "SELECT final_domain FROM redirect WHERE domain = 'tanex.example'")" "tanextech.example" "tanex.example's final domain"
assert_eq "$(q "SELECT final_domain FROM redirect WHERE domain = 'guardium.example'")" "ibm.example" "guardium.example's final domain"
assert_eq "$(q "SELECT final_domain FROM redirect WHERE domain = 'plainco.example'")" "plainco.example" "a website that stays home"
# five domains at four a second: at least four gaps of 250 ms
python3 -c "import sys; sys.exit(0 if $secs >= 0.95 else 1)" || die "rate limit not kept: 5 domains in ${secs}s"
# the rebrand joined, with the reason; the acquisition a group
assert_eq "$(ent crunchbase:cb-tanex)" "$(ent directory:dr-tanex)" "Tanex (redirecting to tanextech.example) is not Tanex Tech"
assert_contains <(q "SELECT reason FROM member WHERE reason IS NOT NULL") "redirects to the other's: renamed"
[ "$(ent crunchbase:cb-guardium)" != "$(ent directory:dr-ibm)" ] || die "an acquisition (redirect to the acquirer) merged into it"
assert_contains <(q "SELECT reason FROM review_pair WHERE rule = 'domain'") "website redirects to the other's, different names"
"$SP" -c sparker.ini show "$(ent crunchbase:cb-guardium)" >"$T/show" || die "show failed"
assert_contains "$T/show" "Same group? (not merged)"
assert_contains "$T/show" "IBM"
grep -q "REQ HEAD" "$T/http.log" || die "no HEAD request reached the test server"
heads=$(grep -c "REQ HEAD" "$T/http.log")
# cached: a rerun within the TTL asks nothing and decides the same
"$SP" -c sparker.ini run --stage dedupe --as-of 2025-12-31 --quiet >>"$T/run.log" 2>&1 || die "second dedupe failed"
assert_eq "$(grep -c "REQ HEAD" "$T/http.log")" "$heads" "the second run asked again (cache ignored)"
assert_eq "$(ent crunchbase:cb-tanex)" "$(ent directory:dr-tanex)" "the rebrand came apart on the cached run"
assert_contains <(q "SELECT message FROM stage_run WHERE stage = 'dedupe' ORDER BY id DESC LIMIT 1") "redirects asked 0"
# an answer older than the TTL is asked again
q "UPDATE redirect SET checked_at = '2000-01-01T00:00:00' WHERE domain = 'plainco.example'"
"$SP" -c sparker.ini run --stage dedupe --as-of 2025-12-31 --quiet >>"$T/run.log" 2>&1 || die "third dedupe failed"
assert_contains <(q "SELECT message FROM stage_run WHERE stage = 'dedupe' ORDER BY id DESC LIMIT 1") "redirects asked 1"
echo "INFO: redirects: $heads HEAD requests for 5 websites in ${secs}s; rename joined, acquisition a group, cache and TTL kept"
