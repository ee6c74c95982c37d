# ml2chain build. `make` builds build/libml2chain.a and build/ml2chain; `make test` runs
# every suite (see scripts/test.sh); `make fuzz` runs each libFuzzer target for FUZZ_SECONDS.
# SAN=1 builds everything with AddressSanitizer + UBSan into build/san.

ifeq ($(origin CC),default)
CC      := gcc
endif
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build/san
OPT     ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else
BUILD   ?= build
OPT     ?= -O2 -g
endif

PKGS    := libsecp256k1 libcurl jansson sqlite3 libcrypto libpq libmicrohttpd libprotobuf-c
# linked; libcurl, libpq, libmicrohttpd and libxgboost are loaded on first use
# (include/ml2chain/dynlib.h)
LINK_PKGS := libsecp256k1 jansson sqlite3 libcrypto libprotobuf-c
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers -Werror
CPPFLAGS += -D_GNU_SOURCE -Iinclude -I$(BUILD)/gen
CFLAGS  += $(WARN) $(OPT) $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(LINK_PKGS)) -ldl -lm -lpthread
LDFLAGS += $(filter -fsanitize=%,$(OPT))

LIB_SRC  := $(sort $(shell find src -name '*.c' -not -path 'src/cli/*'))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(shell find tests -name 'test_*.c' -not -path 'tests/fuzz/*'))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# Code generated at build time (protobuf-c from Debian's onnx.proto).
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
GEN_SRC  := $(BUILD)/gen/onnx.pb-c.c
GEN_HDR  := $(BUILD)/gen/onnx.pb-c.h

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_SRC:%.c=%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)

.PHONY: all lib cli tests unit test test-unit san fuzz fuzz-build replay bench demo \
        contracts format format-check clean
all: lib cli

lib: $(BUILD)/libml2chain.a
cli: $(BUILD)/ml2chain
tests: $(TEST_BIN) $(REPLAY_BIN)

$(GEN_HDR) $(GEN_SRC) &: $(ONNX_PROTO)
	@mkdir -p $(BUILD)/gen
	cp -f $(ONNX_PROTO) $(BUILD)/gen/onnx.proto && chmod u+w $(BUILD)/gen/onnx.proto
	cd $(BUILD)/gen && protoc-c --c_out=. onnx.proto

# The custom errors the contracts declare, so the CLI names a revert (scripts/gen-errors.sh).
SOL_SRC  := $(sort $(shell find contracts/src -name '*.sol' 2>/dev/null))
$(BUILD)/gen/contract_errors.h: scripts/gen-errors.sh $(SOL_SRC)
	@mkdir -p $(BUILD)/gen
	scripts/gen-errors.sh $(SOL_SRC) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/src/cli/cli_rpc.o: $(BUILD)/gen/contract_errors.h

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CPPFLAGS) $(filter-out -Werror -Wshadow -Wstrict-prototypes,$(CFLAGS)) -w -c $< -o $@

$(BUILD)/obj/%.o: %.c $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libml2chain.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ml2chain: $(CLI_OBJ) $(BUILD)/libml2chain.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Tests also link libpq and libmicrohttpd: some call them directly (a PostgreSQL schema of their
# own, a real HTTPS server).
$(BUILD)/tests/%: tests/%.c $(BUILD)/libml2chain.a tests/test.h tests/scratch.h $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libml2chain.a $(LDLIBS) \
	    -lpq -lmicrohttpd

# Fuzz targets built with a plain main that replays the committed corpus (runs in `make test`).
$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(BUILD)/libml2chain.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c \
	    $(BUILD)/libml2chain.a $(LDLIBS)

test-unit: tests
	@scripts/run-unit.sh $(BUILD)

san:
	$(MAKE) SAN=1 tests cli

test: all
	@scripts/test.sh

# libFuzzer: clang, its own build dir, each target run for FUZZ_SECONDS on its corpus.
FUZZ_SECONDS ?= 30
FUZZ_BUILD := build/fuzz
fuzz-build:
	$(MAKE) CC=clang BUILD=$(FUZZ_BUILD) OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" lib
	@mkdir -p $(FUZZ_BUILD)/fuzzers
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "  FUZZ $$n"; \
	  clang $(CPPFLAGS) -I$(FUZZ_BUILD)/gen -Itests $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all $(shell pkg-config --cflags $(PKGS)) -o $(FUZZ_BUILD)/fuzzers/$$n $$f \
	    $(FUZZ_BUILD)/libml2chain.a $(LDLIBS) || exit 1; done
fuzz: fuzz-build
	@scripts/fuzz.sh $(FUZZ_BUILD)/fuzzers $(FUZZ_SECONDS)

bench: all
	@scripts/bench.sh

demo: all
	@scripts/demo.sh

format:
	clang-format -i $$(find src include tests bench -name '*.[ch]')
format-check:
	clang-format --dry-run -Werror $$(find src include tests bench -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
