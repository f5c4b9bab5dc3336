// Causal multi-head attention as one op: the fast path of MultiHeadAttention.
//
// The book builds attention out of small ops (section 3.6.2): split the heads
// (view + transpose), Q·Kᵀ, mask the future with -inf, divide by √head_dim,
// softmax, dropout, multiply by V, merge the heads (transpose + view). Each of
// those allocates its result and records a node, and every transpose copies.
// causal_attention computes the same numbers with one node, one (batch, head)
// pair at a time:
//   - a head is a block of columns of the (B, T, C) projections; the matmul
//     reads it in place through its leading dimension, so nothing is split or
//     merged;
//   - each row's softmax runs over the tokens up to its own; the masked part
//     is written as 0 and never exponentiated;
//   - backward keeps only the attention weights and the dropout mask.
// The (batch, head) pairs are shared out between the threads; each is computed
// by the same code whatever the thread count, so results do not depend on it.
// The book's composition is MultiHeadAttention::forward_reference (nn/attention.cpp);
// tests check that the two give the same values and gradients.
#include "kernels/gemm.h"
#include "ops/internal.h"

#include <algorithm>
#include <cmath>

namespace llm {

namespace {

// Where the pieces of head `bh` (= batch index · num_heads + head) live.
struct HeadLayout {
    int64_t tokens, d_out, num_heads, head_dim;
    // Column block of head bh in a (B, T, C) tensor: rows d_out apart.
    int64_t columns(int64_t bh) const {
        return (bh / num_heads) * tokens * d_out + (bh % num_heads) * head_dim;
    }
    // Its T×T square in a (B, H, T, T) tensor.
    int64_t square(int64_t bh) const { return bh * tokens * tokens; }
};

// A T×T work area for one head, kept by each thread from call to call (a fresh 256 KB
// allocation per head would come back as new pages, to be cleared by the OS each time).
float* head_scratch(int64_t T) {
    thread_local std::vector<float> scratch;
    if (scratch.size() < static_cast<size_t>(T * T)) scratch.resize(static_cast<size_t>(T * T));
    return scratch.data();
}

// The book divides the scores by √head_dim as a float: scores / keys.shape[-1]**0.5.
float attention_scale(int64_t head_dim) { return static_cast<float>(std::sqrt(static_cast<double>(head_dim))); }

// weights (T×T) = softmax over j ≤ i of scores(i, j) / scale, and 0 for j > i.
// scores: (T, T), overwritten with the scaled values
void causal_softmax(float* scores, float* weights, int64_t T, float scale) {
    for (int64_t i = 0; i < T; i++) {
        float* s = scores + i * T;
        for (int64_t j = 0; j <= i; j++) s[j] = s[j] / scale;
        softmax_row(s, weights + i * T, i + 1, 1);
        std::fill(weights + i * T + i + 1, weights + (i + 1) * T, 0.0f);
    }
}

// One head forward: weights = causal softmax(Q_h K_hᵀ / scale), context_h = dropout(weights) V_h.
// q, k, v, context: (B, T, C); weights, mask: (B, H, T, T), mask null without dropout
void head_forward(const HeadLayout& L, int64_t bh, const float* q, const float* k, const float* v,
                  const float* mask, float* weights, float* context) {
    int64_t T = L.tokens, at = L.columns(bh);
    float* w = weights + L.square(bh);
    float* scratch = head_scratch(T);
    gemm(T, T, L.head_dim, q + at, L.d_out, false, k + at, L.d_out, true, scratch, T, false);
    causal_softmax(scratch, w, T, attention_scale(L.head_dim));
    const float* used = w;  // the weights that multiply V: after dropout, if any
    if (mask != nullptr) {
        const float* m = mask + L.square(bh);
        for (int64_t i = 0; i < T * T; i++) scratch[i] = w[i] * m[i];
        used = scratch;
    }
    gemm(T, L.head_dim, T, used, T, false, v + at, L.d_out, false, context + at, L.d_out, false);
}

// dS (T×T) from dW = dL/d(weights after softmax), in place: softmax backward row by row,
// then d(s / scale)/ds = 1 / scale; masked entries get 0 (their score was -inf).
// d_weights: (T, T); weights: (T, T)
void causal_softmax_backward(float* d_weights, const float* weights, int64_t T, float scale) {
    for (int64_t i = 0; i < T; i++) {
        float* g = d_weights + i * T;
        softmax_backward_row(g, weights + i * T, g, T, 1);
        for (int64_t j = 0; j <= i; j++) g[j] = g[j] / scale;
        std::fill(g + i + 1, g + T, 0.0f);
    }
}

// The tensors one head's backward reads and writes; all (B, T, C) except
// weights and mask, (B, H, T, T) (mask null without dropout).
struct AttentionGrads {
    const float *q, *k, *v, *weights, *mask, *d_context;
    float *dq, *dk, *dv;
};

// One head backward. With P the weights, D the dropout mask and Pd = P·D:
//   dV = Pdᵀ dO;   dPd = dO Vᵀ;   dP = dPd·D;   dS = softmax' (dP) / scale;
//   dQ = dS K;     dK = dSᵀ Q.
void head_backward(const HeadLayout& L, int64_t bh, const AttentionGrads& g) {
    int64_t T = L.tokens, hd = L.head_dim, C = L.d_out, at = L.columns(bh);
    const float* w = g.weights + L.square(bh);
    const float* m = g.mask ? g.mask + L.square(bh) : nullptr;
    float* scratch = head_scratch(T);
    const float* used = w;  // Pd
    if (m != nullptr) {
        for (int64_t i = 0; i < T * T; i++) scratch[i] = w[i] * m[i];
        used = scratch;
    }
    gemm(T, hd, T, used, T, true, g.d_context + at, C, false, g.dv + at, C, false);
    gemm(T, T, hd, g.d_context + at, C, false, g.v + at, C, true, scratch, T, false);
    if (m != nullptr)
        for (int64_t i = 0; i < T * T; i++) scratch[i] = scratch[i] * m[i];
    causal_softmax_backward(scratch, w, T, attention_scale(hd));
    gemm(T, hd, T, scratch, T, false, g.k + at, C, false, g.dq + at, C, false);
    gemm(T, hd, T, scratch, T, true, g.q + at, C, false, g.dk + at, C, false);
}

HeadLayout layout_of(const Shape& shape, int64_t num_heads) {
    return HeadLayout{shape[1], shape[2], num_heads, shape[2] / num_heads};
}

}  // namespace

// d(context)/d(q, k, v), head by head (see head_backward).
// saved: weights (B, H, T, T), then the dropout mask if there was one
std::vector<Tensor> causal_attention_backward(const Node& node, const Tensor& grad) {
    const Tensor &q = node.inputs[0], &k = node.inputs[1], &v = node.inputs[2];
    HeadLayout L = layout_of(q.shape(), node.ints[0]);
    Tensor dq = empty(q.shape()), dk = empty(q.shape()), dv = empty(q.shape());
    AttentionGrads g{q.data(), k.data(), v.data(), node.saved[0].data(),
                     node.saved.size() > 1 ? node.saved[1].data() : nullptr, grad.data(),
                     dq.data(), dk.data(), dv.data()};
    parallel_for(q.size(0) * L.num_heads, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t bh = b0; bh < b1; bh++) head_backward(L, bh, g);
    });
    return {dq, dk, dv};
}

