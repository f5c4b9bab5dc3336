// Threads: every index is visited once, nesting does not deadlock, and results are
// the same bit for bit whatever the thread count.
#include "catch_compat.h"

#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"
#include "train/loss.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace llm;

namespace {

// Restores the thread count a test changed.
struct ThreadCount {
    int saved = num_threads();
    ~ThreadCount() { set_num_threads(saved); }
};

std::vector<float> filled(int64_t n, int seed) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) v[static_cast<size_t>(i)] = static_cast<float>((i * 37 + seed * 11) % 101) / 50.0f - 1.0f;
    return v;
}

// The gradients of a small GPT after one forward and backward, flattened.
std::vector<float> gpt_gradients() {
    manual_seed(7);
    GPTConfig cfg;
    cfg.vocab_size = 300, cfg.context_length = 32, cfg.emb_dim = 64, cfg.n_heads = 4, cfg.n_layers = 2;
    GPTModel model(cfg);  // training mode: dropout draws from the generator too
    std::vector<int64_t> ids(4 * 32);
    for (size_t i = 0; i < ids.size(); i++) ids[i] = static_cast<int64_t>((i * 7) % 300);
    Tensor input = tensor_int64(ids, {4, 32});
    calc_loss_batch(input, input, model).backward();
    std::vector<float> all;
    for (const Tensor& p : model.parameters()) all.insert(all.end(), p.grad().values().begin(), p.grad().values().end());
    return all;
}

}  // namespace

TEST_CASE("parallel_for visits every index exactly once", "[parallel]") {
    ThreadCount restore;
    for (int threads : {1, 2, 3, 5}) {
        set_num_threads(threads);
        for (int64_t n : {0, 1, 7, 100, 12345}) {
            std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
            parallel_for(n, 3, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; i++) seen[static_cast<size_t>(i)]++;
            });
            for (int64_t i = 0; i < n; i++) REQUIRE(seen[static_cast<size_t>(i)] == 1);
        }
    }
}

TEST_CASE("nested parallel_for runs the inner loop serially", "[parallel]") {
    ThreadCount restore;
    set_num_threads(2);
    std::atomic<int64_t> total{0};
    parallel_for(100, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++)
            parallel_for(10, 1, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
    });
    CHECK(total == 1000);
    CHECK_THROWS_WITH(set_num_threads(0), Catch::Matchers::Contains("at least 1"));
}

TEST_CASE("gemm gives the same bits on 1, 2 and 3 threads", "[parallel][gemm]") {
    ThreadCount restore;
    for (bool trans_b : {false, true}) {
        int64_t M = 150, N = 270, K = 90;
        std::vector<float> A = filled(M * K, 1), B = filled(K * N, 2);
        std::vector<std::vector<float>> results;
        for (int threads : {1, 2, 3}) {
            set_num_threads(threads);
            std::vector<float> C(static_cast<size_t>(M * N));
            gemm(M, N, K, A.data(), K, false, B.data(), trans_b ? K : N, trans_b, C.data(), N, false);
            results.push_back(C);
        }
        CHECK(results[0] == results[1]);
        CHECK(results[0] == results[2]);
        std::vector<float> wide = filled(1 * N, 3), row(static_cast<size_t>(N));  // the M = 1 path
        set_num_threads(2);
        gemm(1, N, K, A.data(), K, false, B.data(), trans_b ? K : N, trans_b, row.data(), N, false);
        set_num_threads(1);
        gemm(1, N, K, A.data(), K, false, B.data(), trans_b ? K : N, trans_b, wide.data(), N, false);
        CHECK(row == wide);
    }
}

TEST_CASE("a training step's gradients are the same bits on 1 and 2 threads", "[parallel]") {
    ThreadCount restore;
    set_num_threads(1);
    std::vector<float> one = gpt_gradients();
    set_num_threads(2);
    std::vector<float> two = gpt_gradients();
    CHECK(one == two);
}

TEST_CASE("thread_use counts the loops the pool runs and the threads' time in them", "[parallel]") {
    ThreadCount restore;
    set_num_threads(2);
    auto sleepy = [](int64_t begin, int64_t) {  // chunk 0, the calling thread's, sleeps 50 ms; chunk 1 sleeps 1 ms
        std::this_thread::sleep_for(std::chrono::milliseconds(begin == 0 ? 50 : 1));
    };
    thread_use_start();
    parallel_for(2, 1, sleepy);
    parallel_for(1, 1, sleepy);  // one chunk: runs on the calling thread alone, not counted
    ThreadUse use = thread_use_stop();
    CHECK(use.regions == 1);
    CHECK(use.region_seconds >= 0.050);
    CHECK(use.busy_thread_seconds >= 0.051);
    CHECK(use.busy_thread_seconds <= 2 * use.region_seconds);  // no thread is busier than the loop is long
    parallel_for(2, 1, sleepy);  // counting is off again
    CHECK(thread_use_stop().regions == 1);
    set_num_threads(1);
    thread_use_start();
    parallel_for(2, 1, sleepy);  // one thread: no pool
    CHECK(thread_use_stop().regions == 0);
}
