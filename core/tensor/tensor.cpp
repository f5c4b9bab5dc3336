// Tensor: handle, creation, element access, shape helpers.
#include "tensor/tensor.h"

#include "tensor/print.h"
#include "tensor/storage.h"

#include <cmath>
#include <ostream>

namespace llm {

// --- shape helpers ------------------------------------------------------------

std::string dtype_name(Dtype dtype) {
    switch (dtype) {
        case Dtype::float32: return "torch.float32";
        case Dtype::int64: return "torch.int64";
        case Dtype::boolean: return "torch.bool";
    }
    return "?";
}

int64_t numel_of(const Shape& shape) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    return n;
}

std::string shape_to_string(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); i++) {
        if (i > 0) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op) {
    int64_t lo = ndim == 0 ? -1 : -ndim;
    int64_t hi = ndim == 0 ? 0 : ndim - 1;
    if (dim < lo || dim > hi)
        throw Error(std::string(op) + ": Dimension out of range (expected to be in range of [" +
                    std::to_string(lo) + ", " + std::to_string(hi) + "], but got " +
                    std::to_string(dim) + ")");
    return dim < 0 ? dim + (ndim == 0 ? 1 : ndim) : dim;
}

// --- the handle -----------------------------------------------------------------

Tensor::Tensor(Shape shape, std::vector<float> values, Dtype dtype) {
    for (int64_t s : shape)
        if (s < 0) throw Error("Trying to create tensor with negative dimension " + std::to_string(s) +
                               ": " + shape_to_string(shape));
    if (static_cast<int64_t>(values.size()) != numel_of(shape))
        throw Error("tensor: " + std::to_string(values.size()) + " values do not fill shape " +
                    shape_to_string(shape) + " (" + std::to_string(numel_of(shape)) + " elements)");
    impl_ = std::make_shared<TensorData>();
    impl_->storage = make_storage(std::move(values));
    impl_->shape = std::move(shape);
    impl_->dtype = dtype;
}

TensorData& Tensor::checked() const {
    if (!impl_) throw Error("use of an undefined tensor (like None in Python)");
    return *impl_;
}

const Shape& Tensor::shape() const { return checked().shape; }
int64_t Tensor::numel() const { return numel_of(shape()); }
Dtype Tensor::dtype() const { return checked().dtype; }
float* Tensor::data() { return checked().storage->data(); }
const float* Tensor::data() const { return checked().storage->data(); }
std::vector<float>& Tensor::values() { return *checked().storage; }
const std::vector<float>& Tensor::values() const { return *checked().storage; }

int64_t Tensor::size(int64_t d) const {
    return shape()[normalize_dim(d, dim(), "size")];
}

float Tensor::item() const {
    if (numel() != 1)
        throw Error("a Tensor with " + std::to_string(numel()) +
                    " elements cannot be converted to Scalar");
    return data()[0];
}

static int64_t flat_index(const Shape& shape, std::initializer_list<int64_t> index) {
    if (index.size() != shape.size())
        throw Error("at: " + std::to_string(index.size()) + " indices for a tensor of shape " +
                    shape_to_string(shape));
    int64_t flat = 0;
    size_t d = 0;
    for (int64_t i : index) {
        int64_t n = shape[d];
        if (i < -n || i >= n)
            throw Error("index " + std::to_string(i) + " is out of bounds for dimension " +
                        std::to_string(d) + " with size " + std::to_string(n));
        flat = flat * n + (i < 0 ? i + n : i);
        d++;
    }
    return flat;
}

float& Tensor::at(std::initializer_list<int64_t> index) { return data()[flat_index(shape(), index)]; }
float Tensor::at(std::initializer_list<int64_t> index) const { return data()[flat_index(shape(), index)]; }

// --- autograd fields ----------------------------------------------------------

bool Tensor::requires_grad() const { return checked().requires_grad; }

Tensor& Tensor::requires_grad_(bool enabled) {
    if (enabled && dtype() != Dtype::float32)
        throw Error("only Tensors of floating point dtype can require gradients");
    if (!enabled && !is_leaf())
        throw Error("you can only change requires_grad flags of leaf variables.");
    checked().requires_grad = enabled;
    return *this;
}

bool Tensor::is_leaf() const { return checked().grad_fn == nullptr; }
Tensor Tensor::grad() const { return Tensor(checked().grad); }
Node* Tensor::grad_fn() const { return checked().grad_fn.get(); }
void Tensor::zero_grad() { checked().grad.reset(); }

Tensor Tensor::detach() const {
    auto out = std::make_shared<TensorData>();
    out->storage = checked().storage;  // shared, as in PyTorch
    out->shape = shape();
    out->dtype = dtype();
    return Tensor(out);
}

static Tensor retagged(const Tensor& t, Dtype dtype) {
    std::vector<float> v = t.values();
    if (dtype == Dtype::int64)
        for (float& x : v) x = std::trunc(x);
    if (dtype == Dtype::boolean)
        for (float& x : v) x = x != 0.0f ? 1.0f : 0.0f;
    return Tensor(t.shape(), std::move(v), dtype);
}

Tensor Tensor::to_int64() const { return retagged(*this, Dtype::int64); }
Tensor Tensor::to_bool() const { return retagged(*this, Dtype::boolean); }
Tensor Tensor::to_float() const { return retagged(*this, Dtype::float32); }

std::string Tensor::str() const {
    if (!defined()) return "None";
    return format_tensor(data(), shape(), dtype(), grad_fn_name(), requires_grad());
}

std::string Tensor::shape_str() const { return format_size(shape()); }

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

// --- creation ------------------------------------------------------------------

Tensor tensor(float value) { return Tensor({}, {value}); }

