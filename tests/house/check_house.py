#!/usr/bin/env python3
"""check_house.py — the house rules a reader can check without running anything.

Reads the C tree (cli/ core/ pipeline/ connectors/ reports/) and the documentation, and prints one
line per breach; exits 1 when there is any. docs/DESIGN.md ("Checked by a script") lists the rules:

  length     no function over MAX_FN lines (a function: from a line that is exactly "{" to the
             next line starting with "}"; data tables open their brace on the declaration line
             and are not counted), no file over MAX_FILE lines
  layers     only cli/ writes to stdout/stderr or exits: no printf/puts/perror/putchar, no
             fprintf/fputs/fwrite/fflush on stdout or stderr, no exit()/_exit() elsewhere
  includes   every project include names its folder ("core/store.h"), none climbs out ("../")
  prototypes no .c file declares a function it does not define (a cross-file call goes through
             a header the compiler checks)
  shared     README.md and docs/ never send a reader to ../shared, which a clone does not have

Usage: check_house.py [ROOT]   (default: the repository this file lives in)
"""
import os
import re
import sys

MAX_FN = 120
MAX_FILE = 1000
LAYERS = ["cli", "core", "pipeline", "connectors", "reports"]

PRINT_RE = re.compile(r"\b(printf|vprintf|puts|perror|putchar)\s*\(|"
                      r"\b(fprintf|vfprintf|fputs|fputc|fwrite|fflush)\s*\([^;]*\b(stdout|stderr)\b|"
                      r"\b(exit|_exit|_Exit)\s*\(")
PROTO_RE = re.compile(r"^(?!static\b|typedef\b|extern\s+const\b)[A-Za-z_][\w \*]*?\b(\w+)\s*\([^;{]*\)\s*;")


def strip_comments(text):
    """Blank out comments and string literals (keeping line numbers)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j]) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(lines):
    """(name, first line, length) of every function body."""
    start = None
    for i, line in enumerate(lines):
        if line == "{" and i > 0:
            j = i - 1
            while j > 0 and not re.match(r"[A-Za-z_]", lines[j]):
                j -= 1
            m = re.search(r"(\w+)\s*\(", lines[j])
            start, name = i, (m.group(1) if m else "?")
        elif line.startswith("}") and start is not None:
            yield name, start + 1, i - start + 1
            start = None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    breaches = []
    nfiles = nfuncs = 0
    for layer in LAYERS:
        d = os.path.join(root, layer)
        for fname in sorted(os.listdir(d)):
            if not fname.endswith((".c", ".h")):
                continue
            path = os.path.join(layer, fname)
            text = open(os.path.join(root, path), encoding="utf-8", errors="replace").read()
            code = strip_comments(text)
            lines = text.split("\n")
            nfiles += 1
            if len(lines) > MAX_FILE:
                breaches.append(f"length: {path} has {len(lines)} lines (at most {MAX_FILE})")
            defined = set()
            for name, first, n in functions(code.split("\n")):
                nfuncs += 1
                defined.add(name)
                if n > MAX_FN:
                    breaches.append(f"length: {path}:{first} {name}() has {n} lines (at most {MAX_FN})")
            for no, line in enumerate(code.split("\n"), 1):
                if layer != "cli" and PRINT_RE.search(line):
                    breaches.append(f"layers: {path}:{no} prints or exits outside cli/: {lines[no - 1].strip()}")
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', lines[no - 1])
                if m and ("/" not in m.group(1) or m.group(1).startswith("..")):
                    breaches.append(f"includes: {path}:{no} #include \"{m.group(1)}\" does not name its folder")
                if fname.endswith(".c"):
                    p = PROTO_RE.match(line)
                    if p and p.group(1) not in defined and not re.search(r"\b" + p.group(1) + r"\s*\([^;]*\)\s*$", ""):
                        # a declaration of a function this file does not define (checked at the end)
                        breaches.append(("proto", path, no, p.group(1), lines[no - 1].strip()))
    # prototypes: a .c file may forward-declare its own static functions; anything else is a
    # hand-written copy of another file's prototype
    final = []
    for b in breaches:
        if isinstance(b, tuple):
            _, path, no, name, src = b
            text = strip_comments(open(os.path.join(root, path), encoding="utf-8", errors="replace").read())
            if not re.search(r"^[^\n;]*\b" + name + r"\s*\([^;]*\)\s*\n\{", text, re.M):
                final.append(f"prototypes: {path}:{no} declares {name}() defined elsewhere: {src}")
        else:
            final.append(b)
    for doc in ["README.md"] + [os.path.join("docs", f) for f in sorted(os.listdir(os.path.join(root, "docs")))]:
        for no, line in enumerate(open(os.path.join(root, doc), encoding="utf-8", errors="replace"), 1):
            if "../shared" in line or "shared/DESIGN" in line:
                final.append(f"shared: {doc}:{no} refers to ../shared: {line.strip()}")
    for b in final:
        print(b)
    print(f"house: {nfiles} files, {nfuncs} functions read; {len(final)} breaches")
    return 1 if final else 0


if __name__ == "__main__":
    sys.exit(main())
