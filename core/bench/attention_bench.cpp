// bench --part attention: long-context attention, one layer's attention op (B 1, H 12, hs 64)
// forward + backward at T = 256, 1024, 4096, 16384 for standard, flash, linear, performer
// (m = 64) and a 256-token window (flash tiles, the path where a window saves memory).
// Peak memory is peak_storage_bytes() (tensor storage) above what was live before the call.
// The standard path keeps the (B, H, T, T) weights: its estimate is checked against the
// memory budget before anything is allocated, and a run that would exceed it is reported
// as skipped instead of attempted.
#include "bench/attention_bench.h"

#include "kernels/parallel.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"
#include "tensor/storage.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

namespace {

constexpr int64_t kHeads = 12, kHeadDim = 64, kFeatures = 64, kWindow = 256;

struct Kind {
    const char* name;
    // Bytes of the T×T buffers it needs beyond O(T·C): the estimate checked before running.
    double quadratic_bytes(int64_t T) const {
        double square = static_cast<double>(T) * static_cast<double>(T) * 4.0;
        if (std::string(name) == "standard")  // weights (B, H, T, T) + a T×T scratch per thread in backward
            return kHeads * square + static_cast<double>(llm::num_threads()) * square;
        return 0.0;
    }
};

llm::Tensor random_input(int64_t T, int64_t width) {
    llm::Tensor t = llm::zeros({1, T, width});
    llm::normal_(t.data(), t.numel(), 0.0, 1.0);
    return t;
}

// One forward and backward of `kind` on q, k, v (1, T, 768).
void run_kind(const std::string& kind, const llm::Tensor& q, const llm::Tensor& k, const llm::Tensor& v,
              const llm::Tensor& W) {
    llm::AttentionOptions o;
    o.num_heads = kHeads;
    llm::Tensor out;
    if (kind == "standard") out = llm::causal_attention(q, k, v, o);
    if (kind == "flash") out = llm::flash_attention(q, k, v, o);
    if (kind == "window256") {
        o.window = kWindow;
        out = llm::flash_attention(q, k, v, o);
    }
    if (kind == "linear") out = llm::causal_linear_attention(llm::elu_plus_one(q), llm::elu_plus_one(k), v, kHeads, kHeads);
    if (kind == "performer")
        out = llm::causal_linear_attention(llm::favor_features(q, W, kHeads), llm::favor_features(k, W, kHeads), v,
                                           kHeads, kHeads);
    out.sum().backward();
}

void bench_one(const Kind& kind, int64_t T, double budget_bytes) {
    int threads = llm::num_threads();
    double estimate = kind.quadratic_bytes(T);
    if (estimate > budget_bytes) {
        std::printf("{\"figure\": \"attention_long\", \"kind\": \"%s\", \"tokens\": %lld, \"threads\": %d, "
                    "\"skipped\": \"needs about %.0f MB for its T x T weights, over the budget of %.0f MB\"}\n",
                    kind.name, static_cast<long long>(T), threads, estimate / 1e6, budget_bytes / 1e6);
        std::fflush(stdout);
        return;
    }
    llm::manual_seed(1);
    llm::Tensor W = llm::orthogonal_gaussian_features(kFeatures, kHeadDim);
    llm::Tensor q = random_input(T, kHeads * kHeadDim).requires_grad_(true);
    llm::Tensor k = (random_input(T, kHeads * kHeadDim) * 0.3f).requires_grad_(true);
    llm::Tensor v = random_input(T, kHeads * kHeadDim).requires_grad_(true);
    size_t live = llm::live_storage_bytes();
    llm::reset_peak_storage_bytes();
    auto start = std::chrono::steady_clock::now();
    run_kind(kind.name, q, k, v, W);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double peak = static_cast<double>(llm::peak_storage_bytes() - live);
    std::printf("{\"figure\": \"attention_long\", \"kind\": \"%s\", \"tokens\": %lld, \"threads\": %d, "
                "\"seconds\": %.4f, \"peak_bytes\": %.0f, \"note\": \"one attention op forward + backward, B 1, H 12, "
                "hs 64, no dropout; peak = tensor storage above the inputs\"}\n",
                kind.name, static_cast<long long>(T), threads, seconds, peak);
    std::fflush(stdout);
}

}  // namespace

void run_attention_part(const std::vector<int64_t>& lengths, double budget_bytes) {
    const Kind kinds[] = {{"standard"}, {"flash"}, {"linear"}, {"performer"}, {"window256"}};
    for (int64_t T : lengths)
        for (const Kind& kind : kinds) {
            std::fprintf(stderr, "bench: attention %s at T = %lld\n", kind.name, static_cast<long long>(T));
            bench_one(kind, T, budget_bytes);
        }
}
