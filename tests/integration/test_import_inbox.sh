#!/usr/bin/env bash
# test_import_inbox.sh — the bulk imports never wait for nor fail on the nightly run on SQLite
# (issue 18; pipeline/inbox.h: batches): `decisions import`, `judgements import` and
# `audit import` made while a run holds the lock check every row against a read of the database
# and queue them all in one transaction of "<database>.inbox"; the next run applies them.
#   1. the demo's nightly job, a base; the files: decisions, an export-format file of judgements
#      made elsewhere (a link, a pin, two identical notes, the pin's removal, an apart), labels,
#      and two bad files.
#   2. during a run (stalled in parse, a write transaction held on the database): the three
#      imports exit 0 at once and say what they queued; the entries are pending; a bad file is
#      refused with FILE:LINE and queues nothing.
#   3. the next run records each row once (counts; the removal takes back the file's pin; the two
#      identical notes stay two); importing the same files again (lock free) records nothing.
#   4. the same files queued again during a run: the next run records nothing more.
#   5. kill -9 of a run applying a queued import (SPARKER_TEST_STALL=drain), then a rerun: every
#      row recorded once.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is needed"
command -v python3 >/dev/null || skip "python3 is needed to hold a write transaction"
cd "$T"
mkdir -p demo
ln -s "$ROOT/demo/sources" demo/sources
sed -e "s|^database *=.*|database = $T/sq/sparker.db|" -e "s|^raw_dir *=.*|raw_dir = $T/sq/raw|" \
    -e "s|^report_dir *=.*|report_dir = $T/sq/reports|" -e "/^log_file *=/d" "$ROOT/demo/sparker.ini" >demo/sq.ini
C=$T/demo/sq.ini
DB=$T/sq/sparker.db
sp() { "$SP" -c "$C" "$@"; }
nightly() { sp run --job nightly --as-of 2025-12-31 --quiet "$@"; }
q() { sqlite3 -cmd '.timeout 10000' "$DB" "$1"; }
pending() { if [ -f "$DB.inbox" ]; then sqlite3 -cmd '.timeout 5000' "$DB.inbox" "SELECT count(*) FROM pending"; else echo 0; fi; }

# ---------------------------------------------------------------- 1. base and files
nightly >base.out 2>&1 || die "the base run failed: $(tail -3 base.out)"
sp export --year 2025 -o q0.csv qualified
sp export -o members0.csv members
[ "$(wc -l <q0.csv)" -gt 40 ] || die "too few qualified startups in the demo"
ent() { sed -n "$(($1 + 1))p" q0.csv | cut -d, -f1; }
rec() { sed -n "$(($1 + 1))p" members0.csv | cut -d, -f1,2 | tr , :; }
{
  echo "entity,decision,date,note"
  for i in 1 2 3 4 5; do echo "$(ent $i),invested,2025-10-0$i,queued import $i"; done
} >dec.csv
{
  echo "entity,decision,date,note"
  echo "$(ent 6),invested,2025-10-06,fine"
  echo "999999999,invested,2025-10-07,no such startup"
  echo "$(ent 7),bought,2025-10-08,no such decision"
} >dec_bad.csv
H="id,kind,value,date,a,b,records,entity,name,note,user,created,origin,target,hub"
jrows() { # PREFIX RECBASE: judgements made elsewhere, in the export's format
  local p=$1 b=$2
  echo "$H"
  echo "11,link,,,$(rec $((b + 1))),$(rec $((b + 2))),,,,,zed,2025-06-01T10:00:0${p}Z,cli,,"
  echo "12,pin,in,,,,$(rec $((b + 3))) $(rec $((b + 4))),,,imported pin $p,zed,2025-06-01T10:01:0${p}Z,cli,,"
  echo "13,note,,,,,$(rec $((b + 5))),,,hello $p,zed,2025-06-01T10:02:0${p}Z,cli,,"
  echo "14,note,,,,,$(rec $((b + 5))),,,hello $p,zed,2025-06-01T10:02:0${p}Z,cli,,"
  echo "15,remove,,,,,,,,taken back $p,zed,2025-06-01T10:03:0${p}Z,cli,12,"
  echo "16,apart,,,$(rec $((b + 6))),$(rec $((b + 7))),,,,,zed,2025-06-01T10:04:0${p}Z,cli,,"
}
JN=6 # rows of a judgements file
jrows 1 100 >j.csv
jrows 2 200 >j2.csv
{ echo "$H"; echo "11,note,,,,,$(rec 300),,,ok,zed,2025-06-02T10:00:00Z,cli,,";
  echo "12,remove,,,,,,,,,zed,2025-06-02T10:01:00Z,cli,99,"; } >j_bad.csv
{ echo "entity,label,note"; for i in 8 9 10; do echo "$(ent $i),yes,queued label $i"; done; } >labels.csv

