// Turning a model's logits into text (book sections 4.7 and 5.3).
#pragma once

#include "nn/nn.h"

namespace llm {

// 4.7: greedy decoding. idx: int64 (batch, n_tokens); appends max_new_tokens ids,
// each the most likely next token given (at most) the last context_size tokens.
Tensor generate_text_simple(const GPTModel& model, Tensor idx, int64_t max_new_tokens, int64_t context_size);

}  // namespace llm
