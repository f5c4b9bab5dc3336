// Elementwise arithmetic: + - * / with broadcasting, scalars, and unary maths.
#include "ops/internal.h"

#include <cmath>

namespace llm {

// --- broadcasting helpers (declared in ops/internal.h) ------------------------

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (size_t i = 0; i < n; i++) {  // i counts dims from the right
        int64_t sa = i < a.size() ? a[a.size() - 1 - i] : 1;
        int64_t sb = i < b.size() ? b[b.size() - 1 - i] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            throw Error(std::string(op) + ": The size of tensor a (" + std::to_string(sa) +
                        ") must match the size of tensor b (" + std::to_string(sb) +
                        ") at non-singleton dimension " + std::to_string(n - 1 - i) + " (shapes " +
                        shape_to_string(a) + " and " + shape_to_string(b) + ")");
        out[n - 1 - i] = sa == 1 ? sb : sa;
    }
    return out;
}

std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out) {
    std::vector<int64_t> strides(out.size(), 0);
    int64_t stride = 1;
    for (size_t i = 0; i < shape.size(); i++) {
        size_t d = shape.size() - 1 - i;       // dim in `shape`
        size_t od = out.size() - 1 - i;        // the same dim in `out`
        strides[od] = shape[d] == 1 ? 0 : stride;
        stride *= shape[d];
    }
    return strides;
}

void check_float(const Tensor& t, const char* op) {
    if (t.dtype() != Dtype::float32)
        throw Error(std::string(op) + ": expected a float tensor, got an integer or bool one of shape " +
                    shape_to_string(t.shape()));
}

// --- a + b ------------------------------------------------------------------

Tensor add_forward(const Tensor& a, const Tensor& b) {
    return map_binary(a, b, "add", [](float x, float y) { return x + y; });
}

// d(a+b)/da = 1, d(a+b)/db = 1 (summed over broadcast dims)
std::vector<Tensor> add_backward(const Node& node, const Tensor& grad) {
    return {sum_to_shape(grad, node.inputs[0].shape()), sum_to_shape(grad, node.inputs[1].shape())};
}

Tensor add(const Tensor& a, const Tensor& b) {
    Tensor out = add_forward(a, b);
    if (needs_grad({&a, &b})) attach_node(out, "AddBackward0", add_backward, {a, b});
    return out;
}

// --- a - b ------------------------------------------------------------------

Tensor sub_forward(const Tensor& a, const Tensor& b) {
    return map_binary(a, b, "sub", [](float x, float y) { return x - y; });
}

// d(a-b)/da = 1, d(a-b)/db = -1
std::vector<Tensor> sub_backward(const Node& node, const Tensor& grad) {
    return {sum_to_shape(grad, node.inputs[0].shape()), sum_to_shape(neg(grad), node.inputs[1].shape())};
}

Tensor sub(const Tensor& a, const Tensor& b) {
    Tensor out = sub_forward(a, b);
    if (needs_grad({&a, &b})) attach_node(out, "SubBackward0", sub_backward, {a, b});
    return out;
}

// --- a * b ------------------------------------------------------------------

Tensor mul_forward(const Tensor& a, const Tensor& b) {
    return map_binary(a, b, "mul", [](float x, float y) { return x * y; });
}

// d(a*b)/da = b, d(a*b)/db = a
std::vector<Tensor> mul_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    const Tensor& b = node.inputs[1];
    Tensor da = a.requires_grad() ? sum_to_shape(mul_forward(grad, b), a.shape()) : Tensor();
    Tensor db = b.requires_grad() ? sum_to_shape(mul_forward(grad, a), b.shape()) : Tensor();
    return {da, db};
}

Tensor mul(const Tensor& a, const Tensor& b) {
    Tensor out = mul_forward(a, b);
    if (needs_grad({&a, &b})) attach_node(out, "MulBackward0", mul_backward, {a, b});
    return out;
}

// --- a / b ------------------------------------------------------------------

