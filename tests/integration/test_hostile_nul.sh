#!/usr/bin/env bash
# Hostile input: NUL bytes inside quoted and bare CSV fields and a line of NULs, and NULs in an
# RSS item. No crash; the rows around them are stored; a CSV row with a NUL in a field is
# rejected ("NUL byte"), never stored cut or with the NUL inside.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
hostile_config s companies_house "$H_FILES/csv_nul.csv"
hostile_run 0
hostile_outcome
hostile_explained
assert_eq "$(q "SELECT count(*) FROM record WHERE name IN ('GOOD 0 LIMITED','GOOD 1 LIMITED','GOOD 2 LIMITED','AFTER NUL LIMITED')")" 4 "rows around the NULs"
# A NUL must neither cut a value nor be stored inside one (C readers of the column stop at it).
# (SQLite keeps a NUL inside a text value; PostgreSQL refuses one, so the rows and rejects counted
# around this check are what shows it there.)
bad=0
[ "$BACKEND" != sqlite ] || bad=$(python3 - "$HDB" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1]); con.text_factory = bytes
n = 0
for t, cols in (("record", "name, city, status, codes"), ("candidate", "name, name_key, city_key")):
    for row in con.execute("SELECT %s FROM %s" % (cols, t)):
        n += sum(1 for v in row if isinstance(v, bytes) and b"\0" in v)
n += con.execute("SELECT count(*) FROM record WHERE name = 'NUL'").fetchone()[0]
print(n)
PY
)
[ "$bad" = 0 ] || die "$bad value(s) cut at or holding a NUL byte ('NUL\\0INSIDE LTD'): the row must be rejected"
assert_eq "$(q "SELECT count(*) FROM reject WHERE reason = 'NUL byte'")" 3 "rows with a NUL byte rejected with that reason"
rm -rf "$T/db" "$T/raw"
hostile_config s feed "$H_FILES/xml_rss_bad_bytes.xml"
hostile_run 0 4
hostile_outcome
hostile_explained
