#!/usr/bin/env bash
# test_hubs.sh — hubs (pipeline/hub.h): who and where on every judgement, and the yearly report's
# per-hub breakdown. Sections:
#   1. config errors, each FILE:LINE (exit 3): a code that is not ISO alpha-2, a country in two
#      hubs, [sparker] hub naming no hub, a hub called "other", a misspelt target key; a hub name
#      that is no configured hub through --hub or SPARKER_HUB (exit 2)
#   2. judgements carry user and hub: --hub (any case, over SPARKER_HUB), SPARKER_HUB, the
#      [sparker] hub default; pin, link, note, remove too; no hub without [hub] sections;
#      `judgements list` and `show` say it
#   3. export -> a fresh database -> import carries user and hub; a file without the hub column
#      (written before hubs) still imports, and next to the newer export imports once
#   4. the report: per-hub integrated, qualified and accompanied (PDF text and CSV) equal to counts
#      computed here with sqlite3 from the database and the hubs' countries; targets and where each
#      hub stands; no per-hub section without [hub] sections
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/test_ops_lib.inc"
command -v python3 >/dev/null || skip "python3 is needed to generate the sources"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI is needed"
command -v pdftotext >/dev/null || skip "pdftotext (poppler-utils) is needed"
export SOURCE_DATE_EPOCH=1751328000 # 2025-07-01: "today" for judgements and the report
unset SPARKER_HUB SPARKER_USER
ASOF=2025-06-30
NAME=$(basename "$0" .sh)

HUBS='[hub UK]
countries = GB IE
label = Britain
target_integrated_min = 10
target_integrated_max = 20
target_accompanied = 3

[hub EU]
countries = FR, DE NL;ES IT SE
label = Continent
target_integrated_min = 5

[hub US]
countries = us ca'
B=$T/base
OPS_DB=$(mkdir -p "$B" && cd "$B" && test_db db/sparker.db)
ops_config "$B" "$HUBS"
sed -i 's/^\[sparker\]$/[sparker]\nhub = EU/' "$B/sparker.ini"
cd "$B"
S() { "$SP" -c sparker.ini "$@"; }
q() { sq "$OPS_DB" "$1"; }

# ---------------------------------------------------------------- 1. config errors
bad_config() { # LINE-PATTERN TEXT: the config built from base + TEXT must fail with it
  local want=$1
  printf '%s\n' "$2" > bad.ini
  set +e; "$SP" -c bad.ini check > bad.out 2>&1; rc=$?; set -e
  assert_eq "$rc" 3 "check of a bad hub config ($want)"
  grep -qE "bad.ini:[0-9]+: .*$want" bad.out || die "check does not say '$want' at a FILE:LINE: $(cat bad.out)"
  set +e; "$SP" -c bad.ini status > bad.out 2>&1; rc=$?; set -e
  assert_eq "$rc" 3 "a command loading a bad hub config ($want)"
}
base_ini=$(sed '/^\[hub UK\]/,$d' sparker.ini) # the base config without its hubs (keeps hub = EU)
bad_config "'UK' \(GB\?\), 'FRA' \(FR\?\), 'XX' are not ISO 3166-1 alpha-2" "$base_ini
[hub EU]
countries = UK FRA XX de"
bad_config "country DE is already in \[hub EU\]" "$base_ini
[hub EU]
countries = FR DE
[hub DACH]
countries = AT de CH"
bad_config "\[sparker\] hub = EU: no \[hub EU\] section" "$base_ini
[hub UK]
countries = GB"
bad_config "'other' names the startups of no hub" "$base_ini
[hub EU]
countries = FR
[hub other]
countries = JP"
bad_config "unknown key 'target_acompanied' in \[hub EU\] \(did you mean 'target_accompanied'\?\)" "$base_ini
[hub EU]
countries = FR
target_acompanied = 3"
grep -q "bad.ini:$(grep -n '^target_acompanied' bad.ini | cut -d: -f1):" bad.out || die "the misspelt key's line is not named"
S check > ok.out || die "the base config with hubs does not check"
assert_contains ok.out ", 3 hubs)"
set +e; SPARKER_HUB=Mars S check > bad.out 2>&1; rc=$?; set -e
assert_eq "$rc" 2 "check with SPARKER_HUB naming no hub"
set +e; S --hub Mars status > bad.out 2>&1; rc=$?; set -e
assert_eq "$rc" 2 "--hub naming no hub"
assert_contains bad.out "--hub Mars: "
assert_contains bad.out "has no [hub Mars] section (hubs: UK EU US)"
set +e; SPARKER_HUB=Mars S status > bad.out 2>&1; rc=$?; set -e
assert_eq "$rc" 2 "SPARKER_HUB naming no hub"
assert_contains bad.out "SPARKER_HUB Mars: "

