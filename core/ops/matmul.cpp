// Matrix products: Python's `a @ b` (torch.matmul) and `linear` (x @ Wᵀ + b).
// Both end in the one hot loop, llm::matmul of kernels/gemm.h, which takes the
// transposes as flags, so no transposed copy is ever made.
#include "kernels/gemm.h"
#include "ops/internal.h"

#include <algorithm>

namespace llm {

// --- a @ b with PyTorch's rules -----------------------------------------------
// 1-D a is treated as a row (1, K), 1-D b as a column (K, 1); those added dims
// are removed from the result. Leading (batch) dims broadcast.

struct MatmulPlan {
    Shape a_shape, b_shape;   // a and b as ≥2-D: (..., M, K) and (..., K, N)
    Shape batch;              // broadcast batch dims
    int64_t M, K, N;
    Shape out_shape;          // the result's shape, promoted dims removed
};

static MatmulPlan plan_matmul(const Shape& a, const Shape& b) {
    if (a.empty() || b.empty())
        throw Error("both arguments to matmul need to be at least 1D, but they are " +
                    std::to_string(a.size()) + "D and " + std::to_string(b.size()) + "D");
    MatmulPlan p;
    p.a_shape = a.size() == 1 ? Shape{1, a[0]} : a;
    p.b_shape = b.size() == 1 ? Shape{b[0], 1} : b;
    p.M = p.a_shape[p.a_shape.size() - 2];
    p.K = p.a_shape.back();
    p.N = p.b_shape.back();
    int64_t kb = p.b_shape[p.b_shape.size() - 2];
    if (p.K != kb) {
        if (a.size() == 1 && b.size() == 1)
            throw Error("inconsistent tensor size, expected tensor [" + std::to_string(a[0]) + "] and src [" +
                        std::to_string(b[0]) + "] to have the same number of elements, but got " +
                        std::to_string(a[0]) + " and " + std::to_string(b[0]) + " elements respectively");
        throw Error("mat1 and mat2 shapes cannot be multiplied (" + std::to_string(numel_of(p.a_shape) / p.K) +
                    "x" + std::to_string(p.K) + " and " + std::to_string(kb) + "x" + std::to_string(p.N) + ")");
    }
    p.batch = broadcast_shapes(Shape(p.a_shape.begin(), p.a_shape.end() - 2),
                               Shape(p.b_shape.begin(), p.b_shape.end() - 2), "matmul");
    p.out_shape = p.batch;
    if (a.size() > 1) p.out_shape.push_back(p.M);
    if (b.size() > 1) p.out_shape.push_back(p.N);
    return p;
}

// Offsets (in elements) of each batch's matrix in a, b (0 stride where broadcast).
static void batch_offsets(const MatmulPlan& p, int64_t batch_index, int64_t& a_off, int64_t& b_off) {
    Shape a_batch(p.a_shape.begin(), p.a_shape.end() - 2), b_batch(p.b_shape.begin(), p.b_shape.end() - 2);
    std::vector<int64_t> sa = broadcast_strides(a_batch, p.batch), sb = broadcast_strides(b_batch, p.batch);
    a_off = b_off = 0;
    for (int64_t d = static_cast<int64_t>(p.batch.size()) - 1; d >= 0; d--) {
        int64_t i = batch_index % p.batch[d];
        batch_index /= p.batch[d];
        a_off += i * sa[d];
        b_off += i * sb[d];
    }
    a_off *= p.M * p.K;
    b_off *= p.K * p.N;
}

Tensor matmul_forward(const Tensor& a, const Tensor& b) {
    MatmulPlan p = plan_matmul(a.shape(), b.shape());
    Tensor out = empty(p.out_shape);  // each batch's product is stored, not added
    for (int64_t i = 0; i < numel_of(p.batch); i++) {
        int64_t a_off, b_off;
        batch_offsets(p, i, a_off, b_off);
        gemm(p.M, p.N, p.K, a.data() + a_off, p.K, false, b.data() + b_off, p.N, false,
               out.data() + i * p.M * p.N, p.N, false);
    }
    return out;
}

// C = A·B:  dA = dC·Bᵀ, dB = Aᵀ·dC  (added up over the batches that shared A or B)
std::vector<Tensor> matmul_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    const Tensor& b = node.inputs[1];
    MatmulPlan p = plan_matmul(a.shape(), b.shape());
    Tensor da = zeros(a.shape()), db = zeros(b.shape());
    for (int64_t i = 0; i < numel_of(p.batch); i++) {
        int64_t a_off, b_off;
        batch_offsets(p, i, a_off, b_off);
        const float* g = grad.data() + i * p.M * p.N;
        if (a.requires_grad())  // (M×N)·(K×N)ᵀ -> M×K
            gemm(p.M, p.K, p.N, g, p.N, false, b.data() + b_off, p.N, true, da.data() + a_off, p.K, true);
        if (b.requires_grad())  // (M×K)ᵀ·(M×N) -> K×N
            gemm(p.K, p.N, p.M, a.data() + a_off, p.K, true, g, p.N, false, db.data() + b_off, p.N, true);
    }
    return {a.requires_grad() ? da : Tensor(), b.requires_grad() ? db : Tensor()};
}

