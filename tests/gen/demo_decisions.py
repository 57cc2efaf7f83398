#!/usr/bin/env python3
"""
demo_decisions.py — choose the demo's committee decisions (demo/decisions.csv) from a demo run.

Usage: demo_decisions.py MEMBERS.csv ENTITIES.csv QUALIFIED_2024.csv QUALIFIED_2025.csv > demo/decisions.csv
(the four files are `sparker export` outputs of `make run`).

A committee accompanies a few qualified startups each year, starts co-creation projects with some
of them and invests in one or two; it declines others. Each decision names its startup by a record
reference SOURCE:KEY (stable whatever entity ids dedupe hands out), preferring registry numbers,
Crunchbase uuids and API ids (keys without commas). Dates fall after the startup was first seen.
Output columns: record,decision,date,note. Deterministic (fixed seed).
"""
import csv
import random
import sys

PREF = ["companies_house", "sirene", "crunchbase", "gleif", "startup_api"]


def main():
    members, entities, q24, q25 = sys.argv[1:5]
    refs = {}
    for r in csv.DictReader(open(members, encoding="utf-8")):
        if r["source"] in PREF and "," not in r["source_key"]:
            refs.setdefault(r["entity_id"], []).append((PREF.index(r["source"]), r["source"], r["source_key"]))
    first = {e["entity_id"]: e["first_seen"] for e in csv.DictReader(open(entities, encoding="utf-8"))}
    rng = random.Random(2025)
    out = []

    def pick(qfile, n, year):
        # startups the platform saw before December, so the committee had time to meet them
        q = [r["entity_id"] for r in csv.DictReader(open(qfile, encoding="utf-8"))
             if r["entity_id"] in refs and first.get(r["entity_id"], "9999") <= "%d-11-30" % year]
        return rng.sample(q, min(n, len(q)))

    def ref(e):
        _, s, k = sorted(refs[e])[0]
        return "%s:%s" % (s, k)

    def date_after(e, year):
        """A date in year, after the startup was first seen."""
        fs = first.get(e, "%d-01-01" % year)
        lo = fs if fs[:4] == str(year) else "%d-01-01" % year
        while True:
            d = "%d-%02d-%02d" % (year, rng.randint(int(lo[5:7]), 12), rng.randint(1, 28))
            if d > lo:
                return d

    def ladder(es, year, n_acc, n_co, n_inv, n_dec):
        for i, e in enumerate(es):
            if i < n_acc:
                d1 = date_after(e, year)
                out.append((ref(e), "accompanied", d1, "demo: accompanied by the programme"))
                if i < n_co:
                    m = min(12, int(d1[5:7]) + 1)
                    d2 = "%d-%02d-%02d" % (year, rng.randint(m, 12), rng.randint(1, 28))
                    d2 = max(d2, d1)
                    out.append((ref(e), "cocreation", d2, "demo: co-creation project started"))
                    if i < n_inv:
                        out.append((ref(e), "invested", max(d2, "%d-12-%02d" % (year, rng.randint(1, 28))),
                                    "demo: minority investment"))
            elif i < n_acc + n_dec:
                out.append((ref(e), "declined", date_after(e, year), "demo: declined by the committee"))

    ladder(pick(q24, 14, 2024), 2024, 9, 3, 1, 5)
    ladder(pick(q25, 20, 2025), 2025, 12, 4, 2, 8)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["record", "decision", "date", "note"])
    for r in sorted(out, key=lambda t: (t[2], t[0], t[1])):
        w.writerow(r)


if __name__ == "__main__":
    main()
