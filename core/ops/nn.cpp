// Neural-network functions: softmax, log_softmax, layer_norm, rms_norm, embedding, dropout.
#include "kernels/fast_exp.h"
#include "ops/internal.h"
#include "random/random.h"

#include <cmath>
#include <limits>
#include <vector>

namespace llm {

// --- softmax along a dim:  y_i = exp(x_i - max) / Σ_j exp(x_j - max) ------------
// Subtracting the max changes nothing mathematically and keeps exp from overflowing.

// One softmax: n entries `stride` apart (declared in ops/internal.h; the fused
// attention of ops/attention.cpp uses it too).
// The exps use fast_exp (kernels/fast_exp.h, within about 1 ulp of std::exp), which unlike std::exp
// the compiler can vectorise: when the entries are contiguous (stride 1, the last dim),
// the exp loop runs 8 entries at a time. The sum stays a separate loop, in double and
// in index order, so it adds in exactly the same order whatever the vector width.
void softmax_row(const float* row, float* out_row, int64_t n, int64_t stride) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; j++) m = std::max(m, row[j * stride]);
    if (stride == 1) {
        for (int64_t j = 0; j < n; j++) out_row[j] = fast_exp(row[j] - m);
    } else {
        for (int64_t j = 0; j < n; j++) out_row[j * stride] = fast_exp(row[j * stride] - m);
    }
    double total = 0.0;
    for (int64_t j = 0; j < n; j++) total += out_row[j * stride];
    for (int64_t j = 0; j < n; j++) out_row[j * stride] = static_cast<float>(out_row[j * stride] / total);
}

Tensor softmax_forward(const Tensor& a, int64_t dim) {
    DimSplit s = split_at(a.shape(), dim);
    Tensor out = empty(a.shape());  // every row is written by softmax_row
    const float* x = a.data();
    float* y = out.data();
    parallel_for(s.outer, 1 + 4096 / std::max<int64_t>(1, s.n * s.inner), [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++)
            for (int64_t k = 0; k < s.inner; k++)  // entry j of this softmax is at [j * inner]
                softmax_row(x + i * s.n * s.inner + k, y + i * s.n * s.inner + k, s.n, s.inner);
    });
    return out;
}

void add_row_sums(const float* x, int64_t rows, int64_t n, int64_t stride, double* sums) {
    if (rows <= 0) return;
    const float* row[kRowsAtOnce];
    double acc[kRowsAtOnce];
    for (int64_t r = 0; r < kRowsAtOnce; r++) {
        row[r] = x + group_row(r, rows) * stride;
        acc[r] = sums[group_row(r, rows)];
    }
    for (int64_t j = 0; j < n; j++)
        for (int64_t r = 0; r < kRowsAtOnce; r++) acc[r] += row[r][j];
    for (int64_t r = 0; r < rows; r++) sums[r] = acc[r];
}

// One softmax's backward, n entries `stride` apart (declared in ops/internal.h; the fused
// attention uses it too): dx_i = y_i · (dL/dy_i - Σ_j dL/dy_j · y_j), the sum in double.
// g, y, dx: (n) entries of dL/dy, the softmax output and dL/dx
void softmax_backward_row(const float* g, const float* y, float* dx, int64_t n, int64_t stride) {
    double dot = 0.0;
    for (int64_t j = 0; j < n; j++) dot += g[j * stride] * y[j * stride];
    for (int64_t j = 0; j < n; j++) dx[j * stride] = y[j * stride] * (g[j * stride] - static_cast<float>(dot));
}

// dL/dx_i = y_i · (dL/dy_i - Σ_j dL/dy_j · y_j)
std::vector<Tensor> softmax_backward(const Node& node, const Tensor& grad) {
    const Tensor& y = node.saved[0];
    DimSplit s = split_at(y.shape(), node.ints[0]);
    Tensor dx = empty(y.shape());  // every element is written below
    const float *g = grad.data(), *yv = y.data();
    float* d = dx.data();
    parallel_for(s.outer, 1 + 4096 / std::max<int64_t>(1, s.n * s.inner), [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++)
            for (int64_t k = 0; k < s.inner; k++) {  // entry j of this softmax is at [j * inner]
                int64_t base = i * s.n * s.inner + k;
                softmax_backward_row(g + base, yv + base, d + base, s.n, s.inner);
            }
    });
    return {dx};
}

