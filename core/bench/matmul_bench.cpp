// bench --part matmul: C = op(A)·op(B), op given as "NN", "NT" or "TN" like BLAS, timed
// on square sizes and on the shapes of a training step; the FMA peak beside them.
#include "bench/matmul_bench.h"

#include "bench/fma_peak.h"
#include "bench/lcg.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "ops/ops.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
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
// head's rows go in blocks of 64 (attention_row_block_end, the op's own cut), and a block of
// rows [i0, i1) multiplies against tokens 0..i1-1 only (forward: scores Q·Kᵀ, then
// weights·V; backward: dWeights = dO·Vᵀ, dQ = dS·K, and dV = Pᵀ·dO, dK = dSᵀ·Q from row j0
// on). Queries, keys, values and their gradients are column blocks of (B, T, C) tensors (row
// stride C). The T×T squares (the weights after dropout, and dS) and a head's keys and values
// transposed (hs×T, op(B) of Q·Kᵀ and dO·Vᵀ) are the head's work areas, rows
// attention_work_stride(T) apart: the step runs with dropout.
// Each shape runs twice per head and layer (once forward, once backward, or twice backward).
void add_attention(std::vector<MatmulShape>& out, const std::string& set, int64_t B, int64_t T, int64_t C, int64_t H,
                   int64_t L) {
    const int64_t hs = C / H, count = 2 * B * H * L, W = llm::attention_work_stride(T);
    for (int64_t i0 = 0, i1; i0 < T; i0 = i1) {
        i1 = llm::attention_row_block_end(i0, T);
        const std::string rows = ".attn.rows" + std::to_string(i0) + "-" + std::to_string(i1);
        out.push_back({set + rows + ".QK^T|dO.V^T", i1 - i0, i1, hs, "NN", C, W, count, true});
        out.push_back({set + rows + ".PV|dS.K", i1 - i0, hs, i1, "NN", W, C, count, true});
        out.push_back({set + rows + ".P^T.dO|dS^T.Q", i1 - i0, hs, T - i0, "TN", W, C, count, true});
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

// One figure to measure: a shape on a thread count with the blocked gemm, or on one thread
// with the naive loop, and the best GFLOP/s it has run at so far.
struct Measurement {
    MatmulShape shape;
    int threads;
    bool naive;
    double best = 0;
};

// This machine's speed comes in spells (a shared VM: the same product read 10-20% apart a
// minute apart), and measured one after the other, a slow spell marked down a whole block
// of shapes. So every figure is measured in kRounds rounds, each round going once through
// all of them, and the best of the rounds is kept; the FMA peak too, so that each share is
// of the fastest peak seen.
constexpr int kRounds = 3;

// The step's matmuls as a whole: all their multiply-adds over the time they take together,
// each shape weighted by how often the step runs it. A head's attention products run on one
// thread while the other threads run other heads, so on n threads they count at n times
// their one-thread speed. best: the blocked gemm's best GFLOP/s by label and thread count
void print_step_matmuls(const std::vector<MatmulShape>& shapes, const std::vector<int>& thread_counts,
                        const std::map<std::pair<std::string, int>, double>& best, const std::vector<double>& peak,
                        int peak_bits) {
    const std::string config = shapes.front().label.substr(0, shapes.front().label.find('.'));
    for (size_t i = 0; i < thread_counts.size(); i++) {
        double flops = 0, seconds = 0;
        for (const MatmulShape& s : shapes) {
            const double work = 2.0 * static_cast<double>(s.M) * static_cast<double>(s.N) *
                                static_cast<double>(s.K) * static_cast<double>(s.count);
            const bool side_by_side = s.per_head && thread_counts[i] > 1;
            const double gflops =
                side_by_side ? best.at({s.label, 1}) * thread_counts[i] : best.at({s.label, thread_counts[i]});
            flops += work;
            seconds += work / (gflops * 1e9);
        }
        std::printf("{\"figure\": \"matmul_step\", \"config\": \"%s\", \"threads\": %d, \"value\": %.1f, "
                    "\"unit\": \"GFLOP/s\", \"share_of_peak\": %.3f, \"peak_vector_bits\": %d, \"gflop_per_step\": %.1f}\n",
                    config.c_str(), thread_counts[i], flops / seconds / 1e9, flops / seconds / 1e9 / peak[i], peak_bits,
                    flops / 1e9);
        std::fflush(stdout);
    }
}

// The FMA peak of every width on every thread count, best of the rounds so far.
void measure_peaks(int round, const std::vector<int>& thread_counts, const std::vector<int>& widths,
                   std::vector<std::vector<double>>& peaks) {
    for (size_t i = 0; i < thread_counts.size(); i++)
        for (size_t w = 0; w < widths.size(); w++) {
            std::fprintf(stderr, "bench: round %d of %d: FMA peak on %d thread(s), %d-bit vectors\n", round, kRounds,
                         thread_counts[i], widths[w]);
            peaks[i][w] = std::max(peaks[i][w], measure_fma_peak(thread_counts[i], widths[w]));
        }
}

// Every figure the part prints, in the order it prints them: the squares (blocked on each
// thread count, naive up to 512), then each config's step shapes (a head's products on one
// thread only: see print_step_matmuls).
std::vector<Measurement> matmul_figures(const std::vector<int>& thread_counts) {
    std::vector<Measurement> figures;
    for (int64_t n : {128, 256, 512, 1024, 2048}) {
        MatmulShape s{"square" + std::to_string(n), n, n, n, "NN"};
        for (int threads : thread_counts) figures.push_back({s, threads, false});
        if (n <= 512) figures.push_back({s, 1, true});  // the naive loop is single threaded and slow
    }
    for (const std::vector<MatmulShape>& set : step_shape_sets())
        for (const MatmulShape& s : set)
            for (int threads : thread_counts)
                if (!s.per_head || threads == 1) figures.push_back({s, threads, false});
    return figures;
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
    std::vector<std::vector<double>> peaks(thread_counts.size(), std::vector<double>(widths.size(), 0.0));
    std::vector<Measurement> figures = matmul_figures(thread_counts);
    for (int round = 1; round <= kRounds; round++) {
        measure_peaks(round, thread_counts, widths, peaks);
        for (Measurement& m : figures) {
            std::fprintf(stderr, "bench: round %d of %d: matmul %s on %d thread(s)%s\n", round, kRounds,
                         m.shape.label.c_str(), m.threads, m.naive ? ", naive" : "");
            llm::set_num_threads(m.threads);
            m.best = std::max(m.best, matmul_gflops(m.shape, m.naive));
        }
    }
    std::vector<double> peak;  // at gemm_bits, per thread count
    for (size_t i = 0; i < thread_counts.size(); i++)
        for (size_t w = 0; w < widths.size(); w++) {
            if (widths[w] == gemm_bits) peak.push_back(peaks[i][w]);
            std::printf("{\"figure\": \"fma_peak\", \"threads\": %d, \"vector_bits\": %d, \"value\": %.1f, "
                        "\"unit\": \"GFLOP/s\", \"gemm_runs_at_this_width\": %s, \"rounds\": %d, "
                        "\"note\": \"%d independent chains of %d-bit multiply-adds per thread\"}\n",
                        thread_counts[i], widths[w], peaks[i][w], widths[w] == gemm_bits ? "true" : "false", kRounds,
                        kFmaChains, widths[w]);
            std::fflush(stdout);
        }
    std::map<std::pair<std::string, int>, double> best;  // the blocked gemm's, by label and thread count
    for (const Measurement& m : figures) {
        const double at_peak = m.threads == 1 ? peak.front() : peak.back();  // thread_counts: 1, then all
        print_matmul(m.shape, m.naive ? "naive" : "blocked", m.threads, m.best, at_peak, gemm_bits);
        if (!m.naive) best[{m.shape.label, m.threads}] = m.best;
    }
    for (const std::vector<MatmulShape>& set : step_shape_sets())
        print_step_matmuls(set, thread_counts, best, peak, gemm_bits);
}
