#!/usr/bin/env bash
# test_report_reconcile.sh — every total printed in the report of the demo (what `make run` does:
# the nightly job on demo/sources as of 2025-12-31, the committee's decisions, the 2025 report)
# reconciles: each is computed again here from the database with sqlite3, on its definition
# (reports/figures.h), and compared with the PDF's text (pdftotext -layout); the totals that
# appear in several places are the same everywhere (funnel, key figures, cover, by source, by
# country, by region, by month, the years side by side). Also: the funnel's bars are proportional
# to the counts (widths read from the PDF's drawing operators) with its percentages printed, no
# cell or label is cut ("…"), and no page but the cover and the last is near-empty. Checked on
# 2025 and on 2024, a year whose records were all read by a run of 2025 (the first load). The HTML
# summary (--html) carries the same figures and refers to nothing outside itself; the analysts'
# views (startups, qualified_startups, record_startup, source_health) give the same counts.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
for t in pdftotext qpdf sqlite3 python3; do command -v $t >/dev/null || skip "$t not installed"; done
mkdir -p "$T/demo" "$T/out"
ln -s "$ROOT/demo/sources" "$T/demo/sources"
DB=$(test_db "$T/out/sparker.db")
sed -e "s|^database *=.*|database = $DB|" -e "s|^raw_dir *=.*|raw_dir = $T/out/raw|" \
    -e "s|^report_dir *=.*|report_dir = $T/out/reports|" -e "/^log_file *=/d" "$ROOT/demo/sparker.ini" >"$T/demo/sparker.ini"
CFG=$T/demo/sparker.ini
"$SP" -q -c "$CFG" run --job nightly --as-of 2025-12-31 >"$T/run.log" 2>&1 || { cat "$T/run.log"; die "demo run failed"; }
"$SP" -q -c "$CFG" --user demo decisions import "$ROOT/demo/decisions.csv" >/dev/null || die "decisions import failed"
# 2025, and 2024: a year whose records the first load (a run of 2025) read, so none pulled in it
for Y in 2025 2024; do
SOURCE_DATE_EPOCH=1767225600 "$SP" -q -c "$CFG" report --year $Y --out "$T/r.pdf" --csv "$T/r.csv" \
  --html "$T/s.html" || die "report failed"
pdftotext -layout "$T/r.pdf" "$T/r.txt"
qpdf --qdf --object-streams=disable "$T/r.pdf" "$T/q.pdf"

python3 - "$DB" "$T/r.txt" "$T/q.pdf" "$T/s.html" $Y <<'PY'
import re, sys
import dbq
db, txt, qdf, html, Y = sys.argv[1:]
P = str(int(Y) - 1)
c = dbq.connect(db)
q = lambda sql, *a: c.execute(sql, a).fetchall()
one = lambda sql, *a: q(sql, *a)[0][0] or 0
text = open(txt, encoding="utf-8").read()
pages = text.split("\f")
fails = []
def check(what, got, want):
    if got != want:
        fails.append("%s: the PDF says %r, the database %r" % (what, got, want))

# ---- the figures, from their definitions
PARSE = ("FROM parse_stat ps LEFT JOIN run r ON r.id = ps.run_id "
         "WHERE substr(coalesce(r.as_of, ps.parsed_at), 1, 4) = ?")
src = {}
for s, rd, oos, rej in q("SELECT ps.source, sum(rows_read), sum(rows_out_of_scope), sum(rows_rejected) " + PARSE +
                         " GROUP BY ps.source", Y):
    src[s] = {"pulled": rd, "oos": oos, "rej": rej}
REC_Y = "substr(coalesce((SELECT cd.first_seen FROM candidate cd WHERE cd.record_id = rc.id), rc.first_seen), 1, 4) = ?"
for s, n in q("SELECT rc.source, count(*) FROM record rc WHERE " + REC_Y + " GROUP BY rc.source", Y):
    src.setdefault(s, {"pulled": 0, "oos": 0, "rej": 0})["in"] = n
for s, n in q("SELECT rc.source, count(DISTINCT m.entity_id) FROM member m JOIN entity_live e ON e.id = m.entity_id "
              "JOIN record rc ON rc.id = m.record_id WHERE e.cohort = ? GROUP BY rc.source", int(Y)):
    src.setdefault(s, {"pulled": 0, "oos": 0, "rej": 0})["startups"] = n
# duplicates: the members of a cohort startup after its first (smallest record id)
for s, n in q("SELECT rc.source, count(*) FROM member m JOIN entity_live e ON e.id = m.entity_id "
              "JOIN record rc ON rc.id = m.record_id WHERE e.cohort = ? AND m.record_id > "
              "(SELECT min(m2.record_id) FROM member m2 WHERE m2.entity_id = m.entity_id) GROUP BY rc.source", int(Y)):
    src.setdefault(s, {"pulled": 0, "oos": 0, "rej": 0})["dups"] = n
