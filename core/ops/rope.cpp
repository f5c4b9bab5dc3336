// Rotary position embedding (RoPE, Su et al. 2021) as one op, in the "rotate half" form of
// the book's Llama conversion (ch05/07_gpt_to_llama, compute_rope):
//
//   rope(x) = x · cos + cat(-x₂, x₁) · sin
//
// where x₁, x₂ are the first and second halves of each head's hs values, and cos, sin
// are the tables of the angles p·θ_i (θ_i = 10000^(-2i/hs)) at the token's position p,
// the same angle for element i and element i + hs/2. So each pair (x_i, x_{i+hs/2}) is
// rotated by p·θ_i, and the dot product of a rotated query and key depends only on how
// far apart they are. The op works on the projections as they come, (B, T, heads·hs) with
// head h in columns [h·hs, (h+1)·hs), so the heads need not be split first; it computes
// each value with the same float operations as the op-by-op form (nn/attention.cpp :
// rope_reference), which tests compare it with.
#include "ops/internal.h"

namespace llm {

namespace {

// The tables' checks: cos and sin (positions, hs), hs even, covering start .. start + T - 1.
void check_rope_inputs(const Tensor& x, const Tensor& cos, const Tensor& sin, int64_t start) {
    if (cos.dim() != 2 || sin.shape() != cos.shape() || cos.size(1) % 2 != 0)
        throw Error("rope: cos and sin must both be (positions, head size) with an even head size, got " +
                    shape_to_string(cos.shape()) + " and " + shape_to_string(sin.shape()));
    if (x.dim() != 3 || x.size(2) % cos.size(1) != 0)
        throw Error("rope: expected (batch, tokens, heads · head size " + std::to_string(cos.size(1)) + "), got " +
                    shape_to_string(x.shape()));
    if (start < 0 || start + x.size(1) > cos.size(0))
        throw Error("rope: positions " + std::to_string(start) + " .. " + std::to_string(start + x.size(1) - 1) +
                    " are outside the tables of " + std::to_string(cos.size(0)) + " positions");
}

// out = x rotated (sign +1) or rotated back (sign -1) at the positions start + t, head by head.
// x, out: (B, T, heads·hs); cos, sin: (positions, hs)
void rotate(const Tensor& x, const Tensor& cos, const Tensor& sin, int64_t start, bool forward, Tensor& out) {
    int64_t tokens = x.size(1), width = x.size(2), hs = cos.size(1), half = hs / 2;
    int64_t rows = x.numel() / std::max<int64_t>(width, 1);  // (b, t) pairs
    const float *xv = x.data(), *c = cos.data(), *s = sin.data();
    float* y = out.data();
    parallel_for(rows, 1 + 4096 / std::max<int64_t>(1, width), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
            int64_t p = start + r % tokens;
            const float *cp = c + p * hs, *sp = s + p * hs;
            for (int64_t head = 0; head < width; head += hs) {
                const float* xr = xv + r * width + head;
                float* yr = y + r * width + head;
                for (int64_t i = 0; i < half; i++) {
                    if (forward) {  // x·cos + cat(-x₂, x₁)·sin
                        yr[i] = xr[i] * cp[i] + (-xr[i + half]) * sp[i];
                        yr[i + half] = xr[i + half] * cp[i + half] + xr[i] * sp[i + half];
                    } else {        // the transpose: g·cos + cat(g₂·sin₂, -g₁·sin₁)
                        yr[i] = xr[i] * cp[i] + xr[i + half] * sp[i + half];
                        yr[i + half] = xr[i + half] * cp[i + half] + (-xr[i]) * sp[i];
                    }
                }
            }
        }
    });
}

}  // namespace

Tensor rope_forward(const Tensor& x, const Tensor& cos, const Tensor& sin, int64_t start) {
    Tensor out = empty(x.shape());  // every element is written by rotate
    rotate(x, cos, sin, start, true, out);
    return out;
}

// A rotation's derivative is its transpose, the rotation by -angle:
// dx_i = g_i·cos_i + g_{i+hs/2}·sin_{i+hs/2},  dx_{i+hs/2} = g_{i+hs/2}·cos_{i+hs/2} - g_i·sin_i
std::vector<Tensor> rope_backward(const Node& node, const Tensor& grad) {
    Tensor dx = empty(grad.shape());
    rotate(grad, node.saved[0], node.saved[1], node.ints[0], false, dx);
    return {dx};
}

Tensor rope(const Tensor& x, const Tensor& cos, const Tensor& sin, int64_t start) {
    check_float(x, "rope");
    check_rope_inputs(x, cos, sin, start);
    Tensor out = rope_forward(x, cos, sin, start);
    if (needs_grad({&x})) {
        Node& node = attach_node(out, "RopeBackward", rope_backward, {x});
        node.saved = {cos.detach(), sin.detach()};
        node.ints = {start};
    }
    return out;
}

}  // namespace llm
