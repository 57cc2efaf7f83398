#!/usr/bin/env bash
# Dedupe quality and stability on a labelled multi-source set from tests/gen/gen_startups.py
# (a seed the demo does not use): fetch -> parse -> normalise -> dedupe through the real binary,
# pairwise precision/recall against truth.csv, zero id changes on rerun, link/unlink surviving reruns.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
GEN=$ROOT/tests/gen/gen_startups.py
[ -f "$GEN" ] || skip "tests/gen/gen_startups.py is absent"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is absent"
mkdir -p "$T/sources"
python3 "$GEN" --out "$T/sources" --n "${DEDUPE_N:-1500}" --seed "${DEDUPE_SEED:-4242}" >/dev/null
DB=$(test_db "$T/db/sparker.db")
cat >"$T/sparker.ini" <<INI
[sparker]
database = $DB
raw_dir = db/raw
report_dir = db/reports
[source radar_rss]
format = feed
url = sources/feed_rss.xml
mode = append
priority = 10
link_is_website = yes
[source eu_atom]
format = feed
url = sources/feed_atom.xml
mode = append
priority = 10
link_is_website = yes
[source de_rdf]
format = feed
url = sources/feed_rdf.xml
mode = append
priority = 10
link_is_website = yes
country = DE
[source crunchbase]
format = csv
preset = crunchbase
url = sources/crunchbase.csv
priority = 30
[source companies_house]
format = companies_house
url = sources/companies_house.csv
priority = 50
filter.max_age_years = 10
filter.active = yes
[source sirene]
format = sirene
url = sources/sirene.csv
priority = 50
filter.max_age_years = 10
filter.active = yes
[source gleif]
format = gleif
url = sources/gleif.xml
priority = 40
filter.active = yes
[source startup_api]
format = json
url = sources/api_page1.json
priority = 20
items = data
next = links.next
map.key = id
map.name = name
map.website = website
map.country = country
map.city = city
map.founded = founded
map.status = status
[job er]
stages = fetch parse normalise dedupe
INI
mkdir -p "$T/db"
cd "$T"
"$SP" -c sparker.ini run --job er --as-of 2025-12-31 --quiet >"$T/run.log" 2>&1 || die "run failed: $(cat "$T/run.log")"
msg=$(sql "$DB" "SELECT message FROM stage_run WHERE stage='dedupe' ORDER BY id DESC LIMIT 1")
echo "INFO: dedupe: $msg"
res=$(python3 "$ROOT/tests/integration/dedupe_eval.py" "$DB" sources/truth.csv sparker.ini)
echo "MEASURE: dedupe (gen_startups n=${DEDUPE_N:-1500}) $res"
p=$(echo "$res" | sed 's/.*precision=\([0-9.]*\).*/\1/')
r=$(echo "$res" | sed 's/.*recall=\([0-9.]*\).*/\1/')
python3 -c "import sys; sys.exit(0 if $p >= 0.99 and $r >= 0.95 else 1)" || die "quality below floor: $res"

# hub keys: the largest hub postcode of the run is named by `status`
hub=$(sql "$DB" "SELECT key || ' ' || names FROM hub_key WHERE kind = 'postcode' ORDER BY names DESC LIMIT 1")
[ -n "$hub" ] || die "no hub postcode recorded (the generator makes incubator postcodes)"
"$SP" -c sparker.ini status >"$T/status" || die "status failed"
assert_contains "$T/status" "Hub keys of the last dedupe"
grep -Eq "postcode +${hub% *} +${hub#* } distinct names" "$T/status" || die "status does not name hub postcode $hub: $(cat "$T/status")"
echo "INFO: status names the largest hub postcode ($hub names)"
# same group: a website shared by incompatible names is a relation shown by `show`, not a merge
gid=$(sql "$DB" "SELECT m.entity_id FROM review_pair p JOIN member m ON m.record_id = p.a WHERE p.rule = 'domain' ORDER BY p.a LIMIT 1")
if [ -n "$gid" ]; then
  "$SP" -c sparker.ini show "$gid" >"$T/show_group" || die "show $gid failed"
  assert_contains "$T/show_group" "Same group? (not merged)"
  assert_contains "$T/show_group" "same website, different names"
  echo "INFO: show $gid lists its same-group relations"
