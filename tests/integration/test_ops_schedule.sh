#!/usr/bin/env bash
# test_ops_schedule.sh — schedules/ and `sparker schedule` produce valid crontab lines and valid
# systemd units: a crontab syntax checker (fields, ranges, '%' escaped) on schedules/sparker.cron
# (cron.d format, with a user field) and on `sparker schedule` (user crontab); `systemd-analyze
# verify` on the shipped units and on `sparker schedule --systemd` (skipped, visibly, when
# systemd-analyze is not installed); OnCalendar values through `systemd-analyze calendar`.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"

# check_cron FILE MODE: MODE = crond (6th field is a user) or user
check_cron() {
  python3 - "$1" "$2" <<'PY'
import re, sys
path, mode = sys.argv[1], sys.argv[2]
limits = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
names = {3: "jan feb mar apr may jun jul aug sep oct nov dec".split(), 4: "sun mon tue wed thu fri sat".split()}
def field_ok(f, i):
    lo, hi = limits[i]
    for part in f.split(","):
        part, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return False
        if part == "*":
            continue
        a, _, b = part.partition("-")
        vals = []
        for v in (a, b) if b else (a,):
            if v.isdigit():
                vals.append(int(v))
            elif i in names and v.lower() in names[i]:
                vals.append(names[i].index(v.lower()) + (1 if i == 3 else 0))
            else:
                return False
        if any(v < lo or v > hi for v in vals) or (len(vals) == 2 and vals[0] > vals[1]):
            return False
    return True
jobs, errors = 0, []
for n, line in enumerate(open(path, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", line):
        continue  # environment assignment
    parts = line.split(None, 6 if mode == "crond" else 5)
    need = 7 if mode == "crond" else 6
    if line.startswith("@"):
        errors.append("%d: @-shortcuts not used here" % n); continue
    if len(parts) < need:
        errors.append("%d: too few fields: %s" % (n, line)); continue
    for i in range(5):
        if not field_ok(parts[i], i):
            errors.append("%d: bad field %d %r" % (n, i + 1, parts[i]))
    if mode == "crond" and not re.match(r"^[a-z_][a-z0-9_-]*$", parts[5]):
        errors.append("%d: bad user %r" % (n, parts[5]))
    cmd = parts[-1]
    if re.search(r"(?<!\\)%", cmd):
        errors.append("%d: unescaped %% in command (cron makes it a newline)" % n)
    if "sparker" not in cmd:
        errors.append("%d: command does not run sparker" % n)
    jobs += 1
if jobs == 0:
    errors.append("no job lines")
for e in errors:
    print("%s:%s" % (path, e))
sys.exit(1 if errors else 0)
PY
}

S=$ROOT/schedules
for f in sparker.cron sparker-nightly.service sparker-nightly.timer sparker-report.service sparker-report.timer \
         sparker-failure@.service README.md; do
  [ -f "$S/$f" ] || die "schedules/$f is missing"
done
check_cron "$S/sparker.cron" crond || die "schedules/sparker.cron has syntax errors"
grep -q '^30 *2 .*run --job nightly' "$S/sparker.cron" || die "sparker.cron: nightly job at 02:30"
grep -q '^0 *6 *5 *1 .*report --year' "$S/sparker.cron" || die "sparker.cron: report on 5 January"
# the year arithmetic in the cron line, run through sh as cron would (with \% unescaped)
cmd=$(grep 'report --year' "$S/sparker.cron" | sed 's/.*--year //; s/\\%/%/g')
assert_eq "$(sh -c "echo $cmd")" "$(( $(date +%Y) - 1 ))" "cron report year expression"

# the checker itself must reject bad lines
printf '61 2 * * * sparker /bin/sparker run\n' > "$T/bad1"; ! check_cron "$T/bad1" user >/dev/null || die "checker: minute 61"
printf '0 2 * * * /bin/sparker report --year $(date +%%Y)\n' > "$T/bad2"; ! check_cron "$T/bad2" user >/dev/null || die "checker: bare %%"
printf '0 2 * * sparker run\n' > "$T/bad3"; ! check_cron "$T/bad3" user >/dev/null || die "checker: 4 fields"

# sparker schedule: user crontab with absolute paths
D=$T/w; ops_config "$D" "$(printf '[job yearly]\nstages = report\n\n[job weekly]\nstages = dedupe score\nschedule = 15 4 * * 1-5\n\n[job adhoc]\nstages = score\n')"
cd "$D"
"$SP" -c sparker.ini schedule > "$T/user.cron"
check_cron "$T/user.cron" user || { cat "$T/user.cron"; die "sparker schedule output has syntax errors"; }
BIN=$(readlink -f "$SP"); CFG=$(readlink -f "$D/sparker.ini")
grep -q "^30 2 \* \* \* .*$BIN -c $CFG run --job nightly\$" "$T/user.cron" || die "schedule: nightly line with absolute paths"
grep -q "^0 6 5 1 \* .*run --job yearly --year" "$T/user.cron" || die "schedule: yearly job on 5 January"
grep -q "^15 4 \* \* 1-5 .*run --job weekly" "$T/user.cron" || die "schedule: schedule key honoured"
grep -q "^# \[job adhoc\] is not scheduled" "$T/user.cron" || die "schedule: unscheduled job noted"
# a malformed schedule key is a config error naming file and line
ops_config "$T/bad" "$(printf '[job nightly2]\nstages = score\nschedule = 99 * * * *\n')"
set +e; (cd "$T/bad" && "$SP" -c sparker.ini schedule >/dev/null 2>"$T/bad.err"); rc=$?; set -e
assert_eq "$rc" 3 "bad schedule key exit code"
assert_contains "$T/bad.err" "sparker.ini:"

command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze not installed: cron files checked, systemd units NOT verified"
verify() { # DIR: systemd-analyze verify every unit in DIR
  local out
  out=$(cd "$1" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1) || { echo "$out"; return 1; }
  # verify exits 0 on some warnings; treat lines about our units as failures
  if echo "$out" | grep -E 'sparker[^ ]*\.(service|timer):' >/dev/null; then echo "$out"; return 1; fi
}
# the shipped units, with the binary path pointed at the built one (verify checks ExecStart exists)
mkdir -p "$T/units"
cp "$S"/*.service "$S"/*.timer "$T/units/"
sed -i "s#/usr/local/bin/sparker#$BIN#g" "$T/units/"*.service
verify "$T/units" || die "systemd-analyze verify failed on schedules/ units"
for u in nightly report; do
  grep -q '^Type=oneshot' "$S/sparker-$u.service" || die "sparker-$u.service: Type=oneshot"
  grep -q '^User=' "$S/sparker-$u.service" || die "sparker-$u.service: User="
  grep -q '^WorkingDirectory=' "$S/sparker-$u.service" || die "sparker-$u.service: WorkingDirectory="
  grep -q '^Nice=' "$S/sparker-$u.service" || die "sparker-$u.service: Nice="
  grep -q '^IOSchedulingClass=' "$S/sparker-$u.service" || die "sparker-$u.service: IOSchedulingClass="
  grep -q '^OnFailure=' "$S/sparker-$u.service" || die "sparker-$u.service: OnFailure="
  cal=$(sed -n 's/^OnCalendar=//p' "$S/sparker-$u.timer")
  systemd-analyze calendar "$cal" >/dev/null || die "sparker-$u.timer: OnCalendar '$cal'"
done
systemd-analyze calendar "$(sed -n 's/^OnCalendar=//p' "$S/sparker-report.timer")" | grep -q -- '-01-05 06:00:00' ||
  die "report timer is not on 5 January 06:00"

# sparker schedule --systemd: split the blocks into files and verify them
"$SP" -c sparker.ini schedule --systemd > "$T/units.txt"
mkdir -p "$T/gen"
awk -v dir="$T/gen" '/^# ---- \/etc\/systemd\/system\/.* ----$/ { n = split($3, p, "/"); f = dir "/" p[n]; next }
     f { print > f }' "$T/units.txt"
cp "$S/sparker-failure@.service" "$T/gen/"
n=$(ls "$T/gen" | wc -l)
assert_eq "$n" 7 "units generated (3 jobs x service+timer, + failure hook)"
verify "$T/gen" || die "systemd-analyze verify failed on \`sparker schedule --systemd\` units"
grep -q "^ExecStart=$BIN -c $CFG run --job nightly" "$T/gen/sparker-nightly.service" || die "generated ExecStart"
grep -q '^OnCalendar=Mon..Fri \*-\*-\* 04:15:00$' "$T/gen/sparker-weekly.timer" || die "cron -> OnCalendar conversion"
# the shell in ExecStart gets last year once systemd has unescaped $$ and %%
line=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'$/\1/p" "$T/gen/sparker-yearly.service" | sed 's/\$\$/$/g; s/%%/%/g')
echo "$line" | grep -q -- "--year \$(( \$(date +%Y) - 1 ))" || die "yearly ExecStart: $line"
echo "schedule: ok"
