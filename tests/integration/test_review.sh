#!/usr/bin/env bash
# test_review.sh — `sparker review` on a real pipeline run: two mapped-CSV sources whose dedupe
# leaves three near misses (a one-letter typo next to a qualified startup, a typo between two
# scored ones, the same name in two cities). Checks the queue and its order (--list), --answer
# same / different / unsure and what the next dedupe run does with them, and drives the ncurses
# screens for real in tmux: the pair side by side and stacked, a resize, ? keys, s, z, q, the
# exit code and a clean terminal (alternate screen left) on quit and on a database error; then
# `review selection`: i pins the first startup below the cut in, and the next scoring takes it in.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is absent"
command -v tmux >/dev/null || skip "tmux is not installed: the review screen cannot be driven"

D=$T/w
mkdir -p "$D/src"
cat >"$D/src/alpha.csv" <<'CSV'
id,name,country,city,website,founded,status,categories,description
A-1,Quiet Books,ES,Madrid,,2018-01-01,active,Publishing,books and more books
A-2,Pixelroute Data GmbH,DE,Berlin,,2020-05-01,active,Software,cloud data pixel routing
A-3,Sparkgrid Energy,FR,Lyon,https://sparkgrid.fr/,2022-01-01,active,Energy,volt grid charge
A-4,Torquefix Repair,GB,Leeds,https://torquefix.co.uk/,2021-06-01,active,Automotive;Marketplace,repair parts torque
A-5,Lumen Bakery,GB,York,,2019-01-01,active,Food,bread
A-6,Orbit Yoga,FR,Nice,,2020-01-01,active,Wellness,yoga classes
A-7,Cobalt Tyre Works,DE,Munich,https://cobalttyre.de/,2021-01-01,active,Automotive,tyre parts repair
A-8,Drive Cloud AI,US,Austin,https://drivecloud.ai/,2022-01-01,active,Software;Artificial Intelligence,ai data cloud
A-9,Fleet Charge Hub,NL,Utrecht,https://fleetcharge.nl/,2021-09-01,active,Electric Vehicles,charge battery
A-10,Piston Parts Online,IT,Milan,https://pistonparts.it/,2020-02-01,active,Automotive;Marketplace,parts
A-11,Voltcharge Battery AG,CH,Zürich,https://voltcharge.ch/,2021-03-01,active,Electric Vehicles;Energy,battery charge volt grid for electric fleets
A-12,Sensor Route,SE,Malmo,,2021-01-01,active,Logistics,route planning
CSV
cat >"$D/src/beta.csv" <<'CSV'
id,name,country,city,website,founded,status,categories,description
B-1,Quiet Books,ES,Barcelona,,,active,Publishing,books
B-2,Pixelraute Data,DE,Berlin,,,active,Software,data
B-3,Green Garden Tools,GB,Bristol,,2019-01-01,active,Gardening,garden tools
B-4,Happy Paws,FR,Paris,,2020-01-01,active,Pets,pet food
B-5,Tea Leaf Co,GB,Bath,,2017-01-01,active,Food,tea
B-6,Voltcherge Battery,CH,Zürich,,,active,Electric Vehicles,battery charging
CSV
OPS_DB=$(cd "$D" && test_db db/sparker.db)
ops_config "$D"
cd "$D"
DB=$OPS_DB
export SPARKER_USER=tester
sp() { "$SP" -c sparker.ini "$@"; }
q() { sq "$DB" "$1"; }
pairs() { sp review --list | tail -n +2 | cut -d, -f2,3 | tr '\n' ' '; }
entity_of() { q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source || ':' || r.source_key = '$1'"; }

sp -q run --as-of 2025-06-30 || die "pipeline run failed"
[ "$(q "SELECT count(*) FROM selection WHERE qualified = 1")" -ge 1 ] || die "fixture: nothing qualified"
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = $(entity_of alpha:A-11)")" 1 "fixture: Voltcharge qualified"

# ---- the queue without a terminal
sp review --list >"$T/list.csv" || die "review --list failed"
assert_eq "$(head -1 "$T/list.csv")" "rank,a,b,entity_a,entity_b,name_a,name_b,rule,score,reason" "--list header"
assert_eq "$(wc -l <"$T/list.csv")" 4 "three near misses listed"
# order: the pair touching the selection first (though its match score is lower and its ids later),
# then the scored pair before the unscored one with the higher match score
assert_eq "$(pairs)" "alpha:A-11,beta:B-6 alpha:A-2,beta:B-2 alpha:A-1,beta:B-1 " "queue order"
assert_contains "$T/list.csv" "1,alpha:A-11,beta:B-6,$(entity_of alpha:A-11),$(entity_of beta:B-6),Voltcharge Battery AG,Voltcherge Battery,"
grep -q '^1,.*,names one letter apart; too little evidence$' "$T/list.csv" || die "reason of pair 1: $(cat "$T/list.csv")"
grep -q '^3,alpha:A-1,beta:B-1,.*,same name; different cities$' "$T/list.csv" || die "reason of pair 3"

set +e
sp review </dev/null >"$T/out" 2>"$T/err"; rc=$?
set -e
assert_eq "$rc" 2 "review without a terminal is a usage error"
assert_contains "$T/err" "needs a terminal"
set +e
sp review --answer alpha:A-1 beta:B-1 maybe >/dev/null 2>&1; r1=$?
sp review --answer alpha:A-1 beta:B-99 same >/dev/null 2>&1; r2=$?
sp review --answer alpha:A-1 alpha:A-1 same >/dev/null 2>&1; r3=$?
sp review --list extra >/dev/null 2>&1; r4=$?
set -e
assert_eq "$r1/$r2/$r3/$r4" "2/1/2/2" "bad verdict / no such record / same record / extra argument"
assert_eq "$(q "SELECT count(*) FROM judgement")" 0 "refused answers wrote nothing"

# ---- the screen, in tmux
TM=(tmux -L "sparker-test-$$" -f /dev/null)
trap '"${TM[@]}" kill-server >/dev/null 2>&1 || true; [ -n "${LOCKER:-}" ] && kill "$LOCKER" 2>/dev/null; _cleanup' EXIT
cat >"$T/wrap.sh" <<SH
#!/bin/sh
# wrap.sh RCFILE ARGS...: sparker ARGS in the pane, its exit code to RCFILE; the pane stays open
rc=\$1; shift
cd "$D"
LANG=C.UTF-8 LC_ALL=C.UTF-8 SPARKER_USER=tester "$SP" -c sparker.ini "\$@"
echo \$? >"\$rc.tmp"; mv "\$rc.tmp" "\$rc"
echo "exited with \$(cat "\$rc")"
exec sleep 600
SH
start() { # NAME COLS ARGS...
  local name=$1 cols=$2; shift 2
  rm -f "$T/$name.rc"
  "${TM[@]}" new-session -d -s "$name" -x "$cols" -y 40 "sh $T/wrap.sh $T/$name.rc $*"
}
pane() { "${TM[@]}" capture-pane -p -t "$1"; }
keys() { local n=$1; shift; "${TM[@]}" send-keys -t "$n" "$@"; }
wait_for() { # NAME TEXT: until the pane shows TEXT (5 s)
  for _ in $(seq 1 50); do pane "$1" | grep -qF -- "$2" && return 0; sleep 0.1; done
  pane "$1" >&2; die "screen $1 never showed '$2'"
}
wait_exit() { # NAME [SECONDS]: until the command ended; prints its exit code
  for _ in $(seq 1 $((${2:-5} * 10))); do [ -f "$T/$1.rc" ] && { cat "$T/$1.rc"; return 0; }; sleep 0.1; done
  pane "$1" >&2; die "review in $1 did not end"
}
alt() { "${TM[@]}" display -p -t "$1" '#{alternate_on}'; }

# wide: side by side
start wide 120 review
wait_for wide "pair 1 of 3"
assert_eq "$(alt wide)" 1 "the screen uses the alternate screen"
pane wide >"$T/p1"
grep -Eq '^record +A  alpha:A-11 +B  beta:B-6' "$T/p1" || die "records side by side: $(cat "$T/p1")"
assert_contains "$T/p1" "Not merged: names one letter apart; too little evidence"
assert_contains "$T/p1" "judgements apply at the next dedupe run (sparker run --stage dedupe)"
grep -Eq '^city +Zürich +=  *Zürich' "$T/p1" || die "UTF-8 city with agreement mark: $(grep city "$T/p1")"
grep -Eq '^name +Voltcharge Battery AG +!  *Voltcherge Battery' "$T/p1" || die "names differ mark"
grep -Eq "^now +entity $(entity_of alpha:A-11), in the selection, score" "$T/p1" || die "entity of A now"
keys wide '?'
wait_for wide "s         same company: records a link judgement"
assert_contains <(pane wide) "z         undo the last judgement"
keys wide x
wait_for wide "pair 1 of 3"
keys wide n
wait_for wide "pair 2 of 3"
keys wide p
wait_for wide "pair 1 of 3"
assert_eq "$(q "SELECT count(*) FROM judgement")" 0 "skipping records nothing"
keys wide s
wait_for wide "pair 2 of 3"
assert_eq "$(q "SELECT kind || ' ' || a || ' ' || b || ' ' || \"user\" || ' ' || origin FROM judgement")" \
  "link alpha:A-11 beta:B-6 tester review" "s records a link"
