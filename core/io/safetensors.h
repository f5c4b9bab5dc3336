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

#include "nn/nn.h"  // NamedTensor

#include <cstdint>
#include <fstream>
#include <functional>
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

// The metadata key of the data area's checksum, which save_safetensors adds and
// load_safetensors checks when it is there (see safetensors.cpp); the metadata the
// readers return leaves it out.
inline constexpr const char* kChecksumKey = "data_checksum";

// Write `tensors` (stored in this order) and `metadata` to `path`, atomically and
// durably, streaming (the file is never held whole in memory). float32 tensors are
// stored as "F32"; int64-tagged tensors (token ids) as "I64".
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The bytes save_safetensors writes (`path` is only used in messages).
std::string format_safetensors(const std::vector<NamedTensor>& tensors,
                               const std::map<std::string, std::string>& metadata, const std::string& path);

// Read and check a whole file (its checksum too, when it has one). "F32" tensors come
// back float32, "I64" ones int64-tagged.
SafetensorsFile load_safetensors(const std::string& path);
// The same on a file's bytes already in memory; `path` is only used in messages.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& path);

// Only the header's "__metadata__" (the header is checked; the data is not read, so
// this is cheap even for a 500 MB checkpoint).
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path);

// --- one tensor at a time -------------------------------------------------------------
// For checkpoints too big to hold twice (GPT-2 XL is 6 GB): read and check the header,
// then stream the data from the open file through a small buffer. A loader that must not
// overwrite anything with a bad file reads the data twice: once to check it
// (scan_safetensors_data: the checksum, and whatever the loader checks in the values),
// then once more into its destination (read_safetensors_values).

// What the header says about one tensor: bytes [begin, end) of the data area.
struct SafetensorsEntry {
    std::string name;
    std::string dtype;  // "F32" or "I64"
    Shape shape;
    uint64_t begin = 0, end = 0;
};

struct SafetensorsHeader {
    std::map<std::string, std::string> metadata;
    std::vector<SafetensorsEntry> entries;  // in header order
    uint64_t data_start = 0;                // file offset of the data area (8 + header length)
    uint64_t data_size = 0;                 // its length in bytes (the tensors tile it exactly)
};

// `path` opened for reading in binary mode (a missing file or a directory is named as such).
std::ifstream open_safetensors(const std::string& path);

// Read and check the header of the file `in` (opened in binary mode on `path`; the size
// of the file is checked against the offsets, so a truncated file is refused here).
SafetensorsHeader read_safetensors_header(std::ifstream& in, const std::string& path);
// The same, opening `path`.
SafetensorsHeader read_safetensors_header(const std::string& path);

// Called by scan_safetensors_data with the values of a float32 ("F32") tensor, a piece at
// a time: `values` holds `count` of them, from element `first` of the tensor on.
using SafetensorsValuesVisitor =
    std::function<void(const SafetensorsEntry& entry, int64_t first, const float* values, int64_t count)>;

// Read the whole data area once, in file order, through a 1 MB buffer (nothing the size
// of a tensor is allocated): hand every F32 tensor's values to `visit` (when given), and
// at the end, when the header's metadata holds a data checksum (files this project
// writes), throw llm::Error naming the file if the bytes do not match it. A visitor that
// finds a bad value should note it and report it after this returns, so that a damaged
// file is called damaged rather than blamed on the value the damage made.
void scan_safetensors_data(std::ifstream& in, const SafetensorsHeader& header, const std::string& path,
                           const SafetensorsValuesVisitor& visit = {});
// scan_safetensors_data without a visitor: only the checksum (files of others have none
// and pass). Call it before copying any tensor anywhere.
void check_safetensors_checksum(std::ifstream& in, const SafetensorsHeader& header, const std::string& path);

// The values of one tensor of `header`, read from `in` straight into `destination`
// (entry.shape's element count of floats), through a 1 MB buffer: "F32" as they are,
// "I64" as whole numbers in floats (each within ±2^24, or llm::Error).
void read_safetensors_values(std::ifstream& in, const SafetensorsHeader& header, const SafetensorsEntry& entry,
                             float* destination, const std::string& path);

// One tensor of the header `header` read from `in`: "F32" -> float32, "I64" -> int64-tagged.
Tensor read_safetensors_tensor(std::ifstream& in, const SafetensorsHeader& header, const SafetensorsEntry& entry,
                               const std::string& path);

}  // namespace llm