Tensor softmax(const Tensor& a, int64_t dim) {
    check_float(a, "softmax");
    int64_t d = normalize_dim(dim, a.dim(), "softmax");
    Tensor out = softmax_forward(a, d);
    if (needs_grad({&a})) {
        Node& node = attach_node(out, "SoftmaxBackward0", softmax_backward, {a});
        node.saved = {out.detach()};
        node.ints = {d};
    }
    return out;
}

// --- log_softmax:  y_i = x_i - max - log Σ_j exp(x_j - max) -------------------------

Tensor log_softmax_forward(const Tensor& a, int64_t dim) {
    DimSplit s = split_at(a.shape(), dim);
    Tensor out = zeros(a.shape());
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t k = 0; k < s.inner; k++) {
            int64_t base = i * s.n * s.inner + k;
            float m = -std::numeric_limits<float>::infinity();
            for (int64_t j = 0; j < s.n; j++) m = std::max(m, a.data()[base + j * s.inner]);
            double total = 0.0;
            for (int64_t j = 0; j < s.n; j++) total += std::exp(static_cast<double>(a.data()[base + j * s.inner] - m));
            float log_total = static_cast<float>(std::log(total));
            for (int64_t j = 0; j < s.n; j++) out.data()[base + j * s.inner] = a.data()[base + j * s.inner] - m - log_total;
        }
    return out;
}

// dL/dx_i = dL/dy_i - softmax_i · Σ_j dL/dy_j
std::vector<Tensor> log_softmax_backward(const Node& node, const Tensor& grad) {
    const Tensor& y = node.saved[0];
    DimSplit s = split_at(y.shape(), node.ints[0]);
    Tensor dx = zeros(y.shape());
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t k = 0; k < s.inner; k++) {
            int64_t base = i * s.n * s.inner + k;
            double total = 0.0;
            for (int64_t j = 0; j < s.n; j++) total += grad.data()[base + j * s.inner];
            for (int64_t j = 0; j < s.n; j++) {
                int64_t at = base + j * s.inner;
                dx.data()[at] = grad.data()[at] - std::exp(y.data()[at]) * static_cast<float>(total);
            }
        }
    return {dx};
}

Tensor log_softmax(const Tensor& a, int64_t dim) {
    check_float(a, "log_softmax");
    int64_t d = normalize_dim(dim, a.dim(), "log_softmax");
    Tensor out = log_softmax_forward(a, d);
    if (needs_grad({&a})) {
        Node& node = attach_node(out, "LogSoftmaxBackward0", log_softmax_backward, {a});
        node.saved = {out.detach()};
        node.ints = {d};
    }
    return out;
}

// --- layer_norm over the last dim (book section 4.2) ----------------------------------
// y = scale · (x - mean) / sqrt(var + eps) + shift, with the biased variance (÷ n).

// squares[r] = Σ_j (x[r·n + j] - m[r])², in double and in order of j, for r < rows ≤
// kRowsAtOnce, the rows side by side as in add_row_sums. x: (rows, n); m, squares: (rows)
static void add_squared_deviations(const float* x, int64_t rows, int64_t n, const double* m, double* squares) {
    const float* row[kRowsAtOnce];
    double row_mean[kRowsAtOnce], sums[kRowsAtOnce] = {};
    for (int64_t r = 0; r < kRowsAtOnce; r++) {
        row[r] = x + group_row(r, rows) * n;
        row_mean[r] = m[group_row(r, rows)];
    }
    for (int64_t j = 0; j < n; j++)
        for (int64_t r = 0; r < kRowsAtOnce; r++) {
            double deviation = row[r][j] - row_mean[r];
            sums[r] += deviation * deviation;
        }
    for (int64_t r = 0; r < rows; r++) squares[r] = sums[r];
}

