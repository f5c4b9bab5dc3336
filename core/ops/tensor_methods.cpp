// The Tensor methods that call ops (x.T, x.view(...), x.sum(), x.matmul(y), ...), declared
// in tensor/tensor.h as PyTorch's are on torch.Tensor and defined here, in the ops room, so that
// tensor/ includes nothing above it.
#include "ops/ops.h"

namespace llm {

Tensor Tensor::clone() const { return llm::clone(*this); }
Tensor Tensor::operator[](int64_t index) const { return select(*this, 0, index); }
Tensor Tensor::T() const { return llm::t(*this); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return llm::transpose(*this, d0, d1); }
Tensor Tensor::view(const Shape& s) const { return llm::view(*this, s); }
Tensor Tensor::reshape(const Shape& s) const { return llm::view(*this, s); }
Tensor Tensor::flatten(int64_t a, int64_t b) const { return llm::flatten(*this, a, b); }
Tensor Tensor::unsqueeze(int64_t d) const { return llm::unsqueeze(*this, d); }
Tensor Tensor::squeeze(int64_t d) const { return llm::squeeze(*this, d); }
Tensor Tensor::sum() const { return llm::sum(*this); }
Tensor Tensor::sum(int64_t d, bool keep) const { return llm::sum(*this, d, keep); }
Tensor Tensor::mean() const { return llm::mean(*this); }
Tensor Tensor::mean(int64_t d, bool keep) const { return llm::mean(*this, d, keep); }
Tensor Tensor::var(int64_t d, bool keep, bool unbiased) const { return llm::var(*this, d, keep, unbiased); }
Tensor Tensor::pow(float e) const { return llm::pow(*this, e); }
Tensor Tensor::exp() const { return llm::exp(*this); }
Tensor Tensor::log() const { return llm::log(*this); }
Tensor Tensor::sqrt() const { return llm::sqrt(*this); }
Tensor Tensor::masked_fill(const Tensor& m, float v) const { return llm::masked_fill(*this, m, v); }
Tensor Tensor::matmul(const Tensor& o) const { return llm::matmul(*this, o); }

}  // namespace llm