Tensor div_forward(const Tensor& a, const Tensor& b) {
    return map_binary(a, b, "div", [](float x, float y) { return x / y; });
}

// d(a/b)/da = 1/b, d(a/b)/db = -a/b²
std::vector<Tensor> div_backward(const Node& node, const Tensor& grad) {
    const Tensor& a = node.inputs[0];
    const Tensor& b = node.inputs[1];
    Tensor da = a.requires_grad() ? sum_to_shape(div_forward(grad, b), a.shape()) : Tensor();
    Tensor db;
    if (b.requires_grad()) {
        Tensor minus_a_over_b2 = div_forward(neg(a), mul_forward(b, b));
        db = sum_to_shape(mul_forward(grad, minus_a_over_b2), b.shape());
    }
    return {da, db};
}

Tensor div(const Tensor& a, const Tensor& b) {
    Tensor out = div_forward(a, b);
    if (needs_grad({&a, &b})) attach_node(out, "DivBackward0", div_backward, {a, b});
    return out;
}

// --- with a Python number: a + s, a * s, ... ----------------------------------
// The number is kept in node.numbers[0]; PyTorch computes in float32.

// d(a+s)/da = 1
std::vector<Tensor> add_scalar_backward(const Node&, const Tensor& grad) { return {grad}; }

Tensor add(const Tensor& a, float s) {
    Tensor out = map_unary(a, [s](float x) { return x + s; });
    if (needs_grad({&a})) attach_node(out, "AddBackward0", add_scalar_backward, {a});
    return out;
}

Tensor sub(const Tensor& a, float s) {
    Tensor out = map_unary(a, [s](float x) { return x - s; });
    if (needs_grad({&a})) attach_node(out, "SubBackward0", add_scalar_backward, {a});
    return out;
}

// d(s-a)/da = -1
std::vector<Tensor> rsub_backward(const Node&, const Tensor& grad) { return {neg(grad)}; }

Tensor rsub(float s, const Tensor& a) {
    Tensor out = map_unary(a, [s](float x) { return s - x; });
    if (needs_grad({&a})) attach_node(out, "RsubBackward1", rsub_backward, {a});
    return out;
}

// d(a*s)/da = s
std::vector<Tensor> mul_scalar_backward(const Node& node, const Tensor& grad) {
    float s = static_cast<float>(node.numbers[0]);
    return {map_unary(grad, [s](float g) { return g * s; })};
}

Tensor mul(const Tensor& a, float s) {
    Tensor out = map_unary(a, [s](float x) { return x * s; });
    if (needs_grad({&a})) attach_node(out, "MulBackward0", mul_scalar_backward, {a}).numbers = {s};
    return out;
}

// d(a/s)/da = 1/s
std::vector<Tensor> div_scalar_backward(const Node& node, const Tensor& grad) {
    float s = static_cast<float>(node.numbers[0]);
    return {map_unary(grad, [s](float g) { return g / s; })};
}

Tensor div(const Tensor& a, float s) {
    Tensor out = map_unary(a, [s](float x) { return x / s; });
    if (needs_grad({&a})) attach_node(out, "DivBackward0", div_scalar_backward, {a}).numbers = {s};
    return out;
}

// d(s/a)/da = -s/a²
std::vector<Tensor> rdiv_backward(const Node& node, const Tensor& grad) {
    float s = static_cast<float>(node.numbers[0]);
    return {map_binary(grad, node.inputs[0], "rdiv", [s](float g, float x) { return -g * s / (x * x); })};
}

Tensor rdiv(float s, const Tensor& a) {
    Tensor out = map_unary(a, [s](float x) { return s / x; });
    if (needs_grad({&a})) attach_node(out, "DivBackward0", rdiv_backward, {a}).numbers = {s};
    return out;
}

// --- unary maths ----------------------------------------------------------------

// d(-a)/da = -1
std::vector<Tensor> neg_backward(const Node&, const Tensor& grad) { return {neg(grad)}; }