link_id=$(q "SELECT id FROM judgement WHERE kind = 'link'")
keys wide z
wait_for wide "undone: judgement #$link_id removed"
assert_contains <(pane wide) "pair 1 of 3"
assert_eq "$(q "SELECT kind || ' ' || target || ' ' || \"user\" || ' ' || origin FROM judgement WHERE id > $link_id")" \
  "remove $link_id tester review" "z records a remove of the link"
assert_eq "$(q "SELECT count(*) FROM judgement_active")" 0 "nothing in force after undo"
keys wide q
assert_eq "$(wait_exit wide)" 0 "q exits 0"
wait_for wide "exited with 0"
assert_eq "$(alt wide)" 0 "q leaves the alternate screen (endwin)"
assert_contains <(pane wide) "review: 1 judgement recorded, 1 undone in this session."
"${TM[@]}" kill-session -t wide

# narrow: stacked, then a resize to wide
start narrow 80 review
wait_for narrow "pair 1 of 3"
pane narrow >"$T/p2"
grep -q "^A  alpha:A-11 — entity" "$T/p2" || die "stacked: record A heading: $(cat "$T/p2")"
grep -q "^B  beta:B-6 — entity" "$T/p2" || die "stacked: record B heading"
assert_eq "$(grep -c '^. *name  ' "$T/p2")" 2 "stacked: a name line per record"
grep -q '^= *city *Zürich' "$T/p2" || die "stacked: agreement mark on B's city"
assert_contains "$T/p2" "Not merged: names one letter apart"
if ! grep -q "^record" "$T/p2"; then :; else die "narrow terminal drew side by side"; fi
"${TM[@]}" resize-window -t narrow -x 120 -y 40
wait_for narrow "record      A  alpha:A-11"
keys narrow q
assert_eq "$(wait_exit narrow)" 0 "narrow: q exits 0"
assert_eq "$(alt narrow)" 0 "narrow: terminal given back"
"${TM[@]}" kill-session -t narrow