// Per row: the mean and 1/sqrt(var + eps), saved for backward; here those of kRowsAtOnce
// rows (or fewer) of n values, each row's sums in double and in order, the rows side by
// side (ops/internal.h). x: (rows, n); mean, rstd: (rows)
static void row_statistics(const float* x, int64_t rows, int64_t n, float eps, float* mean, float* rstd) {
    double totals[kRowsAtOnce] = {}, m[kRowsAtOnce], squares[kRowsAtOnce];
    add_row_sums(x, rows, n, n, totals);
    for (int64_t r = 0; r < rows; r++) m[r] = totals[r] / static_cast<double>(n);
    add_squared_deviations(x, rows, n, m, squares);
    for (int64_t r = 0; r < rows; r++) {
        mean[r] = static_cast<float>(m[r]);
        rstd[r] = static_cast<float>(1.0 / std::sqrt(squares[r] / static_cast<double>(n) + eps));
    }
}

Tensor layer_norm_forward(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps,
                          Tensor& mean_out, Tensor& rstd_out) {
    int64_t n = x.size(-1), rows = x.numel() / std::max<int64_t>(n, 1);
    Tensor y = empty(x.shape());  // every row is written below
    mean_out = zeros({rows});
    rstd_out = zeros({rows});
    const float *xv = x.data(), *sc = scale.data(), *sh = shift.data();
    float *yv = y.data(), *mv = mean_out.data(), *rv = rstd_out.data();
    int64_t groups = (rows + kRowsAtOnce - 1) / kRowsAtOnce;  // of kRowsAtOnce rows
    parallel_for(groups, 1 + 4096 / std::max<int64_t>(1, n * kRowsAtOnce), [&](int64_t g0, int64_t g1) {
        for (int64_t r0 = g0 * kRowsAtOnce; r0 < std::min(rows, g1 * kRowsAtOnce); r0 += kRowsAtOnce) {
            int64_t count = std::min(kRowsAtOnce, rows - r0);
            row_statistics(xv + r0 * n, count, n, eps, mv + r0, rv + r0);
            for (int64_t r = r0; r < r0 + count; r++)
                for (int64_t j = 0; j < n; j++) yv[r * n + j] = sc[j] * ((xv[r * n + j] - mv[r]) * rv[r]) + sh[j];
        }
    });
    return y;
}

// The two sums in layer norm's dx, per row: dxhat_sum[r] = Σ_j dx̂, dxhat_xhat_sum[r] =
// Σ_j dx̂·x̂ (x̂ = (x - mean)·rstd, dx̂ = dy·scale), in double and in order of j, for r < rows ≤
// kRowsAtOnce, the rows side by side as in add_row_sums. x, g: (rows, n); scale: (n);
// mean, rstd: (rows)
static void dxhat_sums(const float* x, const float* g, const float* scale, const float* mean, const float* rstd,
                       int64_t rows, int64_t n, double* dxhat_sum, double* dxhat_xhat_sum) {
    const float *x_row[kRowsAtOnce], *g_row[kRowsAtOnce];
    float mu[kRowsAtOnce], rs[kRowsAtOnce];
    double sum1[kRowsAtOnce] = {}, sum2[kRowsAtOnce] = {};
    for (int64_t r = 0; r < kRowsAtOnce; r++) {
        int64_t real = group_row(r, rows);
        x_row[r] = x + real * n;
        g_row[r] = g + real * n;
        mu[r] = mean[real];
        rs[r] = rstd[real];
    }
    for (int64_t j = 0; j < n; j++)
        for (int64_t r = 0; r < kRowsAtOnce; r++) {
            float xhat = (x_row[r][j] - mu[r]) * rs[r];
            float dxhat = g_row[r][j] * scale[j];
            sum1[r] += dxhat;
            sum2[r] += dxhat * xhat;
        }
    for (int64_t r = 0; r < rows; r++) {
        dxhat_sum[r] = sum1[r];
        dxhat_xhat_sum[r] = sum2[r];
    }
}

