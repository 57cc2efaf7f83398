#!/usr/bin/env bash
# test_parse_encoding.sh — Crunchbase-style CSV exports that are not UTF-8, read without
# `encoding =`: a Windows-1252 file (CRLF, as Excel writes it, and the same zipped) and a Mac
# Roman file (CR line ends, as classic Mac Excel writes it) parse with 0 rejects, every name
# arrives in the database as the right UTF-8, and the parse says so ONCE ("file is not UTF-8;
# read as windows-1252" in the stage's note and the log), not once per row. With
# `encoding = utf-8` forced the same rows are rejected "invalid UTF-8", as before; a UTF-8 file
# gets no note.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
cd "$T"
mkdir -p src
python3 - <<'PY'
import zipfile
names = ["Société Générale Ventures", "Müller Präzision GmbH", "Crème Brûlée SAS", "L’Oréal Tech Lab",
         "Ångström Labs AB", "São Paulo Motors", "Zürich Fintech AG", "Nestlé Robotics", "Peña Energía SL",
         "Björk Ström AB", "Göteborg Charging", "Français Mobilité", "Électricité Verte", "Øresund Batteri ApS",
         "Straße der Zukunft GmbH", "Açores Renováveis", "Città Elettrica", "Kühne Logistik", "Señor Frío",
         "“Quoted” Startup", "Plain Ascii Ltd"]
def rows(eol):
    out = ["uuid,name,homepage_url,country_code,city,category_list,short_description,founded_on,status"]
    for i, n in enumerate(names):
        out.append('u-%03d,"%s",https://s%d.example.com,FRA,Paris,"Energy,Software","%s makes batteries.",2021-03-01,operating'
                   % (i, n, i, n))
    return eol.join(out) + eol
open("src/cp1252.csv", "wb").write(rows("\r\n").encode("cp1252"))
open("src/macroman.csv", "wb").write(rows("\r").encode("mac_roman"))
open("src/utf8.csv", "wb").write(rows("\n").encode("utf-8"))
with zipfile.ZipFile("src/cp1252.zip", "w") as z:
    z.writestr("organizations.csv", rows("\r\n").encode("cp1252"))
open("expected.txt", "w", encoding="utf-8").write("".join("u-%03d|%s\n" % (i, n) for i, n in enumerate(names)))
PY
N=$(wc -l < expected.txt)
NONASCII=$(LC_ALL=C grep -c '[^ -~|]' expected.txt)

# run NAME FILE [EXTRA_LINE]: a fresh database, fetch + parse of one source
DB=$(test_db db/sparker.db)
run() {
  rm -rf raw sparker.log; test_db_reset "$DB"
  printf '[sparker]\ndatabase = %s\nraw_dir = raw\nlog_file = sparker.log\n\n[source %s]\nformat = csv\npreset = crunchbase\nurl = %s\n%s\n' \
    "$DB" "$1" "$2" "${3:-}" > sparker.ini
  "$SP" -c sparker.ini run --from fetch --to parse > run.out 2>&1 || die "$1: run failed: $(cat run.out)"
}
q() { sql "$DB" "$1"; }

for case in "cb1252 src/cp1252.csv windows-1252" "cbzip src/cp1252.zip windows-1252" "cbmac src/macroman.csv mac-roman"; do
  set -- $case
  run "$1" "$2"
  assert_eq "$(q "SELECT count(*) FROM reject")" 0 "$1: rejects"
  q "SELECT source_key || '|' || name FROM record ORDER BY source_key" > got.txt
  diff -u expected.txt got.txt >&2 || die "$1: names in the database differ from the export's (read as $3)"
  assert_eq "$(q "SELECT count(*) FROM stage_run WHERE stage = 'parse' AND message LIKE '%file is not UTF-8; read as $3%'")" 1 "$1: the parse note"
  assert_eq "$(grep -c "file is not UTF-8" sparker.log)" 1 "$1: one warning in the log"
  assert_eq "$(grep -c "UTF-8" run.out)" 1 "$1: one warning in the output"
done

# forced UTF-8: every row with a non-ASCII name is rejected, as before (the reject gate, which
# would hold such a snapshot back, is set aside for this source: test_gates.sh tests it)
run cbforced src/cp1252.csv "encoding = utf-8
max_reject_pct = 100"
assert_eq "$(q "SELECT count(*) FROM reject WHERE reason = 'invalid UTF-8'")" "$NONASCII" "forced utf-8: rejects"
assert_eq "$(q "SELECT count(*) FROM record")" "$((N - NONASCII))" "forced utf-8: records"
assert_eq "$(q "SELECT count(*) FROM stage_run WHERE message LIKE '%not UTF-8%'")" 0 "forced utf-8: no note"

# an explicit encoding still wins over the detection (the Mac file read as Windows-1252 is wrong, but asked for)
run cbgiven src/macroman.csv "encoding = windows-1252"
assert_eq "$(q "SELECT count(*) FROM stage_run WHERE message LIKE '%not UTF-8%'")" 0 "given encoding: no note"
[ "$(q "SELECT name FROM record WHERE source_key = 'u-000'")" != "Société Générale Ventures" ] || die "the given encoding was not used"

# a UTF-8 file: the same names, no note
run cbutf8 src/utf8.csv
q "SELECT source_key || '|' || name FROM record ORDER BY source_key" > got.txt
diff -u expected.txt got.txt >&2 || die "utf-8: names differ"
assert_eq "$(grep -c "UTF-8" sparker.log || true)" 0 "utf-8: no warning"
echo "INFO: $N names ($NONASCII non-ASCII) read right from Windows-1252, zipped Windows-1252 and Mac Roman"
echo "ok"
