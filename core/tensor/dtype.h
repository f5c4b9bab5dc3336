// The element types a Tensor can be tagged with.
#pragma once

namespace llm {

// Every tensor stores float32 values. Token ids and masks are tagged int64 or
// bool so that they print as PyTorch prints them (`tensor([[  40,  367]])`,
// `tensor([ True, False])`); their values are whole numbers stored exactly in
// the floats (every integer up to 2^24 = 16,777,216 is exact in float32).
enum class Dtype { float32, int64, boolean };

}  // namespace llm
