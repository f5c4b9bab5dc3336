// Inputs that `make fuzz` (tests/fuzz/) or its harnesses showed crashing, hanging, making
// huge allocations or being accepted when they should not be, each kept as a test of the
// fix. Every test here failed before its fix. See book-notes/robustness.md.
#include "catch_compat.h"

#include "error_of.h"
#include "temp_dir.h"

#include "base/error.h"
#include "io/checkpoint.h"
#include "io/files.h"
#include "io/gpt2_weights.h"
#include "io/safetensors.h"
#include "nn/nn.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>

using namespace llm;
using Catch::Matchers::Contains;

namespace {

// A safetensors file: the 8-byte little-endian length of `header`, `header`, `data`.
std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
    std::string bytes(8, '\0');
    for (int k = 0; k < 8; k++) bytes[k] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * k));
    return bytes + header + data;
}

}  // namespace

// Found by review, then run through fuzz_safetensors: [2^40, 2^40, 0] holds no values (so
// the byte count matched data_offsets [0, 0]), but counting its elements left to right
// overflowed int64 (UBSan: signed integer overflow in numel_of) and the release build
// loaded a tensor whose shape lies.
TEST_CASE("fuzz: a safetensors shape whose element count overflows is refused", "[fuzz][checkpoint]") {
    std::string bytes = safetensors_bytes(
        R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776,0],"data_offsets":[0,0]}})");
    CHECK_THAT(error_of([&] { parse_safetensors(bytes, "overflow.safetensors"); }),
               Contains("'overflow.safetensors'") && Contains("more elements than a tensor can count"));
    // A zero first: every partial product is 0, nothing overflows, and the tensor is empty.
    std::string empty = safetensors_bytes(
        R"({"a":{"dtype":"F32","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}})");
    SafetensorsFile file = parse_safetensors(empty, "empty.safetensors");
    REQUIRE(file.tensors.size() == 1);
    CHECK(file.tensors[0].tensor.numel() == 0);
}

// Found with fuzz_checkpoint's harness (a header-only file, metadata edited): read_model_config
// returned the config of a 10^11-token model from a 200-byte file, and GPTModel(cfg), as
// `generate --run` builds it, died in the allocator (ASan: allocation-size-too-big).
TEST_CASE("fuzz: a model file whose config is far bigger than its data is refused", "[fuzz][checkpoint]") {
    TempDir tmp("llm_fuzz_test");
    std::string path = tmp.file("model.safetensors");
    write_file_atomic(path, safetensors_bytes(
        R"({"__metadata__":{"vocab_size":"100000000000","context_length":"4","emb_dim":"8","n_heads":"2",)"
        R"("n_layers":"1","drop_rate":"0","qkv_bias":"false"},)"
        R"("tok_emb.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')));
    CHECK_THAT(error_of([&] { read_model_config(path); }),
               Contains(path) && Contains("vocab_size=100000000000") &&
                   Contains("800000000896 parameters, but the file holds 2 values"));  // without the V·C head
}

// The same for GPT-2's layout, where the config comes from the shapes and the block names:
// 1,000 empty tensors named h.0. ... h.999. made a 40 KB file describe 1,000 blocks.
TEST_CASE("fuzz: a GPT-2 file naming more blocks than its data holds is refused", "[fuzz][gpt2]") {
    TempDir tmp("llm_fuzz_test");
    std::string header = R"({"__metadata__":{"n_head":"1"},)"
                         R"("wte.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)"
                         R"("wpe.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]})";
    for (int i = 0; i < 1000; i++)
        header += ",\"h." + std::to_string(i) + R"(.ln_1.bias":{"dtype":"F32","shape":[0],"data_offsets":[16,16]})";
    std::string path = tmp.file("gpt2.safetensors");
    write_file_atomic(path, safetensors_bytes(header + "}", std::string(16, '\0')));
    CHECK_THAT(error_of([&] { gpt2_config_from_safetensors(path); }),
               Contains(path) && Contains("n_layers=1000") && Contains("but the file holds 4 values"));
}