# ---------------------------------------------------------------- 2. imports during a run
hold_writer() { # SECONDS: BEGIN IMMEDIATE on the database until SECONDS pass
  rm -f "$DB.held"
  python3 - "$DB" "$1" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[1] + ".held", "w").close()
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
PY
  WRITER=$!
  for _ in $(seq 1 100); do [ -f "$DB.held" ] && return; sleep 0.05; done
  die "the writer never took its transaction"
}
long_run() { # STALL: a run stalled (SPARKER_TEST_STALL), in the background as $long, once in parse
  SPARKER_TEST_STALL=$1 "$SP" -c "$C" run --job nightly --as-of 2025-12-31 --quiet >long.run 2>&1 &
  long=$!
  for _ in $(seq 1 200); do
    [ "$(q "SELECT count(*) FROM stage_run WHERE status = 'running' AND stage = 'parse'")" -gt 0 ] && return
    sleep 0.05
  done
  die "the run never reached parse: $(cat long.run)"
}
slowest=0
during() { # EXPECTED_RC NAME CMD...: run CMD during the run; its rc, time; output in NAME.out/.err
  local want=$1 name=$2 rc=0 t0 ms
  shift 2
  t0=$(date +%s%N)
  "$@" >"$name.out" 2>"$name.err" || rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  assert_eq "$rc" "$want" "$name during a run: exit code ($(cat "$name.err"))"
  [ "$ms" -lt 2000 ] || die "$name took $ms ms during a run: it waited for the writer"
  [ "$ms" -le "$slowest" ] || slowest=$ms
}
judgements_before=$(q "SELECT count(*) FROM judgement")
long_run parse:8
hold_writer 4
during 0 dec sp --user ana decisions import dec.csv
grep -q "dec.csv: 5 judgements queued; a run is in progress (pid $long " dec.err || die "decisions import said: $(cat dec.err)"
assert_eq "$(pending)" 5 "the decisions are pending"
during 0 jimp sp --user ana judgements import j.csv
grep -q "j.csv: $JN judgements queued; a run is in progress" jimp.err || die "judgements import said: $(cat jimp.err)"
during 0 labels sp --user ana audit import labels.csv
grep -q "labels.csv: 3 judgements queued" labels.err || die "audit import said: $(cat labels.err)"
queued=$((5 + JN + 3))
assert_eq "$(pending)" "$queued" "every row pending"
assert_eq "$(sqlite3 "$DB.inbox" "SELECT count(DISTINCT batch) FROM pending")" 3 "one batch per import"
during 1 dec_bad sp --user ana decisions import dec_bad.csv
assert_contains dec_bad.err "dec_bad.csv:3: "
assert_contains dec_bad.err "dec_bad.csv:4: unknown decision 'bought'"
assert_contains dec_bad.err "dec_bad.csv: nothing queued, 2 bad lines"
during 1 j_bad sp --user ana judgements import j_bad.csv
assert_contains j_bad.err "j_bad.csv:3: removes judgement 99, which is not earlier in the file"
assert_contains j_bad.err "nothing queued, 1 bad line"
assert_eq "$(pending)" "$queued" "a refused file queues nothing"
sp judgements list >list.out 2>&1 || die "judgements list during a run: $(cat list.out)"
assert_eq "$(grep -c '\[pending: the next run applies it\]' list.out)" "$queued" "judgements list shows them pending"
grep -q "^P[0-9]* *remove P[0-9]*  \[pending" list.out || die "the file's removal is not listed as removing an entry: $(grep remove list.out)"
kill -0 $long 2>/dev/null || die "the run ended before the imports: the check proves nothing"
wait "$WRITER"
wait $long || die "the run during the imports failed: $(tail -3 long.run)"
assert_eq "$(q "SELECT count(*) FROM judgement")" "$judgements_before" "nothing written into the database during the run"
echo "MEASURE: decisions, judgements and audit import during a SQLite run (a writer holding the file): slowest ${slowest} ms, exit 0, $queued rows pending"

# ---------------------------------------------------------------- 3. the next run applies them, once
count_all() { # the rows the imports brought
  q "SELECT (SELECT count(*) FROM judgement WHERE origin LIKE 'import:dec.csv%'),
            (SELECT count(*) FROM judgement WHERE user = 'zed'),
            (SELECT count(*) FROM judgement WHERE origin LIKE 'audit import:labels.csv%')"
}
nightly >next.out 2>&1 || die "the run after the imports failed: $(tail -3 next.out)"
assert_eq "$(pending)" 0 "the next run emptied the inbox"
assert_eq "$(count_all)" "5|$JN|3" "each row recorded once (decisions|judgements|labels)"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE origin LIKE '%inbox:%' AND created >= '2025-06-02'")" 8 \
  "decisions and labels made now, at the time queued"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE user = 'zed' AND created LIKE '2025-06-01T10:0%1Z'")" "$JN" \
  "imported judgements keep the file's time"
