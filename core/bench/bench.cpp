// make bench: how fast is this project on this machine? (not part of the library)
//
//   bench --part matmul [--gemm-vector-bits N]
//                           FMA peak at each vector width (bench/fma_peak.cpp), then
//                           llm::matmul GFLOP/s on square sizes and on every matmul
//                           shape of a training step of tiny, small and 124M, with its
//                           share of the peak at the width gemm runs at (N bits, as
//                           objdump shows; without the flag, as the compiler flags say)
//   bench --config tiny     training ms/step and tokens/s, generation tokens/s and peak
//   bench --config small    memory of one config (one config per process, so that
//   bench --config 124m     getrusage's peak resident size belongs to that config)
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
#include "autograd/op_profile.h"
#include "bench/attention_bench.h"
#include "bench/book_bench.h"
#include "bench/memory_need.h"
#include "bench/finetune_bench.h"
#include "bench/fma_peak.h"
#include "bench/summary.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "nn/nn.h"
#include "optim/optim.h"
#include "random/random.h"
#include "train/loss.h"
#include "train/sampling.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

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
            elapsed = seconds_since(start);
        } while (elapsed < min_seconds);
        best = std::min(best, elapsed / static_cast<double>(calls));
    }
    return best;
}

// A small deterministic generator for test data (the library's generator is not needed here).
struct Lcg {
    uint32_t state = 12345u;
    uint32_t next() {
        state = state * 1664525u + 1013904223u;
        return state >> 8;
    }
    float uniform() { return static_cast<float>(next() & 0xFFFF) / 65536.0f - 0.5f; }
};

// ---------------------------------------------------------------------------------------
// (a) matmul: C = op(A)·op(B), op given as "NN", "NT" or "TN" like BLAS.

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

// gemm_bits: the vector width gemm's multiply-adds run at, as its object code shows
// (core/bench/run.sh reads it with objdump), or 0 when unknown: then the widest width the
// compiler flags allow, the one gemm's register tile is written for. Each matmul figure's
// share_of_peak is of the FMA peak at that width, on the same thread count.
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

// ---------------------------------------------------------------------------------------
// (b)-(d) one config: training steps, generation, peak memory.

struct BenchConfig {
    std::string name;
    llm::GPTConfig gpt;
    int64_t batch;
    int warmup_steps, timed_steps;
    int64_t gen_tokens;
};

constexpr int64_t kPromptTokens = 4;  // generation's prompt: that many random token ids

BenchConfig find_config(const std::string& name) {
    llm::GPTConfig g;
    g.drop_rate = 0.1;
    if (name == "tiny") {
        g.vocab_size = 512, g.context_length = 128, g.emb_dim = 128, g.n_heads = 4, g.n_layers = 4;
        return {name, g, 8, 3, 30, 50};
    }
    if (name == "small") {
        g.vocab_size = 4096, g.context_length = 256, g.emb_dim = 256, g.n_heads = 8, g.n_layers = 6;
        return {name, g, 8, 1, 8, 50};
    }
    if (name == "124m") {
        g = llm::gpt_config_124m();
        g.context_length = 256;  // the book's chapter 5 setting
        g.drop_rate = 0.1;
        return {name, g, 2, 1, 3, 50};
    }
    std::fprintf(stderr, "bench: unknown config '%s' (tiny, small, 124m)\n", name.c_str());
    std::exit(2);
}

llm::Tensor random_ids(int64_t rows, int64_t cols, int64_t vocab, Lcg& rng) {
    std::vector<int64_t> ids(static_cast<size_t>(rows * cols));
    for (int64_t& id : ids) id = static_cast<int64_t>(rng.next() % static_cast<uint32_t>(vocab));
    return llm::tensor_int64(ids, {rows, cols});
}

void print_config_figure(const BenchConfig& c, const char* figure, int threads, double value, const char* unit) {
    std::printf("{\"figure\": \"%s\", \"config\": \"%s\", \"threads\": %d, \"value\": %.2f, \"unit\": \"%s\"}\n",
                figure, c.name.c_str(), threads, value, unit);
    std::fflush(stdout);
}

// One training step as chapter 5 runs it: forward, cross-entropy, backward, AdamW, zero_grad.
void train_step(llm::GPTModel& model, llm::AdamW& optimizer, const llm::Tensor& input, const llm::Tensor& target) {
    llm::Tensor loss = llm::calc_loss_batch(input, target, model);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
}