# a database error while the screen is open: the screen ends, the terminal is given back, exit 1
start err 120 review
wait_for err "pair 1 of 3"
if [ "$BACKEND" = sqlite ]; then # SQLite: the file locked by another connection
  python3 - "$DB" "$T/db.held" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(20)
PY
  LOCKER=$!
  for _ in $(seq 1 50); do [ -f "$T/db.held" ] && break; sleep 0.1; done
else # PostgreSQL: the table the write needs is renamed away under the screen
  sql "$DB" "ALTER TABLE judgement RENAME TO judgement_away"
fi
keys err s
assert_eq "$(wait_exit err 20)" 1 "a write failing under the screen exits 1"
if [ "$BACKEND" = sqlite ]; then kill "$LOCKER" 2>/dev/null || true; wait "$LOCKER" 2>/dev/null || true; LOCKER=
else sql "$DB" "ALTER TABLE judgement_away RENAME TO judgement"; fi
wait_for err "exited with 1"
assert_eq "$(alt err)" 0 "error: terminal given back"
assert_contains <(pane err) "sparker: review:"
assert_eq "$(q "SELECT count(*) FROM judgement")" 2 "the failed write left nothing"
"${TM[@]}" kill-session -t err

# an open screen never keeps a run out: it locks each write only; a key pressed while a run holds
# the lock goes to the inbox (pipeline/inbox.h), pending, and the session goes on; the next write
# once the run is over applies the inbox first
start lk 120 review
wait_for lk "pair 1 of 3"
sp -q run --stage score || die "a run while the review screen is open failed (the screen must not hold the lock)"
if [ "$BACKEND" = sqlite ] && command -v flock >/dev/null; then
  flock "$DB.lock" sleep 4 &
  LOCKER=$!
  sleep 0.5
  keys lk s
  wait_for lk "pending"
  assert_eq "$(q "SELECT count(*) FROM judgement")" 2 "no judgement written into the database while a run held the lock"
  assert_eq "$(sqlite3 "$DB.inbox" "SELECT count(*) FROM pending")" 1 "the key's judgement waits in the inbox"
  keys lk z
  wait_for lk "cannot undo P1 yet"
  wait "$LOCKER" 2>/dev/null || true; LOCKER=
  keys lk s
  wait_for lk "(judgement #4)"
  assert_eq "$(q "SELECT count(*) FROM judgement")" 4 "the inbox applied first, then the key's judgement"
  assert_eq "$(sqlite3 "$DB.inbox" "SELECT count(*) FROM pending")" 0 "the inbox is empty"
  keys lk z
  wait_for lk "undone"
  sp -q judgements remove 3 || die "removing the judgement the inbox applied failed" # the queue as before
