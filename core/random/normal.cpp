// torch.randn / normal_: two algorithms, chosen by size (book-notes/torch_rng.md §5).
//
//   fewer than 16 elements: Box–Muller in double, one pair at a time; the second value
//                           of a pair waits in the generator's cache for the next call.
//   16 or more:             fill with uniforms, then turn each block of 16 into 8
//                           cosine/sine pairs with float polynomials for log, sin and cos
//                           (the Cephes algorithms PyTorch's AVX2 kernel uses), so the
//                           result depends on no C library.
//
// Every fused multiply-add PyTorch's binary performs is written as std::fma; the build
// uses -ffp-contract=off so the compiler adds no others.
#include "random/random.h"

#include <bit>
#include <cmath>

namespace llm {

static float from_bits(uint32_t bits) { return std::bit_cast<float>(bits); }

// --- scalar path (§5.1) ----------------------------------------------------------------

// One standard normal in double: the cached one if there is one, else a fresh pair.
static double next_standard_normal(Generator& gen) {
    if (gen.state.has_cached_normal) {
        gen.state.has_cached_normal = false;
        return gen.state.cached_normal;
    }
    double u1 = gen.uniform_double();
    double u2 = gen.uniform_double();
    double radius = std::sqrt(-2.0 * std::log(1.0 - u2));
    double theta = 6.283185307179586 * u1;
    gen.state.cached_normal = radius * std::sin(theta);
    gen.state.has_cached_normal = true;
    return radius * std::cos(theta);
}

// --- float polynomials of the AVX2 kernel (§5.2.1) --------------------------------------

// Natural logarithm for x > 0: split x = m · 2^k with m in [0.5, 1), then a polynomial in m - 1.
static float cephes_log(float x) {
    if (x < from_bits(0x00800000u)) x = from_bits(0x00800000u);  // smallest normal float
    uint32_t bits = std::bit_cast<uint32_t>(x);
    int k = static_cast<int>((bits >> 23) & 0xffu) - 127;
    float m = from_bits((bits & 0x807fffffu) | (126u << 23));
    float e = static_cast<float>(k) + 1.0f;
    float t;
    if (m < from_bits(0x3F3504F3u)) {  // m < √½: use 2m - 1 and one less in the exponent
        e = e - 1.0f;
        t = (m - 1.0f) + m;
    } else {
        t = m - 1.0f;
    }
    float z = t * t;
    const uint32_t P[9] = {0x3D9021BBu, 0xBDEBD1B8u, 0x3DEF251Au, 0xBDFE5D4Fu, 0x3E11E9BFu,
                           0xBE2AAE50u, 0x3E4CCEACu, 0xBE7FFFFCu, 0x3EAAAAAAu};
    float y = from_bits(P[0]);
    for (int i = 1; i < 9; i++) y = std::fma(y, t, from_bits(P[i]));
    y = y * t;
    y = std::fma(y, z, e * from_bits(0xB95E8083u));  // Q1: low part of log(2)
    y = y - z * 0.5f;
    float r = t + y;
    return std::fma(e, from_bits(0x3F318000u), r);   // Q2: high part of log(2)
}

// Sine and cosine of x >= 0: reduce to [-π/4, π/4] by a multiple j of π/4, evaluate
// both polynomials, then pick and sign them by the octant j.
static void cephes_sincos(float x, float& sine, float& cosine) {
    uint32_t sign_s = std::bit_cast<uint32_t>(x) & 0x80000000u;
    float a = std::fabs(x);
    int32_t j = static_cast<int32_t>(a * from_bits(0x3FA2F983u));  // a · 4/π, truncated
    j = (j + 1) & ~1;
    float yj = static_cast<float>(j);
    float r = std::fma(yj, -from_bits(0x3F490000u), a);  // a - j·π/4 in three pieces
    r = std::fma(yj, -from_bits(0x397DA000u), r);
    r = std::fma(yj, -from_bits(0x33222169u), r);
    float z = r * r;

    float c = from_bits(0x37CCF5CEu);
    c = std::fma(c, z, from_bits(0xBAB6061Au));
    c = std::fma(c, z, from_bits(0x3D2AAAA5u));
    c = c * z;
    c = std::fma(c, z, -(z * 0.5f));
    c = c + 1.0f;

    float s = from_bits(0xB94CA1F9u);
    s = std::fma(s, z, from_bits(0x3C08839Eu));
    s = std::fma(s, z, from_bits(0xBE2AAAA3u));
    s = s * z;
    s = std::fma(s, r, r);

    bool swap = (j & 2) != 0;
    uint32_t sin_bits = std::bit_cast<uint32_t>(swap ? c : s);
    uint32_t cos_bits = std::bit_cast<uint32_t>(swap ? s : c);
    if ((sign_s != 0) != ((j & 4) != 0)) sin_bits ^= 0x80000000u;
    if (((j - 2) & 4) == 0) cos_bits ^= 0x80000000u;
    sine = std::bit_cast<float>(sin_bits);
    cosine = std::bit_cast<float>(cos_bits);
}

// --- batch path (§5.2) ------------------------------------------------------------------

// d[0..15] holds uniforms; element j pairs with j + 8 (radius from one, angle from the other).
static void normal_block_float(float* d, float mean, float std_dev) {
    const float two_pi = from_bits(0x40C90FDBu);
    for (int j = 0; j < 8; j++) {
        float u1 = 1.0f - d[j];
        float u2 = d[j + 8];
        float radius = std::sqrt(-2.0f * cephes_log(u1));
        float sine, cosine;
        cephes_sincos(two_pi * u2, sine, cosine);
        d[j] = std::fma(radius * cosine, std_dev, mean);
        d[j + 8] = std::fma(radius * sine, std_dev, mean);
    }
}

// The float64 block uses the C library's log, sin and cos in double (§5.2.3).
static void normal_block_double(double* d, double mean, double std_dev) {
    for (int j = 0; j < 8; j++) {
        double u1 = 1.0 - d[j];
        double u2 = d[j + 8];
        double radius = std::sqrt(-2.0 * std::log(u1));
        double theta = 6.283185307179586 * u2;
        d[j] = std::fma(radius * std::cos(theta), std_dev, mean);
        d[j + 8] = std::fma(radius * std::sin(theta), std_dev, mean);
    }
}

// Whole blocks of 16, then, if n is not a multiple of 16, the last 16 elements are
// drawn afresh and transformed again (overwriting part of the previous block).
void normal_(float* data, int64_t n, double mean, double std_dev, Generator& gen) {
    if (n < 16) {
        for (int64_t i = 0; i < n; i++)
            data[i] = static_cast<float>(std::fma(next_standard_normal(gen), std_dev, mean));
        return;
    }
    float mean_f = static_cast<float>(mean), std_f = static_cast<float>(std_dev);
    uniform_(data, n, 0.0, 1.0, gen);
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_block_float(data + i, mean_f, std_f);
    if (n % 16 != 0) {
        uniform_(data + n - 16, 16, 0.0, 1.0, gen);
        normal_block_float(data + n - 16, mean_f, std_f);
    }
}

void normal_(double* data, int64_t n, double mean, double std_dev, Generator& gen) {
    if (n < 16) {
        for (int64_t i = 0; i < n; i++) data[i] = std::fma(next_standard_normal(gen), std_dev, mean);
        return;
    }
    uniform_(data, n, 0.0, 1.0, gen);
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_block_double(data + i, mean, std_dev);
    if (n % 16 != 0) {
        uniform_(data + n - 16, 16, 0.0, 1.0, gen);
        normal_block_double(data + n - 16, mean, std_dev);
    }
}

}  // namespace llm
