#!/usr/bin/env bash
# test_score_precision.sh — precision of the qualified list against the labelled generator
# (tests/gen/gen_startups.py, truth.csv `relevant`), for the score stage and the band selection
# with the built-in taxonomy (share/taxonomy.ini).
#
# To measure scoring apart from the earlier stages, the fixture database is built here with a
# PERFECT dedupe: one entity per true company, its member records taken from the generated
# crunchbase CSV, RSS feed, JSON API pages and the Companies House / SIRENE registries (registry
# rows pass the demo's pushdown filters: founded within 10 years, active, code prefixes).
# Prints MEASURE lines: precision, recall, qualified share per cohort.
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip "python3 is needed"
GEN="$ROOT/tests/gen/gen_startups.py"
[ -f "$GEN" ] || skip "tests/gen/gen_startups.py is absent"
N=${SP_PRECISION_N:-3000}
SEED=${SP_PRECISION_SEED:-11}

cd "$T"
python3 "$GEN" --out gen --n "$N" --seed "$SEED" --formats crunchbase,companies_house,sirene,rss,json >gen.log 2>&1 \
  || die "generator failed: $(tail -3 gen.log)"
printf '[sparker]\ndatabase = db.sqlite\nraw_dir = raw\nreport_dir = reports\n' > sparker.ini  # the built-in thesis
$SP -c sparker.ini init >/dev/null

python3 - gen db.sqlite <<'PY'
import csv, json, sqlite3, sys, xml.etree.ElementTree as ET
gen, dbp = sys.argv[1], sys.argv[2]
AS_OF = 2025
PREFIXES = "26 27 28 29 35 38 45 46 47 49 52 58 61 62 63 70 71 72 73 77 78 85".split()
truth = {}
for r in csv.DictReader(open(gen + "/truth.csv", encoding="utf-8", errors="replace")):
    truth[(r["source_file"], r["source_key"])] = r["true_id"]
comp = {r["true_id"]: r for r in csv.DictReader(open(gen + "/startups.csv", encoding="utf-8", errors="replace"))}
recs = []  # (true_id, source, key, name, description, categories, nace, active, founded_year)
def add(fname, src, key, name, desc, cats, nace, active, fy):
    tid = truth.get((fname, key))
    if tid:
        recs.append((tid, src, key, name, desc, cats, nace, active, fy))
for r in csv.DictReader(open(gen + "/crunchbase.csv", encoding="utf-8", errors="replace")):
    fy = int(r["founded_on"][:4]) if r["founded_on"][:4].isdigit() else None
    add("crunchbase.csv", "crunchbase", r["uuid"], r["name"], r["short_description"], r["category_list"], None,
        0 if r["status"] in ("closed",) else 1, fy)
for item in ET.parse(gen + "/feed_rss.xml").getroot().iter("item"):
    cats = ",".join(c.text or "" for c in item.findall("category") if not c.get("domain"))
    add("feed_rss.xml", "radar_rss", item.findtext("guid"), item.findtext("title"), item.findtext("description"), cats, None, None, None)
for page in ("api_page1.json", "api_page2.json"):
    try:
        data = json.load(open(gen + "/" + page, encoding="utf-8", errors="replace"))["data"]
    except Exception:
        continue
    for it in data:
        if not isinstance(it, dict) or not it.get("id"):
            continue
        add(page, "startup_api", it["id"], it.get("name"), it.get("description"), ",".join(it.get("tags") or []), None,
            0 if it.get("status") == "closed" else 1, None)
def keep(fy, active, codes):
    if fy and fy < AS_OF - 10:
        return False
    if not active:
        return False
    digits = [c.replace(".", "") for c in codes]
    return not digits or any(d.startswith(p) for d in digits for p in PREFIXES)
with open(gen + "/companies_house.csv", encoding="utf-8", errors="replace", newline="") as f:
    for r in csv.DictReader(f):
        r = {k.strip(): (v or "") for k, v in r.items() if k}
        if not r.get("CompanyNumber"):
            continue
        codes = []
        for i in range(1, 5):
            v = (r.get("SICCode.SicText_%d" % i) or "").split(" ")[0]
            if len(v) == 5 and v.isdigit():
                codes.append(v[:2] + "." + v[2:4])
        d = r.get("IncorporationDate", "")
        fy = int(d[-4:]) if d[-4:].isdigit() else None
        active = 1 if r.get("CompanyStatus", "").strip() == "Active" else 0
        if keep(fy, active, codes):
            add("companies_house.csv", "companies_house", r["CompanyNumber"].strip(), r["CompanyName"], None, None,
                ";".join(codes), active, fy)
