# etl - small composable programs for operational-data ETL.
# Plain make: explicit lists, pattern rules, PREFIX/DESTDIR.

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR_INST = $(DESTDIR)$(PREFIX)/bin
MANDIR_INST = $(DESTDIR)$(PREFIX)/share/man
BASHCOMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS)
ALL_CPPFLAGS = -Icommon -I$(shell pg_config --includedir) $(shell pkg-config --cflags libmariadb) -D_GNU_SOURCE -DETL_VERSION='"$(VERSION)"' $(CPPFLAGS)
LIBS = -ljansson -lcsv -lxxhash -lpq -lmariadb -lpcre2-8 -lcurl -lrdkafka -lm

# Build outputs: objects under $(O), programs under $(B).
O ?= build
B ?= bin

PROGS = etl-from-csv etl-to-csv etl-map etl-dedupe etl-state etl-extract-pg etl-load-pg etl-top \
	etl-agg etl-head etl-extract-mysql etl-profile etl-validate etl-fetch-api etl-sort etl-join \
	etl-shard etl-kafka
LIB_MODULES = arena bad base64 buf cast cli decimal die dtoa evtime expr exprfn fields hash input \
	jsonw mem ndjson out path pg pgval rec scan sketch spill stats tempfile timefmt utf8 extract my \
	myval format schema csvopt redact body http wmark kmerge sortkey offset shard template metrics \
	csvread crash follow wal2json pgrepl
UNIT_TESTS = test_base64 test_buf test_decimal test_dtoa test_path test_scan test_input test_utf8 \
	test_rec test_fields test_hash test_expr test_sketch test_jsonw test_cast test_pgval \
	test_tempfile test_timefmt test_evtime test_spill test_myval test_schema test_hex test_csvopt \
	test_redact test_body test_sortkey test_kmerge test_offset test_shard test_csvread test_wal2json
TOOLS = ndcat kafka-mock
FUZZERS = fuzz_scan fuzz_csv fuzz_decimal fuzz_path fuzz_expr fuzz_pgval fuzz_myval fuzz_schema \
	fuzz_body fuzz_wal2json
MANPAGES = $(PROGS:%=man/%.1) man/etl.1 man/etl.7 man/etl-expr.7

LIB = $(O)/libetl.a
LIB_OBJS = $(LIB_MODULES:%=$(O)/common/%.o) $(O)/common/schema_meta.o
# etl, the front door (etl NAME runs etl-NAME), is not one of the filters.
BINS = $(PROGS:%=$(B)/%) $(B)/etl
UNIT_BINS = $(UNIT_TESTS:%=$(O)/tests/unit/%)
TOOL_BINS = $(TOOLS:%=$(O)/tests/tools/%)

# The pages again in man(1)'s layout, for MANPATH (env.sh) before install.
MANTREE = $(patsubst man/%.1,$(O)/man/man1/%.1,$(filter %.1,$(MANPAGES))) \
	$(patsubst man/%.7,$(O)/man/man7/%.7,$(filter %.7,$(MANPAGES)))

all: $(BINS) $(MANPAGES) $(MANTREE)

$(O)/man/man1/%.1: man/%.1
	@mkdir -p $(@D)
	cp $< $@
$(O)/man/man7/%.7: man/%.7
	@mkdir -p $(@D)
	cp $< $@