fi

# stability: reruns change no entity id
members() { sql "$DB" "SELECT record_id || '=' || entity_id FROM member ORDER BY record_id"; }
members >"$T/m1"
rows() { sql "$DB" "SELECT * FROM member ORDER BY record_id"; sql "$DB" "SELECT * FROM entity ORDER BY id"; }
rows >"$T/r1"
"$SP" -c sparker.ini run --stage dedupe --as-of 2025-12-31 --quiet >/dev/null 2>&1 || die "dedupe rerun failed"
"$SP" -c sparker.ini run --from normalise --to dedupe --as-of 2025-12-31 --quiet >/dev/null 2>&1 || die "normalise+dedupe rerun failed"
members >"$T/m2"
changed=$(diff "$T/m1" "$T/m2" | grep -c '^>' || true)
echo "MEASURE: dedupe ids changed on rerun=$changed"
assert_eq "$changed" "0" "entity ids changed on an unchanged rerun"
# and wrote nothing: every member and entity row as it was, run_id included (dedupe_write.c
# writes only what changed)
rows >"$T/r2"
cmp -s "$T/r1" "$T/r2" || die "an unchanged rerun rewrote member or entity rows: $(diff "$T/r1" "$T/r2" | head -3)"
last_run=$(sql "$DB" "SELECT max(run_id) FROM member")

# overrides: unlink a member of a multi-record entity, link two singletons; both survive reruns
read -r ua < <(sql "$DB" "SELECT r.source || ':' || r.source_key FROM member m JOIN record r ON r.id = m.record_id
  WHERE m.entity_id IN (SELECT entity_id FROM member GROUP BY entity_id HAVING count(*) >= 3) ORDER BY r.id LIMIT 1")
mapfile -t singles < <(sql "$DB" "SELECT r.source || ':' || r.source_key FROM member m JOIN record r ON r.id = m.record_id
  WHERE m.entity_id IN (SELECT entity_id FROM member GROUP BY entity_id HAVING count(*) = 1) ORDER BY r.id LIMIT 2")
[ -n "$ua" ] && [ "${#singles[@]}" = 2 ] || die "fixture lacks a multi-member entity or two singletons"
"$SP" -c sparker.ini unlink "$ua" --note "test split" >"$T/o1" || die "unlink failed"
assert_contains "$T/o1" "next dedupe run"
"$SP" -c sparker.ini link "${singles[0]}" "${singles[1]}" --note "test join" >"$T/o2" || die "link failed"
ent_of() { sql "$DB" "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source || ':' || r.source_key = '$1'"; }
for i in 1 2; do
  "$SP" -c sparker.ini run --stage dedupe --as-of 2025-12-31 --quiet >/dev/null 2>&1 || die "dedupe after overrides failed"
  n=$(sql "$DB" "SELECT count(*) FROM member WHERE entity_id = (SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source || ':' || r.source_key = '$ua')")
  assert_eq "$n" "1" "unlinked record is not alone (run $i)"
  assert_eq "$(ent_of "${singles[0]}")" "$(ent_of "${singles[1]}")" "linked records are apart (run $i)"
done
moved=$(sql "$DB" "SELECT count(*) FROM member WHERE run_id > $last_run")
total=$(sql "$DB" "SELECT count(*) FROM member")
[ "$moved" -ge 2 ] && [ "$moved" -lt $((total / 10)) ] || die "after link/unlink, $moved of $total member rows rewritten"
echo "MEASURE: member rows rewritten by link/unlink=$moved of $total"
"$SP" -c sparker.ini show "${singles[0]}" >"$T/show" || die "show failed"
assert_contains "$T/show" "Golden record"
assert_contains "$T/show" "rule override"
echo "INFO: link/unlink survive reruns; show explains members"
