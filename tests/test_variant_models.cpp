// The attention lab's GPT variants as whole models: their state-dict names, generation with
// and without the KV cache, checkpoints that load back (and refuse the wrong variant), and
// train / resume / generate through the commands.
#include "catch_compat.h"
#include "error_of.h"
#include "temp_dir.h"

#include "cli/commands.h"
#include "io/checkpoint.h"
#include "io/checkpoint_folder.h"
#include "io/files.h"
#include "io/gpt2_weights.h"
#include "io/safetensors.h"
#include "ops/ops.h"
#include "random/random.h"
#include "train/pretrain.h"
#include "train/sampling.h"

#include <filesystem>
#include <iostream>
#include <sstream>

using namespace llm;
using Catch::Matchers::Contains;

namespace {

struct NamedVariant {
    const char* name;
    GPTVariant variant;
};

GPTVariant make(PosEncoding pos, NormKind norm = NormKind::layer, NormPlace place = NormPlace::pre,
                FeedForwardKind ffn = FeedForwardKind::gelu, int64_t kv_groups = 0, int64_t window = 0) {
    GPTVariant v;
    v.pos = pos, v.norm = norm, v.norm_place = place, v.ffn = ffn, v.kv_groups = kv_groups, v.window = window;
    return v;
}

// Every switch at least once, alone and combined.
const std::vector<NamedVariant>& all_variants() {
    using P = PosEncoding;
    static const std::vector<NamedVariant> variants = {
        {"book", GPTVariant{}},
        {"sinusoidal", make(P::sinusoidal)},
        {"rope", make(P::rope)},
        {"alibi", make(P::alibi)},
        {"none", make(P::none)},
        {"rms", make(P::learned, NormKind::rms)},
        {"post-ln", make(P::learned, NormKind::layer, NormPlace::post)},
        {"swiglu", make(P::learned, NormKind::layer, NormPlace::pre, FeedForwardKind::swiglu)},
        {"gqa2", make(P::learned, NormKind::layer, NormPlace::pre, FeedForwardKind::gelu, 2)},
        {"mqa", make(P::learned, NormKind::layer, NormPlace::pre, FeedForwardKind::gelu, 1)},
        {"window5", make(P::learned, NormKind::layer, NormPlace::pre, FeedForwardKind::gelu, 0, 5)},
        {"llama", make(P::rope, NormKind::rms, NormPlace::pre, FeedForwardKind::swiglu, 2)},
        {"alibi+window+post", make(P::alibi, NormKind::rms, NormPlace::post, FeedForwardKind::gelu, 1, 4)},
        {"rope+window", make(P::rope, NormKind::layer, NormPlace::pre, FeedForwardKind::gelu, 0, 6)},
    };
    return variants;
}

GPTConfig small_config(const GPTVariant& variant) {
    GPTConfig cfg;
    cfg.vocab_size = 40, cfg.context_length = 24, cfg.emb_dim = 16, cfg.n_heads = 4, cfg.n_layers = 2;
    cfg.drop_rate = 0.1;
    cfg.variant = variant;
    return cfg;
}

bool has_parameter(const GPTModel& model, const std::string& name) {
    for (const NamedTensor& p : model.named_parameters())
        if (p.name == name) return true;
    return false;
}

}  // namespace