void print_profile_row(const BenchConfig& c, int threads, const std::string& op, int64_t calls, double forward_s,
                       double backward_s, double bytes, double step_s) {
    const double seconds = forward_s + backward_s;
    std::printf("{\"figure\": \"op_profile\", \"config\": \"%s\", \"threads\": %d, \"op\": \"%s\", "
                "\"calls\": %lld, \"forward_ms\": %.3f, \"backward_ms\": %.3f, \"share_of_step\": %.4f, "
                "\"mb_moved\": %.1f, \"gb_per_s\": %.1f}\n",
                c.name.c_str(), threads, op.c_str(), static_cast<long long>(calls), forward_s * 1e3, backward_s * 1e3,
                seconds / step_s, bytes / 1e6, seconds > 0 ? bytes / seconds / 1e9 : 0.0);
    std::fprintf(stderr, "  %-44s %5lld calls %9.2f ms fwd %9.2f ms bwd %5.1f%% %8.1f MB\n", op.c_str(),
                 static_cast<long long>(calls), forward_s * 1e3, backward_s * 1e3, 100 * seconds / step_s, bytes / 1e6);
}

// One more step with the per-op profile on (autograd/op_profile.h): a JSON line per op
// (grad_fn name and output shape), then the optimizer and what the engine itself took.
void profile_step(const BenchConfig& c, llm::GPTModel& model, llm::AdamW& optimizer, const llm::Tensor& input,
                  const llm::Tensor& target, int threads) {
    Clock::time_point start = Clock::now();
    llm::op_profile_start();
    llm::Tensor loss = llm::calc_loss_batch(input, target, model);
    const double forward_s = seconds_since(start);
    loss.backward();
    const double backward_s = seconds_since(start) - forward_s;
    std::vector<llm::OpProfileRow> rows = llm::op_profile_stop();
    Clock::time_point optimizer_start = Clock::now();
    optimizer.step();
    optimizer.zero_grad();
    const double optimizer_s = seconds_since(optimizer_start), step_s = seconds_since(start);
    std::fprintf(stderr, "bench: %s, one step on %d thread(s), %.1f ms:\n", c.name.c_str(), threads, step_s * 1e3);
    double op_forward = 0, op_backward = 0;
    for (const llm::OpProfileRow& r : rows) {
        print_profile_row(c, threads, r.op, r.calls, r.forward_seconds, r.backward_seconds,
                          r.forward_bytes + r.backward_bytes, step_s);
        op_forward += r.forward_seconds;
        op_backward += r.backward_seconds;
    }
    // AdamW reads p, g, m, v and writes p, m, v: 28 bytes per parameter.
    print_profile_row(c, threads, "AdamW step + zero_grad", 1, 0, optimizer_s,
                      28.0 * static_cast<double>(model.num_parameters()), step_s);
    print_profile_row(c, threads, "autograd engine (order, gradient sums)", 1, forward_s - op_forward,
                      backward_s - op_backward, 0, step_s);
}

void bench_training(const BenchConfig& c, llm::GPTModel& model, llm::AdamW& optimizer, int threads) {
    llm::set_num_threads(threads);
    Lcg rng;
    const int64_t T = c.gpt.context_length;
    llm::Tensor input = random_ids(c.batch, T, c.gpt.vocab_size, rng);
    llm::Tensor target = random_ids(c.batch, T, c.gpt.vocab_size, rng);
    model.train();
    for (int s = 0; s < c.warmup_steps; s++) train_step(model, optimizer, input, target);
    // The median step, as PyTorch's script reports: one slow step (another process woke up
    // on this shared machine) does not move it.
    std::vector<double> step_seconds;
    for (int s = 0; s < c.timed_steps; s++) {
        Clock::time_point start = Clock::now();
        train_step(model, optimizer, input, target);
        step_seconds.push_back(seconds_since(start));
    }
    std::sort(step_seconds.begin(), step_seconds.end());
    const size_t middle = step_seconds.size() / 2;
    const double per_step = step_seconds.size() % 2 == 1 ? step_seconds[middle]
                                                         : (step_seconds[middle - 1] + step_seconds[middle]) / 2.0;
    print_config_figure(c, "train_ms_per_step", threads, per_step * 1e3, "ms");
    print_config_figure(c, "train_tokens_per_s", threads, static_cast<double>(c.batch * T) / per_step, "tokens/s");
    profile_step(c, model, optimizer, input, target, threads);
}

