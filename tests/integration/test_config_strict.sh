#!/usr/bin/env bash
# test_config_strict.sh — a mistake in the configuration is caught before anything runs (issue 15).
# Each kind of mistake (a misspelt key, section or filter key, a section or key given twice, a
# value of the wrong type or out of range, band_min above band_max, a bad taxonomy line, a bad
# pushdown filter) makes `run`, `run --dry-run`, `status` and `check` exit 3 with FILE:LINE (and
# "did you mean" for a misspelling) and create nothing: no database, no raw store, no lock.
# `sparker check` reports every problem, and says "CONFIG: ok (...)" for a good config.
# `-c DIR` exits 3. Read-only commands on a missing database exit 1 with "no database at X (run
# `sparker init`)" and create nothing. `init` creates the log file's directory.
. "$(dirname "$0")/../lib.sh"

W=$T/w
mkdir -p "$W"
cd "$W"
cat > src.csv <<'EOF'
id,name
1,Acme Batteries
EOF

# good.ini: a valid config every mistake below is made in (one at a time)
cat > good.ini <<'EOF'
[sparker]
database = state/db/sparker.db
raw_dir = state/raw
report_dir = state/reports

[source a]
format = csv
url = src.csv
priority = 5
map.key = id
map.name = name
filter.active = yes
filter.max_age_years = 10

[select]
band_min = 0.08
band_max = 0.10

[score]
keyword_weight = 1

[job nightly]
stages = fetch parse normalise dedupe score

[taxonomy ev]
label = EV
keywords = battery:3
EOF

nothing_created() { # what the mistake must not have left behind
  [ ! -e state ] || die "$1: created $(find state | head -5 | tr '\n' ' ')"
}

# bad NAME 'sed script' 'expected text' [did-you-mean]: the mistake made, every command refuses it
n=0
bad() {
  local name=$1 script=$2 want=$3 mean=${4:-}
  n=$((n + 1))
  local cfg=bad$n.ini
  sed "$script" good.ini > "$cfg"
  cmp -s "$cfg" good.ini && die "$name: the sed script changed nothing"
  for cmd in "run" "run --dry-run" "status" "check"; do
    set +e
    "$SP" -c "$cfg" $cmd >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    [ "$rc" = 3 ] || die "$name: '$cmd' exit $rc, want 3: $(cat "$T/err")"
    grep -qF -- "$want" "$T/err" || die "$name: '$cmd' says '$(cat "$T/err")', want '$want'"
    grep -Eq "$cfg:[0-9]+: " "$T/err" || die "$name: '$cmd' names no FILE:LINE: $(cat "$T/err")"
    if [ -n "$mean" ]; then
      grep -qF "did you mean '$mean'?" "$T/err" || grep -qF "did you mean [$mean]?" "$T/err" ||
        die "$name: '$cmd' has no 'did you mean $mean': $(cat "$T/err")"
    fi
    [ ! -s "$T/out" ] || die "$name: '$cmd' printed on stdout: $(cat "$T/out")"
    nothing_created "$name: $cmd"
  done
}

# the good config first: check says so and creates nothing, a dry run too
"$SP" -c good.ini check > "$T/out"
assert_eq "$(cat "$T/out")" "CONFIG: ok (1 sources, 1 jobs, 14 taxonomy domains)" "check of a good config"
nothing_created "check of a good config"
"$SP" -c good.ini run --dry-run > /dev/null 2>&1 || die "dry run of the good config failed"
nothing_created "dry run of the good config"

bad "misspelt filter key" 's/^filter.active = yes/filter.actve = yes/' \
    "bad1.ini:12: unknown key 'filter.actve' in [source a]" filter.active
bad "misspelt source key" 's/^priority = 5/priorty = 5/' \
    "bad2.ini:9: unknown key 'priorty' in [source a]" priority
bad "misspelt section" 's/^\[sparker\]/[sprker]/' \
    "bad3.ini:1: unknown section [sprker]" sparker
bad "misspelt select key" 's/^band_min = 0.08/band_mn = 0.08/' \
    "bad4.ini:16: unknown key 'band_mn' in [select]" band_min
bad "a source twice" '/^\[select\]/i [source a]\nformat = csv\nurl = src.csv\n' \
    "bad5.ini:15: [source a] appears twice (first at line 6)"
bad "a key twice" 's/^priority = 5/priority = 5\npriority = 6/' \
    "bad6.ini:10: 'priority' is set twice in [source a] (first at line 9)"
bad "priority not a number" 's/^priority = 5/priority = high/' \
    "bad7.ini:9: [source a] priority must be a whole number"
bad "band_min above band_max" 's/^band_min = 0.08/band_min = 0.30/' \
    "bad8.ini:16: [select] band_min 0.3 is above band_max 0.1"
bad "filter age not a number" 's/^filter.max_age_years = 10/filter.max_age_years = ten/' \
    "bad9.ini:13: [source a] filter.max_age_years must be a whole number from 0 to 1000, not 'ten'"
