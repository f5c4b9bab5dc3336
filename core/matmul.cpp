// Matrix multiply kernels; see matmul.h for the contract.
#include "matmul.h"

namespace llm {

void matmul_naive(int64_t M, int64_t N, int64_t K,
                  const float* A, int64_t lda, bool trans_a,
                  const float* B, int64_t ldb, bool trans_b,
                  float* C, int64_t ldc, bool accumulate) {
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            float sum = 0.0f;
            for (int64_t k = 0; k < K; k++) {
                float a = trans_a ? A[k * lda + i] : A[i * lda + k];
                float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                sum += a * b;
            }
            C[i * ldc + j] = accumulate ? C[i * ldc + j] + sum : sum;
        }
    }
}

void matmul(int64_t M, int64_t N, int64_t K,
            const float* A, int64_t lda, bool trans_a,
            const float* B, int64_t ldb, bool trans_b,
            float* C, int64_t ldc, bool accumulate) {
    matmul_naive(M, N, K, A, lda, trans_a, B, ldb, trans_b, C, ldc, accumulate);
}

}  // namespace llm
