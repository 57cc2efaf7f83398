#!/usr/bin/env bash
# test_sirene_pair.sh — SIRENE from hand-made fixtures (tests/fixtures/sirene), always run:
# - the monthly pair (url = legal units, establishments_url = establishments), local and over
#   http://127.0.0.1: one record per legal unit with its head office's city and postcode (by
#   nicSiegeUniteLegale; else the establishment flagged etablissementSiege), a legal unit without
#   a head office keeps no city, establishments without a legal unit are counted in the note;
#   the fetch keeps both files and a manifest; refetching the same bytes is 'unchanged';
# - a pair with either file out of INSEE's order fails the parse naming the file, line and siren
#   (never a silent mis-join), and so does an establishments file alone out of order;
#   a duplicate siren in the legal units is rejected, the first one stands; a shifted
#   establishments row is rejected with its line and the join goes on;
# - a failed download of either file, or one failing verification, fails the fetch and keeps the
#   last good pair (nothing of the failed pair is kept);
# - an establishments file alone and a v2 patch alone: one record per SIREN (head office first,
#   a v2 after-image over its before-image);
# - an empty snapshot (header only) fails loudly even on a first load.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/sirene
cd "$T"
cp "$FX"/pair_ul.csv "$FX"/pair_et.csv .
PDB=$(test_db p.sqlite)
cat > p.ini <<EOF
[sparker]
database = $PDB
raw_dir = raw

[source pair]
format = sirene
url = pair_ul.csv
establishments_url = pair_et.csv

[source et_alone]
format = sirene
url = $FX/pair_et.csv

[source v2]
format = sirene
url = $FX/v2_patch.csv
EOF
q() { sql "$PDB" "$1"; }
"$SP" -c p.ini run --from fetch --to parse --as-of 2025-01-10 > run1.log 2>&1 || { cat run1.log; die "run 1 failed"; }
rec() { q "SELECT name||'|'||COALESCE(city,'')||'|'||COALESCE(postcode,'')||'|'||country FROM record WHERE source='$1' AND source_key='$2'"; }
assert_eq "$(rec pair 200000001)" "ACME ROBOTIQUE|PARIS|75011|FR" "head office by nicSiegeUniteLegale"
assert_eq "$(rec pair 200000002)" "BETA SANS SIEGE|||FR" "a legal unit without a head office keeps no city"
assert_eq "$(rec pair 200000004)" "MARIE DUPONT|TOULOUSE|31000|FR" "a sole trader"
assert_eq "$(rec pair 200000009)" "DELTA MOBILITE|NANTES|44000|FR" "head office by etablissementSiege"
assert_eq "$(q "SELECT count(*) FROM record WHERE source='pair'")" 4 "one record per legal unit"
assert_eq "$(q "SELECT count(*) FROM record WHERE source='pair' AND source_key IN ('200000003','200000010')")" 0 "no record for establishments without a legal unit"
assert_eq "$(q "SELECT rows_in||'/'||rows_out||'/'||rows_rejected FROM stage_run WHERE stage='parse' AND source='pair'")" "4/4/0" "pair counts"
grep -q "join: 1 legal units without a head office in the establishments file, 2 establishments without a legal unit" run1.log \
  || { cat run1.log; die "the join's note"; }
