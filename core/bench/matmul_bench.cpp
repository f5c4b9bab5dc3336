// bench --part matmul: C = op(A)·op(B), op given as "NN", "NT" or "TN" like BLAS, timed
// on square sizes and on the shapes of a training step; the FMA peak beside them.
#include "bench/matmul_bench.h"

#include "bench/fma_peak.h"
#include "bench/lcg.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Best seconds per call of `fn` over `samples` samples, each repeating the call until
// it has run for at least `min_seconds` (at least once).
double best_seconds_per_call(const std::function<void()>& fn, int samples, double min_seconds) {
    double best = 1e30;
    for (int s = 0; s < samples; s++) {
        int64_t calls = 0;
        Clock::time_point start = Clock::now();
        double elapsed = 0;
        do {
            fn();
            calls++;
            elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        } while (elapsed < min_seconds);
        best = std::min(best, elapsed / static_cast<double>(calls));
    }
    return best;
}

struct MatmulShape {
    std::string label;  // e.g. "tiny.ff_up.fwd"
    int64_t M, N, K;
    std::string op;
    int64_t lda = 0, ldb = 0;  // row strides of A and B as stored; 0: packed tight
    int64_t count = 0;         // how often a training step runs it (0: not part of a step)
    bool per_head = false;     // attention: a head's products run on one thread, the heads side by side
};

double matmul_gflops(const MatmulShape& s, bool naive) {
    const bool ta = s.op[0] == 'T', tb = s.op[1] == 'T';
    Lcg rng;
    const int64_t lda = s.lda > 0 ? s.lda : (ta ? s.M : s.K), ldb = s.ldb > 0 ? s.ldb : (tb ? s.K : s.N);
    std::vector<float> A(static_cast<size_t>((ta ? s.K : s.M) * lda)), B(static_cast<size_t>((tb ? s.N : s.K) * ldb));
    std::vector<float> C(static_cast<size_t>(s.M * s.N));
    for (float& x : A) x = rng.uniform();
    for (float& x : B) x = rng.uniform();
    auto call = [&] {
        if (naive)
            llm::gemm_naive(s.M, s.N, s.K, A.data(), lda, ta, B.data(), ldb, tb, C.data(), s.N, false);
        else
            llm::gemm(s.M, s.N, s.K, A.data(), lda, ta, B.data(), ldb, tb, C.data(), s.N, false);
    };
    call();  // warm-up: page in the buffers, start the pool
    double seconds = best_seconds_per_call(call, 3, 0.1);
    return 2.0 * static_cast<double>(s.M) * static_cast<double>(s.N) * static_cast<double>(s.K) / seconds / 1e9;
}

// A Linear layer that a step runs `count` times: forward and its two gradients.
void add_linear(std::vector<MatmulShape>& out, const std::string& name, int64_t rows, int64_t in, int64_t outf,
                int64_t count) {
    out.push_back({name + ".fwd", rows, outf, in, "NT", 0, 0, count});   // y  = x·Wᵀ
    out.push_back({name + ".dX", rows, in, outf, "NN", 0, 0, count});    // dX = dY·W
    out.push_back({name + ".dW", outf, in, rows, "TN", 0, 0, count});    // dW = dYᵀ·x
}

// The products of one (batch, head) of the fused causal attention (ops/attention.cpp): a
// head's rows go in blocks of 64, and a block of rows [i0, i1) multiplies against tokens
// 0..i1-1 only (forward: scores Q·Kᵀ, then weights·V; backward: dWeights = dO·Vᵀ, dQ = dS·K,
// and dV = Pᵀ·dO, dK = dSᵀ·Q from row j0 on). Queries, keys, values and their gradients are
// column blocks of (B, T, C) tensors (row stride C); the T×T squares have row stride T.
// Each shape runs twice per head and layer (once forward, once backward, or twice backward).
void add_attention(std::vector<MatmulShape>& out, const std::string& set, int64_t B, int64_t T, int64_t C, int64_t H,
                   int64_t L) {
    const int64_t hs = C / H, count = 2 * B * H * L;
    for (int64_t i0 = 0, i1; i0 < T; i0 = i1) {
        i1 = T - std::min(T, i0 + 64) == 1 ? T : std::min(T, i0 + 64);
        const std::string rows = ".attn.rows" + std::to_string(i0) + "-" + std::to_string(i1);
        out.push_back({set + rows + ".QK^T|dO.V^T", i1 - i0, i1, hs, "NT", C, C, count, true});
        out.push_back({set + rows + ".PV|dS.K", i1 - i0, hs, i1, "NN", T, C, count, true});
        out.push_back({set + rows + ".P^T.dO|dS^T.Q", i1 - i0, hs, T - i0, "TN", T, C, count, true});
    }
}

// The matmuls of one training step of a GPT (B, T, C, H, L layers, V), once per distinct shape.
std::vector<MatmulShape> training_shapes(const std::string& set, int64_t B, int64_t T, int64_t C, int64_t H,
                                         int64_t L, int64_t V) {
    std::vector<MatmulShape> out;
    const int64_t R = B * T;
    add_linear(out, set + ".q|k|v|attn_out", R, C, C, 4 * L);
    add_linear(out, set + ".ff_up", R, C, 4 * C, L);
    add_linear(out, set + ".ff_down", R, 4 * C, C, L);
    add_linear(out, set + ".lm_head", R, C, V, 1);
    add_attention(out, set, B, T, C, H, L);
    return out;
}

// The bench's three configs (find_config below), by the shapes of their steps.
std::vector<std::vector<MatmulShape>> step_shape_sets() {
    return {training_shapes("tiny", 8, 128, 128, 4, 4, 512), training_shapes("small", 8, 256, 256, 8, 6, 4096),
            training_shapes("124m", 2, 256, 768, 12, 12, 50257)};
}

