// Where a tensor's values live, and how big buffers are reused between steps.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace llm {

// n floats, all equal to `value`. A kept buffer of exactly n floats is reused when there
// is one (see tensor/storage.cpp); otherwise a new vector.
std::vector<float> new_values(size_t n, float value);

// n floats whose values do not matter because the caller writes every one: a kept
// buffer with whatever it last held, or else a new vector (of zeros).
std::vector<float> new_values_unset(size_t n);

// The shared storage a TensorData points to, owning `values`. When the last tensor using
// it is gone, a big buffer is kept for reuse instead of being freed.
std::shared_ptr<std::vector<float>> make_storage(std::vector<float> values);

// The bytes kept for reuse right now, and a way to free them all (which also starts the
// high-water mark below again from the bytes live now).
size_t kept_storage_bytes();
void free_kept_storage();

// The bytes of values held by live tensors right now, the most there were at once since
// the last reset (the attention lab's `compare` reports it per variant), and the reset.
size_t live_storage_bytes();
size_t peak_storage_bytes();
void reset_peak_storage_bytes();  // the peak starts again from what is live now

// The most bytes live tensors held at once since the last free_kept_storage(): the cache
// keeps live plus kept bytes within 1.25 times this.
size_t high_water_storage_bytes();

}  // namespace llm
