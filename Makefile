# Build everything with GNU make.
#   make            core library + every chapter program   -> build/release/
#   make test       the Catch2 suite; last line "N passed, N failed"
#   make debug      chapters and tests at -O0 -g3           -> build/debug/
#   make asan       the suite under Address+UB sanitizers  -> build/asan/
#   make fuzz       every reader of outside bytes under libFuzzer (clang++) -> build/fuzz/
#   make clean
# One folder per flavour, so flags never mix. CXX=clang++ works too.

CXX      ?= g++
BUILD    ?= release
OUT      := build/$(BUILD)

# -ffp-contract=off: no silent fused multiply-adds, so g++ and clang++ round
# the same way and the PyTorch-compatible generator is bit exact (SPEC §0).
WARN     := -Wall -Wextra
CXXFLAGS_COMMON = -std=c++20 $(WARN) -pthread -ffp-contract=off -MMD -MP -Icore
ifeq ($(BUILD),release)
  OPT := -O3 -march=native -g
else ifeq ($(BUILD),debug)
  OPT := -O0 -g3 -D_GLIBCXX_ASSERTIONS
else ifeq ($(BUILD),asan)
  OPT := -O1 -g -march=native -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(BUILD),fuzz)
  OPT := -O1 -g -march=native -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
         -fsanitize=fuzzer-no-link
else
  $(error BUILD must be release, debug, asan or fuzz, not '$(BUILD)')
endif
CXXFLAGS ?=
ALL_CXXFLAGS = $(CXXFLAGS_COMMON) $(OPT) $(CXXFLAGS)
LDFLAGS  ?=
ALL_LDFLAGS := -pthread $(filter -fsanitize=%,$(OPT)) $(LDFLAGS)

# The hot loop stays fast in the debug build so stepping through a chapter is pleasant.
ifeq ($(BUILD),debug)
$(OUT)/core/kernels/gemm.o: OPT := -O2 -g3 -march=native
endif

# GCC 12 with the sanitizers reports a false "may be used uninitialized" inside
# libstdc++'s <regex>, which Catch2's own implementation (compiled in catch_main.cpp) uses.
# The code is not ours, so that one file is built without this warning.
IS_CLANG := $(findstring clang,$(shell $(CXX) --version 2>/dev/null | head -n 1))
ifeq ($(BUILD)$(IS_CLANG),asan)
$(OUT)/tests/catch_main.o: WARN += -Wno-maybe-uninitialized
endif

# Every room of core/ (core/<room>/*.cpp); bench/ is a program of its own, not library code.
CORE_SRC  := $(sort $(filter-out core/bench/%,$(wildcard core/*/*.cpp)))
CORE_OBJ  := $(CORE_SRC:%.cpp=$(OUT)/%.o)
CORE_LIB  := $(OUT)/libllm.a

CHAPTERS  := $(notdir $(patsubst %/,%,$(dir $(wildcard chapters/*/main.cpp))))
CHAPTER_BINS := $(CHAPTERS:%=$(OUT)/%)

TEST_SRC  := $(sort $(wildcard tests/test_*.cpp))
TEST_OBJ  := $(TEST_SRC:%.cpp=$(OUT)/%.o)
TEST_MAIN := $(OUT)/tests/catch_main.o
TEST_BIN  := $(OUT)/run_tests

# Catch2 v2 (Debian 12) is header only; v3 is a library. CATCH2 is set by `make test`.
CATCH2 ?= 2
ifeq ($(CATCH2),3)
  TEST_CXXFLAGS := -DLLM_CATCH2_V3
  TEST_LIBS     := -lCatch2
else
  TEST_CXXFLAGS :=
  TEST_LIBS     :=
endif

.PHONY: all test test-run debug asan clean tests-bin train gdb bench fuzz fuzz-bins
# Keep the chapter objects (make would delete them as intermediate files and relink every time).
.SECONDARY:
.DEFAULT_GOAL := all

all: $(CORE_LIB) $(CHAPTER_BINS)

$(OUT)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(OUT)/tests/%.o: tests/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(TEST_CXXFLAGS) -Itests -Ichapters -c $< -o $@

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/%: $(OUT)/chapters/%/main.o $(CORE_LIB)
	$(CXX) $< $(CORE_LIB) $(ALL_LDFLAGS) -o $@

$(TEST_BIN): $(TEST_MAIN) $(TEST_OBJ) $(CORE_LIB)
	$(CXX) $(TEST_MAIN) $(TEST_OBJ) $(CORE_LIB) $(ALL_LDFLAGS) $(TEST_LIBS) -o $@

tests-bin: $(TEST_BIN) $(CHAPTER_BINS)

