// Chapter 3's attention modules, from the simplest to multi-head attention.
#include "nn/nn.h"

#include "ops/ops.h"
#include "random/random.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llm {

// softmax(scores / √d_k) over the last dim: the scaled attention weights.
static Tensor scaled_softmax(const Tensor& scores, int64_t d_k) {
    return softmax(scores / static_cast<float>(std::sqrt(static_cast<double>(d_k))), -1);
}

// --- SelfAttention_v1 (3.4.2) ----------------------------------------------------

static Tensor rand_parameter(int64_t rows, int64_t cols) {
    Tensor t = zeros({rows, cols});
    uniform_(t.data(), t.numel(), 0.0, 1.0);  // torch.rand(rows, cols)
    return t;
}

SelfAttentionV1::SelfAttentionV1(int64_t d_in, int64_t d_out) {
    W_query = register_parameter("W_query", rand_parameter(d_in, d_out));
    W_key = register_parameter("W_key", rand_parameter(d_in, d_out));
    W_value = register_parameter("W_value", rand_parameter(d_in, d_out));
}

Tensor SelfAttentionV1::forward(const Tensor& x) const {
    Tensor keys = matmul(x, W_key);
    Tensor queries = matmul(x, W_query);
    Tensor values = matmul(x, W_value);
    Tensor attn_scores = matmul(queries, keys.T());  // omega
    Tensor attn_weights = scaled_softmax(attn_scores, keys.size(-1));
    return matmul(attn_weights, values);
}

// --- SelfAttention_v2 (3.4.2) ----------------------------------------------------

SelfAttentionV2::SelfAttentionV2(int64_t d_in, int64_t d_out, bool qkv_bias)
    : W_query(d_in, d_out, qkv_bias), W_key(d_in, d_out, qkv_bias), W_value(d_in, d_out, qkv_bias) {
    register_module("W_query", W_query);
    register_module("W_key", W_key);
    register_module("W_value", W_value);
}

Tensor SelfAttentionV2::forward(const Tensor& x) const {
    Tensor keys = W_key.forward(x);
    Tensor queries = W_query.forward(x);
    Tensor values = W_value.forward(x);
    Tensor attn_scores = matmul(queries, keys.T());
    Tensor attn_weights = scaled_softmax(attn_scores, keys.size(-1));
    return matmul(attn_weights, values);
}

// --- CausalAttention (3.5.3) ---------------------------------------------------------

// The mask buffer: 1 above the diagonal, where a token would see the future.
static Tensor causal_mask(int64_t context_length) {
    return triu(ones({context_length, context_length}), 1);
}

// The context length is the mask's size; more tokens than that cannot be attended to.
static void check_fits_context(int64_t num_tokens, const Tensor& mask) {
    if (num_tokens > mask.size(0))
        throw Error("attention: " + std::to_string(num_tokens) + " tokens do not fit the context length of " +
                    std::to_string(mask.size(0)));
}

// Mask the scores of future tokens with -inf (so softmax gives them weight 0).
// scores: (..., T_q, T_k), the queries at positions first_row .. first_row + T_q - 1 and
// the keys at 0 .. T_k - 1; mask: (context_length, context_length). first_row is 0 for a
// whole text and the number of cached tokens for the new ones of a KV-cache step.
static Tensor mask_future(const Tensor& scores, const Tensor& mask, int64_t first_row = 0) {
    int64_t rows = scores.size(-2), cols = scores.size(-1);
    check_fits_context(std::max(cols, first_row + rows), mask);
    Tensor mask_bool = slice(slice(mask, 0, first_row, first_row + rows), 1, 0, cols).to_bool();
    return masked_fill(scores, mask_bool, -std::numeric_limits<float>::infinity());
}

CausalAttention::CausalAttention(int64_t d_in, int64_t d_out, int64_t context_length, double dropout_p, bool qkv_bias)
    : W_query(d_in, d_out, qkv_bias), W_key(d_in, d_out, qkv_bias), W_value(d_in, d_out, qkv_bias),
      dropout(dropout_p), mask(causal_mask(context_length)) {
    register_module("W_query", W_query);
    register_module("W_key", W_key);
    register_module("W_value", W_value);
    register_module("dropout", dropout);
}

Tensor CausalAttention::forward(const Tensor& x) const {
    Tensor keys = W_key.forward(x);
    Tensor queries = W_query.forward(x);
    Tensor values = W_value.forward(x);
    Tensor attn_scores = matmul(queries, keys.transpose(1, 2));
    attn_scores = mask_future(attn_scores, mask);
    Tensor attn_weights = scaled_softmax(attn_scores, keys.size(-1));
    attn_weights = dropout.forward(attn_weights);
    return matmul(attn_weights, values);
}

// --- MultiHeadAttentionWrapper (3.6.1) ------------------------------------------------