// The grad_fn PyTorch reports for each case of torch.matmul.
static const char* matmul_name(int64_t a_dim, int64_t b_dim) {
    if (a_dim == 1 && b_dim == 1) return "DotBackward0";
    if (a_dim == 2 && b_dim == 1) return "MvBackward0";
    if (a_dim == 1 && b_dim == 2) return "SqueezeBackward4";
    if (a_dim == 2 && b_dim == 2) return "MmBackward0";
    return "UnsafeViewBackward0";  // batched: PyTorch reshapes into bmm and back
}

Tensor matmul(const Tensor& a, const Tensor& b) {
    Tensor out = matmul_forward(a, b);
    if (a.dtype() == Dtype::int64 && b.dtype() == Dtype::int64) out = out.to_int64();  // like torch
    if (needs_grad({&a, &b})) attach_node(out, matmul_name(a.dim(), b.dim()), matmul_backward, {a, b});
    return out;
}

// --- linear: y = x·Wᵀ + b, W stored (out_features, in_features) as in nn.Linear ---

Tensor linear_forward(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    int64_t in = weight.size(1), out_features = weight.size(0);
    int64_t rows = x.numel() / in;
    Shape shape = x.shape();
    shape.back() = out_features;
    Tensor y = empty(shape);  // stored (not added) by the matmul
    if (bias.defined())  // every row starts from the bias and x·Wᵀ is added onto it
        gemm_bias(rows, out_features, in, x.data(), in, false, weight.data(), in, true, bias.data(), y.data(),
                  out_features);
    else
        gemm(rows, out_features, in, x.data(), in, false, weight.data(), in, true, y.data(), out_features, false);
    return y;
}

// y = x·Wᵀ + b:  dx = dy·W,  dW = dyᵀ·x,  db = Σ_rows dy
std::vector<Tensor> linear_backward(const Node& node, const Tensor& grad) {
    const Tensor& x = node.inputs[0];
    const Tensor& weight = node.inputs[1];
    int64_t in = weight.size(1), out_features = weight.size(0), rows = x.numel() / in;
    std::vector<Tensor> grads(node.inputs.size());
    if (x.requires_grad()) {
        grads[0] = empty(x.shape());  // stored, not added, by matmul
        gemm(rows, in, out_features, grad.data(), out_features, false, weight.data(), in, false,
               grads[0].data(), in, false);
    }
    if (weight.requires_grad()) {
        grads[1] = empty(weight.shape());
        gemm(out_features, in, rows, grad.data(), out_features, true, x.data(), in, false,
               grads[1].data(), in, false);
    }
    if (node.inputs.size() > 2 && node.inputs[2].requires_grad())
        grads[2] = sum_to_shape(grad, node.inputs[2].shape());
    return grads;
}

static const char* linear_name(int64_t x_dim, bool has_bias) {
    if (x_dim == 1) return has_bias ? "AddBackward0" : "SqueezeBackward4";
    if (x_dim == 2) return has_bias ? "AddmmBackward0" : "MmBackward0";
    return has_bias ? "ViewBackward0" : "UnsafeViewBackward0";
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    if (x.dim() == 0 || weight.dim() != 2 || x.size(-1) != weight.size(1))
        throw Error("linear: mat1 and mat2 shapes cannot be multiplied (" +
                    std::to_string(x.dim() ? x.numel() / x.size(-1) : 1) + "x" + std::to_string(x.dim() ? x.size(-1) : 1) +
                    " and " + (weight.dim() == 2 ? std::to_string(weight.size(1)) + "x" + std::to_string(weight.size(0))
                                                 : shape_to_string(weight.shape())) + ")");
    if (bias.defined() && bias.shape() != Shape{weight.size(0)})
        throw Error("linear: bias of shape " + shape_to_string(bias.shape()) + " does not match weight of shape " +
                    shape_to_string(weight.shape()) + " (expected [" + std::to_string(weight.size(0)) + "])");
    check_float(x, "linear");
    Tensor y = linear_forward(x, weight, bias);
    std::vector<Tensor> inputs = {x, weight};
    if (bias.defined()) inputs.push_back(bias);
    if (needs_grad(inputs)) attach_node(y, linear_name(x.dim(), bias.defined()), linear_backward, inputs);
    return y;
}

}  // namespace llm