static void check_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v, int64_t num_heads) {
    if (q.dim() != 3 || k.shape() != q.shape() || v.shape() != q.shape())
        throw Error("causal_attention: queries, keys and values must all be (batch, tokens, d_out), but got " +
                    shape_to_string(q.shape()) + ", " + shape_to_string(k.shape()) + " and " +
                    shape_to_string(v.shape()));
    if (num_heads <= 0 || q.size(2) % num_heads != 0)
        throw Error("causal_attention: d_out " + std::to_string(q.size(2)) + " is not divisible by num_heads " +
                    std::to_string(num_heads));
}

// context (B, T, C) from queries, keys, values (B, T, C); fills weights (B, H, T, T).
// mask: (B, H, T, T) dropout mask, or undefined for none
Tensor causal_attention_forward(const Tensor& queries, const Tensor& keys, const Tensor& values,
                                int64_t num_heads, const Tensor& mask, Tensor& weights) {
    HeadLayout L = layout_of(queries.shape(), num_heads);
    Tensor context = empty(queries.shape());
    const float* m = mask.defined() ? mask.data() : nullptr;
    parallel_for(queries.size(0) * num_heads, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t bh = b0; bh < b1; bh++)
            head_forward(L, bh, queries.data(), keys.data(), values.data(), m, weights.data(), context.data());
    });
    return context;
}

Tensor causal_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, int64_t num_heads,
                        double dropout_p, bool training) {
    check_attention_inputs(queries, keys, values, num_heads);
    int64_t tokens = queries.size(1);
    Tensor weights = empty({queries.size(0), num_heads, tokens, tokens});
    Tensor mask;  // drawn for the whole (B, H, T, T) at once, in the order dropout() draws it
    if (training && dropout_p > 0.0 && weights.numel() > 0) mask = draw_dropout_mask(weights.shape(), dropout_p);
    Tensor context = causal_attention_forward(queries, keys, values, num_heads, mask, weights);
    if (needs_grad({&queries, &keys, &values})) {
        Node& node = attach_node(context, "CausalAttentionBackward", causal_attention_backward,
                                 {queries, keys, values});
        node.ints = {num_heads};
        node.saved = {weights};
        if (mask.defined()) node.saved.push_back(mask);
    }
    return context;
}

}  // namespace llm
