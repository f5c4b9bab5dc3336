// One row of A (M == 1, as when generating one token): gemm's vector-matrix product
// (kernels/gemm.h's contract; gemm calls it for M == 1). Packing B would cost as much as the
// arithmetic, so B is read in place; one token's step through GPT-2 124M reads every
// weight once here.
#include "kernels/multiply_add.h"
#include "kernels/parallel.h"
#include "kernels/strided_matrix.h"

#include <algorithm>
#include <vector>

namespace llm::matmul {

namespace {

// Σ x[k]·y[k] in 32 partial sums. Generation reads every weight of the model once per
// token (~500 MB for 124M) through this loop, x·Wᵀ one row of W at a time, so it only has
// to keep the memory bus busy. How it was chosen (AMD Zen 5, g++ 12 and clang++ 14, the
// 124M model's products timed in place):
//   - The compiler may not split one long sum by itself (that reorders the additions), so
//     the sum is kept in LANES partial sums, the l loop below. With 32, both compilers
//     turn it into two 512-bit (or four 256-bit) vector FMAs per step whose accumulators
//     stay in registers. With 16 (one register's worth) g++ 12 unrolled the l loop before
//     vectorising and left 16 scalar FMAs: 11 GB/s where 32 lanes read 21-27. 64 lanes
//     measured the same as 32.
//   - One row of W after the other, not several at once: the rows lie one after another in
//     memory, so this is one sequential stream, which the hardware prefetcher follows
//     best. Four rows at a time (four short streams) read 15-20 GB/s instead of 21-27.
//   - At the end the partial sums are added pairwise (lane l and l + 16, then l and l + 8,
//     ...), a fixed order, then the n % 32 leftover products one by one. A column of the
//     result is thus the same bits whatever block of columns or thread computed it.
float dot(const float* x, const float* y, int64_t n) {
    constexpr int LANES = 32;
    float partial[LANES] = {};
    int64_t k = 0;
    for (; k + LANES <= n; k += LANES)
        for (int l = 0; l < LANES; l++) partial[l] = multiply_add(x[k + l], y[k + l], partial[l]);
    for (int width = LANES / 2; width > 0; width /= 2)
        for (int l = 0; l < width; l++) partial[l] += partial[l + width];
    float sum = partial[0];
    for (; k < n; k++) sum = multiply_add(x[k], y[k], sum);
    return sum;
}

// c (1×N) (=|+=) a (1×K) · op(B). If the rows of op(B) are contiguous, c is
// built as Σ_k a_k · (row k of B), vectorised over j; otherwise (trans_b, as in
// x·Wᵀ) its columns are contiguous and each c_j is a dot product.
void row_times_matrix(int64_t N, int64_t K, const StridedMatrix& a, const StridedMatrix& b,
                      float* c, bool accumulate) {
    std::vector<float> a_row(static_cast<size_t>(K));  // op(A)'s row, made contiguous
    for (int64_t k = 0; k < K; k++) a_row[k] = a.at(0, k);
    if (b.col_stride == 1) {
        if (!accumulate) std::fill(c, c + N, 0.0f);
        for (int64_t k = 0; k < K; k++) {
            const float* b_row = b.data + k * b.row_stride;
            for (int64_t j = 0; j < N; j++) c[j] = multiply_add(a_row[k], b_row[j], c[j]);
        }
    } else {
        for (int64_t j = 0; j < N; j++) {
            float sum = dot(a_row.data(), b.data + j * b.col_stride, K);
            c[j] = accumulate ? c[j] + sum : sum;
        }
    }
}

}  // namespace

// The vector-matrix product, its columns split between the threads, each thread getting
// at least kMinWorkPerThread multiply-adds (so 124M's 768×768 projections are split too;
// a fixed 512 columns per thread left them, and the 3072→768 layer, on one thread).
void row_times_matrix_threads(int64_t N, int64_t K, const StridedMatrix& a, const StridedMatrix& b,
                              float* c, bool accumulate) {
    parallel_for(N, tiles_grain(K), [&](int64_t j0, int64_t j1) {
        row_times_matrix(j1 - j0, K, a, columns_from(b, j0), c + j0, accumulate);
    });
}

}  // namespace llm::matmul
