#!/usr/bin/env bash
# test_taxonomy.sh — the thesis in force: the built-in one (what `taxonomy --builtin` prints is
# share/taxonomy.ini), a programme's own file (taxonomy = FILE, its errors as FILE:LINE before
# anything runs), config sections on top, and `score --preview`: what an edited taxonomy would
# move, with nothing written.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is absent"
cd "$T"
"$SP" taxonomy --builtin > builtin.ini
cmp -s builtin.ini "$ROOT/share/taxonomy.ini" || die "taxonomy --builtin differs from share/taxonomy.ini"

# the demo (built-in thesis) as a base to preview against
mkdir -p demo && ln -s "$ROOT/demo/sources" demo/sources
DB=$(test_db "$T/out/sparker.db")
# what the preview must not change: the SQLite file's bytes; on PostgreSQL the rows of the tables
# a scoring writes (md5 of each table's rows in order)
digest() {
  if [ "$BACKEND" = sqlite ]; then sha256sum "$DB" | cut -d' ' -f1; return; fi
  local t
  for t in score tag selection cohort_band run stage_run judgement; do
    sql "$DB" "SELECT md5(COALESCE(string_agg(x::text, ';' ORDER BY x::text), '')) FROM $t x"
  done | sha256sum | cut -d' ' -f1
}
sed -e "s|^database *=.*|database = $DB|" -e "s|^raw_dir *=.*|raw_dir = $T/out/raw|" \
    -e "s|^report_dir *=.*|report_dir = $T/out/reports|" -e "/^log_file *=/d" "$ROOT/demo/sparker.ini" > demo/sparker.ini
"$SP" -c demo/sparker.ini taxonomy > tax.txt
assert_contains tax.txt "taxonomy: built-in, 13 domains"
assert_contains tax.txt "autonomy"
"$SP" -c demo/sparker.ini run --job nightly --as-of 2025-12-31 --quiet > run.log 2>&1 || die "demo run failed: $(tail -3 run.log)"
q0=$(sql "$DB" "SELECT count(*) FROM selection WHERE qualified = 1")

# a programme's own file: its errors name it and its line, and nothing runs
printf '[taxonomy parts]\nkeywords = car parts:3\n[score]\nmin_scor = 2\n' > mine.ini
cp demo/sparker.ini own.ini
sed -i "s|^\[sparker\]|[sparker]\ntaxonomy = $T/mine.ini|" own.ini
rc=0; "$SP" -c own.ini check > check.txt 2>&1 || rc=$?
assert_eq "$rc" 3 "a bad taxonomy file is a config error"
grep -q "mine.ini:4: .*min_scor" check.txt || die "expected mine.ini:4 in: $(cat check.txt)"
printf '[taxonomy parts]\nkeywords = car parts:3\n' > mine.ini
"$SP" -c own.ini taxonomy > own.txt
grep -q "taxonomy: $T/mine.ini, 1 domains" own.txt || die "own file not in force: $(cat own.txt)"

# sections on top: switching a domain off, previewed; nothing is written
before=$(digest)
printf '\n[taxonomy electrification]\nweight = 0\n' >> demo/sparker.ini
"$SP" -c demo/sparker.ini score --preview --limit 3 > preview.txt 2>&1 || die "preview failed: $(cat preview.txt)"
assert_contains preview.txt "would leave:"
assert_contains preview.txt "nothing written"
grep -q "more leaving not listed" preview.txt || die "expected the list cut at 3: $(cat preview.txt)"
left=$(sed -n 's/^preview: +\([0-9]*\) entered, -\([0-9]*\) left.*/\2/p' preview.txt)
[ "${left:-0}" -gt 0 ] || die "switching electrification off moved nobody: $(tail -2 preview.txt)"
after=$(digest)
assert_eq "$after" "$before" "the preview wrote nothing"
assert_eq "$(sql "$DB" "SELECT count(*) FROM selection WHERE qualified = 1")" "$q0" "selection unchanged"
rc=0; "$SP" -c demo/sparker.ini score > /dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "score without --preview is a usage error"
echo "INFO: preview of electrification off: $(tail -1 preview.txt)"
