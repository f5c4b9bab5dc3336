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
//   - backward keeps only the attention weights and the dropout mask, as bits;
//   - a head's keys (forward) and values (backward) are transposed once into a
//     hd×T block, so that Q·Kᵀ and dO·Vᵀ read op(B) by rows like the other products;
//   - the products leave out the masked half: the rows of a head go in blocks of
//     kRowBlock, and a block of rows [i0, i1) needs keys and values 0..i1-1 only.
//     Every product the mask zeroes is exactly 0, and the matmul sums each element
//     as one chain that such zeros do not change (kernels/gemm.h), so the results
//     are the same bits as the whole square's; about 40% fewer multiply-adds at
//     T = 256.
// The (batch, head) pairs are shared out between the threads; each is computed
// by the same code whatever the thread count, so results do not depend on it.
//
// The attention lab's variants (AttentionOptions) ride on the same loops: ALiBi adds
// -m_h·(i - j) to the scaled scores, a window starts each row's softmax at i - window + 1,
// and with grouped-query attention head h reads key/value head h / (H / kv_heads), so the
// backward sums the key and value gradients of a group's query heads, in head order, on
// one thread. With every option at its default the loops are the book's, bit for bit.
// The book's composition is MultiHeadAttention::forward_reference (nn/attention.cpp);
// tests check that the two give the same values and gradients.
#include "kernels/fast_exp.h"
#include "kernels/gemm.h"
#include "kernels/transpose.h"
#include "ops/internal.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llm {

// At a row stride of whole kilobytes (T = 256: 1 KB, 16 lines) the rows one product reads
// fall into 4 of the L1 cache's 64 sets and push each other out; an odd number of lines
// reaches every set. With 16 floats more, 124M's Pᵀ·dO ran 6-10% faster, small's 64×32×256
// 12% (Zen 5; core/README.md).
int64_t attention_work_stride(int64_t tokens) { return ((tokens + 15) / 16 | 1) * 16; }

// Rows of a head per block of the products. 64 rows: a block's products are still big
// enough for the matmul to run near its peak, and at T = 256 the four blocks multiply
// 62.5% of the square (1 + 2 + 3 + 4 of 16 key blocks), 128 tokens 75%. Blocks of 32 rows
// (56.25% at T = 256) made the attention alone 3-10% faster, but 26 of its 60 products ran
// under 85% of the FMA peak (2 of 30 with 64 rows), and no step was faster beyond the noise
// (Zen 5; book-notes/performance.md, the eleventh session).
constexpr int64_t kRowBlock = 64;

// A lone last row joins the block before it, because the matmul sums a one-row product
// another way (M = 1, kernels/gemm.h).
int64_t attention_row_block_end(int64_t i0, int64_t tokens) {
    int64_t end = std::min(tokens, i0 + kRowBlock);
    return tokens - end == 1 ? tokens : end;
}

