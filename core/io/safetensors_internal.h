// What io/safetensors.cpp (writing, parsing whole files, headers) and
// io/safetensors_stream.cpp (reading an open file a piece at a time) share: the byte
// order, the data checksum and the decoding of values. Not part of the library's interface.
#pragma once

#include "io/safetensors.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace llm::safetensors_internal {

// --- little-endian bytes ------------------------------------------------------------
// Byte k of a little-endian number holds bits 8k..8k+7. Shifting (rather than copying
// memory) gives the same file on any machine; compilers turn it into one load/store.

inline void put_u32(unsigned char* p, uint32_t v) {
    for (int k = 0; k < 4; k++) p[k] = static_cast<unsigned char>(v >> (8 * k));
}

inline void put_u64(unsigned char* p, uint64_t v) {
    for (int k = 0; k < 8; k++) p[k] = static_cast<unsigned char>(v >> (8 * k));
}

inline uint32_t get_u32(const unsigned char* p) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v |= static_cast<uint32_t>(p[k]) << (8 * k);
    return v;
}

inline uint64_t get_u64(const unsigned char* p) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= static_cast<uint64_t>(p[k]) << (8 * k);
    return v;
}

// --- the checksum of the data area ----------------------------------------------------
// FNV-1a over the little-endian 32-bit words of the data area (every tensor's bytes, in
// file order; the area is a multiple of 4 bytes): h = (h xor word) · prime, 64 bits.
// Written by save_safetensors into the metadata as "fnv1a64-words:<16 hex digits>", so a
// flipped bit anywhere in the values is caught when the file is loaded.

class DataChecksum {
public:
    void add(const unsigned char* bytes, size_t n) {
        for (size_t i = 0; i + 4 <= n; i += 4) h_ = (h_ ^ get_u32(bytes + i)) * 0x100000001B3ULL;
    }
    std::string text() const {
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h_));
        return std::string("fnv1a64-words:") + hex;
    }

private:
    uint64_t h_ = 0xCBF29CE484222325ULL;
};

// The error for a file whose bytes no longer match the checksum it was written with.
Error damaged(const std::string& path, const std::string& written, const std::string& now);

// Bytes per element of a safetensors dtype string; 0 for one this code does not handle.
uint64_t dtype_bytes(const std::string& dtype);

// `count` values of a tensor (named `name`, for messages) from its little-endian bytes at
// `bytes` into `out`: F32 as they are; I64 only within what float32 holds exactly (see
// tensor/dtype.h).
void decode_values(const std::string& dtype, const std::string& name, const unsigned char* bytes, int64_t count,
                   float* out, const std::string& path);

}  // namespace llm::safetensors_internal
