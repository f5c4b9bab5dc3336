// run_attention: one forward + backward of a MultiHeadAttention through the fused forward
// or the book's op-by-op forward_reference, for tests that compare the two.
#pragma once

#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"

#include <cstdint>
#include <vector>

// The output and every gradient (input first, then the parameters in order); the loss is
// a weighted sum with N(0, 1) weights, so every output element gets its own gradient.
// `seed` is set before the forward, so both paths draw the same dropout masks.
inline std::vector<llm::Tensor> run_attention(llm::MultiHeadAttention& mha, const llm::Tensor& x_values, bool fused,
                                              uint64_t seed) {
    for (auto& [name, p] : mha.named_parameters()) p.zero_grad();
    llm::Tensor x = x_values.detach();  // x_values: (B, T, C)
    x.requires_grad_();
    llm::manual_seed(seed);
    llm::Tensor out = fused ? mha.forward(x) : mha.forward_reference(x);
    llm::Tensor weights = llm::zeros(out.shape());
    llm::normal_(weights.data(), weights.numel(), 0.0, 1.0);
    (out * weights).sum().backward();
    std::vector<llm::Tensor> results = {out.detach(), x.grad()};
    for (auto& [name, p] : mha.named_parameters()) results.push_back(p.grad());
    return results;
}
