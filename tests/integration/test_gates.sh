#!/usr/bin/env bash
# test_gates.sh — quality gates (connectors/gate.h): a bad night never reaches management.
#
# A Companies House source of 400 generated rows and a small mapped-CSV source, served by the
# test HTTP server on 127.0.0.1. Night 1 loads both through the nightly job. Then the registry
# serves, night after night, an empty-but-valid file (header only), a garbage file, and a
# truncated one (3 rows): each time the run exits 4, its message names the source and the gate,
# `status` shows the held snapshot, the raw store holds the new file, and records, members,
# entities and the selection are unchanged (table dumps compared); the other source goes ahead.
# `sparker accept ch` applies the truncated file and the next run carries it through; accepting
# again says nothing is held (exit 1). Then: a per-source max_gone_pct = 100 lets a drop through;
# min_rows from [sparker] with a per-source override; max_reject_pct (held, rejects kept for
# `export rejects`, then raised per source); a file whose every row is rejected fails even with
# the gates off; max_age_days on a source not fetched for days.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

W=$T/www D=$T/w
mkdir -p "$W" "$D"
# ---- the files the registry will serve ------------------------------------------------------
python3 - "$ROOT/demo/sources/companies_house.csv" "$W" <<'PY'
import csv, random, sys
header_line = open(sys.argv[1], encoding="utf-8").readline()
out = sys.argv[2]
cols = [c.strip() for c in next(csv.reader([header_line]))]
rnd = random.Random(15)
a = ["Volt", "Grid", "Axle", "Torque", "Fleet", "Spark", "Lumen", "Cobalt", "Orbit", "Piston",
     "Sensor", "Route", "Pixel", "Harbor", "Quartz", "Falcon", "Maple", "Tundra", "Nimbus", "Vertex"]
b = ["Labs", "Motors", "Energy", "Systems", "Works", "Mobility", "Robotics", "Analytics", "Dynamics", "Charge"]
sic = ["29100 - Manufacture of motor vehicles", "27200 - Manufacture of batteries and accumulators",
       "62012 - Business and domestic software development", "45200 - Maintenance and repair of motor vehicles"]
def row(i, name):
    v = {c: "" for c in cols}
    v["CompanyName"] = name
    v["CompanyNumber"] = "%08d" % (10000000 + i)
    v["RegAddress.PostTown"] = "LONDON"
    v["RegAddress.Country"] = "UNITED KINGDOM"
    v["RegAddress.PostCode"] = "EC1A 1BB"
    v["CompanyCategory"] = "Private Limited Company"
    v["CompanyStatus"] = "Active"
    v["CountryOfOrigin"] = "United Kingdom"
    v["IncorporationDate"] = "%02d/%02d/%d" % (1 + i % 28, 1 + i % 12, 2016 + i % 9)
    v["SICCode.SicText_1"] = sic[i % 4]
    return [v[c] for c in cols]
names = set()
rows = []
i = 0
while len(rows) < 400:
    n = "%s %s %s %s LTD" % (rnd.choice(a), rnd.choice(a), rnd.choice(b), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i % 26] * (1 + i % 3))
    i += 1
    if n in names:
        continue
    names.add(n)
    rows.append(row(len(rows), n))
def write(name, body):
    with open("%s/%s" % (out, name), "w", encoding="utf-8", newline="") as f:
        f.write(header_line)
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for r in body:
            w.writerow(r)
write("full.csv", rows)
write("trunc.csv", rows[:3])
write("empty.csv", [])
ni = cols.index("CompanyName")
write("rejects.csv", [r[:ni] + [""] + r[ni + 1:] if k % 13 == 0 else r for k, r in enumerate(rows)])  # 31 of 400: 7.75 %
write("allrej.csv", [r[:ni] + [""] + r[ni + 1:] for r in rows])
with open("%s/garbage.csv" % out, "w") as f:
    f.write("this is not a registry export\nlorem;ipsum;dolor\n1;2;3\n")
PY
ops_gen_csv "$W/other.csv" 40 2 B
serve() { cp "$W/$1" "$W/ch.csv"; }
serve full.csv
http_start "$W"
U=$HTTP_URL

