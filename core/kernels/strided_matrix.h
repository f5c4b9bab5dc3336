// What the two matmul files share (kernels/gemm.cpp, the blocked product; kernels/
// row_times_matrix.cpp, the one-row product generation runs): op(A) and op(B) seen
// through strides, and how much work a thread must get. Not part of the public API.
#pragma once

#include <algorithm>
#include <cstdint>

namespace llm::matmul {

// A matrix seen through strides: element (r, c) is data[r*row_stride + c*col_stride].
// op(A) and op(B) of the contract (gemm.h) are both one of these, whatever the transposes.
struct StridedMatrix {
    const float* data;
    int64_t row_stride;
    int64_t col_stride;
    float at(int64_t r, int64_t c) const { return data[r * row_stride + c * col_stride]; }
};

// op(X) as a StridedMatrix: the transposed layout just swaps the two strides.
inline StridedMatrix op(const float* X, int64_t ldx, bool trans) {
    return trans ? StridedMatrix{X, 1, ldx} : StridedMatrix{X, ldx, 1};
}

// Columns [j0, ...) of op(B), as a matrix of their own.
inline StridedMatrix columns_from(const StridedMatrix& b, int64_t j0) {
    return StridedMatrix{b.data + j0 * b.col_stride, b.row_stride, b.col_stride};
}
// Rows [i0, ...) of op(A).
inline StridedMatrix rows_from(const StridedMatrix& a, int64_t i0) {
    return StridedMatrix{a.data + i0 * a.row_stride, a.row_stride, a.col_stride};
}

// A thread gets at least this many multiply-adds, or waking it costs more than it saves.
inline constexpr int64_t kMinWorkPerThread = 1 << 18;

// Tiles (or columns) per chunk so that a chunk holds kMinWorkPerThread multiply-adds (at least 1).
inline int64_t tiles_grain(int64_t work_per_tile) { return std::max<int64_t>(1, kMinWorkPerThread / work_per_tile); }

// c (1×N) (=|+=) a (1×K) · op(B), the columns split between the threads
// (kernels/row_times_matrix.cpp). a: one row of op(A); c: N floats
void row_times_matrix_threads(int64_t N, int64_t K, const StridedMatrix& a, const StridedMatrix& b, float* c,
                              bool accumulate);

}  // namespace llm::matmul
