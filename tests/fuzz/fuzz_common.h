// What every fuzz target shares (tests/fuzz/fuzz_*.cpp, built and run by `make fuzz`).
//
// A target is one function, LLVMFuzzerTestOneInput(data, size), that libFuzzer calls with
// millions of inputs. It reports a finding by crashing: a sanitizer report (ASan: a bad
// read or write, a leak; UBSan: an overflow, a bad shift, ...), an exception other than
// llm::Error escaping (libFuzzer sees the abort of std::terminate), a hang (-timeout), an
// allocation over the limit (-malloc_limit_mb), or a property that fails (check below).
// Bad input itself is fine: the target catches llm::Error and returns.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

// A property of a good input that must hold: when it does not, print it and abort, so
// libFuzzer saves the input as a crash.
inline void check(bool ok, const char* property) {
    if (ok) return;
    std::fprintf(stderr, "fuzz property failed: %s\n", property);
    std::abort();
}

// The input as a string of bytes.
inline std::string bytes_of(const uint8_t* data, size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

// The safetensors targets read an input in one of two ways:
//   - starting with '{': the header's JSON text, a NUL byte, then the data area; the file
//     is the 8-byte little-endian header length, the header and the data. So the fuzzer
//     can grow or shrink the header without also fixing its length;
//   - anything else: the whole file as it is (the length and all).
inline std::string safetensors_file_of(const std::string& input) {
    if (input.empty() || input[0] != '{') return input;
    size_t nul = input.find('\0');
    std::string header = input.substr(0, nul);
    std::string data = nul == std::string::npos ? "" : input.substr(nul + 1);
    std::string length(8, '\0');
    for (int k = 0; k < 8; k++) length[k] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * k));
    return length + header + data;
}

// A safetensors file in the '{' form above (the inverse of safetensors_file_of), for seeds.
inline std::string split_form_of(const std::string& file) {
    uint64_t n = 0;
    for (int k = 0; k < 8; k++) n |= static_cast<uint64_t>(static_cast<unsigned char>(file[k])) << (8 * k);
    return file.substr(8, n) + std::string(1, '\0') + file.substr(8 + n);
}