cd "$D"
DB=$(test_db db/sparker.db)
cat >sparker.ini <<INI
[sparker]
database = $DB
raw_dir = raw
report_dir = reports

[source ch]
format = companies_house
url = $U/ch.csv
mode = snapshot
retries = 1

[source other]
format = csv
url = $U/other.csv
mode = snapshot
map.key = id
map.name = name
map.country = country
map.city = city
map.website = website
map.founded = founded
map.status = status
map.categories = categories
categories_sep = ;
map.description = description

[job nightly]
stages = fetch parse normalise dedupe score

$OPS_TAX
INI
q() { sq "$DB" "$1"; }
run() { set +e; "$SP" -c sparker.ini "$@" >"$T/out" 2>"$T/err"; RC=$?; set -e; }
nightly() { run run --job nightly --as-of "$1"; }
set_key() { # SECTION KEY VALUE: set (or with VALUE "-" remove) KEY in [SECTION]
  python3 - sparker.ini "$@" <<'PY'
import sys
path, sec, key, val = sys.argv[1:]
lines = open(path).read().split("\n")
out, cur, done = [], None, False
for ln in lines:
    s = ln.strip()
    if s.startswith("[") and s.endswith("]"):
        if cur == sec and not done and val != "-":
            out.append("%s = %s" % (key, val)); done = True
        cur = s[1:-1]
    elif cur == sec and s.split("=")[0].strip() == key:
        continue
    out.append(ln)
if cur == sec and not done and val != "-":
    out.append("%s = %s" % (key, val))
open(path, "w").write("\n".join(out))
PY
}
dump() { # the state management sees: records of ch, members, entities, selection, what is applied
  q "SELECT source, source_key, gone, fetch_id, line, last_seen, hash FROM record WHERE source='ch' ORDER BY source_key"
  q "SELECT record_id, entity_id, rule FROM member ORDER BY record_id"
  q "SELECT id, name, merged_into, active, cohort, nsources FROM entity ORDER BY id"
  q "SELECT entity_id, cohort, qualified, rank FROM selection ORDER BY entity_id"
  q "SELECT count(*) FROM candidate"
  q "SELECT parsed_fetch FROM source_state WHERE source='ch'"
}
raw_has() { [ -f "raw/ch/$(sha256sum "$W/$1" | cut -d' ' -f1).csv" ] || die "raw store lacks $1: $(ls raw/ch)"; }
live() { q "SELECT count(*) FROM record WHERE source='$1' AND gone=0"; }

# ---- night 1: the full registry ---------------------------------------------------------------
nightly 2025-03-01
assert_eq "$RC" 0 "night 1: $(cat "$T/err")"
assert_eq "$(live ch)" 400 "night 1: ch loaded"
assert_eq "$(live other)" 40 "night 1: other loaded"
[ "$(q "SELECT count(*) FROM selection WHERE qualified=1")" -gt 0 ] || die "night 1: an empty shortlist"
[ "$(q "SELECT count(*) FROM member m JOIN record r ON r.id=m.record_id WHERE r.source='ch'")" = 400 ] || die "night 1: members"
dump >"$T/before"

