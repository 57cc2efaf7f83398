#!/usr/bin/env bash
# test_report_history.sh — a history that can be replayed (schema 12: selection_hist,
# run.judgement_upto, report_edition). The demo is run and its 2025 report written: the report
# "sent", whose bytes and `export qualified --year 2025` are saved here. Then a backfill (a run
# with a logical date in 2025 bringing five new startups of 2025 through a new source), a
# rescoring (the selection band changed in the config, then `run --stage score`) and judgements
# (a decision, a pin out) followed by a run. The report of 2025 written now must differ from the
# sent one and say what was restated, with the numbers computed here from the database and the
# saved exports; `report --as-of-run N` must give the sent PDF and CSV byte for byte, even after
# the programme name changed in the config; `diff-selection --from N --to M --year 2025` must list
# exactly the startups whose membership of the qualified export changed (comm on the saved
# exports). An unchanged rerun appends no selection_hist row; triggers refuse UPDATE and DELETE
# of selection_hist and report_edition; a replay whose stored inputs no longer give the recorded
# bytes fails (exit 1); a database upgraded from version 11 gets its selection as first version.
. "$(dirname "$0")/../lib.sh"
for t in pdftotext sqlite3; do command -v $t >/dev/null || skip "$t not installed"; done
mkdir -p "$T/demo" "$T/out"
ln -s "$ROOT/demo/sources" "$T/demo/sources"
sed -e "s|^database *=.*|database = $T/out/sparker.db|" -e "s|^raw_dir *=.*|raw_dir = $T/out/raw|" \
    -e "s|^report_dir *=.*|report_dir = $T/out/reports|" -e "/^log_file *=/d" "$ROOT/demo/sparker.ini" >"$T/demo/sparker.ini"
CFG=$T/demo/sparker.ini DB=$T/out/sparker.db Y=2025
q() { sqlite3 "$DB" "$1"; }
sp() { "$SP" -q -c "$CFG" --user tester "$@"; }
ids() { tail -n +2 "$1" | cut -d, -f1 | sort; } # the entity ids of an export qualified file

sp run --job nightly --as-of 2025-12-31 >"$T/run.log" 2>&1 || { cat "$T/run.log"; die "demo run failed"; }
sp decisions import "$ROOT/demo/decisions.csv" >/dev/null || die "decisions import failed"
N=$(q "SELECT max(id) FROM run")
int_then=$(q "SELECT count(*) FROM entity_live WHERE cohort = $Y")
sp export qualified --year $Y -o "$T/q_then.csv" || die "export failed"
jmax_then=$(q "SELECT COALESCE(max(id), 0) FROM judgement")
SOURCE_DATE_EPOCH=1767225600 sp report --year $Y --out "$T/sent.pdf" || die "the first report failed"
cp "$T/sent.pdf" "$T/sent.keep.pdf"; cp "$T/sent.csv" "$T/sent.keep.csv"
assert_eq "$(q "SELECT count(*) || ' ' || max(as_of_run) FROM report_edition WHERE year = $Y")" "1 $N" "one edition, as of run $N"
pdftotext -layout "$T/sent.pdf" "$T/sent.txt"
grep -q "Restated since" "$T/sent.txt" && die "the first report of $Y restates something"

# an unchanged rerun of the score stage appends no version
h0=$(q "SELECT count(*) FROM selection_hist")
[ "$h0" -gt 0 ] || die "the scoring wrote no selection_hist row"
sp run --stage score >/dev/null 2>&1 || die "rescoring failed"
sp run --stage score >/dev/null 2>&1 || die "rescoring failed"
h1=$(q "SELECT count(*) FROM selection_hist")
# the decisions imported above pin startups in at the first rescoring; the second changes nothing
h2_runs=$(q "SELECT count(*) FROM selection_hist WHERE run_id = (SELECT max(id) FROM run)")
assert_eq "$h2_runs" 0 "an unchanged rerun appended selection_hist rows"
echo "MEASURE: selection_hist rows: $h0 written by the first scoring, $((h1 - h0)) after the decisions, 0 after an unchanged rerun"

