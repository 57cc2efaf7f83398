#!/usr/bin/env bash
# Aliases in dedupe (rule previous_name): a Companies House company renamed from TANEX
# TECHNOLOGIES meets the directories' "Tanex Tech" / "Tanex Technologies" and becomes one entity
# whose member names the alias; a SIRENE sigle joins the directory record under that name; an
# unrelated company whose previous name is a common word ("SOLUTIONS LIMITED"), a previous name
# re-issued to another company of the same registry, and an alias whose records disagree on the
# city stay apart (the last one is a near miss for review). A website under two names is a rename
# when city and founding year agree (Fanpulse / FanVibe), a group otherwise (BuildForge on ibm.com). Hand-made fixtures, the real binary
# (parse -> normalise -> dedupe), `show`, and no id change on a rerun.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is absent"
mkdir -p "$T/src" "$T/db"
# Companies House: the header of the parse fixture, rows by column name
python3 - "$ROOT/tests/fixtures/parse/ch_edge.csv" "$T/src/ch.csv" <<'PY'
import csv, sys
head = next(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
rows = [  # name, number, town, postcode, incorporated, previous names
    ("ZENVO TECHNOLOGIES LTD", "12000001", "LONDON", "EC1V 2NX", "10/02/2019", ["TANEX TECHNOLOGIES LIMITED"]),
    ("BRIGHTWAVE LTD", "12000002", "LONDON", "N1 7GU", "01/06/2018", ["SOLUTIONS LIMITED"]),
    ("ACME SOLUTIONS LTD", "12000003", "LONDON", "SE1 9PX", "01/01/2015", []),
    ("NOVA SOLUTIONS LTD", "12000004", "LONDON", "SE1 9PY", "01/01/2014", []),
    ("ORBIT SOLUTIONS LTD", "12000005", "LONDON", "SE1 9PZ", "01/01/2013", []),
    ("PIXEL SOLUTIONS LTD", "12000006", "LONDON", "SE1 9QA", "01/01/2012", []),
    ("NEWCO HOLDINGS LTD", "12000007", "LEEDS", "LS1 4AP", "01/03/2016", ["QUARVEX LIMITED"]),
    ("QUARVEX LIMITED", "12000008", "LEEDS", "LS2 7EW", "01/03/2021", []),
    ("HOLDCO NINE LTD", "12000009", "MANCHESTER", "M1 1AE", "01/05/2020", ["LUMORA ANALYTICS LTD"]),
]
with open(sys.argv[2], "w", newline='', encoding='utf-8') as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL)
    w.writerow(head)
    for name, num, town, pc, inc, prev in rows:
        r = {h.strip(): "" for h in head}
        r.update({"CompanyName": name, "CompanyNumber": num, "RegAddress.PostTown": town, "RegAddress.PostCode": pc,
                  "RegAddress.Country": "UNITED KINGDOM", "CompanyCategory": "Private Limited Company",
                  "CompanyStatus": "Active", "CountryOfOrigin": "United Kingdom", "IncorporationDate": inc,
                  "SICCode.SicText_1": "62012 - Business and domestic software development"})
        for i, p in enumerate(prev):
            r["PreviousName_%d.CompanyName" % (i + 1)] = p
        w.writerow([r[h.strip()] for h in head])