TEST_CASE("variants extend the book's state-dict names", "[variants][nn]") {
    manual_seed(1);
    GPTModel rms_swiglu(small_config(make(PosEncoding::rope, NormKind::rms, NormPlace::pre, FeedForwardKind::swiglu, 2)));
    CHECK_FALSE(has_parameter(rms_swiglu, "pos_emb.weight"));  // RoPE has no position table
    CHECK(has_parameter(rms_swiglu, "trf_blocks.0.norm1.weight"));
    CHECK_FALSE(has_parameter(rms_swiglu, "trf_blocks.0.norm1.shift"));
    CHECK(has_parameter(rms_swiglu, "final_norm.weight"));
    for (const char* fc : {"fc1", "fc2", "fc3"}) {
        CHECK(has_parameter(rms_swiglu, std::string("trf_blocks.1.ff.") + fc + ".weight"));
        CHECK_FALSE(has_parameter(rms_swiglu, std::string("trf_blocks.1.ff.") + fc + ".bias"));
    }
    const TransformerBlock& block = *rms_swiglu.trf_blocks[0];
    CHECK(block.att.W_key.weight.shape() == Shape{8, 16});    // 2 key/value heads of size 4
    CHECK(block.att.W_value.weight.shape() == Shape{8, 16});
    CHECK(block.att.W_query.weight.shape() == Shape{16, 16});
    CHECK(dynamic_cast<const SwiGLUFeedForward&>(*block.ff).fc1.weight.shape() == Shape{48, 16});  // 8·16/3 -> 48
    // SwiGLU's default has about the parameters of GELU's 4·C feed-forward: 3·C·48 vs 8·C² + 5·C.
    GPTModel book(small_config(GPTVariant{}));
    CHECK(has_parameter(book, "pos_emb.weight"));
    CHECK(has_parameter(book, "trf_blocks.0.ff.layers.0.bias"));
    GPTVariant sinusoidal = make(PosEncoding::sinusoidal);
    GPTModel fixed(small_config(sinusoidal));
    CHECK(fixed.num_parameters() == book.num_parameters() - 24 * 16);
    CHECK(fixed.pos_table.at({3, 4}) == Approx(std::sin(3.0 / std::pow(10000.0, 4.0 / 16))));
    CHECK(fixed.pos_table.at({3, 5}) == Approx(std::cos(3.0 / std::pow(10000.0, 4.0 / 16))));
}

TEST_CASE("every variant generates the same tokens with and without the KV cache", "[variants][kv-cache]") {
    for (const NamedVariant& v : all_variants()) {
        INFO(v.name);
        manual_seed(3);
        GPTModel model(small_config(v.variant));
        model.eval();
        Tensor start = tensor_int64({{5, 17, 22}, {7, 7, 1}});
        Tensor plain = generate(model, start, 18, 24);
        Tensor cached = generate(model, start, 18, 24, 0.0, std::nullopt, std::nullopt, true);
        CHECK(cached.values() == plain.values());
        manual_seed(9);
        Tensor sampled = generate(model, start, 18, 24, 1.0, 5, std::nullopt, true);
        manual_seed(9);
        CHECK(generate(model, start, 18, 24, 1.0, 5).values() == sampled.values());
        // The logits of a prefix fed in three pieces agree with one forward pass.
        KVCache cache;
        Tensor prefix = slice(plain, 1, 0, 21);
        std::vector<Tensor> parts = {model.forward_cached(slice(prefix, 1, 0, 7), cache),
                                     model.forward_cached(slice(prefix, 1, 7, 8), cache),
                                     model.forward_cached(slice(prefix, 1, 8, 21), cache)};
        Tensor whole = model.forward(prefix), both = cat(parts, 1);
        REQUIRE(both.shape() == whole.shape());
        for (int64_t i = 0; i < whole.numel(); i++) REQUIRE(both.data()[i] == Approx(whole.data()[i]).margin(1e-5));
        // The cache holds kv_groups heads: a row for every position of the context, or with
        // a window W, when the last 13 tokens did not fit, the W - 1 rows they could still
        // see moved to the front of a buffer grown to hold them and the 13.
        int64_t kv = kv_heads(v.variant, 4), window = v.variant.window;
        const LayerKVCache& layer = cache.layers[0];
        CHECK(layer.keys.shape() == Shape{2, kv, window > 0 ? window - 1 + 13 : 24, 4});
        CHECK(cache.layers[1].values.shape() == layer.keys.shape());
        CHECK(layer.rows == (window > 0 ? window - 1 + 13 : 21));
        CHECK(cache.length == 21);
    }
}

