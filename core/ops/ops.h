// The differentiable ops. Each op `f` is three short functions side by side in
// one ops/*.cpp file:
//   f_forward   computes the result from plain values (no autograd),
//   f_backward  the named backward function: dL/d(inputs) from dL/d(output),
//   f           what you call: runs f_forward and, when an input requires a
//               gradient, attaches a Node that points at f_backward.
// So `break softmax_backward` in gdb stops exactly where the book's
// `SoftmaxBackward0` runs. Binary elementwise ops broadcast like PyTorch.
#pragma once

#include "tensor/tensor.h"

#include <vector>

namespace llm {

// --- elementwise (ops/elementwise.cpp) ------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, float s);
Tensor sub(const Tensor& a, float s);
Tensor rsub(float s, const Tensor& a);         // s - a
Tensor mul(const Tensor& a, float s);
Tensor div(const Tensor& a, float s);
Tensor rdiv(float s, const Tensor& a);         // s / a
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor pow(const Tensor& a, float exponent);
Tensor abs(const Tensor& a);
Tensor eq(const Tensor& a, const Tensor& b);   // a == b elementwise -> bool tensor (no gradient)

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float s);
Tensor operator+(float s, const Tensor& a);
Tensor operator-(const Tensor& a, float s);
Tensor operator-(float s, const Tensor& a);
Tensor operator*(const Tensor& a, float s);
Tensor operator*(float s, const Tensor& a);
Tensor operator/(const Tensor& a, float s);
Tensor operator/(float s, const Tensor& a);
Tensor operator-(const Tensor& a);

// --- activations (ops/activation.cpp) -------------------------------------
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor gelu(const Tensor& a);  // the tanh approximation the book uses
Tensor silu(const Tensor& a);  // x · sigmoid(x), SwiGLU's gate

// --- reductions (ops/reduce.cpp) ------------------------------------------
Tensor sum(const Tensor& a);                                  // all elements -> 0-dim
Tensor sum(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& a);
Tensor mean(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor max(const Tensor& a);                                  // largest element -> 0-dim
Tensor max(const Tensor& a, int64_t dim, bool keepdim = false);  // the values (see argmax)
Tensor argmax(const Tensor& a, int64_t dim, bool keepdim = false);  // int64, no gradient
Tensor argmax(const Tensor& a);                               // flat index, int64
Tensor var(const Tensor& a, int64_t dim, bool keepdim = false, bool unbiased = true);
// Sum `a` down to `shape` over the dims that broadcasting expanded (the backward of broadcasting).
Tensor sum_to_shape(const Tensor& a, const Shape& shape);

// --- shape ops (ops/shape.cpp): view, flatten, unsqueeze and squeeze share the values;
//     the others copy (every tensor is contiguous) ---------------------------------------
Tensor view(const Tensor& a, Shape shape);       // also reshape; one size may be -1
Tensor flatten(const Tensor& a, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor squeeze(const Tensor& a, int64_t dim);
Tensor squeeze(const Tensor& a);                 // every size-1 dim
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1);
Tensor t(const Tensor& a);                       // 2-D transpose (x.T)
Tensor permute(const Tensor& a, const std::vector<int64_t>& dims);
Tensor clone(const Tensor& a);
Tensor expand(const Tensor& a, const Shape& shape);  // broadcast to shape (a copy)

// --- joining and slicing (ops/index.cpp) -----------------------------------
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length);  // a[..., start:start+length]
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t end);      // Python a[start:end] on dim
Tensor select(const Tensor& a, int64_t dim, int64_t index);                   // a[index] on dim, dim removed
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim = 0);
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index);        // index: 1-D int64
Tensor masked_fill(const Tensor& a, const Tensor& mask, float value);          // where mask != 0

// --- matrix multiply (ops/matmul.cpp) --------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);   // Python's a @ b: 1-D, 2-D, batched, broadcast
// x @ weight.T + bias: x (..., in), weight (out, in), bias (out) or undefined -> (..., out)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// --- neural-network functions (ops/nn.cpp, ops/loss.cpp) -------------------
Tensor softmax(const Tensor& a, int64_t dim);
Tensor log_softmax(const Tensor& a, int64_t dim);
// x (..., C); scale, shift (C): each row normalised to mean 0, variance 1, then scaled and shifted
Tensor layer_norm(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps = 1e-5f);
// x (..., C); weight (C): each row divided by its root mean square sqrt(mean(x²) + eps), then scaled
Tensor rms_norm(const Tensor& x, const Tensor& weight, float eps = 1e-5f);
Tensor embedding(const Tensor& weight, const Tensor& ids);  // weight (V, C), ids int64 (...) -> (..., C)
Tensor dropout(const Tensor& a, double p, bool training);
// logits (N, K), targets int64 (N) -> () the mean over the rows whose target is not ignore_index
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index = -100);
Tensor mse_loss(const Tensor& input, const Tensor& target);
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target);
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target);

