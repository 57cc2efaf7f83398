#!/usr/bin/env bash
# test_ops_manpage.sh — docs/sparker.1 documents every command of the command table (from
# `sparker help`), every exit code of `sparker help`, the config sections and
# SOURCE_DATE_EPOCH, and formats without troff warnings (when groff is installed).
. "$(dirname "$0")/../lib.sh"
M=$ROOT/docs/sparker.1
[ -f "$M" ] || die "docs/sparker.1 is missing"
"$SP" help > "$T/help"
cmds=$(sed -n '/^Commands:/,/^$/p' "$T/help" | awk 'NF && !/^Commands:/ {print $1}')
[ -n "$cmds" ] || die "no commands in sparker help"
for c in $cmds; do
  grep -Eq "^\.SS \"?$c( |\"|$)" "$M" || die "docs/sparker.1 has no .SS section for command '$c'"
done
for code in $(sed -n '/^Exit codes:/,$p' "$T/help" | awk '$1 ~ /^[0-9]+$/ {print $1}'); do
  grep -Eq "^\.B $code\$" "$M" || die "docs/sparker.1 does not document exit code $code"
done
for s in '\[sparker\]' '\[source ' '\[job ' '\[taxonomy ' '\[score\]' '\[select\]' '\[dedupe\]' '\[report\]' \
         SOURCE_DATE_EPOCH '\.SH FILES' '\.SH ENVIRONMENT' '\.SH EXIT STATUS'; do
  grep -q "$s" "$M" || die "docs/sparker.1 lacks $s"
done
if command -v groff >/dev/null; then
  out=$(groff -man -Tutf8 -ww -z "$M" 2>&1)
  [ -z "$out" ] || die "groff warnings: $out"
else
  echo "INFO: groff not installed: troff syntax not checked"
fi
echo "manpage: ok ($(echo $cmds | wc -w) commands)"