TEST_CASE("a checkpoint of any variant loads back; a wrong or unknown variant is named", "[variants][checkpoint]") {
    TempDir tmp("llm_variant_checkpoint");
    Tensor ids = tensor_int64({{1, 2, 3, 4, 5}});
    for (const NamedVariant& v : all_variants()) {
        INFO(v.name);
        manual_seed(11);
        GPTModel model(small_config(v.variant));
        model.eval();
        std::string path = tmp.file(std::string(v.name) + ".safetensors");
        save_model(path, model);
        GPTConfig cfg = read_model_config(path);
        CHECK(normalized(cfg.variant, 16, 4) == normalized(v.variant, 16, 4));
        manual_seed(12);  // other weights, then the file's
        GPTModel loaded(cfg);
        loaded.eval();
        load_model(path, loaded);
        CHECK(loaded.forward(ids).values() == model.forward(ids).values());
    }
    // The book's model writes no variant key at all (its files are unchanged).
    manual_seed(11);
    GPTModel book(small_config(GPTVariant{}));
    save_model(tmp.file("book"), book);
    std::map<std::string, std::string> meta = read_safetensors_metadata(tmp.file("book"));
    for (const char* key : {"pos", "norm", "norm_place", "ffn", "ffn_hidden", "kv_groups", "window"})
        CHECK(meta.count(key) == 0);
    // Same shapes, other variant: refused by name, the model untouched.
    GPTModel alibi(small_config(make(PosEncoding::alibi)));
    Tensor before = alibi.tok_emb.weight.clone();
    std::string message = error_of([&] { load_model(tmp.file("rope.safetensors"), alibi); });
    CHECK_THAT(message, Contains("the file's model is the variant pos=rope, this model is pos=alibi"));
    CHECK(alibi.tok_emb.weight.values() == before.values());
    GPTModel post(small_config(make(PosEncoding::learned, NormKind::layer, NormPlace::post)));
    CHECK_THAT(error_of([&] { load_model(tmp.file("book"), post); }), Contains("variant book, this model is norm_place=post"));
    // An unknown value in the metadata.
    save_model(tmp.file("rotary"), book, {{"pos", "rotary"}});
    CHECK_THAT(error_of([&] { read_model_config(tmp.file("rotary")); }),
               Contains("metadata 'pos' is 'rotary', expected learned, sinusoidal, rope, alibi or none"));
    save_model(tmp.file("groups"), book, {{"kv_groups", "3"}});
    CHECK_THAT(error_of([&] { GPTModel m(read_model_config(tmp.file("groups"))); }),
               Contains("kv_groups (3) must divide n_heads (4)"));
    // GPT-2's layout is for the book's model only.
    GPTConfig gpt2_like = small_config(GPTVariant{});
    gpt2_like.qkv_bias = true;
    GPTModel gpt2_model(gpt2_like);
    std::copy(gpt2_model.tok_emb.weight.values().begin(), gpt2_model.tok_emb.weight.values().end(),
              gpt2_model.out_head.weight.data());  // GPT-2 ties its output head to the token embedding
    save_gpt2_hf(tmp.file("hf"), gpt2_model);
    gpt2_like.variant = make(PosEncoding::rope);
    GPTModel rope_model(gpt2_like);
    CHECK_THAT(error_of([&] { load_gpt2_weights(tmp.file("hf"), rope_model); }), Contains("not for the variant pos=rope"));
}

namespace {

struct CaptureOutput {
    std::ostringstream buffer;
    std::streambuf* old = std::cout.rdbuf(buffer.rdbuf());
    ~CaptureOutput() { std::cout.rdbuf(old); }
    std::string text() const { return buffer.str(); }
};

int command(int (*f)(int, char**), const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    return f(static_cast<int>(argv.size()), argv.data());
}

std::string story_lines(int lines) {
    const char* names[] = {"Ada", "Ben", "Cleo", "Dev", "Eli"};
    const char* things[] = {"a red kite", "the old boat", "a small dog", "the green door"};
    std::string text;
    for (int i = 0; i < lines; i++) text += std::string(names[i % 5]) + " finds " + things[(i / 5) % 4] + ".\n";
    return text;
}

}  // namespace

// A tiny run of `variant` on the text: 8 steps, checkpoints every 4.
TrainOptions tiny_options(const std::string& data, const std::string& out, const GPTVariant& variant) {
    TrainOptions o;
    o.data = data, o.out = out, o.tokenizer = "bytes";
    o.context_length = 16, o.emb_dim = 16, o.n_layers = 2, o.n_heads = 4, o.batch_size = 4, o.max_steps = 8;
    o.eval_interval = 3, o.eval_iters = 2, o.checkpoint_interval = 4, o.sample_tokens = 6, o.warmup_steps = 2;
    o.variant = variant;
    return o;
}

std::string generated(const std::vector<std::string>& args) {
    CaptureOutput capture;
    REQUIRE(command(generate_command, args) == 0);
    return capture.text();
}

