// fast_exp(x): e^x for floats, written so that a loop of calls vectorises.
//
// std::exp is a call into the C library, and a loop containing a call cannot be turned
// into SIMD instructions (only -ffast-math lets the compiler swap in a vector version,
// and this project never uses -ffast-math). fast_exp is a handful of multiplies, adds
// and selects, with no call and no branch, so `for (i...) y[i] = fast_exp(x[i]);`
// becomes 8 exps at a time with AVX2.
//
// The method (the classic one; Cody & Waite, "Software Manual for the Elementary
// Functions", 1980):
//
//  1. Range reduction. Write x = n·ln2 + r, with n = round(x / ln2) an integer and
//     |r| ≤ ln2/2 ≈ 0.347. Then e^x = 2^n · e^r.
//     r = x - n·ln2 must be computed carefully: x and n·ln2 are nearly equal, so any
//     error in n·ln2 becomes a large relative error in r. ln2 is therefore split into
//     two floats, ln2 = kLn2Hi + kLn2Lo, where kLn2Hi has only 9 significant bits.
//     n has at most 8 bits, so n·kLn2Hi (17 bits) is exact, and so is x - n·kLn2Hi (the two
//     are close); only the small correction n·kLn2Lo is rounded.
//
//  2. e^r by its Taylor series 1 + r + r²/2! + ... + r⁷/7!, evaluated by Horner's rule
//     (((c7·r + c6)·r + c5)·r ...). On |r| ≤ 0.347 the first term left out,
//     r⁸/8! < 5.2e-9, is far below float's precision (2⁻²⁴ ≈ 6e-8 relative).
//
//  3. 2^n by writing n + 127 straight into the exponent field of a float (a float is
//     sign · 2^(exponent - 127) · 1.mantissa). The largest result needs n = 128, whose
//     2^n is not a float, so the scale is applied as two halves, 2^(n/2) · 2^(n - n/2).
//
// Special values are patched in at the end, with selects (see select_bits) rather than
// branches:
//   x > kExpMaxArg = 88.75 (and +inf)  -> +inf (e^x > FLT_MAX from ln(FLT_MAX) ≈ 88.7228,
//                                         where the scaling already overflows to inf)
//   x < kExpMinArg ≈ -87.3365          -> 0   (the results would be below FLT_MIN; we flush
//                                         them to 0 instead of returning denormals)
//   x = -inf                           -> 0
//   NaN                                -> NaN (a signalling NaN comes out quiet, as from
//                                         std::exp)
// For all of these the main computation produces garbage (n does not fit, see step 1):
// the selects throw it away for the first three, and a NaN needs none, as every step turns
// it into a NaN and both comparisons with it are false. Nothing in it is undefined behaviour.
// Accuracy, for every x whose e^x is a normal float, checked against double std::exp:
// at most 0.94 ulp from the exact value with FMA, 1.22 ulp without (measured over all
// such floats; tests/test_fast_exp.cpp checks a sweep of them against 2 ulp). The results
// are the same on every run and thread count (plain IEEE arithmetic), but may differ in
// the last bit between machines with and without FMA.
//
// Why no `x < a ? b : c` on floats: g++ (without -ffast-math) moves work into the two
// arms of such a select, and then refuses to vectorise a loop with branches in it.
#pragma once

#include "kernels/multiply_add.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace llm {

// The bits of `if_true` when `condition` holds, else those of `if_false`: a select done
// with bit masks, which g++ and clang++ both turn into SIMD blends.
inline float select_bits(bool condition, float if_true, float if_false) {
    uint32_t mask = 0u - static_cast<uint32_t>(condition);  // all ones if true, else all zeros
    uint32_t bits = (std::bit_cast<uint32_t>(if_true) & mask) | (std::bit_cast<uint32_t>(if_false) & ~mask);
    return std::bit_cast<float>(bits);
}

// Below this, e^x is smaller than FLT_MIN = 2^-126 and fast_exp returns 0. It is the
// float just above ln(2^-126) = -87.336544750...
inline constexpr float kExpMinArg = -87.33654f;
// Above this, fast_exp returns +inf (e^x overflows float from ln(FLT_MAX) = 88.7228...).
inline constexpr float kExpMaxArg = 88.75f;

inline float fast_exp(float x) {
    constexpr float kLog2e = 1.44269504088896341f;  // 1/ln2
    constexpr float kLn2Hi = 0.693359375f;          // 0x1.63p-1: ln2 to 9 bits, so n·kLn2Hi is exact
    constexpr float kLn2Lo = -2.12194440e-4f;       // ln2 - kLn2Hi
    constexpr float kRound = 12582912.0f;           // 1.5·2^23, see step 1

    // Step 1: n = round(x / ln2). From 2^23 to 2^24 the floats are exactly the whole
    // numbers, so adding 1.5·2^23 rounds x/ln2 to the nearest integer, and subtracting it
    // again gives that integer exactly (as a float). The same integer is also the
    // difference of the two bit patterns, which gives it as an int without a float -> int
    // conversion (that conversion would be undefined for the huge x patched at the end).
    float t = x * kLog2e + kRound;
    float n = t - kRound;
    int32_t k = static_cast<int32_t>(std::bit_cast<uint32_t>(t) - std::bit_cast<uint32_t>(kRound));
    float r = (x - n * kLn2Hi) - n * kLn2Lo;

    // Step 2: e^r ≈ Σ r^i / i! for i = 0..7, by Horner's rule.
    float p = 1.0f / 5040.0f;                   // 1/7!
    p = multiply_add(p, r, 1.0f / 720.0f);  // 1/6!
    p = multiply_add(p, r, 1.0f / 120.0f);  // 1/5!
    p = multiply_add(p, r, 1.0f / 24.0f);   // 1/4!
    p = multiply_add(p, r, 1.0f / 6.0f);    // 1/3!
    p = multiply_add(p, r, 0.5f);           // 1/2!
    p = multiply_add(p, r, 1.0f);           // 1/1!
    p = multiply_add(p, r, 1.0f);           // 1/0!

    // Step 3: multiply by 2^k = 2^half · 2^(k - half), with half = floor(k / 2): k >> 1, an
    // arithmetic shift in C++20 (k / 2 rounds towards 0 instead, which gives the same
    // result for three more instructions). For kExpMinArg <= x <= kExpMaxArg, k is in
    // [-126, 128], so both exponents + 127 lie in [64, 191], inside the exponent field's
    // range [1, 254], and p · 2^half is exact. (Unsigned arithmetic: for out-of-range x, k
    // is garbage.)
    int32_t half = k >> 1;
    float scale1 = std::bit_cast<float>(static_cast<uint32_t>(half + 127) << 23);
    float scale2 = std::bit_cast<float>(static_cast<uint32_t>(k - half + 127) << 23);
    float result = p * scale1 * scale2;

    // No select for a NaN x: it stays a NaN by itself (see the top).
    result = select_bits(x < kExpMinArg, 0.0f, result);  // also turns -inf into 0
    return select_bits(x > kExpMaxArg, std::numeric_limits<float>::infinity(), result);
}

}  // namespace llm
