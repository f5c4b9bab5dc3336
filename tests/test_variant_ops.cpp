// The attention lab's ops: silu, rms_norm and rope against finite differences and against
// their op-by-op forms; ALiBi's slopes and the default sizes against the papers; the fused
// attention's variants (grouped-query, window, ALiBi, RoPE) against the op-by-op
// MultiHeadAttention::forward_reference, values and gradients, bit for bit.
#include "attention_helpers.h"
#include "catch_compat.h"
#include "gradcheck.h"

#include "kernels/parallel.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"

#include <cmath>
#include <random>

using namespace llm;
using gradcheck::random_tensor;

namespace {

void require_ok(const gradcheck::Result& r, const std::string& what) {
    INFO(what << ": " << r.detail);
    REQUIRE(r.ok);
}

// Every element equal (== , so +0 and -0 agree).
void require_same(const Tensor& a, const Tensor& b, const std::string& what) {
    INFO(what);
    REQUIRE(a.shape() == b.shape());
    for (int64_t i = 0; i < a.numel(); i++) REQUIRE(a.data()[i] == b.data()[i]);
}

// Output and the gradient of the input of f(x), for the weighted sum Σ f(x)·w.
std::pair<Tensor, Tensor> output_and_grad(const std::function<Tensor(const Tensor&)>& f, const Tensor& x_values,
                                          const Tensor& w) {
    Tensor x = x_values.detach().clone();
    x.requires_grad_();
    Tensor out = f(x);
    (out * w).sum().backward();
    return {out.detach(), x.grad()};
}

}  // namespace

TEST_CASE("gradcheck: silu, rms_norm, rope", "[gradcheck][ops][variants]") {
    std::mt19937 rng(43);
    Tensor x = random_tensor({2, 3, 4}, rng);
    require_ok(gradcheck::check([](const std::vector<Tensor>& v) { return silu(v[0]); }, {x}), "silu");
    Tensor weight = random_tensor({4}, rng);
    require_ok(gradcheck::check([](const std::vector<Tensor>& v) { return rms_norm(v[0], v[1]); }, {x, weight}),
               "rms_norm");
    RopeTables t = rope_tables(6, 4);
    Tensor q = random_tensor({2, 3, 8}, rng);  // two heads of size 4
    for (int64_t start : {0, 2}) {
        auto f = [&t, start](const std::vector<Tensor>& v) { return rope(v[0], t.cos, t.sin, start); };
        require_ok(gradcheck::check(f, {q}), "rope from position " + std::to_string(start));
    }
}

TEST_CASE("silu is x * sigmoid(x) and rope is the book's compute_rope, bit for bit", "[ops][variants]") {
    std::mt19937 rng(47);
    Tensor x = random_tensor({3, 5, 8}, rng), w = random_tensor({3, 5, 8}, rng);
    auto [fused, fused_grad] = output_and_grad([](const Tensor& a) { return silu(a); }, x, w);
    auto [plain, plain_grad] = output_and_grad([](const Tensor& a) { return a * sigmoid(a); }, x, w);
    require_same(fused, plain, "silu");
    // The gradients differ in rounding only: σ(1 + x(1 - σ)) is one expression, the op-by-op one two terms.
    for (int64_t i = 0; i < x.numel(); i++) REQUIRE(fused_grad.data()[i] == Approx(plain_grad.data()[i]).margin(1e-6));

    RopeTables t = rope_tables(9, 4);
    for (int64_t start : {0, 3}) {
        // (B, T, 2·hs) through the op, against (B, 2, T, hs) through compute_rope, then back.
        auto op = [&](const Tensor& a) { return rope(a, t.cos, t.sin, start); };
        auto book = [&](const Tensor& a) {
            Tensor heads = a.view({3, 5, 2, 4}).transpose(1, 2);
            return rope_reference(heads, t.cos, t.sin, start).transpose(1, 2).contiguous().view({3, 5, 8});
        };
        auto [r1, g1] = output_and_grad(op, x, w);
        auto [r2, g2] = output_and_grad(book, x, w);
        require_same(r1, r2, "rope from " + std::to_string(start));
        require_same(g1, g2, "rope gradient from " + std::to_string(start));
    }
}

