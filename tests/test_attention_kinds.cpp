// The attention lab, part 2: flash attention against the standard path (values, gradients,
// dropout masks, what it saves), linear and performer attention against their masked
// quadratic forms, finite differences for every new op, thread counts, the combinations
// refused, and the switch through models, the state cache and checkpoints.
#include "catch_compat.h"
#include "random_tensor.h"
#include "gradcheck.h"
#include "temp_dir.h"
#include "train_helpers.h"

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/files.h"
#include "io/safetensors.h"
#include "kernels/parallel.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"
#include "train/compare.h"
#include "train/sampling.h"

#include <cmath>
#include <functional>
#include <random>

using namespace llm;
using Catch::Matchers::Contains;
using gradcheck::random_tensor;

namespace {

using AttentionOp = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>;

// max |a - b| <= tol · max(|b|, 1e-3) over the tensor.
void require_close(const Tensor& a, const Tensor& b, double tol, const std::string& what) {
    INFO(what);
    REQUIRE(a.shape() == b.shape());
    double largest = 1e-3, worst = 0.0;
    for (int64_t i = 0; i < b.numel(); i++) {
        largest = std::max(largest, std::fabs(static_cast<double>(b.data()[i])));
        worst = std::max(worst, std::fabs(static_cast<double>(a.data()[i]) - b.data()[i]));
    }
    INFO("max difference " << worst << ", largest value " << largest);
    REQUIRE(worst <= tol * largest);
}

// The output and the gradients of q, k, v for Σ out·w; the generator seeded first, so two
// ops that draw a dropout mask draw the same one.
std::vector<Tensor> run_op(const AttentionOp& op, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& w) {
    std::vector<Tensor> in = {q.detach().clone(), k.detach().clone(), v.detach().clone()};
    for (Tensor& t : in) t.requires_grad_(true);
    manual_seed(77);
    Tensor out = op(in[0], in[1], in[2]);
    (out * w).sum().backward();
    return {out.detach(), in[0].grad(), in[1].grad(), in[2].grad()};
}

struct FlashCase {
    const char* name;
    int64_t heads, kv_heads, window, tokens;
    bool alibi;
    double dropout;
};

}  // namespace

TEST_CASE("flash attention equals the standard attention, values and gradients", "[attention2]") {
    const FlashCase cases[] = {{"plain", 2, 2, 0, 150, false, 0.0},  {"one tile", 2, 2, 0, 5, false, 0.0},
                               {"gqa", 4, 2, 0, 130, false, 0.0},    {"window", 2, 1, 37, 140, false, 0.0},
                               {"alibi", 4, 4, 0, 70, true, 0.0},    {"dropout", 2, 2, 0, 100, false, 0.3},
                               {"everything", 4, 2, 20, 90, true, 0.2}};
    for (const FlashCase& c : cases) {
        INFO(c.name);
        int64_t hs = 8;
        Tensor q = randn_tensor({2, c.tokens, c.heads * hs}), k = randn_tensor({2, c.tokens, c.kv_heads * hs});
        Tensor v = randn_tensor({2, c.tokens, c.kv_heads * hs}), w = randn_tensor({2, c.tokens, c.heads * hs});
        AttentionOptions o;
        o.num_heads = c.heads, o.kv_heads = c.kv_heads, o.window = c.window, o.dropout_p = c.dropout;
        o.training = c.dropout > 0.0;
        if (c.alibi) o.alibi_slopes = alibi_slopes(c.heads);
        auto standard = [&](const Tensor& a, const Tensor& b, const Tensor& d) { return causal_attention(a, b, d, o); };
        auto flash = [&](const Tensor& a, const Tensor& b, const Tensor& d) { return flash_attention(a, b, d, o); };
        std::vector<Tensor> s = run_op(standard, q, k, v, w), f = run_op(flash, q, k, v, w);
        const char* names[] = {"output", "dq", "dk", "dv"};
        for (size_t t = 0; t < 4; t++) require_close(f[t], s[t], 1e-5, names[t]);
    }
}

TEST_CASE("flash attention keeps O(T) per head, and the dropout mask as bits", "[attention2]") {
    int64_t B = 1, H = 2, T = 96, hs = 4;
    Tensor q = randn_tensor({B, T, H * hs}).requires_grad_(true), k = randn_tensor({B, T, H * hs});
    AttentionOptions o;
    o.num_heads = H;
    Tensor out = flash_attention(q, k, k, o);
    int64_t saved = 0;
    for (const Tensor& t : out.grad_fn()->saved) saved += t.numel();
    CHECK(saved == B * T * H * hs + B * H * T);  // the output and one logsumexp per row
    o.dropout_p = 0.5, o.training = true;
    Tensor dropped = flash_attention(q, k, k, o);
    const std::vector<Tensor>& with_mask = dropped.grad_fn()->saved;
    REQUIRE(with_mask.size() == 4);
    CHECK(with_mask[3].numel() * 4 == B * H * T * T / 8 + 4);  // T²/8 bytes per head, and one spare word
}

