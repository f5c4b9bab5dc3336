// FlashAttention (Dao et al. 2022): the same causal softmax attention as causal_attention,
// computed tile by tile so that nothing T×T is ever held.
//
// A row's softmax needs its maximum and its sum over all keys, but both can be carried
// along ("online softmax", Milakov & Gimelshein 2018): after each tile of keys, with m the
// running maximum, l the running sum of exp(s - m) and acc the running Σ exp(s - m)·v,
//   m' = max(m, max of the tile),  l' = l·e^(m - m') + Σ_tile e^(s - m'),
//   acc' = acc·e^(m - m') + Σ_tile e^(s - m')·v,
// and at the end out = acc / l. Backward keeps only one number per row, the log of the
// softmax's denominator (logsumexp L = m + log l), and recomputes each tile's weights
// P = exp(s - L) from Q and K; with D_i = dO_i·O_i (= Σ_j P_ij dP_ij),
//   dV = Pᵀ dO,  dP = dO Vᵀ,  dS = P ⊙ (dP - D) / √hs,  dQ = dS K,  dK = dSᵀ Q.
// Attention dropout draws the mask causal_attention draws, in the same order, and keeps it
// as bits (T²/8 bytes per head); without dropout the op saves O(T) per head.
// The variants ride along as in causal_attention: grouped-query heads, a window, ALiBi.
// causal_attention (ops/attention.cpp) is its O(T²) reference; tests compare the two.
#include "kernels/gemm.h"
#include "ops/internal.h"
#include "random/random.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llm {

