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
// the keys at first_col .. first_col + T_k - 1; mask: (context_length, context_length).
// first_row is 0 for a whole text and the number of cached tokens for the new ones of a
// KV-cache step; first_col is 0 unless a sliding window dropped the oldest keys.
static Tensor mask_future(const Tensor& scores, const Tensor& mask, int64_t first_row = 0, int64_t first_col = 0) {
    int64_t rows = scores.size(-2), cols = scores.size(-1);
    check_fits_context(std::max(first_col + cols, first_row + rows), mask);
    Tensor mask_bool = slice(slice(mask, 0, first_row, first_row + rows), 1, first_col, first_col + cols).to_bool();
    return masked_fill(scores, mask_bool, -std::numeric_limits<float>::infinity());
}

// The causal mask, and with a window also the keys window or more tokens back:
// 1 where token i may not see token j (j > i, or i - j >= window).
static Tensor attention_mask(int64_t context_length, int64_t window) {
    Tensor mask = causal_mask(context_length);
    if (window <= 0) return mask;
    return mask + tril(ones({context_length, context_length}), -window);
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
// With the attention lab's AttentionVariant: W_key and W_value give kv_groups heads, each
// serving num_heads / kv_groups consecutive query heads (the book's ch04/04_gqa); a window
// limits each token to the last `window` tokens (ch04/06_swa); rope rotates the queries and
// keys, alibi adds its distance penalty to the scores.

MultiHeadAttention::MultiHeadAttention(int64_t d_in, int64_t d_out_, int64_t context_length, double dropout_p,
                                       int64_t num_heads_, bool qkv_bias, const AttentionVariant& variant)
    : d_out(d_out_), num_heads(num_heads_), head_dim(num_heads_ > 0 ? d_out_ / num_heads_ : 0),
      num_kv_groups(variant.kv_groups > 0 ? variant.kv_groups : num_heads_), window(variant.window), pos(variant.pos),
      W_query(d_in, d_out_, qkv_bias), W_key(d_in, num_kv_groups * head_dim, qkv_bias),
      W_value(d_in, num_kv_groups * head_dim, qkv_bias), out_proj(d_out_, d_out_), dropout(dropout_p),
      mask(attention_mask(context_length, variant.window)), attention(variant.attention) {
    if (num_heads <= 0 || d_out % num_heads != 0)
        throw Error("MultiHeadAttention: d_out must be divisible by num_heads (got d_out " + std::to_string(d_out) +
                    ", num_heads " + std::to_string(num_heads) + ")");
    if (num_heads % num_kv_groups != 0)
        throw Error("MultiHeadAttention: num_kv_groups (" + std::to_string(num_kv_groups) +
                    ") must divide num_heads (" + std::to_string(num_heads) + ")");
    register_module("W_query", W_query);
    register_module("W_key", W_key);
    register_module("W_value", W_value);
    register_module("out_proj", out_proj);
    register_module("dropout", dropout);
    if (pos == PosEncoding::rope) {
        RopeTables tables = rope_tables(context_length, head_dim);
        rope_cos = tables.cos, rope_sin = tables.sin;
    }
    if (pos == PosEncoding::alibi) alibi_slopes = llm::alibi_slopes(num_heads);
    GPTVariant kind;
    kind.attention = variant.attention, kind.window = variant.window, kind.pos = variant.pos;
    kind.features = variant.features;
    check_attention_kind(kind);
    if (attention == AttentionKind::performer) features = orthogonal_gaussian_features(variant.features, head_dim);
}

// The fast path: the same numbers as forward_reference below, with the attention of
// all heads in one op (causal_attention, ops/attention.cpp) that reads the heads in
// place instead of splitting and merging them.
Tensor MultiHeadAttention::forward(const Tensor& x) const {
    check_fits_context(x.size(1), mask);
    Tensor keys = W_key.forward(x);  // (B, T, kv_groups·hs); head g: columns [g·hs, (g+1)·hs)
    Tensor queries = W_query.forward(x);  // (B, T, C)
    Tensor values = W_value.forward(x);
    if (pos == PosEncoding::rope) {
        queries = rope(queries, rope_cos, rope_sin);
        keys = rope(keys, rope_cos, rope_sin);
    }
    if (attention == AttentionKind::linear || attention == AttentionKind::performer)
        return out_proj.forward(kernel_attention(queries, keys, values, false));
    AttentionOptions options;  // all defaults but the heads and dropout for the book's attention
    options.num_heads = num_heads, options.kv_heads = num_kv_groups, options.window = window;
    options.alibi_slopes = alibi_slopes;
    options.dropout_p = dropout.p, options.training = dropout.training();
    if (attention == AttentionKind::flash) return out_proj.forward(flash_attention(queries, keys, values, options));
    return out_proj.forward(causal_attention(queries, keys, values, options));
}

// x (B, T, C) through one projection, split into heads: (B, T, heads·hs) -> (B, T, heads, hs) -> (B, heads, T, hs).
Tensor MultiHeadAttention::project_heads(const Linear& W, const Tensor& x, int64_t heads) const {
    return W.forward(x).view({x.size(0), x.size(1), heads, head_dim}).transpose(1, 2);
}

// The heads side by side again: (B, H, T, hs) -> (B, T, H, hs) -> (B, T, C).
Tensor MultiHeadAttention::merge_heads(const Tensor& context_vec) const {
    int64_t b = context_vec.size(0), num_tokens = context_vec.size(2);
    return context_vec.transpose(1, 2).contiguous().view({b, num_tokens, d_out});
}

// Grouped-query attention's keys.repeat_interleave(group_size, dim=1):
// (B, kv_groups, T, hs) -> (B, H, T, hs), each key/value head once per query head it serves.
Tensor MultiHeadAttention::repeat_kv(const Tensor& kv) const {
    if (num_kv_groups == num_heads) return kv;
    std::vector<int64_t> index;
    for (int64_t h = 0; h < num_heads; h++) index.push_back(h / (num_heads / num_kv_groups));
    return index_select(kv, 1, tensor_int64(index, {num_heads}));
}

// The masked, scaled scores' softmax and dropout, for queries at positions first_row ...
// and keys at first_col ...: softmax(mask(scores) / √hs (+ ALiBi's bias)). (B, H, T_q, T_k)
Tensor MultiHeadAttention::attention_weights(const Tensor& scores, int64_t first_row, int64_t first_col) const {
    Tensor masked = mask_future(scores, mask, first_row, first_col);
    if (alibi_slopes.empty()) return dropout.forward(scaled_softmax(masked, head_dim));
    Tensor scaled = masked / static_cast<float>(std::sqrt(static_cast<double>(head_dim)));
    Tensor bias = alibi_bias_matrix(alibi_slopes, scores.size(-2), scores.size(-1), first_row, first_col);
    return dropout.forward(softmax(scaled + bias, -1));
}

// The book's forward (listing 3.5), op by op, with the variants' steps where they apply.
// Flash attention's reference is this same listing; linear and performer attention's is
// their masked quadratic form (kernel_attention with reference = true).
Tensor MultiHeadAttention::forward_reference(const Tensor& x) const {
    if (attention == AttentionKind::linear || attention == AttentionKind::performer) {
        Tensor q = W_query.forward(x), k = W_key.forward(x), v = W_value.forward(x);
        if (pos == PosEncoding::rope) q = rope(q, rope_cos, rope_sin), k = rope(k, rope_cos, rope_sin);
        return out_proj.forward(kernel_attention(q, k, v, true));
    }
    Tensor keys = project_heads(W_key, x, num_kv_groups);          // (B, kv_groups, T, hs)
    Tensor queries = project_heads(W_query, x, num_heads);         // (B, H, T, hs)
    Tensor values = project_heads(W_value, x, num_kv_groups);
    if (pos == PosEncoding::rope) {
        queries = rope_reference(queries, rope_cos, rope_sin, 0);
        keys = rope_reference(keys, rope_cos, rope_sin, 0);
    }
    keys = repeat_kv(keys);                                        // (B, H, T, hs)
    values = repeat_kv(values);
    Tensor attn_scores = matmul(queries, keys.transpose(2, 3));  // (B, H, T, T)
    Tensor attn_weights = attention_weights(attn_scores, 0, 0);
    Tensor context_vec = matmul(attn_weights, values);           // (B, H, T, hs)
    return out_proj.forward(merge_heads(context_vec));
}

// --- the KV cache (the book's bonus material, ch04/03_kv-cache) ------------------------

// A cache buffer of shape (B, G, capacity, hs) whose first `keep` rows are the rows
// [rows - keep, rows) of `buffer`: `buffer` itself, its rows moved to the front, when it
// has `capacity` rows, else a new one (also when `buffer` is undefined, the first step).
static Tensor with_last_rows_first(const Tensor& buffer, int64_t rows, int64_t keep, const Shape& shape) {
    int64_t blocks = shape[0] * shape[1], capacity = shape[2], hs = shape[3];
    bool same = buffer.defined() && buffer.size(2) == capacity;
    Tensor out = same ? buffer : empty(shape);
    if (keep == 0 || (same && keep == rows)) return out;  // nothing to move
    int64_t old_capacity = buffer.size(2);
    for (int64_t i = 0; i < blocks; i++) {  // each (batch, head) block; the target is never after the source
        const float* from = buffer.data() + (i * old_capacity + rows - keep) * hs;
        std::copy(from, from + keep * hs, out.data() + i * capacity * hs);
    }
    return out;
}

// buffer[:, :, at:at + T_new, :] = rows_new. buffer (B, G, capacity, hs); rows_new (B, G, T_new, hs)
static void write_rows(Tensor& buffer, int64_t at, const Tensor& rows_new) {
    int64_t blocks = buffer.size(0) * buffer.size(1), capacity = buffer.size(2), n = rows_new.size(2);
    int64_t hs = buffer.size(3);
    for (int64_t i = 0; i < blocks; i++)
        std::copy(rows_new.data() + i * n * hs, rows_new.data() + (i + 1) * n * hs,
                  buffer.data() + (i * capacity + at) * hs);
}

// The book's cache_k[:, :, ptr_cur:ptr_cur + T_new, :] = keys_new (and the same for the
// values), after making room. The book makes its buffers once, for the whole context, with
// torch.zeros; here they start at 64 rows (or the first step's tokens) and double when
// full, up to the context length: a new buffer is cleared by the OS 4 KB at a time when
// first written (24 µs a page on the machine of book-notes/performance.md), and a whole
// context of 1,024 tokens is 75 MB for 124M, up to 0.4 s before the first token. With a
// window W, rows older than the last W - 1 can never be seen again: when the new rows do
// not fit, those are dropped and the others moved to the front, and a new buffer has room
// for two windows (or the W - 1 rows and the step), so the moves come every W or so tokens.
// keys_new, values_new: (B, kv_groups, T_new, hs)
void MultiHeadAttention::store_in_cache(LayerKVCache& cache, const Tensor& keys_new, const Tensor& values_new) const {
    int64_t batch = keys_new.size(0), n = keys_new.size(2), context_length = mask.size(0);
    if (cache.keys.defined() && cache.keys.size(0) != batch)
        throw Error("attention: the KV cache holds a batch of " + std::to_string(cache.keys.size(0)) +
                    " texts, the new tokens are for " + std::to_string(batch));
    int64_t capacity = cache.keys.defined() ? cache.keys.size(2) : 0;
    if (cache.rows + n > capacity) {
        int64_t keep = window > 0 ? std::min(cache.rows, window - 1) : cache.rows;  // the rows still visible
        if (keep + n > capacity) {
            int64_t wanted = window > 0 ? std::max(keep + n, 2 * window) : std::max({keep + n, 2 * capacity, int64_t(64)});
            capacity = std::min(context_length, wanted);  // keep + n fits: the caller checked the positions
        }
        Shape shape = {batch, num_kv_groups, capacity, head_dim};
        cache.keys = with_last_rows_first(cache.keys, cache.rows, keep, shape);
        cache.values = with_last_rows_first(cache.values, cache.rows, keep, shape);
        cache.rows = keep;
    }
    write_rows(cache.keys, cache.rows, keys_new);
    write_rows(cache.values, cache.rows, values_new);
    cache.rows += n;
}

// The book's optimized KV-cache listing, op by op: the new keys and values go into the
// cache, then the new queries attend to its rows in use (cache_k[:, :, :ptr_cur, :], a copy
// here), the mask sliced from the new tokens' positions and the position of row 0.
// Generation only: no gradient flows through the cache.
Tensor MultiHeadAttention::forward_cached_reference(const Tensor& x, LayerKVCache& cache, int64_t start) const {
    if (attention == AttentionKind::linear || attention == AttentionKind::performer)
        return forward_cached_state(x, cache.keys, cache.values, start);
    check_fits_context(start + x.size(1), mask);
    Tensor keys_new = project_heads(W_key, x, num_kv_groups);      // (B, kv_groups, T_new, hs)
    Tensor queries = project_heads(W_query, x, num_heads);         // (B, H, T_new, hs)
    Tensor values_new = project_heads(W_value, x, num_kv_groups);
    if (pos == PosEncoding::rope) {
        queries = rope_reference(queries, rope_cos, rope_sin, start);
        keys_new = rope_reference(keys_new, rope_cos, rope_sin, start);
    }
    store_in_cache(cache, keys_new, values_new);
    Tensor keys = slice(cache.keys, 2, 0, cache.rows);             // (B, kv_groups, rows, hs)
    Tensor values = slice(cache.values, 2, 0, cache.rows);
    int64_t first_key = start + x.size(1) - cache.rows;            // the position of row 0
    Tensor attn_scores = matmul(queries, repeat_kv(keys).transpose(2, 3));  // (B, H, T_new, rows)
    Tensor attn_weights = attention_weights(attn_scores, start, first_key);
    Tensor context_vec = matmul(attn_weights, repeat_kv(values));          // (B, H, T_new, hs)
    return out_proj.forward(merge_heads(context_vec));
}

// The fast path: the same numbers as forward_cached_reference within float rounding. The
// projections stay (B, T_new, ·), the heads side by side, and cached_attention
// (ops/attention.cpp) reads the cache's rows in place: no split, merge, mask or copy of
// the cache per step. Dropout on the attention weights (a model in training mode) and the
// linear and performer kinds go the op-by-op way.
Tensor MultiHeadAttention::forward_cached(const Tensor& x, LayerKVCache& cache, int64_t start) const {
    bool drops = dropout.training() && dropout.p > 0.0;
    if (drops || attention == AttentionKind::linear || attention == AttentionKind::performer)
        return forward_cached_reference(x, cache, start);
    check_fits_context(start + x.size(1), mask);
    int64_t b = x.size(0), t_new = x.size(1);
    Tensor keys_new = W_key.forward(x);       // (B, T_new, kv_groups·hs)
    Tensor queries = W_query.forward(x);      // (B, T_new, C)
    Tensor values_new = W_value.forward(x);
    if (pos == PosEncoding::rope) {
        queries = rope(queries, rope_cos, rope_sin, start);
        keys_new = rope(keys_new, rope_cos, rope_sin, start);
    }
    store_in_cache(cache, keys_new.view({b, t_new, num_kv_groups, head_dim}).transpose(1, 2),  // (B, kv_groups, T_new, hs)
                   values_new.view({b, t_new, num_kv_groups, head_dim}).transpose(1, 2));
    AttentionOptions options;
    options.num_heads = num_heads, options.kv_heads = num_kv_groups, options.window = window;
    options.alibi_slopes = alibi_slopes;
    return out_proj.forward(cached_attention(queries, cache.keys, cache.values, cache.rows, options));
}

}  // namespace llm