bad "weight not a number" 's/^keyword_weight = 1/keyword_weight = heavy/' \
    "bad10.ini:20: [score] keyword_weight must be a number >= 0, not 'heavy'"
bad "bool not a bool" 's/^filter.active = yes/filter.active = maybe/' \
    "bad11.ini:12: [source a] filter.active must be yes or no"
bad "bad taxonomy line" 's/^keywords = battery:3/keywords = battery:x/' \
    "bad12.ini:27: taxonomy ev: bad weight in 'battery:x'"
bad "bad taxonomy key" 's/^keywords = battery:3/keyword = battery:3/' \
    "bad13.ini:27: unknown key 'keyword' in [taxonomy ev]" keywords
bad "bad filter" 's/^filter.max_age_years = 10/filter.code_prefixes = 62 software/' \
    "bad14.ini:13: [source a] filter.code_prefixes: 'software' is not an activity code prefix"
bad "key of another format" 's/^priority = 5/items = data/' \
    "bad15.ini:9: 'items' is not a key of format csv (only of json)"
bad "unknown stage" 's/^stages = fetch parse/stages = fetch prase/' \
    "bad16.ini:23: unknown stage 'prase'"
bad "mode misspelt" 's/^priority = 5/mode = snapshott/' \
    "bad17.ini:9: [source a] mode must be one of snapshot, append, delta, not 'snapshott'" snapshot

# check reports every problem, not only the first
sed -e 's/^priority = 5/priorty = 5/' -e 's/^\[sparker\]/[sprker]/' -e 's/^band_min = 0.08/band_min = 0.5/' \
    -e 's/^keywords = battery:3/keywords = battery:x/' good.ini > many.ini
set +e; "$SP" -c many.ini check >"$T/out" 2>"$T/err"; rc=$?; set -e
assert_eq "$rc" 3 "check of a config with four mistakes"
for want in "many.ini:1: unknown section [sprker]" "many.ini:9: unknown key 'priorty'" \
            "many.ini:27: taxonomy ev: bad weight" "many.ini:16: [select] band_min 0.5 is above band_max 0.1" \
            "CONFIG: 4 problems in many.ini"; do
  grep -qF -- "$want" "$T/err" || die "check lacks '$want': $(cat "$T/err")"
done
nothing_created "check of many mistakes"

# check: paths that cannot be created
touch plainfile
sed 's#^raw_dir = state/raw#raw_dir = plainfile/raw#' good.ini > paths.ini
set +e; "$SP" -c paths.ini check >"$T/out" 2>"$T/err"; rc=$?; set -e
assert_eq "$rc" 3 "check of a raw_dir under a file"
grep -qF "paths.ini:3: [sparker] raw_dir: cannot create $W/plainfile/raw: $W/plainfile is not a directory" "$T/err" ||
  die "check of paths: $(cat "$T/err")"

# -c DIR
mkdir confdir
for cmd in "check" "status" "run --dry-run"; do
  set +e; "$SP" -c confdir $cmd >"$T/out" 2>"$T/err"; rc=$?; set -e
  assert_eq "$rc" 3 "-c DIR $cmd"
  assert_contains "$T/err" "confdir: is a directory, expected an INI file"
done
nothing_created "-c DIR"

# read-only commands on a missing database: exit 1, the message, nothing created
for cmd in "status" "runs" "export members" "show 1" "explain 1" "report --year 2025" "judgements list" \
           "judgements export" "decisions list" "diff-selection" "review --list" "review selection --list"; do
  set +e; "$SP" -c good.ini $cmd >"$T/out" 2>"$T/err"; rc=$?; set -e
  assert_eq "$rc" 1 "'$cmd' on a missing database: $(cat "$T/err")"
  assert_contains "$T/err" "no database at $W/state/db/sparker.db (run \`sparker init\`)"
  nothing_created "'$cmd' on a missing database"
done

# init creates every directory it needs, the log file's included; then the commands work
sed 's#^report_dir = state/reports#report_dir = state/reports\nlog_file = state/logs/deep/sparker.log#' good.ini > logged.ini
"$SP" -c logged.ini check > /dev/null || die "check of logged.ini"
[ ! -e state/logs ] || die "check created the log directory"
"$SP" -c logged.ini init > "$T/out" || die "init failed"
for d in state/db state/raw state/reports state/logs/deep; do [ -d "$d" ] || die "init did not create $d"; done
[ -f state/db/sparker.db ] || die "init did not create the database"
"$SP" -c logged.ini status > /dev/null || die "status after init"
"$SP" -c logged.ini run --job nightly --as-of 2025-06-01 || die "run after init"
grep -q " run 1 end ok" state/logs/deep/sparker.log || die "no log lines: $(cat state/logs/deep/sparker.log)"
echo "config strict: ok ($n mistakes, each refused by run, run --dry-run, status and check)"
