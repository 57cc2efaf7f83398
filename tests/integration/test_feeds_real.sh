#!/usr/bin/env bash
# test_feeds_real.sh — every real feed in ../shared/data/real/feeds through the feed connector.
# Well-formed feeds (xmllint) must parse to exactly as many items (records + rejects) as the
# document holds; broken ones must end in recovered items, rejects with a reason, or a clear
# error; nothing may crash or hang. Uses the cmocka binary's driver mode: test_feed --dump FILE.
. "$(dirname "$0")/../lib.sh"
REAL=$(shared_data)
DRV=${BUILD:-$ROOT/build}/tests/test_feed
[ -x "$DRV" ] || DRV=$ROOT/build/tests/test_feed
[ -x "$DRV" ] || die "test_feed driver not built (make build/tests/test_feed)"
command -v xmllint >/dev/null || skip "xmllint absent: cannot classify well-formed feeds"
files=0; wf=0; wf_ok=0; broken=0; recovered=0; refused=0; items=0; rejects=0; crashes=0
for f in "$REAL"/feeds/*/*; do
  [ -f "$f" ] || continue
  files=$((files + 1))
  out=$(timeout 60 "$DRV" --dump "$f" 2>&1); rc=$?
  if [ $rc -ne 0 ]; then crashes=$((crashes + 1)); echo "CRASH (exit $rc): $f: $out"; continue; fi
  ok=$(printf '%s' "$out" | awk -F'\t' '{split($2,a," "); print a[2]}')
  rj=$(printf '%s' "$out" | awk -F'\t' '{split($3,a," "); print a[2]}')
  crc=$(printf '%s' "$out" | awk -F'\t' '{split($4,a," "); print a[2]}')
  msg=$(printf '%s' "$out" | awk -F'\t' '{print $5}')
  [ -n "$ok" ] || { crashes=$((crashes + 1)); echo "NO SUMMARY: $f: $out"; continue; }
  items=$((items + ok)); rejects=$((rejects + rj))
  root=$(xmllint --xpath 'local-name(/*)' "$f" 2>/dev/null || true)
  if xmllint --noout "$f" 2>/dev/null && { [ "$root" = rss ] || [ "$root" = RDF ] || [ "$root" = feed ]; }; then
    wf=$((wf + 1))
    want=$(xmllint --xpath "count(//*[local-name()='item' or local-name()='entry'])" "$f" 2>/dev/null)
    if [ "$crc" = 1 ] && [ $((ok + rj)) = "$want" ]; then wf_ok=$((wf_ok + 1))
    else echo "FAIL well-formed: $(basename "$f"): want $want items, got ok=$ok reject=$rj rc=$crc $msg"; fi
  else
    broken=$((broken + 1))
    if [ "$crc" = 1 ] && [ $((ok + rj)) -gt 0 ]; then recovered=$((recovered + 1))
    elif [ "$crc" -lt 0 ] && [ -n "$msg" ]; then refused=$((refused + 1)); echo "info: refused $(basename "$f"): ${msg#"$f": }"
    elif [ "$crc" = 1 ]; then recovered=$((recovered + 1)); echo "info: $(basename "$f"): a feed with no items"
    else echo "FAIL broken: $(basename "$f"): ok=$ok reject=$rj rc=$crc msg='$msg'"; fi
  fi
done
echo "INFO: real feeds: $files files, $wf well-formed feeds ($wf_ok exact item counts), $broken other (recovered $recovered, refused with a message $refused), $items items, $rejects rejects, $crashes crashes"
[ $crashes = 0 ] || die "$crashes files crashed the connector"
[ $wf_ok = $wf ] || die "$((wf - wf_ok)) well-formed feeds did not parse exactly"
[ $((recovered + refused)) = $broken ] || die "some broken files ended neither recovered nor refused"
[ $files -gt 0 ] || die "no feed files found under $REAL/feeds"
