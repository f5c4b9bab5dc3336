// The FMA peak: the most multiply-adds per second this CPU does, per vector width.
//
// Each thread runs kFmaChains independent chains acc = acc·b + c on vectors of one width and
// counts 2 FLOP per lane per multiply-add. The vectors are GCC/Clang vector extensions
// (`float __attribute__((vector_size(64)))` is 16 floats, one zmm register), because the
// width is what is measured: left to itself, a compiler picks the width it prefers, and
// on AVX-512 machines g++ often prefers 256 bits. The multiply-add of each lane is
// llm::multiply_add, the helper gemm uses; both compilers turn the lane loop into one
// vfmadd per vector (check: objdump -d build/release/core/bench/fma_peak.o | grep vfmadd).
//
// Why 12 chains: a multiply-add takes 4 cycles before its result can be used again, and a
// core has 2 FMA pipes, so 8 independent multiply-adds must be in flight to keep both busy.
// 12 leave some slack, and with b and c they fill 14 registers, within AVX2's 16 (on
// AVX-512, g++ 12 spilled to memory at 24). The previous probe ran 96 floats as one array:
// 6 chains of 16 floats on AVX-512, 6/8 of the peak (183 GFLOP/s where this measures ~250).
#include "bench/fma_peak.h"

#include "kernels/multiply_add.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

namespace {

typedef float Floats4 __attribute__((vector_size(16)));   // 128 bits: xmm (SSE), NEON
typedef float Floats8 __attribute__((vector_size(32)));   // 256 bits: ymm (AVX)
typedef float Floats16 __attribute__((vector_size(64)));  // 512 bits: zmm (AVX-512)

// kFmaChains chains of `iterations` multiply-adds each on vectors of type Floats; returns the
// sum of the results, so that the compiler must compute them.
template <typename Floats>
float fma_chains(int64_t iterations, float seed) {
    constexpr int lanes = sizeof(Floats) / sizeof(float);
    Floats acc[kFmaChains], b, c;
    for (int l = 0; l < lanes; l++) {
        b[l] = 0.99999f;
        c[l] = 1e-6f * seed;
        for (int i = 0; i < kFmaChains; i++) acc[i][l] = seed + 0.001f * static_cast<float>(i * lanes + l);
    }
    for (int64_t it = 0; it < iterations; it++)
        for (int i = 0; i < kFmaChains; i++)
            for (int l = 0; l < lanes; l++) acc[i][l] = llm::multiply_add(acc[i][l], b[l], c[l]);
    float sum = 0;
    for (int i = 0; i < kFmaChains; i++)
        for (int l = 0; l < lanes; l++) sum += acc[i][l];
    return sum;
}

float fma_chains_of_width(int bits, int64_t iterations, float seed) {
#if defined(__AVX512F__)
    if (bits == 512) return fma_chains<Floats16>(iterations, seed);
#endif
#if defined(__AVX__)
    if (bits == 256) return fma_chains<Floats8>(iterations, seed);
#endif
    (void)bits;  // used above only when the build has wider vectors
    return fma_chains<Floats4>(iterations, seed);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<int> fma_vector_widths() {
    std::vector<int> widths = {128};
#if defined(__AVX__)
    widths.push_back(256);
#endif
#if defined(__AVX512F__)
    widths.push_back(512);
#endif
    return widths;
}

int widest_vector_bits() { return fma_vector_widths().back(); }

double measure_fma_peak(int threads, int bits) {
    const int lanes = bits / 32;
    // 3.84 GFLOP per thread and run whatever the width: ~15 ms at 512 bits on one core here.
    const int64_t iterations = 160'000'000 / lanes;
    std::vector<float> sink(static_cast<size_t>(threads));
    double best = 1e30;
    for (int run = 0; run < 25; run++) {  // the best of 25: on a shared VM 7 runs once read 10% low
        std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; t++)
            pool.emplace_back([&sink, t, bits, iterations] {
                sink[static_cast<size_t>(t)] = fma_chains_of_width(bits, iterations, 1.0f + static_cast<float>(t));
            });
        for (std::thread& th : pool) th.join();
        best = std::min(best, seconds_since(start));
    }
    if (sink[0] == 12345.0f) std::fprintf(stderr, " ");  // keep the results alive
    return 2.0 * lanes * kFmaChains * static_cast<double>(iterations) * threads / best / 1e9;
}
