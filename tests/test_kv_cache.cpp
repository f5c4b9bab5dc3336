// The KV cache of generation (nn/attention.cpp, ops/attention.cpp): the fast
// MultiHeadAttention::forward_cached against the book's op-by-op
// forward_cached_reference, step by step, for every attention variant that keeps keys
// and values; the cache's rows through a window's moves and growth; the buffers written
// in place; and the same logits on one and two threads.
#include "catch_compat.h"
#include "random_tensor.h"
#include "error_of.h"

#include "autograd/autograd.h"
#include "kernels/parallel.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"

#include <string>
#include <vector>

using namespace llm;

namespace {

void require_close(const Tensor& a, const Tensor& b, double margin, const std::string& what) {
    INFO(what);
    REQUIRE(a.shape() == b.shape());
    for (int64_t i = 0; i < a.numel(); i++) REQUIRE(a.data()[i] == Approx(b.data()[i]).margin(margin));
}

// One token id as a (1, 1) batch.
Tensor one_id(int64_t id) { return tensor_int64(std::vector<int64_t>{id}, {1, 1}); }

// The rows in use of a cache buffer (B, G, capacity, hs): (B, G, rows, hs).
Tensor rows_in_use(const Tensor& buffer, int64_t rows) { return slice(buffer, 2, 0, rows); }

struct NamedAttention {
    std::string name;
    AttentionVariant variant;
};

std::vector<NamedAttention> attention_variants() {
    AttentionVariant book, gqa, mqa, window, alibi, rope, mixed, flash;
    gqa.kv_groups = 2;
    mqa.kv_groups = 1;
    window.window = 3;
    alibi.pos = PosEncoding::alibi;
    rope.pos = PosEncoding::rope;
    mixed.pos = PosEncoding::alibi, mixed.kv_groups = 2, mixed.window = 4;
    flash.attention = AttentionKind::flash;
    return {{"book", book}, {"gqa2", gqa},  {"mqa", mqa},   {"window3", window},
            {"alibi", alibi}, {"rope", rope}, {"alibi+gqa2+window4", mixed}, {"flash", flash}};
}

}  // namespace

TEST_CASE("the fast cached attention gives the book's op-by-op cached attention, step by step", "[kv-cache][attention]") {
    // 21 tokens in steps of 5, 1, 1, 7, 1 and 6: with a window of 3 the cache (6 rows at
    // first) moves its last 2 rows to the front at the third step, grows to 9 at the 7-token
    // step (the 2 rows it keeps and 7), moves its last 2 rows again at the next step, and is
    // full after the last.
    const std::vector<int64_t> steps = {5, 1, 1, 7, 1, 6};
    for (const NamedAttention& a : attention_variants()) {
        INFO(a.name);
        manual_seed(5);
        MultiHeadAttention mha(16, 16, 24, 0.1, 4, true, a.variant);
        mha.eval();
        Tensor x = randn_tensor({2, 21, 16});
        LayerKVCache fast, book;
        std::vector<Tensor> outputs;
        int64_t start = 0;
        for (int64_t n : steps) {
            Tensor step = slice(x, 1, start, start + n);
            Tensor out = mha.forward_cached(step, fast, start);
            require_close(out, mha.forward_cached_reference(step, book, start), 1e-5,
                          "step at " + std::to_string(start));
            REQUIRE(fast.rows == book.rows);
            REQUIRE(fast.keys.shape() == book.keys.shape());
            require_close(rows_in_use(fast.keys, fast.rows), rows_in_use(book.keys, book.rows), 1e-5, "keys");
            require_close(rows_in_use(fast.values, fast.rows), rows_in_use(book.values, book.rows), 1e-5, "values");
            outputs.push_back(out);
            start += n;
        }
        require_close(cat(outputs, 1), mha.forward(x), 1e-5, "the steps against one pass over the text");
        if (a.variant.window == 3) {
            CHECK(fast.keys.size(2) == 9);
            CHECK(fast.rows == 2 + 1 + 6);  // 2 kept rows, the 1-token step's and the 6-token step's
        } else if (a.variant.window == 0) {
            CHECK(fast.keys.size(2) == 24);  // 64 rows at first, but no more than the context
            CHECK(fast.rows == 21);
        }
    }
}

