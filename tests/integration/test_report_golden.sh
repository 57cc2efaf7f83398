#!/usr/bin/env bash
# test_report_golden.sh — the text of the report of a fixed database (tests/fixtures/report/
# fixture.sql, SOURCE_DATE_EPOCH fixed) against tests/fixtures/report/golden-2025.txt.
# Whitespace is normalised (runs collapsed, blank lines dropped), the sparker version and the
# config hash are masked. After an intended change of the report, regenerate with
#   UPDATE_GOLDEN=1 tests/integration/test_report_golden.sh
# and review the diff.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
for t in pdftotext sqlite3; do command -v $t >/dev/null || skip "$t not installed"; done
FX=$ROOT/tests/fixtures/report
cp "$FX/sparker.ini" "$T/"
cd "$T"
DB=$(test_db sparker.db)
sed -i "s|^database *=.*|database = $DB|" sparker.ini
$SP -q -c sparker.ini init
sql_file "$DB" "$FX/fixture.sql" >/dev/null
SOURCE_DATE_EPOCH=1767225600 $SP -q -c sparker.ini report --year 2025 --out r.pdf --csv r.csv
normalise() {
  sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//; s/sparker [0-9]+\.[0-9]+\.[0-9]+/sparker VERSION/g;
          s/(Configuration file sha256:) ?[0-9a-f]{64}/\1 HASH/; /^$/d'
}
pdftotext r.pdf - | normalise > got.txt
# the sha256 may wrap onto its own line
sed -i -E 's/^[0-9a-f]{64}$/HASH/' got.txt
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
  cp got.txt "$FX/golden-2025.txt"
  sed -E 's/^(report,sparker_version,value,).*/\1VERSION/' r.csv > "$FX/golden-2025.csv"
  echo "INFO: golden updated: $FX/golden-2025.txt"
  exit 0
fi
[ -f "$FX/golden-2025.txt" ] || die "no golden file (UPDATE_GOLDEN=1 to create it)"
# and one hash wraps where another does not (proportional digits): the two forms made one
join_hash() { sed -z 's/Configuration file sha256:\nHASH\n/Configuration file sha256: HASH\n/' "$1"; }
if ! diff -u <(join_hash "$FX/golden-2025.txt") <(join_hash got.txt) > diff.txt; then
  head -40 diff.txt
  die "the report text differs from tests/fixtures/report/golden-2025.txt"
fi
# the CSV companion is golden too
# (the config's sha256 masked on both sides: the config names its database, a path or a URL)
mask() { sed -E 's/^(report,sparker_version,value,).*/\1VERSION/; s/^(lineage,config,sha256,).*/\1HASH/' "$1"; }
if ! diff -u <(mask "$FX/golden-2025.csv") <(mask r.csv) > diff.txt; then
  head -40 diff.txt
  die "the CSV differs from tests/fixtures/report/golden-2025.csv"
fi
