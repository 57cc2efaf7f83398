#!/usr/bin/env bash
# TLS verification is always on: an HTTPS server with a self-signed certificate fails (and is not
# retried); trusting that certificate through ca_file makes the same fetch succeed.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
command -v openssl >/dev/null || skip "openssl CLI not installed"
export SPARKER_RETRY_BASE_MS=10
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost # a proxy in the environment must not see loopback tests
W=$T/www
mkdir -p "$W"
printf 'name\nSecure Ltd\n' >"$W/a.csv"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 \
  || skip "openssl cannot make a test certificate"
python3 "$ROOT/tests/http_server.py" --root "$W" --port-file "$T/https.port" \
  --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" >"$T/https.log" 2>&1 &
HTTP_PID=$! # stopped by lib.sh at exit
for _ in $(seq 1 100); do [ -s "$T/https.port" ] && break; sleep 0.05; done
[ -s "$T/https.port" ] || die "https server did not start: $(cat "$T/https.log")"
URL="https://127.0.0.1:$(cat "$T/https.port")/a.csv"
q() { sqlite3 "$T/db.sqlite" "$1"; }

printf '[sparker]\ndatabase = db.sqlite\nraw_dir = raw\n\n[source tls]\nformat = csv\nurl = %s\nretries = 2\n' "$URL" >"$T/cfg.ini"
set +e; "$SP" -c "$T/cfg.ini" run --stage fetch >"$T/out" 2>&1; rc=$?; set -e
assert_eq "$rc" 4 "untrusted certificate -> failed source"
assert_eq "$(q "select status || '|' || attempts from fetch order by id desc limit 1")" "failed|1" "failed, not retried"
q "select error from fetch order by id desc limit 1" | grep -qi "certificate" || die "error does not name the certificate: $(q "select error from fetch")"
[ -z "$(ls -A "$T/raw/tls" 2>/dev/null)" ] || die "something stored"

printf 'ca_file = cert.pem\n' >>"$T/cfg.ini"
set +e; "$SP" -c "$T/cfg.ini" run --stage fetch >"$T/out" 2>&1; rc=$?; set -e
assert_eq "$rc" 0 "trusted through ca_file: $(cat "$T/out")"
assert_eq "$(q "select status from fetch order by id desc limit 1")" new "https fetch stored"
cmp -s "$T/raw/$(q "select path from fetch order by id desc limit 1")" "$W/a.csv" || die "bytes differ"
echo "ok"