# ---------------------------------------------------------------- 2. judgements carry user and hub
S run --job nightly --as-of "$ASOF" > nightly.log 2>&1 || die "nightly run failed: $(tail -5 nightly.log)"
assert_eq "$(q "SELECT count(hub) FROM judgement")" 0 "judgement.hub column"
# startups of the 2025 cohort: two per country where there are, for decisions in every hub
ents() { q "SELECT id FROM entity_live WHERE cohort = 2025 AND upper(country) = '$1' ORDER BY id LIMIT ${2:-2}"; }
GB=($(ents GB 3)) FR=($(ents FR)) DE=($(ents DE 1)) US=($(ents US)) JP=($(ents JP))
[ ${#GB[@]} -eq 3 ] && [ ${#FR[@]} -eq 2 ] && [ ${#US[@]} -ge 1 ] && [ ${#JP[@]} -ge 1 ] ||
  die "fixture: too few startups per country (GB ${#GB[@]}, FR ${#FR[@]}, US ${#US[@]}, JP ${#JP[@]})"
last() { q "SELECT \"user\" || '|' || COALESCE(hub, '') FROM judgement ORDER BY id DESC LIMIT 1"; }
S -q --user ana --hub uk decide "${GB[0]}" accompanied
assert_eq "$(last)" "ana|UK" "--hub (lower case) records the configured name"
SPARKER_USER=bo SPARKER_HUB=US S -q decide "${US[0]}" accompanied
assert_eq "$(last)" "bo|US" "SPARKER_USER and SPARKER_HUB"
SPARKER_USER=cy S -q decide "${FR[0]}" accompanied
assert_eq "$(last)" "cy|EU" "the [sparker] hub default"
SPARKER_HUB=US S -q --user di --hub UK decide "${GB[1]}" accompanied --note "from the London desk"
assert_eq "$(last)" "di|UK" "--hub over SPARKER_HUB"
S -q decide "${GB[2]}" declined --user di --hub=UK # after the command too
assert_eq "$(last)" "di|UK" "--user and --hub after the command"
S -q --user ana --hub UK decide "${JP[0]}" accompanied # a startup in no hub, decided from UK
S -q --user eve --hub US pin "${FR[1]}" in
assert_eq "$(last)" "eve|US" "a pin"
S -q --user eve --hub US pin "${FR[1]}" out # supersedes: the removal carries who and where too
assert_eq "$(q "SELECT \"user\" || '|' || hub FROM judgement WHERE kind = 'remove' ORDER BY id DESC LIMIT 1")" "eve|US" "a superseding removal"
S -q --user fay note "${DE[0]}" "met at the Munich fair"
assert_eq "$(last)" "fay|EU" "a note"
A=$(q "SELECT r.source || ':' || r.source_key FROM member m JOIN record r ON r.id = m.record_id WHERE m.entity_id = ${FR[0]} LIMIT 1")
Bref=$(q "SELECT r.source || ':' || r.source_key FROM member m JOIN record r ON r.id = m.record_id WHERE m.entity_id = ${US[0]} LIMIT 1")
S -q --user gus --hub US unlink "$A" "$Bref"
assert_eq "$(last)" "gus|US" "an unlink"
S -q --user gus --hub US review --answer "$Bref" "$A" unsure
assert_eq "$(last)" "gus|US" "review --answer"
S -q --user ana --hub UK audit label "${GB[1]}" yes
assert_eq "$(last)" "ana|UK" "audit label"
jid=$(q "SELECT max(id) FROM judgement")
S -q --user hal --hub EU judgements remove "$jid"
assert_eq "$(last)" "hal|EU" "judgements remove"
assert_eq "$(q "SELECT count(*) FROM judgement WHERE hub IS NULL")" 0 "every judgement has a hub"
S judgements list --all > list.txt
assert_contains list.txt "by ana (hub UK), "
assert_contains list.txt "by bo (hub US), "
assert_contains list.txt "by cy (hub EU), "
S status > status.txt
n_uk=$(q "SELECT count(*) FROM judgement_active WHERE hub = 'UK'") n_us=$(q "SELECT count(*) FROM judgement_active WHERE hub = 'US'")
n_eu=$(q "SELECT count(*) FROM judgement_active WHERE hub = 'EU'")
assert_contains status.txt "; by hub: EU $n_eu, UK $n_uk, US $n_us"
S decisions list > dlist.txt
assert_eq "$(awk -v j="$(q "SELECT min(id) FROM judgement WHERE \"user\" = 'bo'")" '$1 == j { print $(NF) }' dlist.txt)" "US" "decisions list: the hub"
S show "${GB[1]}" > show.txt
assert_contains show.txt "(by di, hub UK, 2025-07-01) — from the London desk"
# without [hub] sections: no hub, and --hub is refused
sed '/^hub = EU$/d; /^\[hub UK\]/,$d' sparker.ini > nohub.ini
"$SP" -q -c nohub.ini --user ivy note "${DE[0]}" "no hubs here"
assert_eq "$(last)" "ivy|" "no hub without [hub] sections"
set +e; "$SP" -c nohub.ini --hub UK status > bad.out 2>&1; rc=$?; set -e
assert_eq "$rc" 2 "--hub without [hub] sections"
assert_contains bad.out "no hub is configured"
echo "INFO: $NAME: $(q "SELECT count(*) FROM judgement") judgements, hubs $(q "SELECT COALESCE(hub, '-') || ':' || count(*) FROM judgement GROUP BY hub ORDER BY hub" | paste -sd' ')"

# ---------------------------------------------------------------- 3. export / import
S judgements export -o all.csv
assert_eq "$(head -1 all.csv)" "id,kind,value,date,a,b,records,entity,name,note,user,created,origin,target,hub" "export header"
fresh_db() { # DIR: the same sources and config, a nightly run, no judgements
  rm -rf "${T:?}/$1"; mkdir -p "$T/$1"; cp -r "$B/src" "$B/sparker.ini" "$T/$1/"
  [ "$BACKEND" = sqlite ] || sed -i "s|^database *=.*|database = $(test_db "$1")|" "$T/$1/sparker.ini"
  (cd "$T/$1" && "$SP" -c sparker.ini run --job nightly --as-of "$ASOF" > nightly.log 2>&1) || die "$1: nightly failed"
}
cols() { # FILE: the columns an import keeps, one line per judgement
  python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])): print("|".join(r.get(k, "") for k in ("kind","value","date","a","b","records","note","user","created","origin","hub")))' "$1"
}
fresh_db copy
(cd "$T/copy" && "$SP" -q -c sparker.ini judgements import "$B/all.csv" && "$SP" -c sparker.ini judgements export -o again.csv) ||
  die "import into a fresh database failed"