void print_matmul(const MatmulShape& s, const char* impl, int threads, double gflops, double peak, int peak_bits) {
    std::printf("{\"figure\": \"matmul\", \"impl\": \"%s\", \"label\": \"%s\", \"shape\": \"%lldx%lldx%lld\", "
                "\"op\": \"%s\", \"threads\": %d, \"value\": %.1f, \"unit\": \"GFLOP/s\", "
                "\"share_of_peak\": %.3f, \"peak_vector_bits\": %d}\n",
                impl, s.label.c_str(), static_cast<long long>(s.M), static_cast<long long>(s.N),
                static_cast<long long>(s.K), s.op.c_str(), threads, gflops, gflops / peak, peak_bits);
    std::fflush(stdout);
}

// Every shape of one config's step on each thread count, then the step's matmuls as a
// whole: all their multiply-adds over the time they take together, each shape weighted by
// how often the step runs it. A head's attention products run on one thread while the
// other threads run other heads, so on n threads they count at n times their one-thread speed.
void run_step_shapes(const std::vector<MatmulShape>& shapes, const std::vector<int>& thread_counts,
                     const std::vector<double>& peak, int peak_bits) {
    std::vector<double> flops(thread_counts.size(), 0.0), seconds(thread_counts.size(), 0.0);
    for (const MatmulShape& s : shapes) {
        std::fprintf(stderr, "bench: matmul %s\n", s.label.c_str());
        const double product = 2.0 * static_cast<double>(s.M) * static_cast<double>(s.N) * static_cast<double>(s.K);
        double one_thread = 0;
        for (size_t i = 0; i < thread_counts.size(); i++) {
            if (s.per_head && thread_counts[i] > 1) {
                flops[i] += product * static_cast<double>(s.count);
                seconds[i] += product * static_cast<double>(s.count) / (one_thread * thread_counts[i] * 1e9);
                continue;  // not run as one product on several threads
            }
            llm::set_num_threads(thread_counts[i]);
            double gflops = matmul_gflops(s, false);
            if (thread_counts[i] == 1) one_thread = gflops;
            print_matmul(s, "blocked", thread_counts[i], gflops, peak[i], peak_bits);
            flops[i] += product * static_cast<double>(s.count);
            seconds[i] += product * static_cast<double>(s.count) / (gflops * 1e9);
        }
    }
    const std::string config = shapes.front().label.substr(0, shapes.front().label.find('.'));
    for (size_t i = 0; i < thread_counts.size(); i++) {
        double gflops = flops[i] / seconds[i] / 1e9;
        std::printf("{\"figure\": \"matmul_step\", \"config\": \"%s\", \"threads\": %d, \"value\": %.1f, "
                    "\"unit\": \"GFLOP/s\", \"share_of_peak\": %.3f, \"peak_vector_bits\": %d, \"gflop_per_step\": %.1f}\n",
                    config.c_str(), thread_counts[i], gflops, gflops / peak[i], peak_bits, flops[i] / 1e9);
        std::fflush(stdout);
    }
}

}  // namespace

// Without a known gemm_bits, the widest width the compiler flags allow is the one gemm's
// register tile is written for.
void run_matmul_part(int all_threads, int gemm_bits) {
    std::vector<int> thread_counts = {1};
    if (all_threads > 1) thread_counts.push_back(all_threads);
    const std::vector<int> widths = fma_vector_widths();
    const char* found_by = "objdump -d of kernels/gemm.o: its widest packed multiply-add";
    if (std::find(widths.begin(), widths.end(), gemm_bits) == widths.end()) {
        gemm_bits = widest_vector_bits();
        found_by = "compiler flags: the widest vector the build allows";
    }
    std::printf("{\"figure\": \"gemm_vector_bits\", \"value\": %d, \"unit\": \"bits\", \"found_by\": \"%s\"}\n",
                gemm_bits, found_by);
    std::vector<double> peak;  // at gemm_bits, per thread count
    for (int threads : thread_counts) {
        for (int bits : widths) {
            std::fprintf(stderr, "bench: FMA peak on %d thread(s), %d-bit vectors\n", threads, bits);
            const double gflops = measure_fma_peak(threads, bits);
            if (bits == gemm_bits) peak.push_back(gflops);
            std::printf("{\"figure\": \"fma_peak\", \"threads\": %d, \"vector_bits\": %d, \"value\": %.1f, "
                        "\"unit\": \"GFLOP/s\", \"gemm_runs_at_this_width\": %s, "
                        "\"note\": \"%d independent chains of %d-bit multiply-adds per thread\"}\n",
                        threads, bits, gflops, bits == gemm_bits ? "true" : "false", kFmaChains, bits);
            std::fflush(stdout);
        }
    }
    for (int64_t n : {128, 256, 512, 1024, 2048}) {
        MatmulShape s{"square" + std::to_string(n), n, n, n, "NN"};
        std::fprintf(stderr, "bench: matmul %s\n", s.label.c_str());
        for (size_t i = 0; i < thread_counts.size(); i++) {
            llm::set_num_threads(thread_counts[i]);
            print_matmul(s, "blocked", thread_counts[i], matmul_gflops(s, false), peak[i], gemm_bits);
        }
        if (n <= 512) {  // the naive loop is single threaded and slow
            llm::set_num_threads(1);
            print_matmul(s, "naive", 1, matmul_gflops(s, true), peak[0], gemm_bits);
        }
    }
    for (const std::vector<MatmulShape>& set : step_shape_sets()) run_step_shapes(set, thread_counts, peak, gemm_bits);
}
