// make bench: how fast is this project on this machine? (not part of the library)
//
//   bench --part matmul     FMA peak, then llm::matmul GFLOP/s on square sizes and on
//                           every matmul shape of a training step of tiny, small and 124M
//   bench --config tiny     training ms/step and tokens/s, generation tokens/s and peak
//   bench --config small    memory of one config (one config per process, so that
//   bench --config 124m     getrusage's peak resident size belongs to that config)
//   bench --part attention [--tokens 256,1024,...] [--budget-gb 4]
//                           long-context attention (bench/attention_bench.cpp)
//   bench --part finetune [--ch07-tokens 73]
//                           chapter 6's and 7's steps on GPT-2 124M's shape and the
//                           minutes of the book's runs (bench/finetune_bench.cpp)
//
// Every figure is one JSON line on stdout; progress goes to stderr. Each figure is
// measured on 1 thread and on all threads (llm::num_threads() before any change:
// LLM_THREADS, else the hardware threads).
#include "autograd/op_profile.h"
#include "bench/attention_bench.h"
#include "bench/finetune_bench.h"
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
// (a) FMA peak: kAcc independent chains acc = acc·b + c. The compiler turns the inner loop
// into kAcc / 8 vfmadd231ps on ymm registers (12 chains > 4 cycles latency × 2 FMA pipes).

constexpr int kAcc = 96;

float fma_chains(int64_t iterations, float seed) {
    float acc[kAcc];
    for (int i = 0; i < kAcc; i++) acc[i] = seed + 0.001f * static_cast<float>(i);
    const float b = 0.99999f, c = 1e-6f * seed;
    for (int64_t it = 0; it < iterations; it++)
        for (int i = 0; i < kAcc; i++) acc[i] = std::fma(acc[i], b, c);
    float sum = 0;
    for (int i = 0; i < kAcc; i++) sum += acc[i];
    return sum;
}

// GFLOP/s of fma_chains on `threads` std::threads at once, best of 5 runs.
double measure_fma_peak(int threads) {
    const int64_t iterations = 4'000'000;  // 768 MFLOP per thread, ~10 ms at peak
    std::vector<float> sink(static_cast<size_t>(threads));
    double best = 1e30;
    for (int run = 0; run < 5; run++) {
        Clock::time_point start = Clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; t++)
            pool.emplace_back([&sink, t] { sink[static_cast<size_t>(t)] = fma_chains(iterations, 1.0f + static_cast<float>(t)); });
        for (std::thread& th : pool) th.join();
        best = std::min(best, seconds_since(start));
    }
    if (sink[0] == 12345.0f) std::fprintf(stderr, " ");  // keep the results alive
    return 2.0 * kAcc * static_cast<double>(iterations) * threads / best / 1e9;
}

// ---------------------------------------------------------------------------------------
// (a) matmul: C = op(A)·op(B), op given as "NN", "NT" or "TN" like BLAS.

struct MatmulShape {
    std::string label;  // e.g. "tiny.ff_up.fwd"
    int64_t M, N, K;
    std::string op;
};