TEST_CASE("RMSNorm's fused op agrees with the book's op-by-op RMSNorm", "[ops][variants]") {
    manual_seed(5);
    RMSNorm norm(16);
    normal_(norm.weight.data(), 16, 1.0, 0.3);
    Tensor x = zeros({4, 7, 16});
    normal_(x.data(), x.numel(), 0.0, 2.0);
    Tensor w = zeros(x.shape());
    normal_(w.data(), w.numel(), 0.0, 1.0);
    auto [fused, gf] = output_and_grad([&](const Tensor& a) { return norm.forward(a); }, x, w);
    Tensor dweight_fused = norm.weight.grad();
    norm.zero_grad();
    auto [plain, gp] = output_and_grad([&](const Tensor& a) { return norm.forward_reference(a); }, x, w);
    for (int64_t i = 0; i < x.numel(); i++) {
        REQUIRE(fused.data()[i] == Approx(plain.data()[i]).margin(1e-6));
        REQUIRE(gf.data()[i] == Approx(gp.data()[i]).margin(1e-5));
    }
    for (int64_t j = 0; j < 16; j++) REQUIRE(dweight_fused.data()[j] == Approx(norm.weight.grad().data()[j]).margin(1e-4));
    // Each row of x / rms(x) has mean square 1 (up to eps).
    Tensor unit = rms_norm(x, ones({16}));
    for (int64_t r = 0; r < 28; r++) {
        double squares = 0;
        for (int64_t j = 0; j < 16; j++) squares += unit.data()[r * 16 + j] * unit.data()[r * 16 + j];
        REQUIRE(squares / 16 == Approx(1.0).margin(1e-4));
    }
}

TEST_CASE("ALiBi's slopes and the default feed-forward sizes follow the papers", "[variants]") {
    // Press et al. 2022, section 3: for 8 heads the slopes are 1/2, 1/4, ..., 1/256.
    std::vector<float> eight = alibi_slopes(8);
    for (int h = 0; h < 8; h++) CHECK(eight[static_cast<size_t>(h)] == std::ldexp(1.0f, -(h + 1)));
    // Their rule for other counts: 6 heads = the 4-head slopes 2^-2, 2^-4, 2^-6, 2^-8, then
    // the first two odd-indexed 8-head slopes, 2^-1 and 2^-3.
    std::vector<float> six = alibi_slopes(6), want = {0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f};
    CHECK(six == want);
    // LLaMA's 8·C/3 rounded up to a multiple of 8 (the task's rule): 128 -> 344, 768 -> 2048.
    GPTVariant swiglu;
    swiglu.ffn = FeedForwardKind::swiglu;
    CHECK(ffn_hidden_size(swiglu, 128) == 344);
    CHECK(ffn_hidden_size(swiglu, 768) == 2048);
    CHECK(ffn_hidden_size(GPTVariant{}, 128) == 512);
}

TEST_CASE("RoPE makes the score of a query and a key depend only on their distance", "[variants]") {
    RopeTables t = rope_tables(40, 8);
    Tensor q = zeros({1, 1, 8}), k = zeros({1, 1, 8});
    normal_(q.data(), 8, 0.0, 1.0);
    normal_(k.data(), 8, 0.0, 1.0);
    auto score = [&](int64_t pq, int64_t pk) {
        Tensor a = rope(q, t.cos, t.sin, pq), b = rope(k, t.cos, t.sin, pk);
        double dot = 0;
        for (int i = 0; i < 8; i++) dot += a.data()[i] * b.data()[i];
        return dot;
    };
    for (int64_t d : {0, 1, 5, 17}) CHECK(score(d, 0) == Approx(score(d + 20, 20)).margin(1e-4));
    CHECK(std::abs(score(5, 0) - score(9, 0)) > 1e-3);  // and it does depend on the distance
}

namespace {

struct VariantCase {
    const char* name;
    AttentionVariant variant;
    int64_t heads;
};


const std::vector<VariantCase>& variant_cases() {
    static const std::vector<VariantCase> cases = {
        {"gqa 2 of 4", {2, 0, PosEncoding::learned}, 4},   {"mqa", {1, 0, PosEncoding::learned}, 4},
        {"window 3", {0, 3, PosEncoding::learned}, 2},     {"window 1", {0, 1, PosEncoding::learned}, 2},
        {"alibi", {0, 0, PosEncoding::alibi}, 4},          {"alibi 3 heads", {0, 0, PosEncoding::alibi}, 3},
        {"rope", {0, 0, PosEncoding::rope}, 2},            {"rope + gqa + window", {2, 5, PosEncoding::rope}, 4},
        {"alibi + mqa + window", {1, 4, PosEncoding::alibi}, 4},
    };
    return cases;
}

}  // namespace