namespace {

// Where the pieces of head `bh` (= batch index · num_heads + head) live, and its variant.
struct HeadLayout {
    int64_t tokens, d_out, num_heads, head_dim;
    int64_t kv_width, group;   // kv_heads·hs columns of keys and values; query heads per kv head
    int64_t window;            // 0: none
    const float* slopes;       // ALiBi's m_h per head, or null
    // Column block of head bh in the (B, T, C) queries and context: rows d_out apart.
    int64_t columns(int64_t bh) const {
        return (bh / num_heads) * tokens * d_out + (bh % num_heads) * head_dim;
    }
    // The column block of its key/value head in the (B, T, kv_heads·hs) keys and values.
    int64_t kv_columns(int64_t bh) const {
        return (bh / num_heads) * tokens * kv_width + (bh % num_heads) / group * head_dim;
    }
    // Its T×T square in a (B, H, T, T) tensor.
    int64_t square(int64_t bh) const { return bh * tokens * tokens; }
    // The row stride of its work areas (head_scratch 0 and 3; attention_work_stride).
    int64_t work_stride() const { return attention_work_stride(tokens); }
    // The first key row i sees: i - window + 1, or 0.
    int64_t first_key(int64_t i) const { return window > 0 ? std::max<int64_t>(0, i - window + 1) : 0; }
};

// Work areas kept by each thread from call to call (a fresh 256 KB allocation per head
// would come back as new pages, to be cleared by the OS each time): `which` 0 is a head's
// T×T square, 1 a T×hs gradient of a shared key/value head, 2 a row of dropout factors,
// 3 a head's keys or values transposed (hs×T); 0 and 3 have rows work_stride() apart.
float* head_scratch(int64_t n, int which = 0) {
    thread_local std::vector<float> scratch[4];
    std::vector<float>& s = scratch[which];
    if (s.size() < static_cast<size_t>(n)) s.resize(static_cast<size_t>(n));
    return s.data();
}

// A row of dropout factors: T, and 32 more, since dropout_factors writes whole words.
float* dropout_row_scratch(int64_t T) { return head_scratch(T + 32, 2); }

// The book divides the scores by √head_dim as a float: scores / keys.shape[-1]**0.5.
float attention_scale(int64_t head_dim) { return static_cast<float>(std::sqrt(static_cast<double>(head_dim))); }

// Where the keys of a product over rows of op(A) from `first` to T may start: at `first`
// (the products before it are masked zeros) when the whole sum is one chain, else at the
// start of first's chain, so the chains keep their places (kernels/gemm.h).
int64_t first_product(int64_t first, int64_t T) { return T <= kGemmChain ? first : first / kGemmChain * kGemmChain; }

// Where the loops over a row's part [lo, i] stop: i + 1 rounded up to whole groups of 16
// floats from lo (a 512-bit vector; two 256-bit ones), at most T. Rows are short (64 keys
// on average at T = 128), and a loop that stopped at i + 1 ran its last few elements one at
// a time, fast_exp's forty instructions for each; the loops run on past i instead, over
// entries that are then overwritten with the values the row must have there (0).
int64_t padded_end(int64_t lo, int64_t i, int64_t T) { return std::min(T, lo + (i - lo + 16) / 16 * 16); }

// Row i of weights = exp(s_j - max) for first_key(i) ≤ j ≤ i and 0 for the other j, with
// s the row's scores divided by scale (+ ALiBi's bias), overwritten in place: the softmax's
// numerators. The scores past i up to the padded end are set to -inf, which neither the
// maximum nor the exponentials see (e^-inf = 0). scores, weights: (T) rows
void softmax_numerators(const HeadLayout& L, int64_t bh, int64_t i, float* s, float* w, float scale) {
    int64_t T = L.tokens, lo = L.first_key(i), end = padded_end(lo, i, T);
    for (int64_t j = lo; j < end; j++) s[j] = s[j] / scale;
    if (L.slopes != nullptr) {
        float slope = L.slopes[bh % L.num_heads];
        for (int64_t j = lo; j <= i; j++) s[j] = s[j] + alibi_bias(slope, i - j);
    }
    std::fill(s + i + 1, s + end, -std::numeric_limits<float>::infinity());
    float m = max_of(s + lo, end - lo);
    for (int64_t j = lo; j < end; j++) w[j] = fast_exp(s[j] - m);
    std::fill(w, w + lo, 0.0f);
    std::fill(w + i + 1, w + T, 0.0f);
}

// The dropout mask of a head's weights (as bits) and the factor kept weights get.
struct Dropout {
    const uint32_t* bits;  // null without dropout
    float kept_value;
};

// Row i of dropout(weights): the weights times dropout's factors (kept_value or 0), as
// dropout(weights) computes them; 0 above the diagonal. w_row, out_row: (T) rows of head bh
void dropout_row(const HeadLayout& L, int64_t bh, int64_t i, const float* w_row, const Dropout& dropout,
                 float* out_row) {
    int64_t T = L.tokens;
    float* factors = dropout_row_scratch(T);
    dropout_factors(dropout.bits, L.square(bh) + i * T, i + 1, dropout.kept_value, factors);  // to i + 1 rounded up to 32
    for (int64_t j = 0, end = padded_end(0, i, T); j < end; j++) out_row[j] = w_row[j] * factors[j];
    std::fill(out_row + i + 1, out_row + T, 0.0f);
}

// out (T×T) = dropout(weights), row by row. weights: (T, T); out: (T, T), rows work_stride() apart
void apply_dropout(const HeadLayout& L, int64_t bh, const float* weights, const Dropout& dropout, float* out) {
    int64_t ld = L.work_stride();
    for (int64_t i = 0; i < L.tokens; i++) dropout_row(L, bh, i, weights + i * L.tokens, dropout, out + i * ld);
}

// weights (T×T) = softmax over first_key(i) ≤ j ≤ i of scores(i, j) / scale (+ ALiBi's
// bias), and 0 for the other j: softmax_row's arithmetic, with the sums of kRowsAtOnce rows
// side by side (ops/internal.h; a row's zeros before and after its part add nothing).
// With dropout, each row of scores is then overwritten with that row of dropout(weights),
// while the row is still in the nearest cache (its scores are no longer needed).
// scores: (T, T), rows work_stride() apart, overwritten with the scaled values or dropout(weights);
// weights: (T, T)
void causal_softmax(const HeadLayout& L, int64_t bh, float* scores, float* weights, float scale,
                    const Dropout& dropout) {
    int64_t T = L.tokens, ld = L.work_stride();
    for (int64_t i0 = 0; i0 < T; i0 += kRowsAtOnce) {
        int64_t i1 = std::min(T, i0 + kRowsAtOnce);
        for (int64_t i = i0; i < i1; i++) softmax_numerators(L, bh, i, scores + i * ld, weights + i * T, scale);
        double totals[kRowsAtOnce] = {};
        add_row_sums(weights + i0 * T, i1 - i0, i1, T, totals);  // row i ends at i, within the first i1
        for (int64_t i = i0; i < i1; i++) {  // the padding's zeros stay 0, unless the total is NaN
            float* w = weights + i * T;
            int64_t lo = L.first_key(i), end = padded_end(lo, i, T);
            for (int64_t j = lo; j < end; j++) w[j] = static_cast<float>(w[j] / totals[i - i0]);
            std::fill(w + i + 1, w + end, 0.0f);
            if (dropout.bits != nullptr) dropout_row(L, bh, i, w, dropout, scores + i * ld);
        }
    }
}

// One head forward: weights = causal softmax(Q_h K_gᵀ / scale), context_h = dropout(weights) V_g,
// g the head's key/value head, a block of rows at a time. The keys are first turned into
// K_gᵀ (hs×T, rows work_stride() apart; transpose_block), so that Q·Kᵀ's op(B) has contiguous
// rows, which the matmul reads in place; with Kᵀ as a flag it packed each block's keys again
// by columns for only 64 rows of use (69-76% of the FMA peak in `make bench`, 80-93% now,
// Zen 5, book-notes/performance.md). The sums are the same bits either way (gemm.h).
// q, context: (B, T, C); k, v: (B, T, kv_heads·hs); weights: (B, H, T, T)
void head_forward(const HeadLayout& L, int64_t bh, const float* q, const float* k, const float* v,
                  const Dropout& dropout, float* weights, float* context) {
    int64_t T = L.tokens, C = L.d_out, hd = L.head_dim, at = L.columns(bh), kv = L.kv_columns(bh);
    int64_t ld = L.work_stride();
    float* w = weights + L.square(bh);
    float* scratch = head_scratch(T * ld);
    float* keys_t = head_scratch(hd * ld, 3);  // Kᵀ: (hd, T)
    transpose_block(k + kv, L.kv_width, T, hd, keys_t, ld);
    for (int64_t i0 = 0, i1; i0 < T; i0 = i1) {  // scores of rows i0..i1-1 against keys 0..i1-1
        i1 = attention_row_block_end(i0, T);
        gemm(i1 - i0, i1, hd, q + at + i0 * C, C, false, keys_t, ld, false, scratch + i0 * ld, ld, false);
    }
    causal_softmax(L, bh, scratch, w, attention_scale(hd), dropout);
    // the weights that multiply V: after dropout, if any
    const float* used = dropout.bits != nullptr ? scratch : w;
    int64_t used_ld = dropout.bits != nullptr ? ld : T;
    for (int64_t i0 = 0, i1; i0 < T; i0 = i1) {  // context rows i0..i1-1 from values 0..i1-1
        i1 = attention_row_block_end(i0, T);
        gemm(i1 - i0, hd, i1, used + i0 * used_ld, used_ld, false, v + kv, L.kv_width, false, context + at + i0 * C,
             C, false);
    }
}

// dS (T×T) from dW = dL/d(weights after softmax), in place: softmax backward row by row
// (softmax_backward_row's arithmetic, the dot products of kRowsAtOnce rows side by side),
// then d(s / scale + bias)/ds = 1 / scale; masked entries get 0 (their score was -inf).
// d_weights: (T, T), rows work_stride() apart, finite up to the end of each row's block of 64;
// weights: (T, T)
void causal_softmax_backward(const HeadLayout& L, float* d_weights, const float* weights, float scale) {
    int64_t T = L.tokens, ld = L.work_stride();
    for (int64_t i0 = 0; i0 < T; i0 += kRowsAtOnce) {
        int64_t rows = std::min(kRowsAtOnce, T - i0), i1 = i0 + rows;
        double dot[kRowsAtOnce] = {};  // Σ_j dW_ij · W_ij; W is 0 outside a row's part
        for (int64_t j = 0; j < i1; j++)
            for (int64_t r = 0; r < rows; r++) dot[r] += d_weights[(i0 + r) * ld + j] * weights[(i0 + r) * T + j];
        for (int64_t i = i0; i < i1; i++) {
            float *g = d_weights + i * ld, d = static_cast<float>(dot[i - i0]);
            const float* w = weights + i * T;
            int64_t lo = L.first_key(i), end = padded_end(lo, i, T);
            for (int64_t j = lo; j < end; j++) g[j] = w[j] * (g[j] - d) / scale;  // past i: set to 0 below
            std::fill(g, g + lo, 0.0f);
            std::fill(g + i + 1, g + T, 0.0f);
        }
    }
}

// The tensors one head's backward reads and writes: q, d_context, dq (B, T, C); k, v, dk,
// dv (B, T, kv_heads·hs); weights (B, H, T, T).
struct AttentionGrads {
    const float *q, *k, *v, *weights, *d_context;
    Dropout dropout;
    float *dq, *dk, *dv;
};

// The key/value gradient of a head, dK or dV (T×hs) = op(A)ᵀ-shaped product Sᵀ·X with S the
// head's lower-triangular T×T square (row stride lds) and X (T×hs, row stride ldx): row j sums
// over i ≥ j only, in blocks of rows. Written into `out` (row stride kv_width) by the first
// query head of a group, added (in head order) by the others.
void kv_gradient(const HeadLayout& L, bool first_of_group, const float* S, int64_t lds, const float* X, int64_t ldx,
                 float* out) {
    int64_t T = L.tokens, hd = L.head_dim;
    float* part = first_of_group ? nullptr : head_scratch(T * hd, 1);
    for (int64_t j0 = 0, j1; j0 < T; j0 = j1) {
        j1 = attention_row_block_end(j0, T);
        int64_t i0 = first_product(j0, T);  // rows of S before it are 0 in these columns
        const float* a = S + i0 * lds + j0;  // op(A)(r, m) = S[i0 + m][j0 + r]
        if (first_of_group) {
            gemm(j1 - j0, hd, T - i0, a, lds, true, X + i0 * ldx, ldx, false, out + j0 * L.kv_width, L.kv_width,
                 false);
            continue;
        }
        gemm(j1 - j0, hd, T - i0, a, lds, true, X + i0 * ldx, ldx, false, part, hd, false);
        for (int64_t j = j0; j < j1; j++)
            for (int64_t d = 0; d < hd; d++) out[j * L.kv_width + d] += part[(j - j0) * hd + d];
    }
}

// One head backward. With P the weights, D the dropout mask and Pd = P·D:
//   dV = Pdᵀ dO;   dPd = dO Vᵀ;   dP = dPd·D;   dS = softmax' (dP) / scale;
//   dQ = dS K;     dK = dSᵀ Q   (dK, dV summed over the query heads sharing them).
// Each product again leaves out the masked half, a block of rows at a time.
void head_backward(const HeadLayout& L, int64_t bh, bool first_of_group, const AttentionGrads& g) {
    int64_t T = L.tokens, hd = L.head_dim, C = L.d_out, at = L.columns(bh), kv = L.kv_columns(bh);
    int64_t ld = L.work_stride();
    const float* w = g.weights + L.square(bh);
    float* scratch = head_scratch(T * ld);
    if (g.dropout.bits != nullptr) {  // Pd into the work square, then dV
        apply_dropout(L, bh, w, g.dropout, scratch);
        kv_gradient(L, first_of_group, scratch, ld, g.d_context + at, C, g.dv + kv);
    } else {  // Pd = P
        kv_gradient(L, first_of_group, w, T, g.d_context + at, C, g.dv + kv);
    }
    float* values_t = head_scratch(hd * ld, 3);  // Vᵀ: (hd, T), as Kᵀ in head_forward
    transpose_block(g.v + kv, L.kv_width, T, hd, values_t, ld);
    for (int64_t i0 = 0, i1; i0 < T; i0 = i1) {  // dPd, rows i0..i1-1 against values 0..i1-1
        i1 = attention_row_block_end(i0, T);
        gemm(i1 - i0, i1, hd, g.d_context + at + i0 * C, C, false, values_t, ld, false, scratch + i0 * ld, ld, false);
    }
    if (g.dropout.bits != nullptr) {  // dP = dPd · D, up to the diagonal (not dropout_row: past it
        // dPd is left as it is, for causal_softmax_backward's sums and zeros)
        float* factors = dropout_row_scratch(T);
        for (int64_t i = 0; i < T; i++) {
            dropout_factors(g.dropout.bits, L.square(bh) + i * T, i + 1, g.dropout.kept_value, factors);
            for (int64_t j = 0; j <= i; j++) scratch[i * ld + j] = scratch[i * ld + j] * factors[j];
        }
    }
    causal_softmax_backward(L, scratch, w, attention_scale(hd));
    for (int64_t i0 = 0, i1; i0 < T; i0 = i1) {  // dQ rows i0..i1-1 from keys 0..i1-1
        i1 = attention_row_block_end(i0, T);
        gemm(i1 - i0, hd, i1, scratch + i0 * ld, ld, false, g.k + kv, L.kv_width, false, g.dq + at + i0 * C, C,
             false);
    }
    kv_gradient(L, first_of_group, scratch, ld, g.q + at, C, g.dk + kv);
}

// ints: num_heads, kv_heads, window (as saved on the node)
HeadLayout layout_of(const Shape& q_shape, const Shape& kv_shape, int64_t num_heads, int64_t kv_heads,
                     int64_t window, const float* slopes) {
    int64_t head_dim = q_shape[2] / num_heads;
    return HeadLayout{q_shape[1], q_shape[2], num_heads, head_dim, kv_shape[2], num_heads / kv_heads, window, slopes};
}

}  // namespace

