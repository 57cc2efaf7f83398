#!/usr/bin/env bash
# Hostile input: invalid UTF-8 (overlong, lone continuation, truncated, surrogate, 0xFF) in a
# Companies House CSV and in an RSS feed: with `encoding = utf-8` the bad rows are rejected with a
# reason (CSV); without it the file (no valid multi-byte sequence at all) is detected as an 8-bit
# code page and every row is stored, converted, with one note; the feed's bad bytes are
# recovered (XML); the good rows around them are stored, and nothing invalid reaches the db.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
hostile_config s companies_house "$H_FILES/csv_invalid_utf8.csv" "encoding = utf-8"
hostile_run 0
hostile_outcome
assert_eq "$(q "SELECT count(*) FROM record")" 3 "good rows stored"
assert_eq "$(q "SELECT count(*) FROM reject WHERE reason LIKE '%UTF-8%'")" 5 "bad rows rejected as invalid UTF-8"
rm -rf "$T/db" "$T/raw"
hostile_config s companies_house "$H_FILES/csv_invalid_utf8.csv"
hostile_run 0
assert_eq "$(q "SELECT count(*) FROM record")" 8 "detected: every row stored"
assert_eq "$(q "SELECT count(*) FROM reject")" 0 "detected: no reject"
assert_eq "$(q "SELECT count(*) FROM stage_run WHERE stage = 'parse' AND message LIKE '%file is not UTF-8; read as windows-1252%'")" 1 "detected: one note"
q "SELECT name FROM record" >"$T/names"
iconv -f UTF-8 -t UTF-8 "$T/names" >/dev/null || die "invalid UTF-8 stored in record.name (detected)"
rm -rf "$T/db" "$T/raw"
hostile_config s feed "$H_FILES/xml_rss_bad_bytes.xml"
hostile_run 0 4
hostile_outcome
hostile_explained
q "SELECT name FROM record" >"$T/names"
iconv -f UTF-8 -t UTF-8 "$T/names" >/dev/null || die "invalid UTF-8 stored in record.name"
q "SELECT count(*) FROM record WHERE name = 'Good after'" | grep -qx 1 || die "the item after the bad bytes was lost"
