// transpose_8x8: an 8×8 block of floats transposed through vector registers, and
// transpose_block, any block of them, for the matmul's packing of a transposed B
// (kernels/gemm.cpp, pack_b_by_columns) and the causal attention's keys and values turned
// once per head (ops/attention.cpp, head_forward and head_backward).
//
// The plain way is one float at a time, out[k][j] = in[j][k]: 64 loads and 64 stores for 64
// values, and a CPU stores at most one or two floats a cycle. transpose_8x8 loads the 8 rows
// as 8 vectors of 8 floats, rearranges them in three rounds of shuffles, and stores 8
// vectors: 16 memory operations and 24 shuffles for the same 64 values (packing 3-3.6×
// faster on 124M's keys and weights, Zen 5, core/README.md). It is a copy, so the packed
// values are the same bits either way; tests/test_gemm.cpp checks it against the plain loop.
//
// The vectors are GCC's and Clang's vector extension (`vector_size(32)`: 8 floats, one
// 256-bit register with AVX; two 128-bit ones on SSE or NEON, where the compiler splits it)
// and __builtin_shufflevector(x, y, i0, ..., i7): element n of the result is element i_n of
// the 16 values x then y. No intrinsics, so one source serves every CPU the project builds on.
// The vectors only live inside the function (no vector parameters or return values, whose
// ABI differs with and without AVX). g++ has __builtin_shufflevector from version 12 (clang++
// has long had it); an older g++ compiles the plain loop instead, one float at a time as
// before (its speed not timed).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define LLM_TRANSPOSE_IN_REGISTERS 1
#endif
#endif

namespace llm {

// out[k·out_stride + j] = in[j·in_stride + k] for j, k < 8. in, out: 8 rows of 8 floats
inline void transpose_8x8(const float* in, int64_t in_stride, float* out, int64_t out_stride) {
#ifndef LLM_TRANSPOSE_IN_REGISTERS
    for (int64_t j = 0; j < 8; j++)
        for (int64_t k = 0; k < 8; k++) out[k * out_stride + j] = in[j * in_stride + k];
#else
    typedef float Floats8 __attribute__((vector_size(32)));
    Floats8 row[8], pairs[8], quads[8];
    for (int j = 0; j < 8; j++) std::memcpy(&row[j], in + j * in_stride, sizeof(Floats8));
    // Round 1, rows 2i and 2i+1 interleaved: pairs[2i] = r_2i[0] r_2i+1[0] r_2i[1] r_2i+1[1] ...
    // up to k = 3, pairs[2i + 1] the same for k = 4..7.
    for (int i = 0; i < 4; i++) {
        pairs[2 * i] = __builtin_shufflevector(row[2 * i], row[2 * i + 1], 0, 8, 1, 9, 2, 10, 3, 11);
        pairs[2 * i + 1] = __builtin_shufflevector(row[2 * i], row[2 * i + 1], 4, 12, 5, 13, 6, 14, 7, 15);
    }
    // Round 2, two pairs of rows joined: quads[4h + m] = rows 4h..4h+3 at k = 2m, then the
    // same four rows at k = 2m + 1.
    for (int h = 0; h < 2; h++) {
        for (int i = 0; i < 2; i++) {
            const Floats8 &upper = pairs[4 * h + i], &lower = pairs[4 * h + i + 2];  // rows 4h, 4h+1; 4h+2, 4h+3
            quads[4 * h + 2 * i] = __builtin_shufflevector(upper, lower, 0, 1, 8, 9, 2, 3, 10, 11);
            quads[4 * h + 2 * i + 1] = __builtin_shufflevector(upper, lower, 4, 5, 12, 13, 6, 7, 14, 15);
        }
    }
    // Round 3, rows 0..3 and rows 4..7 joined: all 8 rows at k = 2q (then 2q + 1), which is
    // column k of the block, stored as row k of out.
    for (int q = 0; q < 4; q++) {
        Floats8 even = __builtin_shufflevector(quads[q], quads[q + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        Floats8 odd = __builtin_shufflevector(quads[q], quads[q + 4], 4, 5, 6, 7, 12, 13, 14, 15);
        std::memcpy(out + (2 * q) * out_stride, &even, sizeof(Floats8));
        std::memcpy(out + (2 * q + 1) * out_stride, &odd, sizeof(Floats8));
    }
#endif
}

// out[k·out_stride + j] = in[j·in_stride + k] for j < rows, k < cols: whole 8×8 blocks through
// transpose_8x8, what they leave (the last rows % 8 rows, the last cols % 8 columns) one float
// at a time. The matmul's packing of a transposed B and the attention's keys turned once per
// head both call it. in: (rows, cols); out: (cols, rows)
inline void transpose_block(const float* in, int64_t in_stride, int64_t rows, int64_t cols, float* out,
                            int64_t out_stride) {
    int64_t rows8 = rows / 8 * 8, cols8 = cols / 8 * 8;
    for (int64_t j = 0; j < rows8; j += 8)
        for (int64_t k = 0; k < cols8; k += 8)
            transpose_8x8(in + j * in_stride + k, in_stride, out + k * out_stride + j, out_stride);
    for (int64_t j = 0; j < rows; j++)
        for (int64_t k = j < rows8 ? cols8 : 0; k < cols; k++) out[k * out_stride + j] = in[j * in_stride + k];
}

}  // namespace llm