// d(context)/d(q, k, v), head by head (see head_backward); the query heads that share a
// key/value head run in order on one thread.
// saved: weights (B, H, T, T), then the dropout mask's bits if there was one (numbers: p)
std::vector<Tensor> causal_attention_backward(const Node& node, const Tensor& grad) {
    const Tensor &q = node.inputs[0], &k = node.inputs[1], &v = node.inputs[2];
    int64_t num_heads = node.ints[0], kv_heads = node.ints[1];
    HeadLayout L = layout_of(q.shape(), k.shape(), num_heads, kv_heads, node.ints[2], nullptr);
    Tensor dq = empty(q.shape()), dk = empty(k.shape()), dv = empty(k.shape());
    Dropout dropout{node.saved.size() > 1 ? dropout_bits(node.saved[1]) : nullptr,
                    node.numbers.empty() ? 1.0f : kept_scale(node.numbers[0])};
    AttentionGrads g{q.data(), k.data(), v.data(), node.saved[0].data(), grad.data(), dropout,
                     dq.data(), dk.data(), dv.data()};
    parallel_for(q.size(0) * kv_heads, 1, [&](int64_t g0, int64_t g1) {
        for (int64_t bg = g0; bg < g1; bg++)  // (batch, key/value head) pairs
            for (int64_t r = 0; r < L.group; r++)
                head_backward(L, (bg / kv_heads) * num_heads + (bg % kv_heads) * L.group + r, r == 0, g);
    });
    return {dq, dk, dv};
}

