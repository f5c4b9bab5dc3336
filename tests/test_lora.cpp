// Appendix E (appendix-E.ipynb, section E.4): LoRALayer, Linear with an adapter,
// replace_linear_with_lora's parameter counts for GPT-2 124M, and merging for export.
#include "catch_compat.h"
#include "random_tensor.h"
#include "gradcheck.h"
#include "appendix_e_lora/module_print.h"

#include "autograd/autograd.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"

#include <cmath>
#include <sstream>

using namespace llm;

namespace {

void freeze(Module& m) {
    for (Tensor p : m.parameters()) p.requires_grad_(false);  // for param in model.parameters(): ...
}

// Every B of every adapter filled with draws from U(-0.5, 0.5) (as if trained).
void perturb_lora_B(Module& model) {
    for (NamedTensor p : model.named_parameters()) {
        if (p.name.size() < 7 || p.name.compare(p.name.size() - 7, 7, ".lora.B") != 0) continue;
        uniform_(p.tensor.data(), p.tensor.numel(), -0.5, 0.5);
    }
}

GPTConfig tiny_config() {
    GPTConfig cfg;
    cfg.vocab_size = 50, cfg.context_length = 8, cfg.emb_dim = 16, cfg.n_heads = 2, cfg.n_layers = 2;
    cfg.drop_rate = 0.0, cfg.qkv_bias = true;
    return cfg;
}

}  // namespace

TEST_CASE("E.4 trainable parameters of GPT-2 124M before and with LoRA (rank 16)", "[appendix_e][lora]") {
    // The book's 124M (BASE_CONFIG: qkv_bias) with 6.5's 2-class head. To keep the test
    // small, the model built has one block and tiny tables; the other 11 blocks and the
    // rest of the tables are added by count (the blocks are all alike).
    GPTConfig cfg = gpt_config_124m();
    cfg.qkv_bias = true, cfg.drop_rate = 0.0;
    GPTConfig small = cfg;
    small.vocab_size = 4, small.context_length = 4, small.n_layers = 1;
    manual_seed(123);
    GPTModel model(small);
    model.out_head.reset(cfg.emb_dim, 2);
    double one_block = static_cast<double>(num_trainable_parameters(*model.trf_blocks[0]));
    double before = static_cast<double>(num_trainable_parameters(model)) +
                    static_cast<double>((cfg.vocab_size - small.vocab_size + cfg.context_length - small.context_length) *
                                        cfg.emb_dim) +
                    11 * one_block;
    CHECK(before == 124441346.0);  // E.4: "Total trainable parameters before: 124,441,346"
    // The same from the config alone: gpt_parameter_count has the 50,257-way head.
    CHECK(gpt_parameter_count(cfg) - 768.0 * 50257 + (768 * 2 + 2) == 124441346.0);

    freeze(model);
    CHECK(num_trainable_parameters(model) == 0);  // "Total trainable parameters after: 0"
    replace_linear_with_lora(model, 16, 16);
    double lora_block = static_cast<double>(num_trainable_parameters(*model.trf_blocks[0]));
    CHECK(lora_block == 4 * 16 * (768 + 768) + 2 * 16 * (768 + 3072));  // W_query, W_key, W_value, out_proj, ff
    CHECK(num_trainable_parameters(model.out_head) == 16 * (768 + 2));
    double lora_total = static_cast<double>(num_trainable_parameters(model)) + 11 * lora_block;
    CHECK(lora_total == 2666528.0);  // E.4: "Total trainable LoRA parameters: 2,666,528"
}

TEST_CASE("LoRALayer: B starts at zero, so a Linear with an adapter gives its old output", "[appendix_e][lora]") {
    manual_seed(123);
    Linear layer(5, 3);
    Tensor x = randn_tensor({2, 4, 5});  // (B, T, in)
    Tensor before = layer.forward(x);
    layer.add_lora(2, 4.0, true);
    REQUIRE(layer.lora);
    CHECK(layer.lora->A.shape() == Shape{5, 2});
    CHECK(layer.lora->B.shape() == Shape{2, 3});
    for (float b : layer.lora->B.values()) CHECK(b == 0.0f);
    float bound = 1.0f / std::sqrt(2.0f);  // kaiming_uniform_(a=√5) on (in, rank): U(±1/√rank)
    bool any_nonzero = false;
    for (float a : layer.lora->A.values()) {
        CHECK(std::abs(a) <= bound);
        any_nonzero = any_nonzero || a != 0.0f;
    }
    CHECK(any_nonzero);
    CHECK(layer.forward(x).values() == before.values());
    CHECK(layer.lora->scale == 2.0f);  // alpha / rank (the current notebook)
    CHECK_THROWS_WITH(layer.add_lora(2, 4.0, true), Catch::Matchers::Contains("adapter already"));
    CHECK_THROWS_WITH(LoRALayer(5, 3, 0, 1.0, true), Catch::Matchers::Contains("rank must be positive"));
}