namespace {

constexpr int64_t kTile = 64;  // query rows and key columns per tile

struct FlashLayout {
    int64_t T, C, H, hs, kv_width, group, window;
    const float* slopes;    // ALiBi's m_h per head, or null
    const uint32_t* kept;   // dropout bits of the (B, H, T, T) weights, or null
    float kept_value;       // 1 / (1 - p)
    int64_t q_at(int64_t bh) const { return (bh / H) * T * C + (bh % H) * hs; }
    int64_t kv_at(int64_t bh) const { return (bh / H) * T * kv_width + (bh % H) / group * hs; }
    int64_t first_key(int64_t i) const { return window > 0 ? std::max<int64_t>(0, i - window + 1) : 0; }
    // The dropout factor of weight (i, j) of head bh: 1 without dropout.
    float drop(int64_t bh, int64_t i, int64_t j) const {
        if (kept == nullptr) return 1.0f;
        int64_t n = (bh * T + i) * T + j;
        return kept_bit(kept, n) ? kept_value : 0.0f;
    }
};

// Per-thread tiles, kept from call to call: 0..2 are kTile×kTile, 3 is kTile×hs.
float* tile(int which, int64_t n) {
    thread_local std::vector<float> tiles[4];
    if (tiles[which].size() < static_cast<size_t>(n)) tiles[which].resize(static_cast<size_t>(n));
    return tiles[which].data();
}

float head_scale(int64_t hs) { return static_cast<float>(std::sqrt(static_cast<double>(hs))); }

// Row r of an S tile as the scores causal_attention's softmax sees: s / √hs (+ ALiBi).
void scale_scores(const FlashLayout& L, int64_t bh, float* s, int64_t i, int64_t j0, int64_t lo, int64_t hi) {
    float scale = head_scale(L.hs);
    for (int64_t j = lo; j <= hi; j++) {
        s[j - j0] = s[j - j0] / scale;
        if (L.slopes != nullptr) s[j - j0] = s[j - j0] + alibi_bias(L.slopes[bh % L.H], i - j);
    }
}

// One tile of rows [i0, i0 + rows) against keys [j0, j0 + cols): updates the running
// max m, sum l and acc (rows×hs) of each row. q, k, v: the head's columns.
void forward_tile(const FlashLayout& L, int64_t bh, const float* q, const float* k, const float* v, int64_t i0,
                  int64_t rows, int64_t j0, int64_t cols, float* m, double* l, float* acc) {
    float* S = tile(0, kTile * kTile);
    float* P = tile(1, kTile * kTile);
    gemm(rows, cols, L.hs, q + i0 * L.C, L.C, false, k + j0 * L.kv_width, L.kv_width, true, S, kTile, false);
    for (int64_t r = 0; r < rows; r++) {
        int64_t i = i0 + r, lo = std::max(L.first_key(i), j0), hi = std::min(i, j0 + cols - 1);
        float* s = S + r * kTile;
        float* p = P + r * kTile;
        std::fill(p, p + cols, 0.0f);
        if (lo > hi) continue;  // this row sees none of these keys
        scale_scores(L, bh, s, i, j0, lo, hi);
        float m_new = m[r];
        for (int64_t j = lo; j <= hi; j++) m_new = std::max(m_new, s[j - j0]);
        float correction = std::exp(m[r] - m_new);  // 0 on the row's first tile (m = -inf)
        double sum = 0.0;
        for (int64_t j = lo; j <= hi; j++) {
            float e = std::exp(s[j - j0] - m_new);
            sum += e;
            p[j - j0] = e * L.drop(bh, i, j);
        }
        l[r] = l[r] * correction + sum;
        for (int64_t d = 0; d < L.hs; d++) acc[r * L.hs + d] *= correction;
        m[r] = m_new;
    }
    gemm(rows, L.hs, cols, P, kTile, false, v + j0 * L.kv_width, L.kv_width, false, acc, L.hs, true);
}

// One head forward: context (B, T, C) of head bh and its rows' logsumexp lse (T).
void flash_head_forward(const FlashLayout& L, int64_t bh, const float* q, const float* k, const float* v,
                        float* context, float* lse) {
    q += L.q_at(bh), k += L.kv_at(bh), v += L.kv_at(bh), context += L.q_at(bh);
    float m[kTile];
    double l[kTile];
    float* acc = tile(3, kTile * L.hs);
    for (int64_t i0 = 0; i0 < L.T; i0 += kTile) {
        int64_t rows = std::min(kTile, L.T - i0);
        std::fill(m, m + rows, -std::numeric_limits<float>::infinity());
        std::fill(l, l + rows, 0.0);
        std::fill(acc, acc + rows * L.hs, 0.0f);
        for (int64_t j0 = L.first_key(i0); j0 < i0 + rows; j0 += kTile)
            forward_tile(L, bh, q, k, v, i0, rows, j0, std::min(kTile, i0 + rows - j0), m, l, acc);
        for (int64_t r = 0; r < rows; r++) {
            float inv = static_cast<float>(1.0 / l[r]);
            for (int64_t d = 0; d < L.hs; d++) context[(i0 + r) * L.C + d] = acc[r * L.hs + d] * inv;
            lse[i0 + r] = m[r] + static_cast<float>(std::log(l[r]));
        }
    }
}

// The tensors one head's backward reads and writes (see causal_attention_backward).
struct FlashGrads {
    const float *q, *k, *v, *out, *lse, *d_out;
    float *dq, *dk, *dv;
};

// Keys [j0, j0 + cols) against query rows [i0, i0 + rows): adds to dV, dK of those keys
// and dQ of those rows. delta: D_i of the head's rows (T).
void backward_tile(const FlashLayout& L, int64_t bh, const FlashGrads& g, const float* delta, int64_t i0,
                   int64_t rows, int64_t j0, int64_t cols) {
    int64_t qa = L.q_at(bh), kva = L.kv_at(bh), C = L.C, W = L.kv_width, hs = L.hs;
    float* P = tile(0, kTile * kTile);
    float* Pd = tile(1, kTile * kTile);
    float* dS = tile(2, kTile * kTile);
    float scale = head_scale(hs);
    gemm(rows, cols, hs, g.q + qa + i0 * C, C, false, g.k + kva + j0 * W, W, true, P, kTile, false);
    gemm(rows, cols, hs, g.d_out + qa + i0 * C, C, false, g.v + kva + j0 * W, W, true, dS, kTile, false);
    for (int64_t r = 0; r < rows; r++) {
        int64_t i = i0 + r, lo = std::max(L.first_key(i), j0), hi = std::min(i, j0 + cols - 1);
        float *p = P + r * kTile, *pd = Pd + r * kTile, *ds = dS + r * kTile;
        float row_lse = g.lse[bh * L.T + i];
        if (lo <= hi) scale_scores(L, bh, p, i, j0, lo, hi);
        for (int64_t j = j0; j < j0 + cols; j++) {
            bool seen = j >= lo && j <= hi;
            float w = seen ? std::exp(p[j - j0] - row_lse) : 0.0f;
            float dropped = seen ? L.drop(bh, i, j) : 0.0f;
            pd[j - j0] = w * dropped;
            ds[j - j0] = seen ? w * (ds[j - j0] * dropped - delta[i]) / scale : 0.0f;
        }
    }
    gemm(cols, hs, rows, Pd, kTile, true, g.d_out + qa + i0 * C, C, false, g.dv + kva + j0 * W, W, true);
    gemm(rows, hs, cols, dS, kTile, false, g.k + kva + j0 * W, W, false, g.dq + qa + i0 * C, C, true);
    gemm(cols, hs, rows, dS, kTile, true, g.q + qa + i0 * C, C, false, g.dk + kva + j0 * W, W, true);
}

// One head backward: every tile of keys against the query tiles that see it.
void flash_head_backward(const FlashLayout& L, int64_t bh, const FlashGrads& g) {
    int64_t qa = L.q_at(bh);
    std::vector<float> delta(static_cast<size_t>(L.T));  // D_i = dO_i · O_i
    for (int64_t i = 0; i < L.T; i++) {
        double sum = 0.0;
        for (int64_t d = 0; d < L.hs; d++)
            sum += static_cast<double>(g.d_out[qa + i * L.C + d]) * g.out[qa + i * L.C + d];
        delta[static_cast<size_t>(i)] = static_cast<float>(sum);
    }
    for (int64_t j0 = 0; j0 < L.T; j0 += kTile) {
        int64_t cols = std::min(kTile, L.T - j0);
        int64_t last_row = L.window > 0 ? std::min(L.T, j0 + cols - 1 + L.window) : L.T;  // rows after it see nothing
        for (int64_t i0 = j0 / kTile * kTile; i0 < last_row; i0 += kTile)
            backward_tile(L, bh, g, delta.data(), i0, std::min(kTile, L.T - i0), j0, cols);
    }
}

FlashLayout flash_layout(const Shape& q, const Shape& kv, int64_t num_heads, int64_t kv_heads, int64_t window) {
    int64_t hs = q[2] / num_heads;
    return FlashLayout{q[1], q[2], num_heads, hs, kv[2], num_heads / kv_heads, window, nullptr, nullptr, 1.0f};
}

}  // namespace