void check_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
    int64_t kv_heads = o.kv_heads > 0 ? o.kv_heads : o.num_heads;
    if (q.dim() != 3 || k.dim() != 3 || v.shape() != k.shape() || k.size(0) != q.size(0) || k.size(1) != q.size(1))
        throw Error("causal_attention: queries, keys and values must all be (batch, tokens, d_out), but got " +
                    shape_to_string(q.shape()) + ", " + shape_to_string(k.shape()) + " and " +
                    shape_to_string(v.shape()));
    if (o.num_heads <= 0 || q.size(2) % o.num_heads != 0)
        throw Error("causal_attention: d_out " + std::to_string(q.size(2)) + " is not divisible by num_heads " +
                    std::to_string(o.num_heads));
    if (o.num_heads % kv_heads != 0 || k.size(2) != kv_heads * (q.size(2) / o.num_heads))
        throw Error("causal_attention: keys and values of width " + std::to_string(k.size(2)) + " for " +
                    std::to_string(kv_heads) + " key/value heads of the queries' head size " +
                    std::to_string(q.size(2) / o.num_heads) + " (kv_heads must divide num_heads " +
                    std::to_string(o.num_heads) + ")");
    if (o.window < 0 || (!o.alibi_slopes.empty() && static_cast<int64_t>(o.alibi_slopes.size()) != o.num_heads))
        throw Error("causal_attention: window must be >= 0 and alibi_slopes empty or one per head (" +
                    std::to_string(o.num_heads) + "), got window " + std::to_string(o.window) + " and " +
                    std::to_string(o.alibi_slopes.size()) + " slopes");
}