TEST_CASE("the train flags set the switches, and bad values are named", "[variants][train]") {
    TempDir dir("llm_variant_flags");
    write_file_atomic(dir.file("text.txt"), story_lines(150));
    std::vector<std::string> base = {"--data", dir.file("text.txt"), "--tokenizer", "bytes", "--context", "16",
                                     "--emb", "16", "--layers", "1", "--batch-size", "4", "--max-steps", "2",
                                     "--sample-tokens", "4"};
    auto with = [&](const std::string& out, std::vector<std::string> extra, const std::string& heads = "4") {
        std::vector<std::string> args = base;
        args.insert(args.end(), {"--out", dir.file(out), "--heads", heads});
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    };
    CaptureOutput capture;
    REQUIRE(command(train_command, with("a", {"--pos", "rope", "--norm", "rms", "--ffn", "swiglu", "--kv-groups", "1",
                                              "--window", "6", "--norm-place", "post", "--ffn-hidden", "24"})) == 0);
    GPTVariant expected = make(PosEncoding::rope, NormKind::rms, NormPlace::post, FeedForwardKind::swiglu, 1, 6);
    expected.ffn_hidden = 24;
    CHECK(read_model_config(dir.file("a/model.safetensors")).variant == expected);
    REQUIRE(command(train_command, with("b", {"--pos", "alibi", "--kv-groups", "4"})) == 0);
    CHECK(read_model_config(dir.file("b/model.safetensors")).variant == make(PosEncoding::alibi));  // 4 of 4: the book's
    CHECK_THROWS_WITH(command(train_command, with("c", {"--pos", "rotary"})),
                      Contains("train: --pos is 'rotary', expected learned, sinusoidal, rope, alibi or none"));
    CHECK_THROWS_WITH(command(train_command, with("c", {"--norm", "batch"})), Contains("--norm is 'batch', expected layer or rms"));
    CHECK_THROWS_WITH(command(train_command, with("c", {"--kv-groups", "3"})), Contains("--kv-groups 3 does not divide --heads 4"));
    CHECK_THROWS_WITH(command(train_command, with("c", {"--window", "17"})), Contains("--window 17 is longer than --context 16"));
    CHECK_THROWS_WITH(command(train_command, with("c", {"--pos", "rope"}, "16")), Contains("must be even"));
    CHECK_FALSE(std::filesystem::exists(dir.file("c")));
}

TEST_CASE("every switch trains, resumes bit for bit and generates from its run folder", "[variants][train]") {
    TempDir dir("llm_variant_train");
    write_file_atomic(dir.file("text.txt"), story_lines(150));
    GPTVariant sinusoidal = make(PosEncoding::sinusoidal), none = make(PosEncoding::none, NormKind::rms, NormPlace::post,
                                                                           FeedForwardKind::swiglu);
    sinusoidal.ffn_hidden = 24, none.ffn_hidden = 16;
    std::vector<GPTVariant> runs = {  // together they set every switch
        make(PosEncoding::rope, NormKind::rms, NormPlace::pre, FeedForwardKind::swiglu, 1, 6),
        make(PosEncoding::alibi, NormKind::layer, NormPlace::post, FeedForwardKind::gelu, 2, 0),
        sinusoidal, none};
    for (size_t r = 0; r < runs.size(); r++) {
        INFO("run " << r << ": " << describe(runs[r], 16, 4));
        std::string text = dir.file("text.txt"), full = dir.file("full" + std::to_string(r));
        std::string cut = dir.file("cut" + std::to_string(r));
        {
            CaptureOutput capture;
            REQUIRE(run_training(tiny_options(text, full, runs[r])) == 0);
            TrainHooks hooks;  // Ctrl-C after step 5, then --resume
            hooks.interrupt_after = [](int64_t step) { return step == 5; };
            REQUIRE(run_training(tiny_options(text, cut, runs[r]), hooks) == 130);
            REQUIRE(command(train_command, {"--resume", cut}) == 0);
        }
        CHECK(read_file(cut + "/losses.csv") == read_file(full + "/losses.csv"));
        CHECK(read_file(cut + "/model.safetensors") == read_file(full + "/model.safetensors"));
        REQUIRE(complete_checkpoints(full).size() == 1);
        CHECK(read_file(complete_checkpoints(cut).front() + "/optimizer.safetensors") ==
              read_file(complete_checkpoints(full).front() + "/optimizer.safetensors"));
        CHECK(normalized(read_model_config(full + "/model.safetensors").variant, 16, 4) == normalized(runs[r], 16, 4));
        std::vector<std::string> args = {"--run", full, "--tokens", "12", "--temperature", "0"};
        std::string cached = generated(args);
        args.push_back("--no-kv-cache");
        CHECK(generated(args) == cached);
        CHECK(cached.size() > 7);
    }
}