assert_eq "$(q "SELECT count(*) FROM judgement_active WHERE user = 'zed' AND kind = 'pin'")" 0 "the file's removal took back its pin"
assert_eq "$(q "SELECT count(*) FROM judgement r JOIN judgement p ON p.id = r.target WHERE r.kind = 'remove' AND r.user = 'zed' AND p.kind = 'pin' AND p.note = 'imported pin 1'")" 1 \
  "the removal names the pin of its file"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE user = 'zed' AND note = 'hello 1'")" 2 "two identical rows stay two"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE origin LIKE '%import:dec_bad.csv%' OR note = 'ok'")" 0 "the refused files recorded nothing"
for i in 1 2 3 4 5; do
  assert_eq "$(q "SELECT count(*) FROM judgement_active WHERE kind = 'decision' AND note = 'queued import $i'")" 1 "decision $i in force"
done
before=$(q "SELECT count(*) FROM judgement")
sp --user ana decisions import dec.csv >again.out 2>&1 || die "decisions import again: $(cat again.out)"
assert_contains again.out "0 decisions imported, 0 with a new note, 5 already recorded"
sp --user ana judgements import j.csv >again.out 2>&1 || die "judgements import again: $(cat again.out)"
assert_contains again.out "0 judgements imported, $JN already here"
sp --user ana audit import labels.csv >again.out 2>&1 || die "audit import again: $(cat again.out)"
assert_contains again.out "0 labels recorded (0 replacing an earlier one), 3 already recorded"
assert_eq "$(q "SELECT count(*) FROM judgement")" "$before" "importing the same files again records nothing"
echo "MEASURE: the next run recorded $queued queued rows once; the same files again: nothing"

# ---------------------------------------------------------------- 4. the same files queued again
long_run parse:4
during 0 dec2 sp --user ana decisions import dec.csv
during 0 j2 sp --user ana judgements import j.csv
during 0 l2 sp --user ana audit import labels.csv
assert_eq "$(pending)" "$queued" "queued again"
wait $long || die "run failed: $(tail -3 long.run)"
nightly >next2.out 2>&1 || die "the run after the second imports failed: $(tail -3 next2.out)"
assert_eq "$(pending)" 0 "the inbox emptied"
assert_eq "$(q "SELECT count(*) FROM judgement")" "$before" "the same files queued again: nothing recorded"

# ---------------------------------------------------------------- 5. kill -9 while applying a batch
long_run parse:4
during 0 j3 sp --user ana judgements import j2.csv
wait $long || die "run failed: $(tail -3 long.run)"
assert_eq "$(pending)" $JN "the import pending"
SPARKER_TEST_STALL=drain:5 "$SP" -c "$C" run --job nightly --as-of 2025-12-31 --quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  [ "$(q "SELECT count(*) FROM judgement WHERE note = 'imported pin 2'")" -gt 0 ] && break
  sleep 0.05
done
kill -9 $pid; wait $pid 2>/dev/null || true
assert_eq "$(q "SELECT count(*) FROM judgement WHERE user = 'zed' AND note LIKE '%2'")" 4 "the first batch committed before the kill"
assert_eq "$(pending)" $JN "killed before its entries left the inbox"
nightly >after_kill.out 2>&1 || die "the rerun after kill -9 failed: $(tail -3 after_kill.out)"
assert_eq "$(pending)" 0 "the rerun emptied the inbox"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE user = 'zed'")" $((2 * JN)) "each imported row recorded once after the kill"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE user = 'zed' AND note = 'hello 2'")" 2 "two identical rows still two"
echo "MEASURE: kill -9 of a run applying a queued import, then a rerun: $JN of $JN rows recorded once"

# ---------------------------------------------------------------- 6. an inbox file from before batches
rm -f "$DB.inbox" "$DB.inbox-wal" "$DB.inbox-shm"
sqlite3 "$DB.inbox" "CREATE TABLE pending (id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, what TEXT NOT NULL,
  value TEXT, date TEXT, a TEXT, b TEXT, entity INTEGER, name TEXT, target INTEGER, note TEXT, user TEXT, hub TEXT,
  created TEXT NOT NULL, origin TEXT, records TEXT, year INTEGER, path TEXT, csv_path TEXT, sha256 TEXT, failed TEXT,
  as_of_run INTEGER, csv_sha256 TEXT, inputs TEXT);
  INSERT INTO pending (token, what, a, b, user, created, origin) VALUES ('0ld', 'apart', '$(rec 400)', '$(rec 401)', 'old', '2025-06-03T00:00:00Z', 'cli');"
sp judgements list >old.out 2>&1 || die "judgements list with an older inbox file: $(cat old.out)"
assert_contains old.out "apart $(rec 400) $(rec 401)"
assert_eq "$(sqlite3 "$DB.inbox" "SELECT count(*) FROM pending WHERE batch IS NULL AND verbatim IS NULL AND removes IS NULL")" 1 \
  "an older inbox file gets the new columns"
nightly >old_run.out 2>&1 || die "the run applying an older inbox failed: $(tail -3 old_run.out)"
assert_eq "$(pending)" 0 "the older entry applied"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE user = 'old' AND origin = 'cli inbox:0ld'")" 1 "the older entry recorded once"