elif [ "$BACKEND" = postgresql ]; then # an analyst's write never waits for a run (README, PostgreSQL)
  sql "$DB" "SELECT pg_advisory_lock(1936747371, 1), pg_sleep(4)" >/dev/null &
  LOCKER=$!
  sleep 0.5
  keys lk s
  wait_for lk "recorded: link"
  assert_eq "$(q "SELECT count(*) FROM judgement")" 3 "a key records at once while a run holds the PostgreSQL run lock"
  wait "$LOCKER" 2>/dev/null || true; LOCKER=
  keys lk z
  wait_for lk "undone"
fi
keys lk q
assert_eq "$(wait_exit lk)" 0 "lock: q exits 0"
"${TM[@]}" kill-session -t lk

# the first tier is "in the selection", not the score: pin the best startup out, a weak one in
sp -q pin "$(entity_of alpha:A-11)" out && sp -q pin "$(entity_of beta:B-2)" in
sp -q run --stage score
assert_eq "$(pairs)" "alpha:A-2,beta:B-2 alpha:A-11,beta:B-6 alpha:A-1,beta:B-1 " "selection first, then by score"
sp -q pin "$(entity_of alpha:A-11)" clear && sp -q pin "$(entity_of beta:B-2)" clear
sp -q run --stage score

