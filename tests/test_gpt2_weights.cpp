// GPT-2's weights in Hugging Face's safetensors layout (core/io/gpt2_weights.h): a tiny
// model written with save_gpt2_hf and read back with load_gpt2_weights gives the same
// logits bit for bit; the config is inferred from the header; bad files are refused with
// messages naming the tensor, the shapes and the file. With OpenAI's real
// model.safetensors in data/gpt2/, the book's greedy continuation (appendix E).
#include "catch_compat.h"
#include "data_files.h"
#include "error_of.h"
#include "temp_dir.h"

#include "autograd/autograd.h"
#include "io/files.h"
#include "io/gpt2_weights.h"
#include "io/safetensors.h"
#include "random/random.h"
#include "text/bpe.h"
#include "train/sampling.h"

#include <chrono>
#include <filesystem>
#include <random>

using namespace llm;
using Catch::Matchers::Contains;

namespace {

// vocab 50, context 8, emb 16, 2 heads, 2 layers, qkv_bias: GPT-2's shape in miniature.
GPTConfig tiny_config() {
    GPTConfig cfg;
    cfg.vocab_size = 50, cfg.context_length = 8, cfg.emb_dim = 16, cfg.n_heads = 2, cfg.n_layers = 2;
    cfg.drop_rate = 0.0, cfg.qkv_bias = true;
    return cfg;
}

// A seeded tiny model whose output head is tied to its token embedding, as GPT-2's is.
std::unique_ptr<GPTModel> tied_model(uint64_t seed) {
    manual_seed(seed);
    auto model = std::make_unique<GPTModel>(tiny_config());
    model->out_head.weight.values() = model->tok_emb.weight.values();
    model->eval();
    return model;
}

// logits: (1, 5, vocab) of a fixed input, without gradients.
Tensor logits_of(const GPTModel& model) {
    NoGradGuard no_grad;
    return model.forward(tensor_int64({{3, 1, 4, 1, 5}}));
}

}  // namespace

TEST_CASE("save_gpt2_hf and load_gpt2_weights round-trip a model bit for bit", "[gpt2]") {
    TempDir tmp("llm_gpt2_test");
    auto a = tied_model(123);
    save_gpt2_hf(tmp.file("model.safetensors"), *a);
    auto b = tied_model(456);
    REQUIRE(logits_of(*a).values() != logits_of(*b).values());
    load_gpt2_weights(tmp.file("model.safetensors"), *b);
    CHECK(logits_of(*a).values() == logits_of(*b).values());
    std::vector<NamedTensor> pa = a->named_parameters(), pb = b->named_parameters();
    REQUIRE(pa.size() == pb.size());
    for (size_t i = 0; i < pa.size(); i++) {
        INFO(pa[i].name);
        CHECK(pa[i].name == pb[i].name);
        CHECK(pa[i].tensor.values() == pb[i].tensor.values());
    }
    CHECK(b->out_head.weight.values() == b->tok_emb.weight.values());
}

TEST_CASE("The file is in Hugging Face's layout: Conv1D weights transposed, c_attn = [q | k | v]", "[gpt2]") {
    TempDir tmp("llm_gpt2_test");
    auto a = tied_model(123);
    save_gpt2_hf(tmp.file("model.safetensors"), *a);
    SafetensorsFile file = load_safetensors(tmp.file("model.safetensors"));
    std::map<std::string, Tensor> by_name;
    for (const NamedTensor& t : file.tensors) by_name[t.name] = t.tensor;
    CHECK(by_name.size() == 2 + 12 * 2 + 2);  // wte, wpe, 12 per block, ln_f; no out_head
    CHECK(by_name["wte.weight"].shape() == Shape{50, 16});
    Tensor c_attn = by_name["h.1.attn.c_attn.weight"];
    REQUIRE(c_attn.shape() == Shape{16, 48});
    const MultiHeadAttention& att = a->trf_blocks[1]->att;
    CHECK(c_attn.at({3, 5}) == att.W_query.weight.at({5, 3}));
    CHECK(c_attn.at({3, 16 + 5}) == att.W_key.weight.at({5, 3}));
    CHECK(c_attn.at({3, 32 + 5}) == att.W_value.weight.at({5, 3}));
    CHECK(by_name["h.1.attn.c_attn.bias"].at({32 + 2}) == att.W_value.bias.at({2}));
    CHECK(by_name["h.0.mlp.c_fc.weight"].shape() == Shape{16, 64});
    CHECK(by_name["h.0.mlp.c_proj.weight"].shape() == Shape{64, 16});
    CHECK(by_name["ln_f.bias"].shape() == Shape{16});
}

