# tests/pg_cluster.sh — a throwaway PostgreSQL cluster for the tests (tests/lib.sh pg_start) and
# the benchmarks (tests/bench/run_bench.sh). Source it; bash.
#   pg_cluster_start DIR: initdb in DIR/data (C locale, UTF-8, trust for user sparker), started on
#     127.0.0.1 on a free port with its socket in DIR; sets PG_BIN, PG_PORT, PG_AS (the command
#     prefix running a server binary: runuser -u postgres -- when root, as initdb refuses root).
#     Returns 2 when the binaries are absent (/usr/lib/postgresql/*/bin, or SPARKER_TEST_PG_BIN),
#     1 on another failure (the message on stderr).
#   pg_cluster_stop DIR: stop it now (immediate).
#   pg_cluster_createdb NAME: a new database; prints its URL.
pg_cluster_start() {
  local dir=$1
  PG_BIN=${SPARKER_TEST_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || return 2
  PG_AS=()
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "running as root and no postgres user to run the server as" >&2; return 2; }
    local up=$dir
    while up=$(dirname "$up") && [ "$up" != / ]; do # the server (postgres) must reach DIR
      case $(stat -c %A "$up") in *x | *t) ;; *) chmod o+x "$up" ;; esac
    done
    chown postgres "$dir"; PG_AS=(runuser -u postgres --)
  fi
  PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$dir/data" -A trust -U sparker --no-locale -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { echo "initdb failed: $(tail -3 "$dir/initdb.log")" >&2; return 1; }
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 30 -l "$dir/log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir -c fsync=off -c synchronous_commit=off" start >/dev/null ||
    { echo "pg_ctl start failed: $(tail -3 "$dir/log" 2>/dev/null)" >&2; return 1; }
}
pg_cluster_stop() { # (stopping a stopped cluster is no error, even under set -e)
  if [ -n "${PG_BIN:-}" ] && [ -f "$1/data/postmaster.pid" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true
  fi
}
pg_cluster_createdb() {
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U sparker "$1" || return 1
  echo "postgresql://sparker@127.0.0.1:$PG_PORT/$1"
}