with open(gen + "/sirene.csv", encoding="utf-8", errors="replace", newline="") as f:
    for r in csv.DictReader(f):
        r = {k: (v or "") for k, v in r.items() if k}
        naf = r.get("activitePrincipaleUniteLegale", "")
        codes = [naf[:5]] if len(naf) >= 5 else []
        d = r.get("dateCreationUniteLegale", "")
        fy = int(d[:4]) if d[:4].isdigit() else None
        active = 1 if r.get("etatAdministratifUniteLegale") == "A" else 0
        name = r.get("denominationUniteLegale") or r.get("denominationUsuelle1UniteLegale") or ""
        if keep(fy, active, codes):
            add("sirene.csv", "sirene", r["siren"], name, None, None, ";".join(codes), active, fy)
db = sqlite3.connect(dbp)
ents = {}
for i, rec in enumerate(recs, 1):
    tid = rec[0]
    if tid not in ents:
        c = comp[tid]
        eid = len(ents) + 1
        cohort = int(c["cohort"]) if c.get("cohort", "").isdigit() else AS_OF
        ents[tid] = eid
        db.execute("INSERT INTO entity(id,name,first_seen,cohort,nsources) VALUES (?,?,?,?,0)",
                   (eid, c["name"], "%d-06-01" % cohort, cohort))
    eid = ents[tid]
    db.execute("INSERT INTO record(id,source,source_key,first_seen,last_seen,name,description,categories) VALUES (?,?,?,?,?,?,?,?)",
               (i, rec[1], rec[2], "2025-01-01", "2025-01-01", rec[3], rec[4], rec[5]))
    db.execute("INSERT INTO candidate(record_id,source,name,nace,active,founded_year,first_seen) VALUES (?,?,?,?,?,?,?)",
               (i, rec[1], rec[3], rec[6], rec[7], rec[8], "2025-01-01"))
    db.execute("INSERT INTO member(record_id,entity_id,rule) VALUES (?,?,'truth')", (i, eid))
db.execute("UPDATE entity SET nsources = (SELECT count(DISTINCT r.source) FROM member m JOIN record r ON r.id = m.record_id WHERE m.entity_id = entity.id)")
db.execute("CREATE TABLE truth_entity(entity_id INTEGER PRIMARY KEY, true_id TEXT, relevant INTEGER)")
db.executemany("INSERT INTO truth_entity VALUES (?,?,?)", [(e, t, int(comp[t]["relevant"] or 0)) for t, e in ents.items()])
db.commit()
PY

$SP -c sparker.ini run --stage score --as-of 2025-12-31 || die "score stage failed"
q() { sqlite3 db.sqlite "$1"; }
read -r tp qual rel <<<"$(q "SELECT sum(s.qualified AND t.relevant), sum(s.qualified), sum(t.relevant) FROM selection s JOIN truth_entity t USING(entity_id)" | tr '|' ' ')"
[ "${qual:-0}" -gt 0 ] || die "nothing qualified"
prec=$(python3 -c "print('%.3f' % ($tp / $qual))")
recall=$(python3 -c "print('%.3f' % ($tp / max(1, $rel)))")
echo "MEASURE: selection precision=$prec ($tp of $qual qualified are relevant; generator n=$N seed=$SEED, perfect dedupe)"
echo "MEASURE: selection recall=$recall ($tp of $rel relevant; the band caps the list at 10 % of integrated)"
q "SELECT cohort, integrated, qualified, reached FROM cohort_band ORDER BY cohort" | while IFS='|' read -r c n k r; do
  share=$(python3 -c "print('%.2f' % (100.0 * $k / $n))")
  echo "MEASURE: cohort $c qualified share=$share % ($k of $n, band reached=$r)"
  python3 -c "import sys; sys.exit(0 if 8.0 - 1e-9 <= 100.0 * $k / $n <= 10.0 + 1e-9 else 1)" || die "cohort $c share $share % outside 8..10 %"
done
# reasons for every qualified startup
assert_eq "$(q "SELECT count(*) FROM selection s LEFT JOIN score c USING(entity_id) WHERE s.qualified = 1 AND (c.reasons IS NULL OR c.reasons NOT LIKE 'score %')")" 0 "every qualified entity has reasons"
python3 -c "import sys; sys.exit(0 if $prec >= ${SP_PRECISION_MIN:-0.85} else 1)" || die "precision $prec below ${SP_PRECISION_MIN:-0.85}"