diff <(cols all.csv) <(cols "$T/copy/again.csv") > diff.txt || die "export -> import -> export changed judgements: $(head -5 diff.txt)"
assert_eq "$(sq "$(dir_db "$T/copy")" "SELECT count(*) FROM judgement WHERE hub = 'UK'")" "$(q "SELECT count(*) FROM judgement WHERE hub = 'UK'")" "UK judgements after import"
# a file written before hubs: 14 columns, no hub
python3 -c 'import csv,sys
r = csv.reader(open(sys.argv[1])); w = csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n")
for row in r: w.writerow(row[:14])' all.csv old.csv
assert_eq "$(head -1 old.csv)" "id,kind,value,date,a,b,records,entity,name,note,user,created,origin,target" "old header"
fresh_db old
(cd "$T/old" && "$SP" -c sparker.ini judgements import "$B/old.csv" > imp.txt) || die "an old export does not import"
n=$(wc -l < <(cols all.csv))
assert_contains "$T/old/imp.txt" "$n judgements imported, 0 already here, 0 bad lines"
assert_eq "$(sq "$(dir_db "$T/old")" "SELECT count(*) FROM judgement WHERE hub IS NOT NULL")" 0 "an old file imports without hubs"
S judgements import old.csv > imp.txt
assert_contains imp.txt "0 judgements imported, $n already here"
(cd "$T/copy" && "$SP" -c sparker.ini judgements import "$B/old.csv" > imp.txt)
assert_contains "$T/copy/imp.txt" "0 judgements imported, $n already here"

