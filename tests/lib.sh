# tests/lib.sh — helpers for integration tests (bash). Source it first:
#   . "$(dirname "$0")/../lib.sh"
# Gives: $SP (the sparker binary), $ROOT (repo root), $T (a fresh temp dir, removed at exit),
# die MSG, assert_eq A B MSG, assert_contains FILE TEXT, skip MSG (exit 77),
# http_start DIR [MODE]: starts tests/http_server.py on 127.0.0.1 serving DIR, sets $HTTP_PORT,
# $HTTP_URL; it is stopped at exit. shared_data: path to ../shared/data/real or skip.
# pg_start: a throwaway PostgreSQL cluster in $T/pg on 127.0.0.1 (free port), sets $PG_URL (a
# fresh database) and $PG_PORT; stopped at exit; skips when the binaries are absent. pg_createdb
# NAME: another database, its URL on stdout. pq URL SQL: psql's unaligned output.
#
# The backend switch (issue 18): SPARKER_TEST_BACKEND=sqlite (default) or postgresql sets $BACKEND.
# A test that runs on both says so in a line `# backends: sqlite postgresql` (tests/run_tests.sh
# runs it a second time with SPARKER_TEST_BACKEND=postgresql); an unmarked test asked for
# postgresql skips, visibly. In the PostgreSQL pass the cluster is the one run_tests.sh started
# (SPARKER_TEST_PG_PORT, SPARKER_TEST_PG_BIN), else one of the test's own (pg_start).
#   test_db NAME: the database target for a config's `database =`: on SQLite NAME itself (a
#     path, its directory made), on PostgreSQL the URL of a fresh database (dropped at exit).
#   test_db_reset TARGET: empties it (SQLite: the file removed; PostgreSQL: dropped, created again).
#   test_db_copy SRC NAME: a copy of database SRC as a new target (SQLite: cp; PostgreSQL: TEMPLATE).
#   sql TARGET SQL: runs SQL on a SQLite file or a postgresql:// URL, printed as sqlite3 prints by
#     default: columns joined by '|', one row per line, NULL as empty; an error fails.
#   sql_file TARGET FILE: runs a file of SQL statements; on PostgreSQL then tests/pg_sync_ids.sql.
#   sql_import_csv TARGET TABLE FILE: the rows of a headerless CSV file into an existing table.
#   test_db_files TARGET: the files holding the database's bytes, for a search of leaked secrets
#     (SQLite: the file and its -wal/-shm/-journal; PostgreSQL: a pg_dump of it written under $T).
#   cfg_db [INI]: the database INI (default ./sparker.ini) names (its `database =` line).
#   dir_db DIR: the database DIR/sparker.ini names, a relative path taken from DIR.
#   test_copy_dir SRC DST: cp -r SRC DST; on PostgreSQL DST/sparker.ini then names a copy of
#     SRC's database (so the copy's runs do not touch SRC's).
# Python: tests/dbq.py (PYTHONPATH is set) connects to either kind of target the same way.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SP=${SP_BIN:-$ROOT/build/sparker}
[ -x "$SP" ] || { echo "sparker binary not found at $SP (run make)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/sparker-test.XXXXXX")
_cleanup() {
  [ -n "${HTTP_PID:-}" ] && kill "$HTTP_PID" 2>/dev/null
  [ -n "${PG_BIN:-}" ] && pg_cluster_stop "$T/pg"
  [ -s "$T/.test_dbs" ] && _test_db_drop_all
  rm -rf "$T"
}
trap _cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
assert_eq() { [ "$1" = "$2" ] || die "${3:-values differ}: expected '$2', got '$1'"; }
assert_contains() { grep -qF -- "$2" "$1" || die "$1 does not contain '$2'"; }
shared_data() {
  local d="$ROOT/../shared/data/real"
  # called as D=$(shared_data): the message goes to stderr so it is not swallowed into D
  [ -d "$d" ] || { echo "SKIP: ../shared/data/real is absent: real-data checks not run" >&2; exit 77; }
  (cd "$d" && pwd)
}
http_start() { # DIR: serve DIR on 127.0.0.1 (random free port)
  local dir=$1
  python3 "$ROOT/tests/http_server.py" --root "$dir" --port-file "$T/http.port" >"$T/http.log" 2>&1 &
  HTTP_PID=$!
  for _ in $(seq 1 100); do [ -s "$T/http.port" ] && break; sleep 0.05; done
  [ -s "$T/http.port" ] || die "http server did not start: $(cat "$T/http.log")"
  HTTP_PORT=$(cat "$T/http.port"); HTTP_URL="http://127.0.0.1:$HTTP_PORT"
}
. "$ROOT/tests/pg_cluster.sh"
pg_start() { # a PostgreSQL cluster of our own (tests/pg_cluster.sh), stopped at exit
  local rc=0
  pg_cluster_start "$T/pg" || rc=$?
  [ $rc != 2 ] || skip "PostgreSQL server binaries absent (/usr/lib/postgresql/*/bin; make deps installs them): PostgreSQL checks not run"
  [ $rc = 0 ] || die "could not start PostgreSQL"
  PG_URL=$(pg_createdb sparker_test)
  export PG_URL PG_PORT
}
pg_createdb() { # NAME: a new database on the cluster; its URL
  pg_cluster_createdb "$1" || die "createdb $1 failed"
}
pq() { # URL SQL
  "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"
}