Tensor tensor(std::initializer_list<float> values) {
    return Tensor({static_cast<int64_t>(values.size())}, std::vector<float>(values));
}

Tensor tensor(std::initializer_list<std::initializer_list<float>> rows) {
    std::vector<float> v;
    int64_t cols = rows.size() ? static_cast<int64_t>(rows.begin()->size()) : 0;
    for (const auto& row : rows) {
        if (static_cast<int64_t>(row.size()) != cols)
            throw Error("tensor: expected sequence of length " + std::to_string(cols) +
                        " at dim 1 (got " + std::to_string(row.size()) + ")");
        v.insert(v.end(), row.begin(), row.end());
    }
    return Tensor({static_cast<int64_t>(rows.size()), cols}, std::move(v));
}

// Stack equally shaped parts along a new first dim (used by the nested-list constructors).
static Tensor stack_parts(const std::vector<Tensor>& parts) {
    std::vector<float> v;
    Shape inner = parts.empty() ? Shape{0} : parts[0].shape();
    for (const Tensor& p : parts) {
        if (p.shape() != inner)
            throw Error("tensor: nested lists have different lengths: " + shape_to_string(inner) +
                        " and " + shape_to_string(p.shape()));
        v.insert(v.end(), p.values().begin(), p.values().end());
    }
    Shape shape = {static_cast<int64_t>(parts.size())};
    shape.insert(shape.end(), inner.begin(), inner.end());
    return Tensor(shape, std::move(v));
}

Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<float>>> blocks) {
    std::vector<Tensor> parts;
    for (const auto& b : blocks) parts.push_back(tensor(b));
    return stack_parts(parts);
}

Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<float>>>> cubes) {
    std::vector<Tensor> parts;
    for (const auto& c : cubes) parts.push_back(tensor(c));
    return stack_parts(parts);
}

Tensor tensor_int64(const std::vector<int64_t>& values, Shape shape) {
    std::vector<float> v;
    v.reserve(values.size());
    for (int64_t x : values) {
        if (x > (1 << 24) || x < -(1 << 24))
            throw Error("tensor_int64: value " + std::to_string(x) +
                        " is beyond 2^24, the largest integer stored exactly in float32");
        v.push_back(static_cast<float>(x));
    }
    return Tensor(std::move(shape), std::move(v), Dtype::int64);
}

Tensor tensor_int64(std::initializer_list<int64_t> values) {
    return tensor_int64(std::vector<int64_t>(values), {static_cast<int64_t>(values.size())});
}

Tensor tensor_int64(std::initializer_list<std::initializer_list<int64_t>> rows) {
    std::vector<int64_t> v;
    int64_t cols = rows.size() ? static_cast<int64_t>(rows.begin()->size()) : 0;
    for (const auto& row : rows) {
        if (static_cast<int64_t>(row.size()) != cols)
            throw Error("tensor_int64: rows of different lengths");
        v.insert(v.end(), row.begin(), row.end());
    }
    return tensor_int64(v, {static_cast<int64_t>(rows.size()), cols});
}

Tensor full(Shape shape, float value) {
    int64_t n = numel_of(shape);
    return Tensor(std::move(shape), new_values(static_cast<size_t>(n < 0 ? 0 : n), value));
}

Tensor empty(Shape shape) {
    int64_t n = numel_of(shape);
    return Tensor(std::move(shape), new_values_unset(static_cast<size_t>(n < 0 ? 0 : n)));
}
Tensor zeros(Shape shape) { return full(std::move(shape), 0.0f); }
Tensor ones(Shape shape) { return full(std::move(shape), 1.0f); }
Tensor ones_like(const Tensor& t) { return ones(t.shape()); }

Tensor arange(int64_t end) { return arange(0, end, 1); }

Tensor arange(int64_t start, int64_t end, int64_t step) {
    if (step == 0) throw Error("arange: step must be nonzero");
    std::vector<int64_t> v;
    for (int64_t x = start; step > 0 ? x < end : x > end; x += step) v.push_back(x);
    return tensor_int64(v, {static_cast<int64_t>(v.size())});
}

Tensor linspace(float start, float end, int64_t steps) {
    std::vector<float> v(steps < 0 ? 0 : steps);
    // Like PyTorch: the first half counts up from start, the second half down from end.
    float step = steps > 1 ? (end - start) / static_cast<float>(steps - 1) : 0.0f;
    int64_t half = steps / 2;
    for (int64_t i = 0; i < steps; i++)
        v[i] = i < half ? start + step * static_cast<float>(i)
                        : end - step * static_cast<float>(steps - 1 - i);
    return Tensor({steps}, std::move(v));
}

// Keep the elements on one side of a diagonal of the last two dims.
static Tensor triangle(const Tensor& t, int64_t diagonal, bool lower, const char* op) {
    if (t.dim() < 2)
        throw Error(std::string(op) + ": input tensor must have at least 2 dimensions, got " +
                    shape_to_string(t.shape()));
    int64_t rows = t.size(-2), cols = t.size(-1);
    Tensor out = t.detach().clone();
    float* o = out.data();
    for (int64_t b = 0; b < t.numel() / std::max<int64_t>(1, rows * cols); b++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                bool keep = lower ? j - i <= diagonal : j - i >= diagonal;
                if (!keep) o[(b * rows + i) * cols + j] = 0.0f;
            }
    return Tensor(out.shape(), out.values(), t.dtype());
}

Tensor tril(const Tensor& t, int64_t diagonal) { return triangle(t, diagonal, true, "tril"); }
Tensor triu(const Tensor& t, int64_t diagonal) { return triangle(t, diagonal, false, "triu"); }

}  // namespace llm
