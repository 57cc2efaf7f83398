#!/usr/bin/env python3
"""gen_big.py — large hostile inputs, made at test time (never committed), streamed to disk in
constant memory.

  gen_big.py zipbomb OUT.zip MB        one CSV entry of MB megabytes of zeros (deflate ~1000:1)
  gen_big.py zipbomb-rows OUT.zip MB   one CSV entry: the CH header then one row repeated to MB
  gen_big.py gzbomb OUT.gz MB          gzip of MB megabytes of zeros
  gen_big.py zeros OUT MB              MB megabytes of zeros, plain
  gen_big.py bigfield OUT.csv MB       a Companies House CSV whose second row has a MB-megabyte name
  gen_big.py manycols OUT.csv N        header of N columns and a row of N fields
  gen_big.py wsfeed OUT.xml MB         an RSS feed: one item, MB megabytes of white space, one item
"""
import os, sys, zipfile, zlib, gzip

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
MB = 1 << 20

def ch_header_row():
    import make_files as m  # noqa: the CH layout lives there
    return m.CH_COLS, m.ch_row, m.q

def main():
    kind, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    zeros = b"\0" * MB
    if kind == "zipbomb" or kind == "zipbomb-rows":
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            with z.open("BasicCompanyData.csv", "w", force_zip64=True) as f:
                if kind == "zipbomb":
                    for _ in range(n):
                        f.write(zeros)
                else:
                    cols, row, q = ch_header_row()
                    f.write((",".join(q(c) for c in cols) + "\n").encode())
                    line = (",".join(q(v) for v in row("BOMB LIMITED", "99999999")) + "\n").encode()
                    block = line * (MB // len(line) + 1)
                    for _ in range(n):
                        f.write(block[:MB])
    elif kind == "gzbomb":
        with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as f:
            for _ in range(n):
                f.write(zeros)
    elif kind == "zeros":
        with open(out, "wb") as f:
            f.truncate(n * MB)  # sparse
    elif kind == "bigfield":
        cols, row, q = ch_header_row()
        with open(out, "wb") as f:
            f.write((",".join(q(c) for c in cols) + "\n").encode())
            f.write((",".join(q(v) for v in row("BEFORE LIMITED", "88000001")) + "\n").encode())
            f.write(b'"')
            chunk = b"A" * MB
            for _ in range(n):
                f.write(chunk)
            r = row("X", "88000002")
            f.write(b'",' + ",".join(q(v) for v in r[1:]).encode() + b"\n")
            f.write((",".join(q(v) for v in row("AFTER LIMITED", "88000003")) + "\n").encode())
    elif kind == "manycols":
        with open(out, "wb") as f:
            f.write(b",".join(b"c%d" % i for i in range(n)) + b"\n")
            f.write(b",".join(b"v%d" % i for i in range(n)) + b"\n")
    elif kind == "wsfeed":
        with open(out, "wb") as f:
            f.write(b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>ws</title>\n'
                    b'<item><title>Before Whitespace</title><link>https://before.example.com</link><guid>w1</guid></item>\n')
            chunk = (b" " * 1023 + b"\n") * 1024
            for _ in range(n):
                f.write(chunk)
            f.write(b'<item><title>After Whitespace</title><link>https://after.example.com</link><guid>w2</guid></item>\n'
                    b'</channel></rss>\n')
    else:
        sys.exit("unknown kind " + kind)

if __name__ == "__main__":
    main()
