#!/usr/bin/env bash
# test_relevance_real.sh — the relevance filter on real startups, with the built-in taxonomy.
#
# 1. The 2017 Crunchbase export and the YC 2005-2014 list (../shared/data/real, read in place)
#    go through the nightly stages as of 2017-12-31; relevance_eval.py compares the result with
#    the 600 hand-labelled rows of relevance-labelled/ (precision and recall of "tagged relevant"
#    and of "qualified"; closed companies never qualify, so qualified is also measured on the
#    operating rows). Floors asserted: tagged precision and recall >= 0.85, qualified precision
#    >= 0.85. The labels are a sample to measure with, never rows to fit (see its SOURCE.md).
# 2. Real Companies House registers (2020 and 2021 samples): no company known only from a
#    registry qualifies without being young and naming a technology: the garages, tyre shops and
#    car washes that reach the thesis are refused as "Not a startup", and say so in explain.
. "$(dirname "$0")/../lib.sh"
D=$(shared_data)
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is absent"
cd "$T"
cat > rel.ini <<EOF2
[sparker]
database = rel.db
raw_dir = raw

[source cb2017]
format = csv
url = $D/crunchbase-2017-intl/crunchbase-startups-2017.csv
map.key = Company.Name.URL
map.name = Company.Name
map.description = Description
map.categories = Categories
map.founded = Founded.Date
map.status = Status
date_order = mdy

[source yc]
format = csv
url = $D/yc-startups-2014/yc-startups-2005-2014.csv
map.key = Company
map.name = Company
map.description = Description
map.categories = Categories
map.founded = Year Founded
map.status = Satus
map.website = Website
EOF2
"$SP" -c rel.ini run --from fetch --to score --as-of 2017-12-31 --quiet >run.log 2>&1 || die "run failed: $(tail -5 run.log)"
python3 "$ROOT/tests/integration/relevance_eval.py" rel.db "$D/relevance-labelled/relevance-labelled.csv" >eval.txt ||
  die "evaluation failed: $(cat eval.txt)"
n=$(sqlite3 rel.db "SELECT count(*) FROM entity_live")
q=$(sqlite3 rel.db "SELECT count(*) FROM selection WHERE qualified = 1")
while read -r line; do echo "MEASURE: relevance real (600 labelled of $n startups, $q qualified) $line"; done <eval.txt
floor() { # LINE-PREFIX FIELD MIN
  local v; v=$(grep "^$1" eval.txt | sed "s/.*$2=\([0-9.]*\).*/\1/")
  python3 -c "import sys; sys.exit(0 if $v >= $3 else 1)" || die "$1 $2 $v below $3"
}
floor "tagged relevant" precision 0.85
floor "tagged relevant" recall 0.85
floor "qualified precision" precision 0.85

# 2. real registers: what reaches the thesis there is a trade, not a startup
cat > ch.ini <<EOF2
[sparker]
database = ch.db
raw_dir = raw_ch

[source ch2020]
format = companies_house
url = $D/companies-house/BasicCompanyDataAsOneFile-2020-05-01_sample.csv

[source ch2021]
format = companies_house
url = $D/companies-house/basic-sample-2021-01-raw.csv
EOF2
"$SP" -c ch.ini run --from fetch --to score --as-of 2020-06-01 --quiet >ch.log 2>&1 || die "registry run failed: $(tail -5 ch.log)"
thesis=$(sqlite3 ch.db "SELECT count(*) FROM score WHERE thesis = 1")
qual=$(sqlite3 ch.db "SELECT count(*) FROM selection WHERE qualified = 1")
echo "MEASURE: relevance real Companies House ($(sqlite3 ch.db "SELECT count(*) FROM entity_live") companies): $thesis reach the thesis, $qual qualify"
[ "$thesis" -gt 10 ] || die "expected the registers' garages and tyre shops to reach the thesis (got $thesis): the check below would prove nothing"
assert_eq "$qual" 0 "no registry-only company qualifies"
bad=$(sqlite3 ch.db "SELECT count(*) FROM score WHERE thesis = 1 AND startup = 1")
assert_eq "$bad" 0 "no garage, tyre shop or car wash is taken for a startup"
id=$(sqlite3 ch.db "SELECT e.id FROM entity_live e JOIN score s ON s.entity_id = e.id WHERE s.thesis = 1 AND e.name LIKE '%CAR WASH%' LIMIT 1")
[ -n "$id" ] || die "no car wash reached the thesis in the registers"
"$SP" -c ch.ini explain "$id" >explain.txt 2>&1 || die "explain failed: $(cat explain.txt)"
assert_contains explain.txt "Not a startup: only in registries"
assert_contains explain.txt "no technology word"
echo "ok"