# the backfill: a run with a logical date in 2025 bringing new startups of 2025
cat >"$T/late.csv" <<'EOF'
uuid,name,homepage_url,domain,country_code,city,category_list,short_description,founded_on,status
late-0001,Voltbay Charging,https://voltbay-charging.de,voltbay-charging.de,DEU,Stuttgart,"Electric Vehicle,Charging","Voltbay Charging builds EV charging stations and battery swapping for car repair workshops and fleets.",2024-03-01,operating
late-0002,Gearlytic,https://gearlytic.fr,gearlytic.fr,FRA,Lyon,"Automotive,Diagnostics","Gearlytic offers predictive maintenance and vehicle diagnostics software for garages and the automotive aftermarket.",2023-09-01,operating
late-0003,Partsora,https://partsora.io,partsora.io,GBR,Birmingham,"Automotive,E-Commerce","Partsora runs a spare parts marketplace for car repair shops with telematics-based parts prediction.",2024-01-15,operating
late-0004,Fleetwise Mobility,https://fleetwise-mobility.com,fleetwise-mobility.com,NLD,Eindhoven,"Fleet Management,Mobility","Fleetwise Mobility provides fleet management and connected car telematics for electric vehicle fleets.",2024-06-01,operating
late-0005,Tyrelink,https://tyrelink.es,tyrelink.es,ESP,Valencia,"Automotive,IoT","Tyrelink makes tyre sensors and a tyre repair booking platform for the aftermarket.",2023-05-01,operating
EOF
printf '\n[source late_list]\nformat = csv\npreset = crunchbase\nurl = %s\nmode = snapshot\npriority = 30\n' "$T/late.csv" >>"$CFG"
sp run --job nightly --as-of 2025-06-30 >"$T/run2.log" 2>&1 || { cat "$T/run2.log"; die "the backfill run failed"; }
assert_eq "$(q "SELECT count(*) FROM entity_live WHERE cohort = $Y AND name IN ('Voltbay Charging', 'Gearlytic', 'Partsora', 'Fleetwise Mobility', 'Tyrelink')")" 5 "the backfill's startups in cohort $Y"
# the rescoring: a wider band
printf '\n[select]\nband_min = 0.09\nband_max = 0.11\n' >>"$CFG"
sp run --stage score >/dev/null 2>&1 || die "rescoring failed"
# judgements, then a run
dec=$(q "SELECT s.entity_id FROM selection s JOIN entity_live e ON e.id = s.entity_id WHERE s.cohort = $Y AND s.qualified = 0 ORDER BY s.rank LIMIT 1")
out=$(q "SELECT s.entity_id FROM selection s JOIN entity_live e ON e.id = s.entity_id WHERE s.cohort = $Y AND s.qualified = 1 AND s.entity_id NOT IN (SELECT entity_id FROM judgement WHERE entity_id IS NOT NULL) ORDER BY s.rank LIMIT 1")
sp decide "$dec" accompanied --date 2025-10-01 >/dev/null || die "decide failed"
sp pin "$out" out --note "not for us" >/dev/null || die "pin failed"
sp run --stage score >/dev/null 2>&1 || die "the run after the judgements failed"
M=$(q "SELECT max(id) FROM run")
sp export qualified --year $Y -o "$T/q_now.csv" || die "export failed"
int_now=$(q "SELECT count(*) FROM entity_live WHERE cohort = $Y")

# the report now: different, and it says what was restated
SOURCE_DATE_EPOCH=1767312000 sp report --year $Y --out "$T/now.pdf" --html "$T/now.html" || die "the second report failed"
cmp -s "$T/now.pdf" "$T/sent.keep.pdf" && die "the report after the changes is the sent one"
pdftotext -layout "$T/now.pdf" "$T/now.txt"
entered=$(comm -13 <(ids "$T/q_then.csv") <(ids "$T/q_now.csv") | wc -l)
left=$(comm -23 <(ids "$T/q_then.csv") <(ids "$T/q_now.csv") | wc -l)
qual_then=$(ids "$T/q_then.csv" | wc -l) qual_now=$(ids "$T/q_now.csv" | wc -l)
[ "$entered" -ge 5 ] && [ "$left" -ge 1 ] || die "the changes moved too little: $entered entered, $left left"
runs_since=$(q "SELECT group_concat(id || ' (' || as_of || ')', ', ') FROM (SELECT id, as_of FROM run WHERE id > $N AND as_of LIKE '$Y-%' AND id IN (SELECT run_id FROM stage_run WHERE stage <> 'report') ORDER BY id)")
jud_since=$(q "SELECT count(*) FROM judgement WHERE id > $jmax_then")
grep -q "Restated since the report of 2026-01-01 (run $N)" "$T/now.txt" || die "no restatement heading"
fig() { # NAME THEN NOW: the line of the restatement table
  local d=$(($3 - $2)) s
  if [ $d -eq 0 ]; then s="–"; elif [ $d -gt 0 ]; then s="[+]$d"; else s="$d"; fi
  grep -Eq "^$1 +$2 +$3 +$s *\$" "$T/now.txt" || die "restatement: no line '$1 $2 $3 $s': $(grep "^$1 " "$T/now.txt" | head -3)"
}
fig "Unique startups" "$int_then" "$int_now"
fig "Qualified" "$qual_then" "$qual_now"
grep -q "Qualified list of $Y: $entered startups entered it and $left left it since run $N" <<<"$(tr -s ' \n' ' ' <"$T/now.txt" | sed 's/ list/\nQualified list/')" \
  || die "restatement: entered/left not $entered/$left: $(grep -A1 'Qualified list of' "$T/now.txt")"