// Greedy generation, batch 1, 4-token prompt, 50 new tokens for every config (the length
// the book's generate_and_print_sample draws, and torch_gpt.py --gen-tokens 50): the
// book's way (the whole prefix again for every new token) and with the KV cache (only
// the new token). No separate warm-up: the book's way runs first (torch_gpt.py warms up
// with 8 tokens), so the cached run finds the weights touched and its time includes the
// 4-token prompt.
void bench_generation(const BenchConfig& c, llm::GPTModel& model, int threads) {
    llm::set_num_threads(threads);
    Lcg rng;
    llm::Tensor prompt = random_ids(1, kPromptTokens, c.gpt.vocab_size, rng);
    model.eval();
    for (bool kv_cache : {false, true}) {
        Clock::time_point start = Clock::now();
        llm::Tensor out = llm::generate(model, prompt, c.gen_tokens, c.gpt.context_length, 0.0, std::nullopt,
                                        std::nullopt, kv_cache);
        const double tokens_per_s = static_cast<double>(out.size(1) - kPromptTokens) / seconds_since(start);
        std::printf("{\"figure\": \"generate_tokens_per_s\", \"config\": \"%s\", \"threads\": %d, "
                    "\"kv_cache\": %s, \"new_tokens\": %lld, \"value\": %.2f, \"unit\": \"tokens/s\"}\n",
                    c.name.c_str(), threads, kv_cache ? "true" : "false", static_cast<long long>(c.gen_tokens),
                    tokens_per_s);
        std::fflush(stdout);
    }
}

void print_memory(const BenchConfig& c, const llm::GPTModel& model) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
    const double params = static_cast<double>(model.num_parameters());
    const double need_mb = training_need_bytes(c.gpt, c.batch) / (1024.0 * 1024.0);
    std::printf("{\"figure\": \"peak_memory\", \"config\": \"%s\", \"threads\": %d, \"value\": %.1f, \"unit\": \"MiB\", "
                "\"theoretical\": %.1f, \"ratio\": %.2f, \"parameters\": %.0f, "
                "\"note\": \"theoretical = 16 bytes x parameters (weights, gradients, AdamW m and v) + 4 bytes x "
                "B*T*(L*(18*C + 3*H*T) + 2*V) saved activations\"}\n",
                c.name.c_str(), llm::num_threads(), peak_mb, need_mb, peak_mb / need_mb, params);
    std::fflush(stdout);
}

void run_config(const std::string& name, int all_threads) {
    const BenchConfig c = find_config(name);
    llm::manual_seed(123);
    llm::GPTModel model(c.gpt);
    llm::AdamW optimizer(model.parameters(), 4e-4f, 0.1f);
    std::vector<int> thread_counts = {1};
    if (all_threads > 1) thread_counts.push_back(all_threads);
    for (int threads : thread_counts) {
        std::fprintf(stderr, "bench: %s training on %d thread(s)\n", name.c_str(), threads);
        bench_training(c, model, optimizer, threads);
    }
    for (int threads : thread_counts) {
        std::fprintf(stderr, "bench: %s generation on %d thread(s)\n", name.c_str(), threads);
        bench_generation(c, model, threads);
    }
    print_memory(c, model);
}

// bench --describe: what each config runs, one JSON line each, so that the peers
// (core/bench/run.sh: PyTorch, OpenBLAS) run the same shapes, steps and token counts.
void describe_configs(int all_threads) {
    const std::string thread_counts = all_threads > 1 ? "1," + std::to_string(all_threads) : "1";
    for (const char* name : {"tiny", "small", "124m"}) {
        const BenchConfig c = find_config(name);
        std::printf("{\"figure\": \"config\", \"config\": \"%s\", \"vocab\": %lld, \"ctx\": %lld, \"emb\": %lld, "
                    "\"heads\": %lld, \"layers\": %lld, \"batch\": %lld, \"dropout\": %g, \"qkv_bias\": %s, "
                    "\"warmup_steps\": %d, \"timed_steps\": %d, \"prompt_tokens\": %lld, \"new_tokens\": %lld, "
                    "\"thread_counts\": \"%s\"}\n",
                    name, static_cast<long long>(c.gpt.vocab_size), static_cast<long long>(c.gpt.context_length),
                    static_cast<long long>(c.gpt.emb_dim), static_cast<long long>(c.gpt.n_heads),
                    static_cast<long long>(c.gpt.n_layers), static_cast<long long>(c.batch), c.gpt.drop_rate,
                    c.gpt.qkv_bias ? "true" : "false", c.warmup_steps, c.timed_steps,
                    static_cast<long long>(kPromptTokens), static_cast<long long>(c.gen_tokens), thread_counts.c_str());
    }
    describe_finetune(all_threads, kCh07Tokens);
    std::fflush(stdout);
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
