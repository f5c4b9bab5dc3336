// safetensors read from an open file a piece at a time (io/safetensors.h, "For checkpoints
// too big to hold twice"): every read goes through one 1 MB buffer, so loading GPT-2 XL's
// 6 GB never holds a tensor-sized copy. The header is read and checked by safetensors.cpp.
#include "io/safetensors.h"

#include "io/files.h"
#include "io/safetensors_internal.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace llm {

using namespace safetensors_internal;

namespace {

// The most bytes the streaming readers hold at once: a multiple of 8, so that no value
// (4 or 8 bytes) and no checksum word straddles two pieces.
constexpr uint64_t kPieceBytes = uint64_t(1) << 20;

// The bytes of one tensor read from `in` into `buffer` (kPieceBytes long), a piece at a
// time: piece(n, offset) is called with the n bytes that start `offset` bytes into the
// tensor. A short read (a file cut since its header was read) is an Error naming the tensor.
void read_pieces(std::ifstream& in, const SafetensorsHeader& header, const SafetensorsEntry& entry,
                 std::vector<unsigned char>& buffer, const std::string& path,
                 const std::function<void(size_t n, uint64_t offset)>& piece) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(header.data_start + entry.begin), std::ios::beg);
    uint64_t size = entry.end - entry.begin;
    for (uint64_t offset = 0; offset < size;) {
        size_t n = static_cast<size_t>(std::min(size - offset, kPieceBytes));
        in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(n));
        if (!in || static_cast<size_t>(in.gcount()) != n)
            throw Error("cannot read '" + path + "': tensor '" + entry.name + "' could not be read (is the file truncated?)");
        piece(n, offset);
        offset += n;
    }
}

// The header's entries in the order of their bytes in the data area.
std::vector<const SafetensorsEntry*> in_file_order(const SafetensorsHeader& header) {
    std::vector<const SafetensorsEntry*> entries;
    for (const SafetensorsEntry& e : header.entries) entries.push_back(&e);
    std::stable_sort(entries.begin(), entries.end(),
                     [](const SafetensorsEntry* a, const SafetensorsEntry* b) { return a->begin < b->begin; });
    return entries;
}

}  // namespace

std::ifstream open_safetensors(const std::string& path) {
    check_readable_file(path);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read '" + path + "'");
    return in;
}

void scan_safetensors_data(std::ifstream& in, const SafetensorsHeader& header, const std::string& path,
                           const SafetensorsValuesVisitor& visit) {
    auto written = header.metadata.find(kChecksumKey);
    if (written == header.metadata.end() && !visit) return;  // no checksum (a file of others) and nothing to visit
    DataChecksum checksum;
    std::vector<unsigned char> buffer(kPieceBytes);
    std::vector<float> values(visit ? kPieceBytes / 4 : 0);
    for (const SafetensorsEntry* e : in_file_order(header)) {  // they tile the data area: every byte once, in order
        bool visited = visit && e->dtype == "F32";
        read_pieces(in, header, *e, buffer, path, [&](size_t n, uint64_t offset) {
            checksum.add(buffer.data(), n);
            if (!visited) return;
            int64_t count = static_cast<int64_t>(n / 4);
            decode_values(e->dtype, e->name, buffer.data(), count, values.data(), path);
            visit(*e, static_cast<int64_t>(offset / 4), values.data(), count);
        });
    }
    if (written != header.metadata.end() && checksum.text() != written->second)
        throw damaged(path, written->second, checksum.text());
}

void check_safetensors_checksum(std::ifstream& in, const SafetensorsHeader& header, const std::string& path) {
    scan_safetensors_data(in, header, path);
}

void read_safetensors_values(std::ifstream& in, const SafetensorsHeader& header, const SafetensorsEntry& entry,
                             float* destination, const std::string& path) {
    uint64_t width = dtype_bytes(entry.dtype);  // 4 or 8: the header was checked
    std::vector<unsigned char> buffer(kPieceBytes);
    read_pieces(in, header, entry, buffer, path, [&](size_t n, uint64_t offset) {
        decode_values(entry.dtype, entry.name, buffer.data(), static_cast<int64_t>(n / width),
                      destination + offset / width, path);
    });
}

Tensor read_safetensors_tensor(std::ifstream& in, const SafetensorsHeader& header, const SafetensorsEntry& entry,
                               const std::string& path) {
    std::vector<float> values(static_cast<size_t>(numel_of(entry.shape)));
    read_safetensors_values(in, header, entry, values.data(), path);
    return Tensor(entry.shape, std::move(values), entry.dtype == "F32" ? Dtype::float32 : Dtype::int64);
}

}  // namespace llm