# `make test` first makes sure Catch2 is there (installing Debian's package when it can),
# then builds and runs the suite. TESTS='[tensor]' runs one tag group.
TESTS ?=
# When gdb is installed, the debugger tests need the debug builds of the three chapters
# they step through; they are built first (a minute), otherwise those tests are skipped.
GDB_CHAPTERS := $(addprefix build/debug/,ch03_1_simplified_self_attention ch03_2_trainable_self_attention appendix_a_tensors_autograd)
test:
	@v=$$(sh tests/ensure_catch2.sh) && \
	  if command -v gdb >/dev/null 2>&1; then $(MAKE) --no-print-directory BUILD=debug $(GDB_CHAPTERS); fi && \
	  $(MAKE) --no-print-directory CATCH2=$$v BUILD=$(BUILD) test-run

test-run: tests-bin
	@cd $(CURDIR) && LLM_BUILD_DIR=$(OUT) $(TEST_BIN) $(TESTS)

debug:
	@v=$$(sh tests/ensure_catch2.sh) && $(MAKE) --no-print-directory CATCH2=$$v BUILD=debug all tests-bin

asan:
	@v=$$(sh tests/ensure_catch2.sh) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) --no-print-directory CATCH2=$$v BUILD=asan test-run

# Train a small GPT on data/stories.txt (a few minutes on 2 cores), then sample from it.
# A second `make train` continues the run in $(RUN) (delete the folder to start over).
RUN ?= runs/stories
TRAIN_FLAGS ?=
train: $(OUT)/ch05_pretraining
	@if [ -e $(RUN)/model.safetensors ]; then \
	  echo "$(RUN) already holds a run: continuing it (delete the folder to start over)"; \
	  $(OUT)/ch05_pretraining train --resume $(RUN); \
	else \
	  $(OUT)/ch05_pretraining train --data data/stories.txt --out $(RUN) $(TRAIN_FLAGS); \
	fi
	$(OUT)/ch05_pretraining generate --run $(RUN) --prompt "One day" --tokens 60

# Time matmul, training steps, generation and peak memory on this machine (under 10 minutes
# on 2 cores), one JSON line per figure; always the release build. One process per config,
# so that each peak memory belongs to its config. See book-notes/performance.md.
BENCH := build/release/bench
bench:
	@$(MAKE) --no-print-directory BUILD=release $(BENCH)
	$(BENCH) --part matmul
	$(BENCH) --config tiny
	$(BENCH) --config small
	$(BENCH) --config 124m

$(OUT)/bench: $(OUT)/core/bench/bench.o $(CORE_LIB)
	$(CXX) $< $(CORE_LIB) $(ALL_LDFLAGS) -o $@
-include $(OUT)/core/bench/bench.d

clean:
	rm -rf build

-include $(CORE_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(TEST_MAIN:.o=.d) $(CHAPTERS:%=$(OUT)/chapters/%/main.d)

# Step through one chapter in gdb with the tensor printers loaded (see core/debug/):
#   make gdb CH=ch03_1_simplified_self_attention
CH ?= ch03_1_simplified_self_attention
gdb:
	@$(MAKE) --no-print-directory BUILD=debug build/debug/$(CH)
	gdb -q -x core/debug/gdbinit build/debug/$(CH)

# Fuzz every reader of outside bytes (safetensors, JSON, GPT-2's tokenizer files, CSV, the
# instruction data) with libFuzzer under ASan+UBSan: a benchmark-style run, not part of
# `make test`. Each target (tests/fuzz/fuzz_<name>.cpp) starts from seeds written by
# tests/fuzz/write_seeds.cpp and the real data files, then runs FUZZ_SECONDS (nice -n 10,
# one at a time); corpora, logs and crashing inputs stay in build/fuzz/.
#   make fuzz                                      all targets, 10 minutes each
#   make fuzz FUZZ_SECONDS=60 FUZZ_TARGETS=json    one target, one minute
# FUZZ_DATA is where the real data files are (../shared/data from the main checkout).
# See book-notes/robustness.md.
FUZZ_SECONDS ?= 600
FUZZ_DATA    ?= ../shared/data
FUZZ_ALL     := $(sort $(patsubst tests/fuzz/fuzz_%.cpp,%,$(wildcard tests/fuzz/fuzz_*.cpp)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BINS    := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%) build/fuzz/write_seeds
fuzz:
	@command -v clang++ >/dev/null 2>&1 || { echo "make fuzz needs clang++ with libFuzzer (Debian: apt-get install clang); not found"; exit 1; }
	@$(MAKE) --no-print-directory BUILD=fuzz CXX=clang++ fuzz-bins
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_DATA) $(FUZZ_TARGETS)

fuzz-bins: $(FUZZ_BINS)

$(OUT)/fuzz_%: $(OUT)/tests/fuzz/fuzz_%.o $(CORE_LIB)
	$(CXX) $< $(CORE_LIB) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@

$(OUT)/write_seeds: $(OUT)/tests/fuzz/write_seeds.o $(CORE_LIB)
	$(CXX) $< $(CORE_LIB) $(ALL_LDFLAGS) -o $@
-include $(wildcard $(OUT)/tests/fuzz/*.d)
