#!/usr/bin/env python3
"""http_server.py — a loopback HTTP server for sparker's tests, which misbehaves on request.

Usage: http_server.py --root DIR --port-file FILE [--log FILE] [--tls-cert PEM --tls-key PEM]

Binds 127.0.0.1 on a free port, writes the port to --port-file (atomically), serves files under
--root (never outside it) and stops on SIGTERM/SIGINT. Python 3 standard library only.

Plain files: GET /NAME serves DIR/NAME with an ETag (sha256 of the bytes) and Last-Modified (the
file's mtime); If-None-Match / If-Modified-Since that match give 304.

Faults, selected by a path prefix /fault/SPEC/NAME (counters are per full path, so a test uses a
distinct path per scenario; "N-then-200" fails the first N requests, default 1):
  500 | 503 | 429 | 404 | 403 | 401     always that status (503 and 429 carry Retry-After: 1)
  500-then-200, 503-then-200, 429-then-200, 500x3-then-200 ...
  reset, reset-then-200                 headers + half the body, then a TCP reset
  short, short-then-200                 Content-Length of the whole file, half the body, close
  trickle                               one byte per second (bounded by the file, max 300 s)
  redirect                              302 to /NAME (one hop, then the file)
  redirect-loop                         302 to itself, forever (the client must stop)
  redirect-localhost                    302 to http://localhost:PORT/NAME (another origin)
  nolength                              the file without Content-Length (connection close)
  gzip                                  Content-Encoding: gzip when Accept-Encoding allows it
  auth                                  401 unless "Authorization: Bearer $HTTP_SERVER_TOKEN"
                                        (environment of the server; default "test-token")
  noetag                                the file without ETag/Last-Modified
  query                                 serves NAME.QUERY (e.g. /fault/query/api.json?page=2 ->
                                        api.json.page=2; '&' in the query becomes '.')
Hosts (for redirect evidence through libcurl's connect-to, every host sent to this server): a
request whose Host header, without its port, names a file DIR/_hosts/HOST is answered 301 with
Location = that file's first line (absolute); DIR/_hosts/HOST.405 makes HEAD answer 405 there.
A TLS handshake on the plain-HTTP server is closed at once (a client trying https first falls
back without waiting for a timeout).
Every request is logged on one line to stderr (or --log): method, path, status, and the
conditional/encoding headers it carried, whether Authorization and X-Api-Key were sent (never their
values) and the Host.

A generated JSON API under /api (no files), for paging, tokens and rate limits:
  POST /api/token[?uses=N&ttl=T&expires_in=E]   OAuth2 client credentials: the client id and
        secret in HTTP Basic or in the form (client_id, client_secret) must be
        $HTTP_SERVER_CLIENT_ID / $HTTP_SERVER_CLIENT_SECRET (default test-client / test-secret);
        the token it issues is refused (401) after N uses or T seconds; expires_in tells the
        client E (default T, else 3600). Logged as "TOKEN issued" (never the token); each token
        is appended to $HTTP_SERVER_TOKEN_FILE when set, for a test to look for leaks.
  GET /api/MODE/OPTS/items   MODE: how the next page is given
        cursor  ?cursor=C&limit=L; body {"data": [...], "meta": {"next_cursor": C' or null}}
                (opaque base64 cursors, '=' and '+' included)
        offset  ?offset=O&limit=L; body {"data": [...], "total": n}
        page    ?page=P&limit=L (P from 1); body {"data": [...]}
        link    ?page=P&limit=L; Link: <...>; rel="last", <...page=P+1...>; rel="next"
        next    ?page=P&limit=L; body {"data": [...], "links": {"next": "items?page=..." or null}}
    OPTS: comma-separated k=v: n (items, default 100), size (page size when no limit, default
        10), max (the most items a page has, whatever limit asks), auth=none|bearer|key (key: X-Api-Key must be $HTTP_SERVER_API_KEY, default
        test-api-key), fail=K (page K answers 500 once), r429=K (429 Retry-After: 1 once),
        r429date=K (429 with Retry-After as an HTTP date 2 s ahead, once), r429rl=K (429 without
        Retry-After, X-RateLimit-Reset an epoch time 2 s ahead, once), hostile=K (429
        Retry-After: 100000, always), rl=K (page K says X-RateLimit-Remaining: 0, Reset: 1, and
        a request within that second gets 429 Retry-After: 100000).
    Items: {"id": "it-000001", "name": "Startup 1", "country": "FR", "website": ...}.
"""
import argparse
import base64
import email.utils
import json
import secrets
import urllib.parse
import gzip
import hashlib
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTERS = {}
TOKENS = {}      # token -> [uses left or None, expiry time or None]
BLOCKED = {}     # API scenario -> time before which a request breaks the rate limit
LOCK = threading.Lock()
ROOT = "."
LOG = sys.stderr
TLS = False