# ---------------------------------------------------------------- 4. the report's hubs
S run --stage score --as-of "$ASOF" > score.log 2>&1 || die "score failed: $(tail -3 score.log)"
S -q report --year 2025 --out r.pdf --csv r.csv
pdftotext -layout r.pdf - | tr -s ' ' > flat.txt
sed -n '/^By hub/,/^Per hub/p' flat.txt > hubs.txt
[ -s hubs.txt ] || die "no By hub section in the report"
in_hub() { # the SQL condition on e.country for a hub (other: in none, or no country)
  case $1 in
  UK) echo "upper(e.country) IN ('GB','IE')" ;;
  EU) echo "upper(e.country) IN ('FR','DE','NL','ES','IT','SE')" ;;
  US) echo "upper(e.country) IN ('US','CA')" ;;
  other) echo "(e.country IS NULL OR upper(e.country) NOT IN ('GB','IE','FR','DE','NL','ES','IT','SE','US','CA'))" ;;
  esac
}
total_acc=0
for h in UK EU US other; do
  c=$(in_hub $h)
  int=$(q "SELECT count(*) FROM entity_live e WHERE e.cohort = 2025 AND $c")
  qual=$(q "SELECT count(*) FROM entity_live e JOIN selection s ON s.entity_id = e.id AND s.cohort = 2025 AND s.qualified = 1
            WHERE e.cohort = 2025 AND $c")
  acc=$(q "SELECT count(DISTINCT e.id) FROM judgement_active j JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1
           JOIN entity e ON e.id = p.entity_id WHERE j.kind = 'decision' AND j.value = 'accompanied' AND e.cohort = 2025 AND $c")
  total_acc=$((total_acc + acc))
  assert_contains r.csv "hub,$h,integrated,$int"
  assert_contains r.csv "hub,$h,qualified,$qual"
  assert_contains r.csv "hub,$h,accompanied,$acc"
  # the PDF line: label, integrated, target, qualified, rate, accompanied, target
  want=$(python3 - "$h" "$int" "$qual" "$acc" <<'PY'
import sys
h, n, q, a = sys.argv[1], *map(int, sys.argv[2:])
label = {"UK": "Britain", "EU": "Continent"}.get(h, h)
def rng(v, lo, hi):
    if lo is None and hi is None: return "\u2013"
    if hi is None: return "\u2265 %d: %s" % (lo, "below" if v < lo else "within")
    if lo == hi: return "~%d: %s" % (lo, "below" if v < lo else "above" if v > lo else "on target")
    return "%d\u2013%d: %s" % (lo, hi, "below (\u2212%d)" % (lo - v) if v < lo else "above (+%d)" % (v - hi) if v > hi else "within")
t = {"UK": (10, 20, 3), "EU": (5, None, None)}.get(h, (None, None, None))
rate = "%.1f %%" % (100.0 * q / n) if n else "\u2013"
print(" ".join([label, str(n), rng(n, t[0], t[1]), str(q), rate, str(a), rng(a, t[2], t[2])]))
PY
)
  grep -qxF -- "$want" <(sed 's/^ //; s/ $//' hubs.txt) || die "report line of hub $h: want '$want' in: $(cat hubs.txt)"
  echo "MEASURE: hubs report $h integrated=$int qualified=$qual accompanied=$acc"
done
assert_eq "$total_acc" "$(grep '^funnel,accompanied,count,' r.csv | cut -d, -f4)" "hubs' accompanied add up to the funnel's"
[ "$total_acc" -ge 4 ] || die "fixture: only $total_acc accompanied startups"
assert_contains r.csv "hub,UK,target_integrated_min,10"
assert_contains r.csv "hub,UK,target_accompanied,3"
assert_contains r.csv "definition,hubs,text,"
# a hub's startups follow the config: GB moves to the EU hub
sed 's/^countries = GB IE$/countries = IE/; s/^countries = FR, DE NL;ES IT SE$/countries = FR, DE NL;ES IT SE GB/' sparker.ini > moved.ini
"$SP" -q -c moved.ini report --year 2025 --out m.pdf --csv m.csv
eu=$(grep '^hub,EU,integrated,' r.csv | cut -d, -f4) uk=$(grep '^hub,UK,integrated,' r.csv | cut -d, -f4)
assert_contains m.csv "hub,UK,integrated,$(q "SELECT count(*) FROM entity_live e WHERE e.cohort = 2025 AND upper(e.country) = 'IE'")"
assert_contains m.csv "hub,EU,integrated,$((eu + uk - $(q "SELECT count(*) FROM entity_live e WHERE e.cohort = 2025 AND upper(e.country) = 'IE'")))"
# without hubs, no per-hub section and no hub rows
"$SP" -q -c nohub.ini report --year 2025 --out n.pdf --csv n.csv
pdftotext n.pdf - | grep -q "By hub" && die "a report without hubs has a By hub section"
grep -q '^hub,' n.csv && die "a report without hubs has hub rows"
echo "PASS: $NAME"
