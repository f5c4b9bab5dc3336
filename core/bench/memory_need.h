// What a training step of a GPT needs in memory, by the count: 16 bytes per
// parameter (weights, gradients, AdamW's m and v) plus the activations a PyTorch-style
// autograd saves for backward. Shared by bench's configs and bench --part book.
#pragma once

#include "nn/nn.h"

#include <cstdint>

// Saved activations, in floats, of one step of `batch` sequences of the context length:
// per token and layer about 18·C (2 layer-norm inputs and outputs, q, k, v, the context,
// the output projection, 4C + 4C for the feed-forward's hidden layer before and after
// GELU, dropout masks, residual sums) plus 3·H·T (attention scores, softmax, dropout),
// and 2·V per token for the logits and their softmax.
inline double activation_floats(const llm::GPTConfig& g, int64_t batch) {
    const double C = static_cast<double>(g.emb_dim), H = static_cast<double>(g.n_heads);
    const double T = static_cast<double>(g.context_length), V = static_cast<double>(g.vocab_size);
    const double tokens = static_cast<double>(batch) * T, L = static_cast<double>(g.n_layers);
    return tokens * (L * (18 * C + 3 * H * T) + 2 * V);
}

// Bytes: 16 per parameter plus 4 per saved activation.
inline double training_need_bytes(const llm::GPTConfig& g, int64_t batch) {
    return 16.0 * llm::gpt_parameter_count(g) + 4.0 * activation_floats(g, batch);
}