TEST_CASE("gradcheck: flash attention, elu + 1, FAVOR+ features, causal linear attention", "[attention2][gradcheck]") {
    std::mt19937 rng(5);
    AttentionOptions o;
    o.num_heads = 2, o.kv_heads = 1, o.window = 3;
    Tensor q = random_tensor({1, 5, 4}, rng), k = random_tensor({1, 5, 2}, rng), v = random_tensor({1, 5, 2}, rng);
    auto flash = [&](const std::vector<Tensor>& x) { return flash_attention(x[0], x[1], x[2], o); };
    REQUIRE(gradcheck::check(flash, {q, k, v}).ok);
    auto elu = [](const std::vector<Tensor>& x) { return elu_plus_one(x[0]); };
    REQUIRE(gradcheck::check(elu, {q}).ok);
    manual_seed(1);
    Tensor W = orthogonal_gaussian_features(3, 2);
    auto favor = [&](const std::vector<Tensor>& x) { return favor_features(x[0], W, 2); };
    gradcheck::Result r = gradcheck::check(favor, {q});
    INFO(r.detail);
    REQUIRE(r.ok);
    Tensor pq = random_tensor({2, 4, 6}, rng, true), pk = random_tensor({2, 4, 3}, rng, true);
    Tensor pv = random_tensor({2, 4, 2}, rng);
    auto linear = [](const std::vector<Tensor>& x) { return causal_linear_attention(x[0], x[1], x[2], 2, 1); };
    r = gradcheck::check(linear, {pq, pk, pv});
    INFO(r.detail);
    REQUIRE(r.ok);
}

TEST_CASE("linear and FAVOR+ attention equal their masked quadratic forms", "[attention2]") {
    std::mt19937 rng(9);
    for (int64_t kv_heads : {3, 1}) {
        INFO("kv_heads " << kv_heads);
        Tensor q = randn_tensor({2, 33, 3 * 8}), k = randn_tensor({2, 33, kv_heads * 8});
        Tensor v = randn_tensor({2, 33, kv_heads * 8}), w = randn_tensor({2, 33, 3 * 8});
        auto fast = [&](const Tensor& a, const Tensor& b, const Tensor& d) {
            return causal_linear_attention(elu_plus_one(a), elu_plus_one(b), d, 3, kv_heads);
        };
        auto quadratic = [&](const Tensor& a, const Tensor& b, const Tensor& d) {
            return causal_linear_attention_reference(elu_plus_one(a), elu_plus_one(b), d, 3, kv_heads);
        };
        std::vector<Tensor> f = run_op(fast, q, k, v, w), s = run_op(quadratic, q, k, v, w);
        for (size_t t = 0; t < 4; t++) require_close(f[t], s[t], 1e-5, "linear, tensor " + std::to_string(t));
        manual_seed(2);
        Tensor W = orthogonal_gaussian_features(20, 8);
        auto favor_fast = [&](const Tensor& a, const Tensor& b, const Tensor& d) {
            return causal_linear_attention(favor_features(a, W, 3), favor_features(b, W, kv_heads), d, 3, kv_heads);
        };
        auto favor_quadratic = [&](const Tensor& a, const Tensor& b, const Tensor& d) {
            return causal_linear_attention_reference(favor_features_reference(a, W, 3),
                                                     favor_features_reference(b, W, kv_heads), d, 3, kv_heads);
        };
        f = run_op(favor_fast, q, k, v, w), s = run_op(favor_quadratic, q, k, v, w);
        for (size_t t = 0; t < 4; t++) require_close(f[t], s[t], 1e-5, "performer, tensor " + std::to_string(t));
    }
}

TEST_CASE("FAVOR+ features: orthogonal blocks, and more features estimate exp(q·k/√hs) better", "[attention2]") {
    manual_seed(4);
    Tensor W = orthogonal_gaussian_features(10, 4);  // blocks of 4, 4 and 2 rows
    for (int64_t a = 0; a < 4; a++)
        for (int64_t b = a + 1; b < 4; b++) {
            double dot = 0.0;
            for (int64_t d = 0; d < 4; d++) dot += W.at({a, d}) * W.at({b, d});
            CHECK(std::fabs(dot) < 1e-5);
        }
    int64_t hs = 16, n = 24;
    Tensor q = randn_tensor({1, n, hs}) * 0.5f, k = randn_tensor({1, n, hs}) * 0.5f;
    std::vector<double> errors;
    for (int64_t m : {8, 64, 512}) {
        manual_seed(6);
        Tensor Wm = orthogonal_gaussian_features(m, hs);
        Tensor pq = favor_features(q, Wm, 1), pk = favor_features(k, Wm, 1);
        double total = 0.0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double exact = 0.0, approx = 0.0;
                for (int64_t d = 0; d < hs; d++) exact += q.at({0, i, d}) * k.at({0, j, d});
                for (int64_t f = 0; f < m; f++) approx += pq.at({0, i, f}) * pk.at({0, j, f});
                exact = std::exp(exact / std::sqrt(static_cast<double>(hs)));
                total += std::fabs(approx - exact) / exact;
            }
        errors.push_back(total / static_cast<double>(n * n));
    }
    INFO("mean relative errors " << errors[0] << ", " << errors[1] << ", " << errors[2]);
    CHECK(errors[0] > errors[1]);
    CHECK(errors[1] > errors[2]);
    CHECK(errors[2] < 0.1);
}

