// Activation functions: tanh, sigmoid, ReLU, the book's GELU and SwiGLU's SiLU.
#include "kernels/fast_exp.h"
#include "ops/internal.h"

#include <cmath>

namespace llm {

// --- tanh ---------------------------------------------------------------------

Tensor tanh_forward(const Tensor& a) {
    return map_unary(a, [](float x) { return std::tanh(x); });
}

// d(tanh a)/da = 1 - tanh²(a)
std::vector<Tensor> tanh_backward(const Node& node, const Tensor& grad) {
    return {map_binary(grad, node.saved[0], "tanh", [](float g, float y) { return g * (1.0f - y * y); })};
}

Tensor tanh(const Tensor& a) {
    Tensor out = tanh_forward(a);
    if (needs_grad({&a})) attach_node(out, "TanhBackward0", tanh_backward, {a}).saved = {out.detach()};
    return out;
}

// --- sigmoid: 1 / (1 + e^-x) -------------------------------------------------------

Tensor sigmoid_forward(const Tensor& a) {
    return map_unary(a, [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
}

// dσ/da = σ (1 - σ)
std::vector<Tensor> sigmoid_backward(const Node& node, const Tensor& grad) {
    return {map_binary(grad, node.saved[0], "sigmoid", [](float g, float y) { return g * y * (1.0f - y); })};
}

Tensor sigmoid(const Tensor& a) {
    Tensor out = sigmoid_forward(a);
    if (needs_grad({&a})) attach_node(out, "SigmoidBackward0", sigmoid_backward, {a}).saved = {out.detach()};
    return out;
}

// --- SiLU (Swish): x · σ(x), the gate of SwiGLU (the attention lab) -------------------
// The same float operations as the op-by-op x * sigmoid(x), so the two agree bit for bit.

static float silu_sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

Tensor silu_forward(const Tensor& a) {
    return map_unary(a, [](float x) { return x * silu_sigmoid(x); });
}

// d silu(a)/da = σ(a) · (1 + a · (1 - σ(a)))
std::vector<Tensor> silu_backward(const Node& node, const Tensor& grad) {
    return {map_binary(grad, node.inputs[0], "silu", [](float g, float x) {
        float s = silu_sigmoid(x);
        return g * (s * (1.0f + x * (1.0f - s)));
    })};
}

Tensor silu(const Tensor& a) {
    Tensor out = silu_forward(a);
    if (needs_grad({&a})) attach_node(out, "SiluBackward0", silu_backward, {a});
    return out;
}

// --- ReLU: max(0, x) --------------------------------------------------------------

Tensor relu_forward(const Tensor& a) {
    return map_unary(a, [](float x) { return x > 0.0f ? x : 0.0f; });
}

// d relu(a)/da = 1 where a > 0, else 0
std::vector<Tensor> relu_backward(const Node& node, const Tensor& grad) {
    return {map_binary(grad, node.saved[0], "relu", [](float g, float y) { return y > 0.0f ? g : 0.0f; })};
}

Tensor relu(const Tensor& a) {
    Tensor out = relu_forward(a);
    if (needs_grad({&a})) attach_node(out, "ReluBackward0", relu_backward, {a}).saved = {out.detach()};
    return out;
}

// --- GELU, tanh approximation (book section 4.3) ----------------------------------
// gelu(x) = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))

// √(2/π) rounded to float, as the book's torch.sqrt(torch.tensor(2.0 / torch.pi)) is.
static const float kSqrt2OverPi = std::sqrt(static_cast<float>(2.0 / 3.14159265358979323846));

// Since 0.5 · (1 + tanh(u)) = 1 / (1 + e^(-2u)) (the logistic sigmoid of 2u), the same
// function is x · σ(2u): one exp instead of tanh, which is several times slower. The exp
// is fast_exp (kernels/fast_exp.h), not std::exp, so that the loops below run 8 elements at a
// time; it is within about 1 ulp of std::exp.
static float gelu_sigmoid(float x) {  // σ(2u)
    float u = kSqrt2OverPi * (x + 0.044715f * (x * x * x));
    return 1.0f / (1.0f + fast_exp(-2.0f * u));
}

static float gelu_value(float x) { return x * gelu_sigmoid(x); }

// With u = √(2/π)(x + 0.044715x³) and s = σ(2u) (so 1 + tanh u = 2s, 1 - tanh²u = 4s(1 - s)):
// d gelu/dx = s + 2 x s (1 - s) · du/dx,  du/dx = √(2/π)(1 + 3 · 0.044715 x²)
static float gelu_derivative(float x) {
    float s = gelu_sigmoid(x);
    float du_dx = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * x * x);
    return s + 2.0f * x * s * (1.0f - s) * du_dx;
}

// A lambda rather than the bare function name: map_unary would receive a function
// pointer, which the compiler does not inline, and the loop would not vectorise.
Tensor gelu_forward(const Tensor& a) {
    return map_unary(a, [](float x) { return gelu_value(x); });
}

// d gelu(a)/da as above
std::vector<Tensor> gelu_backward(const Node& node, const Tensor& grad) {
    return {map_binary(grad, node.inputs[0], "gelu", [](float g, float x) { return g * gelu_derivative(x); })};
}

Tensor gelu(const Tensor& a) {
    Tensor out = gelu_forward(a);
    if (needs_grad({&a})) attach_node(out, "GeluBackward0", gelu_backward, {a});
    return out;
}

}  // namespace llm
