// torch.randn(shape) for the tests: a tensor of normal draws from the default generator
// (seed it first with manual_seed).
#pragma once

#include "random/random.h"
#include "tensor/tensor.h"

inline llm::Tensor randn_tensor(const llm::Shape& shape) {
    llm::Tensor t = llm::zeros(shape);
    llm::normal_(t.data(), t.numel(), 0.0, 1.0);
    return t;
}
