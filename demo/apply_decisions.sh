#!/usr/bin/env bash
# apply_decisions.sh SPARKER CONFIG [FILE] — record the demo's committee decisions
# (demo/decisions.csv: record,decision,date,note; record = SOURCE:KEY) with `sparker decide`,
# so the report's funnel reaches accompanied / co-creation / invested. Idempotent: deciding the
# same startup, decision and date again only rewrites the note.
# A decision whose record is not in the database is skipped with a warning (the summary line
# counts them; tests/integration/test_demo_run.sh requires 0); any other failure stops the script.
set -uo pipefail
SP=$1 CFG=$2 FILE=${3:-$(dirname "$0")/decisions.csv}
n=0 skipped=0
while IFS=, read -r ref decision date note; do
  [ "$ref" = record ] && continue
  if ! out=$("$SP" -q -c "$CFG" decide "$ref" "$decision" --date "$date" --note "$note" 2>&1); then
    case "$out" in
      *"no entity for record"*) echo "apply_decisions: skipped $ref: $out" >&2; skipped=$((skipped + 1)); continue ;;
      *) echo "$out" >&2; exit 1 ;;
    esac
  fi
  n=$((n + 1))
done <"$FILE"
echo "apply_decisions: $n committee decisions recorded, $skipped skipped, from $FILE"
