// bench --part matmul's yardstick: how many multiply-adds this CPU can do per second, at
// each vector width the build can use (bench/fma_peak.cpp). Not part of the library.
#pragma once

#include <vector>

// The vector widths in bits this build can measure, narrowest first: 128 (SSE, NEON) always,
// 256 when compiled for AVX, 512 when compiled for AVX-512.
std::vector<int> fma_vector_widths();

// The widest of them: the width gemm's register tile is written for (kernels/gemm.cpp picks
// its tile by the same macros). Whether the compiler used it is another matter, which only
// the object code shows (`bench --part matmul --gemm-vector-bits N`, see core/bench/run.sh).
int widest_vector_bits();

// Independent chains of multiply-adds each thread runs (fma_peak.cpp says why 12).
constexpr int kFmaChains = 12;

// GFLOP/s of `threads` threads at once, each running kFmaChains independent chains of fused
// multiply-adds on vectors of `bits` bits (one of fma_vector_widths()); the best of 25 runs.
double measure_fma_peak(int threads, int bits);
