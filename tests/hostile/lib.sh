# tests/hostile/lib.sh — the driver for the hostile-input tests (tests/integration/test_hostile_*.sh).
# Source it after tests/lib.sh. Every hostile input goes through the real program: a config with
# one source pointing at the file, `sparker run --job nightly` (fetch parse normalise dedupe
# score), under `timeout` (time bound) and /usr/bin/time (peak RSS bound), then the database is
# read back.
#
#   hostile_config NAME FORMAT URL [LINE...]   write $T/sp.ini (database/raw/report under $T; the
#                                               database is $HDB: tests/lib.sh test_db, a fresh
#                                               one per call on PostgreSQL)
#   hostile_run [EXPECT_RC...]                  run it; fails on timeout, signal, RSS over bound,
#                                               or an exit code not in EXPECT_RC (default 0 4)
#   q SQL                                       one query on the run's database
#   hostile_outcome                             print rejects by reason + failed stages (INFO:)
#   hostile_no_text TEXT                        TEXT appears nowhere in the database file(s)
#
# Bounds: HOSTILE_TIMEOUT seconds (default 120), HOSTILE_MAX_RSS_MB (default 256; x4 under
# ASan, whose shadow memory inflates RSS). Last run: $RC, $RSS_MB, $SECS, output in $T/out.
HOSTILE_TIMEOUT=${HOSTILE_TIMEOUT:-120}
HOSTILE_MAX_RSS_MB=${HOSTILE_MAX_RSS_MB:-256}
HOSTILE_ASAN=0
if [ "$( (nm -an "$SP"; ldd "$SP") 2>/dev/null | grep -c -e __asan_init -e libasan)" != 0 ]; then  # grep -c: no SIGPIPE under pipefail
  HOSTILE_ASAN=1; HOSTILE_MAX_RSS_MB=$((HOSTILE_MAX_RSS_MB * 4)); HOSTILE_TIMEOUT=$((HOSTILE_TIMEOUT * 3))
fi
[ -x /usr/bin/time ] || skip "/usr/bin/time is needed to measure peak memory (apt-get install time)"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI needed"
H_FILES="$ROOT/tests/hostile/files"

hostile_config() { # NAME FORMAT URL [extra lines...]
  local name=$1 format=$2 url=$3; shift 3
  HDB=$(test_db "$T/db/sparker.db")
  {
    # max_reject_pct = 100: a hostile file is a few rows, many bad on purpose; these tests check
    # each bad row is rejected with its reason and the others stored, not the reject gate
    printf '[sparker]\ndatabase = %s\nraw_dir = %s/raw\nreport_dir = %s/reports\nmax_reject_pct = 100\n\n' "$HDB" "$T" "$T"
    printf '[source %s]\nformat = %s\nurl = %s\nmode = snapshot\n' "$name" "$format" "$url"
    for l in "$@"; do printf '%s\n' "$l"; done
    printf '\n[job nightly]\nstages = fetch parse normalise dedupe score\n\n'
  } >"$T/sp.ini"
  mkdir -p "$T/db"
}

hostile_run() { # [expected exit codes...]
  local want=("$@"); [ ${#want[@]} = 0 ] && want=(0 4)
  set +e
  SPARKER_RETRY_BASE_MS=10 timeout -k 5 "$HOSTILE_TIMEOUT" /usr/bin/time -f '%M %e' -o "$T/time" \
    "$SP" -c "$T/sp.ini" run --job nightly --as-of 2025-12-31 >"$T/out" 2>&1
  RC=$?
  set -e
  sed 's/^/  | /' "$T/out" | tail -n 20
  [ $RC = 124 ] || [ $RC = 137 ] && die "timed out after ${HOSTILE_TIMEOUT}s"
  [ $RC -ge 128 ] && die "killed by signal $((RC - 128))"
  grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' "$T/out" && die "sanitizer report"
  local ok=0 w; for w in "${want[@]}"; do [ "$RC" = "$w" ] && ok=1; done
  [ $ok = 1 ] || die "exit code $RC, expected one of: ${want[*]}"
  read -r RSS_KB SECS < <(grep -E '^[0-9]+ [0-9.]+$' "$T/time" | tail -1)
  RSS_MB=$((RSS_KB / 1024))
  echo "MEASURE: $(basename "$0" .sh): exit $RC, ${SECS}s, peak RSS ${RSS_MB} MB"
  [ "$RSS_MB" -le "$HOSTILE_MAX_RSS_MB" ] || die "peak RSS ${RSS_MB} MB over the bound of ${HOSTILE_MAX_RSS_MB} MB"
}

q() { sql "$HDB" "$1"; }

NL=$'\n'
hostile_outcome() {
  local r; r=$(q "SELECT reason || ' x' || count(*) FROM reject GROUP BY reason ORDER BY 1" | paste -sd, -)
  local f; f=$(q "SELECT stage || ': ' || substr(replace(message, '$NL', ' '), 1, 160) FROM stage_run WHERE status != 'ok' AND message IS NOT NULL" | head -3 | paste -sd'|' -)
  local n; n=$(q "SELECT count(*) FROM record")
  echo "INFO: $(basename "$0" .sh): records ${n}; rejects: ${r:-none}; failed stages: ${f:-none}"
}

# hostile_explained: the run either stored something, rejected rows with a reason, or recorded a
# failed stage with a message (a clear error): never a silent nothing.
hostile_explained() {
  local n r f
  n=$(q "SELECT count(*) FROM record"); r=$(q "SELECT count(*) FROM reject WHERE reason != ''")
  f=$(q "SELECT count(*) FROM stage_run WHERE status != 'ok' AND coalesce(message,'') != ''")
  [ "$n" -gt 0 ] || [ "$r" -gt 0 ] || [ "$f" -gt 0 ] || die "no records, no rejects and no error message"
}

hostile_failed_with() { # STAGE REGEX: that stage failed with a message matching REGEX
  local m; m=$(q "SELECT message FROM stage_run WHERE stage = '$1' AND status != 'ok'")
  [ -n "$m" ] || die "stage $1 did not fail (expected: $2)"
  echo "$m" | grep -Eqi -- "$2" || die "stage $1 failed with '$m', expected /$2/"
}

hostile_no_text() { # TEXT must not occur in the database (file, WAL) nor in the reports
  local f
  for f in $(test_db_files "$HDB"); do # SQLite: the file, its WAL; PostgreSQL: a pg_dump
    if grep -aqF -- "$1" "$f"; then die "'$1' found in $f"; fi
  done
  if [ "$BACKEND" = sqlite ] && q ".dump" | grep -qF -- "$1"; then die "'$1' found in the database dump"; fi
}