# the snapshot: both files under their hashes and the manifest naming them
man=$(q "SELECT path FROM \"fetch\" WHERE source='pair' AND status='new'")
case "$man" in pair/*.files) ;; *) die "the pair's snapshot is not a manifest: $man";; esac
assert_eq "$(head -1 "raw/$man")" "sparker snapshot files 1" "manifest magic"
for role in legal_units establishments; do
  f=$(awk -v r=$role '$1 == r { print $2 }' "raw/$man")
  [ -f "raw/pair/$f" ] || die "manifest: $role file raw/pair/$f missing"
done
cmp -s "raw/pair/$(awk '$1 == "legal_units" { print $2 }' "raw/$man")" pair_ul.csv || die "legal units file differs"
# alone: an establishments file and a v2 patch, one record per SIREN
assert_eq "$(rec et_alone 200000001)" "200000001|PARIS|75011|FR" "establishments alone: the head office, named by SIREN"
assert_eq "$(q "SELECT count(*) FROM record WHERE source='et_alone'")" 5 "establishments alone: one record per SIREN"
assert_eq "$(rec v2 300000001)" "ORBITAL FREINS|BORDEAUX|33000|FR" "v2: the head office"
assert_eq "$(rec v2 300000002)" "VELO NOVA|LYON|69002|FR" "v2: the after-image over the before-image"
assert_eq "$(rec v2 300000005)" "PAUL MARTIN|RENNES|35000|FR" "v2: a person"
assert_eq "$(q "SELECT codes||'|'||code_system||'|'||founded||'|'||legal_form||'|'||other_names FROM record WHERE source='v2' AND source_key='300000001'")" \
  "29.32Z|naf2|2018-03-05|5710|OF" "v2 fields"
assert_eq "$(q "SELECT rows_rejected FROM stage_run WHERE stage='parse' ORDER BY id" | paste -sd,)" "0,0,0" "no rejects"

# the same bytes again: unchanged; then the establishments file goes missing: the fetch fails and
# the last good pair stays
good=$(q "SELECT last_good_fetch FROM source_state WHERE source='pair'")
"$SP" -c p.ini run --stage fetch --source pair --as-of 2025-01-11 > run2.log 2>&1 || { cat run2.log; die "run 2"; }
grep -q "unchanged pair" run2.log || { cat run2.log; die "refetch of the same pair is not 'unchanged'"; }
mv pair_et.csv gone.csv
rc=0; "$SP" -c p.ini run --from fetch --to parse --source pair --as-of 2025-01-12 > run3.log 2>&1 || rc=$?
[ $rc = 4 ] || { cat run3.log; die "a missing establishments file: exit $rc, expected 4"; }
grep -q "establishments: read .*pair_et.csv" run3.log || { cat run3.log; die "the failure names the establishments file"; }
assert_eq "$(q "SELECT last_good_fetch FROM source_state WHERE source='pair'")" "$good" "the last good pair stays"
assert_eq "$(q "SELECT count(*) FROM record WHERE source='pair' AND gone=0")" 4 "records stay"
assert_eq "$(ls raw/pair | grep -c '^\.part-')" 0 "no part file left"
# a corrupt establishments file (a truncated gzip) fails its verification: nothing is kept, not
# even the (new) legal units file
mv gone.csv pair_et.csv
gzip -c pair_et.csv | head -c 300 > pair_et.csv.gz
sed -i 's/^establishments_url = pair_et.csv$/establishments_url = pair_et.csv.gz/' p.ini
echo "200000011,O,,2021-03-15,,,,,,,,,,,,,,,,,A,,,NOUVELLE,,,,5710,62.01Z,NAFRev2,00011,," >> pair_ul.csv
files=$(ls raw/pair | sort)
rc=0; "$SP" -c p.ini run --from fetch --to parse --source pair --as-of 2025-01-12 > run3b.log 2>&1 || rc=$?
[ $rc = 4 ] || { cat run3b.log; die "a truncated establishments gzip: exit $rc, expected 4"; }
grep -q "establishments: gzip data does not inflate" run3b.log || { cat run3b.log; die "the verification failure names the file"; }
assert_eq "$(ls raw/pair | sort)" "$files" "nothing kept from a pair that failed verification"
assert_eq "$(q "SELECT last_good_fetch FROM source_state WHERE source='pair'")" "$good" "the last good pair stays (2)"
sed -i 's/^establishments_url = pair_et.csv.gz$/establishments_url = pair_et.csv/' p.ini
cp "$FX/pair_ul.csv" pair_ul.csv

# out of order: either file of a pair, or an establishments-level file alone, fails the parse
for case in "pair_et_unsorted.csv pair_ul.csv establishments: line 6: siren 200000003 comes after 200000004" \
            "pair_et.csv pair_ul_unsorted.csv legal units: line 4: siren 200000002 comes after 200000004"; do
  set -- $case
  et=$1 ul=$2; shift 2
  cp "$FX/$et" pair_et.csv
  cp "$FX/$ul" pair_ul.csv
  rc=0; "$SP" -c p.ini run --from fetch --to parse --source pair --as-of 2025-01-13 > run4.log 2>&1 || rc=$?
  [ $rc = 4 ] || { cat run4.log; die "$et + $ul: exit $rc, expected 4"; }
  grep -qF "$*" run4.log || { cat run4.log; die "$et + $ul: no message '$*'"; }
  grep -q "not in INSEE's order" run4.log || die "$et + $ul: the message says why"
  assert_eq "$(rec pair 200000001)" "ACME ROBOTIQUE|PARIS|75011|FR" "$et + $ul: the records stay as they were"
done
UDB=$(test_db u.sqlite)
cat > u.ini <<EOF
[sparker]
database = $UDB
raw_dir = raw

[source et_unsorted]
format = sirene
url = $FX/pair_et_unsorted.csv

[source v2_unsorted]
format = sirene
url = $FX/v2_unsorted.csv
EOF
rc=0; "$SP" -c u.ini run --from fetch --to parse --as-of 2025-01-13 > run5.log 2>&1 || rc=$?
[ $rc = 4 ] || { cat run5.log; die "alone out of order: exit $rc, expected 4"; }
grep -q "source et_unsorted: .*line 6: siren 200000003 comes after 200000004" run5.log || { cat run5.log; die "et alone unsorted"; }
grep -q "source v2_unsorted: .*line 3: siren 300000001 comes after 300000005" run5.log || { cat run5.log; die "v2 alone unsorted"; }
assert_eq "$(sql "$UDB" "SELECT count(*) FROM record")" 0 "nothing applied from an unsorted file"

# a duplicate siren in the legal units: rejected, the first stands
{ cat "$FX/pair_ul.csv"; sed -n 2p "$FX/pair_ul.csv" | sed 's/ACME ROBOTIQUE/ACME DOUBLON/'; } > dup.csv
sort -t, -k1,1 -s dup.csv | { grep '^siren' dup.csv; grep -v '^siren'; } > pair_ul.csv
cp "$FX/pair_et.csv" pair_et.csv
sed -i 's/^establishments_url = pair_et.csv$/&\nmax_reject_pct = 100/' p.ini  # 1 of 5 rows rejected
"$SP" -c p.ini run --from fetch --to parse --source pair --as-of 2025-01-14 > run6.log 2>&1 || { cat run6.log; die "dup run"; }
assert_eq "$(q "SELECT reason FROM reject WHERE source='pair'")" "duplicate siren" "the duplicate is rejected"
assert_eq "$(rec pair 200000001)" "ACME ROBOTIQUE|PARIS|75011|FR" "the first of a duplicate stands"
# a shifted establishments row (one field too many) is rejected with its line; the join goes on
cp "$FX/pair_ul.csv" pair_ul.csv
{ sed -n 1,2p "$FX/pair_et.csv"; sed -n 3p "$FX/pair_et.csv" | sed 's/,PARIS,/,PARIS,X,/'; sed -n '4,$p' "$FX/pair_et.csv"; } > pair_et.csv
"$SP" -c p.ini run --from fetch --to parse --source pair --as-of 2025-01-15 > run6b.log 2>&1 || { cat run6b.log; die "shifted row run"; }
assert_eq "$(q "SELECT line||' '||reason FROM reject WHERE source='pair' AND fetch_id=(SELECT max(id) FROM \"fetch\" WHERE source='pair')")" \
  "3 establishments: bad column count" "the shifted establishments row"
assert_eq "$(rec pair 200000001)" "ACME ROBOTIQUE|||FR" "its legal unit has no head office now"
assert_eq "$(rec pair 200000004)" "MARIE DUPONT|TOULOUSE|31000|FR" "the join goes on after it"

# over http: the same pair served by the test server
mkdir www && cp "$FX"/pair_ul.csv "$FX"/pair_et.csv www/
http_start www
HDB=$(test_db h.sqlite)
cat > h.ini <<EOF
[sparker]
database = $HDB
raw_dir = hraw

[source pair]
format = sirene
url = $HTTP_URL/pair_ul.csv
establishments_url = $HTTP_URL/pair_et.csv
EOF
"$SP" -c h.ini run --from fetch --to parse --as-of 2025-01-10 > run7.log 2>&1 || { cat run7.log; die "pair over http"; }
assert_eq "$(sql "$HDB" "SELECT name||'|'||city FROM record WHERE source_key='200000001'")" "ACME ROBOTIQUE|PARIS" "pair over http"
rm www/pair_et.csv
rc=0; "$SP" -c h.ini run --from fetch --to parse --as-of 2025-01-11 > run8.log 2>&1 || rc=$?
[ $rc = 4 ] || { cat run8.log; die "establishments 404: exit $rc, expected 4"; }
grep -q "establishments: GET .*pair_et.csv" run8.log || { cat run8.log; die "the 404 names the establishments URL"; }
assert_eq "$(sql "$HDB" "SELECT count(*) FROM record WHERE gone=0")" 4 "a 404 keeps the last good pair"

# an empty snapshot (header only) fails loudly, even on a first load
head -1 "$FX/pair_ul.csv" > empty.csv
EDB=$(test_db e.sqlite)
cat > e.ini <<EOF
[sparker]
database = $EDB
raw_dir = raw

[source empty]
format = sirene
url = empty.csv
EOF
rc=0; "$SP" -c e.ini run --from fetch --to parse --as-of 2025-01-10 > run9.log 2>&1 || rc=$?
[ $rc = 4 ] || { cat run9.log; die "an empty first snapshot: exit $rc, expected 4"; }
grep -q "has no data rows (0 records)" run9.log || { cat run9.log; die "the empty snapshot's message"; }
echo ok