// --- causal multi-head attention in one op (ops/attention.cpp) -------------
// The book's softmax(mask(Q·Kᵀ) / √hs), dropout, ·V for every head at once, with
// queries, keys, values and the result (B, T, C), head h in columns
// [h·hs, (h+1)·hs). The fast path of MultiHeadAttention::forward.
Tensor causal_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, int64_t num_heads,
                        double dropout_p, bool training);

// The attention lab's variants of the same op; the defaults are the book's attention.
struct AttentionOptions {
    int64_t num_heads = 1;
    int64_t kv_heads = 0;             // key/value heads, each shared by num_heads / kv_heads
                                      // consecutive query heads (grouped-query); 0: num_heads
    int64_t window = 0;               // token i sees j with i - window < j <= i; 0: every j <= i
    std::vector<float> alibi_slopes;  // empty, or one m_h per head: -m_h·(i - j) is added to
                                      // the scaled scores (ALiBi, see alibi_bias)
    double dropout_p = 0.0;
    bool training = false;
};
// queries (B, T, H·hs); keys and values (B, T, kv_heads·hs) -> (B, T, H·hs)
Tensor causal_attention(const Tensor& queries, const Tensor& keys, const Tensor& values,
                        const AttentionOptions& options);
// The row stride of causal_attention's work areas for one head (its T×T square of scores
// and their gradients, its keys or values transposed): T rounded up to an odd number of
// 64-byte lines, so that rows a power of two apart do not crowd a few sets of the L1 cache.
// The bench times the attention's products at this stride.
int64_t attention_work_stride(int64_t tokens);
// Where causal_attention's block of query rows that starts at row i0 ends (its products go a
// block of rows at a time, each against the keys up to its last row): 64 rows on, or T, and a
// lone last row joins the block before it. The bench times the products of these blocks.
int64_t attention_row_block_end(int64_t i0, int64_t tokens);
// One step of generation over a KV cache (MultiHeadAttention::forward_cached): queries
// (B, T_new, H·hs) of the newest tokens; keys and values (B, kv_heads, capacity, hs) whose
// rows [0, rows) hold the last `rows` tokens, the T_new new ones last. Query i sees the rows
// up to its own (rows - T_new + i), with options.window only the last `window` of them;
// ALiBi as in causal_attention. Inference only: no dropout, and the result records no
// gradient. -> (B, T_new, H·hs)
Tensor cached_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, int64_t rows,
                        const AttentionOptions& options);
// FlashAttention (ops/flash_attention.cpp): the same result as causal_attention within float
// rounding, with keys and values in tiles and an online softmax; saves only the output and
// one logsumexp per row (plus the dropout mask as bits, when training with dropout).
// queries (B, T, H·hs); keys and values (B, T, kv_heads·hs) -> (B, T, H·hs)
Tensor flash_attention(const Tensor& queries, const Tensor& keys, const Tensor& values,
                       const AttentionOptions& options);
// Linear attention (ops/linear_attention.cpp, ops/causal_linear.cpp): softmax's kernel
// exp(q·k/√hs) replaced by a dot product of feature maps φ(q)·φ(k), so causal attention is
// a prefix sum. φ(x) = elu(x) + 1, elementwise (Katharopoulos et al. 2020):
Tensor elu_plus_one(const Tensor& x);
// FAVOR+ (Choromanski et al. 2021): x (B, T, heads·hs), W (features, hs) random rows -> (B, T, heads·features),
// φ(x) = exp(W x' - |x'|²/2) / √m with x' = x·hs^(-1/4); no gradient for W. _reference: op by op.
Tensor favor_features(const Tensor& x, const Tensor& W, int64_t heads);
Tensor favor_features_reference(const Tensor& x, const Tensor& W, int64_t heads);
// out_i = φq_iᵀ S_i / φq_iᵀ z_i with S_i = Σ_{j≤i} φk_j v_jᵀ, z_i = Σ_{j≤i} φk_j, per head:
// φq (B, T, H·features), φk (B, T, kv_heads·features), v (B, T, kv_heads·hs) -> (B, T, H·hs). _reference:
// the masked quadratic form (φQ φKᵀ ⊙ causal mask) V / row sums, op by op, O(T²).
Tensor causal_linear_attention(const Tensor& phi_q, const Tensor& phi_k, const Tensor& v, int64_t num_heads,
                               int64_t kv_heads);
Tensor causal_linear_attention_reference(const Tensor& phi_q, const Tensor& phi_k, const Tensor& v,
                                         int64_t num_heads, int64_t kv_heads);
// ALiBi's bias for a query `distance` tokens after its key; the fused op and the op-by-op
// form both use it, so they add the same float.
inline float alibi_bias(float slope, int64_t distance) { return -slope * static_cast<float>(distance); }

// --- rotary position embedding (ops/rope.cpp) ------------------------------
// x (B, T, heads·hs), each head's pairs (i, i + hs/2) rotated by the angle of its position:
// x·cos + cat(-x₂, x₁)·sin with cos, sin (positions, hs) at rows start .. start + T - 1.
Tensor rope(const Tensor& x, const Tensor& cos, const Tensor& sin, int64_t start = 0);

}  // namespace llm
