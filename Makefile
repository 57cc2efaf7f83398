# sparker — one non-recursive Makefile.
#
#   make run      install missing Debian packages, build, run the nightly job on demo/, write the PDF
#   make test     unit tests (cmocka) + integration tests (real HTTP on 127.0.0.1, real SQLite, a throwaway PostgreSQL, real PDFs)
#   make asan     the test suite built with AddressSanitizer + UBSan
#   make bench    benchmarks (writes BENCHMARKS.md)
#   make fuzz     libFuzzer targets, FUZZ_SECONDS each
#   make install  PREFIX=/usr/local DESTDIR=
#
# Sources are picked up by wildcard: a .c file under core/, connectors/, pipeline/ or reports/ goes
# into libsparker.a (which the tests link), one under cli/ into the program only; adding tests/unit/test_*.c adds a unit-test binary;
# adding tests/integration/test_*.sh adds an integration test.

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
VERSION  := 0.1.0

DEB_PKGS := build-essential pkg-config libcurl4-openssl-dev libxml2-dev libcsv-dev libsqlite3-dev \
            sqlite3 libhpdf-dev libutf8proc-dev libzip-dev libpsl-dev libinih-dev libjansson-dev \
            libcmocka-dev libssl-dev zlib1g-dev fonts-dejavu-core poppler-utils qpdf python3 \
            libxml2-utils zip unzip time bc openssl groff-base binutils valgrind libncurses-dev tmux \
            wamerican libpq-dev postgresql
PKGS     := libcurl libxml-2.0 sqlite3 libpq libutf8proc libzip libpsl inih jansson libcrypto zlib

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lhpdf -lm
# the review screen (cli/review_screen.c) only: the program links ncursesw, libsparker.a does not
CLI_CFLAGS = $(shell pkg-config --cflags ncursesw 2>/dev/null)
CLI_LIBS   = $(or $(shell pkg-config --libs ncursesw 2>/dev/null),-lncursesw)

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -I. \
             -DSP_VERSION='"$(VERSION)"' -DSP_DATADIR='"$(PREFIX)/share/sparker"' $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)

LIB_SRC  := $(wildcard core/*.c connectors/*.c pipeline/*.c reports/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/taxonomy_builtin.o
CLI_SRC  := $(wildcard cli/*.c)
MAIN_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
BIN      := $(BUILD)/sparker
LIBA     := $(BUILD)/libsparker.a

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
INTEG    := $(sort $(wildcard tests/integration/test_*.sh))

.PHONY: all deps run test unit integration asan bench fuzz install uninstall clean demo help print-libs

all: $(BIN)

help:
	@sed -n '3,10p' Makefile | sed 's/^# *//'

# deps: install only what is missing; a no-op when everything is present.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(MAIN_OBJ): ALL_CFLAGS += $(CLI_CFLAGS)

$(BIN): $(MAIN_OBJ) $(LIBA)
	$(CC) $(ALL_CFLAGS) -o $@ $(MAIN_OBJ) $(LIBA) $(ALL_LDFLAGS) $(PKG_LIBS) $(CLI_LIBS)

TEST_HDRS := $(wildcard tests/unit/*.h)
$(BUILD)/tests/%: tests/unit/%.c $(LIBA) $(TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIBA) $(ALL_LDFLAGS) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# Fuzz targets built with the normal compiler and tests/fuzz/replay_main.c instead of libFuzzer:
# `make test` replays tests/fuzz/regress/* and the hostile corpus through them
# (tests/integration/test_fuzz_regress.sh); under `make asan` they run with sanitizers.
FUZZ_REPLAY := $(BUILD)/fuzz/replay_connector $(BUILD)/fuzz/replay_config $(BUILD)/fuzz/replay_normalise \
               $(BUILD)/fuzz/replay_csv_diff
$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(LIBA) $(TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay_main.c $(LIBA) $(ALL_LDFLAGS) $(PKG_LIBS)

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)

# The demo: sample sources made by our own generator (tests/gen/gen_startups.py), committed under
# demo/sources (see demo/README.md). One nightly run as of 2025-12-31 (feed publication dates make
# the 2024 and 2025 cohorts), the committee's decisions (demo/decisions.csv, imported), then the 2025 report
# into build/demo/reports.
DEMO_DB := $(BUILD)/demo/sparker.db

run: deps $(BIN)
	@rm -rf $(BUILD)/demo && mkdir -p $(BUILD)/demo
	$(BIN) -c demo/sparker.ini run --job nightly --as-of 2025-12-31 --quiet
	$(BIN) -c demo/sparker.ini --user demo decisions import demo/decisions.csv
	$(BIN) -c demo/sparker.ini report --year 2025
	@ls -1 $(BUILD)/demo/reports/*.pdf 2>/dev/null | sed 's/^/run: report written: /' || true

test: deps $(BIN) $(UNIT_BIN) $(FUZZ_REPLAY)
	@SP_BIN=$(abspath $(BIN)) BUILD=$(abspath $(BUILD)) tests/run_tests.sh $(UNIT_BIN) -- $(INTEG)

unit: $(UNIT_BIN)
	@tests/run_tests.sh $(UNIT_BIN) --

integration: $(BIN) $(FUZZ_REPLAY)
	@SP_BIN=$(abspath $(BIN)) BUILD=$(abspath $(BUILD)) tests/run_tests.sh -- $(INTEG)

asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	        LDFLAGS="-fsanitize=address,undefined" test

bench: deps $(BIN)
	@BUILD=$(abspath $(BUILD)) SP_BIN=$(abspath $(BIN)) tests/bench/run_bench.sh

FUZZ_SECONDS ?= 30
fuzz: deps
	@command -v clang >/dev/null && [ -n "$$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] || \
	  { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq clang libclang-rt-14-dev >/dev/null; }
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run_fuzz.sh

# the built-in thesis (pipeline/taxonomy.h): share/taxonomy.ini as a C string
$(BUILD)/gen/taxonomy_builtin.c: share/taxonomy.ini
	@mkdir -p $(dir $@)
	@{ echo '/* generated from share/taxonomy.ini by the Makefile: do not edit */'; \
	   echo 'const char sp_taxonomy_builtin[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@

$(BUILD)/gen/taxonomy_builtin.o: $(BUILD)/gen/taxonomy_builtin.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# the link flags, for scripts that build outside this Makefile (tests/fuzz/run_fuzz.sh)
print-libs:
	@echo $(PKG_LIBS)

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/sparker
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/sparker
	install -m 0644 docs/sparker.1 $(DESTDIR)$(PREFIX)/share/man/man1/sparker.1
	install -m 0644 demo/sparker.ini $(DESTDIR)$(PREFIX)/share/sparker/sparker.ini.example
	install -m 0644 share/taxonomy.ini $(DESTDIR)$(PREFIX)/share/sparker/taxonomy.ini
	cp -r schedules $(DESTDIR)$(PREFIX)/share/sparker/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/sparker $(DESTDIR)$(PREFIX)/share/man/man1/sparker.1
	rm -rf $(DESTDIR)$(PREFIX)/share/sparker

clean:
	rm -rf build build-asan build-fuzz
