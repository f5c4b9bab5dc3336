# Build everything with GNU make.
#   make            core library + every chapter program   -> build/release/
#   make test       the Catch2 suite; last line "N passed, N failed"
#   make debug      chapters and tests at -O0 -g3           -> build/debug/
#   make asan       the suite under Address+UB sanitizers  -> build/asan/
#   make fuzz       every reader of outside bytes under libFuzzer (clang++) -> build/fuzz/
#   make clean
# One folder per flavour, so flags never mix. CXX=clang++ works too, and so does
# Apple clang on macOS. GEMM=portable builds the matmul's portable register tile (the
# one an arm64 Mac compiles) on any CPU, into build/<flavour>-gemm-portable/.

CXX      ?= g++
BUILD    ?= release
OUT      := build/$(BUILD)

# macOS: Apple clang refuses -march=native on arm64 (it takes -mcpu=native), so the flag
# is whichever of the two the compiler accepts. Threads are part of macOS's C library:
# no -pthread there.
UNAME    := $(shell uname -s)
NATIVE   := $(shell for f in -march=native -mcpu=native; do \
              if $(CXX) -Werror $$f -x c++ -c /dev/null -o /dev/null 2>/dev/null; then echo $$f; break; fi; done)
ifeq ($(UNAME),Darwin)
  THREADS :=
  LIB_ASSERTS :=
else
  THREADS := -pthread
  LIB_ASSERTS := -D_GLIBCXX_ASSERTIONS
endif

GEMM     ?=
ifeq ($(GEMM),portable)
  OUT := build/$(BUILD)-gemm-portable
  GEMM_FLAGS := -DLLM_GEMM_PORTABLE
else ifneq ($(GEMM),)
  $(error GEMM must be empty or portable, not '$(GEMM)')
endif

# -ffp-contract=off: no silent fused multiply-adds, so g++ and clang++ round
# the same way and the PyTorch-compatible generator is bit exact (book-notes/torch_rng.md §0).
# -fno-math-errno: sqrt need not set errno, so it is one instruction and loops with it
# vectorise (AdamW); no result changes (core/README.md).
WARN     := -Wall -Wextra
CXXFLAGS_COMMON = -std=c++20 $(WARN) $(THREADS) -ffp-contract=off -fno-math-errno -MMD -MP -Icore $(GEMM_FLAGS)
ifeq ($(BUILD),release)
  OPT := -O3 $(NATIVE) -g
else ifeq ($(BUILD),debug)
  OPT := -O0 -g3 $(LIB_ASSERTS)
else ifeq ($(BUILD),asan)
  OPT := -O1 -g $(NATIVE) -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(BUILD),fuzz)
  OPT := -O1 -g $(NATIVE) -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
         -fsanitize=fuzzer-no-link
else
  $(error BUILD must be release, debug, asan or fuzz, not '$(BUILD)')
endif
CXXFLAGS ?=
ALL_CXXFLAGS = $(CXXFLAGS_COMMON) $(OPT) $(CXXFLAGS)
LDFLAGS  ?=
ALL_LDFLAGS := $(THREADS) $(filter -fsanitize=%,$(OPT)) $(LDFLAGS)

# The hot loops (the matmul's two files) stay fast in the debug build so stepping through a
# chapter is pleasant.
MATMUL_OBJ := $(OUT)/core/kernels/gemm.o $(OUT)/core/kernels/row_times_matrix.o
ifeq ($(BUILD),debug)
$(MATMUL_OBJ): OPT := -O2 -g3 $(NATIVE)
endif

# On a CPU with AVX-512 the matmul is built for 512-bit vectors even where -march=native
# prefers 256-bit ones (g++ and clang++ do for Intel Xeons): its 8×32 register tile is 16
# zmm accumulators (32 ymm ones would not fit), and every AVX-512 CPU measured runs zmm
# multiply-adds at least as fast (Ice Lake 101 vs 91 GFLOP/s a core, Zen 5 twice as fast).
HAS_AVX512 := $(shell $(CXX) $(NATIVE) -dM -E -x c++ /dev/null 2>/dev/null | grep -c __AVX512F__)
ifneq ($(HAS_AVX512),0)
$(MATMUL_OBJ): OPT += -mprefer-vector-width=512
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
# The pieces of the bench the tests call: bench --summary's reading of a run's JSON lines,
# the CPU pinning of its per-CPU thread scaling, and its per-op losses on all threads.
TEST_BENCH_OBJ := $(OUT)/core/bench/summary.o $(OUT)/core/bench/cpu_affinity.o $(OUT)/core/bench/op_thread_loss.o

# Catch2 v2 (Debian 12) is header only; v3 is a library. CATCH2 is set by `make test`.
CATCH2 ?= 2
ifeq ($(CATCH2),3)
  TEST_CXXFLAGS := -DLLM_CATCH2_V3
  TEST_LIBS     := -lCatch2
