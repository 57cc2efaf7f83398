#!/usr/bin/env bash
# test_sirene_real.sh — every SIRENE file in ../shared/data/real/sirene (skipped when absent):
# every well-formed one (StockUniteLegale and StockEtablissement samples, the v2 stock, a
# geo-sirene daily patch, the INSEE API JSON) parses with 0 rejects and the expected names and
# cities, one record per SIREN; the two _KO samples are refused with a message naming the missing
# column, and their sources fail (held, exit 4) instead of showing ok; the legal units and
# establishments samples go together as a pair.
. "$(dirname "$0")/../lib.sh"
R=$(shared_data)/sirene
[ -d "$R" ] || skip "../shared/data/real/sirene is absent: SIRENE real-data checks not run"
cd "$T"
cat > r.ini <<EOF
[sparker]
database = r.sqlite
raw_dir = raw

[source ul]
format = sirene
url = $R/sample_unites_legales_OK.csv

[source ul_ko]
format = sirene
url = $R/sample_unites_legales_KO.csv

[source et]
format = sirene
url = $R/sample_etablissements_OK.csv

[source et_ko]
format = sirene
url = $R/sample_etablissements_KO_missing_header.csv

[source v2]
format = sirene
url = $R/import_last_monthly_stock_test.csv

[source geo]
format = sirene
url = $R/geo-sirene_2017024_E_Q.csv

[source pair]
format = sirene
url = $R/sample_unites_legales_OK.csv
establishments_url = $R/sample_etablissements_OK.csv

[source api]
format = json
preset = insee
url = $R/insee-api-api_results.json

[source api_ul]
format = json
preset = insee
url = $R/insee-api-unite_legale.json

[source api_et]
format = json
preset = insee
url = $R/insee-api-etablissement.json
EOF
q() { sqlite3 r.sqlite "$1"; }
rc=0; "$SP" -c r.ini run --from fetch --to parse --as-of 2020-06-01 > run.log 2>&1 || rc=$?
[ $rc = 4 ] || { cat run.log; die "run exited $rc (expected 4: the two KO files fail, the others go ahead)"; }
assert_eq "$(q "SELECT group_concat(stage || ' ' || source, ', ') FROM (SELECT * FROM stage_run WHERE status <> 'ok' ORDER BY source)")" \
  "parse et_ko, parse ul_ko" "only the KO files fail"
counts() { q "SELECT rows_in||'/'||rows_out||'/'||rows_rejected FROM stage_run WHERE stage='parse' AND source='$1'"; }
assert_eq "$(counts ul)" "3/3/0" "StockUniteLegale"
assert_eq "$(counts et)" "3/3/0" "StockEtablissement (geo-enriched)"
assert_eq "$(counts v2)" "3/3/0" "v2 stock: 4 establishment rows, 3 SIRENs"
assert_eq "$(counts geo)" "2/2/0" "geo-sirene patch: 3 rows, 2 SIRENs"
assert_eq "$(counts pair)" "3/3/0" "pair"
assert_eq "$(counts api)" "20/20/0" "INSEE API results"
assert_eq "$(counts api_ul)" "1/1/0" "INSEE API unite legale"
assert_eq "$(counts api_et)" "1/1/0" "INSEE API etablissement"
for s in ul_ko et_ko; do
  assert_eq "$(q "SELECT count(*) FROM record WHERE source='$s'")" 0 "$s: nothing applied"
  assert_eq "$(q "SELECT gate FROM gate_hold WHERE source='$s'")" "unreadable" "$s: held"
done
grep -q "source ul_ko: .*StockUniteLegale header: missing column statutDiffusionUniteLegale (32 of the 33 columns" run.log \
  || { cat run.log; die "ul_ko: the message names the missing column"; }
grep -q "source et_ko: .*StockEtablissement header: missing column nic (47 of the 48 columns" run.log \
  || { cat run.log; die "et_ko: the message names the missing column"; }
rec() { q "SELECT name||'|'||ifnull(city,'')||'|'||ifnull(postcode,'')||'|'||ifnull(country,'') FROM record WHERE source='$1' AND source_key='$2'"; }
assert_eq "$(rec ul 000325175)" "THIERRY JANOYER|||FR" "a sole trader"
assert_eq "$(rec ul 005410220)" "GEORGES WATTEBLED|||FR" "a purged unit"
assert_eq "$(q "SELECT code_system FROM record WHERE source='ul' AND source_key='005410220'")" "nap" "old NAP code"
# the establishments sample: purged 1984 units without name, sign or address: named by SIREN
assert_eq "$(rec et 005880034)" "005880034|||FR" "establishments alone"
assert_eq "$(q "SELECT status||'|'||codes FROM record WHERE source='et' AND source_key='005880034'")" "F|57.10" "closed establishment"
assert_eq "$(rec v2 015850944)" "MOUTON - RIVOM|SAINT MAURICE DE BEYNOST|01700|FR" "v2 stock"
assert_eq "$(rec v2 015851793)" "DORAS|CROTTET|01290|FR" "v2 stock: two establishments, the first"
assert_eq "$(rec v2 016250029)" "APRR|BALAN|01360|FR" "v2 stock"
assert_eq "$(q "SELECT founded||'|'||codes||'|'||legal_form||'|'||other_names FROM record WHERE source='v2' AND source_key='016250029'")" \
  "1962-01-01|52.21Z|5510|SAPRR" "v2 fields"
assert_eq "$(rec geo 026880278)" "A.DAVID|CHAURAY|79180|FR" "geo-sirene: the after-image"
assert_eq "$(rec geo 038906921)" "SYNDICAT DE COPROPRIETE DE COLOMBES|ASNIERES SUR SEINE|92600|FR" "geo-sirene"
assert_eq "$(rec pair 001807254)" "JACQUES-LUCIEN BRETON|||FR" "pair: no head office in the sample"
grep -q "join: 3 legal units without a head office in the establishments file, 3 establishments without a legal unit" run.log \
  || { cat run.log; die "pair: the join's note"; }
# the API: names, cities, and the country of every French company
assert_eq "$(rec api 420820078)" "DANEY|NANTES|44100|FR" "API etablissement"
assert_eq "$(rec api 538100728)" "ASIF|CERGY|95800|FR" "API etablissement"
assert_eq "$(rec api_ul 026280206)" "PROVOST FRERES|||FR" "API unite legale"
assert_eq "$(rec api_et 420820078)" "DANEY|SAINT-ANDRE-DU-BOIS|33490|FR" "API etablissement alone"
assert_eq "$(q "SELECT count(*) FROM record WHERE source LIKE 'api%' AND (country IS NOT 'FR' OR name IS NULL)")" 0 "API: FR and a name everywhere"
assert_eq "$(q "SELECT count(*) FROM record WHERE source='api' AND city IS NULL")" 0 "API: a city everywhere"
for s in ul et v2 geo pair api api_ul api_et; do
  echo "INFO: real sirene $s: $(q "SELECT 'read '||rows_read||', stored '||rows_stored||', rejected '||rows_rejected FROM parse_stat WHERE source='$s'")"
done
echo ok