TEST_CASE("the fused attention's variants match the op-by-op forward, values and gradients", "[attention][variants]") {
    for (const VariantCase& c : variant_cases()) {
        for (int64_t tokens : {1, 9, 33}) {
            for (double drop : {0.0, 0.2}) {
                INFO(c.name << ", tokens " << tokens << ", dropout " << drop);
                manual_seed(123);
                MultiHeadAttention mha(10, 8 * c.heads, 40, drop, c.heads, true, c.variant);
                Tensor x = zeros({2, tokens, 10});
                normal_(x.data(), x.numel(), 0.0, 1.0);
                std::vector<Tensor> fused = run_attention(mha, x, true, 7), reference = run_attention(mha, x, false, 7);
                REQUIRE(fused.size() == reference.size());
                for (size_t t = 0; t < fused.size(); t++) require_same(fused[t], reference[t], "tensor " + std::to_string(t));
            }
        }
    }
}

TEST_CASE("the fused attention's variants give the same bits on 1 and 2 threads", "[attention][variants][parallel]") {
    int saved_threads = num_threads();
    for (const VariantCase& c : variant_cases()) {
        INFO(c.name);
        manual_seed(123);
        MultiHeadAttention mha(12, 8 * c.heads, 40, 0.1, c.heads, false, c.variant);
        Tensor x = zeros({3, 37, 12});
        normal_(x.data(), x.numel(), 0.0, 1.0);
        set_num_threads(1);
        std::vector<Tensor> one = run_attention(mha, x, true, 5);
        set_num_threads(2);
        std::vector<Tensor> two = run_attention(mha, x, true, 5);
        for (size_t t = 0; t < one.size(); t++) require_same(one[t], two[t], "tensor " + std::to_string(t));
    }
    set_num_threads(saved_threads);
}

TEST_CASE("a window leaves each token only its last W keys; grouped heads share one projection", "[attention][variants]") {
    manual_seed(3);
    MultiHeadAttention swa(4, 8, 10, 0.0, 2, false, {0, 3, PosEncoding::learned});
    // The band mask: 1 where j > i or i - j >= 3.
    for (int64_t i = 0; i < 10; i++)
        for (int64_t j = 0; j < 10; j++) CHECK(swa.mask.at({i, j}) == ((j > i || i - j >= 3) ? 1.0f : 0.0f));
    // An input changed only at token 0 changes the outputs of tokens 0..2 and no later ones.
    Tensor x = zeros({1, 8, 4});
    normal_(x.data(), x.numel(), 0.0, 1.0);
    Tensor y = x.clone();
    y.data()[0] += 1.0f;
    Tensor a = swa.forward(x), b = swa.forward(y);
    for (int64_t t = 0; t < 8; t++) {
        bool changed = false;
        for (int64_t c = 0; c < 8; c++) changed = changed || a.at({0, t, c}) != b.at({0, t, c});
        CHECK(changed == (t < 3));
    }
    MultiHeadAttention mqa(4, 8, 10, 0.0, 4, false, {1, 0, PosEncoding::learned});
    CHECK(mqa.W_key.weight.shape() == Shape{2, 4});  // one head of size 2
    CHECK(mqa.W_value.weight.shape() == Shape{2, 4});
    CHECK(mqa.W_query.weight.shape() == Shape{8, 4});
}

TEST_CASE("the fused attention refuses inconsistent variants with the reason", "[attention][variants][errors]") {
    Tensor q = zeros({2, 5, 8}), kv = zeros({2, 5, 4});
    AttentionOptions o;
    o.num_heads = 4;
    o.kv_heads = 3;
    REQUIRE_THROWS_WITH(causal_attention(q, kv, kv, o), Catch::Matchers::Contains("kv_heads must divide num_heads 4"));
    o.kv_heads = 2;
    o.alibi_slopes = {0.5f};
    REQUIRE_THROWS_WITH(causal_attention(q, kv, kv, o), Catch::Matchers::Contains("one per head (4)"));
    RopeTables t = rope_tables(4, 4);
    REQUIRE_THROWS_WITH(rope(q, t.cos, t.sin, 2), Catch::Matchers::Contains("outside the tables of 4 positions"));
    REQUIRE_THROWS_WITH(rms_norm(q, ones({5})), Catch::Matchers::Contains("must be [8]"));
}
