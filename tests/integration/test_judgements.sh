#!/usr/bin/env bash
# test_judgements.sh — the analysts' judgements (pipeline/judgement.h) against wrong links, unlinks,
# relinks, removals and reruns in several orders, on a three-source set generated here.
#
# The promise checked: decisions and pins recorded, then wrong links, unlinks, relinks and reruns:
# every decision stays on its startup, no startup is listed twice, `pin ... clear` clears, an
# unchanged rerun changes no id; `judgements export` -> a new database -> `judgements import`
# gives the same entities and selection. Sections:
#   1. base: 60 startups over three mapped-CSV sources (alpha, beta, gamma), nightly job
#   2. the issue's scenario: decide X, link X Y (wrong), rerun, unlink X's record, rerun (Y older
#      and younger than X); the same by unlink A B on a multi-record startup; a startup split by
#      unlink A whose part is then wrongly linked, both undone
#   3. pin ... clear on a merged id; pin on a merged id uses the live one
#   4. seeded random walks (python3 driving the CLI) with checks after every rerun and at the end;
#      JT_SEEDS (default 6) walks of JT_STEPS (default 20) steps; WALK_KEEP=FILE keeps the
#      commands of a failing walk
#   5. an unchanged rerun changes no id
#   6. judgements export -> fresh database -> import; import twice; a bad line
#   7. decisions import (record column, bad line, future date, contradicting decisions)
#   8. --user and SPARKER_USER in the judgement log
# Every judgement here is made at one fixed instant (SOURCE_DATE_EPOCH), the hardest case for
# export/import: identical rows made within the same second must stay distinct.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"
command -v python3 >/dev/null || skip "python3 is needed to generate the sources and drive the walks"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is needed"
export SOURCE_DATE_EPOCH=1751328000 # 2025-07-01T00:00:00Z: "today" for judgements
ASOF=2025-06-30
NAME=$(basename "$0" .sh)
t0=$SECONDS

# ---------------------------------------------------------------- 1. base database
B=$T/base
mkdir -p "$B/src"
OPS_DB=$(cd "$B" && test_db db/sparker.db) # on PostgreSQL a URL; fresh() copies it
# 60 startups with distinct names, domains and cities; each in one to three sources (same name,
# website, city: the domain rule joins them). Keys are LETTER-N: N is the startup (ground truth).
python3 - "$B/src" <<'PY'
import random, sys
out = sys.argv[1]
rnd = random.Random(20251)
syl = ["ka", "lo", "mi", "ru", "ze", "pa", "ti", "no", "vo", "xu", "be", "da", "fi", "go", "hu", "je"]
tails = ["Mobility", "Energy", "Labs", "Motors", "Systems", "Works"]
descs = ["battery swapping for electric scooters", "charge point software for fleets",
         "marketplace for used car parts", "mobile tyre repair vans", "cloud data platform for retailers",
         "organic bakery chain", "yoga studio booking", "grid storage with second-life batteries",
         "torque sensors for e-bikes", "craft brewery"]
cats = ["Electric Vehicles", "Software", "Automotive", "Energy", "SaaS", "Food", "Travel", "Marketplace"]
countries = ["GB", "FR", "DE", "NL", "SE", "ES"]
used, rows = set(), {"alpha": [], "beta": [], "gamma": []}
for i in range(60):
    while True:
        stem = "".join(rnd.choice(syl) for _ in range(3))
        if stem[:4] not in used:
            used.add(stem[:4])
            break
    name = stem.title() + " " + rnd.choice(tails)
    site = "https://www.%s.%s/" % (stem, rnd.choice(["com", "io", "eu"]))
    year = 2015 + rnd.randrange(10)
    d, cat = rnd.choice(descs), rnd.choice(cats)
    srcs = [s for s, p in (("alpha", .8), ("beta", .55), ("gamma", .4)) if rnd.random() < p] or ["beta"]
    for s in srcs:
        rows[s].append('%s-%d,"%s",%s,City%d,%s,%d-%02d-01,active,"%s","%s"\n' % (
            s[0].upper(), i, name, countries[i % 6], i, site, year, 1 + i % 12, cat, d))
for s, rs in rows.items():
    rnd.shuffle(rs)
    with open("%s/%s.csv" % (out, s), "w") as f:
        f.write("id,name,country,city,website,founded,status,categories,description\n")
        f.writelines(rs)
