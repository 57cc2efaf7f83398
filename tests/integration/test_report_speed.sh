#!/usr/bin/env bash
# test_report_speed.sh — a year of 4,000 startups (tests/fixtures/report/bulk.sql): the report
# is written in under 2 seconds, its qualified table runs over many pages with the header repeated,
# and its figures equal the exports.
. "$(dirname "$0")/../lib.sh"
for t in pdftotext pdfinfo qpdf sqlite3; do command -v $t >/dev/null || skip "$t not installed"; done
FX=$ROOT/tests/fixtures/report
cp "$FX/sparker.ini" "$T/"
cd "$T"
$SP -q -c sparker.ini init
sqlite3 sparker.db < "$FX/fixture.sql"
sqlite3 sparker.db < "$FX/bulk.sql"
t0=$(date +%s.%N)
$SP -q -c sparker.ini report --year 2026 --out big.pdf --csv big.csv
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc -l 2>/dev/null || python3 -c "print($t1 - $t0)")
echo "MEASURE: report of 4000 startups in ${secs}s"
python3 -c "import sys; sys.exit(0 if $secs < 2.0 else 1)" || die "report took ${secs}s (limit 2 s)"
qpdf --check big.pdf >/dev/null || die "qpdf --check failed"
integrated=$(( $($SP -c sparker.ini export entities --year 2026 | wc -l) - 1 ))
qualified=$(( $($SP -c sparker.ini export qualified --year 2026 | wc -l) - 1 ))
assert_eq "$integrated/$qualified" "4000/400" "bulk exports"
pdftotext -layout big.pdf - | tr -s ' ' > flat.txt
assert_contains flat.txt "Unique startups $integrated "
assert_contains flat.txt "The qualified startups 2026 ($qualified)"
assert_contains flat.txt "Qualified rate (of unique startups) 10.0 %"
headers=$(grep -c "# Name Ctry Domains" flat.txt)
[ "$headers" -ge 5 ] || die "the qualified table header appears $headers times (expected one per page)"
pages=$(pdfinfo big.pdf | awk '/^Pages:/ {print $2}')
echo "INFO: $pages pages, qualified table header on $headers pages"
