#!/usr/bin/env bash
# test_demo_generator.sh — the labelled startup generator (tests/gen/gen_startups.py):
# same seed -> byte-identical files; truth.csv consistent with the files it labels (every key is
# in its file, once); the committed demo/sources is exactly what the documented command makes.
. "$(dirname "$0")/../lib.sh"
GEN=$ROOT/tests/gen/gen_startups.py
command -v python3 >/dev/null || skip "python3 is absent"

python3 "$GEN" --out "$T/a" --n 300 --seed 7 2>/dev/null || die "generator failed"
python3 "$GEN" --out "$T/b" --n 300 --seed 7 2>/dev/null || die "generator failed (2nd run)"
python3 "$GEN" --out "$T/c" --n 300 --seed 8 2>/dev/null || die "generator failed (seed 8)"
diff -r "$T/a" "$T/b" >/dev/null || die "same seed gave different files"
diff -q "$T/a/truth.csv" "$T/c/truth.csv" >/dev/null && die "another seed gave the same truth.csv"
for f in feed_rss.xml feed_atom.xml feed_rdf.xml crunchbase.csv companies_house.csv sirene.csv gleif.xml \
         api_page1.json api_page2.json truth.csv malformed.csv startups.csv; do
  [ -s "$T/a/$f" ] || die "missing or empty: $f"
done

# --formats restricts the output
python3 "$GEN" --out "$T/d" --n 50 --seed 1 --formats rss,crunchbase 2>/dev/null || die "generator failed (--formats)"
[ -e "$T/d/gleif.xml" ] && die "--formats rss,crunchbase still wrote gleif.xml"
[ -s "$T/d/feed_rss.xml" ] && [ -s "$T/d/crunchbase.csv" ] || die "--formats rss,crunchbase: files missing"

check() { # DIR: truth keys present in their files, exactly once per file; formats well-formed
python3 - "$1" <<'PY'
import csv, json, sys, os, io
import xml.etree.ElementTree as ET
d = sys.argv[1]
keys = {}
def add(f, k):
    keys.setdefault(f, []).append(k)
def rows(f):
    with open(os.path.join(d, f), "rb") as fh:
        data = fh.read().decode("utf-8", errors="replace")
    return list(csv.reader(io.StringIO(data)))
NS = {"lei": "http://www.gleif.org/data/schema/leidata/2016"}
if os.path.exists(os.path.join(d, "feed_rss.xml")):
    for it in ET.parse(os.path.join(d, "feed_rss.xml")).getroot().iter("item"):
        add("feed_rss.xml", it.findtext("guid"))
if os.path.exists(os.path.join(d, "feed_atom.xml")):
    A = "{http://www.w3.org/2005/Atom}"
    for e in ET.parse(os.path.join(d, "feed_atom.xml")).getroot().iter(A + "entry"):
        add("feed_atom.xml", e.findtext(A + "id"))
if os.path.exists(os.path.join(d, "feed_rdf.xml")):
    R = "{http://purl.org/rss/1.0/}"
    for it in ET.parse(os.path.join(d, "feed_rdf.xml")).getroot().iter(R + "item"):
        add("feed_rdf.xml", it.findtext(R + "link"))   # RSS 1.0: rdf:about == link
        assert it.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about") == it.findtext(R + "link")
if os.path.exists(os.path.join(d, "crunchbase.csv")):
    r = rows("crunchbase.csv")
    assert r[0] == ["uuid", "name", "homepage_url", "domain", "country_code", "city", "category_list",
                    "short_description", "founded_on", "status"], r[0]
    for x in r[1:]: add("crunchbase.csv", x[0])
if os.path.exists(os.path.join(d, "companies_house.csv")):
    r = rows("companies_house.csv")
    assert len(r[0]) == 55, len(r[0])
    for x in r[1:]: add("companies_house.csv", x[1])
    with open(os.path.join(d, "companies_house.csv"), "rb") as fh:
        line = fh.read().split(b"\r\n")[1]
    assert line.startswith(b'"') and line.count(b'","') == 54, "companies_house: every field quoted"
if os.path.exists(os.path.join(d, "sirene.csv")):
    r = rows("sirene.csv")
    assert r[0][0] == "siren" and len(r[0]) == 33
    for x in r[1:]: add("sirene.csv", x[0])
if os.path.exists(os.path.join(d, "gleif.xml")):
    for rec in ET.parse(os.path.join(d, "gleif.xml")).getroot().iter("{%s}LEIRecord" % NS["lei"]):
        add("gleif.xml", rec.findtext("lei:LEI", namespaces=NS))
for p in ("api_page1.json", "api_page2.json"):
    if os.path.exists(os.path.join(d, p)):
        with open(os.path.join(d, p), encoding="utf-8") as fh:
            j = json.load(fh)
        for it in j["data"]: add(p, it["id"])
        assert "next" in j["links"]
bad = {(r[0], r[1]) for r in rows("malformed.csv")[1:]}
truth = rows("truth.csv")
assert truth[0] == ["source_file", "source_key", "true_id", "relevant", "domain"], truth[0]
seen = set()
for f, k, tid, rel, dom in truth[1:]:
    assert f in keys, "truth names a file that was not read: " + f
    assert (f, k) not in seen, "duplicate truth row %s %s" % (f, k)
    seen.add((f, k))
    assert keys[f].count(k) == 1, "%s: key %r found %d times" % (f, k, keys[f].count(k))
    assert rel in ("0", "1") and (rel == "1") == (dom != ""), (f, k, rel, dom)
for f, ks in keys.items():
    for k in ks:
        assert (f, k) in seen or (f, k) in bad, "%s: record %r is neither in truth.csv nor malformed.csv" % (f, k)
for f, k in bad:
    assert f in keys and k in keys[f] or f.endswith(".csv"), "malformed row missing: %s %s" % (f, k)
st = rows("startups.csv")
hdr = st[0]
S = [dict(zip(hdr, x)) for x in st[1:] if x[1] == "startup"]
rel = sum(int(s["relevant"]) for s in S)
tids = {t[2] for t in truth[1:]}
multi = sum(1 for s in S if len(s["sources"].split()) > 1)
print("INFO: %s: %d records, %d true startups, %.1f%% relevant, %d in 2+ sources, %d malformed" % (
      os.path.basename(d), len(truth) - 1, len(S), 100.0 * rel / len(S), multi, len(bad)))
assert 0.09 <= rel / len(S) <= 0.16, "relevant share %.3f outside 9-16%%" % (rel / len(S))
PY
}
check "$T/a" || die "truth.csv inconsistent with the generated files"

# The committed demo is reproducible with the documented command.
python3 "$GEN" --out "$T/demo" --n 3000 --seed 2025 2>/dev/null || die "generator failed (demo)"
diff -r "$T/demo" "$ROOT/demo/sources" >/dev/null || die "demo/sources differs from 'gen_startups.py --out demo/sources --n 3000 --seed 2025': regenerate and commit it"
check "$ROOT/demo/sources" || die "demo/sources: truth.csv inconsistent"
echo "ok"