def bump(key):
    with LOCK:
        COUNTERS[key] = COUNTERS.get(key, 0) + 1
        return COUNTERS[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sparker-test/1"

    def log_message(self, fmt, *args):  # quiet default logging; we log our own line
        pass

    def note(self, status):
        h = self.headers
        LOG.write("REQ %s %s -> %s inm=%s ims=%s ae=%s auth=%s ua=%s key=%s host=%s\n" % (
            self.command, self.path, status, h.get("If-None-Match", "-"), h.get("If-Modified-Since", "-"),
            h.get("Accept-Encoding", "-"), "yes" if h.get("Authorization") else "no", h.get("User-Agent", "-"),
            "yes" if h.get("X-Api-Key") else "no", h.get("Host", "-")))
        LOG.flush()

    def simple(self, status, body=b"", headers=None):
        self.note(status)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def load(self, name):
        path = os.path.realpath(os.path.join(ROOT, name.lstrip("/")))
        root = os.path.realpath(ROOT)
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            return None, None
        with open(path, "rb") as f:
            data = f.read()
        return data, os.stat(path).st_mtime

    def handle(self):
        try:
            if not TLS and self.connection.recv(1, socket.MSG_PEEK) == b"\x16":
                LOG.write("REQ TLS handshake on plain HTTP -> closed\n")
                LOG.flush()
                return
        except OSError:
            return
        super().handle()

    def host_route(self):
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        if not re.match(r"^[a-z0-9.-]+$", host):
            return False
        f = os.path.join(ROOT, "_hosts", host)
        if os.path.isfile(f + ".405") and self.command == "HEAD":
            self.simple(405, b"")
            return True
        if not os.path.isfile(f):
            return False
        with open(f, encoding="utf-8") as fh:
            target = fh.readline().strip()
        self.simple(301, b"", {"Location": target})
        return True

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        if self.path.split("?", 1)[0] != "/api/token":
            return self.simple(405, b"POST only to /api/token\n")
        n = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(n).decode("utf-8", "replace"))
        q = urllib.parse.parse_qs(self.path.split("?", 1)[1] if "?" in self.path else "")
        cid, csec = (form.get("client_id") or [None])[0], (form.get("client_secret") or [None])[0]
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            try:
                pair = base64.b64decode(basic[6:]).decode()
                cid, csec = [urllib.parse.unquote_plus(x) for x in pair.split(":", 1)]
            except (ValueError, UnicodeDecodeError):
                cid = csec = None
        ok = (cid == os.environ.get("HTTP_SERVER_CLIENT_ID", "test-client") and
              csec == os.environ.get("HTTP_SERVER_CLIENT_SECRET", "test-secret") and
              (form.get("grant_type") or [""])[0] == "client_credentials")
        if not ok:
            return self.json_reply(401, {"error": "invalid_client"})
        uses = int(q["uses"][0]) if "uses" in q else None
        ttl = float(q["ttl"][0]) if "ttl" in q else None
        tok = "tk-" + secrets.token_hex(16)
        with LOCK:
            TOKENS[tok] = [uses, time.time() + ttl if ttl else None]
        LOG.write("TOKEN issued (%d so far)\n" % len(TOKENS))
        if os.environ.get("HTTP_SERVER_TOKEN_FILE"):  # for a test that looks for leaks of them
            with open(os.environ["HTTP_SERVER_TOKEN_FILE"], "a") as f:
                f.write(tok + "\n")
        exp = float(q["expires_in"][0]) if "expires_in" in q else (ttl or 3600)
        return self.json_reply(200, {"access_token": tok, "token_type": "Bearer", "expires_in": exp})

    def json_reply(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.note(status)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def api_auth(self, how):
        if how == "key":
            return self.headers.get("X-Api-Key") == os.environ.get("HTTP_SERVER_API_KEY", "test-api-key")
        if how != "bearer":
            return True
        a = self.headers.get("Authorization", "")
        if not a.startswith("Bearer "):
            return False
        with LOCK:
            t = TOKENS.get(a[7:])
            if not t or (t[1] is not None and time.time() > t[1]) or (t[0] is not None and t[0] <= 0):
                return False
            if t[0] is not None:
                t[0] -= 1
        return True

    def api(self, mode, opts):
        o = dict(kv.split("=", 1) for kv in opts.split(",") if "=" in kv)
        q = urllib.parse.parse_qs(self.path.split("?", 1)[1] if "?" in self.path else "")
        n, size = int(o.get("n", 100)), int(q.get("limit", [o.get("size", 10)])[0])
        size = min(size, int(o.get("max", size)))
        if mode == "cursor":
            c = q.get("cursor", [None])[0]
            off = int(base64.b64decode(c).decode().split(":")[1]) if c else 0
        elif mode == "offset":
            off = int(q.get("offset", ["0"])[0])
        else:
            off = (int(q.get("page", ["1"])[0]) - 1) * size
        page = off // size + 1
        scen = "%s/%s" % (mode, opts)
        now = time.time()
        if str(page) == o.get("hostile"):
            return self.simple(429, b"slow down\n", {"Retry-After": "100000"})
        with LOCK:
            early = now < BLOCKED.get(scen, 0)
        if early:
            return self.simple(429, b"rate limit broken\n", {"Retry-After": "100000"})
        if not self.api_auth(o.get("auth", "none")):
            return self.simple(401, b"unauthorized\n", {"WWW-Authenticate": "Bearer"})
        once = bump("%s#%d" % (scen, page)) == 1
        if once and str(page) == o.get("fail"):
            return self.simple(500, b"flaky\n")
        if once and str(page) == o.get("r429"):
            return self.simple(429, b"slow down\n", {"Retry-After": "1"})
        if once and str(page) == o.get("r429rl"):
            return self.simple(429, b"slow down\n", {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "%d" % (now + 2)})
        if once and str(page) == o.get("r429date"):
            return self.simple(429, b"slow down\n", {"Retry-After": email.utils.formatdate(now + 2, usegmt=True)})
        items = [{"id": "it-%06d" % i, "name": "Startup %d" % i, "country": "FR",
                  "website": "https://s%d.example" % i} for i in range(off + 1, min(off + size, n) + 1)]
        more = off + size < n
        base = "http://%s:%d/api/%s/%s/items" % (self.server.server_address[0], self.server.server_address[1], mode, opts)
        headers = {}
        if str(page) == o.get("rl"):
            headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
            with LOCK:
                BLOCKED[scen] = now + 1
        body = {"data": items}
        if mode == "cursor":
            nxt = base64.b64encode(("o:%d:" % (off + size)).encode() + b">>?").decode() if more else None
            body["meta"] = {"next_cursor": nxt}
        elif mode == "offset":
            body["total"] = n
        elif mode == "next":
            body["links"] = {"next": "items?page=%d&limit=%d" % (page + 1, size) if more else None}
        elif mode == "link" and more:
            headers["Link"] = '<%s?page=%d&limit=%d>; rel="last", <%s?page=%d&limit=%d>; rel="next"' % (
                base, (n + size - 1) // size, size, base, page + 1, size)
        return self.json_reply(200, body, headers)

    def do_GET(self):
        if self.host_route():
            return
        path = self.path.split("?", 1)[0]
        m = re.match(r"^/api/(cursor|offset|page|link|next)/([^/]*)/items$", path)
        if m:
            return self.api(m.group(1), m.group(2))
        m = re.match(r"^/fault/([^/]+)(/.*)$", path)
        if not m:
            return self.serve(path)
        spec, name = m.group(1), m.group(2)
        n = bump(self.path)
        t = re.match(r"^(\d{3}|reset|short)(?:x(\d+))?-then-200$", spec)
        if t:
            fails = int(t.group(2) or 1)
            if n > fails:
                return self.serve(name)
            spec = t.group(1)
        if re.match(r"^\d{3}$", spec):
            code = int(spec)
            hdrs = {"Retry-After": "1"} if code in (429, 503) else {}
            return self.simple(code, b"fault %d\n" % code, hdrs)
        if spec in ("reset", "short"):
            return self.cut(name, reset=(spec == "reset"))
        if spec == "trickle":
            return self.trickle(name)
        if spec == "redirect":
            return self.simple(302, b"", {"Location": name})
        if spec == "redirect-localhost":
            return self.simple(302, b"", {"Location": "http://localhost:%d%s" % (self.server.server_address[1], name)})
        if spec == "redirect-loop":
            return self.simple(302, b"", {"Location": self.path})
        if spec == "nolength":
            return self.serve(name, length=False)
        if spec == "gzip":
            return self.serve(name, allow_gzip=True)
        if spec == "noetag":
            return self.serve(name, validators=False)
        if spec == "query":
            q = self.path.split("?", 1)[1] if "?" in self.path else ""
            return self.serve(name + ("." + q.replace("&", ".") if q else ""))
        if spec == "auth":
            want = "Bearer " + os.environ.get("HTTP_SERVER_TOKEN", "test-token")
            if self.headers.get("Authorization") != want:
                return self.simple(401, b"unauthorized\n", {"WWW-Authenticate": "Bearer"})
            return self.serve(name)
        return self.simple(400, b"unknown fault\n")

    def serve(self, name, length=True, allow_gzip=False, validators=True):
        data, mtime = self.load(name)
        if data is None:
            return self.simple(404, b"not found\n")
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
        lm = email.utils.formatdate(mtime, usegmt=True)
        if validators:
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            fresh = False
            if inm is not None:
                fresh = etag in [x.strip() for x in inm.split(",")] or inm.strip() == "*"
            elif ims is not None:
                try:
                    fresh = int(mtime) <= email.utils.parsedate_to_datetime(ims).timestamp()
                except (TypeError, ValueError):
                    fresh = False
            if fresh:
                self.note(304)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", lm)
                self.end_headers()
                return
        headers = {"Content-Type": "application/octet-stream"}
        if validators:
            headers["ETag"] = etag
            headers["Last-Modified"] = lm
        if allow_gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        self.note(200)
        self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(data)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def cut(self, name, reset):
        data, _ = self.load(name)
        if data is None:
            return self.simple(404, b"not found\n")
        self.note("200-%s" % ("reset" if reset else "short"))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(0.1)
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR) if not reset else None
        except OSError:
            pass
        self.close_connection = True
        if reset:
            try:
                self.connection.close()
            except OSError:
                pass

    def trickle(self, name):
        data, _ = self.load(name)
        if data is None:
            return self.simple(404, b"not found\n")
        self.note("200-trickle")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.close_connection = True
        try:
            for i in range(min(len(data), 300)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # resets and aborted clients are expected here


def main():
    global ROOT, LOG, TLS
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="private key of --tls-cert (PEM)")
    a = ap.parse_args()
    ROOT = a.root
    if a.log:
        LOG = open(a.log, "a")
    srv = Server(("127.0.0.1", 0), Handler)
    TLS = bool(a.tls_cert)
    if a.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, a.port_file)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
