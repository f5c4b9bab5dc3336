// Shape ops: view/reshape, flatten, (un)squeeze, transpose, permute, clone, expand.
// A view shares the values with its input (as in PyTorch); a transpose copies
// them into the new order, because every tensor here is contiguous.
#include "ops/internal.h"

#include <utility>

namespace llm {

// --- view / reshape / flatten / unsqueeze / squeeze: same values, new shape ---

// Resolve one -1 in a requested shape.
static Shape infer_shape(Shape shape, int64_t numel, const Shape& from) {
    int64_t known = 1, unknown = -1;
    for (size_t i = 0; i < shape.size(); i++) {
        if (shape[i] == -1) {
            if (unknown >= 0) throw Error("view: only one dimension can be inferred");
            unknown = static_cast<int64_t>(i);
        } else {
            known *= shape[i];
        }
    }
    if (unknown >= 0 && known != 0 && numel % known == 0) shape[unknown] = numel / known;
    if (numel_of(shape) != numel || (unknown >= 0 && known == 0))
        throw Error("shape '" + shape_to_string(shape) + "' is invalid for input of size " +
                    std::to_string(numel) + " (input shape " + shape_to_string(from) + ")");
    return shape;
}

// Same storage, another shape (no copy).
static Tensor view_forward(const Tensor& a, const Shape& shape) {
    Tensor out = a.detach();
    out.impl()->shape = shape;
    return out;
}

// A view does not change values: the gradient is reshaped back
std::vector<Tensor> view_backward(const Node& node, const Tensor& grad) {
    return {view_forward(grad, node.inputs[0].shape())};
}

static Tensor view_named(const Tensor& a, const Shape& shape, const char* name) {
    Tensor out = view_forward(a, shape);
    if (needs_grad({&a})) attach_node(out, name, view_backward, {a});
    return out;
}

Tensor view(const Tensor& a, Shape shape) {
    return view_named(a, infer_shape(std::move(shape), a.numel(), a.shape()), "ViewBackward0");
}

Tensor flatten(const Tensor& a, int64_t start_dim, int64_t end_dim) {
    if (a.dim() == 0) return view(a, {1});
    int64_t s = normalize_dim(start_dim, a.dim(), "flatten");
    int64_t e = normalize_dim(end_dim, a.dim(), "flatten");
    if (s > e) throw Error("flatten() has invalid args: start_dim cannot come after end_dim");
    Shape shape(a.shape().begin(), a.shape().begin() + s);
    int64_t merged = 1;
    for (int64_t d = s; d <= e; d++) merged *= a.shape()[d];
    shape.push_back(merged);
    shape.insert(shape.end(), a.shape().begin() + e + 1, a.shape().end());
    return view_named(a, shape, "ViewBackward0");
}

Tensor unsqueeze(const Tensor& a, int64_t dim) {
    int64_t d = normalize_dim(dim, a.dim() + 1, "unsqueeze");
    Shape shape = a.shape();
    shape.insert(shape.begin() + d, 1);
    return view_named(a, shape, "UnsqueezeBackward0");
}

Tensor squeeze(const Tensor& a, int64_t dim) {
    int64_t d = normalize_dim(dim, a.dim(), "squeeze");
    Shape shape = a.shape();
    if (!shape.empty() && shape[d] == 1) shape.erase(shape.begin() + d);
    return view_named(a, shape, "SqueezeBackward1");
}

Tensor squeeze(const Tensor& a) {
    Shape shape;
    for (int64_t s : a.shape())
        if (s != 1) shape.push_back(s);
    return view_named(a, shape, "SqueezeBackward0");
}

// --- permute / transpose: the same values in a new order (a copy) -------------

// out[i_0, ..., i_n] = a[i_dims[0], ...]: walk the output in order, reading a
// through its strides permuted.
Tensor permute_forward(const Tensor& a, const std::vector<int64_t>& dims) {
    const Shape& in = a.shape();
    int64_t ndim = a.dim();
    std::vector<int64_t> in_strides(ndim, 1);
    for (int64_t d = ndim - 2; d >= 0; d--) in_strides[d] = in_strides[d + 1] * in[d + 1];
    Shape out_shape(ndim);
    std::vector<int64_t> strides(ndim);
    for (int64_t d = 0; d < ndim; d++) {
        out_shape[d] = in[dims[d]];
        strides[d] = in_strides[dims[d]];
    }
    Tensor out = empty(out_shape);  // every element is written below
    std::vector<int64_t> index(ndim, 0);
    const float* x = a.data();
    float* y = out.data();
    int64_t offset = 0;
    for (int64_t i = 0, n = out.numel(); i < n; i++) {
        y[i] = x[offset];
        for (int64_t d = ndim - 1; d >= 0; d--) {  // odometer, keeping offset in step
            offset += strides[d];
            if (++index[d] < out_shape[d]) break;
            offset -= strides[d] * out_shape[d];
            index[d] = 0;
        }
    }
    return Tensor(out_shape, std::move(out.values()), a.dtype());  // the values moved, not copied
}

static std::vector<int64_t> inverse_permutation(const std::vector<int64_t>& dims) {
    std::vector<int64_t> inverse(dims.size());
    for (size_t d = 0; d < dims.size(); d++) inverse[dims[d]] = static_cast<int64_t>(d);
    return inverse;
}

// A permutation moves values: the gradient moves back by the inverse permutation
std::vector<Tensor> permute_backward(const Node& node, const Tensor& grad) {
    return {permute_forward(grad, inverse_permutation(node.ints))};
}

static Tensor permute_named(const Tensor& a, const std::vector<int64_t>& dims, const char* name) {
    Tensor out = permute_forward(a, dims);
    if (needs_grad({&a})) attach_node(out, name, permute_backward, {a}).ints = dims;
    return out;
}

Tensor permute(const Tensor& a, const std::vector<int64_t>& dims) {
    if (static_cast<int64_t>(dims.size()) != a.dim())
        throw Error("permute(sparse_coo): number of dimensions in the tensor input does not match "
                    "the length of the desired ordering of dimensions i.e. input.dim() = " +
                    std::to_string(a.dim()) + " is not equal to len(dims) = " + std::to_string(dims.size()));
    std::vector<int64_t> normalized;
    std::vector<bool> used(dims.size(), false);
    for (int64_t d : dims) {
        int64_t n = normalize_dim(d, a.dim(), "permute");
        if (used[n]) throw Error("permute(): duplicate dims are not allowed.");
        used[n] = true;
        normalized.push_back(n);
    }
    return permute_named(a, normalized, "PermuteBackward0");
}

Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1) {
    int64_t d0 = normalize_dim(dim0, a.dim(), "transpose");
    int64_t d1 = normalize_dim(dim1, a.dim(), "transpose");
    std::vector<int64_t> dims(a.dim());
    for (int64_t d = 0; d < a.dim(); d++) dims[d] = d;
    if (a.dim() > 0) std::swap(dims[d0], dims[d1]);
    return permute_named(a, dims, "TransposeBackward0");
}

Tensor t(const Tensor& a) {
    if (a.dim() > 2)
        throw Error("t() expects a tensor with <= 2 dimensions, but self is " + std::to_string(a.dim()) + "D");
    if (a.dim() < 2) return permute_named(a, a.dim() == 1 ? std::vector<int64_t>{0} : std::vector<int64_t>{}, "PermuteBackward0");
    return permute_named(a, {1, 0}, "PermuteBackward0");
}

// --- clone: a copy that stays in the graph ---------------------------------------

// d clone(a)/da = 1
std::vector<Tensor> clone_backward(const Node&, const Tensor& grad) { return {grad}; }

Tensor clone(const Tensor& a) {
    Tensor out(a.shape(), a.values(), a.dtype());
    if (needs_grad({&a})) attach_node(out, "CloneBackward0", clone_backward, {a});
    return out;
}

// --- expand: broadcast to a bigger shape (copied here) -------------------------

// Expanding repeats values: the gradient sums over the repeats
std::vector<Tensor> expand_backward(const Node& node, const Tensor& grad) {
    return {sum_to_shape(grad, node.inputs[0].shape())};
}

Tensor expand(const Tensor& a, const Shape& shape) {
    Shape out_shape = broadcast_shapes(a.shape(), shape, "expand");
    if (out_shape != shape)
        throw Error("expand: the expanded size " + shape_to_string(shape) +
                    " does not fit the tensor's shape " + shape_to_string(a.shape()));
    Tensor out = map_binary(a, zeros(shape), "expand", [](float x, float) { return x; });
    if (needs_grad({&a})) attach_node(out, "ExpandBackward0", expand_backward, {a});
    return out;
}

}  // namespace llm
