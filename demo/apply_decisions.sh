#!/usr/bin/env bash
# apply_decisions.sh SPARKER CONFIG [FILE] — record the demo's committee decisions
# (demo/decisions.csv: record,decision,date,note; record = SOURCE:KEY) with `sparker decide`,
# so the report's funnel reaches accompanied / co-creation / invested. Idempotent: deciding the
# same startup, decision and date again only rewrites the note.
set -euo pipefail
SP=$1 CFG=$2 FILE=${3:-$(dirname "$0")/decisions.csv}
n=0
while IFS=, read -r ref decision date note; do
  [ "$ref" = record ] && continue
  "$SP" -q -c "$CFG" decide "$ref" "$decision" --date "$date" --note "$note" >/dev/null
  n=$((n + 1))
done <"$FILE"
echo "apply_decisions: $n committee decisions recorded from $FILE"
