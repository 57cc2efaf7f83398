#!/usr/bin/env bash
# test_report_funnel.sh — `sparker report` on a fixed database (tests/fixtures/report/fixture.sql):
# the PDF's text layer holds the same figures as `sparker export`, the accented names, and is a
# valid PDF whose every page renders; the CSV companion agrees; the report row is written;
# regeneration under SOURCE_DATE_EPOCH is byte-identical; a year with no data at all is refused
# (exit 1, nothing written); a year with a run but no startup says "No data" in its sections.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
for t in pdftotext pdftoppm pdfinfo qpdf sqlite3; do command -v $t >/dev/null || skip "$t not installed"; done
FX=$ROOT/tests/fixtures/report
cp "$FX/sparker.ini" "$T/"
cd "$T"
DB=$(test_db sparker.db)
sed -i "s|^database *=.*|database = $DB|" sparker.ini
$SP -q -c sparker.ini init
sql_file "$DB" "$FX/fixture.sql" >/dev/null
export SOURCE_DATE_EPOCH=1767225600

out=$($SP -c sparker.ini report --year 2025)
assert_contains <(echo "$out") "wrote $(pwd -P)/reports/sparker-2025.pdf"
assert_contains <(echo "$out") "wrote $(pwd -P)/reports/sparker-2025.csv"
PDF=reports/sparker-2025.pdf CSV=reports/sparker-2025.csv
[ -s $PDF ] && [ -s $CSV ] || die "report files missing"
qpdf --check $PDF >/dev/null || die "qpdf --check failed"

# every page renders
pages=$(pdfinfo $PDF | awk '/^Pages:/ {print $2}')
[ "$pages" -ge 6 ] || die "only $pages pages"
mkdir png && pdftoppm -r 30 -png $PDF png/p
assert_eq "$(ls png | wc -l)" "$pages" "rendered pages"

# the text layer: figures equal to the exports, no extraction warnings (ToUnicode is right)
pdftotext -layout $PDF text.txt 2>warn.txt
[ ! -s warn.txt ] || die "pdftotext warnings: $(head -3 warn.txt)"
tr -s ' ' < text.txt > flat.txt
integrated=$(( $($SP -c sparker.ini export entities --year 2025 | wc -l) - 1 ))
qualified=$(( $($SP -c sparker.ini export qualified --year 2025 | wc -l) - 1 ))
integrated_prev=$(( $($SP -c sparker.ini export entities --year 2024 | wc -l) - 1 ))
qualified_prev=$(( $($SP -c sparker.ini export qualified --year 2024 | wc -l) - 1 ))
assert_eq "$integrated/$qualified/$integrated_prev/$qualified_prev" "8/5/3/1" "fixture exports"
assert_contains flat.txt "Unique startups $integrated $integrated_prev "
assert_contains flat.txt "Qualified $qualified $qualified_prev "
assert_contains flat.txt "Qualified rate (of unique startups) 62.5 % 33.3 %"
assert_contains flat.txt "Unique startups $integrated"
assert_contains flat.txt "Accompanied 2 1 "
# records pulled: every row read by the parses of 2025 (6 + 150 + 3), the funnel's and the by-source total
assert_contains flat.txt "Records pulled 159"
assert_contains flat.txt "Total 159 120 3 26 10 "
assert_contains flat.txt "In scope 10"
assert_contains flat.txt "registry (3 nights in a row)"
assert_contains flat.txt "Runs of 2025: 3-7"
assert_contains flat.txt "4444444444444444444444444444444444444444444444444444444444444444"
for name in "Société Générale Mobilité" "Zürich Drive" "São Paulo Motors" "Škoda Parts Lab" "Mobilité & Aftermarket"; do
  assert_contains text.txt "$name"
done
# the qualified table is sorted by score, as the export
sed -n '/The qualified startups 2025/,/Data quality and operations 2025/p' text.txt |
  grep -oE "Société Générale Mobilité|Zürich Drive|Škoda Parts Lab|São Paulo Motors" > order.txt
assert_eq "$(tr '\n' '|' < order.txt)" "Société Générale Mobilité|Zürich Drive|Škoda Parts Lab|São Paulo Motors|" "qualified order"