// With x̂ = (x - mean)·rstd and dx̂ = dy·scale:
// dx = rstd · (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)),  dscale = Σ_rows dy·x̂,  dshift = Σ_rows dy
std::vector<Tensor> layer_norm_backward(const Node& node, const Tensor& grad) {
    const Tensor& x = node.inputs[0];
    const Tensor& scale = node.inputs[1];
    int64_t n = x.size(-1), rows = x.numel() / std::max<int64_t>(n, 1);
    Tensor dx = empty(x.shape()), dscale = zeros(scale.shape()), dshift = zeros(scale.shape());
    const float *xv = x.data(), *g = grad.data(), *sc = scale.data();
    const float *mean = node.saved[0].data(), *rstd = node.saved[1].data();
    float *dxv = dx.data(), *dsc = dscale.data(), *dsh = dshift.data();
    int64_t groups = (rows + kRowsAtOnce - 1) / kRowsAtOnce;  // dx, kRowsAtOnce rows side by side
    parallel_for(groups, 1 + 4096 / std::max<int64_t>(1, n * kRowsAtOnce), [&](int64_t g0, int64_t g1) {
        for (int64_t r0 = g0 * kRowsAtOnce; r0 < std::min(rows, g1 * kRowsAtOnce); r0 += kRowsAtOnce) {
            int64_t count = std::min(kRowsAtOnce, rows - r0);
            double mean_dxhat[kRowsAtOnce], mean_dxhat_xhat[kRowsAtOnce];  // each row's sums, in order
            dxhat_sums(xv + r0 * n, g + r0 * n, sc, mean + r0, rstd + r0, count, n, mean_dxhat, mean_dxhat_xhat);
            for (int64_t r = 0; r < count; r++) {
                const float *xr = xv + (r0 + r) * n, *gr = g + (r0 + r) * n;
                float m1 = static_cast<float>(mean_dxhat[r] / static_cast<double>(n));
                float m2 = static_cast<float>(mean_dxhat_xhat[r] / static_cast<double>(n));
                float mu = mean[r0 + r], rs = rstd[r0 + r];
                for (int64_t j = 0; j < n; j++) {
                    float xhat = (xr[j] - mu) * rs;
                    dxv[(r0 + r) * n + j] = rs * (gr[j] * sc[j] - m1 - xhat * m2);
                }
            }
        }
    });
    // dscale and dshift, column by column, in this thread's own sums until the end (two threads
    // adding into one array row after row fight over the cache line where their columns meet)
    parallel_for(n, 64, [&](int64_t j0, int64_t j1) {
        std::vector<float> scale_sums(static_cast<size_t>(j1 - j0), 0.0f), shift_sums(scale_sums);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = j0; j < j1; j++) {
                float gj = g[r * n + j];
                scale_sums[j - j0] += gj * ((xv[r * n + j] - mean[r]) * rstd[r]);
                shift_sums[j - j0] += gj;
            }
        std::copy(scale_sums.begin(), scale_sums.end(), dsc + j0);
        std::copy(shift_sums.begin(), shift_sums.end(), dsh + j0);
    });
    return {dx, dscale, dshift};
}

Tensor layer_norm(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps) {
    check_float(x, "layer_norm");
    if (x.dim() == 0 || scale.shape() != Shape{x.size(-1)} || shift.shape() != Shape{x.size(-1)})
        throw Error("layer_norm: scale " + shape_to_string(scale.shape()) + " and shift " +
                    shape_to_string(shift.shape()) + " must both be [" + (x.dim() ? std::to_string(x.size(-1)) : "?") +
                    "], the last dim of the input " + shape_to_string(x.shape()));
    Tensor mean, rstd;
    Tensor y = layer_norm_forward(x, scale, shift, eps, mean, rstd);
    if (needs_grad({&x, &scale, &shift}))
        attach_node(y, "NativeLayerNormBackward0", layer_norm_backward, {x, scale, shift}).saved = {mean, rstd};
    return y;
}

// --- rms_norm over the last dim (RMSNorm, Zhang & Sennrich 2019; the attention lab) -------
// y = x / sqrt(mean(x²) + eps) · weight: layer norm without the mean and without a shift.

// Per row: 1/sqrt(mean(x²) + eps), saved for backward.
Tensor rms_norm_forward(const Tensor& x, const Tensor& weight, float eps, Tensor& rstd_out) {
    int64_t n = x.size(-1), rows = x.numel() / std::max<int64_t>(n, 1);
    Tensor y = empty(x.shape());  // every row is written below
    rstd_out = zeros({rows});
    const float *xv = x.data(), *w = weight.data();
    float *yv = y.data(), *rv = rstd_out.data();
    parallel_for(rows, 1 + 4096 / std::max<int64_t>(1, n), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
            const float* row = xv + r * n;
            double squares = 0.0;
            for (int64_t j = 0; j < n; j++) squares += static_cast<double>(row[j]) * row[j];
            float rstd = static_cast<float>(1.0 / std::sqrt(squares / static_cast<double>(n) + eps));
            for (int64_t j = 0; j < n; j++) yv[r * n + j] = w[j] * (row[j] * rstd);
            rv[r] = rstd;
        }
    });
    return y;
}