// context (B, T, C) from queries (B, T, C), keys and values (B, T, kv_heads·hs);
// fills weights (B, H, T, T). bits: dropout's mask of the (B, H, T, T) weights, as bits
// (draw_dropout_bits), or undefined for none
Tensor causal_attention_forward(const Tensor& queries, const Tensor& keys, const Tensor& values,
                                const AttentionOptions& o, const Tensor& bits, Tensor& weights) {
    int64_t kv_heads = o.kv_heads > 0 ? o.kv_heads : o.num_heads;
    HeadLayout L = layout_of(queries.shape(), keys.shape(), o.num_heads, kv_heads, o.window,
                             o.alibi_slopes.empty() ? nullptr : o.alibi_slopes.data());
    Tensor context = empty(queries.shape());
    Dropout dropout{bits.defined() ? dropout_bits(bits) : nullptr, bits.defined() ? kept_scale(o.dropout_p) : 1.0f};
    parallel_for(queries.size(0) * o.num_heads, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t bh = b0; bh < b1; bh++)
            head_forward(L, bh, queries.data(), keys.data(), values.data(), dropout, weights.data(), context.data());
    });
    return context;
}

Tensor causal_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, const AttentionOptions& o) {
    check_attention_inputs(queries, keys, values, o);
    int64_t tokens = queries.size(1);
    Tensor weights = empty({queries.size(0), o.num_heads, tokens, tokens});
    Tensor bits;  // drawn for the whole (B, H, T, T) at once, in the order dropout() draws it
    if (o.training && o.dropout_p > 0.0 && weights.numel() > 0) bits = draw_dropout_bits(weights.numel(), o.dropout_p);
    Tensor context = causal_attention_forward(queries, keys, values, o, bits, weights);
    if (needs_grad({&queries, &keys, &values})) {
        Node& node = attach_node(context, "CausalAttentionBackward", causal_attention_backward,
                                 {queries, keys, values});
        node.ints = {o.num_heads, o.kv_heads > 0 ? o.kv_heads : o.num_heads, o.window};
        node.saved = {weights};
        if (bits.defined()) node.saved.push_back(bits), node.numbers = {o.dropout_p};
    }
    return context;
}