TEST_CASE("LoRALayer: scale alpha (the printed book) is rank times alpha/rank", "[appendix_e][lora]") {
    manual_seed(7);
    LoRALayer by_rank(6, 4, 3, 8.0, true);
    manual_seed(7);
    LoRALayer by_alpha(6, 4, 3, 8.0, false);
    REQUIRE(by_rank.A.values() == by_alpha.A.values());
    Tensor b = randn_tensor({3, 4});
    by_rank.B = b, by_alpha.B = b;
    Tensor x = randn_tensor({5, 6});
    Tensor y_rank = by_rank.forward(x), y_alpha = by_alpha.forward(x);
    for (int64_t i = 0; i < y_rank.numel(); i++) CHECK(y_alpha.data()[i] == Approx(3 * y_rank.data()[i]).epsilon(1e-5));
}

TEST_CASE("gradcheck: Linear with a LoRA adapter, x·Wᵀ + b + scale·x·A·B", "[appendix_e][lora][gradcheck]") {
    manual_seed(1);
    Linear layer(4, 3);
    layer.add_lora(2, 3.0, true);
    std::mt19937 rng(5);
    std::vector<Tensor> inputs = {gradcheck::random_tensor({2, 4}, rng), gradcheck::random_tensor({3, 4}, rng),
                                  gradcheck::random_tensor({3}, rng), gradcheck::random_tensor({4, 2}, rng),
                                  gradcheck::random_tensor({2, 3}, rng)};
    auto f = [&](const std::vector<Tensor>& in) {  // x (B, in), W (out, in), b (out), A (in, r), B (r, out)
        layer.weight = in[1], layer.bias = in[2], layer.lora->A = in[3], layer.lora->B = in[4];
        return layer.forward(in[0]);
    };
    gradcheck::Result r = gradcheck::check(f, inputs);
    INFO(r.detail);
    CHECK(r.ok);
}

TEST_CASE("merge_lora_weights: the merged model gives the adapted model's logits", "[appendix_e][lora]") {
    manual_seed(123);
    GPTModel model(tiny_config());
    model.out_head.reset(16, 2);
    std::vector<std::string> names;
    for (const NamedTensor& p : model.named_parameters()) names.push_back(p.name);
    Tensor input = tensor_int64({{1, 2, 3, 4, 5}, {9, 8, 7, 6, 5}});  // (B=2, T=5)
    NoGradGuard no_grad;
    Tensor base = model.forward(input);
    freeze(model);
    replace_linear_with_lora(model, 4, 8.0);
    CHECK(model.forward(input).values() == base.values());  // B = 0: no change yet
    perturb_lora_B(model);
    Tensor adapted = model.forward(input);
    double largest_change = 0.0;
    for (int64_t i = 0; i < base.numel(); i++)
        largest_change = std::max(largest_change, double(std::abs(adapted.data()[i] - base.data()[i])));
    CHECK(largest_change > 1e-2);  // the adapters do something
    merge_lora_weights(model);
    Tensor merged = model.forward(input);
    for (int64_t i = 0; i < merged.numel(); i++) REQUIRE(merged.data()[i] == Approx(adapted.data()[i]).margin(1e-5));
    std::vector<std::string> merged_names;  // the book's state-dict names again, for export
    for (const NamedTensor& p : model.named_parameters()) merged_names.push_back(p.name);
    CHECK(merged_names == names);
    CHECK(model.out_head.lora == nullptr);
}

TEST_CASE("print_module prints the LoRA model as E.4's print(model) does", "[appendix_e][lora]") {
    GPTConfig cfg = tiny_config();
    cfg.n_layers = 1;
    manual_seed(123);
    GPTModel model(cfg);
    model.out_head.reset(16, 2);
    replace_linear_with_lora(model, 4, 4.0);
    std::ostringstream os;
    appendix_e::print_module(os, model, "");
    // The notebook's lines (E.4, print(model)) at this model's sizes; its previous_chapters.py
    // calls the block's dropout drop_resid, chapter 4's code drop_shortcut.
    std::string expected =
        "GPTModel(\n  (tok_emb): Embedding(50, 16)\n  (pos_emb): Embedding(8, 16)\n"
        "  (drop_emb): Dropout(p=0.0, inplace=False)\n  (trf_blocks): Sequential(\n    (0): TransformerBlock(\n"
        "      (att): MultiHeadAttention(\n";
    for (const char* name : {"W_query", "W_key", "W_value", "out_proj"})
        expected += std::string("        (") + name + "): LinearWithLoRA(\n"
                    "          (linear): Linear(in_features=16, out_features=16, bias=True)\n"
                    "          (lora): LoRALayer()\n        )\n";
    expected +=
        "        (dropout): Dropout(p=0.0, inplace=False)\n      )\n      (ff): FeedForward(\n        (layers): Sequential(\n"
        "          (0): LinearWithLoRA(\n            (linear): Linear(in_features=16, out_features=64, bias=True)\n"
        "            (lora): LoRALayer()\n          )\n          (1): GELU()\n"
        "          (2): LinearWithLoRA(\n            (linear): Linear(in_features=64, out_features=16, bias=True)\n"
        "            (lora): LoRALayer()\n          )\n        )\n      )\n      (norm1): LayerNorm()\n"
        "      (norm2): LayerNorm()\n      (drop_shortcut): Dropout(p=0.0, inplace=False)\n    )\n  )\n"
        "  (final_norm): LayerNorm()\n  (out_head): LinearWithLoRA(\n"
        "    (linear): Linear(in_features=16, out_features=2, bias=True)\n    (lora): LoRALayer()\n  )\n)";
    CHECK(os.str() == expected);
}