# display: registry capitals in title case (acronyms kept), websites without tracking parameters,
# a committee decision is no relevance reason, and no cell of the list is cut ("…")
sed -n '/The qualified startups 2025/,/Data quality and operations 2025/p' text.txt > qual.txt
assert_contains $CSV "qualified,15,name,The Extraordinarily Long-Named Autonomous Vehicle Aftermarket Diagnostics and Repair Cooperative LLC"
assert_contains $CSV "qualified,11,website,zurichdrive.ch"
assert_contains $CSV "qualified,12,main_reason,keyword spare parts"
! grep -q "utm_\|gclid" qual.txt $CSV || die "a tracking parameter is shown"
! grep -q "committee decision accompanied" qual.txt || die "a committee decision is shown as a relevance reason"
! grep -q "…" qual.txt || die "a cell of the qualified list is cut: $(grep "…" qual.txt | head -2)"
[ "$(sql "$DB" "SELECT name FROM entity WHERE id = 15")" = "THE EXTRAORDINARILY LONG-NAMED AUTONOMOUS VEHICLE AFTERMARKET DIAGNOSTICS AND REPAIR COOPERATIVE LLC" ] ||
  die "the registry's spelling is not kept in the database"

# the CSV companion has the same figures
assert_contains $CSV "funnel,integrated,count,$integrated"
assert_contains $CSV "funnel,qualified,count,$qualified"
assert_contains $CSV "funnel_previous_year,integrated,count,$integrated_prev"
assert_contains $CSV "funnel,records_pulled,count,159"
assert_contains $CSV "funnel,already_known,count,26"
assert_contains $CSV "funnel,accompanied,count,2"
assert_contains $CSV "funnel,cocreation,count,1"
assert_contains $CSV "funnel,invested,count,1"
assert_contains $CSV "country,CH,integrated,1"
assert_contains $CSV "region,Europe,integrated,4"
assert_contains $CSV "source,registry,longest_failure_streak,3"
assert_contains $CSV "qualified,10,name,Société Générale Mobilité"
assert_contains $CSV "definition,integrated,text,"
n=$(grep -c '^qualified,[0-9]*,name,' $CSV); assert_eq "$n" "$qualified" "qualified rows in the CSV"

# the report row: path, sha256 of the file, the run that wrote it
row=$(sql "$DB" "SELECT path, sha256, CASE WHEN run_id IS NOT NULL THEN 1 ELSE 0 END FROM report WHERE year = 2025 ORDER BY id DESC LIMIT 1")
assert_eq "$row" "$(pwd -P)/reports/sparker-2025.pdf|$(sha256sum $PDF | cut -d' ' -f1)|1" "report row"

# regeneration is byte-identical (a report run in between changes nothing)
sleep 1
$SP -q -c sparker.ini report --year 2025 --out again.pdf --csv again.csv
cmp $PDF again.pdf || die "regenerated PDF differs"
cmp $CSV again.csv || die "regenerated CSV differs"
# ... and without SOURCE_DATE_EPOCH only the dates may change: the report still succeeds
env -u SOURCE_DATE_EPOCH $SP -q -c sparker.ini report --year 2025 --out now.pdf --csv now.csv
qpdf --check now.pdf >/dev/null || die "qpdf --check failed (no SOURCE_DATE_EPOCH)"

# a year with no data at all: exit 1, a message naming the years there are, nothing written
set +e; $SP -q -c sparker.ini report --year 2019 --out empty.pdf --csv empty.csv 2>err.txt; rc=$?; set -e
assert_eq "$rc" 1 "report of a year without data"
grep -q "no data for 2019.*cohorts in the database: 2024, 2025" err.txt || die "empty year message: $(cat err.txt)"
[ ! -e empty.pdf ] && [ ! -e empty.csv ] || die "a report was written for a year without data"

# a year with a run but nothing found: a valid PDF that says so, charts replaced by "no data"
sql "$DB" "INSERT INTO run (job, as_of, started, ended, status) VALUES ('nightly', '2019-05-01', '2019-05-01T02:00:00Z', '2019-05-01T02:01:00Z', 'ok')"
$SP -q -c sparker.ini report --year 2019 --out empty.pdf --csv empty.csv
qpdf --check empty.pdf >/dev/null || die "qpdf --check failed on the empty year"
pdftotext empty.pdf empty.txt
assert_contains empty.txt "No data for 2019"
assert_contains empty.txt "No startups first seen in 2019"
assert_contains empty.txt "No qualified startups in cohort 2019"
assert_contains empty.csv "funnel,integrated,count,0"
rm -rf png && mkdir png && pdftoppm -r 30 -png empty.pdf png/p
assert_eq "$(ls png | wc -l)" "$(pdfinfo empty.pdf | awk '/^Pages:/ {print $2}')" "rendered pages (empty year)"

# usage errors
set +e
$SP -q -c sparker.ini report >/dev/null 2>&1; assert_eq "$?" "2" "report without --year"
$SP -q -c sparker.ini report --year abc >/dev/null 2>&1; assert_eq "$?" "2" "report --year abc"
set -e
echo "INFO: report $pages pages, integrated $integrated, qualified $qualified"