Tensor causal_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, int64_t num_heads,
                        double dropout_p, bool training) {
    AttentionOptions options;
    options.num_heads = num_heads;
    options.dropout_p = dropout_p;
    options.training = training;
    return causal_attention(queries, keys, values, options);
}

// --- attention over a KV cache (generation) ------------------------------------------
// One step of generation with the cache (MultiHeadAttention::forward_cached) attends T_new
// new queries, usually one, to the rows of a cache (B, kv_heads, capacity, hs) that the
// model keeps between steps. It is head_forward with the queries' own rows at the end of
// the keys: query i sits at row rows - T_new + i and sees the rows up to that one (with a
// window, only the last `window` of them). No gradient and no dropout: generation runs the
// model in eval mode under a NoGradGuard; the op-by-op path serves the other cases.

namespace {

// Where one head of cached_attention finds its queries, keys and values.
struct CachedLayout {
    int64_t new_tokens, d_out, num_heads, head_dim;
    int64_t kv_heads, capacity, rows;  // the cache's heads, rows allocated and rows in use
    int64_t window;                    // 0: none
    const float* slopes;               // ALiBi's m_h per head, or null
    // The first column of head bh (= batch · num_heads + head) in the (B, T_new, C) queries and context.
    int64_t columns(int64_t bh) const { return (bh / num_heads) * new_tokens * d_out + (bh % num_heads) * head_dim; }
    // Row 0 of its key/value head in the (B, kv_heads, capacity, hs) cache.
    int64_t cache_block(int64_t bh) const {
        int64_t group = num_heads / kv_heads;
        return ((bh / num_heads) * kv_heads + (bh % num_heads) / group) * capacity * head_dim;
    }
};

// One head: scores = Q_h K_gᵀ over the rows in use (T_new × rows); each query's row scaled
// (+ ALiBi's bias) and softmaxed over the rows it sees, 0 elsewhere; context_h = weights · V_g.
void cached_head_forward(const CachedLayout& L, int64_t bh, const float* q, const float* k, const float* v,
                         float* context) {
    int64_t n = L.new_tokens, rows = L.rows, at = L.columns(bh), block = L.cache_block(bh);
    float* weights = head_scratch(n * rows);
    gemm(n, rows, L.head_dim, q + at, L.d_out, false, k + block, L.head_dim, true, weights, rows, false);
    float scale = attention_scale(L.head_dim);
    for (int64_t i = 0; i < n; i++) {
        float* w = weights + i * rows;
        int64_t own = rows - n + i;  // this query's own row
        int64_t lo = L.window > 0 ? std::max<int64_t>(0, own - L.window + 1) : 0;
        for (int64_t j = lo; j <= own; j++) w[j] = w[j] / scale;
        if (L.slopes != nullptr) {
            float slope = L.slopes[bh % L.num_heads];
            for (int64_t j = lo; j <= own; j++) w[j] = w[j] + alibi_bias(slope, own - j);
        }
        softmax_row(w + lo, w + lo, own - lo + 1, 1);  // in place: each entry is read before it is written
        std::fill(w, w + lo, 0.0f);
        std::fill(w + own + 1, w + rows, 0.0f);
    }
    gemm(n, L.head_dim, rows, weights, rows, false, v + block, L.head_dim, false, context + at, L.d_out, false);
}

}  // namespace