double matmul_gflops(const MatmulShape& s, bool naive) {
    const bool ta = s.op[0] == 'T', tb = s.op[1] == 'T';
    Lcg rng;
    std::vector<float> A(static_cast<size_t>(s.M * s.K)), B(static_cast<size_t>(s.K * s.N));
    std::vector<float> C(static_cast<size_t>(s.M * s.N));
    for (float& x : A) x = rng.uniform();
    for (float& x : B) x = rng.uniform();
    const int64_t lda = ta ? s.M : s.K, ldb = tb ? s.K : s.N;
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

void add_linear(std::vector<MatmulShape>& out, const std::string& name, int64_t rows, int64_t in, int64_t outf) {
    out.push_back({name + ".fwd", rows, outf, in, "NT"});   // y  = x·Wᵀ
    out.push_back({name + ".dX", rows, in, outf, "NN"});    // dX = dY·W
    out.push_back({name + ".dW", outf, in, rows, "TN"});    // dW = dYᵀ·x
}

// The matmuls of one training step of a GPT (B, T, C, H, V), once per distinct shape.
std::vector<MatmulShape> training_shapes(const std::string& set, int64_t B, int64_t T, int64_t C, int64_t H,
                                         int64_t V) {
    std::vector<MatmulShape> out;
    const int64_t R = B * T;
    add_linear(out, set + ".q|k|v|attn_out", R, C, C);
    add_linear(out, set + ".ff_up", R, C, 4 * C);
    add_linear(out, set + ".ff_down", R, 4 * C, C);
    add_linear(out, set + ".lm_head", R, C, V);
    out.push_back({set + ".attn.QK^T", T, T, C / H, "NT"});  // per (batch, head)
    out.push_back({set + ".attn.AV", T, C / H, T, "NN"});
    return out;
}

std::vector<MatmulShape> all_matmul_shapes() {
    std::vector<MatmulShape> shapes;
    for (int64_t n : {128, 256, 512, 1024, 2048})
        shapes.push_back({"square" + std::to_string(n), n, n, n, "NN"});
    for (const std::vector<MatmulShape>& set : {training_shapes("tiny", 8, 128, 128, 4, 512),
                                                training_shapes("small", 8, 256, 256, 8, 4096),
                                                training_shapes("124m", 2, 256, 768, 12, 50257)})
        shapes.insert(shapes.end(), set.begin(), set.end());
    return shapes;
}

void print_matmul(const MatmulShape& s, const char* impl, int threads, double gflops, double peak) {
    std::printf("{\"figure\": \"matmul\", \"impl\": \"%s\", \"label\": \"%s\", \"shape\": \"%lldx%lldx%lld\", "
                "\"op\": \"%s\", \"threads\": %d, \"value\": %.1f, \"unit\": \"GFLOP/s\", "
                "\"share_of_peak\": %.3f}\n",
                impl, s.label.c_str(), static_cast<long long>(s.M), static_cast<long long>(s.N),
                static_cast<long long>(s.K), s.op.c_str(), threads, gflops, gflops / peak);
    std::fflush(stdout);
}

void run_matmul_part(int all_threads) {
    std::vector<int> thread_counts = {1};
    if (all_threads > 1) thread_counts.push_back(all_threads);
    std::vector<double> peak;
    for (int threads : thread_counts) {
        std::fprintf(stderr, "bench: FMA peak on %d thread(s)\n", threads);
        peak.push_back(measure_fma_peak(threads));
        std::printf("{\"figure\": \"fma_peak\", \"threads\": %d, \"value\": %.1f, \"unit\": \"GFLOP/s\", "
                    "\"note\": \"%d independent std::fma chains per thread, vectorised by the compiler\"}\n",
                    threads, peak.back(), kAcc);
        std::fflush(stdout);
    }
    for (const MatmulShape& s : all_matmul_shapes()) {
        std::fprintf(stderr, "bench: matmul %s\n", s.label.c_str());
        for (size_t i = 0; i < thread_counts.size(); i++) {
            llm::set_num_threads(thread_counts[i]);
            print_matmul(s, "blocked", thread_counts[i], matmul_gflops(s, false), peak[i]);
        }
        if (s.label.rfind("square", 0) == 0 && s.M <= 512) {  // the naive loop is single threaded and slow
            llm::set_num_threads(1);
            print_matmul(s, "naive", 1, matmul_gflops(s, true), peak[0]);
        }
    }
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
    llm::Tensor prompt = random_ids(1, 4, c.gpt.vocab_size, rng);
    model.eval();
    for (bool kv_cache : {false, true}) {
        Clock::time_point start = Clock::now();
        llm::Tensor out = llm::generate(model, prompt, c.gen_tokens, c.gpt.context_length, 0.0, std::nullopt,
                                        std::nullopt, kv_cache);
        const double tokens_per_s = static_cast<double>(out.size(1) - 4) / seconds_since(start);
        std::printf("{\"figure\": \"generate_tokens_per_s\", \"config\": \"%s\", \"threads\": %d, "
                    "\"kv_cache\": %s, \"new_tokens\": %lld, \"value\": %.2f, \"unit\": \"tokens/s\"}\n",
                    c.name.c_str(), threads, kv_cache ? "true" : "false", static_cast<long long>(c.gen_tokens),
                    tokens_per_s);
        std::fflush(stdout);
    }
}

// Saved activations, in floats, of one step: per token and layer the tensors a
// PyTorch-style autograd keeps for backward, about 18·C (2 layer-norm inputs and outputs,
// q, k, v, the context, the output projection, 4C + 4C for the feed-forward's hidden
// layer before and after GELU, dropout masks, residual sums) plus 3·H·T (attention scores,
// softmax, dropout), and 2·V per token for the logits and their softmax.
double activation_floats(const BenchConfig& c) {
    const double C = static_cast<double>(c.gpt.emb_dim), H = static_cast<double>(c.gpt.n_heads);
    const double T = static_cast<double>(c.gpt.context_length), V = static_cast<double>(c.gpt.vocab_size);
    const double tokens = static_cast<double>(c.batch) * T, L = static_cast<double>(c.gpt.n_layers);
    return tokens * (L * (18 * C + 3 * H * T) + 2 * V);
}

void print_memory(const BenchConfig& c, const llm::GPTModel& model) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
    const double params = static_cast<double>(model.num_parameters());
    const double need_mb = (16.0 * params + 4.0 * activation_floats(c)) / (1024.0 * 1024.0);
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
    std::fprintf(stderr, "usage: bench --part matmul | bench --config tiny|small|124m\n"
                         "       bench --part attention [--tokens 256,1024,4096,16384] [--budget-gb 4]\n"
                         "       bench --part finetune [--ch07-tokens 73]\n"
                         "       (no arguments: everything in this one process)\n");
}

}  // namespace

int main(int argc, char** argv) {
    const int all_threads = llm::num_threads();
    Clock::time_point start = Clock::now();
    if (argc == 3 && std::strcmp(argv[1], "--part") == 0 && std::strcmp(argv[2], "matmul") == 0) {
        run_matmul_part(all_threads);
    } else if (argc >= 3 && std::strcmp(argv[1], "--part") == 0 && std::strcmp(argv[2], "attention") == 0) {
        if (!parse_attention_flags(argc, argv)) {
            usage();
            return 2;
        }
    } else if (argc >= 3 && std::strcmp(argv[1], "--part") == 0 && std::strcmp(argv[2], "finetune") == 0) {
        long long tokens = 73;  // about the mean padded length of chapter 7's training batches
        if (argc == 5 && std::strcmp(argv[3], "--ch07-tokens") == 0) tokens = std::atoll(argv[4]);
        if ((argc != 3 && argc != 5) || tokens < 2 || tokens > 1024) {
            usage();
            return 2;
        }
        run_finetune_part(all_threads, tokens);
    } else if (argc == 3 && std::strcmp(argv[1], "--config") == 0) {
        run_config(argv[2], all_threads);
    } else if (argc == 1) {
        run_matmul_part(all_threads);
        for (const char* name : {"tiny", "small", "124m"}) run_config(name, all_threads);
        run_attention_part({256, 1024, 4096, 16384}, 4e9);
    } else {
        usage();
        return 2;
    }
    std::fprintf(stderr, "bench: done in %.1f s\n", seconds_since(start));
    return 0;
}