for v in src.values():
    for k in ("in", "startups", "dups"):
        v.setdefault(k, 0)
    v["known"] = v["pulled"] - v["oos"] - v["rej"] - v["in"]
tot = {k: sum(v[k] for v in src.values()) for k in ("pulled", "oos", "rej", "known", "in", "startups", "dups")}
integrated = one("SELECT count(*) FROM entity_live WHERE cohort = ?", int(Y))
qualified = one("SELECT count(*) FROM selection WHERE qualified = 1 AND cohort = ?", int(Y))
dec = {}
for v, n in q("SELECT j.value, count(DISTINCT e.id) FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id "
              "AND p.carries = 1 JOIN entity e ON e.id = p.entity_id WHERE j.kind = 'decision' AND e.cohort = ? GROUP BY j.value",
              int(Y)):
    dec[v] = n
funnel = [("Records pulled", tot["pulled"]), ("In scope", tot["in"]), ("Unique startups", integrated),
          ("Qualified", qualified), ("Accompanied", dec.get("accompanied", 0)), ("Co-creation", dec.get("cocreation", 0)),
          ("Invested", dec.get("invested", 0))]
print("MEASURE: reconcile demo %s: " % Y + ", ".join("%s %d" % f for f in funnel))

# ---- the funnel (page 2): counts and both percentages
fun = text[text.index("2 The funnel " + Y):text.index("\nDefinitions")]
for i, (name, n) in enumerate(funnel):
    m = re.search(r"^" + re.escape(name) + r"\s+(\d+)(?:\s+([\d.]+|–)(?: %)?\s+([\d.]+|–)(?: %)?)?\s*$", fun, re.M)
    if not m:
        fails.append("funnel: no line for %s" % name)
        continue
    check("funnel " + name, int(m.group(1)), n)
    if i:
        prev, first = funnel[i - 1][1], funnel[0][1]
        fmt = lambda r: ("%.2f" if 0 < r < 1 else "%.1f") % r
        check("funnel %s %% of the stage above" % name, m.group(2), fmt(100.0 * n / prev) if prev else "–")
        check("funnel %s %% of the first stage" % name, m.group(3), fmt(100.0 * n / first) if first else "–")
m = re.search(r"Out of scope (-?\d+), Rejected (-?\d+),\s+Already\s+known (-?\d+)", fun)
check("funnel note: out of scope, rejected, already known", m and tuple(map(int, m.groups())),
      (tot["oos"], tot["rej"], tot["known"]))
check("rows pulled = out of scope + rejected + already known + in scope", tot["pulled"],
      tot["oos"] + tot["rej"] + tot["known"] + tot["in"])

# ---- key figures, cover
for name, n, prev in (("Unique startups", integrated, one("SELECT count(*) FROM entity_live WHERE cohort = ?", int(P))),
                      ("Qualified", qualified, one("SELECT count(*) FROM selection WHERE qualified = 1 AND cohort = ?", int(P)))):
    m = re.search(r"^" + name + r"\s+(\d+)\s+(\d+)\s", text, re.M)
    check("key figures " + name, m and (int(m.group(1)), int(m.group(2))), (n, prev))
