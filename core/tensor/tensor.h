// Tensor: the one data type of the project.
//
// A Tensor is a cheap handle (copying it shares the data, as assigning a tensor
// does in Python). What it points to is plain: a std::vector<float> of values in
// row-major order, a shape, and the autograd fields (requires_grad, grad, and the
// grad_fn node of the op that produced it). There are no strides: an op whose
// PyTorch result would be a strided view (transpose, slicing) returns a copy.
#pragma once

#include "base/error.h"
#include "tensor/dtype.h"

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace llm {

using Shape = std::vector<int64_t>;
struct Node;

// What a Tensor handle points to. Everything a debugger shows lives here.
struct TensorData {
    std::shared_ptr<std::vector<float>> storage;  // values, row-major; shared by views and detach()
    Shape shape;                                  // sizes, outermost first; {} for a 0-dim scalar
    Dtype dtype = Dtype::float32;
    bool requires_grad = false;
    std::shared_ptr<TensorData> grad;             // accumulated gradient of a leaf, or null
    std::shared_ptr<Node> grad_fn;                // the op that produced this tensor, or null
};

class Tensor {
public:
    Tensor() = default;  // an undefined handle (like None)
    Tensor(Shape shape, std::vector<float> values, Dtype dtype = Dtype::float32);
    explicit Tensor(std::shared_ptr<TensorData> impl) : impl_(std::move(impl)) {}

    // --- shape and values -------------------------------------------------
    bool defined() const { return impl_ != nullptr; }
    const Shape& shape() const;
    int64_t dim() const { return static_cast<int64_t>(shape().size()); }
    int64_t numel() const;
    int64_t size(int64_t d) const;  // d may be negative: -1 is the last dim
    Dtype dtype() const;
    float* data();
    const float* data() const;
    std::vector<float>& values();             // the underlying vector (shared!)
    const std::vector<float>& values() const;
    float item() const;                       // the value of a one-element tensor
    float& at(std::initializer_list<int64_t> index);        // x.at({1, 2}) is x[1, 2]
    float at(std::initializer_list<int64_t> index) const;

    // --- autograd ---------------------------------------------------------
    bool requires_grad() const;
    Tensor& requires_grad_(bool enabled = true);
    bool is_leaf() const;                     // made by the user, not by an op
    Tensor grad() const;                      // undefined until backward() reaches this leaf
    void zero_grad();                         // drop the gradient (PyTorch's set_to_none)
    Node* grad_fn() const;
    std::string grad_fn_name() const;         // "SoftmaxBackward0", or "" for a leaf
    // Backpropagate from this tensor. Without an argument the tensor must hold one value
    // (a loss); otherwise grad_output is dL/d(this), shaped like this.
    void backward(bool retain_graph = false);
    void backward(const Tensor& grad_output, bool retain_graph = false);
    Tensor detach() const;                    // same values (shared), no history
    Tensor clone() const;                     // own copy of the values (differentiable)

    // --- conveniences that call the ops in ops/ops.h --------------------------
    Tensor operator[](int64_t index) const;   // select along dim 0, like x[1]
    Tensor T() const;                         // 2-D transpose, like x.T
    Tensor transpose(int64_t dim0, int64_t dim1) const;
    Tensor view(const Shape& shape) const;
    Tensor reshape(const Shape& shape) const;
    Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
    Tensor unsqueeze(int64_t dim) const;
    Tensor squeeze(int64_t dim) const;
    Tensor contiguous() const { return *this; }  // always contiguous here
    Tensor sum() const;
    Tensor sum(int64_t dim, bool keepdim = false) const;
    Tensor mean() const;
    Tensor mean(int64_t dim, bool keepdim = false) const;
    Tensor var(int64_t dim, bool keepdim = false, bool unbiased = true) const;
    Tensor pow(float exponent) const;
    Tensor exp() const;
    Tensor log() const;
    Tensor sqrt() const;
    Tensor masked_fill(const Tensor& mask, float value) const;
    Tensor matmul(const Tensor& other) const;
    Tensor to_int64() const;                  // same values, tagged int64 (like .long())
    Tensor to_bool() const;                   // nonzero -> true (like .bool())
    Tensor to_float() const;                  // tagged float32 (like .float())

    // --- printing ---------------------------------------------------------
    std::string str() const;                  // exactly as PyTorch prints it
    std::string shape_str() const;            // "torch.Size([2, 6, 2])"

    TensorData* impl() const { return impl_.get(); }
    const std::shared_ptr<TensorData>& impl_ptr() const { return impl_; }

private:
    TensorData& checked() const;
    std::shared_ptr<TensorData> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// --- creation -------------------------------------------------------------
// From nested lists, like torch.tensor([[0.43, 0.15], [0.55, 0.87]]).
Tensor tensor(float value);
Tensor tensor(std::initializer_list<float> values);
Tensor tensor(std::initializer_list<std::initializer_list<float>> rows);
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<float>>> blocks);
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<float>>>> cubes);
// Integer tensors (token ids, targets), like torch.tensor([[6109, 3626]]).
Tensor tensor_int64(std::initializer_list<int64_t> values);
Tensor tensor_int64(std::initializer_list<std::initializer_list<int64_t>> rows);
Tensor tensor_int64(const std::vector<int64_t>& values, Shape shape);

Tensor empty(Shape shape);          // values undefined, as in PyTorch (zeros, or a reused buffer's old
                                    // values): for results whose every element is then written
Tensor zeros(Shape shape);
Tensor ones(Shape shape);
Tensor full(Shape shape, float value);
Tensor ones_like(const Tensor& t);
Tensor arange(int64_t end);                       // 0, 1, ..., end-1 (int64, like torch.arange)
Tensor arange(int64_t start, int64_t end, int64_t step = 1);
Tensor linspace(float start, float end, int64_t steps);
Tensor tril(const Tensor& t, int64_t diagonal = 0);  // keep i - j >= -diagonal, zero the rest
Tensor triu(const Tensor& t, int64_t diagonal = 0);  // keep j - i >= diagonal

// --- shape helpers ----------------------------------------------------------
std::string dtype_name(Dtype dtype);               // "torch.float32", as PyTorch prints x.dtype
int64_t numel_of(const Shape& shape);
std::string shape_to_string(const Shape& shape);   // "[2, 6, 2]"
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);  // -1 -> ndim-1, checked

}  // namespace llm
