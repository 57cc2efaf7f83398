#!/usr/bin/env bash
# test_api_memory.sh — peak memory of a paginated API pull does not grow with the pull: 10,000,
# 100,000 and 200,000 items in pages of 500 (20, 200 and 400 pages, cursor paging over 127.0.0.1)
# are fetched and parsed, and peak RSS is read from /usr/bin/time -v and the stages' own peak_kb.
# Fetch: the bigger pulls stay within 1.5x of the 10,000-item pull. Parse: the SQLite page cache
# the parse stage allows itself (16 MiB, connectors/parse.c) fills as the database grows past it,
# so 100,000 items may use that much more than 10,000 (and no more); 200,000 stay within 1.2x of
# 100,000. Prints MEASURE lines.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
[ -x /usr/bin/time ] || skip "/usr/bin/time not installed (package time)"
# AddressSanitizer keeps freed memory in quarantine: peak RSS says nothing of the program's own
if nm "$SP" 2>/dev/null | grep __asan_init >/dev/null; then skip "ASan build: memory is measured on the plain build"; fi
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
mkdir -p "$T/www"
http_start "$T/www"
cd "$T"
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
for n in 10000 100000 200000; do
  cat >"$n.ini" <<EOF
[sparker]
database = $n.sqlite
raw_dir = raw$n

[source api]
format = json
url = $HTTP_URL/api/cursor/n=$n/items
items = data
map.key = id
map.name = name
map.website = website
paging = cursor
cursor_path = meta.next_cursor
page_size = 500
EOF
  for st in fetch parse; do
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$n.$st.time" "$SP" -c "$n.ini" run --stage $st >"$n.$st.out" 2>&1 || { cat "$n.$st.out"; die "$st $n failed"; }
    t1=$(date +%s.%N)
    echo "MEASURE: api pull $n items: $st $(python3 -c "print('%.2f' % ($t1 - $t0))") s, peak RSS $(rss "$n.$st.time") KB"
  done
  assert_eq "$(sqlite3 "$n.sqlite" "select count(*) from record where source='api'")" "$n" "$n items stored"
done
peak() { # N STAGE: "time-v-KB stage-KB"
  echo "$(rss "$1.$2.time") $(sqlite3 "$1.sqlite" "select peak_kb from stage_run where stage='$2'")"
}
within() { # A B NUM DEN SLACK_KB WHAT: B <= A * NUM / DEN + SLACK_KB
  [ $(($2 * $4)) -le $(($1 * $3 + $5 * $4)) ] || die "$6 grows with the pull: $1 KB -> $2 KB"
}
read -r f1 g1 < <(peak 10000 fetch); read -r f2 g2 < <(peak 100000 fetch); read -r f3 g3 < <(peak 200000 fetch)
within "$f1" "$f2" 3 2 0 "fetch peak RSS (10k -> 100k)"; within "$f1" "$f3" 3 2 0 "fetch peak RSS (10k -> 200k)"
within "$g1" "$g2" 3 2 0 "fetch stage peak (10k -> 100k)"; within "$g1" "$g3" 3 2 0 "fetch stage peak (10k -> 200k)"
read -r p1 h1 < <(peak 10000 parse); read -r p2 h2 < <(peak 100000 parse); read -r p3 h3 < <(peak 200000 parse)
within "$p1" "$p2" 5 4 16384 "parse peak RSS (10k -> 100k, beyond the 16 MiB page cache)"
within "$h1" "$h2" 5 4 16384 "parse stage peak (10k -> 100k, beyond the 16 MiB page cache)"
within "$p2" "$p3" 6 5 0 "parse peak RSS (100k -> 200k)"
within "$h2" "$h3" 6 5 0 "parse stage peak (100k -> 200k)"
assert_eq "$(sqlite3 100000.sqlite "select message from stage_run where stage='fetch'" | grep -o '200 pages')" "200 pages" "200 pages"
echo ok