Tensor neg(const Tensor& a) {
    Tensor out = map_unary(a, [](float x) { return -x; });
    if (needs_grad({&a})) attach_node(out, "NegBackward0", neg_backward, {a});
    return out;
}

// d(exp a)/da = exp a  (the saved output)
std::vector<Tensor> exp_backward(const Node& node, const Tensor& grad) {
    return {mul_forward(grad, node.saved[0])};
}

Tensor exp(const Tensor& a) {
    Tensor out = map_unary(a, [](float x) { return std::exp(x); });
    if (needs_grad({&a})) attach_node(out, "ExpBackward0", exp_backward, {a}).saved = {out.detach()};
    return out;
}

// d(log a)/da = 1/a
std::vector<Tensor> log_backward(const Node& node, const Tensor& grad) {
    return {div_forward(grad, node.inputs[0])};
}

Tensor log(const Tensor& a) {
    Tensor out = map_unary(a, [](float x) { return std::log(x); });
    if (needs_grad({&a})) attach_node(out, "LogBackward0", log_backward, {a});
    return out;
}

// d(sqrt a)/da = 1 / (2 sqrt a)
std::vector<Tensor> sqrt_backward(const Node& node, const Tensor& grad) {
    return {map_binary(grad, node.saved[0], "sqrt", [](float g, float y) { return g / (2.0f * y); })};
}

Tensor sqrt(const Tensor& a) {
    Tensor out = map_unary(a, [](float x) { return std::sqrt(x); });
    if (needs_grad({&a})) attach_node(out, "SqrtBackward0", sqrt_backward, {a}).saved = {out.detach()};
    return out;
}

// d(a^e)/da = e · a^(e-1)
std::vector<Tensor> pow_backward(const Node& node, const Tensor& grad) {
    float e = static_cast<float>(node.numbers[0]);
    return {map_binary(grad, node.inputs[0], "pow",
                       [e](float g, float x) { return e == 0.0f ? 0.0f : g * e * std::pow(x, e - 1.0f); })};
}

Tensor pow(const Tensor& a, float exponent) {
    Tensor out = map_unary(a, [exponent](float x) { return std::pow(x, exponent); });
    if (needs_grad({&a})) attach_node(out, "PowBackward0", pow_backward, {a}).numbers = {exponent};
    return out;
}

// d|a|/da = sign(a)  (0 at 0, as in PyTorch)
std::vector<Tensor> abs_backward(const Node& node, const Tensor& grad) {
    return {map_binary(grad, node.inputs[0], "abs",
                       [](float g, float x) { return x > 0 ? g : (x < 0 ? -g : 0.0f); })};
}

Tensor abs(const Tensor& a) {
    Tensor out = map_unary(a, [](float x) { return std::fabs(x); });
    if (needs_grad({&a})) attach_node(out, "AbsBackward0", abs_backward, {a});
    return out;
}

// --- comparison (not differentiable) ----------------------------------------------

Tensor eq(const Tensor& a, const Tensor& b) {
    return map_binary(a, b, "eq", [](float x, float y) { return x == y ? 1.0f : 0.0f; }).to_bool();
}

// --- operators: Python's a + b, a * 2, 1 - a, ... ---------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, float s) { return add(a, s); }
Tensor operator+(float s, const Tensor& a) { return add(a, s); }
Tensor operator-(const Tensor& a, float s) { return sub(a, s); }
Tensor operator-(float s, const Tensor& a) { return rsub(s, a); }
Tensor operator*(const Tensor& a, float s) { return mul(a, s); }
Tensor operator*(float s, const Tensor& a) { return mul(a, s); }
Tensor operator/(const Tensor& a, float s) { return div(a, s); }
Tensor operator/(float s, const Tensor& a) { return rdiv(s, a); }
Tensor operator-(const Tensor& a) { return neg(a); }

}  // namespace llm
