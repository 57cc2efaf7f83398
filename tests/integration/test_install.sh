#!/usr/bin/env bash
# test_install.sh — `make install PREFIX=... DESTDIR=...` puts the binary, the man page, the example
# config, the built-in thesis and the schedules where they belong, and the installed binary runs.
. "$(dirname "$0")/../lib.sh"
command -v make >/dev/null || skip "make not installed"
BUILDDIR=$(dirname "$SP")
make -s -C "$ROOT" BUILD="$BUILDDIR" install PREFIX=/opt/sp DESTDIR="$T/dest" >/dev/null || die "make install failed"
for f in bin/sparker share/man/man1/sparker.1 share/sparker/sparker.ini.example share/sparker/schedules/sparker.cron \
         share/sparker/taxonomy.ini; do
  [ -f "$T/dest/opt/sp/$f" ] || die "missing $f after install"
done
[ -x "$T/dest/opt/sp/bin/sparker" ] || die "installed binary not executable"
"$T/dest/opt/sp/bin/sparker" version | grep -q '^sparker ' || die "installed binary does not run"
# the installed thesis is the one built in
"$T/dest/opt/sp/bin/sparker" taxonomy --builtin | cmp -s - "$T/dest/opt/sp/share/sparker/taxonomy.ini" ||
  die "share/sparker/taxonomy.ini differs from the built-in thesis"
make -s -C "$ROOT" BUILD="$BUILDDIR" uninstall PREFIX=/opt/sp DESTDIR="$T/dest" >/dev/null
[ ! -e "$T/dest/opt/sp/bin/sparker" ] || die "uninstall left the binary"
echo "INFO: make install/uninstall with PREFIX and DESTDIR ok"
