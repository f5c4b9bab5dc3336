// MultiHeadAttention with linear or performer attention (the attention lab, part 2): the
// softmax kernel exp(q·k/√hs) replaced by φ(q)·φ(k) (ops/linear_attention.cpp), so the causal
// sums become prefix sums and generation keeps a fixed-size state instead of a KV cache.
// These kinds have no attention weights, so attention dropout does not apply to them (the
// shortcut and embedding dropouts still do).
#include "nn/nn.h"

#include "ops/ops.h"
#include "random/random.h"

#include <algorithm>
#include <cmath>

namespace llm {

// One block of hs orthonormal rows: Gram–Schmidt, in double, of an (hs, hs) Gaussian matrix.
static std::vector<double> orthonormal_block(int64_t hs) {
    std::vector<float> g(static_cast<size_t>(hs * hs));
    normal_(g.data(), hs * hs, 0.0, 1.0);  // torch.randn(hs, hs)
    std::vector<double> q(g.begin(), g.end());
    for (int64_t r = 0; r < hs; r++) {
        double* row = q.data() + r * hs;
        for (int64_t p = 0; p < r; p++) {
            const double* prev = q.data() + p * hs;
            double dot = 0.0;
            for (int64_t d = 0; d < hs; d++) dot += row[d] * prev[d];
            for (int64_t d = 0; d < hs; d++) row[d] -= dot * prev[d];
        }
        double norm = 0.0;
        for (int64_t d = 0; d < hs; d++) norm += row[d] * row[d];
        norm = std::sqrt(norm);
        for (int64_t d = 0; d < hs; d++) row[d] /= norm;
    }
    return q;
}

Tensor orthogonal_gaussian_features(int64_t m, int64_t head_dim) {
    std::vector<double> rows;
    while (static_cast<int64_t>(rows.size()) < m * head_dim) {
        std::vector<double> block = orthonormal_block(head_dim);
        size_t wanted = std::min(block.size(), static_cast<size_t>(m * head_dim) - rows.size());
        rows.insert(rows.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(wanted));
    }
    std::vector<float> lengths(static_cast<size_t>(m * head_dim));
    normal_(lengths.data(), m * head_dim, 0.0, 1.0);  // torch.randn(m, hs): one Gaussian vector per row
    std::vector<float> W(rows.size());
    for (int64_t r = 0; r < m; r++) {
        double len = 0.0;
        for (int64_t d = 0; d < head_dim; d++) len += static_cast<double>(lengths[r * head_dim + d]) * lengths[r * head_dim + d];
        len = std::sqrt(len);
        for (int64_t d = 0; d < head_dim; d++) W[r * head_dim + d] = static_cast<float>(rows[r * head_dim + d] * len);
    }
    return Tensor({m, head_dim}, W);
}

// φ of queries (B, T, H·hs) or keys (B, T, kv_groups·hs), `heads` heads -> (B, T, heads·features)
Tensor MultiHeadAttention::feature_map(const Tensor& x, int64_t heads, bool reference) const {
    if (attention == AttentionKind::linear) return elu_plus_one(x);
    return reference ? favor_features_reference(x, features, heads) : favor_features(x, features, heads);
}

// queries (B, T, C), keys and values (B, T, kv_groups·hs) -> context (B, T, C)
Tensor MultiHeadAttention::kernel_attention(const Tensor& queries, const Tensor& keys, const Tensor& values,
                                            bool reference) const {
    Tensor phi_q = feature_map(queries, num_heads, reference), phi_k = feature_map(keys, num_kv_groups, reference);
    if (reference) return causal_linear_attention_reference(phi_q, phi_k, values, num_heads, num_kv_groups);
    return causal_linear_attention(phi_q, phi_k, values, num_heads, num_kv_groups);
}

// The new tokens x (B, T_new, C) at positions start ...: each sees the state (S, z) of the
// earlier tokens plus the new tokens up to itself; then the new tokens join the state.
Tensor MultiHeadAttention::forward_cached_state(const Tensor& x, Tensor& state_S, Tensor& state_z,
                                                int64_t start) const {
    int64_t b = x.size(0), t_new = x.size(1);
    Tensor q = W_query.forward(x), k = W_key.forward(x), v = W_value.forward(x);
    if (pos == PosEncoding::rope) q = rope(q, rope_cos, rope_sin, start), k = rope(k, rope_cos, rope_sin, start);
    auto heads = [&](const Tensor& t, int64_t n) { return t.view({b, t_new, n, t.size(2) / n}).transpose(1, 2); };
    Tensor qh = heads(feature_map(q, num_heads, false), num_heads);             // (B, H, T_new, features)
    Tensor kh = heads(feature_map(k, num_kv_groups, false), num_kv_groups);     // (B, kv_groups, T_new, features)
    Tensor vh = heads(v, num_kv_groups);                                        // (B, kv_groups, T_new, hs)
    Tensor A = matmul(qh, repeat_kv(kh).transpose(2, 3)) * tril(ones({t_new, t_new}));  // (B, H, T_new, T_new)
    Tensor num = matmul(A, repeat_kv(vh));                                      // (B, H, T_new, hs)
    Tensor den = sum(A, -1, true);                                              // (B, H, T_new, 1)
    if (state_S.defined()) {
        num = num + matmul(qh, repeat_kv(state_S));
        den = den + matmul(qh, repeat_kv(state_z).unsqueeze(-1));
    }
    Tensor S_add = matmul(kh.transpose(2, 3), vh), z_add = sum(kh, 2);          // (B, kv_groups, features, hs), (B, kv_groups, features)
    state_S = state_S.defined() ? state_S + S_add : S_add;
    state_z = state_z.defined() ? state_z + z_add : z_add;
    return out_proj.forward(merge_heads(num / den));
}

}  // namespace llm
