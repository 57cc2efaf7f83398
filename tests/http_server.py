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
conditional/encoding headers it carried (the Authorization value is never logged).
"""
import argparse
import email.utils
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
        LOG.write("REQ %s %s -> %s inm=%s ims=%s ae=%s auth=%s ua=%s\n" % (
            self.command, self.path, status, h.get("If-None-Match", "-"), h.get("If-Modified-Since", "-"),
            h.get("Accept-Encoding", "-"), "yes" if h.get("Authorization") else "no", h.get("User-Agent", "-")))
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

    def do_GET(self):
        if self.host_route():
            return
        path = self.path.split("?", 1)[0]
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
