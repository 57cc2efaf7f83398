#!/usr/bin/env python3
"""dedupe_eval.py DB TRUTH.csv CONFIG [--show N] — pairwise precision/recall of `member` against a
truth file (source_file|source,source_key,true_id). Source files map to config sources by the
basename of their url. Only records present in both are scored. Prints one MEASURE-ready line:
  precision=P recall=R f1=F tp=.. fp=.. fn=.. records=.. entities=..
With --show N, prints up to N false-positive and false-negative pairs (for tuning)."""
import collections, configparser, csv, itertools, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import dbq  # tests/dbq.py: SQLite or PostgreSQL

db, truth_path, cfg_path = sys.argv[1:4]
show = int(sys.argv[sys.argv.index('--show') + 1]) if '--show' in sys.argv else 0
cp = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=(';', '#'), inline_comment_prefixes=None)
cp.read(cfg_path)
file2src = {}
for sec in cp.sections():
    if sec.startswith('source '):
        name = sec[7:].strip()
        file2src[os.path.basename(cp[sec].get('url', ''))] = name
        file2src[name] = name
truth = {}
with open(truth_path, newline='', encoding='utf-8') as f:
    for row in csv.DictReader(f):
        sf = row.get('source_file') or row.get('source')
        src = file2src.get(sf, sf)
        truth[(src, row['source_key'])] = row['true_id']
con = dbq.connect(db)
rows = con.execute("SELECT r.source, r.source_key, m.entity_id, r.name, r.id FROM member m JOIN record r ON r.id = m.record_id").fetchall()
pred = {}
names = {}
for src, key, eid, name, rid in rows:
    if (src, key) in truth:
        pred[(src, key)] = eid
        names[(src, key)] = name
def pairs(assign):
    groups = collections.defaultdict(list)
    for k, v in assign.items():
        groups[v].append(k)
    out = set()
    for g in groups.values():
        g.sort()
        out.update(itertools.combinations(g, 2))
    return out
t = {k: truth[k] for k in pred}
tp_set = pairs(t)
pp_set = pairs(pred)
tp = len(tp_set & pp_set); fp = len(pp_set - tp_set); fn = len(tp_set - pp_set)
p = tp / (tp + fp) if tp + fp else 1.0
r = tp / (tp + fn) if tp + fn else 1.0
f1 = 2 * p * r / (p + r) if p + r else 0.0
print("precision=%.4f recall=%.4f f1=%.4f tp=%d fp=%d fn=%d records=%d entities=%d" %
      (p, r, f1, tp, fp, fn, len(pred), len(set(pred.values()))))
if show:
    q = "SELECT m.rule, m.score, c.name_key, c.country, c.city_key, c.founded_year, c.domain FROM member m JOIN record r ON r.id=m.record_id JOIN candidate c ON c.record_id=r.id WHERE r.source=? AND r.source_key=?"
    for label, s in (("FP", pp_set - tp_set), ("FN", tp_set - pp_set)):
        for a, b in sorted(s)[:show]:
            print(label, a[0], con.execute(q, a).fetchone(), "|", b[0], con.execute(q, b).fetchone())