Tensor cached_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, int64_t rows,
                        const AttentionOptions& o) {
    int64_t kv_heads = o.kv_heads > 0 ? o.kv_heads : o.num_heads;
    bool shapes_ok = queries.dim() == 3 && keys.dim() == 4 && values.shape() == keys.shape() &&
                     keys.size(0) == queries.size(0) && keys.size(1) == kv_heads && o.num_heads > 0 &&
                     o.num_heads % kv_heads == 0 && queries.size(2) == o.num_heads * keys.size(3);
    if (!shapes_ok)
        throw Error("cached_attention: expected queries (batch, new tokens, " + std::to_string(o.num_heads) +
                    " heads x head size) and keys and values (batch, " + std::to_string(kv_heads) +
                    " heads, capacity, head size), got " + shape_to_string(queries.shape()) + ", " +
                    shape_to_string(keys.shape()) + " and " + shape_to_string(values.shape()));
    if (rows < queries.size(1) || rows > keys.size(2))
        throw Error("cached_attention: " + std::to_string(rows) + " rows in use must hold the " +
                    std::to_string(queries.size(1)) + " new tokens and fit the cache's " +
                    std::to_string(keys.size(2)) + " rows");
    if (o.window < 0 || (o.training && o.dropout_p > 0.0) ||
        (!o.alibi_slopes.empty() && static_cast<int64_t>(o.alibi_slopes.size()) != o.num_heads))
        throw Error("cached_attention: window must be >= 0, no dropout, alibi_slopes empty or one per head");
    CachedLayout L{queries.size(1), queries.size(2), o.num_heads, keys.size(3), kv_heads, keys.size(2), rows,
                   o.window, o.alibi_slopes.empty() ? nullptr : o.alibi_slopes.data()};
    Tensor context = empty(queries.shape());
    int64_t work_per_head = 2 * L.new_tokens * rows * L.head_dim;  // multiply-adds: Q·Kᵀ and weights·V
    int64_t grain = std::max<int64_t>(1, (int64_t(1) << 18) / std::max<int64_t>(1, work_per_head));
    parallel_for(queries.size(0) * o.num_heads, grain, [&](int64_t b0, int64_t b1) {
        for (int64_t bh = b0; bh < b1; bh++)
            cached_head_forward(L, bh, queries.data(), keys.data(), values.data(), context.data());
    });
    return context;
}

}  // namespace llm
