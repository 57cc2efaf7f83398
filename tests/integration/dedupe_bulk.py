#!/usr/bin/env python3
"""dedupe_bulk.py DB N [SEED] — fill `record` of an initialised sparker database with N synthetic
company records (about N/2 companies, each seen by 1-3 of three sources, with suffix, case,
accent and website variants, and 1% typos), for speed tests of normalise + dedupe. Prints the
number of true duplicate pairs. Source names: bulk_a, bulk_b, bulk_c."""
import random, sqlite3, sys

db, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
syl = ["vol", "tiq", "ner", "gia", "zen", "ka", "lu", "mo", "rix", "ta", "vi", "on", "pra", "ex", "io", "ly",
       "cor", "da", "fin", "gro", "hel", "ix", "jo", "kel", "mar", "no", "pel", "qua", "ros", "sa", "tur", "um"]
desc = ["", "", "Energy", "Mobility", "Technologies", "Analytics", "Labs", "Systems", "Robotics", "Digital"]
countries = [("FR", ["Paris", "Lyon", "Lille"]), ("GB", ["London", "Leeds", "Oxford"]), ("DE", ["Berlin", "München"]),
             ("US", ["Boston", "Austin", "Seattle"]), ("ES", ["Madrid", "Sevilla"]), ("IN", ["Pune", "Mumbai"])]
legal = {"FR": ["SAS", "SARL"], "GB": ["Ltd", "Limited"], "DE": ["GmbH"], "US": ["Inc.", "LLC"], "ES": ["S.L."], "IN": ["Pvt. Ltd."]}
con = sqlite3.connect(db)
con.execute("PRAGMA synchronous=OFF")
rows = []
rid = 0
comp = 0
while len(rows) < n:
    comp += 1
    brand = "".join(rng.choice(syl) for _ in range(rng.randint(2, 3))).capitalize()
    d = rng.choice(desc)
    cc, cities = rng.choice(countries)
    city = rng.choice(cities)
    year = rng.randint(2010, 2025)
    site = "%s%s.%s" % (brand.lower(), comp, "com")
    for src in rng.sample(["bulk_a", "bulk_b", "bulk_c"], rng.choice([1, 1, 2, 2, 3])):
        name = brand + (" " + d if d else "")
        if rng.random() < 0.3:
            name += " " + rng.choice(legal[cc])
        if rng.random() < 0.2:
            name = name.upper()
        rid += 1
        rows.append((rid, src, "K%d" % rid, name, cc if rng.random() < 0.7 else {"FR": "France", "GB": "GBR", "DE": "Deutschland", "US": "USA", "ES": "España", "IN": "India"}[cc],
                     city, ("https://www." + site + "/en") if rng.random() < 0.5 else None,
                     "%d-%02d-%02d" % (year, rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.7 else None,
                     "2025-01-01", "2025-01-01", "c%d" % comp))
        if len(rows) >= n:
            break
con.executemany("INSERT INTO record (id, source, source_key, name, country, city, website, founded, first_seen, last_seen, hash)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
con.commit()
from collections import Counter
c = Counter(r[10] for r in rows)
print(sum(v * (v - 1) // 2 for v in c.values()))