// With x̂ = x·rstd and dx̂ = dy·weight:  dx = rstd · (dx̂ - x̂ · mean(dx̂ · x̂)),  dweight = Σ_rows dy·x̂
std::vector<Tensor> rms_norm_backward(const Node& node, const Tensor& grad) {
    const Tensor& x = node.inputs[0];
    const Tensor& weight = node.inputs[1];
    int64_t n = x.size(-1), rows = x.numel() / std::max<int64_t>(n, 1);
    Tensor dx = empty(x.shape()), dweight = zeros(weight.shape());
    const float *xv = x.data(), *g = grad.data(), *w = weight.data(), *rstd = node.saved[0].data();
    float *dxv = dx.data(), *dw = dweight.data();
    parallel_for(rows, 1 + 4096 / std::max<int64_t>(1, n), [&](int64_t r0, int64_t r1) {  // dx, row by row
        for (int64_t r = r0; r < r1; r++) {
            const float *xr = xv + r * n, *gr = g + r * n;
            double dot = 0.0;
            for (int64_t j = 0; j < n; j++) dot += (gr[j] * w[j]) * (xr[j] * rstd[r]);
            float m = static_cast<float>(dot / static_cast<double>(n));
            for (int64_t j = 0; j < n; j++) dxv[r * n + j] = rstd[r] * (gr[j] * w[j] - (xr[j] * rstd[r]) * m);
        }
    });
    parallel_for(n, 64, [&](int64_t j0, int64_t j1) {  // dweight, column by column, as layer norm's dscale
        std::vector<float> sums(static_cast<size_t>(j1 - j0), 0.0f);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = j0; j < j1; j++) sums[j - j0] += g[r * n + j] * (xv[r * n + j] * rstd[r]);
        std::copy(sums.begin(), sums.end(), dw + j0);
    });
    return {dx, dweight};
}

Tensor rms_norm(const Tensor& x, const Tensor& weight, float eps) {
    check_float(x, "rms_norm");
    if (x.dim() == 0 || weight.shape() != Shape{x.size(-1)})
        throw Error("rms_norm: weight " + shape_to_string(weight.shape()) + " must be [" +
                    (x.dim() ? std::to_string(x.size(-1)) : "?") + "], the last dim of the input " +
                    shape_to_string(x.shape()));
    Tensor rstd;
    Tensor y = rms_norm_forward(x, weight, eps, rstd);
    if (needs_grad({&x, &weight})) attach_node(y, "RmsNormBackward", rms_norm_backward, {x, weight}).saved = {rstd};
    return y;
}

// --- embedding: look up one row of the weight per id ----------------------------------

Tensor embedding_forward(const Tensor& weight, const Tensor& ids) {
    int64_t rows = weight.size(0), dim = weight.size(1);
    Shape shape = ids.shape();
    shape.push_back(dim);
    Tensor out = empty(shape);  // every row is copied below
    const float *id_values = ids.data(), *table = weight.data();
    float* to = out.data();
    for (int64_t i = 0, n = ids.numel(); i < n; i++) {
        float id = id_values[i];
        if (!(id >= 0 && id < static_cast<float>(rows)))
            throw Error("embedding: index " + std::to_string(static_cast<int64_t>(id)) +
                        " is out of range for a table of " + std::to_string(rows) + " rows (index out of range in self)");
        const float* from = table + static_cast<int64_t>(id) * dim;
        std::copy(from, from + dim, to + i * dim);
    }
    return out;
}

// Each looked-up row's gradient is added to that row of dL/dweight
std::vector<Tensor> embedding_backward(const Node& node, const Tensor& grad) {
    const Tensor& weight = node.inputs[0];
    const Tensor& ids = node.saved[0];
    int64_t dim = weight.size(1);
    Tensor dweight = zeros(weight.shape());
    for (int64_t i = 0, n = ids.numel(); i < n; i++) {
        float* row = dweight.data() + static_cast<int64_t>(ids.data()[i]) * dim;
        for (int64_t j = 0; j < dim; j++) row[j] += grad.data()[i * dim + j];
    }
    return {dweight};
}