MultiHeadAttentionWrapper::MultiHeadAttentionWrapper(int64_t d_in, int64_t d_out, int64_t context_length,
                                                     double dropout, int64_t num_heads, bool qkv_bias) {
    for (int64_t h = 0; h < num_heads; h++) {
        heads.push_back(std::make_unique<CausalAttention>(d_in, d_out, context_length, dropout, qkv_bias));
        register_module("heads." + std::to_string(h), *heads.back());
    }
}

Tensor MultiHeadAttentionWrapper::forward(const Tensor& x) const {
    std::vector<Tensor> outputs;
    for (const auto& head : heads) outputs.push_back(head->forward(x));
    return cat(outputs, -1);
}

// --- MultiHeadAttention (3.6.2) -----------------------------------------------------------

MultiHeadAttention::MultiHeadAttention(int64_t d_in, int64_t d_out_, int64_t context_length, double dropout_p,
                                       int64_t num_heads_, bool qkv_bias)
    : d_out(d_out_), num_heads(num_heads_), head_dim(num_heads_ > 0 ? d_out_ / num_heads_ : 0),
      W_query(d_in, d_out_, qkv_bias), W_key(d_in, d_out_, qkv_bias), W_value(d_in, d_out_, qkv_bias),
      out_proj(d_out_, d_out_), dropout(dropout_p), mask(causal_mask(context_length)) {
    if (num_heads <= 0 || d_out % num_heads != 0)
        throw Error("MultiHeadAttention: d_out must be divisible by num_heads (got d_out " + std::to_string(d_out) +
                    ", num_heads " + std::to_string(num_heads) + ")");
    register_module("W_query", W_query);
    register_module("W_key", W_key);
    register_module("W_value", W_value);
    register_module("out_proj", out_proj);
    register_module("dropout", dropout);
}

// The fast path: the same numbers as forward_reference below, with the attention of
// all heads in one op (causal_attention, ops/attention.cpp) that reads the heads in
// place instead of splitting and merging them.
Tensor MultiHeadAttention::forward(const Tensor& x) const {
    check_fits_context(x.size(1), mask);
    Tensor keys = W_key.forward(x);  // (B, T, C); head h: columns [h·hs, (h+1)·hs)
    Tensor queries = W_query.forward(x);
    Tensor values = W_value.forward(x);
    Tensor context_vec = causal_attention(queries, keys, values, num_heads, dropout.p, dropout.training());
    return out_proj.forward(context_vec);
}

// x (B, T, C) through one projection, split into heads: (B, T, C) -> (B, T, H, hs) -> (B, H, T, hs).
Tensor MultiHeadAttention::project_heads(const Linear& W, const Tensor& x) const {
    return W.forward(x).view({x.size(0), x.size(1), num_heads, head_dim}).transpose(1, 2);
}

// The heads side by side again: (B, H, T, hs) -> (B, T, H, hs) -> (B, T, C).
Tensor MultiHeadAttention::merge_heads(const Tensor& context_vec) const {
    int64_t b = context_vec.size(0), num_tokens = context_vec.size(2);
    return context_vec.transpose(1, 2).contiguous().view({b, num_tokens, d_out});
}

// The book's forward (listing 3.5), op by op.
Tensor MultiHeadAttention::forward_reference(const Tensor& x) const {
    Tensor keys = project_heads(W_key, x);                        // (B, H, T, hs)
    Tensor queries = project_heads(W_query, x);
    Tensor values = project_heads(W_value, x);
    Tensor attn_scores = matmul(queries, keys.transpose(2, 3));  // (B, H, T, T)
    attn_scores = mask_future(attn_scores, mask);
    Tensor attn_weights = scaled_softmax(attn_scores, head_dim);
    attn_weights = dropout.forward(attn_weights);
    Tensor context_vec = matmul(attn_weights, values);           // (B, H, T, hs)
    return out_proj.forward(merge_heads(context_vec));
}

// Keys and values of the new tokens appended to the cache; the new queries see every
// cached token and, among the new ones, only those not after them.
Tensor MultiHeadAttention::forward_cached(const Tensor& x, Tensor& cache_keys, Tensor& cache_values) const {
    Tensor keys = project_heads(W_key, x);                        // (B, H, T_new, hs)
    Tensor queries = project_heads(W_query, x);
    Tensor values = project_heads(W_value, x);
    int64_t first_new = cache_keys.defined() ? cache_keys.size(2) : 0;
    cache_keys = cache_keys.defined() ? cat({cache_keys, keys}, 2) : keys;        // (B, H, T_seen, hs)
    cache_values = cache_values.defined() ? cat({cache_values, values}, 2) : values;
    Tensor attn_scores = matmul(queries, cache_keys.transpose(2, 3));  // (B, H, T_new, T_seen)
    attn_scores = mask_future(attn_scores, mask, first_new);
    Tensor attn_weights = dropout.forward(scaled_softmax(attn_scores, head_dim));
    Tensor context_vec = matmul(attn_weights, cache_values);     // (B, H, T_new, hs)
    return out_proj.forward(merge_heads(context_vec));
}

}  // namespace llm