TEST_CASE("gpt2_config_from_safetensors infers the config from the header", "[gpt2]") {
    TempDir tmp("llm_gpt2_test");
    save_gpt2_hf(tmp.file("tiny.safetensors"), *tied_model(1));
    GPTConfig cfg = gpt2_config_from_safetensors(tmp.file("tiny.safetensors"));
    CHECK(cfg.vocab_size == 50);
    CHECK(cfg.context_length == 8);
    CHECK(cfg.emb_dim == 16);
    CHECK(cfg.n_heads == 2);  // from the metadata "n_head"
    CHECK(cfg.n_layers == 2);
    CHECK(cfg.qkv_bias);
    // GPT-2 medium's sizes without "n_head": 1024 -> 16 heads, 24 blocks. A file this small
    // cannot hold that model, so the config is refused, and the message shows what was inferred.
    std::vector<NamedTensor> tensors = {{"wte.weight", zeros({3, 1024})}, {"wpe.weight", zeros({4, 1024})}};
    for (int i = 0; i < 24; i++) tensors.push_back({"h." + std::to_string(i) + ".ln_1.weight", zeros({1})});
    save_safetensors(tmp.file("medium.safetensors"), tensors, {{"format", "pt"}});
    CHECK_THROWS_WITH(gpt2_config_from_safetensors(tmp.file("medium.safetensors")),
                      Contains("context_length=4, emb_dim=1024, n_heads=16, n_layers=24") &&
                          Contains("but the file holds 7192 values"));
    save_safetensors(tmp.file("odd.safetensors"), {{"wte.weight", zeros({3, 20})}, {"wpe.weight", zeros({4, 20})},
                                                   {"h.0.ln_1.weight", zeros({1})}});
    CHECK_THROWS_WITH(gpt2_config_from_safetensors(tmp.file("odd.safetensors")), Contains("n_head"));
    CHECK_THROWS_WITH(gpt2_config_from_safetensors(tmp.file("missing.safetensors")), Contains("no such file"));
}

TEST_CASE("\"transformer.\" keys and the attention buffers are accepted", "[gpt2]") {
    TempDir tmp("llm_gpt2_test");
    auto a = tied_model(123);
    save_gpt2_hf(tmp.file("plain.safetensors"), *a);
    SafetensorsFile file = load_safetensors(tmp.file("plain.safetensors"));
    for (NamedTensor& t : file.tensors) t.name = "transformer." + t.name;
    file.tensors.push_back({"transformer.h.0.attn.bias", ones({1, 1, 8, 8})});
    file.tensors.push_back({"transformer.h.0.attn.masked_bias", full({}, -1e4f)});
    save_safetensors(tmp.file("prefixed.safetensors"), file.tensors, {{"format", "pt"}, {"n_head", "2"}});
    CHECK(gpt2_config_from_safetensors(tmp.file("prefixed.safetensors")).n_layers == 2);
    auto b = tied_model(456);
    load_gpt2_weights(tmp.file("prefixed.safetensors"), *b);
    CHECK(logits_of(*a).values() == logits_of(*b).values());
}

TEST_CASE("Truncated files, wrong shapes and unknown tensors are refused clearly", "[gpt2]") {
    TempDir tmp("llm_gpt2_test");
    std::string path = tmp.file("model.safetensors");
    save_gpt2_hf(path, *tied_model(123));
    auto b = tied_model(456);
    std::vector<float> before = b->named_parameters()[0].tensor.values();

    std::string bytes = read_file(path);
    write_file_atomic(tmp.file("short.safetensors"), bytes.substr(0, bytes.size() - 100));
    std::string message = error_of([&] { load_gpt2_weights(tmp.file("short.safetensors"), *b); });
    CHECK_THAT(message, Contains("short.safetensors") && Contains("truncated"));

    SafetensorsFile file = load_safetensors(path);
    for (NamedTensor& t : file.tensors)
        if (t.name == "h.1.mlp.c_fc.weight") t.tensor = zeros({64, 16});  // a Linear's layout, not Conv1D's
    save_safetensors(tmp.file("shape.safetensors"), file.tensors, {{"n_head", "2"}});
    message = error_of([&] { load_gpt2_weights(tmp.file("shape.safetensors"), *b); });
    CHECK_THAT(message, Contains("shape.safetensors") && Contains("'h.1.mlp.c_fc.weight'") && Contains("[64, 16]") &&
                            Contains("expected [16, 64]"));

    file = load_safetensors(path);
    file.tensors.push_back({"h.2.ln_1.weight", zeros({16})});  // a third block: a bigger model
    save_safetensors(tmp.file("extra.safetensors"), file.tensors, {{"n_head", "2"}});
    CHECK_THROWS_WITH(load_gpt2_weights(tmp.file("extra.safetensors"), *b), Contains("h.2.ln_1.weight"));

    GPTConfig cfg = tiny_config();
    cfg.context_length = 16;
    manual_seed(1);
    GPTModel longer(cfg);
    CHECK_THROWS_WITH(load_gpt2_weights(path, longer), Contains("'wpe.weight' has shape [8, 16], expected [16, 16]"));
    CHECK(b->named_parameters()[0].tensor.values() == before);  // nothing copied from a bad file
}

TEST_CASE("OpenAI's GPT-2 124M continues \"Every effort moves you\" as in the book", "[gpt2]") {
    std::string model_path = find_data_file("gpt2/model.safetensors");
    std::string encoder = find_data_file("gpt2/encoder.json"), merges = find_data_file("gpt2/vocab.bpe");
    if (model_path.empty() || encoder.empty() || merges.empty())
        return skip_test((model_path.empty() ? missing_data_message("gpt2/model.safetensors") : "GPT-2's vocabulary not "
                          "found") + " (https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors)");
    GPTConfig cfg = gpt2_config_from_safetensors(model_path);
    REQUIRE(cfg.emb_dim == 768);
    GPTModel model(cfg);
    load_gpt2_weights(model_path, model);
    model.eval();
    BpeTokenizer tokenizer = BpeTokenizer::load_gpt2(encoder, merges);
    std::vector<int64_t> ids = tokenizer.encode("Every effort moves you");
    Tensor out = generate_text_simple(model, tensor_int64(ids, {1, static_cast<int64_t>(ids.size())}), 15, 1024);
    std::vector<int64_t> all;
    for (float v : out.values()) all.push_back(static_cast<int64_t>(v));
    CHECK(tokenizer.decode(all) ==
          "Every effort moves you forward.\n\nThe first step is to understand the importance of your work");
}