# ---- --answer, and what the next dedupe run does
sp review --answer alpha:A-11 beta:B-6 same >"$T/out"
assert_contains "$T/out" "It applies at the next dedupe run (sparker run --stage dedupe)"
assert_eq "$(q "SELECT kind || ' ' || origin || ' ' || \"user\" FROM judgement_active WHERE a = 'alpha:A-11'")" "link review tester" "--answer same"
assert_eq "$(pairs)" "alpha:A-2,beta:B-2 alpha:A-1,beta:B-1 " "a linked pair leaves the queue"
[ "$(entity_of alpha:A-11)" != "$(entity_of beta:B-6)" ] || die "fixture: merged before the dedupe run"
sp -q run --stage dedupe
assert_eq "$(entity_of alpha:A-11)" "$(entity_of beta:B-6)" "same + dedupe: one entity"

sp review --answer beta:B-1 alpha:A-1 different --note "two shops" >/dev/null
assert_eq "$(q "SELECT kind || ' ' || a || ' ' || b || ' ' || note FROM judgement_active WHERE kind = 'apart'")" \
  "apart alpha:A-1 beta:B-1 two shops" "--answer different (pair stored in order)"
assert_eq "$(pairs)" "alpha:A-2,beta:B-2 " "a pair judged different leaves the queue"
sp -q run --stage dedupe
[ "$(entity_of alpha:A-1)" != "$(entity_of beta:B-1)" ] || die "different + dedupe: merged"
assert_eq "$(q "SELECT count(*) FROM review_pair p JOIN record r ON r.id = p.a WHERE r.source_key = 'A-1'")" 1 \
  "dedupe still reports the pair; the queue leaves it out"
assert_eq "$(pairs)" "alpha:A-2,beta:B-2 " "still out of the queue after dedupe"
sp review --answer alpha:A-2 beta:B-2 unsure >/dev/null
assert_eq "$(sp review --list | wc -l)" 1 "unsure: the queue is empty (header only)"
start empty 120 review
assert_eq "$(wait_exit empty)" 0 "empty queue: exit 0"
assert_contains <(pane empty) "no pairs to review"
"${TM[@]}" kill-session -t empty

# ---- review selection
sp -q run --stage score
sp review selection --list >"$T/sel.csv"
assert_eq "$(head -1 "$T/sel.csv")" "rank,entity,name,country,score,qualified,pin,why,reasons" "selection --list header"
read -r pos ent < <(awk -F, 'NR > 1 && $6 == 0 { print NR - 1, $2; exit }' "$T/sel.csv")
[ -n "${ent:-}" ] && [ "$pos" -gt 1 ] || die "fixture: no startup below the cut after one above: $(cat "$T/sel.csv")"
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = $ent")" 0 "fixture: $ent below the cut"
awk -F, -v p="$pos" 'NR > 1 && NR - 1 < p && $6 != 1 { bad = 1 } END { exit bad }' "$T/sel.csv" || die "qualified ones first"
start sel 120 review selection
wait_for sel "startup 1 of"
assert_contains <(pane sel) "the cut: qualified above, not qualified below"
assert_contains <(pane sel) "pins take effect at the next scoring (sparker run --stage score)"
keys sel '?'
wait_for sel "i         pin in"
keys sel x
for _ in $(seq 2 "$pos"); do keys sel n; done
wait_for sel "startup $pos of"
keys sel i
wait_for sel "pinned in: entity $ent"
assert_eq "$(q "SELECT value || ' ' || entity_id || ' ' || origin || ' ' || \"user\" FROM judgement_active WHERE kind = 'pin'")" \
  "in $ent review tester" "i records a pin in"
keys sel q
assert_eq "$(wait_exit sel)" 0 "selection: q exits 0"
assert_eq "$(alt sel)" 0 "selection: terminal given back"
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = $ent")" 0 "a pin waits for the next scoring"
sp -q run --stage score
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = $ent")" 1 "pinned in: qualified at the next scoring"
sp review selection --list | awk -F, -v e="$ent" '$2 == e && $7 == "in" { f = 1 } END { exit !f }' || die "selection --list shows the pin"
echo "review: ok"
