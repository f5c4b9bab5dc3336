// Linear attention: softmax attention is a kernel smoother, out_i = Σ_j K(q_i, k_j) v_j /
// Σ_j K(q_i, k_j) with K(q, k) = exp(q·k/√hs). With a kernel that is a dot product of
// feature maps, K(q, k) = φ(q)·φ(k), the sums factor (Katharopoulos et al. 2020):
//   out_i = φ(q_i)ᵀ S_i / φ(q_i)ᵀ z_i,   S_i = Σ_{j≤i} φ(k_j) v_jᵀ (F×hs),  z_i = Σ_{j≤i} φ(k_j) (F),
// so a causal pass costs O(T·F·hs) per head instead of O(T²·hs), and generation keeps the
// fixed-size (S, z) instead of a KV cache. Two feature maps:
//   elu_plus_one   φ(x) = elu(x) + 1 (Katharopoulos et al.), F = hs
//   favor_features φ(x) = exp(W x - |x|²/2) / √m (FAVOR+, Choromanski et al. 2021), F = m:
//                  E[φ(q)·φ(k)] = exp(q·k) for Gaussian rows of W, so with q, k scaled by
//                  hs^(-1/4) it estimates softmax attention's exp(q·k/√hs).
// causal_linear_attention does the prefix sums; causal_linear_attention_reference is the
// masked quadratic form (A = φ(Q)φ(K)ᵀ ⊙ causal mask, out = A V / A 1) op by op, for tests.
#include "ops/internal.h"

#include <cmath>

namespace llm {

// --- φ(x) = elu(x) + 1 -------------------------------------------------------------

// dφ/dx = 1 for x > 0, e^x otherwise (= φ(x) there)
std::vector<Tensor> elu_plus_one_backward(const Node& node, const Tensor& grad) {
    return {map_binary(node.inputs[0], grad, "elu_plus_one_backward",
                       [](float x, float g) { return x > 0.0f ? g : g * std::exp(x); })};
}

Tensor elu_plus_one_forward(const Tensor& x) {
    return map_unary(x, [](float v) { return v > 0.0f ? v + 1.0f : std::exp(v); });
}

Tensor elu_plus_one(const Tensor& x) {
    Tensor out = elu_plus_one_forward(x);
    if (needs_grad({&x})) attach_node(out, "EluPlusOneBackward", elu_plus_one_backward, {x});
    return out;
}

// --- FAVOR+ positive random features ------------------------------------------------

namespace {

// hs^(-1/4): q and k are both scaled by it, so that φ(q')·φ(k') estimates exp(q·k/√hs).
double favor_scale(int64_t head_dim) { return std::pow(static_cast<double>(head_dim), -0.25); }

}  // namespace

// -> (B, T, heads·features) from x (B, T, heads·hs) and W (features, hs)
Tensor favor_features_forward(const Tensor& x, const Tensor& W, int64_t heads) {
    int64_t rows = x.numel() / x.size(-1), hs = W.size(1), m = W.size(0);
    double scale = favor_scale(hs), norm = 1.0 / std::sqrt(static_cast<double>(m));
    Shape shape = x.shape();
    shape.back() = heads * m;
    Tensor out = empty(shape);
    const float *xs = x.data(), *w = W.data();
    float* o = out.data();
    parallel_for(rows * heads, 64, [&](int64_t r0, int64_t r1) {
        for (int64_t rh = r0; rh < r1; rh++) {  // one (token, head) pair
            const float* xi = xs + rh * hs;
            double sq = 0.0;
            for (int64_t d = 0; d < hs; d++) sq += (xi[d] * scale) * (xi[d] * scale);
            for (int64_t f = 0; f < m; f++) {
                double dot = 0.0;
                for (int64_t d = 0; d < hs; d++) dot += static_cast<double>(w[f * hs + d]) * (xi[d] * scale);
                o[rh * m + f] = static_cast<float>(std::exp(dot - 0.5 * sq) * norm);
            }
        }
    });
    return out;
}

// dφ_f/dx = φ_f · (w_f - x') · hs^(-1/4), x' = x·hs^(-1/4); no gradient for W (a buffer)
std::vector<Tensor> favor_features_backward(const Node& node, const Tensor& grad) {
    const Tensor &x = node.inputs[0], &W = node.saved[0], &phi = node.saved[1];
    int64_t hs = W.size(1), m = W.size(0), heads = node.ints[0], rows = x.numel() / x.size(-1) * heads;
    double scale = favor_scale(hs);
    Tensor dx = empty(x.shape());
    const float *xs = x.data(), *w = W.data(), *p = phi.data(), *g = grad.data();
    float* out = dx.data();
    parallel_for(rows, 64, [&](int64_t r0, int64_t r1) {
        for (int64_t rh = r0; rh < r1; rh++) {
            for (int64_t d = 0; d < hs; d++) {
                double xd = xs[rh * hs + d] * scale, sum = 0.0;
                for (int64_t f = 0; f < m; f++)
                    sum += static_cast<double>(g[rh * m + f]) * p[rh * m + f] * (w[f * hs + d] - xd);
                out[rh * hs + d] = static_cast<float>(sum * scale);
            }
        }
    });
    return {dx};
}

Tensor favor_features(const Tensor& x, const Tensor& W, int64_t heads) {
    if (W.dim() != 2 || x.dim() < 1 || heads <= 0 || x.size(-1) != heads * W.size(1))
        throw Error("favor_features: x " + shape_to_string(x.shape()) + " must be (..., heads·hs) for " +
                    std::to_string(heads) + " heads and the features' W (features, hs), got W " + shape_to_string(W.shape()));
    Tensor out = favor_features_forward(x, W, heads);
    if (needs_grad({&x})) {
        Node& node = attach_node(out, "FavorFeaturesBackward", favor_features_backward, {x});
        node.saved = {W, out.detach()};
        node.ints = {heads};
    }
    return out;
}

Tensor favor_features_reference(const Tensor& x, const Tensor& W, int64_t heads) {
    int64_t hs = W.size(1), m = W.size(0);
    Shape split = x.shape();
    split.back() = heads;
    split.push_back(hs);
    Tensor xs = x.view(split) * static_cast<float>(favor_scale(hs));           // (..., heads, hs)
    Tensor proj = matmul(xs, W.T());                                           // (..., heads, m)
    Tensor half_sq = sum(xs * xs, -1, true) * 0.5f;                            // (..., heads, 1)
    Tensor phi = exp(proj - half_sq) / static_cast<float>(std::sqrt(static_cast<double>(m)));
    Shape merged = x.shape();
    merged.back() = heads * m;
    return phi.view(merged);
}

}  // namespace llm
