"""tests/dbq.py — the tests' Python reads and writes the database through this, whatever the
backend (tests/lib.sh's switch): a SQLite file through the sqlite3 module, a postgresql:// URL
through psql (no Python driver needed; psql is in PG_BIN or on PATH).

    import dbq
    db = dbq.connect(TARGET)                      # a path or postgresql://...
    rows = db.execute("SELECT ... WHERE x = ?", (1,)).fetchall()
    db.execute("INSERT ..."); db.commit(); db.close()

Invariants: '?' parameters (int, float, None, str) are bound by sqlite3, or written as SQL literals
for psql; rows come back as tuples of Python values on both (psql gives them as JSON: numbers stay
numbers, NULL is None). On PostgreSQL a write is kept until commit(), which sends them all in one
transaction, then moves every identity sequence past the largest id (a fixture inserting explicit
ids must not make the program's next insert collide); a query first sends what is pending. An
error raises RuntimeError (or sqlite3's own).
"""
import json
import os
import sqlite3
import subprocess


def connect(target, timeout=10):
    if target.startswith("postgresql://"):
        return _Pg(target)
    return sqlite3.connect(target, timeout=timeout)


def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def _bind(sql, params):
    out, i, quote = [], 0, None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append(_literal(params[i]))
            i += 1
            continue
        out.append(ch)
    if i != len(params):
        raise RuntimeError("dbq: %d parameters for %d '?' in %s" % (len(params), i, sql))
    return "".join(out)


_SYNC_IDS = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pg_sync_ids.sql")).read()


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchall(self):
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):
        return iter(self.rows)


class _Pg:
    def __init__(self, url):
        self.url, self.pending = url, []
        pg_bin = os.environ.get("PG_BIN", "")
        self.psql = os.path.join(pg_bin, "psql") if pg_bin else "psql"

    def _psql(self, sql):
        r = subprocess.run([self.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-1", self.url, "-f", "-"],
                           input=sql, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stderr.strip())
        return r.stdout

    def execute(self, sql, params=()):
        sql = _bind(sql, tuple(params))
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            self.pending.append(sql.rstrip().rstrip(";") + ";\n")
            return _Rows([])
        self.commit()
        out = self._psql("SELECT COALESCE(json_agg(row_to_json(t)), '[]') FROM (%s) t" % sql)
        rows = json.loads(out, object_pairs_hook=lambda pairs: tuple(v for _, v in pairs))
        return _Rows(list(rows))

    def commit(self):
        if self.pending:
            self._psql("".join(self.pending) + _SYNC_IDS)
            self.pending = []

    def close(self):
        self.commit()
