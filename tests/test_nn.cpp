// nn modules: state-dict names and order, parameter counts, train/eval.
#include "catch_compat.h"

#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"

using namespace llm;

static GPTConfig tiny_config() {
    GPTConfig cfg;
    cfg.vocab_size = 11;
    cfg.context_length = 5;
    cfg.emb_dim = 8;
    cfg.n_heads = 2;
    cfg.n_layers = 2;
    cfg.drop_rate = 0.1;
    return cfg;
}

TEST_CASE("GPTModel parameters carry the book's state-dict names, in PyTorch's order", "[nn][ch04]") {
    manual_seed(123);
    GPTModel model(tiny_config());
    std::vector<std::string> names;
    for (const NamedTensor& p : model.named_parameters()) names.push_back(p.name);
    std::vector<std::string> block0 = {
        "trf_blocks.0.att.W_query.weight", "trf_blocks.0.att.W_key.weight", "trf_blocks.0.att.W_value.weight",
        "trf_blocks.0.att.out_proj.weight", "trf_blocks.0.att.out_proj.bias", "trf_blocks.0.ff.layers.0.weight",
        "trf_blocks.0.ff.layers.0.bias", "trf_blocks.0.ff.layers.2.weight", "trf_blocks.0.ff.layers.2.bias",
        "trf_blocks.0.norm1.scale", "trf_blocks.0.norm1.shift", "trf_blocks.0.norm2.scale", "trf_blocks.0.norm2.shift"};
    REQUIRE(names.size() == 2 + 2 * block0.size() + 3);
    CHECK(names[0] == "tok_emb.weight");
    CHECK(names[1] == "pos_emb.weight");
    for (size_t i = 0; i < block0.size(); i++) CHECK(names[2 + i] == block0[i]);
    CHECK(names[2 + block0.size()] == "trf_blocks.1.att.W_query.weight");
    CHECK(names[names.size() - 3] == "final_norm.scale");
    CHECK(names[names.size() - 2] == "final_norm.shift");
    CHECK(names.back() == "out_head.weight");
}

TEST_CASE("parameter counts follow the book's formula", "[nn][ch04]") {
    GPTConfig cfg = tiny_config();
    GPTModel model(cfg);
    int64_t C = cfg.emb_dim, V = cfg.vocab_size;
    int64_t attention = 3 * C * C + C * C + C;             // W_query, W_key, W_value, out_proj (+bias)
    int64_t feed_forward = C * 4 * C + 4 * C + 4 * C * C + C;
    int64_t block = attention + feed_forward + 4 * C;      // + two LayerNorms
    CHECK(model.num_parameters() == V * C + cfg.context_length * C + cfg.n_layers * block + 2 * C + V * C);
    // Exercise 4.1 for GPT_CONFIG_124M: 4,722,432 and 2,360,064 (chapter 4, ch04's exercise-solutions.ipynb)
    CHECK(768 * 3072 + 3072 + 3072 * 768 + 768 == 4722432);
    CHECK(4 * 768 * 768 + 768 == 2360064);
}

TEST_CASE("train() and eval() reach every dropout; eval is deterministic", "[nn]") {
    manual_seed(1);
    GPTModel model(tiny_config());
    Tensor ids = tensor_int64({{1, 2, 3}, {4, 5, 6}});
    model.eval();
    CHECK_FALSE(model.trf_blocks[1]->att.dropout.training());
    Tensor a = model.forward(ids), b = model.forward(ids);
    CHECK(a.values() == b.values());
    REQUIRE(a.shape() == Shape{2, 3, 11});
    model.train();
    CHECK(model.trf_blocks[1]->drop_shortcut.training());
    Tensor c = model.forward(ids);
    CHECK(c.values() != a.values());
}

TEST_CASE("bad configurations are refused with the reason", "[nn][errors]") {
    GPTConfig cfg = tiny_config();
    cfg.n_heads = 3;
    REQUIRE_THROWS_WITH(GPTModel(cfg), Catch::Matchers::Contains("emb_dim (8) must be divisible by n_heads (3)"));
    GPTModel model(tiny_config());
    REQUIRE_THROWS_WITH(model.forward(tensor_int64({{1, 2, 3, 4, 5, 6}})),
                        Catch::Matchers::Contains("6 tokens are more than the context length 5"));
    REQUIRE_THROWS_WITH(model.forward(tensor_int64({{1, 20}})), Catch::Matchers::Contains("index 20 is out of range"));
}

TEST_CASE("a training step through the whole GPT reduces the loss", "[nn][ch04]") {
    manual_seed(123);
    GPTConfig cfg = tiny_config();
    cfg.drop_rate = 0.0;
    GPTModel model(cfg);
    Tensor ids = tensor_int64({{1, 2, 3, 4}, {5, 6, 7, 8}});
    Tensor targets = tensor_int64({2, 3, 4, 5, 6, 7, 8, 9});
    float first = 0.0f, last = 0.0f;
    for (int step = 0; step < 20; step++) {
        Tensor loss = cross_entropy(model.forward(ids).flatten(0, 1), targets);
        if (step == 0) first = loss.item();
        last = loss.item();
        model.zero_grad();
        loss.backward();
        for (Tensor p : model.parameters())
            for (int64_t i = 0; i < p.numel(); i++) p.data()[i] -= 0.1f * p.grad().data()[i];
    }
    CHECK(last < 0.5f * first);
}