TEST_CASE("the KV cache is written in place, and grows by doubling", "[kv-cache]") {
    manual_seed(3);
    GPTConfig cfg;
    cfg.vocab_size = 50, cfg.context_length = 16, cfg.emb_dim = 16, cfg.n_heads = 4, cfg.n_layers = 2;
    GPTModel model(cfg);
    model.eval();
    NoGradGuard no_grad;
    KVCache cache;
    model.forward_cached(tensor_int64({{1, 2, 3}}), cache);
    const float* keys = cache.layers[1].keys.data();
    for (int64_t id = 4; id < 14; id++) model.forward_cached(one_id(id), cache);
    CHECK(cache.layers[1].keys.data() == keys);
    CHECK(cache.layers[1].keys.shape() == Shape{1, 4, 16, 4});
    CHECK(cache.layers[1].rows == 13);
    CHECK(cache.length == 13);
    // Past the context the model refuses the step and leaves the cache as it was.
    model.forward_cached(tensor_int64({{1, 2, 3}}), cache);
    CHECK_THAT(error_of([&] { model.forward_cached(one_id(1), cache); }),
               Catch::Matchers::Contains("KV cache holds 16 tokens"));
    CHECK(cache.layers[0].rows == 16);

    // A longer context: 64 rows at first, doubled when full; the logits of every step as
    // in one pass over the whole text.
    cfg.context_length = 150;
    manual_seed(3);
    GPTModel longer(cfg);
    longer.eval();
    KVCache grown;
    std::vector<int64_t> ids = {1, 2, 3};
    std::vector<Tensor> steps = {longer.forward_cached(tensor_int64(ids, {1, 3}), grown)};
    CHECK(grown.layers[0].keys.size(2) == 64);
    for (int64_t i = 3; i < 140; i++) {
        ids.push_back(i % 50);
        steps.push_back(longer.forward_cached(one_id(i % 50), grown));
        if (i == 63) CHECK(grown.layers[0].keys.size(2) == 64);   // 64 tokens: full
        if (i == 64) CHECK(grown.layers[0].keys.size(2) == 128);  // the 65th: doubled
    }
    CHECK(grown.layers[0].keys.size(2) == 150);  // then the context length, not 256
    CHECK(grown.layers[0].rows == 140);
    Tensor whole = longer.forward(tensor_int64(ids, {1, 140}));
    Tensor parts = cat(steps, 1);
    REQUIRE(parts.shape() == whole.shape());
    for (int64_t i = 0; i < whole.numel(); i++) REQUIRE(parts.data()[i] == Approx(whole.data()[i]).margin(1e-5));
}

TEST_CASE("cached generation gives the same logits on one and two threads, bit for bit", "[kv-cache][parallel]") {
    // A vocabulary of 9,000 over 64 features: wide enough that the output head's
    // vector-matrix product is split between two threads.
    manual_seed(4);
    GPTConfig cfg;
    cfg.vocab_size = 9000, cfg.context_length = 32, cfg.emb_dim = 64, cfg.n_heads = 4, cfg.n_layers = 2;
    GPTModel model(cfg);
    model.eval();
    NoGradGuard no_grad;
    int threads_before = num_threads();
    std::vector<std::vector<float>> logits;
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        KVCache cache;
        std::vector<float> all = model.forward_cached(tensor_int64({{10, 20, 30, 40}}), cache).values();
        for (int64_t id : {50, 60, 70}) {
            Tensor step = model.forward_cached(one_id(id), cache);
            all.insert(all.end(), step.values().begin(), step.values().end());
        }
        logits.push_back(all);
    }
    set_num_threads(threads_before);
    CHECK(logits[0] == logits[1]);
}

TEST_CASE("cached_attention names what does not fit", "[kv-cache][attention]") {
    AttentionOptions options;
    options.num_heads = 2;
    Tensor q = zeros({1, 2, 8}), cache = zeros({1, 2, 6, 4});
    CHECK_THAT(error_of([&] { cached_attention(q, cache, cache, 1, options); }),
               Catch::Matchers::Contains("1 rows in use must hold the 2 new tokens and fit the cache's 6 rows"));
    CHECK_THAT(error_of([&] { cached_attention(q, cache, cache, 7, options); }),
               Catch::Matchers::Contains("fit the cache's 6 rows"));
    CHECK_THAT(error_of([&] { cached_attention(zeros({1, 2, 6}), cache, cache, 2, options); }),
               Catch::Matchers::Contains("got [1, 2, 6], [1, 2, 6, 4] and [1, 2, 6, 4]"));
    options.training = true, options.dropout_p = 0.1;
    CHECK_THAT(error_of([&] { cached_attention(q, cache, cache, 2, options); }),
               Catch::Matchers::Contains("no dropout"));
}
