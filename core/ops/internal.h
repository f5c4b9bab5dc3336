// Helpers shared by the ops/*.cpp files: broadcasting, splitting a shape at a
// dim, and applying a function to every element. Not part of the public API.
#pragma once

#include "autograd/autograd.h"
#include "kernels/parallel.h"
#include "ops/ops.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

namespace llm {

// PyTorch's broadcasting: align shapes on the right; sizes must match or be 1.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Strides (in elements) for reading a tensor of `shape` as if it had `out`'s
// shape: 0 along the dims that broadcasting stretches.
std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out);

// A shape seen around one dim: `outer` blocks of `n` entries, each entry
// `inner` floats apart. Reductions and softmax loop over (outer, n, inner).
struct DimSplit {
    int64_t outer, n, inner;
};
DimSplit split_at(const Shape& shape, int64_t dim);

// The shape with `dim` set to 1 (keepdim) or removed.
Shape reduced_shape(const Shape& shape, int64_t dim, bool keepdim);

// out_row = softmax of the n entries of row that sit `stride` apart (ops/nn.cpp).
void softmax_row(const float* row, float* out_row, int64_t n, int64_t stride);
// dx = the softmax's backward for those n entries, given g = dL/dy and y = the softmax (ops/nn.cpp).
void softmax_backward_row(const float* g, const float* y, float* dx, int64_t n, int64_t stride);

// The same draws for n elements kept as bits, 32 to a float's storage (read them with
// dropout_bits and kept_bit): bit i is 1 where element i is kept. A mask 32 times smaller,
// which the attention ops keep for backward. One spare word at the end lets a reader take
// 64 bits at a time. (ops/nn.cpp)
Tensor draw_dropout_bits(int64_t n, double p);
inline const uint32_t* dropout_bits(const Tensor& bits) { return reinterpret_cast<const uint32_t*>(bits.data()); }
inline bool kept_bit(const uint32_t* bits, int64_t i) {
    uint64_t at = static_cast<uint64_t>(i);  // unsigned: / 32 and % 32 are a shift and a mask
    return (bits[at / 32] >> (at % 32)) & 1u;
}
// What dropout multiplies a kept element by: 1/(1-p), in float as PyTorch computes it.
inline float kept_scale(double p) { return 1.0f / static_cast<float>(1.0 - p); }
// factors[j] = kept_value where bit first + j of the mask is set, else 0, for j < count,
// written 32 at a time (factors must have room for count rounded up to 32). (ops/nn.cpp)
void dropout_factors(const uint32_t* bits, int64_t first, int64_t count, float kept_value, float* factors);

// Sums in double, several rows side by side (ops/nn.cpp). One long sum is a chain of
// additions, each waiting for the one before (about 4 cycles); kRowsAtOnce rows summed
// together keep that many chains going. Each row is still summed alone, in order from
// its first element, so the results are the same bits as one row at a time.
inline constexpr int64_t kRowsAtOnce = 8;
// Which real row stands at place r (< kRowsAtOnce) of a group of `rows` rows (1 ≤ rows ≤
// kRowsAtOnce): r itself, or the last row for places past the end. The side-by-side loops
// always run kRowsAtOnce places, as a fixed count lets the compiler keep the sums in
// registers (with a variable count they lived in memory), and drop the extra places' sums.
inline int64_t group_row(int64_t r, int64_t rows) { return std::min(r, rows - 1); }
// sums[r] += x[r·stride + j] for j = 0, 1, ..., n-1 in turn, for r < rows (1 ≤ rows ≤
// kRowsAtOnce; none for rows = 0): starting from 0, the rows' sums; starting from what an earlier call left,
// the same sums continued (a long row can be summed a piece at a time).
void add_row_sums(const float* x, int64_t rows, int64_t n, int64_t stride, double* sums);

// The largest of n floats (-inf for none), ignoring NaNs as std::max does. The largest
// value does not depend on the order it is looked for in, so the loop keeps 16 running
// maxima, one 512-bit vector's worth (the pragma stops g++ unrolling the lane loop into 16
// scalar maxima before it would vectorise it), and then halves them: lane l against lane
// l + 8, then + 4, ... Each comparison keeps the lower lane on a tie, as the one-by-one loop
// keeps the first of equal values, so even a tie of -0 and +0 comes out as it did.
inline float max_of(const float* x, int64_t n) {
    constexpr int kLanes = 16;
    float lane[kLanes];
    for (float& m : lane) m = -std::numeric_limits<float>::infinity();
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
#pragma GCC unroll 1
        for (int l = 0; l < kLanes; l++) lane[l] = lane[l] < x[j + l] ? x[j + l] : lane[l];
    }
    for (int width = kLanes / 2; width > 0; width /= 2)
        for (int l = 0; l < width; l++) lane[l] = lane[l] < lane[l + width] ? lane[l + width] : lane[l];
    float m = lane[0];
    for (; j < n; j++) m = std::max(m, x[j]);
    return m;
}

// The attention ops' shared check of queries (B, T, H·hs), keys and values (B, T, kv_heads·hs)
// and the options (ops/attention.cpp); throws llm::Error naming the shapes.
void check_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o);

// out[i] = f(a[i]) for every element.
template <typename F>
Tensor map_unary(const Tensor& a, F f) {
    Tensor out = empty(a.shape());  // every element is written below
    const float* x = a.data();
    float* y = out.data();
    parallel_for(a.numel(), kElementGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) y[i] = f(x[i]);
    });
    return out;
}

// out = f(a, b) elementwise, with a and b broadcast to a common shape.
template <typename F>
Tensor map_binary(const Tensor& a, const Tensor& b, const char* op, F f) {
    Shape out_shape = broadcast_shapes(a.shape(), b.shape(), op);
    Tensor out = empty(out_shape);  // every element is written below
    const float* x = a.data();
    const float* y = b.data();
    float* z = out.data();
    int64_t n = out.numel();
    if (a.shape() == b.shape()) {  // the common case: no broadcasting
        parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; i++) z[i] = f(x[i], y[i]);
        });
        return out;
    }
    if (n == 0) return out;
    // Walk the output row by row (a row = the last dim), reading a and b through
    // their broadcast strides.
    std::vector<int64_t> sa = broadcast_strides(a.shape(), out_shape);
    std::vector<int64_t> sb = broadcast_strides(b.shape(), out_shape);
    int64_t ndim = static_cast<int64_t>(out_shape.size());
    int64_t last = ndim ? out_shape.back() : 1;
    int64_t last_a = ndim ? sa.back() : 0, last_b = ndim ? sb.back() : 0;
    std::vector<int64_t> index(ndim, 0);
    for (int64_t row = 0; row < n / last; row++) {
        int64_t oa = 0, ob = 0;
        for (int64_t d = 0; d + 1 < ndim; d++) {
            oa += index[d] * sa[d];
            ob += index[d] * sb[d];
        }
        for (int64_t j = 0; j < last; j++) z[row * last + j] = f(x[oa + j * last_a], y[ob + j * last_b]);
        for (int64_t d = ndim - 2; d >= 0; d--) {  // advance the odometer
            if (++index[d] < out_shape[d]) break;
            index[d] = 0;
        }
    }
    return out;
}

// Throws unless the tensor is float32 (ops that need real values).
void check_float(const Tensor& t, const char* op);

}  // namespace llm