else
  TEST_CXXFLAGS :=
  TEST_LIBS     :=
endif
# Homebrew's Catch2 (brew install catch2) is outside Apple clang's search paths on arm64.
BREW := $(if $(filter Darwin,$(UNAME)),$(shell brew --prefix 2>/dev/null))
ifneq ($(BREW),)
  CATCH2_INCLUDE := -I$(BREW)/include
  TEST_CXXFLAGS  += $(CATCH2_INCLUDE)
  TEST_LIBS      := -L$(BREW)/lib $(TEST_LIBS)
endif
FIND_CATCH2 := CXX="$(CXX) $(CATCH2_INCLUDE)" sh tests/ensure_catch2.sh

.PHONY: all test test-run debug asan libcxx clean tests-bin train gdb lldb bench fuzz fuzz-bins
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

$(TEST_BIN): $(TEST_MAIN) $(TEST_OBJ) $(TEST_BENCH_OBJ) $(CORE_LIB)
	$(CXX) $(TEST_MAIN) $(TEST_OBJ) $(TEST_BENCH_OBJ) $(CORE_LIB) $(ALL_LDFLAGS) $(TEST_LIBS) -o $@

tests-bin: $(TEST_BIN) $(CHAPTER_BINS)

# `make test` first makes sure Catch2 is there (installing Debian's package when it can),
# then builds and runs the suite. TESTS='[tensor]' runs one tag group.
TESTS ?=
# When gdb or lldb is installed, the debugger tests need the debug builds of the three
# chapters they step through (with the usual GEMM); they are built first (a minute),
# otherwise those tests are skipped.
GDB_CHAPTERS := $(addprefix build/debug/,ch03_1_simplified_self_attention ch03_2_trainable_self_attention appendix_a_tensors_autograd)
test:
	@v=$$($(FIND_CATCH2)) && \
	  if command -v gdb >/dev/null 2>&1 || command -v lldb >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory BUILD=debug GEMM= $(GDB_CHAPTERS); fi && \
	  $(MAKE) --no-print-directory CATCH2=$$v BUILD=$(BUILD) test-run

# The [gemm] tests also run against the portable register tile (see GEMM above), in a small
# binary of their own, so `make test` checks on any CPU the path an arm64 Mac takes:
# test_gemm.o linked with gemm.cpp compiled with LLM_GEMM_PORTABLE (the library's own
# gemm.o, whose symbols are then all defined already, is not pulled from the archive).
# Skipped when the whole build is GEMM=portable, or when TESTS names other tags only.
PORTABLE_GEMM_DIR   := $(OUT)/gemm-portable
PORTABLE_GEMM_TESTS := $(PORTABLE_GEMM_DIR)/run_gemm_tests
RUN_PORTABLE_GEMM   := $(if $(GEMM),,$(if $(TESTS),$(findstring gemm,$(TESTS)),yes))

$(PORTABLE_GEMM_DIR)/gemm.o: core/kernels/gemm.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -DLLM_GEMM_PORTABLE -c $< -o $@

$(PORTABLE_GEMM_TESTS): $(TEST_MAIN) $(OUT)/tests/test_gemm.o $(PORTABLE_GEMM_DIR)/gemm.o $(CORE_LIB)
	$(CXX) $(TEST_MAIN) $(OUT)/tests/test_gemm.o $(PORTABLE_GEMM_DIR)/gemm.o $(CORE_LIB) $(ALL_LDFLAGS) $(TEST_LIBS) -o $@
-include $(PORTABLE_GEMM_DIR)/gemm.d

# tests/run_suites.sh runs the binaries in turn and ends with one "N passed, N failed" line for all.
test-run: tests-bin $(if $(RUN_PORTABLE_GEMM),$(PORTABLE_GEMM_TESTS))
	@cd $(CURDIR) && LLM_BUILD_DIR=$(OUT) sh tests/run_suites.sh \
	  $(if $(RUN_PORTABLE_GEMM),$(PORTABLE_GEMM_TESTS)) $(TEST_BIN) -- $(TESTS)

debug:
	@v=$$($(FIND_CATCH2)) && $(MAKE) --no-print-directory CATCH2=$$v BUILD=debug all tests-bin

# LeakSanitizer does not run on macOS.
ASAN_LEAKS := $(if $(filter Darwin,$(UNAME)),0,1)
asan:
	@v=$$($(FIND_CATCH2)) && ASAN_OPTIONS=detect_leaks=$(ASAN_LEAKS) UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) --no-print-directory CATCH2=$$v BUILD=asan test-run

