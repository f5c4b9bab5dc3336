// The causal prefix sums of linear attention (see ops/linear_attention.cpp for the maths):
//   out_i = num_i / den_i,  num_i = φq_iᵀ S_i,  den_i = φq_i·z_i,
//   S_i = Σ_{j≤i} φk_j v_jᵀ,  z_i = Σ_{j≤i} φk_j.
// Backward runs two passes over the tokens. With dnum_i = dout_i / den_i and
// dden_i = -(dout_i·out_i) / den_i:
//   forward order:  dφq_i = S_i dnum_i + z_i dden_i
//   reverse order:  R_j = Σ_{i≥j} φq_i dnum_iᵀ, r_j = Σ_{i≥j} φq_i dden_i,
//                   dφk_j = R_j v_j + r_j,  dv_j = R_jᵀ φk_j.
// The state is summed in double. Query heads sharing a key/value head (grouped-query) read
// one state and run in head order on one thread, so results do not depend on the threads.
#include "ops/internal.h"

#include <algorithm>

namespace llm {

namespace {

// Where head bh's pieces live: features F per head, values hs per head.
struct LinearLayout {
    int64_t T, H, kv_heads, F, hs;
    int64_t group() const { return H / kv_heads; }
    int64_t q_at(int64_t b, int64_t h, int64_t t) const { return (b * T + t) * H * F + h * F; }
    int64_t k_at(int64_t b, int64_t g, int64_t t) const { return (b * T + t) * kv_heads * F + g * F; }
    int64_t v_at(int64_t b, int64_t g, int64_t t) const { return (b * T + t) * kv_heads * hs + g * hs; }
    int64_t o_at(int64_t b, int64_t h, int64_t t) const { return (b * T + t) * H * hs + h * hs; }
};

LinearLayout linear_layout(const Tensor& phi_q, const Tensor& v, int64_t H, int64_t kv_heads) {
    return LinearLayout{phi_q.size(1), H, kv_heads, phi_q.size(2) / H, v.size(2) / kv_heads};
}

// S += a bᵀ (F×hs), z += a when z is given.
void add_outer(std::vector<double>& S, std::vector<double>* z, const float* a, const double* b, const LinearLayout& L) {
    for (int64_t f = 0; f < L.F; f++) {
        double af = a[f];
        for (int64_t d = 0; d < L.hs; d++) S[f * L.hs + d] += af * b[d];
        if (z != nullptr) (*z)[f] += af;
    }
}

// One (batch, key/value head) pair forward: out and den of its query heads.
void linear_group_forward(const LinearLayout& L, int64_t b, int64_t g, const float* pq, const float* pk,
                          const float* v, float* out, float* den) {
    std::vector<double> S(static_cast<size_t>(L.F * L.hs), 0.0), z(static_cast<size_t>(L.F), 0.0), vj(L.hs), num(L.hs);
    for (int64_t t = 0; t < L.T; t++) {
        for (int64_t d = 0; d < L.hs; d++) vj[d] = v[L.v_at(b, g, t) + d];
        add_outer(S, &z, pk + L.k_at(b, g, t), vj.data(), L);
        for (int64_t h = g * L.group(); h < (g + 1) * L.group(); h++) {
            const float* q = pq + L.q_at(b, h, t);
            double dn = 0.0;
            for (int64_t f = 0; f < L.F; f++) dn += q[f] * z[f];
            std::fill(num.begin(), num.end(), 0.0);
            for (int64_t f = 0; f < L.F; f++)
                for (int64_t d = 0; d < L.hs; d++) num[d] += q[f] * S[f * L.hs + d];
            for (int64_t d = 0; d < L.hs; d++) out[L.o_at(b, h, t) + d] = static_cast<float>(num[d] / dn);
            den[(b * L.H + h) * L.T + t] = static_cast<float>(dn);
        }
    }
}

// The tensors a group's backward reads and writes.
struct LinearGrads {
    const float *pq, *pk, *v, *out, *den, *d_out;
    float *dpq, *dpk, *dv;
};

// dnum (hs) and dden of query head h at token t.
double upstream(const LinearLayout& L, const LinearGrads& g, int64_t b, int64_t h, int64_t t, double* dnum) {
    double dn = g.den[(b * L.H + h) * L.T + t], dot = 0.0;
    for (int64_t d = 0; d < L.hs; d++) {
        double go = g.d_out[L.o_at(b, h, t) + d];
        dnum[d] = go / dn;
        dot += go * g.out[L.o_at(b, h, t) + d];
    }
    return -dot / dn;
}

void linear_group_backward(const LinearLayout& L, int64_t b, int64_t grp, const LinearGrads& g) {
    size_t Fh = static_cast<size_t>(L.F * L.hs);
    std::vector<double> S(Fh, 0.0), z(static_cast<size_t>(L.F), 0.0), vj(L.hs), dnum(L.hs);
    for (int64_t t = 0; t < L.T; t++) {  // forward order: dφq
        for (int64_t d = 0; d < L.hs; d++) vj[d] = g.v[L.v_at(b, grp, t) + d];
        add_outer(S, &z, g.pk + L.k_at(b, grp, t), vj.data(), L);
        for (int64_t h = grp * L.group(); h < (grp + 1) * L.group(); h++) {
            double dden = upstream(L, g, b, h, t, dnum.data());
            for (int64_t f = 0; f < L.F; f++) {
                double s = z[f] * dden;
                for (int64_t d = 0; d < L.hs; d++) s += S[f * L.hs + d] * dnum[d];
                g.dpq[L.q_at(b, h, t) + f] = static_cast<float>(s);
            }
        }
    }
    std::vector<double> R(Fh, 0.0), r(static_cast<size_t>(L.F), 0.0);
    for (int64_t t = L.T - 1; t >= 0; t--) {  // reverse order: dφk, dv
        for (int64_t h = grp * L.group(); h < (grp + 1) * L.group(); h++) {
            double dden = upstream(L, g, b, h, t, dnum.data());
            const float* q = g.pq + L.q_at(b, h, t);
            add_outer(R, nullptr, q, dnum.data(), L);
            for (int64_t f = 0; f < L.F; f++) r[f] += q[f] * dden;
        }
        const float* k = g.pk + L.k_at(b, grp, t);
        const float* vt = g.v + L.v_at(b, grp, t);
        for (int64_t f = 0; f < L.F; f++) {
            double s = r[f];
            for (int64_t d = 0; d < L.hs; d++) s += R[f * L.hs + d] * vt[d];
            g.dpk[L.k_at(b, grp, t) + f] = static_cast<float>(s);
        }
        for (int64_t d = 0; d < L.hs; d++) {
            double s = 0.0;
            for (int64_t f = 0; f < L.F; f++) s += R[f * L.hs + d] * k[f];
            g.dv[L.v_at(b, grp, t) + d] = static_cast<float>(s);
        }
    }
}

}  // namespace

// d(out)/d(φq, φk, v) by the two passes above. saved: out (B, T, H·hs), den (B, H, T)
std::vector<Tensor> causal_linear_attention_backward(const Node& node, const Tensor& grad) {
    const Tensor &pq = node.inputs[0], &pk = node.inputs[1], &v = node.inputs[2];
    LinearLayout L = linear_layout(pq, v, node.ints[0], node.ints[1]);
    Tensor dpq = empty(pq.shape()), dpk = empty(pk.shape()), dv = empty(v.shape());
    LinearGrads g{pq.data(), pk.data(), v.data(), node.saved[0].data(), node.saved[1].data(), grad.data(),
                  dpq.data(), dpk.data(), dv.data()};
    parallel_for(pq.size(0) * L.kv_heads, 1, [&](int64_t g0, int64_t g1) {
        for (int64_t bg = g0; bg < g1; bg++) linear_group_backward(L, bg / L.kv_heads, bg % L.kv_heads, g);
    });
    return {dpq, dpk, dv};
}

// out (B, T, H·hs) from φq (B, T, H·features), φk (B, T, kv_heads·features), v (B, T, kv_heads·hs); fills den (B, H, T)
Tensor causal_linear_attention_forward(const Tensor& phi_q, const Tensor& phi_k, const Tensor& v, int64_t H,
                                       int64_t kv_heads, Tensor& den) {
    LinearLayout L = linear_layout(phi_q, v, H, kv_heads);
    Tensor out = empty({phi_q.size(0), L.T, H * L.hs});
    parallel_for(phi_q.size(0) * kv_heads, 1, [&](int64_t g0, int64_t g1) {
        for (int64_t bg = g0; bg < g1; bg++)
            linear_group_forward(L, bg / kv_heads, bg % kv_heads, phi_q.data(), phi_k.data(), v.data(), out.data(),
                                 den.data());
    });
    return out;
}

static void check_linear_inputs(const Tensor& pq, const Tensor& pk, const Tensor& v, int64_t H, int64_t kv_heads) {
    bool ok = pq.dim() == 3 && pk.dim() == 3 && v.dim() == 3 && H > 0 && kv_heads > 0 && H % kv_heads == 0 &&
              pk.size(0) == pq.size(0) && v.size(0) == pq.size(0) && pk.size(1) == pq.size(1) &&
              v.size(1) == pq.size(1) && pq.size(2) % H == 0 && v.size(2) % kv_heads == 0 &&
              pk.size(2) == kv_heads * (pq.size(2) / H);
    if (!ok)
        throw Error("causal_linear_attention: expected φq (B, T, H·features), φk (B, T, kv_heads·features), v (B, T, kv_heads·hs) "
                    "with kv_heads dividing H, got " + shape_to_string(pq.shape()) + ", " +
                    shape_to_string(pk.shape()) + ", " + shape_to_string(v.shape()) + " for H " + std::to_string(H) +
                    " and kv_heads " + std::to_string(kv_heads));
}

Tensor causal_linear_attention(const Tensor& phi_q, const Tensor& phi_k, const Tensor& v, int64_t num_heads,
                               int64_t kv_heads) {
    check_linear_inputs(phi_q, phi_k, v, num_heads, kv_heads);
    Tensor den = empty({phi_q.size(0), num_heads, phi_q.size(1)});
    Tensor out = causal_linear_attention_forward(phi_q, phi_k, v, num_heads, kv_heads, den);
    if (needs_grad({&phi_q, &phi_k, &v})) {
        Node& node = attach_node(out, "CausalLinearAttentionBackward", causal_linear_attention_backward, {phi_q, phi_k, v});
        node.ints = {num_heads, kv_heads};
        node.saved = {out.detach(), den};
    }
    return out;
}

// (B, T, heads·n) -> (B, heads, T, n), each head repeated `repeat` times (grouped-query).
static Tensor heads_of(const Tensor& x, int64_t heads, int64_t repeat) {
    Tensor h = x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
    if (repeat == 1) return h;
    std::vector<int64_t> index;
    for (int64_t i = 0; i < heads * repeat; i++) index.push_back(i / repeat);
    return index_select(h, 1, tensor_int64(index, {heads * repeat}));
}

Tensor causal_linear_attention_reference(const Tensor& phi_q, const Tensor& phi_k, const Tensor& v,
                                         int64_t num_heads, int64_t kv_heads) {
    int64_t B = phi_q.size(0), T = phi_q.size(1), group = num_heads / kv_heads;
    Tensor q = heads_of(phi_q, num_heads, 1), k = heads_of(phi_k, kv_heads, group), vh = heads_of(v, kv_heads, group);
    Tensor A = matmul(q, k.transpose(2, 3)) * tril(ones({T, T}));  // (B, H, T, T): φ(q_i)·φ(k_j) for j ≤ i
    Tensor out = matmul(A, vh) / sum(A, -1, true);                  // (B, H, T, hs)
    return out.transpose(1, 2).contiguous().view({B, T, -1});
}

}  // namespace llm