# ---------------------------------------------------------------- the backend switch
BACKEND=${SPARKER_TEST_BACKEND:-sqlite}
case $BACKEND in sqlite | postgresql) ;; *) die "SPARKER_TEST_BACKEND=$BACKEND: sqlite or postgresql" ;; esac
_test_backend_start() {
  grep -q '^# backends:.*postgresql' "$0" || skip "$(basename "$0") runs on SQLite only (no '# backends: ... postgresql' line)"
  if [ -n "${SPARKER_TEST_PG_PORT:-}" ]; then # the cluster run_tests.sh started for the pass
    PG_BIN=$SPARKER_TEST_PG_BIN PG_PORT=$SPARKER_TEST_PG_PORT PG_AS=()
    _TEST_PG_SHARED=1
  else
    pg_start
  fi
  export PG_BIN
}
_test_db_drop_all() { # the databases this test made on a shared cluster (its own cluster just stops)
  [ -n "${_TEST_PG_SHARED:-}" ] || return 0
  local d
  while read -r d; do
    "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U sparker -d postgres \
      -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done <"$T/.test_dbs"
}
test_db() { # NAME
  if [ "$BACKEND" = sqlite ]; then
    mkdir -p "$(dirname "$1")"; echo "$1"; return
  fi
  local n; n=$(_pg_newname "$1")
  echo "$n" >>"$T/.test_dbs"
  pg_createdb "$n"
}
_pg_newname() { # NAME: a database name of this test's own (the script's name, NAME, a number)
  local s; s=$(basename "$0" .sh)_$1
  echo "${s#test_}" | tr -c 'a-zA-Z0-9\n' _ | tr 'A-Z' 'a-z' | cut -c1-40 | sed "s/\$/_$$_$RANDOM/"
}
_pg_dbname() { echo "${1##*/}"; }
test_db_reset() { # TARGET
  case $1 in
    postgresql://*)
      local n; n=$(_pg_dbname "$1")
      "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U sparker -d postgres -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS $n WITH (FORCE)" -c "CREATE DATABASE $n" >/dev/null || die "reset $n failed" ;;
    *) rm -f "$1" "$1-wal" "$1-shm" "$1-journal" ;;
  esac
}
test_db_copy() { # SRC NAME: the new target on stdout
  case $1 in
    postgresql://*)
      local n; n=$(_pg_newname "$2")
      echo "$n" >>"$T/.test_dbs"
      "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U sparker -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE $n TEMPLATE $(_pg_dbname "$1")" >/dev/null || die "copy of $1 failed"
      echo "postgresql://sparker@127.0.0.1:$PG_PORT/$n" ;;
    *) mkdir -p "$(dirname "$2")"; cp "$1" "$2"; echo "$2" ;;
  esac
}
sql() { # TARGET SQL
  case $1 in
    postgresql://*) "$PG_BIN/psql" -X -q -At -F'|' -v ON_ERROR_STOP=1 "$1" -c "$2" ;;
    *) sqlite3 -cmd '.timeout 5000' "$1" "$2" ;;
  esac
}
sql_file() { # TARGET FILE
  case $1 in
    postgresql://*) "$PG_BIN/psql" -X -q -At -F'|' -v ON_ERROR_STOP=1 "$1" -f "$2" -f "$ROOT/tests/pg_sync_ids.sql" ;;
    *) sqlite3 -cmd '.timeout 5000' -bail "$1" <"$2" ;;
  esac
}
sql_import_csv() { # TARGET TABLE FILE
  case $1 in
    postgresql://*) "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$1" -c "\\copy $2 FROM '$3' CSV" ;;
    *) sqlite3 -cmd '.timeout 5000' -bail "$1" ".mode csv" ".import '$3' $2" ;;
  esac
}
test_db_files() { # TARGET
  case $1 in
    postgresql://*)
      local f=$T/.dump.$RANDOM.sql
      "$PG_BIN/pg_dump" --no-owner "$1" >"$f" || die "pg_dump $1 failed"
      echo "$f" ;;
    *) local x; for x in "$1" "$1-wal" "$1-shm" "$1-journal"; do [ -e "$x" ] && echo "$x"; done; return 0 ;;
  esac
}
cfg_db() { # [INI]
  sed -n 's/^database *= *//p' "${1:-sparker.ini}" | tail -1
}
dir_db() { # DIR
  local d; d=$(cfg_db "$1/sparker.ini")
  case $d in /* | postgresql://*) echo "$d" ;; *) echo "$1/$d" ;; esac
}
test_copy_dir() { # SRC DST
  cp -r "$1" "$2"
  local db; db=$(cfg_db "$2/sparker.ini")
  case $db in
    postgresql://*)
      db=$(test_db_copy "$db" "$(basename "$2")")
      sed -i "s|^database *=.*|database = $db|" "$2/sparker.ini" ;;
  esac
}
export PYTHONPATH="$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"
if [ "$BACKEND" = postgresql ]; then _test_backend_start; fi
