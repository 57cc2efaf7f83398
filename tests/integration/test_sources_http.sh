#!/usr/bin/env bash
# test_sources_http.sh — all six formats fetched from a real HTTP server on 127.0.0.1 (some as
# zip or gzip), parsed, and checked against the generator's truth: every labelled record is
# stored under its key, every deliberately malformed row is either rejected with a reason or
# stored (bad dates are kept, the date dropped), nothing else. Then faults: a source that fails
# leaves its previous snapshot and records untouched while the others go ahead (exit 4), and the
# next night sends conditional requests and parses nothing new.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
SRC=$ROOT/demo/sources
mkdir -p "$T/www" && cd "$T/www"
cp "$SRC"/feed_rss.xml "$SRC"/feed_atom.xml "$SRC"/feed_rdf.xml "$SRC"/crunchbase.csv "$SRC"/api_page1.json "$SRC"/api_page2.json .
cp "$SRC"/companies_house.csv . && zip -q ch.zip companies_house.csv && rm companies_house.csv
cp "$SRC"/gleif.xml . && zip -q gleif.zip gleif.xml && rm gleif.xml
gzip -c "$SRC"/sirene.csv > sirene.csv.gz
http_start "$T/www"
cd "$T"
DB=$(test_db db.sqlite)
cat > s.ini <<EOF2
[sparker]
database = $DB
raw_dir = raw

[source feed_rss.xml]
format = feed
url = $HTTP_URL/feed_rss.xml
mode = append
link_is_website = yes

[source feed_atom.xml]
format = feed
url = $HTTP_URL/fault/500-then-200/feed_atom.xml
mode = append
retry_base_ms = 10

[source feed_rdf.xml]
format = feed
url = $HTTP_URL/feed_rdf.xml
mode = append

[source crunchbase.csv]
format = csv
preset = crunchbase
url = $HTTP_URL/fault/gzip/crunchbase.csv

[source companies_house.csv]
format = companies_house
url = $HTTP_URL/ch.zip

[source sirene.csv]
format = sirene
url = $HTTP_URL/sirene.csv.gz

[source gleif.xml]
format = gleif
url = $HTTP_URL/gleif.zip

[source api_page1.json]
format = json
url = $HTTP_URL/api_page1.json
items = data
next = links.next
map.key = id
map.name = name
map.country = country

[job nightly]
stages = fetch parse
EOF2
q() { sql "$DB" "$1"; }
"$SP" -c s.ini run --as-of 2025-06-01 || die "first night failed"

# truth: every labelled key stored under its source (source names are the file names here)
awk 'NR>1' "$SRC/truth.csv" > truth.body
awk 'NR>1' "$SRC/malformed.csv" > malformed.body
q "CREATE TABLE truth(source_file TEXT, source_key TEXT, true_id TEXT, relevant TEXT, domain TEXT);
   CREATE TABLE malformed(source_file TEXT, source_key TEXT, defect TEXT)"
sql_import_csv "$DB" truth truth.body
sql_import_csv "$DB" malformed malformed.body
q "UPDATE truth SET source_file='api_page1.json' WHERE source_file='api_page2.json';
   UPDATE malformed SET source_file='api_page1.json' WHERE source_file='api_page2.json'"
missing=$(q "SELECT count(*) FROM truth t WHERE NOT EXISTS (SELECT 1 FROM record r WHERE r.source=t.source_file AND r.source_key=t.source_key)")
[ "$missing" = 0 ] || die "$missing labelled records not stored, e.g. $(q "SELECT source_file||' '||source_key FROM truth t WHERE NOT EXISTS (SELECT 1 FROM record r WHERE r.source=t.source_file AND r.source_key=t.source_key) LIMIT 3")"
for src in $(q "SELECT DISTINCT source_file FROM truth ORDER BY 1"); do
  want=$(q "SELECT count(DISTINCT source_key) FROM truth WHERE source_file='$src'")
  bad=$(q "SELECT count(*) FROM malformed WHERE source_file='$src'")
  read -r read stored rejected oos < <(q "SELECT rows_read, rows_stored, rows_rejected, rows_out_of_scope FROM parse_stat p JOIN source_state s ON s.parsed_fetch=p.fetch_id WHERE s.source='$src'" | tr '|' ' ')
  [ "$oos" = 0 ] || die "$src: $oos rows out of scope without a filter"
  [ $((stored + rejected)) -eq $((want + bad)) ] || die "$src: stored $stored + rejected $rejected != truth $want + malformed $bad"
  [ "$stored" -ge "$want" ] && [ "$stored" -le $((want + bad)) ] || die "$src: stored $stored outside [$want, $((want + bad))]"
  echo "INFO: $src read=$read stored=$stored rejected=$rejected (truth $want, malformed $bad)"
done
n_rej_reason=$(q "SELECT count(*) FROM reject WHERE reason IS NULL OR reason = ''")
assert_eq "$n_rej_reason" 0 "every reject has a reason"
assert_eq "$(q "SELECT count(*) FROM \"fetch\" WHERE source='feed_atom.xml' AND status='new'")" 1 "500 then 200 retried to success"

# night 2: the RSS feed fails (server-side 503 forever): its snapshot and records stay
before=$(q "SELECT path||sha256 FROM \"fetch\" WHERE id=(SELECT last_good_fetch FROM source_state WHERE source='feed_rss.xml')")
nrec=$(q "SELECT count(*) FROM record WHERE source='feed_rss.xml' AND gone=0")
sed -i "s#url = $HTTP_URL/feed_rss.xml#url = $HTTP_URL/fault/503/feed_rss.xml\nretries = 1\nretry_base_ms = 10\nretry_after_max = 0#" s.ini
set +e; "$SP" -c s.ini run --as-of 2025-06-02 2>night2.err; rc=$?; set -e
assert_eq "$rc" 4 "a failed source makes the run partial"
after=$(q "SELECT path||sha256 FROM \"fetch\" WHERE id=(SELECT last_good_fetch FROM source_state WHERE source='feed_rss.xml')")
assert_eq "$after" "$before" "the failed source keeps its last good snapshot"
[ -f "raw/$(q "SELECT path FROM \"fetch\" WHERE id=(SELECT last_good_fetch FROM source_state WHERE source='feed_rss.xml')")" ] || die "snapshot file gone"
assert_eq "$(q "SELECT count(*) FROM record WHERE source='feed_rss.xml' AND gone=0")" "$nrec" "records of the failed source untouched"
assert_eq "$(q "SELECT count(*) FROM \"fetch\" f JOIN run r ON r.id=f.run_id WHERE r.as_of='2025-06-02' AND f.status='not_modified'")" 6 \
  "the six single-file sources sent conditional requests and got 304"
assert_eq "$(q "SELECT f.status FROM \"fetch\" f JOIN run r ON r.id=f.run_id WHERE r.as_of='2025-06-02' AND f.source='api_page1.json'")" unchanged \
  "the paginated API (no conditional requests) was downloaded again and found unchanged"
grep -q -- "-> 304 inm=\"" "$T/http.log" || die "no conditional request seen by the server"
assert_eq "$(q "SELECT count(*) FROM stage_run s JOIN run r ON r.id=s.run_id WHERE r.as_of='2025-06-02' AND s.stage='parse' AND s.rows_out>0")" 0 \
  "nothing new parsed on the second night"
echo "INFO: night 2: 1 source failed (exit 4), 6 not modified, 1 unchanged, nothing re-parsed"
