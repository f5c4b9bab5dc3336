// The safetensors file format, written and read by hand.
//
// safetensors (Hugging Face) is the simplest way to store named tensors so that
// PyTorch can read them (`safetensors.torch.load_file`). A file has three parts:
//
//   bytes 0..7     N, the length of the header, as an unsigned 64-bit little-endian integer
//   bytes 8..8+N   the header: a JSON object, padded with spaces so 8 + N is a multiple of 8
//                    {"__metadata__": {"format": "..."},            <- optional, string -> string
//                     "tok_emb.weight": {"dtype": "F32",
//                                        "shape": [50257, 768],
//                                        "data_offsets": [0, 154389504]},
//                     ...}
//   the rest       the data: every tensor's values, row-major, little-endian, one after
//                  the other; data_offsets = [begin, end) counts bytes from the end of
//                  the header, so the first tensor starts at 0.
//
// The reader trusts nothing: a wrong or truncated file raises llm::Error naming the
// file and what was expected, before anything large is allocated.
#pragma once

#include "nn.h"  // NamedTensor

#include <map>
#include <string>
#include <vector>

namespace llm {

// Everything a safetensors file holds: the header's "__metadata__" and the tensors
// in the order the header lists them.
struct SafetensorsFile {
    std::map<std::string, std::string> metadata;
    std::vector<NamedTensor> tensors;
};

// Write `tensors` (stored in this order) and `metadata` to `path`, atomically.
// float32 tensors are stored as "F32"; int64-tagged tensors (token ids) as "I64".
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Read and check a whole file. "F32" tensors come back float32, "I64" ones int64-tagged.
SafetensorsFile load_safetensors(const std::string& path);

// Only the header's "__metadata__" (the header is checked; the data is not read, so
// this is cheap even for a 500 MB checkpoint).
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path);

}  // namespace llm