# ---- bad nights: each held, nothing changes ---------------------------------------------------
bad_night() { # FILE AS_OF GATE TEXT...: served, held by GATE, state unchanged
  local file=$1 asof=$2 gate=$3; shift 3
  serve "$file"
  nightly "$asof"
  assert_eq "$RC" 4 "$file: a held snapshot makes the run partial: $(cat "$T/err")"
  assert_eq "$(q "SELECT status FROM run ORDER BY id DESC LIMIT 1")" partial "$file: run status"
  local msg; msg=$(tail -1 "$T/err")
  case $msg in *"source ch: "*) ;; *) die "$file: the closing message names no source: $msg" ;; esac
  case $msg in *"$gate"*) ;; *) die "$file: the closing message names no gate $gate: $msg" ;; esac
  for t in "$@"; do case $msg in *"$t"*) ;; *) die "$file: message lacks '$t': $msg" ;; esac; done
  assert_eq "$(q "SELECT status FROM stage_run WHERE run_id=(SELECT max(id) FROM run) AND stage='parse' AND source='ch'")" failed "$file: parse ch failed"
  assert_eq "$(q "SELECT status FROM stage_run WHERE run_id=(SELECT max(id) FROM run) AND stage='parse' AND source='other'")" ok "$file: other source went ahead"
  assert_eq "$(q "SELECT count(*) FROM stage_run WHERE run_id=(SELECT max(id) FROM run) AND stage='score' AND status='ok'")" 1 "$file: the run finished"
  raw_has "$file"
  local held; held=$(q "SELECT id FROM \"fetch\" WHERE source='ch' ORDER BY id DESC LIMIT 1")
  assert_eq "$(q "SELECT fetch_id || ' ' || gate FROM gate_hold WHERE source='ch'")" "$held $gate" "$file: gate_hold"
  dump >"$T/after"
  diff "$T/before" "$T/after" >"$T/diff" || die "$file: the held snapshot changed the data: $(head -20 "$T/diff")"
  run status
  assert_eq "$RC" 0 "status"
  grep -q "HELD snapshot fetch $held, not applied: gate $gate" "$T/out" || die "$file: status does not show the hold: $(cat "$T/out")"
  grep -q "sparker accept ch" "$T/out" || [ "$gate" = unreadable ] || die "$file: status does not say how to accept"
}
bad_night empty.csv 2025-03-02 max_gone_pct "100.0 % of live records would be gone" "gate max_gone_pct = 20" "sparker accept ch"
bad_night garbage.csv 2025-03-03 unreadable "not a Companies House BasicCompanyData file"
bad_night trunc.csv 2025-03-04 max_gone_pct "3 rows" "397 of 400" "gate max_gone_pct = 20" "not applied"
# the same bad file the next night: still held (fetch unchanged, parse tries again)
nightly 2025-03-05
assert_eq "$RC" 4 "the truncated file again: still held"
dump >"$T/after"; diff -q "$T/before" "$T/after" >/dev/null || die "held snapshot applied on the second night"

# ---- the analyst accepts it ----------------------------------------------------------------------
run accept
assert_eq "$RC" 2 "accept without a source"
run accept nosuch
assert_eq "$RC" 2 "accept an unknown source"
run accept other
assert_eq "$RC" 1 "accept with nothing held"
grep -q "holds no snapshot" "$T/err" || die "accept with nothing held: $(cat "$T/err")"
run accept ch
assert_eq "$RC" 0 "accept ch: $(cat "$T/err")"
grep -q "applied" "$T/out" || die "accept says nothing: $(cat "$T/out")"
grep -q "sparker run --from normalise" "$T/out" || die "accept does not say what follows: $(cat "$T/out")"
assert_eq "$(live ch)" 3 "accepted: the records the file lacks are gone"
assert_eq "$(q "SELECT count(*) FROM gate_hold")" 0 "accepted: no hold left"
assert_eq "$(q "SELECT args || ' ' || as_of || ' ' || status FROM run ORDER BY id DESC LIMIT 1")" "accept ch 2025-03-05 ok" "accept is a run as of the held night"
run accept ch
assert_eq "$RC" 1 "accepting twice: nothing held"
nightly 2025-03-06
assert_eq "$RC" 0 "the night after accept: $(cat "$T/err")"
assert_eq "$(q "SELECT count(*) FROM member m JOIN record r ON r.id=m.record_id WHERE r.source='ch'")" 3 "the next run carried the accepted snapshot to members"
assert_eq "$(q "SELECT count(*) FROM candidate c JOIN record r ON r.id=c.record_id WHERE r.source='ch'")" 3 "candidates"

# ---- back to full, then a per-source max_gone_pct = 100 lets a drop through -------------------
serve full.csv
nightly 2025-03-07
assert_eq "$RC" 0 "full again: $(cat "$T/err")"
assert_eq "$(live ch)" 400 "full again"
set_key "source ch" max_gone_pct 100
serve trunc.csv
nightly 2025-03-08
assert_eq "$RC" 0 "max_gone_pct = 100 on the source lets the drop through: $(cat "$T/err")"
assert_eq "$(live ch)" 3 "dropped"
set_key "source ch" max_gone_pct -
serve full.csv
nightly 2025-03-09
assert_eq "$RC" 0 "full again (nothing gone: a rise is no drop)"
assert_eq "$(live ch)" 400 "full again"