tr -s ' \n' ' ' <"$T/now.txt" | grep -qF "with a logical date in $Y (backfills): $runs_since." || die "restatement: runs since not '$runs_since'"
grep -q "Judgements recorded since that report: $jud_since (committee decisions 1, pins 1)" "$T/now.txt" || die "restatement: judgements since not $jud_since"
grep -qx "restated,qualified_list,entered,$entered" "$T/now.csv" || die "the CSV's restatement: entered"
grep -qx "restated,qualified,then,$qual_then" "$T/now.csv" || die "the CSV's restatement: qualified then"
grep -q "Restated since the report of 2026-01-01 (run $N): unique startups $int_then → $int_now, qualified $qual_then → $qual_now ($entered entered, $left left)" "$T/now.html" \
  || die "the HTML summary's restatement line"
echo "MEASURE: restated since run $N: unique startups $int_then -> $int_now, qualified $qual_then -> $qual_now ($entered entered, $left left), runs $runs_since, $jud_since judgements"

# the sent report, rendered again: the same bytes, whatever the config says now
sed -i 's/^programme *=.*/programme = Another name/' "$CFG"
sp report --year $Y --as-of-run "$N" --pdf "$T/re.pdf" --csv "$T/re.csv" || die "report --as-of-run $N failed"
cmp "$T/re.pdf" "$T/sent.keep.pdf" || die "--as-of-run $N: not the sent PDF"
cmp "$T/re.csv" "$T/sent.keep.csv" || die "--as-of-run $N: not the sent CSV"
msg=$("$SP" -c "$CFG" report --year $Y --as-of-run "$N" --pdf "$T/re2.pdf")
grep -q "identical to the report sent on 2026-01-01" <<<"$msg" || die "no 'identical' message: $msg"
sp report --year $Y --as-of-run "$M" --pdf "$T/re3.pdf" || die "report --as-of-run $M failed"
cmp "$T/re3.pdf" "$T/now.pdf" || die "--as-of-run $M: not the second report"
set +e
err=$("$SP" -q -c "$CFG" report --year $Y --as-of-run 0 --pdf "$T/x.pdf" 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "--as-of-run before any report"
grep -q "run $N (2026-01-01, $T/sent.pdf)" <<<"$err" || die "not found should list the editions: $err"

# diff-selection between the two runs: exactly the startups whose membership changed
sp diff-selection --from "$N" --to "$M" --year $Y --csv >"$T/diff.csv" || die "diff-selection failed"
diff <(grep '^entered,' "$T/diff.csv" | cut -d, -f2 | sort) <(comm -13 <(ids "$T/q_then.csv") <(ids "$T/q_now.csv")) \
  || die "diff-selection: entered differs from the exports"
diff <(grep '^left,' "$T/diff.csv" | cut -d, -f2 | sort) <(comm -23 <(ids "$T/q_then.csv") <(ids "$T/q_now.csv")) \
  || die "diff-selection: left differs from the exports"
txt=$(sp diff-selection --from "$N" --to "$M" --year $Y)
grep -qx "entered: $entered" <<<"$txt" || die "diff-selection summary: entered"
grep -qx "left: $left" <<<"$txt" || die "diff-selection summary: left"
grep -q "^rank changed: " <<<"$txt" || die "diff-selection summary: rank"

# append-only
for t in selection_hist report_edition; do
  sqlite3 "$DB" "UPDATE $t SET run_id = run_id WHERE id = 1" 2>/dev/null && die "UPDATE of $t allowed"
  sqlite3 "$DB" "DELETE FROM $t WHERE id = 1" 2>/dev/null && die "DELETE of $t allowed"
done

# a replay that no longer gives the recorded bytes fails loudly (a copy whose inputs were altered)
cp "$DB" "$T/altered.db"
sqlite3 "$T/altered.db" "DROP TRIGGER report_edition_no_update;
  UPDATE report_edition SET inputs = replace(inputs, '\"programme\":\"Aftermarket', '\"programme\":\"Xftermarket') WHERE id = 1" \
  || die "cannot alter the copy"
sed "s|^database *=.*|database = $T/altered.db|" "$CFG" >"$T/altered.ini"
set +e
err=$("$SP" -q -c "$T/altered.ini" report --year $Y --as-of-run "$N" --pdf "$T/alt.pdf" 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "a replay with other bytes"
grep -q "differs from the report sent on 2026-01-01" <<<"$err" || die "no 'differs' message: $err"

# a database of version 11 upgraded: its selection becomes the first version
cp "$DB" "$T/v11.db"
sqlite3 "$T/v11.db" "DROP TABLE selection_hist; DROP INDEX judgement_origin; DROP TABLE report_edition; ALTER TABLE run DROP COLUMN judgement_upto;
  PRAGMA user_version = 11;"
sed "s|^database *=.*|database = $T/v11.db|" "$CFG" >"$T/v11.ini"
"$SP" -q -c "$T/v11.ini" status >/dev/null 2>&1 || true
assert_eq "$(sqlite3 "$T/v11.db" "PRAGMA user_version")" 12 "upgrade to 12"
assert_eq "$(sqlite3 "$T/v11.db" "SELECT count(*) FROM selection_hist WHERE run_id = (SELECT max(id) FROM run)")" \
  "$(sqlite3 "$T/v11.db" "SELECT count(*) FROM (SELECT entity_id FROM score UNION SELECT entity_id FROM selection)")" "seeded versions"
echo "PASS"
