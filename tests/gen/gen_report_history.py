#!/usr/bin/env python3
"""gen_report_history.py — a three-year history (2023-2025) for the report's cross-year figures.

Writes SQL (into a database made by `sparker init`) to stdout and the figures it implies to the
JSON file given as argument, computed here from the generated rows themselves (not with SQL), on
the definitions of reports/figures.h:
  records pulled (rows read by the parses of the year), in scope (records first seen in the year),
  unique startups (cohort), qualified, accompanied / co-creation / invested (startups of the
  cohort), returning (startups of an earlier cohort with a record first seen in the year),
  re-scouted (declined before the year, a record first seen in it), and the days from first
  sighting to the decisions dated in the year (median, quartiles by linear interpolation).

usage: gen_report_history.py [--seed N] EXPECTED.json > history.sql
"""
import argparse, datetime, json, random

ap = argparse.ArgumentParser()
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("expected")
a = ap.parse_args()
rnd = random.Random(a.seed)
YEARS = [2023, 2024, 2025]
D = datetime.date
out = ["BEGIN;"]
sql = lambda v: "NULL" if v is None else str(v) if isinstance(v, (int, float)) else "'" + str(v).replace("'", "''") + "'"
# names quoted: "fetch" and "user" are reserved words on PostgreSQL (the SQL runs on both backends)
ins = lambda t, cols, row: out.append("INSERT INTO \"%s\" (%s) VALUES (%s);" % (t, ", ".join('"%s"' % c for c in cols),
                                                                            ", ".join(map(sql, row))))

def rand_date(y, lo=None):
    start = lo or D(y, 1, 1)
    end = D(y, 12, 31)
    return start + datetime.timedelta(days=rnd.randint(0, max(0, (end - start).days)))

# runs: one a month, each parsing both sources
pulled = {y: 0 for y in YEARS}
run_id = fetch_id = 0
for y in YEARS:
    for m in range(1, 13):
        run_id += 1
        as_of = D(y, m, 15).isoformat()
        ins("run", ("id", "job", "as_of", "started", "ended", "status"),
            (run_id, "nightly", as_of, as_of + "T02:00:00Z", as_of + "T02:05:00Z", "ok"))
        ins("stage_run", ("run_id", "stage", "source", "started", "status"), (run_id, "parse", "radar", as_of + "T02:00:00Z", "ok"))
        for s in ("radar", "registry"):
            fetch_id += 1
            ins("fetch", ("id", "run_id", "source", "url", "fetched_at", "status"),
                (fetch_id, run_id, s, "https://%s.example.org/data" % s, as_of + "T02:00:01Z", "new"))
            rd = rnd.randint(20, 90)
            oos = rnd.randint(0, rd // 3)
            rej = rnd.randint(0, 2)
            ins("parse_stat", ("fetch_id", "source", "run_id", "parsed_at", "rows_read", "rows_out_of_scope", "rows_rejected", "rows_stored"),
                (fetch_id, s, run_id, as_of + "T02:01:00Z", rd, oos, rej, rd - oos - rej))
            pulled[y] += rd

# startups of each cohort, with one or two records first seen in their year
ents, recs, decisions = {}, [], []
eid = rid = 0
def add_record(e, first):
    global rid
    rid += 1
    src = rnd.choice(("radar", "registry"))
    recs.append({"id": rid, "entity": e, "first": first})
    ins("record", ("id", "source", "source_key", "first_seen", "last_seen", "gone", "name", "country"),
        (rid, src, "k%d" % rid, first.isoformat(), "2025-12-31", 0, "Startup %d" % e, "FR"))
    ins("member", ("record_id", "entity_id", "rule", "run_id"), (rid, e, "seed" if first == ents[e]["first"] else "name", 1))

for y in YEARS:
    for _ in range(rnd.randint(40, 70)):
        eid += 1
        first = rand_date(y)
        ents[eid] = {"cohort": y, "first": first, "qualified": rnd.random() < 0.2}
        ins("entity", ("id", "name", "country", "first_seen", "cohort", "nsources"),
            (eid, "Startup %d" % eid, "FR", first.isoformat(), y, 1))
        add_record(eid, first)
        if rnd.random() < 0.3:
            add_record(eid, rand_date(y, first))
        ins("selection", ("entity_id", "cohort", "qualified", "rank", "why", "run_id"),
            (eid, y, 1 if ents[eid]["qualified"] else 0, None, "score", 1))
        ins("score", ("entity_id", "score", "domains", "reasons", "run_id"), (eid, 5.0, "vehicles", "keyword car", 1))

# decisions: about a third of the startups, dated up to 400 days after their first sighting
for e, x in ents.items():
    if rnd.random() < 0.35:
        d = x["first"] + datetime.timedelta(days=rnd.randint(5, 400))
        if d <= D(2025, 12, 31):
            decisions.append((e, rnd.choice(("accompanied", "cocreation", "invested", "declined")), d))
# returning startups: an earlier cohort seen again (a new record) in a later year; some of them
# after a decline
for e, x in list(ents.items()):
    if x["cohort"] < 2025 and rnd.random() < 0.15:
        y = rnd.randint(x["cohort"] + 1, 2025)
        if rnd.random() < 0.5 and not any(d[0] == e for d in decisions):
            decisions.append((e, "declined", rand_date(x["cohort"], x["first"])))
        add_record(e, rand_date(y))
jid = 0
for e, v, d in decisions:
    jid += 1
    ins("judgement", ("id", "kind", "value", "date", "entity_id", "user", "created", "origin"),
        (jid, "decision", v, d.isoformat(), e, "gen", d.isoformat() + "T10:00:00Z", "cli"))
out.append("INSERT INTO judgement_record (judgement_id, source, source_key) SELECT j.id, r.source, r.source_key"
           " FROM judgement j JOIN member m ON m.entity_id = j.entity_id JOIN record r ON r.id = m.record_id;")
out.append("COMMIT;")
print("\n".join(out))

def quantile(v, p):
    pos = p * (len(v) - 1)
    lo = int(pos)
    return v[lo] + (pos - lo) * (v[lo + 1] - v[lo]) if lo + 1 < len(v) else v[lo]

exp = {}
for y in [2022] + YEARS:
    coh = [e for e, x in ents.items() if x["cohort"] == y]
    dec = lambda val: len({e for e, v, d in decisions if v == val and ents[e]["cohort"] == y})
    seen_in = {r["entity"] for r in recs if r["first"].year == y}
    days = sorted((d - ents[e]["first"]).days for e, v, d in decisions if d.year == y)
    exp[str(y)] = {
        "Records pulled": pulled.get(y, 0),
        "In scope": sum(1 for r in recs if r["first"].year == y),
        "Unique startups": len(coh),
        "Qualified": sum(1 for e in coh if ents[e]["qualified"]),
        "Accompanied": dec("accompanied"), "Co-creation": dec("cocreation"), "Invested": dec("invested"),
        "Returning startups": len({e for e in seen_in if ents[e]["cohort"] < y}),
        "Re-scouted after a decline": len({e for e, v, d in decisions if v == "declined" and d.year < y and e in seen_in}),
        "Decisions dated in the year": len(days),
        "Days from first sighting to decision": "%.0f (%.0f\u2013%.0f)" % (quantile(days, .5), quantile(days, .25), quantile(days, .75))
        if days else "\u2013",
    }
json.dump(exp, open(a.expected, "w"), indent=1, ensure_ascii=False)