PY
head -1 "$ROOT/tests/fixtures/parse/sirene_edge.csv" >"$T/src/sirene.csv"
python3 - "$T/src/sirene.csv" <<'PY'
import csv, sys
head = next(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
r = {h: "" for h in head}
r.update({"siren": "912300001", "statutDiffusionUniteLegale": "O", "dateCreationUniteLegale": "2022-04-01",
          "sigleUniteLegale": "KORALYS", "etatAdministratifUniteLegale": "A", "dateDebut": "2022-04-01",
          "denominationUniteLegale": "SOCIETE D'ETUDES ET DE GESTION ENERGETIQUE", "categorieJuridiqueUniteLegale": "5710",
          "activitePrincipaleUniteLegale": "62.01Z", "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2"})
with open(sys.argv[1], "a", newline='', encoding='utf-8') as f:
    csv.writer(f).writerow([r[h] for h in head])
PY
cat >"$T/src/crunchbase.csv" <<'CSV'
uuid,name,homepage_url,domain,country_code,city,category_list,short_description,founded_on,status
cb-tanex,Tanex Tech,https://tanex.io,tanex.io,GBR,London,Software,Fleet telematics,2019-01-15,operating
cb-solutions,Solutions,https://solutions-hq.com,solutions-hq.com,GBR,London,Consulting,IT consulting,2018-03-01,operating
cb-quarvex,Quarvex,https://quarvex.co.uk,quarvex.co.uk,GBR,Leeds,Software,Data tools,2016-05-01,operating
cb-lumora,Lumora Analytics,https://lumora.ai,lumora.ai,GBR,Bristol,Analytics,Analytics,2020-02-01,operating
cb-koralys,Koralys,https://koralys.fr,koralys.fr,FRA,Paris,Energy,Energy software,2022-01-01,operating
cb-fanvibe,FanVibe,https://fanvibe.com,fanvibe.com,USA,San Francisco,Sports,Sports fans,2009-06-01,operating
cb-ibm,IBM,https://www.ibm.com,ibm.com,USA,Armonk,Enterprise,Computers,1911-06-16,operating
CSV
cat >"$T/src/directory.csv" <<'CSV'
uuid,name,homepage_url,domain,country_code,city,category_list,short_description,founded_on,status
dr-tanex,Tanex Technologies,,,GBR,London,Software,Telematics for fleets,2019-02-01,operating
dr-fanpulse,Fanpulse,https://www.fanvibe.com,fanvibe.com,USA,San Francisco,Sports,Fan app,2009-01-01,operating
dr-buildforge,BuildForge,https://www.ibm.com/buildforge,ibm.com,USA,Armonk,Software,Build automation,2001-01-01,acquired
CSV
DB=$(test_db "$T/db/sparker.db")
cat >"$T/sparker.ini" <<INI
[sparker]
database = $DB
raw_dir = db/raw
report_dir = db/reports
[source companies_house]
format = companies_house
url = src/ch.csv
priority = 50
[source sirene]
format = sirene
url = src/sirene.csv
priority = 50
country = FR
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
[job er]
stages = fetch parse normalise dedupe
INI
cd "$T"
"$SP" -c sparker.ini run --job er --as-of 2025-12-31 --quiet >"$T/run.log" 2>&1 || die "run failed: $(cat "$T/run.log")"
q() { sql "$DB" "$1"; }
ent() { q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source || ':' || r.source_key = '$1'"; }
assert_eq "$(q "SELECT count(*) FROM candidate_alias")" "5" "aliases written by normalise (4 previous names, 1 sigle)"
assert_eq "$(q "SELECT kind FROM candidate_alias WHERE name_key = 'tanex tech'")" "previous" "alias kind of a previous name"
assert_eq "$(q "SELECT kind FROM candidate_alias WHERE name_key = 'koralys'")" "other" "alias kind of a sigle"
# the rebrand: one entity of three records, the registry record placed by its previous name
e=$(ent companies_house:12000001)
[ -n "$e" ] || die "no entity for the renamed company"
assert_eq "$(ent crunchbase:cb-tanex)" "$e" "Tanex Tech is not the renamed ZENVO TECHNOLOGIES"
assert_eq "$(ent directory:dr-tanex)" "$e" "Tanex Technologies is not the renamed ZENVO TECHNOLOGIES"
why=$(q "SELECT m.rule || ': ' || m.reason FROM member m JOIN record r ON r.id = m.record_id WHERE r.source_key = '12000001'")
case "$why" in
  'previous_name: its previous name "TANEX TECHNOLOGIES'*'" is the peer'"'"'s name') ;;
  *) die "reason of the renamed company: '$why'" ;;
esac
# the sigle: the SIRENE company and the directory's Koralys
assert_eq "$(ent sirene:912300001)" "$(ent crunchbase:cb-koralys)" "a SIRENE sigle did not join its directory record"
assert_contains <(q "SELECT reason FROM member WHERE reason IS NOT NULL") 'other name "KORALYS"'
# what must stay apart
[ "$(ent companies_house:12000002)" != "$(ent crunchbase:cb-solutions)" ] || die "a common-word previous name merged two companies"
[ "$(ent companies_house:12000007)" != "$(ent companies_house:12000008)" ] || die "a re-issued name merged two registry companies"
assert_eq "$(ent crunchbase:cb-quarvex)" "$(ent companies_house:12000007)" "Quarvex (Leeds 2016) is not NEWCO, formerly QUARVEX"
[ "$(ent companies_house:12000009)" != "$(ent crunchbase:cb-lumora)" ] || die "an alias merged records in two cities"
assert_contains <(q "SELECT reason FROM review_pair") "previous name matches; a field contradicts"
# a website shared by two names: a rename when city and founding year agree, else a group
assert_eq "$(ent directory:dr-fanpulse)" "$(ent crunchbase:cb-fanvibe)" "Fanpulse on fanvibe.com is not FanVibe (a rename)"
assert_contains <(q "SELECT reason FROM member WHERE rule = 'domain'") "renamed"
[ "$(ent directory:dr-buildforge)" != "$(ent crunchbase:cb-ibm)" ] || die "an acquisition merged into its acquirer"
assert_contains <(q "SELECT reason FROM review_pair WHERE rule = 'domain'") "same group?"
# show names the alias
"$SP" -c sparker.ini show "$e" >"$T/show" || die "show failed"
assert_contains "$T/show" "rule previous_name"
assert_contains "$T/show" 'previous name "TANEX TECHNOLOGIES'
echo "INFO: $(q "SELECT message FROM stage_run WHERE stage='dedupe' ORDER BY id DESC LIMIT 1")"
# stability: an unchanged rerun changes no id
members() { q "SELECT record_id || '=' || entity_id || '=' || rule FROM member ORDER BY record_id"; }
members >"$T/m1"
"$SP" -c sparker.ini run --from normalise --to dedupe --as-of 2025-12-31 --quiet >/dev/null 2>&1 || die "rerun failed"
members >"$T/m2"
cmp -s "$T/m1" "$T/m2" || die "ids or rules changed on an unchanged rerun: $(diff "$T/m1" "$T/m2")"
echo "INFO: aliases: rebrand and sigle joined with the alias named; common-word, re-issued and contradicted aliases apart"