m = re.search(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s*\n\s+Unique startups\s+Qualified\s+Accompanied", pages[0], re.M)
check("cover", m and tuple(map(int, m.groups())), (integrated, qualified, dec.get("accompanied", 0)))

# ---- by source: every line and the total
bs = text[text.index("\nBy source"):]
bs = bs[:bs.index("On each line")]
cols = ("pulled", "oos", "rej", "known", "in", "startups", "dups")
for s, v in list(src.items()) + [("Total", tot)]:
    m = re.search(r"^" + re.escape(s) + r"((?:\s+-?\d+){7})\s*$", bs, re.M)
    check("by source " + s, m and tuple(map(int, m.group(1).split())), tuple(v[k] for k in cols))
check("by source total pulled = funnel", tot["pulled"], funnel[0][1])

# ---- by country, by month: totals; by region: the bars add up
m = re.search(r"^Total\s+(\d+)\s+(\d+)\s+[\d.]+ %", text[text.index("\nBy country"):], re.M)
check("by country total", m and (int(m.group(1)), int(m.group(2))), (integrated, qualified))
mon = text[text.index("4 Monthly intake " + Y):]
m = re.search(r"^Total\s+(\d+)\s+(\d+)\s+[\d.]+ %", mon, re.M)
check("by month total", m and (int(m.group(1)), int(m.group(2))), (integrated, qualified))
for mo, n in q("SELECT substr(first_seen, 6, 2), count(*) FROM entity_live WHERE cohort = ? GROUP BY 1", int(Y)):
    name = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"][int(mo) - 1]
    m = re.search(r"^" + name + r"\s+(\d+)\s", mon, re.M)
    check("month " + name, m and int(m.group(1)), n)
reg = text[text.index("By region (continent)"):text.index("\nBy country")]
check("regions add up to the unique startups", sum(int(a) for a, b in re.findall(r"(\d+)\s*/\s*(\d+)\s*$", reg, re.M)),
      integrated)
first = one("SELECT min(as_of) FROM run r WHERE EXISTS (SELECT 1 FROM stage_run s WHERE s.run_id = r.id AND s.stage <> 'report')")
n_first = one("SELECT count(*) FROM entity_live WHERE cohort = ? AND substr(first_seen, 1, 10) = ?", int(Y), first)
m = re.search(r"\(as of (\S+)\) was the first to pull the sources; (\d+) startups", " ".join(text.split()))
check("first-load note", m and (m.group(1), int(m.group(2))), (first, n_first) if first[:4] == Y else None)

# ---- the years side by side: the last column is the funnel's
yrs = text[text.index("7 Across the years"):]
for name, n in funnel:
    m = re.search(r"^" + re.escape(name) + r"(?:\s+\S+){3}\s+(\d+)\s*$", yrs, re.M)
    check("years side by side, " + name, m and int(m.group(1)), n)

# ---- the funnel's bars: proportional, with a scale break below 1 % of the full-width stage
d = open(qdf, "rb").read().decode("latin1")
page2 = re.split(r"%% Contents for page \d+", d)[2].split("endstream")[0]
widths = [float(m.group(3)) for m in re.finditer(r"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re", page2)
          if abs(float(m.group(4)) - 18) < 0.01]
check("funnel bars (one per stage above zero)", len(widths), sum(1 for f in funnel if f[1]))
ref = max(range(len(funnel)), key=lambda i: (funnel[i][1], -i))  # the largest stage first
bars = iter(widths)
for i, (name, n) in enumerate(funnel):
    if i > ref and n and n < 0.01 * funnel[ref][1]:
        ref = i - 1
    w = next(bars, None) if n else 0.0
    want = max(185.0 * n / funnel[ref][1], 1.0 if n else 0)
    if w is None or abs(w - want) > 0.05:
        fails.append("funnel bar %s: %s pt wide, %.2f expected (%d / %d of 185)" % (name, w, want, n, funnel[ref][1]))
print("MEASURE: funnel bar widths (pt): " + ", ".join("%.1f" % w for w in widths))

# ---- the analysts' views (schema 11) give the report's figures
check("view startups, cohort", one("SELECT count(*) FROM startups WHERE cohort = ?", int(Y)), integrated)
check("view startups, qualified", one("SELECT count(*) FROM startups WHERE cohort = ? AND qualified = 1", int(Y)), qualified)
check("view qualified_startups", one("SELECT count(*) FROM qualified_startups WHERE year = ?", int(Y)), qualified)
check("view record_startup: every record once", one("SELECT count(*) FROM record_startup"), one("SELECT count(*) FROM record"))
check("view record_startup: members are in live startups",
      one("SELECT count(*) FROM record_startup rs WHERE rs.member = 1 AND rs.entity_id NOT IN (SELECT entity_id FROM startups)"), 0)
check("view source_health: one row per fetched source", one("SELECT count(*) FROM source_health"),
      one("SELECT count(DISTINCT source) FROM \"fetch\""))
check("view source_health: live records", one("SELECT sum(live_records) FROM source_health"),
      one("SELECT count(*) FROM record WHERE gone = 0 AND out_of_scope IS NULL"))

# ---- the HTML summary: the same figures, self-contained
h = open(html, encoding="utf-8").read()
for name, n in funnel:
    m = re.search(r"<tr><th>" + re.escape(name) + r'</th><td class="bar"><div style="width:([\d.]+)%"></div></td><td>(\d+)</td>', h)
    check("HTML funnel " + name, m and int(m.group(2)), n)
m = re.search(r'<div class="big">(\d+)</div><div>Unique startups</div>', h)
check("HTML unique startups", m and int(m.group(1)), integrated)
for bad in ("http:", "https:", "src=", "href=", "url(", "@import", "<script"):
    if bad in h:
        fails.append("the HTML summary is not self-contained: %r" % bad)

# ---- nothing cut, no near-empty page
if "…" in text:
    fails.append("cut text: " + "; ".join(l.strip() for l in text.split("\n") if "…" in l)[:300])
for i, pg in enumerate(pages[1:-2], start=2):  # the cover, the last page and the empty tail apart
    lines = [l for l in pg.split("\n") if l.strip()][2:-1]  # without the running header and the footer
    if len(lines) < 15:
        fails.append("page %d holds only %d lines" % (i, len(lines)))
if fails:
    print("\n".join("FAIL: " + f for f in fails))
    sys.exit(1)
print("INFO: every total of the %s demo report reconciles with the database" % Y)
PY
done
