#!/usr/bin/env python3
"""relevance_eval.py DB LABELS — precision and recall of the relevance filter on labelled startups.

LABELS is ../shared/data/real/relevance-labelled/relevance-labelled.csv (src, key, relevant, ...):
each row is found in DB by its source (cb2017 for the 2017 Crunchbase export, yc for the YC list,
as test_relevance_real.sh names them) and key. Prints three MEASURE-ready lines:
  tagged     score.thesis = 1 (thesis evidence reaches min_score) against `relevant`
  qualified  in the selection against `relevant`
  operating  qualified against `relevant` on the rows whose status is not closed or acquired
             (closed companies never qualify, by design: startup.h)
and with -v every disagreement. Exit 2 when a labelled row is missing from DB."""
import csv, sqlite3, sys

SRC = {'crunchbase-2017-intl': 'cb2017', 'yc-startups-2014': 'yc'}
CLOSED = ('closed', 'was acquired', 'dead', 'acquired')


def pr(c):
    p = c[0] / (c[0] + c[1]) if c[0] + c[1] else 0.0
    r = c[0] / (c[0] + c[2]) if c[0] + c[2] else 0.0
    return "precision=%.3f recall=%.3f (tp %d fp %d fn %d)" % (p, r, c[0], c[1], c[2])


def count(c, got, want):
    if got and want:
        c[0] += 1
    elif got:
        c[1] += 1
    elif want:
        c[2] += 1


def main():
    db = sqlite3.connect(sys.argv[1])
    verbose = '-v' in sys.argv[3:]
    tagged, qual, oper = [0, 0, 0], [0, 0, 0], [0, 0, 0]
    missing = n = 0
    for r in csv.DictReader(open(sys.argv[2], newline='', encoding='utf-8')):
        row = db.execute(
            "SELECT COALESCE(s.thesis, 0), COALESCE(x.qualified, 0), s.domains, s.reasons FROM record rec"
            " JOIN member m ON m.record_id = rec.id JOIN entity_live e ON e.id = m.entity_id"
            " LEFT JOIN score s ON s.entity_id = e.id LEFT JOIN selection x ON x.entity_id = e.id"
            " WHERE rec.source = ? AND rec.source_key = ?", (SRC[r['src']], r['key'])).fetchone()
        if row is None:
            missing += 1
            continue
        n += 1
        want = r['relevant'] == '1'
        count(tagged, row[0] == 1, want)
        count(qual, row[1] == 1, want)
        if (r['status'] or '').strip().lower() not in CLOSED:
            count(oper, row[1] == 1, want)
        if verbose and (row[0] == 1) != want:
            print('FP' if want is False else 'FN', r['id'], r['name'], '|', r['domain'], '|', row[2], '|',
                  (row[3] or '')[:160])
    print("tagged relevant %s" % pr(tagged))
    print("qualified %s" % pr(qual))
    print("qualified, operating rows only, %s" % pr(oper))
    print("rows %d missing %d" % (n, missing))
    return 2 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
