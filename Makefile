# noshow: one binary, built with make and pkg-config.
#   make            build/noshow
#   make check      unit tests (cmocka), one executable per module
#   make SAN=1 ...  the same under AddressSanitizer and UBSan (build-san/)
#   make install    PREFIX=/usr/local DESTDIR=

CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=

PKGS := jansson libmicrohttpd sqlite3 libmariadb libcurl libcrypto \
        xlsxwriter
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS)) -lxgboost -lcsv -llinear \
            -lpthread -lm

# Messages are bounded buffers on purpose (a log line, an error detail);
# cutting them short is the intended behaviour, so truncation is no error.
WARN := -Wno-format-truncation -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Wvla
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc $(PKG_CFLAGS)
LDFLAGS ?=

ifeq ($(SAN),1)
BUILD := build-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(TSAN),1)
BUILD := build-tsan
ALL_CFLAGS += -fsanitize=thread
LDFLAGS += -fsanitize=thread
else
BUILD := build
endif

SRCS := $(shell find src -name '*.c' | sort)
# Sources generated at build time: the chart library from npm, embedded so
# the EDA report needs no file or network at run time.
WEB_STAMP := web/node_modules/.package-lock.json
CHARTJS := web/node_modules/chart.js/dist/chart.umd.js
GEN_OBJS := $(BUILD)/obj/gen/eda_chartjs.o
OBJS := $(SRCS:src/%.c=$(BUILD)/obj/%.o) $(GEN_OBJS)
LIB_OBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
TEST_SRCS := $(shell find tests -name 'test_*.c' | sort)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_CFLAGS := $(ALL_CFLAGS) -Itests $(shell pkg-config --cflags cmocka)
TEST_LIBS := $(shell pkg-config --libs cmocka)

.PHONY: all check clean install web fuzz bench

all: $(BUILD)/noshow

$(BUILD)/noshow: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(WEB_STAMP): web/package.json web/package-lock.json
	bash scripts/web-deps.sh

$(BUILD)/gen/eda_chartjs.c: $(WEB_STAMP) scripts/embed-js.sh
	bash scripts/embed-js.sh $(CHARTJS) eda_chartjs $@

$(BUILD)/obj/gen/eda_chartjs.o: $(BUILD)/gen/eda_chartjs.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB_OBJS) \
	    $(TEST_LIBS) $(PKG_LIBS)

# In-process benchmark programs (bench/*.sh run them): build/bench/NAME
# from bench/NAME.c, linked like the tests.
BENCH_BINS := $(BUILD)/bench/explain_bench

bench: $(BENCH_BINS)

$(BUILD)/bench/%: bench/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

check: $(TEST_BINS) $(BUILD)/noshow
	@bash scripts/run-unit-tests.sh $(BUILD) $(TEST_BINS)

# The staff web app, built into web/dist (npm packages, no network at run
# time); served by `noshow serve --web-dir web/dist`.
web:
	bash scripts/web-build.sh

# Installs the binary, the built-in schemas as editable files, the docs,
# the systemd unit (PREFIX written into it), its service account for
# systemd-sysusers, an example environment file and, when it was built,
# the web app. DESTDIR stages the tree for a package.
BINDIR := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/noshow
DOCDIR := $(PREFIX)/share/doc/noshow
UNITDIR := $(PREFIX)/lib/systemd/system
SYSUSERSDIR := $(PREFIX)/lib/sysusers.d

install: $(BUILD)/noshow
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/schemas \
	    $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BUILD)/noshow $(DESTDIR)$(BINDIR)/noshow
	for s in $$($(BUILD)/noshow schema list | awk '{ print $$1 }'); do \
	    $(BUILD)/noshow schema show $$s \
	        > $(DESTDIR)$(DATADIR)/schemas/$$s.schema || exit 1; \
	done
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	sed 's|@PREFIX@|$(PREFIX)|g' deploy/noshow.service \
	    > $(DESTDIR)$(UNITDIR)/noshow.service
	sed 's|@PREFIX@|$(PREFIX)|g' deploy/noshow.env.example \
	    > $(DESTDIR)$(DATADIR)/noshow.env.example
	install -m 0644 deploy/noshow.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/noshow.conf
	if [ -d web/dist ]; then \
	    install -d $(DESTDIR)$(DATADIR)/web && \
	    cp -R web/dist/. $(DESTDIR)$(DATADIR)/web/; \
	fi

# libFuzzer targets (clang): build-fuzz/fuzz_csv etc. Run one with e.g.
#   build-fuzz/fuzz_csv -max_total_time=60 fuzz/corpus/csv
# or all of them with scripts/fuzz.sh. The library is every source but
# main.c, instrumented once and linked into each target.
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)
FUZZ_OBJS := $(filter-out build-fuzz/obj/main.o, \
                 $(SRCS:src/%.c=build-fuzz/obj/%.o)) \
             build-fuzz/obj/gen/eda_chartjs.o
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined -Isrc $(PKG_CFLAGS)
FUZZ_SAN := address,undefined

fuzz: $(FUZZ_BINS)

# Kept between targets: each links them all.
.SECONDARY: $(FUZZ_OBJS)

build-fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP \
	    -c -o $@ $<

# The embedded chart library is data: no instrumentation needed.
build-fuzz/obj/gen/eda_chartjs.o: build/gen/eda_chartjs.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<

build-fuzz/%: fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -Ifuzz -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< \
	    $(FUZZ_OBJS) $(PKG_LIBS)

clean:
	rm -rf build build-san build-fuzz

-include $(OBJS:.o=.d) $(TEST_BINS:=.d) $(FUZZ_OBJS:.o=.d)
