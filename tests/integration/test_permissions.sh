#!/usr/bin/env bash
# test_permissions.sh — what sparker writes (database, raw snapshots, reports) is not readable by
# other users, whatever the caller's umask: analysts' judgements and sourcing data stay in the team.
. "$(dirname "$0")/../lib.sh"
cd "$T"
printf 'name\nAlpha\n' > in.csv
cat > s.ini <<EOF2
[sparker]
database = db/s.db
raw_dir = raw
report_dir = reports
[source a]
format = csv
url = $T/in.csv
map.key = name
map.name = name
[job nightly]
stages = fetch parse
EOF2
umask 022
"$SP" -c s.ini run --as-of 2025-03-01 || die "run failed"
"$SP" -q -c s.ini report --year 2025 || die "report failed"
for f in db/s.db raw/a/*.csv reports/sparker-2025.pdf reports/sparker-2025.csv; do
  [ -e "$f" ] || die "$f missing"
  perm=$(stat -c %a "$f")
  [ $((8#$perm & 8#007)) -eq 0 ] || die "$f is readable or writable by others (mode $perm)"
done
echo "INFO: database, raw snapshot and reports are not world-accessible under umask 022"