$(O)/%.o: %.c common/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The draft 2020-12 meta-schemas, built into common/schema.c's table.
META_JSON = common/schema/schema.json $(wildcard common/schema/meta/*.json)
$(O)/common/schema_meta.c: tools/embed-schemas $(META_JSON)
	@mkdir -p $(@D)
	tools/embed-schemas $(META_JSON) > $@
$(O)/common/schema_meta.o: $(O)/common/schema_meta.c
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

$(B)/%: $(O)/cmd/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

# etl-load-pg is a folder of a few files (cmd/etl-load-pg/load.h says which).
LOAD_PG_SRCS = main columns copy watermark offsets
LOAD_PG_OBJS = $(LOAD_PG_SRCS:%=$(O)/cmd/etl-load-pg/%.o)
$(LOAD_PG_OBJS): cmd/etl-load-pg/load.h
$(B)/etl-load-pg: $(LOAD_PG_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(LOAD_PG_OBJS) $(LIB) $(LIBS)

# etl-extract-pg is a folder of a few files (cmd/etl-extract-pg/xpg.h says which).
EXTRACT_PG_SRCS = main query follow
EXTRACT_PG_OBJS = $(EXTRACT_PG_SRCS:%=$(O)/cmd/etl-extract-pg/%.o)
$(EXTRACT_PG_OBJS): cmd/etl-extract-pg/xpg.h
$(B)/etl-extract-pg: $(EXTRACT_PG_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(EXTRACT_PG_OBJS) $(LIB) $(LIBS)

# etl-agg is a folder of a few files (cmd/etl-agg/agg.h says which).
AGG_SRCS = main exact func group result partial window spill checkpoint
AGG_OBJS = $(AGG_SRCS:%=$(O)/cmd/etl-agg/%.o)
$(AGG_OBJS): cmd/etl-agg/agg.h
$(B)/etl-agg: $(AGG_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(AGG_OBJS) $(LIB) $(LIBS)

# etl-validate is a folder of a few files (cmd/etl-validate/validate.h says which).
VALIDATE_SRCS = main expect gate
VALIDATE_OBJS = $(VALIDATE_SRCS:%=$(O)/cmd/etl-validate/%.o)
$(VALIDATE_OBJS): cmd/etl-validate/validate.h
$(B)/etl-validate: $(VALIDATE_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(VALIDATE_OBJS) $(LIB) $(LIBS)

# etl-fetch-api is a folder of a few files (cmd/etl-fetch-api/fetch.h says which).
FETCH_API_SRCS = main request foreach
FETCH_API_OBJS = $(FETCH_API_SRCS:%=$(O)/cmd/etl-fetch-api/%.o)
$(FETCH_API_OBJS): cmd/etl-fetch-api/fetch.h
$(B)/etl-fetch-api: $(FETCH_API_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(FETCH_API_OBJS) $(LIB) $(LIBS)

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

$(O)/tests/tools/%: $(O)/tests/tools/%.o $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

# scdoc's output made lint-clean by tools/man-tidy; a failed step leaves no page.
man/%: man/%.scd tools/man-tidy
	scdoc < $< > $@.scdoc
	tools/man-tidy < $@.scdoc > $@.tmp
	mv $@.tmp $@
	rm -f $@.scdoc

# Tests: C unit tests, then the bats suites, with one line of totals.
check: all $(UNIT_BINS) $(TOOL_BINS)
	ETL_BIN=$(CURDIR)/$(B) ETL_BUILD=$(CURDIR)/$(O) tests/run

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
asan:
	$(MAKE) O=build/asan B=build/asan/bin CFLAGS='$(SAN_FLAGS)' LDFLAGS='$(SAN_FLAGS)' check

# libFuzzer targets (clang); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 20
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BINS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard $(FUZZERS:%=tests/fuzz/%.c)))
fuzz-build: $(FUZZ_BINS)
build/fuzz/schema_meta.c: tools/embed-schemas $(META_JSON)
	@mkdir -p $(@D)
	tools/embed-schemas $(META_JSON) > $@
build/fuzz/%: tests/fuzz/%.c $(LIB_MODULES:%=common/%.c) common/*.h build/fuzz/schema_meta.c
	@mkdir -p $(@D)
	clang -std=gnu11 $(ALL_CPPFLAGS) $(FUZZ_FLAGS) -o $@ $< $(LIB_MODULES:%=common/%.c) \
		build/fuzz/schema_meta.c $(LIBS)
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_BINS)

# The main demo: the daily sales job of examples/daily-sales against a
# throwaway PostgreSQL server (examples/README.md).  On a fresh machine it
# first installs the Debian packages that are missing (tools/install-deps).
demo:
	tools/install-deps
	$(MAKE) all
	examples/demo.sh

# The incremental job of examples/incremental against throwaway PostgreSQL,
# MariaDB and API servers, started and stopped for it.
demo-incremental:
	tools/install-deps
	$(MAKE) all
	examples/incremental/demo.sh

bench: all $(TOOL_BINS)
	ETL_BIN=$(CURDIR)/$(B) ETL_BUILD=$(CURDIR)/$(O) bench/run

# Install the Debian packages that the build, the tests and the demo need.
deps:
	tools/install-deps

FORMAT_FILES = common/*.[ch] cmd/*.c cmd/*/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/tools/*.c \
	tests/preload/*.c
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

install: all
	mkdir -p $(BINDIR_INST) $(MANDIR_INST)/man1 $(MANDIR_INST)/man7 $(BASHCOMPDIR) $(ZSHCOMPDIR)
	cp $(BINS) $(BINDIR_INST)/
	cp $(PROGS:%=man/%.1) $(MANDIR_INST)/man1/
	cp man/etl.1 $(MANDIR_INST)/man1/
	cp man/etl.7 man/etl-expr.7 $(MANDIR_INST)/man7/
	for p in etl $(PROGS); do cp completions/etl.bash $(BASHCOMPDIR)/$$p; done
	cp completions/_etl $(ZSHCOMPDIR)/_etl

uninstall:
	rm -f $(BINDIR_INST)/etl $(PROGS:%=$(BINDIR_INST)/%) $(MANDIR_INST)/man1/etl.1 $(PROGS:%=$(MANDIR_INST)/man1/%.1)
	rm -f $(MANDIR_INST)/man7/etl.7 $(MANDIR_INST)/man7/etl-expr.7
	rm -f $(BASHCOMPDIR)/etl $(PROGS:%=$(BASHCOMPDIR)/%) $(ZSHCOMPDIR)/_etl

clean:
	rm -rf build bin

.PHONY: all check asan fuzz fuzz-build demo demo-incremental bench deps format format-check install uninstall clean
.SECONDARY:
