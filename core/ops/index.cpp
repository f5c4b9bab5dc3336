// Joining and slicing: cat, stack, narrow/slice, select, split/chunk,
// index_select, masked_fill.
#include "ops/internal.h"

#include <utility>

namespace llm {

// Copy `len` entries of dim (seen as outer × n × inner) from src starting at
// src_start into dst (dim size dst_n) starting at dst_start.
static void copy_along_dim(const float* src, int64_t src_n, int64_t src_start, float* dst,
                           int64_t dst_n, int64_t dst_start, int64_t len, int64_t outer, int64_t inner) {
    for (int64_t i = 0; i < outer; i++) {
        const float* from = src + (i * src_n + src_start) * inner;
        float* to = dst + (i * dst_n + dst_start) * inner;
        for (int64_t k = 0; k < len * inner; k++) to[k] = from[k];
    }
}

// --- cat -------------------------------------------------------------------------

Tensor cat_forward(const std::vector<Tensor>& tensors, int64_t dim) {
    Shape shape = tensors[0].shape();
    shape[dim] = 0;
    for (const Tensor& t : tensors) {
        Shape a = t.shape(), b = tensors[0].shape();
        a[dim] = b[dim] = 0;
        if (a != b)
            throw Error("cat: Sizes of tensors must match except in dimension " + std::to_string(dim) +
                        " (got " + shape_to_string(tensors[0].shape()) + " and " + shape_to_string(t.shape()) + ")");
        shape[dim] += t.shape()[dim];
    }
    Tensor out = zeros(shape);
    DimSplit s = split_at(shape, dim);
    int64_t at = 0;
    for (const Tensor& t : tensors) {
        int64_t len = t.shape()[dim];
        copy_along_dim(t.data(), len, 0, out.data(), s.n, at, len, s.outer, s.inner);
        at += len;
    }
    return Tensor(shape, out.values(), tensors[0].dtype());
}

// Each input gets back its own slice of the gradient
std::vector<Tensor> cat_backward(const Node& node, const Tensor& grad) {
    std::vector<Tensor> grads;
    int64_t dim = node.ints[0], at = 0;
    for (const Tensor& t : node.inputs) {
        grads.push_back(narrow(grad, dim, at, t.shape()[dim]));
        at += t.shape()[dim];
    }
    return grads;
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
    if (tensors.empty()) throw Error("cat(): expected a non-empty list of Tensors");
    int64_t d = normalize_dim(dim, tensors[0].dim(), "cat");
    for (const Tensor& t : tensors)
        if (t.dim() != tensors[0].dim())
            throw Error("cat: Tensors must have same number of dimensions: got " +
                        std::to_string(tensors[0].dim()) + " and " + std::to_string(t.dim()));
    Tensor out = cat_forward(tensors, d);
    if (needs_grad(tensors)) attach_node(out, "CatBackward0", cat_backward, tensors).ints = {d};
    return out;
}

// --- stack: cat along a new dim ---------------------------------------------------

// Each input gets back its own slice of the gradient, without the new dim
std::vector<Tensor> stack_backward(const Node& node, const Tensor& grad) {
    std::vector<Tensor> grads;
    for (size_t i = 0; i < node.inputs.size(); i++) grads.push_back(select(grad, node.ints[0], static_cast<int64_t>(i)));
    return grads;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
    if (tensors.empty()) throw Error("stack expects a non-empty TensorList");
    int64_t d = normalize_dim(dim, tensors[0].dim() + 1, "stack");
    std::vector<Tensor> parts;
    for (const Tensor& t : tensors) {
        if (t.shape() != tensors[0].shape())
            throw Error("stack expects each tensor to be equal size, but got " + shape_to_string(tensors[0].shape()) +
                        " at entry 0 and " + shape_to_string(t.shape()) + " at entry " + std::to_string(parts.size()));
        Shape s = t.shape();
        s.insert(s.begin() + d, 1);
        parts.push_back(t.detach().view(s));
    }
    Tensor out = cat_forward(parts, d);
    if (needs_grad(tensors)) attach_node(out, "StackBackward0", stack_backward, tensors).ints = {d};
    return out;
}

// --- narrow / slice / select ---------------------------------------------------------

Tensor narrow_forward(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
    Shape shape = a.shape();
    shape[dim] = length;
    Tensor out = empty(shape);  // every element is copied in below
    DimSplit s = split_at(a.shape(), dim);
    copy_along_dim(a.data(), s.n, start, out.data(), length, 0, length, s.outer, s.inner);
    return Tensor(shape, std::move(out.values()), a.dtype());  // the values moved, not copied, into a's dtype
}

// The slice's gradient goes back to where the slice came from; zero elsewhere
std::vector<Tensor> narrow_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    int64_t dim = node.ints[0], start = node.ints[1], length = node.ints[2];
    Tensor out = zeros(a.shape());
    DimSplit s = split_at(a.shape(), dim);
    copy_along_dim(grad.data(), length, 0, out.data(), s.n, start, length, s.outer, s.inner);
    return {out};
}

static Tensor narrow_named(const Tensor& a, int64_t dim, int64_t start, int64_t length, const char* name) {
    Tensor out = narrow_forward(a, dim, start, length);
    if (needs_grad({&a})) attach_node(out, name, narrow_backward, {a}).ints = {dim, start, length};
    return out;
}

Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
    int64_t d = normalize_dim(dim, a.dim(), "narrow");
    int64_t n = a.shape()[d];
    if (start < 0) start += n;
    if (start < 0 || length < 0 || start + length > n)
        throw Error("narrow: start (" + std::to_string(start) + ") + length (" + std::to_string(length) +
                    ") exceeds dimension size (" + std::to_string(n) + ") of shape " + shape_to_string(a.shape()));
    return narrow_named(a, d, start, length, "SliceBackward0");
}

Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t end) {
    int64_t d = normalize_dim(dim, a.dim(), "slice");
    int64_t n = a.shape()[d];
    // Python's slice rules: negative counts from the end, out-of-range is clamped.
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = std::min(std::max<int64_t>(start, 0), n);
    end = std::min(std::max<int64_t>(end, start), n);
    return narrow_named(a, d, start, end - start, "SliceBackward0");
}

Tensor select(const Tensor& a, int64_t dim, int64_t index) {
    if (a.dim() == 0) throw Error("select() cannot be applied to a 0-dim tensor.");
    int64_t d = normalize_dim(dim, a.dim(), "select");
    int64_t n = a.shape()[d];
    if (index < -n || index >= n)
        throw Error("select(): index " + std::to_string(index) + " out of range for tensor of size " +
                    shape_to_string(a.shape()) + " at dimension " + std::to_string(d));
    if (index < 0) index += n;
    Tensor row = narrow_named(a, d, index, 1, "SelectBackward0");
    Shape shape = a.shape();
    shape.erase(shape.begin() + d);
    row.impl()->shape = shape;  // drop the dim; the node's backward reshapes via input shape
    return row;
}

// --- split / chunk -------------------------------------------------------------------

std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim) {
    int64_t d = normalize_dim(dim, a.dim(), "split");
    if (split_size <= 0) throw Error("split expects split_size be positive, but got split_size=" + std::to_string(split_size));
    std::vector<Tensor> parts;
    int64_t n = a.shape()[d];
    for (int64_t start = 0; start < n; start += split_size)
        parts.push_back(narrow_named(a, d, start, std::min(split_size, n - start), "SplitBackward0"));
    return parts;
}

std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim) {
    if (chunks <= 0) throw Error("chunk expects `chunks` to be greater than 0, got: " + std::to_string(chunks));
    int64_t n = a.shape()[normalize_dim(dim, a.dim(), "chunk")];
    return split(a, std::max<int64_t>(1, (n + chunks - 1) / chunks), dim);
}

// --- index_select ---------------------------------------------------------------------

Tensor index_select_forward(const Tensor& a, int64_t dim, const Tensor& index) {
    DimSplit s = split_at(a.shape(), dim);
    Shape shape = a.shape();
    shape[dim] = index.numel();
    Tensor out = empty(shape);  // every element is copied in below
    for (int64_t j = 0; j < index.numel(); j++) {
        int64_t row = static_cast<int64_t>(index.data()[j]);
        if (row < 0 || row >= s.n)
            throw Error("index_select(): index " + std::to_string(row) + " out of range for dimension " +
                        std::to_string(dim) + " of size " + std::to_string(s.n));
        copy_along_dim(a.data(), s.n, row, out.data(), index.numel(), j, 1, s.outer, s.inner);
    }
    return Tensor(shape, std::move(out.values()), a.dtype());  // the values moved, not copied
}

// Each picked row's gradient is added back to the row it came from
std::vector<Tensor> index_select_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    const Tensor& index = node.saved[0];
    DimSplit s = split_at(a.shape(), node.ints[0]);
    Tensor out = zeros(a.shape());
    for (int64_t j = 0; j < index.numel(); j++) {
        int64_t row = static_cast<int64_t>(index.data()[j]);
        for (int64_t i = 0; i < s.outer; i++)
            for (int64_t k = 0; k < s.inner; k++)
                out.data()[(i * s.n + row) * s.inner + k] += grad.data()[(i * index.numel() + j) * s.inner + k];
    }
    return {out};
}

Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index) {
    if (index.dim() > 1 || index.dtype() != Dtype::int64)
        throw Error("index_select(): Index is supposed to be a vector of int64, got shape " + shape_to_string(index.shape()));
    int64_t d = normalize_dim(dim, a.dim(), "index_select");
    Tensor out = index_select_forward(a, d, index);
    if (needs_grad({&a})) {
        Node& node = attach_node(out, "IndexSelectBackward0", index_select_backward, {a});
        node.saved = {index.detach()};
        node.ints = {d};
    }
    return out;
}

// --- masked_fill ------------------------------------------------------------------------

// Filled places no longer depend on a: their gradient is 0
std::vector<Tensor> masked_fill_backward(const Node& node, const Tensor& grad) {
    return {map_binary(grad, node.saved[0], "masked_fill", [](float g, float m) { return m != 0.0f ? 0.0f : g; })};
}

Tensor masked_fill(const Tensor& a, const Tensor& mask, float value) {
    if (broadcast_shapes(a.shape(), mask.shape(), "masked_fill") != a.shape())
        throw Error("masked_fill: the mask of shape " + shape_to_string(mask.shape()) +
                    " does not broadcast to the tensor's shape " + shape_to_string(a.shape()));
    Tensor out = map_binary(a, mask, "masked_fill", [value](float x, float m) { return m != 0.0f ? value : x; });
    if (needs_grad({&a})) attach_node(out, "MaskedFillBackward0", masked_fill_backward, {a}).saved = {mask.detach()};
    return out;
}

}  // namespace llm
