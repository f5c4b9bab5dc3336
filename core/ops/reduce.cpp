// Reductions: sum, mean, max, argmax, var — over everything or along one dim.
// Sums are accumulated in double and rounded once, so they do not depend on order.
#include "ops/internal.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace llm {

DimSplit split_at(const Shape& shape, int64_t dim) {
    DimSplit s{1, shape.empty() ? 1 : shape[dim], 1};
    for (int64_t d = 0; d < dim; d++) s.outer *= shape[d];
    for (size_t d = dim + 1; d < shape.size(); d++) s.inner *= shape[d];
    return s;
}

Shape reduced_shape(const Shape& shape, int64_t dim, bool keepdim) {
    Shape out = shape;
    if (out.empty()) return out;
    if (keepdim) out[dim] = 1;
    else out.erase(out.begin() + dim);
    return out;
}

// Copy a reduced gradient (shape with `dim` kept as 1) back over the reduced dim.
static Tensor expand_over_dim(const Tensor& grad, const Shape& input_shape, int64_t dim) {
    Tensor out = zeros(input_shape);
    DimSplit s = split_at(input_shape, dim);
    const float* g = grad.data();
    float* o = out.data();
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t j = 0; j < s.n; j++)
            for (int64_t k = 0; k < s.inner; k++) o[(i * s.n + j) * s.inner + k] = g[i * s.inner + k];
    return out;
}

// --- sum of all elements ------------------------------------------------------

Tensor sum_forward(const Tensor& a) {
    double total = 0.0;
    for (float x : a.values()) total += x;
    return tensor(static_cast<float>(total));
}

// d(Σ a)/da_i = 1
std::vector<Tensor> sum_backward(const Node& node, const Tensor& grad) {
    return {full(node.inputs[0].shape(), grad.item())};
}

Tensor sum(const Tensor& a) {
    Tensor out = sum_forward(a);
    if (a.dtype() != Dtype::float32) return out.to_int64();  // counting ids or bools, like torch
    if (needs_grad({&a})) attach_node(out, "SumBackward0", sum_backward, {a});
    return out;
}

// --- sum along a dim ------------------------------------------------------------

Tensor sum_dim_forward(const Tensor& a, int64_t dim, bool keepdim) {
    DimSplit s = split_at(a.shape(), dim);
    Tensor out = zeros(reduced_shape(a.shape(), dim, keepdim));
    const float* x = a.data();
    float* y = out.data();
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t k = 0; k < s.inner; k++) {
            double total = 0.0;
            for (int64_t j = 0; j < s.n; j++) total += x[(i * s.n + j) * s.inner + k];
            y[i * s.inner + k] = static_cast<float>(total);
        }
    return out;
}

// d(Σ_j a_ij)/da_ij = 1: the gradient is copied along the summed dim
std::vector<Tensor> sum_dim_backward(const Node& node, const Tensor& grad) {
    return {expand_over_dim(grad, node.inputs[0].shape(), node.ints[0])};
}

Tensor sum(const Tensor& a, int64_t dim, bool keepdim) {
    int64_t d = normalize_dim(dim, a.dim(), "sum");
    Tensor out = sum_dim_forward(a, d, keepdim);
    if (needs_grad({&a})) attach_node(out, "SumBackward1", sum_dim_backward, {a}).ints = {d};
    return out;
}

// --- mean -------------------------------------------------------------------------

// d(mean a)/da_i = 1/n
std::vector<Tensor> mean_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    return {full(a.shape(), grad.item() / static_cast<float>(a.numel()))};
}

Tensor mean(const Tensor& a) {
    check_float(a, "mean");
    double total = 0.0;
    for (float x : a.values()) total += x;
    Tensor out = tensor(static_cast<float>(total / static_cast<double>(a.numel())));  // nan when empty
    if (needs_grad({&a})) attach_node(out, "MeanBackward0", mean_backward, {a});
    return out;
}

// d(mean_j a_ij)/da_ij = 1/n along the dim
std::vector<Tensor> mean_dim_backward(const Node& node, const Tensor& grad) {
    int64_t d = node.ints[0];
    float n = static_cast<float>(node.inputs[0].shape()[d]);
    return {div(expand_over_dim(grad, node.inputs[0].shape(), d), n)};
}

