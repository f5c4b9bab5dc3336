// The matmul's register tile (kernels/gemm.cpp, loop 1 of its nest): an MR×NR tile of C
// held in vector registers while kc rank-1 updates add into it, then stored into C once.
// This is where the blocked product does its multiply-adds; the rest of gemm.cpp
// chooses the blocks and copies them into the order read here. Not part of the public API.
#pragma once

#include "kernels/multiply_add.h"

#include <cstdint>
#include <cstring>

namespace llm::matmul {

// MR×NR, the tile: the micro-kernel keeps MR·NR accumulators of C in vector registers and,
// per step of k, loads NR floats of B, broadcasts MR floats of A and does MR·NR multiply-adds:
// most registers, no spills. Each shape won a timing of the others (core/README.md, matmul).
// The Makefile builds gemm.cpp with 512-bit vectors on an AVX-512 CPU (with 256-bit ones 8×32
// would need 32 accumulators). LLM_GEMM_PORTABLE (`make GEMM=portable`) forces the last
// shape, an arm64 Mac's, on any CPU, to test it here too. LANES: floats in one vector.
#if defined(__AVX512F__) && !defined(LLM_GEMM_PORTABLE)
constexpr int MR = 8;   // 8×32: 16 zmm accumulators + 2 for B + 1 for A,
constexpr int NR = 32;  // within the 32 registers
constexpr int LANES = 16;
#elif defined(__AVX2__) && !defined(LLM_GEMM_PORTABLE)
constexpr int MR = 4;   // 4×24: 12 ymm accumulators + 3 for B + 1 for A = all 16
constexpr int NR = 24;
constexpr int LANES = 8;
#else
constexpr int MR = 4;   // 4×8: 8 xmm (SSE2) or NEON accumulators, or scalar code
constexpr int NR = 8;
constexpr int LANES = 4;
#endif

// A row of a tile, NR floats, is NV vectors of LANES floats: GCC's and Clang's vector
// extension, as in transpose.h (no intrinsics, one source for every CPU). Held in such
// vectors, the accumulators stay in registers from the first multiply-add to the stores
// into C; as plain float arrays vectorised by the compiler, g++ wrote them to the stack twice
// a tile and read them back, and clang++ around every multiply-add (core/README.md).
// Unlike transpose.h, the helpers below take and return vectors: LANES follows the widest
// vector the build enables, so a Lanes always fits one register of it, and they are
// always inlined into gemm.cpp, the one file that includes this one (no ABI is involved).
constexpr int NV = NR / LANES;
typedef float Lanes __attribute__((vector_size(LANES * sizeof(float))));

[[gnu::always_inline]] inline Lanes load_lanes(const float* p) {
    Lanes v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
[[gnu::always_inline]] inline void store_lanes(float* p, Lanes v) { std::memcpy(p, &v, sizeof v); }

// a·b + c in every lane, each rounded once as the float multiply_add does; the compiler makes
// the loop one vector multiply-add.
[[gnu::always_inline]] inline Lanes multiply_add(float a, Lanes b, Lanes c) {
    Lanes sum;
    for (int l = 0; l < LANES; l++) sum[l] = llm::multiply_add(a, b[l], c[l]);
    return sum;
}

// An MR-row sliver of op(A), kc columns long: element (i, k) is at data[i*row + k*step].
// Packed (pack_a) a sliver has row = 1 and step = MR; read in place from a row-major
// op(A), row = lda and step = 1. An NR-column sliver of op(B), kc rows long, is one too,
// with its columns for rows: row = 1, and step = NR packed (pack_b) or ldb in place.
struct Sliver {
    const float* data;
    int64_t row, step;
};

// acc += Σ_k a(:, k) ⊗ b(k, :) for k < kc, with a(i, k) = a[i*row + k*step] and b(k, j) =
// b[k*b_step + j]: the micro-kernel's inner loop, inlined at its two calls, each with its
// own strides. The loop over i is unrolled (`#pragma GCC unroll`, which clang++ reads too):
// rolled, both compilers kept acc in memory.
[[gnu::always_inline]] inline void rank1_updates(Lanes (&acc)[MR][NV], int64_t kc, const float* a, int64_t row,
                                                 int64_t step, const float* b, int64_t b_step) {
    for (int64_t k = 0; k < kc; k++) {
        Lanes b_k[NV];
        for (int v = 0; v < NV; v++) b_k[v] = load_lanes(b + v * LANES);
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++) acc[i][v] = multiply_add(a[i * row], b_k[v], acc[i][v]);
        a += step;
        b += b_step;
    }
}

// The top-left rows×cols of an MR×NR tile (row-major in `tile`) into C, as micro_kernel
// stores a full one: a function of its own, given a copy of the tile, so acc stays in
// registers. static (only gemm.cpp includes this file): as an inline function, whose copy
// the linker picks, g++ kept more of the macro-kernel's addresses on the stack around the
// call, and the small products ran 3-6% slower (64×64×128 NN, Zen 5).
[[gnu::noinline]] static void store_edge_tile(const float* tile, float* C, int64_t ldc, int64_t rows, int64_t cols,
                                              bool add, const float* bias) {
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            float value = tile[i * NR + j];
            C[i * ldc + j] = add ? C[i * ldc + j] + value : bias != nullptr ? bias[j] + value : value;
        }
}

// C (rows×cols of an MR×NR tile, row stride ldc) (=|+=) Σ_k a(:, k) ⊗ b_sliver[k]:
// kc ≥ 1 rank-1 updates of an MR×NR tile of accumulators, reading MR floats of A and NR
// floats of B per k (side by side; b.step apart from one k to the next). The sum starts
// from +0, so its first step rounds a·b alone. A full tile goes straight into C; an edge
// tile (fewer rows or columns) only writes its top-left rows×cols. With a bias (not with
// add), the tile is bias[j] + acc (C filled with bias rows, plus acc). Inlined: as a call
// it was 8% slower on 64×256×64.
[[gnu::always_inline]] inline void micro_kernel(int64_t kc, Sliver a, Sliver b, float* C, int64_t ldc,
                                                int64_t rows, int64_t cols, bool add, const float* bias) {
    Lanes acc[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) acc[i][v] = Lanes{};
    if (a.row == 1)  // packed (step MR) or columns contiguous: a sliver's MR values of a k lie side by side
        rank1_updates(acc, kc, a.data, 1, a.step, b.data, b.step);
    else
        rank1_updates(acc, kc, a.data, a.row, 1, b.data, b.step);
    if (rows == MR && cols == NR) {
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++) {
                float* c = C + i * ldc + v * LANES;
                if (add) store_lanes(c, load_lanes(c) + acc[i][v]);
                else if (bias != nullptr) store_lanes(c, load_lanes(bias + v * LANES) + acc[i][v]);
                else store_lanes(c, acc[i][v]);
            }
        return;
    }
    float tile[MR * NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) store_lanes(tile + i * NR + v * LANES, acc[i][v]);
    store_edge_tile(tile, C, ldc, rows, cols, add, bias);
}

}  // namespace llm::matmul
