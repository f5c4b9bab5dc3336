// safetensors by hand: see io/safetensors.h for the layout of a file.
//
// Writing: build the JSON header (the offsets follow from the shapes), pad it, then
// append every tensor's bytes. Reading: check the 8-byte length, parse and check the
// header, check that the tensors tile the data area exactly, then decode the values.
// Reading an open file a piece at a time is in safetensors_stream.cpp.
#include "io/safetensors.h"

#include "io/files.h"
#include "io/json.h"
#include "io/safetensors_internal.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <set>

namespace llm {

using namespace safetensors_internal;

namespace {

// A header longer than this is not a real checkpoint (the reference reader's limit).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// What the header says about one tensor.
struct TensorEntry {
    std::string name;
    std::string dtype;            // "F32" or "I64"
    Shape shape;
    uint64_t begin = 0, end = 0;  // bytes [begin, end) of the data area
};

struct Header {
    std::map<std::string, std::string> metadata;
    std::vector<TensorEntry> entries;  // in header order
};

// a · b, or the largest uint64 when that overflows (a shape that big is an error anyway).
uint64_t mul_saturating(uint64_t a, uint64_t b) {
    if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::numeric_limits<uint64_t>::max();
    return a * b;
}

// "[2, 3]": a list of integers as the messages print it.
std::string list_string(const std::vector<uint64_t>& values) {
    std::string s = "[";
    for (size_t i = 0; i < values.size(); i++) s += (i ? ", " : "") + std::to_string(values[i]);
    return s + "]";
}

// A file whose metadata has a checksum must match it (files of others have none).
void check_data_checksum(const std::map<std::string, std::string>& metadata, const unsigned char* data, uint64_t size,
                         const std::string& path) {
    auto it = metadata.find(kChecksumKey);
    if (it == metadata.end()) return;
    DataChecksum checksum;
    checksum.add(data, size);
    if (checksum.text() != it->second)
        throw damaged(path, it->second, checksum.text());
}

// --- writing -------------------------------------------------------------------------

// The safetensors dtype a tensor is stored as.
std::string dtype_code(const NamedTensor& t) {
    if (t.tensor.dtype() == Dtype::float32) return "F32";
    if (t.tensor.dtype() == Dtype::int64) return "I64";
    throw Error("save_safetensors: tensor '" + t.name + "' has dtype " + dtype_name(t.tensor.dtype()) +
                "; only float32 and int64 tensors can be saved");
}

// Names must be unique, non-empty, and not the reserved "__metadata__".
void check_names(const std::vector<NamedTensor>& tensors, const std::string& path) {
    std::set<std::string> seen;
    for (const NamedTensor& t : tensors) {
        if (t.name.empty() || t.name == "__metadata__")
            throw Error("cannot save '" + path + "': '" + t.name + "' is not a valid tensor name");
        if (!seen.insert(t.name).second)
            throw Error("cannot save '" + path + "': two tensors are named '" + t.name + "'");
        if (!t.tensor.defined()) throw Error("cannot save '" + path + "': tensor '" + t.name + "' is undefined");
    }
}

// {"format":"pt"}: the metadata object (values are strings).
std::string metadata_json(const std::map<std::string, std::string>& metadata) {
    std::string s = "{";
    for (const auto& [key, value] : metadata) {
        if (s.size() > 1) s += ",";
        s.append(json_quote(key)).append(":").append(json_quote(value));
    }
    return s + "}";
}

// {"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}: one tensor's header entry.
std::string entry_json(const std::string& dtype, const Shape& shape, uint64_t begin, uint64_t end) {
    std::string s = "{\"dtype\":\"";
    s.append(dtype).append("\",\"shape\":[");
    for (size_t i = 0; i < shape.size(); i++) s.append(i ? "," : "").append(std::to_string(shape[i]));
    return s + "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// The header, padded with spaces to a multiple of 8 bytes; `data_bytes` gets the data size.
std::string build_header(const std::vector<NamedTensor>& tensors, const std::map<std::string, std::string>& metadata,
                         uint64_t& data_bytes) {
    std::string header = "{";
    if (!metadata.empty()) header += "\"__metadata__\":" + metadata_json(metadata);
    data_bytes = 0;
    for (const NamedTensor& t : tensors) {
        std::string dtype = dtype_code(t);
        uint64_t end = data_bytes + static_cast<uint64_t>(t.tensor.numel()) * dtype_bytes(dtype);
        if (header.size() > 1) header += ",";
        header.append(json_quote(t.name)).append(":").append(entry_json(dtype, t.tensor.shape(), data_bytes, end));
        data_bytes = end;
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' ');  // so the data starts 8-byte aligned
    return header;
}

// Write a tensor's values at `out` (numel · 4 or 8 bytes), little-endian.
void write_values(unsigned char* out, const NamedTensor& t, int64_t first, int64_t count) {
    const float* v = t.tensor.data() + first;
    if (t.tensor.dtype() == Dtype::float32) {
        for (int64_t i = 0; i < count; i++) put_u32(out + 4 * i, std::bit_cast<uint32_t>(v[i]));
        return;
    }
    for (int64_t i = 0; i < count; i++) {  // int64-tagged: whole numbers stored in floats
        if (!(std::fabs(v[i]) <= 9.0e18f) || v[i] != std::trunc(v[i]))
            throw Error("save_safetensors: int64 tensor '" + t.name + "' holds " + std::to_string(v[i]) +
                        ", which is not a whole number");
        put_u64(out + 8 * i, static_cast<uint64_t>(static_cast<int64_t>(v[i])));
    }
}

// The data area as it goes into the file, 64K values at a time: chunk(bytes, size) is
// called in file order. (The file is written in pieces, never held whole in memory.)
void for_each_data_chunk(const std::vector<NamedTensor>& tensors,
                         const std::function<void(const unsigned char*, size_t)>& chunk) {
    constexpr int64_t kValues = 65536;
    std::vector<unsigned char> buffer(8 * kValues);
    for (const NamedTensor& t : tensors) {
        uint64_t width = dtype_bytes(dtype_code(t));
        for (int64_t first = 0, n = t.tensor.numel(); first < n; first += kValues) {
            int64_t count = std::min(kValues, n - first);
            write_values(buffer.data(), t, first, count);
            chunk(buffer.data(), static_cast<size_t>(count) * width);
        }
    }
}

// --- reading -------------------------------------------------------------------------

// The "'path': " that starts every message about a file.
std::string in_file(const std::string& path) { return "'" + path + "': "; }

// N from the first 8 bytes of `bytes`, checked against the size of the whole file.
uint64_t header_length(const std::string& bytes, uint64_t file_size, const std::string& path) {
    if (file_size < 8 || bytes.size() < 8)
        throw Error(in_file(path) + "not a safetensors file: it has " + std::to_string(file_size) +
                    " bytes, fewer than the 8-byte header length every safetensors file starts with");
    uint64_t n = get_u64(reinterpret_cast<const unsigned char*>(bytes.data()));
    if (n > kMaxHeaderBytes || n > file_size - 8)
        throw Error(in_file(path) + "not a safetensors file (or a truncated one): its first 8 bytes give a header length of " +
                    std::to_string(n) + " bytes, but " + (n > kMaxHeaderBytes ? "a header is at most 100 MB" :
                    "only " + std::to_string(file_size - 8) + " bytes follow them"));
    return n;
}

// The header text as JSON, which must be an object.
JsonValue parse_header_json(const std::string& text, const std::string& path) {
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || text[first] != '{')
        throw Error(in_file(path) + "not a safetensors file: the header after the 8-byte length is not a JSON object "
                    "(it should start with '{')");
    try {
        return parse_json(text, path + " (safetensors header)");
    } catch (const Error& e) {
        throw Error(in_file(path) + "the safetensors header is not valid JSON: " + e.what());
    }
}

// "__metadata__": a JSON object whose values are all strings.
std::map<std::string, std::string> parse_metadata(const JsonValue& value, const std::string& path) {
    if (!value.is_object())
        throw Error(in_file(path) + "\"__metadata__\" is a JSON " + value.kind_name() + ", expected an object of strings");
    std::map<std::string, std::string> metadata;
    for (const auto& [key, v] : value.as_object()) {
        if (!v.is_string())
            throw Error(in_file(path) + "\"__metadata__\" value for key '" + key + "' is a JSON " + v.kind_name() +
                        ", expected a string");
        metadata[key] = v.as_string();
    }
    return metadata;
}

// entry[field]: an array of non-negative integers.
std::vector<uint64_t> parse_uints(const JsonValue& entry, const std::string& field, const std::string& where) {
    const JsonValue* v = entry.find(field);
    if (!v || !v->is_array()) throw Error(where + " has no \"" + field + "\" array");
    std::vector<uint64_t> out;
    for (const JsonValue& item : v->as_array()) {
        if (!item.is_integer() || item.as_int() < 0)
            throw Error(where + ": \"" + field + "\" must hold non-negative integers, found " +
                        (item.is_integer() ? std::to_string(item.as_int()) : std::string("a ") + item.kind_name()));
        out.push_back(static_cast<uint64_t>(item.as_int()));
    }
    return out;
}

// One tensor's entry: dtype, shape and data_offsets, consistent with each other.
TensorEntry parse_entry(const std::string& name, const JsonValue& value, const std::string& path) {
    std::string where = in_file(path) + "tensor '" + name + "'";
    if (!value.is_object())
        throw Error(where + " is described by a JSON " + value.kind_name() + ", expected an object with "
                    "\"dtype\", \"shape\" and \"data_offsets\"");
    TensorEntry e{name, "", {}, 0, 0};
    const JsonValue* dtype = value.find("dtype");
    if (!dtype || !dtype->is_string()) throw Error(where + " has no \"dtype\" string");
    e.dtype = dtype->as_string();
    if (dtype_bytes(e.dtype) == 0)
        throw Error(where + " has dtype \"" + e.dtype + "\"; this reader supports \"F32\" and \"I64\"");
    std::vector<uint64_t> shape = parse_uints(value, "shape", where);
    std::vector<uint64_t> offsets = parse_uints(value, "data_offsets", where);
    if (offsets.size() != 2) throw Error(where + ": \"data_offsets\" must be [begin, end], found " + list_string(offsets));
    e.begin = offsets[0], e.end = offsets[1];
    if (e.begin > e.end) throw Error(where + ": data_offsets " + list_string(offsets) + " has begin > end");
    uint64_t bytes = dtype_bytes(e.dtype), count = 1;
    bool count_overflows = false;  // numel_of counts left to right: [2^40, 2^40, 0] overflows int64
    for (uint64_t s : shape) {
        bytes = mul_saturating(bytes, s);
        count = mul_saturating(count, s);
        count_overflows = count_overflows || count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
        e.shape.push_back(static_cast<int64_t>(s));  // came from a non-negative int64
    }
    if (bytes != e.end - e.begin)
        throw Error(where + ": shape " + list_string(shape) + " of " + e.dtype + " needs " + std::to_string(bytes) +
                    " bytes, but data_offsets " + list_string(offsets) + " hold " + std::to_string(e.end - e.begin));
    if (count_overflows)
        throw Error(where + ": shape " + list_string(shape) + " has more elements than a tensor can count "
                    "(the product of its sizes, taken from the left, passes 2^63 - 1)");
    return e;
}

// The tensors must tile the data area exactly: no overlap, no gap, nothing past the end.
void check_layout(std::vector<TensorEntry> entries, uint64_t data_size, const std::string& path) {
    std::sort(entries.begin(), entries.end(),
              [](const TensorEntry& a, const TensorEntry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    uint64_t expected = 0;
    std::string previous;
    for (const TensorEntry& e : entries) {
        if (e.end > data_size)
            throw Error(in_file(path) + "tensor '" + e.name + "' has data_offsets [" + std::to_string(e.begin) + ", " +
                        std::to_string(e.end) + "], past the end of the " + std::to_string(data_size) +
                        "-byte data area (is the file truncated?)");
        if (e.begin < expected)
            throw Error(in_file(path) + "tensors '" + previous + "' and '" + e.name + "' overlap in the data area");
        if (e.begin > expected)
            throw Error(in_file(path) + "bytes [" + std::to_string(expected) + ", " + std::to_string(e.begin) +
                        ") of the data area belong to no tensor");
        expected = e.end, previous = e.name;
    }
    if (expected != data_size)
        throw Error(in_file(path) + "the data area has " + std::to_string(data_size) + " bytes but the tensors use " +
                    std::to_string(expected) + " (trailing bytes)");
}

// The whole header, checked against a data area of `data_size` bytes.
Header parse_header(const std::string& text, uint64_t data_size, const std::string& path) {
    JsonValue doc = parse_header_json(text, path);
    Header header;
    std::set<std::string> seen;
    for (const auto& [key, value] : doc.as_object()) {
        if (!seen.insert(key).second) throw Error(in_file(path) + "the header names '" + key + "' twice");
        if (key == "__metadata__")
            header.metadata = parse_metadata(value, path);
        else
            header.entries.push_back(parse_entry(key, value, path));
    }
    check_layout(header.entries, data_size, path);
    return header;
}

// One tensor's values from its (already checked) bytes.
Tensor decode_tensor(const TensorEntry& e, const unsigned char* data, const std::string& path) {
    int64_t n = numel_of(e.shape);
    std::vector<float> values(static_cast<size_t>(n));
    decode_values(e.dtype, e.name, data + e.begin, n, values.data(), path);
    return Tensor(e.shape, std::move(values), e.dtype == "F32" ? Dtype::float32 : Dtype::int64);
}

}  // namespace

// --- shared with safetensors_stream.cpp (io/safetensors_internal.h) ---------------------

Error safetensors_internal::damaged(const std::string& path, const std::string& written, const std::string& now) {
    return Error("'" + path + "': the tensors' bytes do not match the checksum the file was written with (" + written +
                 ", now " + now + "): the file is damaged");
}

uint64_t safetensors_internal::dtype_bytes(const std::string& dtype) {
    if (dtype == "F32") return 4;
    if (dtype == "I64") return 8;
    return 0;
}

void safetensors_internal::decode_values(const std::string& dtype, const std::string& name,
                                         const unsigned char* bytes, int64_t count, float* out,
                                         const std::string& path) {
    if (dtype == "F32") {
        for (int64_t i = 0; i < count; i++) out[i] = std::bit_cast<float>(get_u32(bytes + 4 * i));
        return;
    }
    for (int64_t i = 0; i < count; i++) {
        int64_t v = static_cast<int64_t>(get_u64(bytes + 8 * i));
        if (v > (1 << 24) || v < -(1 << 24))
            throw Error(in_file(path) + "int64 tensor '" + name + "' holds " + std::to_string(v) +
                        ", beyond 2^24, the largest integer stored exactly in float32");
        out[i] = static_cast<float>(v);
    }
}

// Writes a whole file to `write` in two passes: the checksum of the data (the header holds
// it), then the length, the header and the data.
static void emit_safetensors(const std::vector<NamedTensor>& tensors, const std::map<std::string, std::string>& metadata,
                             const std::string& path, const std::function<void(const unsigned char*, size_t)>& write) {
    check_names(tensors, path);
    if (metadata.count(kChecksumKey)) throw Error("save_safetensors: metadata key '" + std::string(kChecksumKey) + "' is reserved");
    DataChecksum checksum;
    for_each_data_chunk(tensors, [&](const unsigned char* bytes, size_t n) { checksum.add(bytes, n); });
    std::map<std::string, std::string> meta = metadata;
    meta[kChecksumKey] = checksum.text();
    uint64_t data_bytes = 0;
    std::string header = build_header(tensors, meta, data_bytes);
    unsigned char length[8];
    put_u64(length, header.size());
    write(length, 8);
    write(reinterpret_cast<const unsigned char*>(header.data()), header.size());
    for_each_data_chunk(tensors, write);
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    AtomicFile file(path);  // streamed: a 500 MB checkpoint is never a second copy in memory
    emit_safetensors(tensors, metadata, path, [&](const unsigned char* bytes, size_t n) { file.write(bytes, n); });
    file.commit();
}

std::string format_safetensors(const std::vector<NamedTensor>& tensors,
                               const std::map<std::string, std::string>& metadata, const std::string& path) {
    std::string out;
    emit_safetensors(tensors, metadata, path,
                     [&](const unsigned char* bytes, size_t n) { out.append(reinterpret_cast<const char*>(bytes), n); });
    return out;
}

SafetensorsFile load_safetensors(const std::string& path) { return parse_safetensors(read_file(path), path); }

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& path) {
    uint64_t n = header_length(bytes, bytes.size(), path);
    Header header = parse_header(bytes.substr(8, n), bytes.size() - 8 - n, path);
    const unsigned char* data = reinterpret_cast<const unsigned char*>(bytes.data()) + 8 + n;
    check_data_checksum(header.metadata, data, bytes.size() - 8 - n, path);
    header.metadata.erase(kChecksumKey);  // the file's own business, not the caller's metadata
    SafetensorsFile file;
    file.metadata = std::move(header.metadata);
    for (const TensorEntry& e : header.entries) file.tensors.push_back({e.name, decode_tensor(e, data, path)});
    return file;
}

// Reads only the header (read_safetensors_header below), so a large checkpoint's config
// comes back without reading its tensors.
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path) {
    std::map<std::string, std::string> metadata = read_safetensors_header(path).metadata;
    metadata.erase(kChecksumKey);
    return metadata;
}

SafetensorsHeader read_safetensors_header(const std::string& path) {
    std::ifstream in = open_safetensors(path);
    return read_safetensors_header(in, path);
}

SafetensorsHeader read_safetensors_header(std::ifstream& in, const std::string& path) {
    if (!in) throw Error("cannot read '" + path + "'");
    in.seekg(0, std::ios::end);
    std::streamoff size = in.tellg();
    in.seekg(0, std::ios::beg);
    if (!in || size < 0) throw Error("cannot read '" + path + "': cannot find its size");
    uint64_t file_size = static_cast<uint64_t>(size);
    std::string first(8, '\0');
    in.read(first.data(), 8);
    first.resize(static_cast<size_t>(in.gcount()));
    uint64_t n = header_length(first, file_size, path);
    std::string text(n, '\0');
    in.read(text.data(), static_cast<std::streamsize>(n));
    if (static_cast<uint64_t>(in.gcount()) != n) throw Error("cannot read '" + path + "': read error");
    Header parsed = parse_header(text, file_size - 8 - n, path);
    SafetensorsHeader header{std::move(parsed.metadata), {}, 8 + n, file_size - 8 - n};
    for (const TensorEntry& e : parsed.entries) header.entries.push_back({e.name, e.dtype, e.shape, e.begin, e.end});
    return header;
}

}  // namespace llm
