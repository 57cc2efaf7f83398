#!/usr/bin/env python3
"""er_real_load.py SET DATA_DIR DB TRUTH_OUT — load one labelled real ER set from
../shared/data/real straight into `record` of an initialised sparker database (bypassing fetch
and parse, so only normalise + dedupe are measured), and write TRUTH_OUT
(source,source_key,true_id). Keys that would give the answer away (permalinks, ids shared by
matches) are replaced by row numbers. Sources: er_a, er_b (two-file sets) or er_1..er_9.
Sets: restaurants, foursquare, crunchbase2013, chicago, yc_crunchbase."""
import csv, io, json, os, re, sqlite3, sys

name, d, db, out = sys.argv[1:5]
rows = []   # (source, key, name, country, city, postcode, website, founded, status, true_id)

if name == "restaurants":
    for src, fn in (("er_a", "restaurant-1.csv"), ("er_b", "restaurant-2.csv")):
        with open(os.path.join(d, "er-restaurants-fodors-zagat", fn), newline="", encoding="utf-8") as f:
            for i, r in enumerate(csv.DictReader(f, skipinitialspace=True)):
                rows.append((src, "%s-%d" % (src, i), r["name"], "US", r["city"], None, None, None, None,
                             r["unique_id"].strip("'")))
elif name == "foursquare":
    base = os.path.join(d, "er-foursquare-locu-venues")
    match = {}
    with open(os.path.join(base, "matches_train.csv"), newline="") as f:
        for r in csv.DictReader(f):
            match[r["foursquare_id"]] = r["locu_id"]
    for src, fn in (("er_a", "locu_train.json"), ("er_b", "foursquare_train.json")):
        for i, r in enumerate(json.load(open(os.path.join(base, fn), encoding="utf-8"))):
            tid = match.get(r["id"], r["id"])
            rows.append((src, "%s-%d" % (src, i), r.get("name"), r.get("country") or "US", r.get("locality"),
                         r.get("postal_code"), r.get("website"), None, None, tid))
elif name == "crunchbase2013":
    base = os.path.join(d, "crunchbase-2013")
    for src, fn, enc in (("er_a", "crunchbase-companies-2013-10.csv", "mac_roman"),
                         ("er_b", "crunchbase-companies-2014-01.csv", "cp1252")):
        text = open(os.path.join(base, fn), "rb").read().decode(enc, errors="replace")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        for i, r in enumerate(csv.DictReader(io.StringIO(text))):
            if not r.get("permalink"):
                continue
            rows.append((src, "%s-%d" % (src, i), r.get("name"), r.get("country_code"), r.get("city"), None,
                         r.get("homepage_url"), r.get("founded_at"), r.get("status"), r["permalink"]))
elif name == "chicago":
    fn = os.path.join(d, "er-chicago-early-childhood", "csv_example_input_with_true_ids.csv")
    srcs = {}
    with open(fn, newline="", encoding="utf-8", errors="replace") as f:
        for i, r in enumerate(csv.DictReader(f)):
            s = srcs.setdefault(r["Source"], "er_%d" % (len(srcs) + 1))
            rows.append((s, "%s-%d" % (s, i), " ".join((r["Site name"] or "").split()), "US", "Chicago",
                         r.get("Zip"), r.get("Website"), None, None, r["True Id"]))
elif name == "yc_crunchbase":
    # the YC list (688) against Crunchbase 2014-01: truth is the list's own Crunchbase URL slug
    # (hidden from the matcher) equal to a permalink; a row without one is its own company
    with open(os.path.join(d, "yc-startups-2014", "yc-startups-2005-2014.csv"), newline="", encoding="utf-8") as f:
        for i, r in enumerate(csv.DictReader(f)):
            url = r["Crunchbase / Angel List Profile"]
            m = re.search(r"crunchbase\.com/(?:organization|company)/([^/?#]+)", url)
            rows.append(("er_a", "er_a-%d" % i, r["Company"], r["Headquarters (Country)"], r["Headquarters (City)"], None,
                         r["Website"], r["Year Founded"], r["Satus"], m.group(1).lower() if m else "yc-%d" % i))
    text = open(os.path.join(d, "crunchbase-2013", "crunchbase-companies-2014-01.csv"), "rb").read()
    text = text.decode("cp1252", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    for i, r in enumerate(csv.DictReader(io.StringIO(text))):
        if not r.get("permalink"):
            continue
        rows.append(("er_b", "er_b-%d" % i, r.get("name"), r.get("country_code"), r.get("city"), None,
                     r.get("homepage_url"), r.get("founded_at"), r.get("status"),
                     r["permalink"].rsplit("/", 1)[-1].lower()))
else:
    sys.exit("unknown set " + name)

con = sqlite3.connect(db)
con.executemany("INSERT INTO record (source, source_key, name, country, city, postcode, website, founded, status,"
                " first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,'2025-01-01','2025-01-01')",
                [r[:9] for r in rows])
con.commit()
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["source", "source_key", "true_id"])
    for r in rows:
        w.writerow([r[0], r[1], r[9]])
print(len(rows))
