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
