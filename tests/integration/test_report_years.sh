#!/usr/bin/env bash
# test_report_years.sh — the report's cross-year page on a generated three-year history
# (tests/gen/gen_report_history.py: monthly runs 2023-2025, three cohorts, decisions, startups
# returning from an earlier cohort, some after a decline): the years side by side, the returning
# and re-scouted startups and the days from first sighting to a decision (median, quartiles)
# printed in the 2025 report equal the figures the generator computes from its own rows; the
# CSV companion carries the same; the HTML summary the same years.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
for t in pdftotext sqlite3 python3; do command -v $t >/dev/null || skip "$t not installed"; done
cp "$ROOT/tests/fixtures/report/sparker.ini" "$T/"
cd "$T"
DB=$(test_db sparker.db)
sed -i "s|^database *=.*|database = $DB|" sparker.ini
$SP -q -c sparker.ini init
python3 "$ROOT/tests/gen/gen_report_history.py" expected.json > history.sql
sql_file "$DB" history.sql >/dev/null
SOURCE_DATE_EPOCH=1767225600 $SP -q -c sparker.ini report --year 2025 --out r.pdf --csv r.csv --html s.html
pdftotext -layout r.pdf r.txt
python3 - expected.json r.txt r.csv s.html <<'PY'
import json, re, sys
exp = json.load(open(sys.argv[1], encoding="utf-8"))
text = open(sys.argv[2], encoding="utf-8").read()
csv = open(sys.argv[3], encoding="utf-8").read()
html = open(sys.argv[4], encoding="utf-8").read()
sec = text[text.index("7 Across the years 2022"):]
years = ["2022", "2023", "2024", "2025"]
fails = []
m = re.search(r"^Figure\s+2022\s+2023\s+2024\s+2025\s*$", sec, re.M)
if not m:
    fails.append("no header Figure 2022 2023 2024 2025")
for name in exp["2025"]:
    m = re.search(r"^" + re.escape(name) + r"\s+(.*?)\s*$", sec, re.M)
    if not m:
        fails.append("no line for " + name)
        continue
    cells = re.split(r"\s{2,}", m.group(1).strip())
    want = [str(exp[y][name]) for y in years]
    if cells != want:
        fails.append("%s: the PDF says %s, the history %s" % (name, cells, want))
flat = " ".join(sec.split())
e = exp["2025"]
m = re.search(r"In 2025, (\d+) startups of earlier cohorts came back through a new source record, (\d+) of them", flat)
if not m or (int(m.group(1)), int(m.group(2))) != (e["Returning startups"], e["Re-scouted after a decline"]):
    fails.append("the sentence on returning startups: %s" % (m and m.groups(),))
for y in years:
    for k, name in (("returning", "Returning startups"), ("rescouted", "Re-scouted after a decline"),
                    ("integrated", "Unique startups"), ("records_pulled", "Records pulled")):
        if "year,%s,%s,%d\n" % (y, k, exp[y][name]) not in csv:
            fails.append("CSV: year,%s,%s is not %d" % (y, k, exp[y][name]))
    if "<th>%s</th>" % y not in html:
        fails.append("HTML: no column for %s" % y)
for y in years[1:]:
    print("MEASURE: history %s: %s" % (y, ", ".join("%s %s" % (k, v) for k, v in exp[y].items())))
if exp["2025"]["Returning startups"] == 0 or exp["2025"]["Re-scouted after a decline"] == 0:
    fails.append("the generated history has no returning or no re-scouted startup in 2025: change the seed")
if fails:
    print("\n".join("FAIL: " + f for f in fails))
    sys.exit(1)
print("INFO: the cross-year figures of the three-year history match")
PY
