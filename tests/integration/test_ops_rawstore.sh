#!/usr/bin/env bash
# test_ops_rawstore.sh — an unwritable or full raw store gives a clear error naming the path,
# before anything is downloaded, and leaves nothing half-written:
#   1. raw_dir read-only (chmod 555; as root the run is made as user nobody, since root ignores modes)
#   2. a source's directory inside the raw store read-only
#   3. raw_dir is a regular file
#   4. raw_dir on a full filesystem (a 32 KiB tmpfs in a private mount namespace; skipped visibly
#      when mounting is not allowed)
#   5. the database's filesystem fills up mid-run: the error names the database, the database
#      passes integrity_check, the run row is closed (skipped when unshare/mount or the parse
#      stage are not available)
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"

chmod 755 "$T"
D=$T/w; OPS_DB=$(mkdir -p "$D" && cd "$D" && test_db db/sparker.db); ops_config "$D"
cd "$D"
DB=$OPS_DB
AS=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || skip "running as root without setpriv: cannot make a directory read-only"
  AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  mkdir -p "$D/raw"
  chown -R nobody:nogroup "$D"
fi
run() { set +e; "${AS[@]}" "$SP" -c sparker.ini "$@" >"$T/out" 2>"$T/err"; RC=$?; set -e; }
last() { sq "$DB" "SELECT max(id) FROM run"; }

# 1. read-only raw store
mkdir -p raw && chmod 555 raw
run run --from fetch --to parse
assert_eq "$RC" 4 "read-only raw store: exit code (sources failed, run went on)"
RAW=$(cd raw && pwd)
grep -q "raw store $RAW is not writable: Permission denied" "$T/err" || die "message must name the raw store $RAW: $(cat "$T/err")"
[ -z "$(ls -A raw)" ] || die "something was written to the read-only raw store: $(ls -A raw)"
assert_eq "$(sq "$DB" "SELECT count(*) FROM stage_run WHERE run_id=$(last) AND stage='fetch' AND status='failed' AND message LIKE '%raw is not writable%'")" 2 \
  "both fetch calls recorded failed with the path"
assert_eq "$(sq "$DB" "SELECT count(*) FROM \"fetch\" WHERE status IN ('new','unchanged')")" 0 "no fetch recorded as stored"
assert_eq "$(sq "$DB" "SELECT status FROM run WHERE id=$(last)")" partial "run status"
echo "INFO: $(grep -m1 'not writable' "$T/err")"
chmod 755 raw

# a good fetch, then make one source's directory read-only
run run --stage fetch
assert_eq "$RC" 0 "fetch into a writable raw store: $(cat "$T/err")"
[ -d raw/alpha ] || die "fetch did not create raw/alpha"
before=$(find raw -type f | sort | sha256sum)
chmod 555 raw/alpha
echo "X-1,Extra Row,GB,City,https://extra.example/,2020-01-01,active,Software,new" >> src/alpha.csv
run run --stage fetch
assert_eq "$RC" 4 "read-only source dir: exit code"
assert_contains "$T/err" "raw/alpha is not writable"
assert_eq "$(find raw -type f | sort | sha256sum)" "$before" "raw store changed under a read-only source dir"
[ -z "$(find raw -name '*.tmp*' -o -name '.sparker-probe*')" ] || die "temporary files left behind"
chmod 755 raw/alpha

# 3. raw_dir is a file
sed -i 's/^raw_dir = raw$/raw_dir = rawfile/' sparker.ini
echo "not a directory" > rawfile
run run --stage fetch
assert_eq "$RC" 4 "raw_dir is a file: exit code"
assert_contains "$T/err" "rawfile is not a directory"
sed -i 's/^raw_dir = rawfile$/raw_dir = raw/' sparker.ini

# 4. full raw store (tmpfs of 32 KiB in a private mount namespace)
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
  mkdir -p rawfull
  sed -i 's/^raw_dir = raw$/raw_dir = rawfull/' sparker.ini
  set +e
  unshare -m --propagation private sh -c '
    mount -t tmpfs -o size=32k,mode=0777 tmpfs rawfull || exit 99
    "$0" -c sparker.ini run --stage fetch >"$1/out" 2>"$1/err"; rc=$?
    left=$(ls -A rawfull | wc -l)
    echo "$rc $left"; cat "$1/err" >&2' "$SP" "$T" > "$T/full.res"
  set -e
  read -r rc left < "$T/full.res" || true
  if [ "${rc:-99}" = 99 ]; then
    echo "INFO: tmpfs mount refused: full-disk check not run"
  else
    assert_eq "$rc" 4 "full raw store: exit code"
    assert_contains "$T/err" "rawfull: cannot write: No space left on device"
    assert_eq "$left" 0 "files left in the full raw store"
    echo "INFO: $(grep -m1 'No space' "$T/err")"
  fi
  sed -i 's/^raw_dir = rawfull$/raw_dir = raw/' sparker.ini
else
  echo "INFO: not root or no mount namespaces: full-disk check of the raw store not run"
fi

# 5. the database's filesystem fills up mid-run
if [ "$BACKEND" != sqlite ]; then
  echo "INFO: full-database check not run: it fills the SQLite file's filesystem (SQLite pass only)"
elif [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
  echo "INFO: full-database check not run (needs root and mount namespaces)"
elif stages_not_ready "$D"; then
  echo "INFO: full-database check not run: stages not implemented yet"
else
  ops_gen_csv "$T/big.csv" 6000 7 Z
  mkdir -p "$T/f" && cp -r src sparker.ini "$T/f/" && cp "$T/big.csv" "$T/f/src/alpha.csv"
  chmod -R 777 "$T/f"
  set +e
  (cd "$T/f" && unshare -m --propagation private sh -c '
    mkdir -p db && mount -t tmpfs -o size=600k,mode=0777 tmpfs db || exit 99
    "$0" -c sparker.ini run --job nightly >out 2>err; echo "rc=$?"
    sqlite3 db/sparker.db "PRAGMA integrity_check"
    sqlite3 db/sparker.db "SELECT count(*) FROM run WHERE status=\"running\""' "$SP" > "$T/dbfull.res" 2>&1)
  set -e
  if grep -q "^rc=0" "$T/dbfull.res"; then
    echo "INFO: the run fitted in 600 KiB: full-database check inconclusive"
  else
    grep -q "^rc=99" "$T/dbfull.res" && die "tmpfs mount failed in the second namespace"
    grep -q "disk is full\|No space" "$T/f/err" || die "full database: message: $(cat "$T/f/err")"
    grep -q "sparker.db" "$T/f/err" || die "full database: message must name the database"
    sed -n 2p "$T/dbfull.res" | grep -qx ok || die "integrity after disk full: $(cat "$T/dbfull.res")"
    echo "INFO: $(grep -m1 'full\|No space' "$T/f/err" | cut -c1-200)"
  fi
fi
echo "rawstore: ok"