# ---- min_rows in [sparker], overridden per source ---------------------------------------------
set_key sparker min_rows 500
set_key "source other" min_rows 0
run run --stage parse --as-of 2025-03-10
assert_eq "$RC" 4 "min_rows = 500: ch (400 rows) held"
grep -q "source ch: snapshot fetch [0-9]*: 400 rows, fewer than the gate min_rows = 500" "$T/err" || die "min_rows message: $(cat "$T/err")"
assert_eq "$(q "SELECT status FROM stage_run WHERE run_id=(SELECT max(id) FROM run) AND source='other'")" ok "the override lets other (40 rows) through"
assert_eq "$(live ch)" 400 "nothing changed"
set_key sparker min_rows -
set_key "source other" min_rows -

# ---- max_reject_pct ---------------------------------------------------------------------------
serve rejects.csv
nightly 2025-03-11
assert_eq "$RC" 4 "31 of 400 rejected (7.8 %) > 5 %: $(cat "$T/err")"
grep -q "source ch: .*31; gate max_reject_pct = 5" "$T/err" || die "max_reject_pct message: $(tail -1 "$T/err")"
held=$(q "SELECT fetch_id FROM gate_hold WHERE source='ch' AND gate='max_reject_pct'")
[ -n "$held" ] || die "no max_reject_pct hold"
assert_eq "$(live ch)" 400 "rejects: nothing applied"
run export rejects
assert_eq "$(grep -c "^ch,$held," "$T/out")" 31 "the held snapshot's rejects are kept for export rejects"
set_key "source ch" max_reject_pct 10
nightly 2025-03-12
assert_eq "$RC" 0 "max_reject_pct = 10 on the source lets it through: $(cat "$T/err")"
assert_eq "$(live ch)" 369 "31 rejected rows' records gone (7.75 % of live: under 20 %)"
set_key "source ch" max_reject_pct -

# ---- every row rejected: failed even with the gates off ---------------------------------------
set_key "source ch" max_reject_pct 100
set_key "source ch" max_gone_pct 100
serve allrej.csv
nightly 2025-03-13
assert_eq "$RC" 4 "every row rejected: failed, not ok"
grep -q "source ch: .*400 rows, every one rejected" "$T/err" || die "all rejected message: $(tail -1 "$T/err")"
assert_eq "$(q "SELECT gate FROM gate_hold WHERE source='ch'")" no_valid_rows "all rejected: held"
assert_eq "$(live ch)" 369 "all rejected: nothing gone"
set_key "source ch" max_reject_pct -
set_key "source ch" max_gone_pct -
serve full.csv
nightly 2025-03-14
assert_eq "$RC" 0 "full again: $(cat "$T/err")"
assert_eq "$(q "SELECT count(*) FROM gate_hold")" 0 "a good snapshot drops the hold"

# ---- max_age_days: no fetch for five days ------------------------------------------------------
set_key "source ch" max_age_days 3
run run --from parse --as-of 2025-03-19
assert_eq "$RC" 4 "ch last fetched 5 days before: stale"
grep -q "source ch: last good snapshot 5 days old (last fetched as of 2025-03-14; gate max_age_days = 3)" "$T/err" || die "max_age_days message: $(tail -1 "$T/err")"
assert_eq "$(q "SELECT status FROM stage_run WHERE run_id=(SELECT max(id) FROM run) AND stage='parse' AND source='other'")" ok "other has no max_age_days"
run status
grep -q "GATE max_age_days failed (measured 5, limit 3)" "$T/out" || die "status does not show the stale source: $(cat "$T/out")"
run accept ch
assert_eq "$RC" 1 "nothing to accept for a stale source"
nightly 2025-03-19
assert_eq "$RC" 0 "fetched again: fresh: $(cat "$T/err")"
assert_eq "$(q "SELECT count(*) FROM gate_hold")" 0 "fresh again: no gate failing"
set_key "source ch" max_gone_pct abc
run run --stage parse
[ "$RC" = 4 ] || [ "$RC" = 3 ] || die "a bad limit must fail the source (exit 4) or the config (exit 3), not exit $RC"
grep -q "max_gone_pct.*abc" "$T/err" || die "bad limit message: $(cat "$T/err")"
echo "ok"