Tensor embedding(const Tensor& weight, const Tensor& ids) {
    if (weight.dim() != 2) throw Error("embedding: weight must be 2-D, got " + shape_to_string(weight.shape()));
    if (ids.dtype() != Dtype::int64)
        throw Error("embedding: Expected tensor for argument #1 'indices' to have one of the following scalar "
                    "types: Long, Int; but got a float tensor of shape " + shape_to_string(ids.shape()));
    Tensor out = embedding_forward(weight, ids);
    if (needs_grad({&weight})) attach_node(out, "EmbeddingBackward0", embedding_backward, {weight}).saved = {ids.detach()};
    return out;
}

// --- dropout (book section 3.5.2) --------------------------------------------------------
// In training, each element is kept with probability 1-p and then scaled by 1/(1-p),
// so the expected value is unchanged; in eval mode (or p = 0) it is the identity.
// The mask is drawn in one place, random/random.cpp, exactly as PyTorch draws it, and kept
// as bits (the book's mask of 0 and 1/(1-p) as floats would be 32 times larger); each
// element is multiplied by the factor its bit stands for, so the values are the mask's.

Tensor draw_dropout_bits(int64_t n, double p) {
    Tensor bits = zeros({(n + 31) / 32 + 1});  // all dropped, as p = 1 leaves it; one word spare at the end
    if (p < 1.0) dropout_mask_bits(reinterpret_cast<uint32_t*>(bits.data()), n, p);
    return bits;
}

// 32 bits at a time from a 64-bit window, so the inner loop has a fixed length and the
// compiler turns it into vector shifts.
void dropout_factors(const uint32_t* bits, int64_t first, int64_t count, float kept_value, float* factors) {
    for (int64_t j0 = 0; j0 < count; j0 += 32) {
        uint64_t at = static_cast<uint64_t>(first + j0);
        uint64_t window = bits[at / 32];
        if ((at % 32) != 0) window |= uint64_t(bits[at / 32 + 1]) << 32;  // the next word, when the 32 straddle two
        uint32_t word = static_cast<uint32_t>(window >> (at % 32));
        for (int b = 0; b < 32; b++) factors[j0 + b] = (word >> b) & 1u ? kept_value : 0.0f;
    }
}

// out[i] = x[i] · (kept_value or 0, as bit i says), for i < n, 1024 at a time on all threads.
// x, out: n values; bits: draw_dropout_bits(n, p)
static void multiply_by_mask(const float* x, const uint32_t* bits, float kept_value, float* out, int64_t n) {
    constexpr int64_t kChunk = 1024;  // a multiple of 32: each chunk starts at a word
    parallel_for((n + kChunk - 1) / kChunk, 16, [&](int64_t c0, int64_t c1) {
        float factors[kChunk];
        for (int64_t c = c0; c < c1; c++) {
            int64_t first = c * kChunk, count = std::min(kChunk, n - first);
            dropout_factors(bits, first, count, kept_value, factors);
            for (int64_t i = 0; i < count; i++) out[first + i] = x[first + i] * factors[i];
        }
    });
}

// d(x · mask)/dx = mask
std::vector<Tensor> dropout_backward(const Node& node, const Tensor& grad) {
    Tensor dx = empty(grad.shape());  // every element is written
    multiply_by_mask(grad.data(), dropout_bits(node.saved[0]), static_cast<float>(node.numbers[0]), dx.data(),
                     grad.numel());
    return {dx};
}

Tensor dropout(const Tensor& a, double p, bool training) {
    if (p < 0.0 || p > 1.0)
        throw Error("dropout probability has to be between 0 and 1, but got " + std::to_string(p));
    if (!training || p == 0.0 || a.numel() == 0) return a;
    check_float(a, "dropout");
    Tensor bits = draw_dropout_bits(a.numel(), p);
    float kept_value = p < 1.0 ? kept_scale(p) : 0.0f;
    Tensor out = empty(a.shape());  // every element is written
    multiply_by_mask(a.data(), dropout_bits(bits), kept_value, out.data(), a.numel());
    if (needs_grad({&a})) {
        Node& node = attach_node(out, "MulBackward0", dropout_backward, {a});
        node.saved = {bits};
        node.numbers = {kept_value};
    }
    return out;
}

}  // namespace llm
