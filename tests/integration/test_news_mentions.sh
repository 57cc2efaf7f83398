#!/usr/bin/env bash
# test_news_mentions.sh — a feed with kind = news adds no startup: its items become mentions of
# the startups they name (pipeline/mention.h), shown by show and explain, following merges.
# Part 1 (hand-made fixtures, always): a directory feed of seven startups, four of them common
# words (Bird, Lime, Apple, Go, Via), and a news feed naming some of them. Part 2 (the real
# TechCrunch feed of ../shared/data/real/feeds, skipped visibly when absent): zero records and
# entities added; mentions only for names that appear, none for common-word names.
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI absent"
FX=$ROOT/tests/fixtures/news
cd "$T"
DB=$(test_db db.sqlite)
q() { sql "$DB" "$1"; }
config() { # NEWS_URL: a directory feed and a news feed
  { printf '[sparker]\ndatabase = %s\nraw_dir = raw\nreport_dir = reports\n\n' "$DB"
    printf '[source dir]\nformat = feed\nurl = %s\nmode = append\nlink_is_website = yes\n\n' "$DIR_URL"
    printf '[source news]\nformat = feed\nkind = news\nurl = %s\nmode = append\n\n' "$1"
    printf '[job nightly]\nstages = fetch parse normalise dedupe score\n'; } > sparker.ini  # the built-in thesis
}
DIR_URL=$FX/directory.xml
config "$FX/news.xml"
$SP -c sparker.ini init >/dev/null
$SP -c sparker.ini run --job nightly --as-of 2026-01-31 > run.out 2>&1 || { cat run.out; die "nightly run failed"; }

assert_eq "$(q "SELECT count(*) FROM record WHERE source = 'news'")" 0 "records from the news feed"
assert_eq "$(q "SELECT count(*) FROM news_item WHERE source = 'news'")" 8 "news items stored"
assert_eq "$(q "SELECT count(*) FROM entity_live")" 7 "entities: the directory's seven startups only"
got=$(q "SELECT n.item_key || ':' || x.name || ':' || x.rule FROM mention x JOIN news_item n ON n.id = x.item_id ORDER BY n.item_key, x.name" | tr '\n' ' ')
echo "mentions: $got"
assert_eq "$got" "n1:Voltiq:name n2:Zurich Mobility:name n3:Bird:name+domain n4:Lime:name+category n7:Voltiq:name n8:Voltiq:name n8:Zurich Mobility:name " "mentions attached"

V=$(q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source_key = 'voltiq'")
$SP -c sparker.ini show dir:voltiq > show.out
assert_contains show.out 'in the news 2 times in 2026: "Voltiq and Zurich Mobility AG sign a charging deal"; "Voltiq raises €4M to build chargers for delivery fleets"'
assert_contains show.out 'in the news 1 time in 2025: "Fleet electrification in 2025: a review"'
$SP -c sparker.ini explain "$V" > explain.out
assert_contains explain.out 'news: in the news 2 times in 2026:'
$SP -c sparker.ini explain "$(q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source_key = 'apple'")" > apple.out
grep -q 'in the news' apple.out && die "Apple (a common word, no context) got a mention: $(cat apple.out)"

# the count per entity and year (the score's signal): the view entity_mentions
assert_eq "$(q "SELECT n FROM entity_mentions WHERE entity_id = $V AND year = 2026")" 2 "entity_mentions 2026"
assert_eq "$(q "SELECT n FROM entity_mentions WHERE entity_id = $V AND year = 2025")" 1 "entity_mentions 2025"
# ... counted in the score as a signal of the run's year (pipeline/score.c, startup.h)
assert_eq "$(q "SELECT count(*) FROM score WHERE entity_id = $V AND reasons LIKE '%Startup: %; in the news 2 times in 2026%'")" 1 "news signal in the reasons"

# mentions follow the startup through a merge: link Voltiq to Zurich Mobility (as an analyst
# would), rerun dedupe: the merged entity carries both startups' items, each item once
$SP -c sparker.ini --user t link dir:voltiq dir:zurich-mobility >/dev/null
$SP -c sparker.ini run --stage dedupe --as-of 2026-01-31 >/dev/null 2>&1 || die "dedupe after link failed"
L=$(q "SELECT m.entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source_key = 'voltiq'")
assert_eq "$(q "SELECT entity_id FROM member m JOIN record r ON r.id = m.record_id WHERE r.source_key = 'zurich-mobility'")" "$L" "linked"
assert_eq "$(q "SELECT n FROM entity_mentions WHERE entity_id = $L AND year = 2026")" 3 "merged: n1 n2 n8, n8 once"

# a rerun changes nothing (idempotent)
before=$(q "SELECT item_id || '-' || record_id || '-' || rule FROM mention ORDER BY item_id, record_id" | paste -sd,)
$SP -c sparker.ini run --stage dedupe --as-of 2026-01-31 >/dev/null 2>&1 || die "dedupe rerun failed"
assert_eq "$(q "SELECT item_id || '-' || record_id || '-' || rule FROM mention ORDER BY item_id, record_id" | paste -sd,)" "$before" "rerun"