Tensor mean(const Tensor& a, int64_t dim, bool keepdim) {
    check_float(a, "mean");
    int64_t d = normalize_dim(dim, a.dim(), "mean");
    DimSplit s = split_at(a.shape(), d);
    Tensor out = zeros(reduced_shape(a.shape(), d, keepdim));
    const float* x = a.data();
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t k = 0; k < s.inner; k++) {
            double total = 0.0;
            for (int64_t j = 0; j < s.n; j++) total += x[(i * s.n + j) * s.inner + k];
            out.data()[i * s.inner + k] = static_cast<float>(total / static_cast<double>(s.n));
        }
    if (needs_grad({&a})) attach_node(out, "MeanBackward1", mean_dim_backward, {a}).ints = {d};
    return out;
}

// --- max ---------------------------------------------------------------------------

// d(max a)/da: the gradient is shared evenly by the elements equal to the max
std::vector<Tensor> max_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    float m = node.saved[0].item();
    int64_t ties = 0;
    for (float x : a.values()) ties += x == m;
    Tensor out = zeros(a.shape());
    for (int64_t i = 0, n = a.numel(); i < n; i++)
        if (a.data()[i] == m) out.data()[i] = grad.item() / static_cast<float>(ties);
    return {out};
}

Tensor max(const Tensor& a) {
    if (a.numel() == 0)
        throw Error("max(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument.");
    float m = -std::numeric_limits<float>::infinity();
    for (float x : a.values()) m = (x > m || std::isnan(x)) ? x : m;
    Tensor out = tensor(m);
    if (needs_grad({&a})) attach_node(out, "MaxBackward1", max_backward, {a}).saved = {out.detach()};
    return out;
}

// Index (along dim) of the first largest value of every slice.
Tensor argmax(const Tensor& a, int64_t dim, bool keepdim) {
    int64_t d = normalize_dim(dim, a.dim(), "argmax");
    DimSplit s = split_at(a.shape(), d);
    if (s.n == 0) throw Error("argmax(): Expected reduction dim " + std::to_string(dim) + " to have non-zero size");
    Tensor out = zeros(reduced_shape(a.shape(), d, keepdim)).to_int64();
    const float* x = a.data();
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t k = 0; k < s.inner; k++) {
            int64_t best = 0;
            for (int64_t j = 1; j < s.n; j++)
                if (x[(i * s.n + j) * s.inner + k] > x[(i * s.n + best) * s.inner + k]) best = j;
            out.data()[i * s.inner + k] = static_cast<float>(best);
        }
    return out;
}

Tensor argmax(const Tensor& a) { return argmax(view(a.detach(), {a.numel()}), 0, false); }

// d(max_j a_ij)/da_ij = 1 at the (first) argmax, 0 elsewhere
std::vector<Tensor> max_dim_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    const Tensor& index = node.saved[0];
    DimSplit s = split_at(a.shape(), node.ints[0]);
    Tensor out = zeros(a.shape());
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t k = 0; k < s.inner; k++) {
            int64_t j = static_cast<int64_t>(index.data()[i * s.inner + k]);
            out.data()[(i * s.n + j) * s.inner + k] = grad.data()[i * s.inner + k];
        }
    return {out};
}

Tensor max(const Tensor& a, int64_t dim, bool keepdim) {
    int64_t d = normalize_dim(dim, a.dim(), "max");
    Tensor index = argmax(a, d, keepdim);
    DimSplit s = split_at(a.shape(), d);
    Tensor out = zeros(index.shape());
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t k = 0; k < s.inner; k++) {
            int64_t j = static_cast<int64_t>(index.data()[i * s.inner + k]);
            out.data()[i * s.inner + k] = a.data()[(i * s.n + j) * s.inner + k];
        }
    if (needs_grad({&a})) {
        Node& node = attach_node(out, "MaxBackward0", max_dim_backward, {a});
        node.saved = {index};
        node.ints = {d};
    }
    return out;
}

// --- variance along a dim (unbiased divides by n-1, like torch.var's default) ---------

