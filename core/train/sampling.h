// Turning a model's logits into text (book sections 4.7 and 5.3).
#pragma once

#include "nn/nn.h"
#include "text/bpe.h"

#include <optional>
#include <string>
#include <vector>

namespace llm {

// 4.7: greedy decoding. idx: int64 (B, T); appends max_new_tokens ids,
// each the most likely next token given (at most) the last context_size tokens.
Tensor generate_text_simple(const GPTModel& model, Tensor idx, int64_t max_new_tokens, int64_t context_size);

// 5.3.3: generate() as in the book. idx: int64 (B, T) -> (B, T + max_new_tokens).
// top_k keeps the k largest logits (before temperature); temperature 0 means greedy;
// otherwise the next token is drawn with multinomial from softmax(logits / temperature).
// Stops early when every row's next token is eos_id (the book's batch-1 rule).
// With use_kv_cache, each step feeds only the new token and reuses the keys and values
// of the earlier ones (same tokens, far less work); when the text would outgrow the
// context, it falls back to the book's way (the window of the last context_size tokens).
Tensor generate(const GPTModel& model, Tensor idx, int64_t max_new_tokens, int64_t context_size,
                double temperature = 0.0, std::optional<int64_t> top_k = std::nullopt,
                std::optional<int64_t> eos_id = std::nullopt, bool use_kv_cache = false);

// The prompt's ids continued with generate() (context: the model's; top_k 0 keeps every
// token) and decoded to text: what the `generate` and `gpt2` commands and the samples
// during training print. Draws from the default generator when temperature > 0.
std::string generate_text(const GPTModel& model, const BpeTokenizer& tokenizer, const std::vector<int64_t>& prompt_ids,
                          int64_t max_new_tokens, double temperature, int64_t top_k, bool use_kv_cache);

// 5.3.2: logits below the k-th largest become -inf. logits: (V); returns (V).
std::vector<float> top_k_filter(const std::vector<float>& logits, int64_t k);

}  // namespace llm
