# tests/lib.sh — helpers for integration tests (bash). Source it first:
#   . "$(dirname "$0")/../lib.sh"
# Gives: $SP (the sparker binary), $ROOT (repo root), $T (a fresh temp dir, removed at exit),
# die MSG, assert_eq A B MSG, assert_contains FILE TEXT, skip MSG (exit 77),
# http_start DIR [MODE]: starts tests/http_server.py on 127.0.0.1 serving DIR, sets $HTTP_PORT,
# $HTTP_URL; it is stopped at exit. shared_data: path to ../shared/data/real or skip.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SP=${SP_BIN:-$ROOT/build/sparker}
[ -x "$SP" ] || { echo "sparker binary not found at $SP (run make)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/sparker-test.XXXXXX")
_cleanup() { [ -n "${HTTP_PID:-}" ] && kill "$HTTP_PID" 2>/dev/null; rm -rf "$T"; }
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
