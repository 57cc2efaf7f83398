# tests/lib.sh — helpers for integration tests (bash). Source it first:
#   . "$(dirname "$0")/../lib.sh"
# Gives: $SP (the sparker binary), $ROOT (repo root), $T (a fresh temp dir, removed at exit),
# die MSG, assert_eq A B MSG, assert_contains FILE TEXT, skip MSG (exit 77),
# http_start DIR [MODE]: starts tests/http_server.py on 127.0.0.1 serving DIR, sets $HTTP_PORT,
# $HTTP_URL; it is stopped at exit. shared_data: path to ../shared/data/real or skip.
# pg_start: a throwaway PostgreSQL cluster in $T/pg on 127.0.0.1 (free port), sets $PG_URL (a
# fresh database) and $PG_PORT; stopped at exit; skips when the binaries are absent. pg_createdb
# NAME: another database, its URL on stdout. pq URL SQL: psql's unaligned output.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SP=${SP_BIN:-$ROOT/build/sparker}
[ -x "$SP" ] || { echo "sparker binary not found at $SP (run make)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/sparker-test.XXXXXX")
_cleanup() {
  [ -n "${HTTP_PID:-}" ] && kill "$HTTP_PID" 2>/dev/null
  [ -n "${PG_BIN:-}" ] && pg_cluster_stop "$T/pg"
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