Tensor var_forward(const Tensor& a, int64_t dim, bool keepdim, bool unbiased) {
    DimSplit s = split_at(a.shape(), dim);
    Tensor out = zeros(reduced_shape(a.shape(), dim, keepdim));
    const float* x = a.data();
    double divisor = static_cast<double>(s.n) - (unbiased ? 1.0 : 0.0);
    for (int64_t i = 0; i < s.outer; i++)
        for (int64_t k = 0; k < s.inner; k++) {
            double total = 0.0, squares = 0.0;
            for (int64_t j = 0; j < s.n; j++) total += x[(i * s.n + j) * s.inner + k];
            double m = total / static_cast<double>(s.n);
            for (int64_t j = 0; j < s.n; j++) {
                double c = x[(i * s.n + j) * s.inner + k] - m;
                squares += c * c;
            }
            out.data()[i * s.inner + k] = static_cast<float>(squares / divisor);
        }
    return out;
}

// d var/da_ij = 2 (a_ij - mean_i) / (n - correction)
std::vector<Tensor> var_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    int64_t d = node.ints[0];
    double divisor = static_cast<double>(a.shape()[d]) - (node.ints[1] ? 1.0 : 0.0);
    Tensor centered = sub(a, mean(a, d, true));
    Tensor g = expand_over_dim(grad, a.shape(), d);
    return {mul(mul(g, centered), static_cast<float>(2.0 / divisor))};
}

Tensor var(const Tensor& a, int64_t dim, bool keepdim, bool unbiased) {
    check_float(a, "var");
    int64_t d = normalize_dim(dim, a.dim(), "var");
    Tensor out = var_forward(a, d, keepdim, unbiased);
    if (needs_grad({&a})) attach_node(out, "VarBackward0", var_backward, {a}).ints = {d, unbiased ? 1 : 0};
    return out;
}

// --- the backward of broadcasting --------------------------------------------------

// True when `shape` is the trailing dims of `in` (ignoring leading 1s of `shape`), as
// for a bias (C) added to activations (B, T, C).
static bool is_trailing_shape(const Shape& in, const Shape& shape) {
    size_t first = 0;
    while (first < shape.size() && shape[first] == 1) first++;
    size_t k = shape.size() - first;
    if (k > in.size()) return false;
    return std::equal(shape.begin() + static_cast<int64_t>(first), shape.end(), in.end() - static_cast<int64_t>(k));
}

// out[j] = Σ_r a[r][j] over the leading rows, each column summed in row order by one thread,
// in sums of its own until the end: two threads adding into `out` row after row would fight
// over the cache line where their columns meet (the bias gradients of 124M: 2 threads slower
// than 1).
static Tensor sum_leading_rows(const Tensor& a, const Shape& shape) {
    Tensor out = empty(shape);  // every column is written below
    int64_t cols = out.numel(), rows = a.numel() / std::max<int64_t>(cols, 1);
    const float* x = a.data();
    float* y = out.data();
    parallel_for(cols, 256, [&](int64_t j0, int64_t j1) {
        std::vector<float> sums(static_cast<size_t>(j1 - j0), 0.0f);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = j0; j < j1; j++) sums[j - j0] += x[r * cols + j];
        std::copy(sums.begin(), sums.end(), y + j0);
    });
    return out;
}

Tensor sum_to_shape(const Tensor& a, const Shape& shape) {
    if (a.shape() == shape) return a;
    if (numel_of(shape) == 1) return view(sum_forward(a), shape);
    if (is_trailing_shape(a.shape(), shape)) return sum_leading_rows(a, shape);
    Tensor out = zeros(shape);
    std::vector<int64_t> strides = broadcast_strides(shape, a.shape());
    const Shape& in = a.shape();
    int64_t ndim = static_cast<int64_t>(in.size());
    std::vector<int64_t> index(ndim, 0);
    const float* x = a.data();
    float* y = out.data();
    for (int64_t i = 0, n = a.numel(); i < n; i++) {
        int64_t offset = 0;
        for (int64_t d = 0; d < ndim; d++) offset += index[d] * strides[d];
        y[offset] += x[i];
        for (int64_t d = ndim - 1; d >= 0; d--) {
            if (++index[d] < in[d]) break;
            index[d] = 0;
        }
    }
    return out;
}

}  // namespace llm