// The count the checks above use is the book's (4.6: "Total number of parameters:
// 163,009,536" for GPT_CONFIG_124M) and the model's own, with and without query/key/value biases.
TEST_CASE("fuzz: gpt_parameter_count is the number of parameters GPTModel has", "[fuzz][nn]") {
    CHECK(gpt_parameter_count(gpt_config_124m()) == 163009536.0);
    GPTVariant rope_rms_swiglu_gqa;
    rope_rms_swiglu_gqa.pos = PosEncoding::rope, rope_rms_swiglu_gqa.norm = NormKind::rms;
    rope_rms_swiglu_gqa.ffn = FeedForwardKind::swiglu, rope_rms_swiglu_gqa.kv_groups = 2;
    GPTVariant sinusoidal_window;
    sinusoidal_window.pos = PosEncoding::sinusoidal, sinusoidal_window.window = 2, sinusoidal_window.ffn_hidden = 10;
    for (const GPTVariant& variant : {GPTVariant{}, rope_rms_swiglu_gqa, sinusoidal_window})
        for (bool qkv_bias : {false, true}) {
            GPTConfig cfg;
            cfg.vocab_size = 11, cfg.context_length = 5, cfg.emb_dim = 16, cfg.n_heads = 4, cfg.n_layers = 3;
            cfg.qkv_bias = qkv_bias, cfg.variant = variant;
            GPTModel model(cfg);
            int64_t n = 0;
            for (const Tensor& p : model.parameters()) n += p.numel();
            INFO(describe(variant, cfg.emb_dim, cfg.n_heads) << ", qkv_bias " << qkv_bias);
            CHECK(gpt_parameter_count(cfg) == static_cast<double>(n));
        }
}

// Found by review while writing fuzz_checkpoint: "drop_rate": "nan" passed every range check
// (NaN < 0 and NaN >= 1 are both false), and dropout with p = NaN zeroed every value, so the
// model silently computed nothing.
TEST_CASE("fuzz: a NaN drop_rate is refused", "[fuzz][nn]") {
    GPTConfig cfg;
    cfg.vocab_size = 4, cfg.context_length = 2, cfg.emb_dim = 2, cfg.n_heads = 1, cfg.n_layers = 1;
    cfg.drop_rate = std::numeric_limits<double>::quiet_NaN();
    CHECK_THAT(error_of([&] { GPTModel model(cfg); }), Contains("drop_rate must be in [0, 1)"));
}

// Found by fuzz_gpt2_weights: a GPT-2-layout file written by this project (save_gpt2_hf
// puts the data checksum in it) with one flipped bit loaded without a word through
// load_gpt2_weights, which reads one tensor at a time and never saw the whole data;
// load_safetensors refused the same file. Now both refuse it, before anything is copied.
TEST_CASE("fuzz: a damaged GPT-2 file of ours is refused by the streaming loader too", "[fuzz][gpt2]") {
    TempDir tmp("llm_fuzz_test");
    GPTConfig cfg;
    cfg.vocab_size = 7, cfg.context_length = 4, cfg.emb_dim = 8, cfg.n_heads = 2, cfg.n_layers = 1, cfg.qkv_bias = true;
    GPTModel written(cfg);
    written.out_head.weight.values() = written.tok_emb.weight.values();  // GPT-2 ties them
    std::string path = tmp.file("gpt2.safetensors");
    save_gpt2_hf(path, written);
    std::string bytes = read_file(path);
    bytes[bytes.size() - 5] = static_cast<char>(bytes[bytes.size() - 5] ^ 0x10);  // one bit of the last tensor
    write_file_atomic(path, bytes);
    GPTModel model(cfg);
    float before = model.tok_emb.weight.data()[0];
    CHECK_THAT(error_of([&] { load_gpt2_weights(path, model); }), Contains(path) && Contains("damaged"));
    CHECK(model.tok_emb.weight.data()[0] == before);  // nothing copied
    CHECK_THAT(error_of([&] { load_safetensors(path); }), Contains("damaged"));
}
