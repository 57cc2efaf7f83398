#!/usr/bin/env bash
# test_sirene_memory.sh — the SIRENE pair's merge join streams: a generated 200k-legal-unit pair
# (about 400k establishments) parses in the same peak memory as a 20k one (within 1.5x, under
# 64 MB), every legal unit with its head office's city. Peak RSS from /usr/bin/time -v when it is
# there, else the stage's own peak_kb; MEASURE lines give both sizes and the speed.
. "$(dirname "$0")/../lib.sh"
cd "$T"
GEN=$ROOT/tests/fixtures/sirene/gen_pair.py
for n in 20000 200000; do
  python3 "$GEN" $n ul$n.csv et$n.csv --seed 3 > gen$n.txt
  cat > p$n.ini <<EOF2
[sparker]
database = p$n.sqlite
raw_dir = raw$n

[source pair]
format = sirene
url = ul$n.csv
establishments_url = et$n.csv
EOF2
  "$SP" -c p$n.ini run --stage fetch --as-of 2025-12-31 > fetch$n.log 2>&1 || { cat fetch$n.log; die "fetch $n"; }
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$SP" -c p$n.ini run --stage parse --as-of 2025-12-31 > parse$n.log 2> time$n.log \
      || { cat parse$n.log time$n.log; die "parse $n"; }
  else
    "$SP" -c p$n.ini run --stage parse --as-of 2025-12-31 > parse$n.log 2>&1 || { cat parse$n.log; die "parse $n"; }
  fi
  t1=$(date +%s.%N)
  echo "$t0 $t1" > secs$n.txt
done
q() { sqlite3 "p$1.sqlite" "$2"; }
peak() {
  if [ -s time$1.log ]; then awk -F': ' '/Maximum resident set size/ { print $2 }' time$1.log
  else q $1 "SELECT peak_kb FROM stage_run WHERE stage='parse'"; fi
}
ks=$(peak 20000); kb=$(peak 200000)
# generated: every 50th unit has no establishment, the others one head office each
assert_eq "$(q 200000 "SELECT count(*) FROM record")" 200000 "every legal unit stored"
assert_eq "$(q 200000 "SELECT count(*) FROM record WHERE city IS NULL")" 4000 "units without a head office"
grep -q "units=200000 .* head_offices=196000 orphans=2061" gen200000.txt || { cat gen200000.txt; die "generator"; }
grep -q "join: 4000 legal units without a head office in the establishments file, 2061 establishments without a legal unit" parse200000.log \
  || { cat parse200000.log; die "the join's counts"; }
assert_eq "$(q 200000 "SELECT name||'|'||city FROM record WHERE source_key='100000007'")" "UNIT 1 SAS|$(python3 - <<'PY'
import random
rnd = random.Random(3)
cities = ["PARIS", "LYON", "NANTES", "LILLE", "TOULOUSE"]
for i in range(2):
    k = rnd.randint(1, 3); hq = rnd.randrange(k)
print(cities[(1 + hq) % 5])
PY
)" "a unit's head office city"
read t0 t1 < secs200000.txt
secs=$(python3 -c "print('%.2f' % ($t1 - $t0))")
echo "MEASURE: sirene pair parse peak RSS: 20k units ${ks} KB, 200k units ${kb} KB"
echo "MEASURE: sirene pair parse 200k units + $(wc -l < et200000.csv) establishment lines: ${secs}s wall, $(python3 -c "print(int(200000 / $secs))") units/s"
limit=65536
if nm "$SP" 2>/dev/null | grep __asan_init >/dev/null; then limit=$((512 * 1024)); fi
[ "$kb" -lt "$limit" ] || die "peak RSS $kb KB >= $((limit / 1024)) MB"
[ $((kb * 2)) -le $((ks * 3)) ] || die "peak RSS grows with the pair: $ks KB -> $kb KB"
echo ok
