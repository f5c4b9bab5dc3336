// The bench's inputs: token ids and matrix entries from a small linear congruential
// generator (deterministic, and independent of the library's PyTorch-compatible one).
#pragma once

#include "tensor/tensor.h"

#include <cstdint>
#include <vector>

// state = state·1664525 + 1013904223; each draw is the top 24 bits of the new state.
struct Lcg {
    uint32_t state = 12345u;  // the seed
    uint32_t next() {
        state = state * 1664525u + 1013904223u;
        return state >> 8;
    }
    float uniform() { return static_cast<float>(next() & 0xFFFF) / 65536.0f - 0.5f; }
};

// Token ids 0 .. vocab-1, the next rows·cols draws of rng: int64 (rows, cols).
inline llm::Tensor random_ids(int64_t rows, int64_t cols, int64_t vocab, Lcg& rng) {
    std::vector<int64_t> ids(static_cast<size_t>(rows * cols));
    for (int64_t& id : ids) id = static_cast<int64_t>(rng.next() % static_cast<uint32_t>(vocab));
    return llm::tensor_int64(ids, {rows, cols});
}