# The test suite built with clang++ and LLVM's libc++, the C++ library macOS ships, into
# build/libcxx/: what a Mac's standard library accepts, checked on Linux (Debian's clang and
# libc++-dev packages). libc++ lacks some of libstdc++'s pieces (std::from_chars for doubles).
libcxx:
	@v=$$($(FIND_CATCH2)) && $(MAKE) --no-print-directory CATCH2=$$v OUT=build/libcxx CXX=clang++ \
	  CXXFLAGS=-stdlib=libc++ LDFLAGS=-stdlib=libc++ test-run

# Train a small GPT on data/stories.txt (about 40 s on 2 cores), then sample from it.
# A second `make train` continues the run in $(RUN) (delete the folder to start over).
# TRAIN_FLAGS: the book's GPT (4 blocks of width 128, BPE with 1,024 tokens) with rotary
# positions instead of learned ones, one pass over windows that start every 12 tokens,
# no dropout, weight decay 0.5 (chosen by measurement: chapters/ch05_pretraining/README.md).
# TRAIN_FLAGS= trains the book's model with the book's settings.
RUN ?= runs/stories
TRAIN_FLAGS ?= --pos rope --stride 12 --epochs 1 --dropout 0 --weight-decay 0.5 \
               --eval-interval 100 --checkpoint-interval 500
train: $(OUT)/ch05_pretraining
	@if [ -n "$$(find $(RUN)/checkpoints -maxdepth 1 -name 'step-*' ! -name '*.tmp' 2>/dev/null)" ]; then \
	  echo "$(RUN) already holds a run: continuing it (delete the folder to start over)"; \
	  $(OUT)/ch05_pretraining train --resume $(RUN); \
	else \
	  $(OUT)/ch05_pretraining train --data data/stories.txt --out $(RUN) $(TRAIN_FLAGS); \
	fi
	$(OUT)/ch05_pretraining generate --run $(RUN) --prompt "One day" --tokens 60

# Time matmul, training steps, generation, peak memory, long-context attention, chapters
# 6 and 7 and the book's chapter-5 run on this machine, one JSON line per figure (always the
# release build; one process per part, so that each peak memory belongs to its config), and
# after each part the same work done by the peers, PyTorch and OpenBLAS, when they are
# installed: they are for comparison only, and a checkout without them runs ours alone (one
# line says so). PEERS is the folder of the peer scripts torch_gpt.py and sgemm_blas.c
# (beside the main checkout; PEERS= runs ours only), PEER_PYTHON the Python that imports
# torch; chapters 6 and 7's peer is .bench-peers/torch_finetune.py. The book's run needs the
# book's text and GPT-2's vocabulary (BOOK_VERDICT, BOOK_GPT2; skipped with a note without
# them). Every line also goes to build/release/bench.jsonl, and the run ends with ours ÷ the
# fastest peer per config and thread count ({"figure": "ratio", ...}). The three configs
# and their peer run BENCH_ROUNDS times (default 2), taking turns, and the fastest run of
# each is compared. About 40 minutes on 2 cores with the peers. See core/bench/run.sh and
# book-notes/performance.md.
BENCH        := build/release/bench
PEERS        ?= ../shared/bench
PEER_PYTHON  ?= /usr/bin/python3
BOOK_VERDICT ?= data/the-verdict.txt
BOOK_GPT2    ?= data/gpt2
BENCH_ROUNDS ?= 2
bench:
	@$(MAKE) --no-print-directory BUILD=release $(BENCH) build/release/ch05_pretraining
	@BENCH_ROUNDS=$(BENCH_ROUNDS) sh core/bench/run.sh build/release "$(PEERS)" "$(PEER_PYTHON)" "$(BOOK_VERDICT)" "$(BOOK_GPT2)"

BENCH_OBJ := $(patsubst %.cpp,$(OUT)/%.o,$(wildcard core/bench/*.cpp))
$(OUT)/bench: $(BENCH_OBJ) $(CORE_LIB)
	$(CXX) $(BENCH_OBJ) $(CORE_LIB) $(ALL_LDFLAGS) -o $@
-include $(BENCH_OBJ:.o=.d)

clean:
	rm -rf build

-include $(CORE_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(TEST_MAIN:.o=.d) $(CHAPTERS:%=$(OUT)/chapters/%/main.d)

# Step through one chapter in gdb or lldb with the tensor printers loaded (see core/debug/):
#   make gdb CH=ch03_1_simplified_self_attention
#   make lldb CH=ch03_1_simplified_self_attention
CH ?= ch03_1_simplified_self_attention
gdb:
	@$(MAKE) --no-print-directory BUILD=debug GEMM= build/debug/$(CH)
	gdb -q -x core/debug/gdbinit build/debug/$(CH)

lldb:
	@$(MAKE) --no-print-directory BUILD=debug GEMM= build/debug/$(CH)
	sh core/debug/lldb.sh -Q -s core/debug/lldbinit build/debug/$(CH)

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
