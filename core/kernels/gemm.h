// The one hot loop: C (+)= op(A) · op(B) on raw row-major float arrays.
//
//   op(A) is M×K:  A(i,k) = trans_a ? A[k*lda + i] : A[i*lda + k]
//   op(B) is K×N:  B(k,j) = trans_b ? B[j*ldb + k] : B[k*ldb + j]
//   C is M×N:      C[i*ldc + j]  =  (accumulate ? C[i*ldc + j] : 0) + Σ_k A(i,k)·B(k,j)
//
// Tensor-level matmul, linear and their backward passes (ops/matmul.cpp) all
// land here, so transposes never need a copy.
//
// How each sum is rounded: every element is a chain of fused multiply-adds (one rounding
// each) over k in order, from 0, cut into pieces of kGemmChain products that are added in
// order (C = piece 1, then C += piece 2, ...). That depends only on K, not on M, N or
// which other elements are computed: a block of C computed on its own (some rows, some
// columns) has the same bits as in the whole product. One exception: M == 1 (one row,
// as when generating a token) rounds its own way, for speed: with op(B) transposed (x·Wᵀ)
// each element is summed in 32 interleaved parts, added pairwise at the end (gemm.cpp's
// dot); still, an element does not depend on which others are computed.
// So a caller that knows some products are exactly 0 (the masked half of causal attention)
// may leave them out and still get the same bits: a chain starts at +0 and adding ±0 to it
// changes nothing, so zeros at the end of a chain can go, and zeros at its start too when
// what is left out is whole pieces (or K ≤ kGemmChain, one piece).
#pragma once

#include <cstdint>

namespace llm {

// The length of one chain of fused multiply-adds (the kernel's KC, see gemm.cpp).
constexpr int64_t kGemmChain = 768;

// The fast kernel (cache-blocked, see gemm.cpp). Use this one.
void gemm(int64_t M, int64_t N, int64_t K,
            const float* A, int64_t lda, bool trans_a,
            const float* B, int64_t ldb, bool trans_b,
            float* C, int64_t ldc, bool accumulate);

// C = bias + op(A)·op(B), the bias (N values) added to every row of C: the same bits as
// filling each row of C with the bias and calling gemm with accumulate, without that pass
// over C (Linear's y = x·Wᵀ + b). The tests compare the two.
void gemm_bias(int64_t M, int64_t N, int64_t K,
               const float* A, int64_t lda, bool trans_a,
               const float* B, int64_t ldb, bool trans_b,
               const float* bias, float* C, int64_t ldc);

// The reference: three loops, the definition above written out. Tests compare
// the fast kernel against it; read this one first.
void gemm_naive(int64_t M, int64_t N, int64_t K,
                  const float* A, int64_t lda, bool trans_a,
                  const float* B, int64_t ldb, bool trans_b,
                  float* C, int64_t ldc, bool accumulate);

}  // namespace llm