// d(context)/d(q, k, v) tile by tile (see the top of the file); the query heads sharing a
// key/value head run in order on one thread.
// saved: the output (B, T, C), logsumexp (B, H, T), the slopes (H or 0), then the dropout bits if any.
// ints: num_heads, kv_heads, window; numbers: the dropout p; saved[2]: ALiBi's slopes (or none)
std::vector<Tensor> flash_attention_backward(const Node& node, const Tensor& grad) {
    const Tensor &q = node.inputs[0], &k = node.inputs[1], &v = node.inputs[2];
    int64_t num_heads = node.ints[0], kv_heads = node.ints[1];
    FlashLayout L = flash_layout(q.shape(), k.shape(), num_heads, kv_heads, node.ints[2]);
    if (node.saved[2].numel() > 0) L.slopes = node.saved[2].data();
    if (node.saved.size() > 3) {
        L.kept = dropout_bits(node.saved[3]);
        L.kept_value = kept_scale(node.numbers[0]);
    }
    Tensor dq = zeros(q.shape()), dk = zeros(k.shape()), dv = zeros(k.shape());
    FlashGrads g{q.data(), k.data(), v.data(), node.saved[0].data(), node.saved[1].data(), grad.data(),
                 dq.data(), dk.data(), dv.data()};
    parallel_for(q.size(0) * kv_heads, 1, [&](int64_t g0, int64_t g1) {
        for (int64_t bg = g0; bg < g1; bg++)  // (batch, key/value head) pairs
            for (int64_t r = 0; r < L.group; r++)
                flash_head_backward(L, (bg / kv_heads) * num_heads + (bg % kv_heads) * L.group + r, g);
    });
    return {dq, dk, dv};
}

// context (B, T, C) from queries (B, T, C), keys and values (B, T, kv_heads·hs); fills
// lse (B, H, T). kept: dropout bits of the (B, H, T, T) weights, or null
Tensor flash_attention_forward(const Tensor& queries, const Tensor& keys, const Tensor& values,
                               const AttentionOptions& o, const uint32_t* kept, Tensor& lse) {
    int64_t kv_heads = o.kv_heads > 0 ? o.kv_heads : o.num_heads;
    FlashLayout L = flash_layout(queries.shape(), keys.shape(), o.num_heads, kv_heads, o.window);
    L.slopes = o.alibi_slopes.empty() ? nullptr : o.alibi_slopes.data();
    L.kept = kept;
    L.kept_value = kept_scale(o.dropout_p);
    Tensor context = empty(queries.shape());
    parallel_for(queries.size(0) * o.num_heads, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t bh = b0; bh < b1; bh++)
            flash_head_forward(L, bh, queries.data(), keys.data(), values.data(), context.data(),
                               lse.data() + bh * L.T);
    });
    return context;
}

Tensor flash_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, const AttentionOptions& o) {
    check_attention_inputs(queries, keys, values, o);
    int64_t B = queries.size(0), T = queries.size(1);
    Tensor lse = empty({B, o.num_heads, T});
    Tensor bits;  // the dropout mask of the (B, H, T, T) weights, as bits
    bool dropout = o.training && o.dropout_p > 0.0 && B * T > 0;
    if (dropout) bits = draw_dropout_bits(B * o.num_heads * T * T, o.dropout_p);
    const uint32_t* kept = dropout ? dropout_bits(bits) : nullptr;
    Tensor context = flash_attention_forward(queries, keys, values, o, kept, lse);
    if (needs_grad({&queries, &keys, &values})) {
        Node& node = attach_node(context, "FlashAttentionBackward", flash_attention_backward, {queries, keys, values});
        node.ints = {o.num_heads, o.kv_heads > 0 ? o.kv_heads : o.num_heads, o.window};
        Tensor slopes = o.alibi_slopes.empty() ? Tensor(Shape{0}, std::vector<float>{})
                                               : Tensor(Shape{o.num_heads}, o.alibi_slopes);
        node.saved = {context.detach(), lse, slopes};
        if (dropout) node.saved.push_back(bits), node.numbers = {o.dropout_p};
    }
    return context;
}

}  // namespace llm