TEST_CASE("flash, linear and performer give the same bits on 1 and 2 threads", "[attention2][parallel]") {
    int saved_threads = num_threads();
    for (AttentionKind kind : {AttentionKind::flash, AttentionKind::linear, AttentionKind::performer}) {
        INFO(name_of(kind));
        manual_seed(8);
        AttentionVariant variant;
        variant.attention = kind, variant.kv_groups = 2;
        MultiHeadAttention mha(12, 16, 80, 0.1, 4, false, variant);
        Tensor x = randn_tensor({3, 70, 12});
        std::vector<std::vector<float>> runs;
        for (int threads : {1, 2}) {
            set_num_threads(threads);
            Tensor xi = x.detach().clone().requires_grad_(true);
            manual_seed(3);
            Tensor out = mha.forward(xi);
            out.sum().backward();
            std::vector<float> all = out.values();
            all.insert(all.end(), xi.grad().values().begin(), xi.grad().values().end());
            runs.push_back(all);
            mha.zero_grad();
        }
        CHECK(runs[0] == runs[1]);
    }
    set_num_threads(saved_threads);
}

namespace {

GPTConfig kinds_config(AttentionKind kind, PosEncoding pos = PosEncoding::learned, int64_t kv_groups = 0) {
    GPTConfig cfg;
    cfg.vocab_size = 40, cfg.context_length = 24, cfg.emb_dim = 16, cfg.n_heads = 4, cfg.n_layers = 2;
    cfg.drop_rate = 0.1;
    cfg.variant.attention = kind, cfg.variant.pos = pos, cfg.variant.kv_groups = kv_groups;
    cfg.variant.features = 8;
    return cfg;
}

std::string error_text(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("the attention switch: flash is the book's model; linear and performer keep a fixed state", "[attention2]") {
    Tensor ids = tensor_int64({{5, 17, 22, 3, 9, 1, 30}, {7, 7, 1, 2, 2, 39, 0}});
    manual_seed(3);
    GPTModel book(kinds_config(AttentionKind::standard));
    manual_seed(3);
    GPTModel flash(kinds_config(AttentionKind::flash));
    book.eval(), flash.eval();
    require_close(flash.forward(ids), book.forward(ids), 1e-5, "flash logits");
    for (AttentionKind kind : {AttentionKind::linear, AttentionKind::performer}) {
        for (PosEncoding pos : {PosEncoding::learned, PosEncoding::rope}) {
            INFO(name_of(kind) << " " << name_of(pos));
            manual_seed(3);
            GPTModel model(kinds_config(kind, pos, 2));
            model.eval();
            const MultiHeadAttention& att = model.trf_blocks[0]->att;
            Tensor x = randn_tensor({2, 9, 16});
            require_close(att.forward(x), att.forward_reference(x), 1e-5, "fast against the quadratic form");
            Tensor start = slice(ids, 1, 0, 3);
            CHECK(generate(model, start, 12, 24, 0.0, std::nullopt, std::nullopt, true).values() ==
                  generate(model, start, 12, 24).values());
            KVCache cache;
            Tensor parts = cat({model.forward_cached(slice(ids, 1, 0, 3), cache),
                                model.forward_cached(slice(ids, 1, 3, 4), cache),
                                model.forward_cached(slice(ids, 1, 4, 7), cache)}, 1);
            require_close(parts, model.forward(ids), 1e-5, "state cache against one pass");
            int64_t F = kind == AttentionKind::linear ? 4 : 8;
            CHECK(cache.layers[0].keys.shape() == Shape{2, 2, F, 4});  // S: (B, kv_groups, F, hs), whatever the length
            CHECK(cache.layers[1].values.shape() == Shape{2, 2, F});
        }
    }
}

TEST_CASE("attention kinds in checkpoints, and the combinations refused with the reason", "[attention2][checkpoint]") {
    TempDir tmp("llm_attention_kinds");
    manual_seed(11);
    GPTModel performer(kinds_config(AttentionKind::performer));
    performer.eval();
    save_model(tmp.file("performer"), performer);
    std::map<std::string, std::string> meta = read_safetensors_metadata(tmp.file("performer"));
    CHECK(meta.at("attention") == "performer");
    CHECK(meta.at("features") == "8");
    GPTConfig cfg = read_model_config(tmp.file("performer"));
    CHECK(cfg.variant.attention == AttentionKind::performer);
    manual_seed(12);  // other weights and other random features, then the file's
    GPTModel loaded(cfg);
    loaded.eval();
    load_model(tmp.file("performer"), loaded);
    CHECK(loaded.trf_blocks[1]->att.features.values() == performer.trf_blocks[1]->att.features.values());
    Tensor ids = tensor_int64({{1, 2, 3, 4, 5}});
    CHECK(loaded.forward(ids).values() == performer.forward(ids).values());
    // The book's model and flash write no attention key or features buffer beyond their own.
    manual_seed(11);
    GPTModel book(kinds_config(AttentionKind::standard));
    save_model(tmp.file("book"), book);
    CHECK(read_safetensors_metadata(tmp.file("book")).count("attention") == 0);
    CHECK(read_safetensors_metadata(tmp.file("book")).count("features") == 0);
    save_model(tmp.file("kind"), book, {{"attention", "softmax2"}});
    CHECK_THAT(error_text([&] { read_model_config(tmp.file("kind")); }),
               Contains("metadata 'attention' is 'softmax2', expected standard, flash, linear or performer"));
    GPTModel linear(kinds_config(AttentionKind::linear));
    CHECK_THAT(error_text([&] { load_model(tmp.file("book"), linear); }), Contains("this model is attention=linear"));
    GPTConfig windowed = kinds_config(AttentionKind::linear);
    windowed.variant.window = 4;
    CHECK_THAT(error_text([&] { GPTModel m(windowed); }), Contains("attention=linear cannot take window=4"));
    GPTConfig alibi = kinds_config(AttentionKind::performer, PosEncoding::alibi);
    CHECK_THAT(error_text([&] { GPTModel m(alibi); }), Contains("attention=performer cannot take pos=alibi"));
}

TEST_CASE("compare takes flash, linear and performer as presets", "[attention2][compare]") {
    CHECK(variant_preset("flash", 4).attention == AttentionKind::flash);
    GPTVariant v = variant_preset("rope+performer", 4);
    CHECK(v.attention == AttentionKind::performer);
    CHECK(v.pos == PosEncoding::rope);
    CHECK(describe(variant_preset("linear", 4), 16, 4) == "attention=linear");
    GPTConfig cfg = kinds_config(AttentionKind::performer);  // m = 8, hs = 4, 2 layers, 4 heads
    CHECK(kv_cache_bytes_per_token(cfg) == 0);
    CHECK(linear_state_bytes(cfg) == 2 * 4 * (8 * 4 + 8) * 4);
}

TEST_CASE("train --attention performer --features 8 trains and generates from its run folder", "[attention2][train]") {
    TempDir dir("llm_attention_train");
    write_file_atomic(dir.file("text.txt"), small_text(120));
    std::vector<std::string> args = tiny_run(dir.file("text.txt"), dir.file("run"));
    args.insert(args.end(), {"--attention", "performer", "--features", "8", "--pos", "rope", "--max-steps", "4"});
    {
        CaptureOutput capture;
        REQUIRE(train(args) == 0);
    }
    GPTVariant v = read_model_config(dir.file("run/model.safetensors")).variant;
    CHECK(v.attention == AttentionKind::performer);
    CHECK(v.features == 8);
    std::vector<std::string> gen = {"--run", dir.file("run"), "--tokens", "10", "--temperature", "0"};
    std::string cached, plain;
    {
        CaptureOutput capture;
        std::vector<char*> argv;
        for (const std::string& a : gen) argv.push_back(const_cast<char*>(a.c_str()));
        REQUIRE(generate_command(static_cast<int>(argv.size()), argv.data()) == 0);
        cached = capture.text();
    }
    {
        gen.push_back("--no-kv-cache");
        CaptureOutput capture;
        std::vector<char*> argv;
        for (const std::string& a : gen) argv.push_back(const_cast<char*>(a.c_str()));
        REQUIRE(generate_command(static_cast<int>(argv.size()), argv.data()) == 0);
        plain = capture.text();
    }
    CHECK(cached == plain);
    std::vector<std::string> bad = tiny_run(dir.file("text.txt"), dir.file("bad"));
    bad.insert(bad.end(), {"--attention", "softmax"});
    CHECK_THROWS_WITH(train(bad), Contains("train: --attention is 'softmax', expected standard, flash, linear or performer"));
    bad.back() = "linear";
    bad.insert(bad.end(), {"--window", "4"});
    CHECK_THROWS_WITH(train(bad), Contains("attention=linear cannot take window=4"));
}
