#!/usr/bin/env bash
# Hostile input: XML external entities (file:///etc/passwd, an external DTD and a parameter
# entity on a loopback server). Nothing of /etc/passwd may reach the database, and the parser
# must make no network request (XML_PARSE_NONET, no entity substitution).
# backends: sqlite postgresql
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/hostile/lib.sh"
mkdir -p "$T/www"
printf '<!ENTITY %% leak SYSTEM "file:///etc/passwd">\n' >"$T/www/param.dtd"
printf '<!ENTITY evil SYSTEM "file:///etc/passwd">\n' >"$T/www/evil.dtd"
http_start "$T/www"
sed "s/PORT/$HTTP_PORT/g" "$H_FILES/xml_gleif_xxe_param.xml" >"$T/gleif_param.xml"
marker=$(head -1 /etc/passwd | cut -d: -f1-3)   # e.g. root:x:0
for c in "gleif $ROOT/tests/fixtures/xml/gleif_xxe.xml" "feed $ROOT/tests/fixtures/xml/xxe.xml" "gleif $T/gleif_param.xml"; do
  set -- $c
  rm -rf "$T/db" "$T/raw"
  hostile_config s "$1" "$2"
  hostile_run 0 4
  hostile_outcome
  hostile_explained
  hostile_no_text "$marker"
  hostile_no_text "/bin/bash"
  hostile_no_text "/usr/sbin/nologin"
done
grep -q 'evil.dtd\|param.dtd' "$T/http.log" && die "the XML parser fetched an external DTD: $(grep dtd "$T/http.log")"
echo "no file content in the database, no network request from the parser"
