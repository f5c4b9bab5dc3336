// make bench: how fast is this project on this machine? (not part of the library)
//
//   bench --part matmul [--gemm-vector-bits N]
//                           FMA peak at each vector width (bench/fma_peak.cpp), then
//                           llm::gemm GFLOP/s on square sizes and on every matmul
//                           shape of a training step of tiny, small and 124M, with its
//                           share of the peak at the width gemm runs at (N bits, as
//                           objdump shows; without the flag, as the compiler flags say),
//                           each the best of three rounds (bench/matmul_bench.cpp)
//   bench --config tiny     training ms/step and tokens/s, 1 and all threads in turns (also
//   bench --config small    with 1 thread pinned to each CPU), generation tokens/s and peak
//   bench --config 124m     memory of one config (one config per process, so that getrusage's
//                           peak resident size belongs to it) (bench/config_bench.cpp)
//   bench --steps CONFIG THREADS STEPS
//                           training alone: the median step and the last loss's bits, for
//                           comparing two builds in turns (bench/ab.sh)
//   bench --part attention [--tokens 256,1024,...] [--budget-gb 4]
//                           long-context attention (bench/attention_bench.cpp)
//   bench --part finetune [--ch07-tokens 73]
//                           chapter 6's and 7's steps on GPT-2 124M's shape and the
//                           minutes of the book's runs (bench/finetune_bench.cpp)
//   bench --part book [--verdict FILE] [--gpt2-dir DIR] [--program PATH] [--log FILE]
//                           the book's chapter-5 run as a whole: minutes, peak memory
//                           and what it needs (bench/book_bench.cpp)
//   bench --describe        what each config runs, for the peers (PyTorch, OpenBLAS)
//   bench --summary FILE    ours ÷ the peers' best, from the JSON lines of a whole run
//                           (bench/summary.cpp; `make bench` runs all this: bench/run.sh)
//
// Every figure is one JSON line on stdout; progress goes to stderr. Each figure is
// measured on 1 thread and on all threads (llm::num_threads() before any change:
// LLM_THREADS, else the hardware threads).
#include "bench/attention_bench.h"
#include "bench/book_bench.h"
#include "bench/config_bench.h"
#include "bench/finetune_bench.h"
#include "bench/matmul_bench.h"
#include "bench/summary.h"
#include "kernels/parallel.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// bench --part attention [--tokens 256,1024,4096,16384] [--budget-gb 4]; false on a bad flag.
bool parse_attention_flags(int argc, char** argv) {
    std::vector<int64_t> lengths = {256, 1024, 4096, 16384};
    double budget_gb = 4.0;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--tokens") == 0) {
            lengths.clear();
            for (const char* p = argv[i + 1]; *p != '\0';) {
                char* end = nullptr;
                long long value = std::strtoll(p, &end, 10);
                if (end == p || value <= 0) return false;
                lengths.push_back(value);
                p = *end == ',' ? end + 1 : end;
            }
        } else if (std::strcmp(argv[i], "--budget-gb") == 0) {
            budget_gb = std::atof(argv[i + 1]);
        } else {
            return false;
        }
    }
    if (argc % 2 == 0) return false;  // a flag without its value
    run_attention_part(lengths, budget_gb * 1e9);
    return true;
}

void usage() {
    std::fprintf(stderr, "usage: bench --part matmul [--gemm-vector-bits 128|256|512]\n"
                         "       bench --config tiny|small|124m\n"
                         "       bench --steps tiny|small|124m THREADS STEPS   (training alone: bench/ab.sh)\n"
                         "       bench --part attention [--tokens 256,1024,4096,16384] [--budget-gb 4]\n"
                         "       bench --part finetune [--ch07-tokens %lld]\n"
                         "       bench --part book [--verdict FILE] [--gpt2-dir DIR] [--program PATH] [--log FILE]\n"
                         "       bench --describe          (what each config runs, for the peers)\n"
                         "       bench --summary FILE      (ours / the peers' best, from a file of JSON lines)\n"
                         "       (no arguments: everything but the finetune and book parts in this one process)\n",
                 static_cast<long long>(kCh07Tokens));
}

}  // namespace

int main(int argc, char** argv) {
    const int all_threads = llm::num_threads();
    Clock::time_point start = Clock::now();
    if (argc >= 3 && std::strcmp(argv[1], "--part") == 0 && std::strcmp(argv[2], "matmul") == 0) {
        int gemm_bits = 0;  // unknown: run_matmul_part takes the compiler flags' widest
        if (argc == 5 && std::strcmp(argv[3], "--gemm-vector-bits") == 0) gemm_bits = std::atoi(argv[4]);
        if ((argc != 3 && argc != 5) || (argc == 5 && gemm_bits != 128 && gemm_bits != 256 && gemm_bits != 512)) {
            usage();
            return 2;
        }
        run_matmul_part(all_threads, gemm_bits);
    } else if (argc >= 3 && std::strcmp(argv[1], "--part") == 0 && std::strcmp(argv[2], "attention") == 0) {
        if (!parse_attention_flags(argc, argv)) {
            usage();
            return 2;
        }
    } else if (argc >= 3 && std::strcmp(argv[1], "--part") == 0 && std::strcmp(argv[2], "finetune") == 0) {
        long long tokens = kCh07Tokens;
        if (argc == 5 && std::strcmp(argv[3], "--ch07-tokens") == 0) tokens = std::atoll(argv[4]);
        if ((argc != 3 && argc != 5) || tokens < 2 || tokens > 1024) {
            usage();
            return 2;
        }
        run_finetune_part(all_threads, tokens);
    } else if (argc >= 3 && std::strcmp(argv[1], "--part") == 0 && std::strcmp(argv[2], "book") == 0) {
        std::string program = "build/release/ch05_pretraining", verdict = "data/the-verdict.txt", gpt2 = "data/gpt2",
                    log = "build/release/book-train.txt";
        for (int i = 3; i + 1 < argc; i += 2) {
            std::string flag = argv[i];
            if (flag == "--program") program = argv[i + 1];
            else if (flag == "--verdict") verdict = argv[i + 1];
            else if (flag == "--gpt2-dir") gpt2 = argv[i + 1];
            else if (flag == "--log") log = argv[i + 1];
            else argc = 0;  // an unknown flag: usage below
        }
        if (argc % 2 == 0) {
            usage();
            return 2;
        }
        if (!run_book_part(program, verdict, gpt2, log)) return 1;
    } else if (argc == 3 && std::strcmp(argv[1], "--config") == 0) {
        run_config(argv[2], all_threads);
    } else if (argc == 5 && std::strcmp(argv[1], "--steps") == 0 && std::atoi(argv[3]) > 0 && std::atoi(argv[4]) > 0) {
        run_steps(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
    } else if (argc == 2 && std::strcmp(argv[1], "--describe") == 0) {
        describe_configs(all_threads);
        return 0;
    } else if (argc == 3 && std::strcmp(argv[1], "--summary") == 0) {
        return print_summary(argv[2]) ? 0 : 1;
    } else if (argc == 1) {
        run_matmul_part(all_threads, 0);
        for (const char* name : {"tiny", "small", "124m"}) run_config(name, all_threads);
        run_attention_part({256, 1024, 4096, 16384}, 4e9);
    } else {
        usage();
        return 2;
    }
    std::fprintf(stderr, "bench: done in %.1f s\n", seconds_since(start));
    return 0;
}
