#!/usr/bin/env python3
"""gen_candidates.py — a dedupe benchmark input: N normalised candidates (and their records)
written straight into a sparker database (after `sparker init`), so `sparker run --stage dedupe`
can be timed alone. python3 + sqlite3 module, deterministic for a seed.

  gen_candidates.py DB N [--seed S]

About N/2.2 true companies in 30 countries, each rendered into 1..4 of the sources ch, sirene,
gleif, crunchbase, feed the way normalise leaves them: name keys with typos, dropped or
abbreviated words, registry keys (GB:/FR:) on registry rows, GLEIF ra_key links, domains on
about half the non-registry rows (some on shared hosts = NULL), founding years off by one, and
hard negatives (the same name in another country or city). Name words come from a vocabulary of
a few thousand invented words, so blocks have realistic sizes.
"""
import random, sqlite3, sys

SYL = ["ka", "lo", "mi", "ra", "ven", "tor", "sol", "qui", "zen", "bra", "tek", "vol", "nix", "ar", "po", "lu",
       "dex", "fy", "gen", "hub", "io", "ly", "mo", "nu", "ox", "pi", "ro", "sy", "ta", "ux", "vi", "wa", "xo", "yu"]
COMMON = ["tech", "labs", "mobility", "energy", "auto", "digital", "solutions", "systems", "ai", "data", "green", "motors"]
COUNTRIES = ["GB", "FR", "DE", "US", "NL", "IT", "ES", "SE", "FI", "DK", "NO", "PL", "CZ", "AT", "CH", "BE", "PT",
             "IE", "IL", "IN", "CN", "JP", "KR", "SG", "AU", "CA", "BR", "MX", "ZA", "NG"]
CITIES = ["capital", "north", "south", "harbour", "river", "old town", "new town", "lake", "hill", "bay"]


def word(rng):
    return "".join(rng.choice(SYL) for _ in range(rng.randint(2, 3)))


def typo(rng, s):
    if len(s) < 4:
        return s
    i = rng.randrange(len(s) - 1)
    k = rng.random()
    if k < 0.4:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if k < 0.7:
        return s[:i] + s[i + 1:]
    return s[:i] + rng.choice("aeiou") + s[i:]


def main():
    a = sys.argv[1:]
    seed = 1
    if "--seed" in a:
        k = a.index("--seed"); seed = int(a[k + 1]); del a[k:k + 2]
    db, n = a[0], int(a[1])
    rng = random.Random(seed)
    vocab = sorted({word(rng) for _ in range(6000)})  # sorted: set order varies between processes
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    rid = 0
    truth = 0
    recs, cands = [], []
    seen = set()
    while rid < n:
        truth += 1
        cc = rng.choice(COUNTRIES) if rng.random() < 0.7 else rng.choice(COUNTRIES[:4])
        words = [rng.choice(vocab)] + ([rng.choice(vocab)] if rng.random() < 0.4 else []) + \
                ([rng.choice(COMMON)] if rng.random() < 0.5 else [])
        key = " ".join(words)
        city = cc.lower() + " " + rng.choice(CITIES)
        year = rng.randint(2012, 2025)
        dom = (words[0] + rng.choice([".com", ".io", "." + cc.lower()])) if rng.random() < 0.7 else None
        regnum = None
        lei = None
        sources = rng.sample(["crunchbase", "feed", "ch" if cc == "GB" else ("sirene" if cc == "FR" else "feed2"), "gleif"],
                             rng.choice([1, 1, 2, 2, 2, 3, 4]))
        if cc in ("GB", "FR") and any(s in ("ch", "sirene", "gleif") for s in sources):
            regnum = "GB:%08d" % truth if cc == "GB" else "FR:%09d" % (100000000 + truth)
        for s in sources:
            if rid >= n:
                break
            rid += 1
            k2 = key
            r = rng.random()
            if r < 0.15:
                k2 = typo(rng, key)
            elif r < 0.22 and len(words) > 1:
                k2 = " ".join(words[:-1])
            y = year + (rng.choice([-1, 1]) if rng.random() < 0.1 else 0)
            d = dom if (s in ("crunchbase", "feed", "feed2") and rng.random() < 0.8) else None
            rk = regnum if s in ("ch", "sirene") else None
            ra = regnum if s == "gleif" else None
            lei = ("5299%014dXX" % truth) if s == "gleif" else None
            skey = "%s-%d" % (s, rid)
            recs.append((rid, s, skey, "2025-01-01", "2025-12-31", k2.upper()))
            cands.append((rid, s, k2.title(), k2, None, cc, city, d, str(y), y, "62.01", rk, lei, ra, 1,
                          "%d-%02d-01" % (min(y, 2025), rng.randint(1, 12))))
        # hard negative: same name, another country, sometimes
        if rng.random() < 0.05 and rid < n:
            rid += 1
            recs.append((rid, "feed", "neg-%d" % rid, "2025-01-01", "2025-12-31", key.upper()))
            cands.append((rid, "feed", key.title(), key, None, rng.choice(COUNTRIES), None, None, None, None, None,
                          None, None, None, 1, "2025-03-01"))
        if len(recs) >= 50000:
            flush(con, recs, cands)
    flush(con, recs, cands)
    con.execute("COMMIT")
    con.close()
    print("candidates %d, true companies %d" % (rid, truth))


def flush(con, recs, cands):
    con.executemany("INSERT INTO record(id, source, source_key, first_seen, last_seen, name) VALUES (?,?,?,?,?,?)", recs)
    con.executemany("INSERT INTO candidate(record_id, source, name, name_key, legal_form, country, city_key, domain, founded,"
                    " founded_year, nace, regnum_key, lei, ra_key, active, first_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", cands)
    recs.clear(); cands.clear()


if __name__ == "__main__":
    main()