# a directory feed whose items read like headlines says so (kind defaults to directory)
test_db_reset "$DB"; rm -rf raw
{ printf '[sparker]\ndatabase = %s\nraw_dir = raw\nreport_dir = reports\n\n' "$DB"
  printf '[source oops]\nformat = feed\nurl = %s\nmode = append\n' "$FX/news.xml"; } > oops.ini
$SP -c oops.ini init >/dev/null
$SP -c oops.ini run --from fetch --to parse --as-of 2026-01-31 >/dev/null 2>&1 || die "directory run failed"
q "SELECT message FROM stage_run WHERE stage = 'parse' ORDER BY id DESC LIMIT 1" | grep -q "kind = news" \
  || die "no headline hint in the parse note: $(q "SELECT message FROM stage_run WHERE stage = 'parse'")"
# ... and told it is news, the startups it had made are gone (they were articles), its items kept
assert_eq "$(q "SELECT count(*) FROM record WHERE source = 'oops' AND gone = 0")" 8 "directory: every article a record"
printf 'kind = news\n' >> oops.ini
$SP -c oops.ini run --stage parse --as-of 2026-02-01 >/dev/null 2>&1 || die "news re-parse failed"
assert_eq "$(q "SELECT count(*) FROM record WHERE source = 'oops' AND gone = 0")" 0 "news: no live record left"
assert_eq "$(q "SELECT count(*) FROM news_item WHERE source = 'oops'")" 8 "news: the items"
echo "PASS: fixtures"

# ---- part 2: the real TechCrunch feed (2023-08-16) ----
REAL=$(shared_data)
TC=$REAL/feeds/techcrunch-2023/techcrunch-2023-08-16.xml
[ -f "$TC" ] || skip "$TC absent"
test_db_reset "$DB"; rm -rf raw
# a directory of real startups named in that feed, and of common-word names it must not attach
cat > dir.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>d</title>
<item><guid>jumia</guid><title>Jumia</title><link>https://www.jumia.com/</link><category>E-Commerce</category></item>
<item><guid>configu</guid><title>Configu</title><link>https://configu.com/</link><category>Developer Tools</category></item>
<item><guid>worldcoin</guid><title>Worldcoin</title><link>https://worldcoin.org/</link><category>Cryptocurrency</category></item>
<item><guid>robinhood</guid><title>Robinhood</title><link>https://robinhood.com/</link><category>Fintech</category></item>
<item><guid>setapp</guid><title>Setapp</title><link>https://setapp.com/</link><category>Software</category></item>
<item><guid>electrify</guid><title>Electrify America</title><link>https://www.electrifyamerica.com/</link><category>EV Charging</category></item>
<item><guid>linear</guid><title>Linear</title><link>https://linear.app/</link><category>Project Management</category></item>
<item><guid>threads</guid><title>Threads</title><link>https://threads.example/</link><category>Knitting</category></item>
<item><guid>x</guid><title>X</title><link>https://x.example/</link><category>Hardware</category></item>
<item><guid>samples</guid><title>Samples</title><link>https://samples.example/</link><category>Biotech</category></item>
<item><guid>bird</guid><title>Bird</title><link>https://bird.example/</link><category>Scooters</category></item>
<item><guid>apple</guid><title>Apple</title><link>https://apple-juice.example/</link><category>Beverages</category></item>
</channel></rss>
XML
DIR_URL=$T/dir.xml
config "$TC"
$SP -c sparker.ini init >/dev/null
$SP -c sparker.ini run --from fetch --to dedupe --as-of 2023-08-31 > real.out 2>&1 || { cat real.out; die "real run failed"; }
items=$(q "SELECT count(*) FROM news_item")
assert_eq "$(q "SELECT count(*) FROM record WHERE source = 'news'")" 0 "records from the real news feed"
assert_eq "$(q "SELECT count(*) FROM entity_live")" 12 "entities: the directory's only"
got=$(q "SELECT DISTINCT x.name FROM mention x ORDER BY 1" | tr '\n' ' ')
n=$(q "SELECT count(*) FROM mention")
echo "MEASURE: news real techcrunch-2023: $items items, 0 startups added, $n mentions of: $got"
for want in Jumia Configu Worldcoin Robinhood Setapp "Electrify America"; do
  case " $got" in *" $want "*) ;; *) die "no mention of $want (got: $got)";; esac
done
for never in Linear Threads X Samples Bird Apple; do
  case " $got" in *" $never "*) die "$never (a common word) was attached: $(q "SELECT n.title FROM mention x JOIN news_item n ON n.id = x.item_id WHERE x.name = '$never'")";; esac
done
echo "PASS: real news feed adds no startup"
