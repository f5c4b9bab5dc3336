// The one hot loop: C (+)= op(A) · op(B) on raw row-major float arrays.
//
//   op(A) is M×K:  A(i,k) = trans_a ? A[k*lda + i] : A[i*lda + k]
//   op(B) is K×N:  B(k,j) = trans_b ? B[j*ldb + k] : B[k*ldb + j]
//   C is M×N:      C[i*ldc + j]  =  (accumulate ? C[i*ldc + j] : 0) + Σ_k A(i,k)·B(k,j)
//
// Tensor-level matmul, linear and their backward passes (ops/matmul.cpp) all
// land here, so transposes never need a copy.
#pragma once

#include <cstdint>

namespace llm {

// The fast kernel (cache-blocked, see gemm.cpp). Use this one.
void gemm(int64_t M, int64_t N, int64_t K,
            const float* A, int64_t lda, bool trans_a,
            const float* B, int64_t ldb, bool trans_b,
            float* C, int64_t ldc, bool accumulate);

// The reference: three loops, the definition above written out. Tests compare
// the fast kernel against it; read this one first.
void gemm_naive(int64_t M, int64_t N, int64_t K,
                  const float* A, int64_t lda, bool trans_a,
                  const float* B, int64_t ldb, bool trans_b,
                  float* C, int64_t ldc, bool accumulate);

}  // namespace llm
