// Fuzz target: the model checkpoint readers that take a path (io/checkpoint.h and the
// streaming half of io/safetensors.h), as `train --resume` and `generate --run` use them.
//
// Feeds: any bytes, as a file (safetensors_file_of in fuzz_common.h) written to a temporary
// file, to
//   - read_safetensors_header, check_safetensors_checksum, read_safetensors_tensor (the
//     header, the data's checksum, then one tensor at a time),
//   - read_model_config, then GPTModel(config) and one forward step on it, as
//     `generate --run` and `train --resume` use it,
//   - load_model into a small GPTModel (tiny_model.h).
// Checks: no crash, no sanitizer report, no huge allocation, only llm::Error for bad input;
// a model built from the config it accepts computes finite logits;
// the streaming reader and parse_safetensors agree (both refuse the file, or both give the
// same tensors); after load_model succeeds, every parameter holds the file's values.
#include "fuzz_common.h"
#include "tiny_model.h"

#include "base/error.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "ops/ops.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <vector>

namespace {

bool same_bits(const llm::Tensor& x, const llm::Tensor& y) {
    return x.dtype() == y.dtype() && x.shape() == y.shape() &&
           (x.numel() == 0 || std::memcmp(x.data(), y.data(), sizeof(float) * static_cast<size_t>(x.numel())) == 0);
}

// The file read one tensor at a time; false when refused.
bool read_streamed(const std::string& path, llm::SafetensorsFile& file) {
    try {
        std::ifstream in(path, std::ios::binary);
        llm::SafetensorsHeader header = llm::read_safetensors_header(in, path);
        llm::check_safetensors_checksum(in, header, path);  // as load_gpt2_weights does
        file.metadata = header.metadata;
        file.metadata.erase(llm::kChecksumKey);  // parse_safetensors keeps it to itself
        for (const llm::SafetensorsEntry& e : header.entries)
            file.tensors.push_back({e.name, llm::read_safetensors_tensor(in, header, e, path)});
        return true;
    } catch (const llm::Error&) {
        return false;
    }
}

void check_streamed_reader(const std::string& bytes, const std::string& path) {
    llm::SafetensorsFile whole, streamed;
    bool whole_ok = true;
    try {
        whole = llm::parse_safetensors(bytes, path);
    } catch (const llm::Error&) {
        whole_ok = false;
    }
    bool streamed_ok = read_streamed(path, streamed);
    check(whole_ok == streamed_ok, "the streaming reader accepts exactly the files parse_safetensors accepts");
    if (!whole_ok) return;
    check(whole.metadata == streamed.metadata && whole.tensors.size() == streamed.tensors.size(),
          "both readers give the same metadata and tensor count");
    for (size_t i = 0; i < whole.tensors.size(); i++)
        check(whole.tensors[i].name == streamed.tensors[i].name &&
                  same_bits(whole.tensors[i].tensor, streamed.tensors[i].tensor),
              "both readers give the same tensors");
}

// As `generate --run` and `train --resume` do: build the model the file describes, then
// one training-mode forward step (dropout on) on one token.
void check_model_config(const std::string& path) {
    try {
        llm::GPTModel model(llm::read_model_config(path));
        llm::Tensor logits = model.forward(llm::tensor_int64({0}, {1, 1}));  // (1, 1, V)
        check(logits.shape() == llm::Shape{1, 1, model.cfg.vocab_size}, "the logits are (B, T, V)");
        for (float x : logits.values()) check(std::isfinite(x), "a model built from an accepted config gives finite logits");
    } catch (const llm::Error&) {}
}

void check_load_model(const std::string& path) {
    static llm::GPTModel model(tiny_fuzz_config(false));
    std::vector<llm::Tensor> before;
    for (const llm::Tensor& p : model.parameters()) before.push_back(p.detach().clone());
    try {
        llm::load_model(path, model);
    } catch (const llm::Error&) {
        std::vector<llm::Tensor> after = model.parameters();
        for (size_t i = 0; i < before.size(); i++)
            check(same_bits(before[i], after[i]), "a file load_model refuses leaves every parameter as it was");
        return;
    }
    std::map<std::string, llm::Tensor> file;
    for (const llm::NamedTensor& t : llm::load_safetensors(path).tensors) file[t.name] = t.tensor;
    for (const llm::NamedTensor& p : model.named_parameters())
        check(same_bits(p.tensor, file.at(p.name)), "after load_model every parameter holds the file's values");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static FuzzTempFile file("checkpoint.safetensors");
    std::string bytes = safetensors_file_of(bytes_of(data, size));
    file.write(bytes);
    check_streamed_reader(bytes, file.path);
    check_model_config(file.path);
    check_load_model(file.path);
    return 0;
}
