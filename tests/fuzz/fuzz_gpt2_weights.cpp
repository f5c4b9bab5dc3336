// Fuzz target: the reader of Hugging Face's GPT-2 checkpoints (io/gpt2_weights.h), as the
// `gpt2` command of ch05_pretraining uses it.
//
// Feeds: any bytes, as a file (safetensors_file_of in fuzz_common.h) written to a temporary
// file, to gpt2_config_from_safetensors, then (as
// the command does) GPTModel(config) and load_gpt2_weights into it; and to
// load_gpt2_weights into a small GPT-2-shaped model (tiny_model.h, qkv_bias on).
// Checks: no crash, no sanitizer report, no huge allocation, only llm::Error for bad input;
// after a load succeeds, tok_emb.weight and out_head.weight both hold the file's wte.weight.
#include "fuzz_common.h"
#include "tiny_model.h"

#include "base/error.h"
#include "io/gpt2_weights.h"
#include "io/safetensors.h"

#include <cstring>

namespace {

bool same_values(const llm::Tensor& x, const llm::Tensor& y) {
    return x.shape() == y.shape() &&
           (x.numel() == 0 || std::memcmp(x.data(), y.data(), sizeof(float) * static_cast<size_t>(x.numel())) == 0);
}

// The model holds the file's word embeddings twice (weight tying).
void check_tied(const llm::GPTModel& model, const std::string& path) {
    for (const llm::NamedTensor& t : llm::load_safetensors(path).tensors)
        if (t.name == "wte.weight" || t.name == "transformer.wte.weight")
            check(same_values(model.tok_emb.weight, t.tensor) && same_values(model.out_head.weight, t.tensor),
                  "after load_gpt2_weights, tok_emb and out_head hold wte.weight");
}

void load_as_the_command_does(const std::string& path) {
    try {
        llm::GPTModel model(llm::gpt2_config_from_safetensors(path));
        llm::load_gpt2_weights(path, model);
        check_tied(model, path);
    } catch (const llm::Error&) {}
}

void load_into_tiny_model(const std::string& path) {
    static llm::GPTModel model(tiny_fuzz_config(true));
    try {
        llm::load_gpt2_weights(path, model);
    } catch (const llm::Error&) {
        return;
    }
    check_tied(model, path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static FuzzTempFile file("gpt2.safetensors");
    file.write(safetensors_file_of(bytes_of(data, size)));
    load_as_the_command_does(file.path);
    load_into_tiny_model(file.path);
    return 0;
}