PY
ops_config "$B" "[source gamma]
format = csv
url = src/gamma.csv
mode = snapshot
priority = 2
map.key = id
map.name = name
map.country = country
map.city = city
map.website = website
map.founded = founded
map.status = status
map.categories = categories
categories_sep = ;
map.description = description"
S() { "$SP" -c sparker.ini "$@"; }
q() { sq "$(cfg_db)" "$1"; }
nightly() { S run --job nightly --as-of "$ASOF" >"$T/nightly.log" 2>&1 || die "nightly run failed: $(tail -5 "$T/nightly.log")"; }
rerun() { S run --from dedupe --as-of "$ASOF" >>"$T/runs.log" 2>&1 || die "run --from dedupe failed: $(tail -5 "$T/runs.log")"; }
fresh() { rm -rf "${T:?}/$1"; test_copy_dir "$B" "$T/$1"; cd "$T/$1"; } # a copy of the base database
members() { q "SELECT r.source || ':' || r.source_key || '=' || m.entity_id FROM member m JOIN record r ON r.id = m.record_id ORDER BY 1"; }
ent_of() { q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source || ':' || r.source_key = '$1'"; }
first_ref() { q "SELECT r.source || ':' || r.source_key FROM member m JOIN record r ON r.id = m.record_id WHERE m.entity_id = $1 ORDER BY r.id LIMIT 1"; }
carrier() { q "SELECT COALESCE(max(entity_id), 0) FROM judgement_place WHERE judgement_id = $1 AND carries = 1"; }
jid() { sed -n 's/.*(judgement \([0-9][0-9]*\).*/\1/p' <<<"$1" | head -1; }
# The qualified list names no entity twice, no merged or empty entity, no startup (the N of its
# keys) in two entities; `export qualified` lists the same entities once each.
no_twice() {
  assert_eq "$(q "SELECT count(*) FROM selection s JOIN entity e ON e.id = s.entity_id WHERE e.merged_into IS NOT NULL
                 OR NOT EXISTS (SELECT 1 FROM member m WHERE m.entity_id = e.id)")" 0 "$1: a merged or empty entity in the selection"
  assert_eq "$(q "SELECT count(*) FROM (SELECT substr(r.source_key, 3) k FROM selection s JOIN member m ON m.entity_id = s.entity_id
                 JOIN record r ON r.id = m.record_id WHERE s.qualified = 1 GROUP BY k HAVING count(DISTINCT s.entity_id) > 1) AS sub0")" 0 \
    "$1: a startup is listed twice in the qualified list"
  assert_eq "$(q "SELECT count(*) FROM (SELECT e.name FROM selection s JOIN entity e ON e.id = s.entity_id WHERE s.qualified = 1
                 GROUP BY e.name HAVING count(*) > 1) AS sub1")" 0 "$1: a name is listed twice in the qualified list"
  S export qualified -o "$T/qualified.csv" || die "$1: export qualified failed"
  local ids; ids=$(python3 -c 'import csv, sys; print(" ".join(r["entity_id"] for r in csv.DictReader(open(sys.argv[1]))))' "$T/qualified.csv")
  assert_eq "$(tr ' ' '\n' <<<"$ids" | sort -n | uniq -d | wc -l)" 0 "$1: export qualified lists an entity twice"
  assert_eq "$(tr ' ' '\n' <<<"$ids" | sort -n | paste -sd' ')" "$(q "SELECT entity_id FROM selection WHERE qualified = 1 ORDER BY 1" | paste -sd' ')" \
    "$1: export qualified and the selection table disagree"
}

cd "$B"
nightly
assert_eq "$(q "SELECT count(*) FROM entity")" 60 "base: one entity per generated startup"
assert_eq "$(q "SELECT count(*) FROM (SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id
               GROUP BY m.entity_id HAVING count(DISTINCT substr(r.source_key, 3)) > 1) AS sub2")" 0 "base: an entity mixes two startups"
BASE_MEMBERS=$(members)
nmulti=$(q "SELECT count(*) FROM (SELECT entity_id FROM member GROUP BY entity_id HAVING count(*) > 1) AS sub3")
echo "INFO: $NAME: base $(q "SELECT count(*) FROM record") records, 60 entities ($nmulti with 2-3 sources), $(q "SELECT count(*) FROM selection WHERE qualified = 1") qualified"
# X: the first single-record startup with a multi-record one before and after it
X=$(q "SELECT entity_id FROM member GROUP BY entity_id HAVING count(*) = 1 AND entity_id > 1
       AND entity_id > (SELECT min(entity_id) FROM (SELECT entity_id FROM member GROUP BY entity_id HAVING count(*) > 1) AS sub4) ORDER BY 1 LIMIT 1")
YLO=$(q "SELECT entity_id FROM member WHERE entity_id < $X GROUP BY entity_id HAVING count(*) > 1 ORDER BY 1 LIMIT 1")
YHI=$(q "SELECT entity_id FROM member WHERE entity_id > $X GROUP BY entity_id HAVING count(*) > 1 ORDER BY 1 LIMIT 1")
[ -n "$X" ] && [ -n "$YLO" ] && [ -n "$YHI" ] || die "fixture: no single-record startup between two multi-record ones"
XREF=$(first_ref "$X")

# ---------------------------------------------------------------- 2. the issue's scenario
# decide X; link X Y (wrong); rerun; unlink X's record; rerun. Y before X (X's id is merged into
# Y's while linked) and Y after X (Y's id is merged into X's).
for Y in "$YLO" "$YHI"; do
  fresh "s2_$Y"
  YREF=$(first_ref "$Y")
  out=$(S decide "$X" accompanied --date 2025-03-01) || die "decide failed"
  J=$(jid "$out")
  [ -n "$J" ] || die "decide did not name its judgement: $out"
  S link "$X" "$Y" >"$T/out" || die "link $X $Y failed"
  assert_contains "$T/out" "link"
  rerun
  live=$(ent_of "$XREF")
  assert_eq "$live" "$(ent_of "$YREF")" "wrong link $X $Y: the records are not together"
  lost=$([ "$X" -lt "$Y" ] && echo "$Y" || echo "$X")
  assert_eq "$live" "$([ "$X" -lt "$Y" ] && echo "$X" || echo "$Y")" "wrong link: the merged entity keeps the smaller id"
  assert_eq "$(q "SELECT merged_into FROM entity WHERE id = $lost")" "$live" "wrong link: $lost is merged into $live"
  assert_eq "$(carrier "$J")" "$live" "while linked, the decision is carried by the entity holding X's record"
  no_twice "linked $X $Y"
  S unlink "$XREF" >"$T/out" || die "unlink $XREF failed"
  assert_contains "$T/out" "the judgements it contradicts are removed"
  rerun
  assert_eq "$(ent_of "$XREF")" "$X" "after unlink $XREF, X gets back its own id (Y=$Y)"
  assert_eq "$(ent_of "$YREF")" "$Y" "after unlink $XREF, Y gets back its own id"
  assert_eq "$(q "SELECT count(*) FROM entity WHERE id IN ($X, $Y) AND merged_into IS NULL")" 2 "X and Y are both live again"
  assert_eq "$(members)" "$BASE_MEMBERS" "after the undo every record is back in its entity (Y=$Y)"
  assert_eq "$(carrier "$J")" "$X" "the decision is carried by X again (Y=$Y)"
  assert_eq "$(q "SELECT count(*) FROM judgement_place WHERE judgement_id = $J")" 1 "the decision's records are in one entity"
  assert_eq "$(q "SELECT count(*) FROM judgement_place WHERE judgement_id = $J AND entity_id = $Y")" 0 "Y holds none of the decision's records"
  S decisions list >"$T/out" || die "decisions list failed"
  assert_eq "$(awk -v j="$J" '$1 == j { print $2 }' "$T/out")" "$X" "decisions list: the decision is on X, not split (*)"
  grep -q "split across entities" "$T/out" && die "decisions list speaks of a split when nothing is split"
  S explain "$X" >"$T/explain_x" || die "explain $X failed"
  assert_contains "$T/explain_x" "decision accompanied on 2025-03-01"
  assert_contains "$T/explain_x" "QUALIFIED"
  S explain "$Y" >"$T/explain_y" || die "explain $Y failed"
  grep -q accompanied "$T/explain_y" && die "Y ($Y) is shown as accompanied after the undo: $(cat "$T/explain_y")"
  assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = $X")" 1 "accompanied X is in the qualified list"
  assert_eq "$(q "SELECT count(*) FROM selection WHERE why LIKE '%accompanied%' AND entity_id <> $X")" 0 "only X is selected for the decision"
  no_twice "unlinked $XREF"
  S judgements list | grep -q "NEEDS REVIEW" && die "after the undo a judgement needs review"
done
# the same undo on a multi-record X, by `unlink A B` (apart): the pair stays apart, nothing else moves
fresh s2_multi
X2=$YHI
X2REF=$(first_ref "$X2")
YREF=$(first_ref "$YLO")
out=$(S decide "$X2" invested --date 2025-04-01) || die "decide failed"
J=$(jid "$out")
S link "$X2REF" "$YREF" >/dev/null || die "link failed"
rerun
assert_eq "$(carrier "$J")" "$YLO" "multi-record X linked into Y: the live entity carries the decision"
S unlink "$X2REF" "$YREF" >"$T/out" || die "unlink A B failed"
assert_contains "$T/out" "the judgements it contradicts are removed"
rerun
assert_eq "$(members)" "$BASE_MEMBERS" "unlink A B undoes the wrong link exactly"
assert_eq "$(carrier "$J")" "$X2" "the decision is back on the multi-record startup"
no_twice "unlink A B"
# a startup split (unlink A), the part holding its id wrongly linked into an older startup, then
# both undone: the startup gets its own id back, not the new id its other part carried meanwhile
fresh s2_split
Z=$YHI W=$YLO
Z1=$(first_ref "$Z")
out=$(S decide "$Z" cocreation --date 2025-04-02) || die "decide failed"
J=$(jid "$out")
out=$(S unlink "$Z1") || die "unlink $Z1 failed"
JA=$(jid "$out")
rerun
assert_eq "$(ent_of "$Z1")" "$Z" "split: the part with the earliest record keeps the id"
ZREST=$(q "SELECT entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE substr(r.source_key, 3) = '$(k=${Z1#*:}; echo "${k:2}")' AND r.source || ':' || r.source_key <> '$Z1' LIMIT 1")
[ "$ZREST" -gt 60 ] || die "split: the other part has id $ZREST, expected a new id"
assert_eq "$(carrier "$J")" "$(q "SELECT entity_id FROM judgement_place WHERE judgement_id = $J ORDER BY records DESC, entity_id LIMIT 1")" "split: the decision is on the part with most records"
grep -q "NEEDS REVIEW" <<<"$(S judgements list)" || die "split: the decision on a split startup does not need review"
S decisions list >"$T/out" || die "decisions list failed"
assert_eq "$(awk -v j="$J" '$1 == j { print $2 }' "$T/out")" "$(carrier "$J")*" "decisions list marks the split decision with *"
assert_contains "$T/out" "split across entities"
out=$(S link "$Z1" "$(first_ref "$W")") || die "link failed"
JL=$(jid "$out")
rerun
assert_eq "$(ent_of "$Z1")" "$W" "split + wrong link: the part joins the older startup's id"
assert_eq "$(q "SELECT count(*) FROM entity WHERE id = $Z AND merged_into IS NULL")" 1 "split + wrong link: $Z stays live (its other part takes it back)"
S judgements remove "$JL" >/dev/null || die "remove failed"
S judgements remove "$JA" >/dev/null || die "remove failed"
rerun
assert_eq "$(members)" "$BASE_MEMBERS" "split, wrong link, both undone: every record back in its entity"
assert_eq "$(carrier "$J")" "$Z" "split, wrong link, both undone: the decision is on the startup"
assert_eq "$(q "SELECT count(*) FROM entity WHERE id IN ($Z, $W) AND merged_into IS NULL")" 2 "both ids live again"
no_twice "split undone"
# the undo typed with entity ids while X is merged into Y: `unlink X Y` names the record born in X
# and Y's, not the live entity's first record twice
fresh s2_ids
out=$(S decide "$X" accompanied --date 2025-03-01) || die "decide failed"
J=$(jid "$out")
S link "$X" "$YLO" >/dev/null || die "link failed"
rerun
assert_eq "$(q "SELECT merged_into FROM entity WHERE id = $X")" "$YLO" "fixture: X is merged into Y"
S unlink "$X" "$YLO" >"$T/out" 2>"$T/err" || die "unlink $X $YLO by ids while merged failed: $(cat "$T/err")"
assert_contains "$T/err" "entity $X was merged into $YLO"
assert_contains "$T/out" "apart $(printf '%s\n%s\n' "$XREF" "$(first_ref "$YLO")" | sort | head -1)"
rerun
assert_eq "$(members)" "$BASE_MEMBERS" "unlink X Y by ids undoes the wrong link"
assert_eq "$(carrier "$J")" "$X" "unlink X Y by ids: the decision is on X"
no_twice "unlink by ids"
echo "INFO: $NAME: issue scenario: X=$X (1 record) linked to $YLO and to $YHI, and a 2-3 record startup: ids and decisions restored"

# ---------------------------------------------------------------- 3. pin clear on a merged id
fresh s3
out=$(S pin "$X" in) || die "pin in failed"
JP=$(jid "$out")
S link "$X" "$YLO" >/dev/null || die "link failed"
rerun
assert_eq "$(q "SELECT merged_into FROM entity WHERE id = $X")" "$YLO" "fixture: X is merged into Y"
assert_eq "$(carrier "$JP")" "$YLO" "X's pin is carried by the live entity"
S pin "$X" clear >"$T/out" 2>"$T/err" || die "pin $X clear failed: $(cat "$T/err")"
assert_contains "$T/err" "was merged into $YLO"
assert_contains "$T/out" "pin cleared"
assert_eq "$(q "SELECT count(*) FROM judgement_active WHERE id = $JP")" 0 "pin clear on a merged id removes X's pin"
S pin "$X" clear >"$T/out" 2>/dev/null || die "pin clear (again) failed"
assert_contains "$T/out" "nothing to clear"
out=$(S pin "$X" out 2>"$T/err") || die "pin on a merged id failed"
assert_contains "$T/err" "entity $X was merged into $YLO; using $YLO"
grep -q "entity $YLO: pinned out" <<<"$out" || die "pin on a merged id: '$out' does not name the live entity $YLO"
JP2=$(jid "$out")
rerun
assert_eq "$(q "SELECT qualified FROM selection WHERE entity_id = $YLO")" 0 "pinned out through the merged id"
assert_eq "$(q "SELECT count(*) FROM selection WHERE entity_id = $X")" 0 "the merged id is not in the selection"
S pin "$X" clear >"$T/out" 2>/dev/null || die "pin clear failed"
assert_contains "$T/out" "pin cleared"
assert_eq "$(q "SELECT count(*) FROM judgement_active WHERE id = $JP2")" 0 "pin clear removes the pin placed on the live entity"
rerun
assert_eq "$(q "SELECT CASE WHEN why LIKE '%pinned%' THEN 1 ELSE 0 END FROM selection WHERE entity_id = $YLO")" 0 "cleared pin no longer applies at the next scoring"
no_twice "pin clear"
# two startups pinned, wrongly merged: pinning or clearing the merged entity says whose pins go
fresh s3b
S pin "$X" in >/dev/null || die "pin X failed"
S pin "$YLO" out >/dev/null || die "pin Y failed"
S link "$X" "$YLO" >/dev/null || die "link failed"
rerun
S pin "$YLO" clear >"$T/out" 2>"$T/err" || die "pin clear on a merged entity failed"
assert_contains "$T/err" "carries pins made on other startups now in it"
assert_contains "$T/err" "made on entity $X"
assert_contains "$T/err" "clearing all of them"

# ---------------------------------------------------------------- 4. seeded random walks
cat >"$T/walk.py" <<'PY'
"""Random walk over link / unlink A B / unlink A / judgements remove / relink / rerun, checked
after every rerun and at the end against the entities as they were before (the ground truth)."""
import random, re, subprocess, sys
import dbq
SP, ASOF, SEED, STEPS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(SEED)
tag = "seed %d" % SEED
DB = [l.split("=", 1)[1].strip() for l in open("sparker.ini") if re.match(r"database\s*=", l)][-1]
LOG = open("walk.log", "w")  # every command and its output, for a failure's post-mortem

def fail(msg):
    print("FAIL: %s: %s" % (tag, msg), file=sys.stderr)
    sys.exit(1)

def sp(*args, ok=True):
    r = subprocess.run([SP, "-c", "sparker.ini"] + [str(a) for a in args], capture_output=True, text=True)
    print("sparker %s -> %d %s" % (" ".join(map(str, args)), r.returncode, (r.stdout + r.stderr).strip()[:160]), file=LOG)
    if ok and r.returncode != 0:
        fail("sparker %s: exit %d: %s%s" % (" ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
    return r

def q(sql, *p):
    con = dbq.connect(DB, timeout=10)
    try:
        return con.execute(sql, p).fetchall()
    finally:
        con.close()

def jid(out):
    m = re.search(r"\(judgement (\d+)", out)
    if not m:
        fail("no judgement id in: %s" % out)
    return int(m.group(1))

def membership():
    return {ref: e for ref, e in q("SELECT r.source || ':' || r.source_key, m.entity_id FROM member m JOIN record r ON r.id = m.record_id")}

def rerun():
    sp("run", "--from", "dedupe", "--as-of", ASOF)

ORIG = membership()
STARTUP = {ref: e for ref, e in ORIG.items()}          # record -> its startup (original entity)
RECS = {}
for ref, e in ORIG.items():
    RECS.setdefault(e, []).append(ref)
ALL = sorted(ORIG)

def check(final):
    where = "final" if final else "mid-walk"
    mem = membership()
    if len(mem) != q("SELECT count(*) FROM record")[0][0]:
        fail("%s: a record is in no entity" % where)
    dead = q("SELECT DISTINCT m.entity_id FROM member m JOIN entity e ON e.id = m.entity_id WHERE e.merged_into IS NOT NULL")
    if dead:
        fail("%s: records in merged entities %s" % (where, dead))
    # every pin/decision in force: carried by the entity holding most of its records (ties: the
    # smaller id), never by one holding none; split -> needs review
    place = {}
    for j, e, n, c, parts in q("SELECT judgement_id, entity_id, records, carries, parts FROM judgement_place"):
        place.setdefault(j, []).append((e, n, c, parts))
    listing = sp("judgements", "list").stdout
    dlist = {int(l.split()[0]): l.split()[1] for l in sp("decisions", "list").stdout.splitlines() if l[:1].isdigit()}
    for j, kind in q("SELECT id, kind FROM judgement_active WHERE kind IN ('pin', 'decision', 'note')"):
        anchors = [r for (r,) in q("SELECT source || ':' || source_key FROM judgement_record WHERE judgement_id = ?", j)]
        count = {}
        for r in anchors:
            count[mem[r]] = count.get(mem[r], 0) + 1
        want = sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        got = [e for e, n, c, parts in place.get(j, []) if c]
        if got != [want]:
            fail("%s: %s %d on records %s is carried by %s, expected entity %d (counts %s)" % (where, kind, j, anchors, got, want, count))
        if {e for e, n, c, parts in place[j]} != set(count):
            fail("%s: judgement_place of %d lists %s, the records are in %s" % (where, j, place[j], count))
        block = re.search(r"^#%d .*?(?=^#|\Z)" % j, listing, re.S | re.M)
        if not block or ("NEEDS REVIEW" in block.group(0)) != (len(count) > 1):
            fail("%s: judgements list of %d: %s (records in %d entities)" % (where, j, block and block.group(0), len(count)))
        if kind == "decision" and dlist.get(j) != "%d%s" % (want, "*" if len(count) > 1 else ""):
            fail("%s: decisions list puts %d on %s, expected %d" % (where, j, dlist.get(j), want))
        if final and (want != STARTUP[anchors[0]] or len(count) != 1):
            fail("final: %s %d is on %s, expected its startup's entity %d alone" % (kind, j, count, STARTUP[anchors[0]]))
    # the selection follows the carriers: the latest pin wins, else a decision that pins in
    sel = dict(q("SELECT entity_id, qualified FROM selection"))
    want_sel = {}
    for e, kind, value in q("SELECT p.entity_id, j.kind, j.value FROM judgement_active j JOIN judgement_place p"
                            " ON p.judgement_id = j.id AND p.carries = 1 WHERE j.kind IN ('pin', 'decision') ORDER BY j.kind = 'pin', j.id"):
        if kind == "pin":
            want_sel[e] = ("pin", 1 if value == "in" else 0)
        elif value != "declined" and e not in want_sel:
            want_sel[e] = ("decision", 1)
    for e, (why, qual) in want_sel.items():
        if sel.get(e) != qual:
            fail("%s: entity %d carries a %s but qualified = %s" % (where, e, why, sel.get(e)))
    if q("SELECT count(*) FROM selection s JOIN entity e ON e.id = s.entity_id WHERE e.merged_into IS NOT NULL")[0][0]:
        fail("%s: a merged entity is in the selection" % where)
    if final:
        if mem != ORIG:
            moved = sorted((r, ORIG[r], mem[r]) for r in ORIG if mem[r] != ORIG[r])
            fail("final: records not in their original entity (record, was, now): %s" % moved[:10])
        if "NEEDS REVIEW" in listing:
            fail("final: judgements list shows NEEDS REVIEW")
        twice = q("SELECT substr(r.source_key, 3) k FROM selection s JOIN member m ON m.entity_id = s.entity_id"
                  " JOIN record r ON r.id = m.record_id WHERE s.qualified = 1 GROUP BY k HAVING count(DISTINCT s.entity_id) > 1")
        if twice:
            fail("final: startups listed twice: %s" % twice)

def pair_apart():  # two records of two different startups
    while True:
        a, b = rnd.sample(ALL, 2)
        if STARTUP[a] != STARTUP[b]:
            return a, b

# decisions and pins on several startups (ids or SOURCE:KEY, several analysts)
ents = sorted(RECS)
chosen = rnd.sample(ents, 8)
marks = []
for i, e in enumerate(chosen):
    arg = e if i % 2 else RECS[e][0]
    user = ["--user", rnd.choice(["alice", "bob", "carol"])]
    if i < 5:
        d = ["accompanied", "cocreation", "invested", "declined", "accompanied"][i]
        marks.append(jid(sp(*user, "decide", arg, d, "--date", "2025-0%d-1%d" % (1 + i, i)).stdout))
    if i >= 3:
        marks.append(jid(sp(*user, "pin", arg, rnd.choice(["in", "out"])).stdout))
rerun()
check(False)
BASE_SEL = q("SELECT entity_id FROM selection WHERE qualified = 1 ORDER BY 1")

links = []  # (a, b) every link made
ops = {"link": 0, "apart": 0, "alone": 0, "remove": 0, "relink": 0, "rerun": 0}
def active(kinds):
    return q("SELECT id, kind, a, b FROM judgement_active WHERE kind IN (%s) ORDER BY id" % ",".join("'%s'" % k for k in kinds))

def do_link(a, b):
    r = sp("link", a, b, ok=False)
    if r.returncode == 0:
        m = re.search(r"link (\S+) (\S+) \(judgement", r.stdout)
        links.append((m.group(1), m.group(2)))
    elif "same record" not in r.stderr:
        fail("link %s %s: %s" % (a, b, r.stderr))

# first: a wrong link from a decided startup's record, in force at a rerun
dec_ent = chosen[0]
other = rnd.choice([e for e in ents if e != dec_ent])
do_link(rnd.choice(RECS[dec_ent]), rnd.choice(RECS[other]))
ops["link"] += 1
rerun()
check(False)
mem = membership()
held = {mem[r] for r in RECS[dec_ent]}
if mem[RECS[other][0]] not in held:
    fail("the wrong link did not join startups %d and %d" % (dec_ent, other))
if q("SELECT entity_id FROM judgement_place WHERE judgement_id = ? AND carries = 1", marks[0])[0][0] not in held:
    fail("while wrongly linked, decision %d is not on an entity holding its startup's records" % marks[0])
for step in range(STEPS):
    op = rnd.choice(["link", "link", "link", "apart", "apart", "alone", "remove", "remove", "relink", "rerun", "rerun", "rerun"])
    ops[op] += 1
    if op == "link":  # a wrong link: records, or entity ids (their earliest record) now and then;
        a, b = pair_apart()  # often from a record taken out of its startup (unlink A) in force
        alone = [x for _, _, x, _ in active(["alone"])]
        if alone and rnd.random() < 0.5:
            a = rnd.choice(alone)
            b = rnd.choice([r for r in ALL if STARTUP[r] != STARTUP[a]])
        elif rnd.random() < 0.3:
            a, b = membership()[a], membership()[b]
        do_link(a, b)
    elif op == "apart":  # unlink A B: often the pair of a wrong link in force, else any two startups
        cand = [(x, y) for _, _, x, y in active(["link"]) if STARTUP[x] != STARTUP[y]]
        a, b = rnd.choice(cand) if cand and rnd.random() < 0.7 else pair_apart()
        sp("unlink", a, b)
    elif op == "alone":  # unlink A: a record of a wrong link, or of a decided startup
        cand = [x for _, _, x, y in active(["link"])] + [y for _, _, x, y in active(["link"])]
        multi = [e for e in chosen if len(RECS[e]) > 1] or chosen
        a = rnd.choice(cand) if cand and rnd.random() < 0.4 else rnd.choice(RECS[rnd.choice(multi)])
        sp("unlink", a)
    elif op == "remove":
        cand = active(["link", "alone", "apart"])
        if cand:
            sp("judgements", "remove", rnd.choice(cand)[0])
    elif op == "relink":
        gone = [p for p in links if not q("SELECT 1 FROM judgement_active WHERE kind = 'link' AND a = ? AND b = ?", *p)]
        if gone:
            do_link(*rnd.choice(gone))
    else:
        rerun()
        check(False)
rerun()
check(False)
# undo every wrong link (and every unlink A): by remove, or by unlink A B
for j, kind, a, b in active(["link", "alone"]):
    if kind == "link" and STARTUP[a] != STARTUP[b] and rnd.random() < 0.5:
        sp("unlink", a, b)
    else:
        sp("judgements", "remove", j)
for j, kind, a, b in active(["apart"]):
    if STARTUP[a] == STARTUP[b]:
        fail("an unlink A B in force splits a startup: %s %s" % (a, b))
rerun()
check(True)
sel = q("SELECT entity_id FROM selection WHERE qualified = 1 ORDER BY 1")
if sel != BASE_SEL:
    fail("final: qualified %s, before the walk %s" % ([e for (e,) in sel], [e for (e,) in BASE_SEL]))
print("INFO: %s: %s" % (tag, ", ".join("%s x%d" % kv for kv in ops.items())))
PY
for seed in $(seq 1 "${JT_SEEDS:-6}"); do
  fresh "walk$seed"
  python3 "$T/walk.py" "$SP" "$ASOF" "$seed" "${JT_STEPS:-20}" || { cp walk.log "${WALK_KEEP:-/dev/null}" 2>/dev/null || :; die "random walk, seed $seed (last commands: $(tail -n 12 walk.log))"; }
done

# ---------------------------------------------------------------- 5. an unchanged rerun changes no id
cd "$T/walk1"
rows() { q "SELECT record_id, entity_id, rule, score, peer_record_id, home_id FROM member ORDER BY record_id"
         q "SELECT id, merged_into, nsources FROM entity ORDER BY id"
         q "SELECT entity_id, qualified FROM selection ORDER BY entity_id"; }
before=$(rows)
S run --stage dedupe --as-of "$ASOF" >/dev/null 2>&1 || die "run --stage dedupe failed"
S run --stage score --as-of "$ASOF" >/dev/null 2>&1 || die "run --stage score failed"
assert_eq "$(rows)" "$before" "an unchanged rerun (dedupe, score) changed the member, entity or selection table"
nightly
assert_eq "$(rows)" "$before" "an unchanged nightly rerun changed the member, entity or selection table"

# ---------------------------------------------------------------- 6. export -> fresh database -> import
# A burst at one instant first: a pin toggled in/out/in, two startups pinned, two decided alike in
# one import, a link removed and made again — each identical to another row but for its records
# or its place in the history.
P1=$(q "SELECT entity_id FROM member GROUP BY entity_id ORDER BY entity_id DESC LIMIT 1 OFFSET 1")
P2=$(q "SELECT entity_id FROM member GROUP BY entity_id ORDER BY entity_id DESC LIMIT 1 OFFSET 2")
for d in in out in; do S pin "$P1" "$d" >/dev/null || die "pin failed"; done
S pin "$P2" in >/dev/null || die "pin failed"
printf 'record,decision,date,note\n%s,accompanied,2025-05-26,burst\n%s,accompanied,2025-05-26,burst\n' "$(first_ref "$P1")" "$(first_ref "$P2")" >"$T/burst.csv"
S decisions import "$T/burst.csv" >/dev/null || die "decisions import failed"
L1=$(first_ref "$P1"); L2=$(first_ref "$X")
out=$(S link "$L1" "$L2") || die "link failed"
S judgements remove "$(jid "$out")" >/dev/null || die "remove failed"
S link "$L1" "$L2" >/dev/null || die "relink failed"
rerun
no_twice "before export"
S judgements export -o "$T/j.csv" || die "judgements export failed"
nj=$(($(wc -l <"$T/j.csv") - 1))
assert_eq "$nj" "$(q "SELECT count(*) FROM judgement")" "export writes every judgement, removed ones and removes included"
# what a database's judgements, entities and selection are, without its own judgement ids
state() {
  members
  q "SELECT 'live ' || id FROM entity e WHERE merged_into IS NULL AND EXISTS (SELECT 1 FROM member m WHERE m.entity_id = e.id) ORDER BY id"
  q "SELECT 'Q ' || entity_id FROM selection WHERE qualified = 1 ORDER BY 1"
  python3 - "$(cfg_db)" <<'PY' # each judgement in force with its records (no group_concat: portable)
import dbq, sys
c = dbq.connect(sys.argv[1])
recs = {}
for j, x in c.execute("SELECT judgement_id, source || ':' || source_key FROM judgement_record ORDER BY 2"):
    recs.setdefault(j, []).append(x)
out = ["%s %s %s %s %s on %s -> %s by %s" % (k, v or "", d or "", a or "", b or "", " ".join(recs.get(j, [])),
       "-" if e is None else e, u) for j, k, v, d, a, b, e, u in c.execute(
       "SELECT j.id, j.kind, j.value, j.date, j.a, j.b, p.entity_id, j.\"user\" FROM judgement_active j"
       " LEFT JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1")]
print("\n".join(sorted(out, key=lambda l: l.encode())))
PY
}
want=$(state)
mkdir -p "$T/fresh"
cp -r "$B/src" "$B/sparker.ini" "$T/fresh/"
cd "$T/fresh"
[ "$BACKEND" = sqlite ] || sed -i "s|^database *=.*|database = $(test_db fresh)|" sparker.ini # an empty one
nightly
S judgements import "$T/j.csv" >"$T/out" || die "judgements import failed: $(cat "$T/out")"
assert_contains "$T/out" "$nj judgements imported, 0 already here, 0 bad lines"
rerun
assert_eq "$(state)" "$want" "export -> fresh database -> import: entities, ids, selection or judgements differ"
no_twice "after import"
S judgements import "$T/j.csv" >"$T/out" || die "judgements import (again) failed"
assert_contains "$T/out" "0 judgements imported, $nj already here, 0 bad lines"
assert_eq "$(q "SELECT count(*) FROM judgement")" "$nj" "importing again added judgements"
rerun
assert_eq "$(state)" "$want" "importing again changed something"
# a bad line: reported as FILE:LINE:, the good ones imported, exit 1
{ head -1 "$T/j.csv"; echo '1,note,,,,,alpha:A-0,,,hello,dave,2025-07-01T00:00:00Z,cli,,'
  echo '2,maybe,,,,,,,,,dave,2025-07-01T00:00:00Z,cli,,'; echo '3,pin,in,,,'; } >"$T/bad.csv"
S judgements import "$T/bad.csv" >"$T/out" 2>"$T/err" && die "judgements import of a bad file succeeded"
assert_contains "$T/err" "bad.csv:3: unknown judgement kind 'maybe'"
assert_contains "$T/err" "bad.csv:4: 6 columns, expected 15"
assert_contains "$T/err" "1 judgement imported, 0 already here, 2 bad lines"
echo "INFO: $NAME: export/import: $nj judgements, $(q "SELECT count(*) FROM judgement_active") in force, same entities, ids and selection"

# ---------------------------------------------------------------- 7. decisions import
fresh s7
R1=$(first_ref 3); R2=$(first_ref 4); R3=$(first_ref 5)
cat >"$T/dec.csv" <<CSV
record,decision,date,note
$R1,accompanied,2025-04-01,committee of April
$R2,declined,2025-04-02,
$R3,invested,2099-01-01,signed early
$R1,maybe,2025-04-01,
$R2,invested,2025-05-01,changed its mind
nosuch:KEY-1,accompanied,2025-01-01,
CSV
S decisions import "$T/dec.csv" >"$T/out" 2>"$T/err" && die "decisions import with bad lines succeeded"
assert_contains "$T/err" "dec.csv:4: warning: date 2099-01-01 is in the future"
assert_contains "$T/err" "dec.csv:5: unknown decision 'maybe'"
assert_contains "$T/err" "dec.csv:7: "
assert_contains "$T/err" "has contradicting decisions"
assert_contains "$T/err" "4 decisions imported"
assert_eq "$(q "SELECT p.entity_id || ' ' || j.value || ' ' || j.date FROM judgement_active j JOIN judgement_place p
               ON p.judgement_id = j.id AND p.carries = 1 WHERE j.kind = 'decision' ORDER BY j.id" | paste -sd';')" \
  "3 accompanied 2025-04-01;4 declined 2025-04-02;5 invested 2099-01-01;4 invested 2025-05-01" "decisions import: what landed where"
assert_eq "$(S decisions list | awk '$1 ~ /^[0-9]+$/ { print $2 }' | paste -sd' ')" "3 4 5 4" "decisions list: the entities"
S decisions import "$T/dec.csv" >/dev/null 2>"$T/err" && die "decisions import with bad lines succeeded (again)"
assert_contains "$T/err" "0 decisions imported, 0 with a new note, 4 already recorded"
S decide 6 accompanied --date 2099-02-02 >/dev/null 2>"$T/err" || die "decide with a future date failed"
assert_contains "$T/err" "warning: decision date 2099-02-02 is in the future"

# ---------------------------------------------------------------- 8. who made each judgement
S --user alice note 7 "met at the fair" >/dev/null || die "note --user failed"
SPARKER_USER=bob S pin 7 in >/dev/null || die "pin with SPARKER_USER failed"
SPARKER_USER=bob S --user carol decide 7 cocreation --date 2025-06-01 >/dev/null || die "decide failed"
assert_eq "$(q "SELECT kind || ':' || \"user\" FROM judgement WHERE kind IN ('note', 'pin', 'decision') AND entity_id = 7 ORDER BY id" | paste -sd' ')" \
  "note:alice pin:bob decision:carol" "the judgement table's user column (--user, SPARKER_USER, --user over SPARKER_USER)"
S judgements list 7 >"$T/out" || die "judgements list 7 failed"
assert_contains "$T/out" "by alice"
assert_contains "$T/out" "by bob"
assert_contains "$T/out" "by carol"
echo "INFO: $NAME: decisions import, users; $((SECONDS - t0))s"
echo "PASS"
