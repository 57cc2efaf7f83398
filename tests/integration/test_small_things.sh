#!/usr/bin/env bash
# test_small_things.sh — the small things that erode trust (issue 15):
#   `runs 99` (no such run) exits 1, `runs abc` and `decisions list --year x` exit 2;
#   `run ... -q` after the command works as `sparker -q run ...` (one line on failure, exit 4);
#   `report --out X.pdf` writes X.csv beside it unless --csv is given;
#   a report of a year with no data exits 1, says so, and writes nothing;
#   at a terminal (script(1)) a run by hand shows progress with a percentage and an ETA for
#   normalise and dedupe and ends with one summary line; off a terminal (cron) neither.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
command -v script >/dev/null || skip "script(1) (util-linux) needed for a terminal"
D=$T/w
mkdir -p "$D/src"
ops_gen_csv "$D/src/alpha.csv" 6000 21 A
OPS_DB=$(cd "$D" && test_db db/sparker.db)
ops_config "$D"
cd "$D"
run() { # EXPECTED_EXIT ARGS...
  local want=$1; shift
  set +e; "$SP" -c sparker.ini "$@" >"$T/out" 2>"$T/err"; RC=$?; set -e
  assert_eq "$RC" "$want" "exit code of '$*' (stderr: $(head -3 "$T/err"))"
}
run 0 run --job nightly --as-of 2025-06-30
[ ! -s "$T/out" ] || die "a run off a terminal printed on stdout: $(cat "$T/out")"

# exit codes
run 1 runs 99
grep -q "no run 99" "$T/err" || die "runs 99: $(cat "$T/err")"
run 2 runs abc
run 2 runs 1x
run 0 runs 1
grep -q "^Run 1:" "$T/out" || die "runs 1: $(cat "$T/out")"
run 2 decisions list --year x
run 2 decisions list --year=20x5
run 0 decisions list --year 2025

# -q / -v after the command
sed -i "s|^url = src/beta.csv|url = $T/nonexistent.csv|" sparker.ini
run 4 run --job nightly -q
assert_eq "$(wc -l < "$T/err")" 1 "run -q: one line on failure"
grep -q "^sparker: run [0-9]* finished with failed sources" "$T/err" || die "run -q: $(cat "$T/err")"
run 4 -q run --job nightly
assert_eq "$(wc -l < "$T/err")" 1 "-q run: one line on failure"
run 4 run --job nightly -v
grep -Eq " run [0-9]+ parse +alpha +ok" "$T/err" || die "run -v: the stage lines: $(cat "$T/err")"
sed -i "s|^url = $T/nonexistent.csv|url = src/beta.csv|" sparker.ini

# report --out X.pdf: the CSV beside it; --csv still wins
run 0 report --year 2025 --out "$T/r/funnel.pdf"
[ -s "$T/r/funnel.pdf" ] && [ -s "$T/r/funnel.csv" ] || die "report --out: $(ls "$T/r")"
grep -q "wrote $T/r/funnel.csv" "$T/out" || die "report --out: message: $(cat "$T/out")"
run 0 report --year 2025 --out "$T/r2/other.pdf" --csv "$T/r2/table.csv"
[ -s "$T/r2/table.csv" ] && [ ! -e "$T/r2/other.csv" ] || die "report --out --csv: $(ls "$T/r2")"

# a year with no data
run 1 report --year 2019 --out "$T/empty/e.pdf"
grep -q "no data for 2019" "$T/err" || die "empty year: message: $(cat "$T/err")"
grep -q "2025" "$T/err" || die "empty year: the message names the years there are: $(cat "$T/err")"
[ ! -e "$T/empty/e.pdf" ] && [ ! -e "$T/empty/e.csv" ] || die "empty year: files were written"

# at a terminal: progress for normalise and dedupe, one summary line at the end
TERM=xterm script -qec "'$SP' -c sparker.ini run --from normalise" /dev/null > "$T/tty" 2>&1 || die "run at a terminal: $(cat "$T/tty")"
tr '\r' '\n' < "$T/tty" > "$T/tty.lines"
grep -Eq "^(.\[K)?normalise: [0-9]+ records \([0-9]+%\) .*ETA [0-9]+s" "$T/tty.lines" || die "no normalise progress: $(cat -v "$T/tty" | head -c 2000)"
grep -Eq "^(.\[K)?dedupe: " "$T/tty.lines" || die "no dedupe progress: $(cat -v "$T/tty" | head -c 2000)"
assert_eq "$(grep -Ec "run [0-9]+ ok in [0-9.]+ s: .*candidates, [0-9]+ entities, [0-9]+ qualified; [0-9]+ stage calls ok; peak [0-9]+ MB" "$T/tty.lines")" 1 "one summary line at a terminal"
# -q at a terminal: none of it
TERM=xterm script -qec "'$SP' -c sparker.ini run --stage normalise -q" /dev/null > "$T/tty" 2>&1 || die "run -q at a terminal"
[ ! -s "$T/tty" ] || die "run -q at a terminal printed: $(cat -v "$T/tty")"
# off a terminal: no summary line, no progress
run 0 run --from normalise
grep -q "^run [0-9]* ok in" "$T/out" && die "off a terminal: a summary line: $(cat "$T/out")"
[ ! -s "$T/err" ] || die "off a terminal: stderr: $(cat "$T/err")"
echo "ok"
