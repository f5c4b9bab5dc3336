// a·b + c, fused where the CPU can: the one helper the matmul and fast_exp share.
#pragma once

#include <cmath>

namespace llm {

// Where the CPU has a fused multiply-add (FP_FAST_FMAF from <cmath> under g++, __FMA__
// on x86 under clang++) this is std::fma: one instruction, one rounding. The build's
// -ffp-contract=off stops the compiler fusing a*b + c by itself, so the fma must be
// asked for. Without the hardware, std::fma is a slow library routine, so the plain
// expression (two roundings) is used instead.
inline float multiply_add(float a, float b, float c) {
#if defined(FP_FAST_FMAF) || defined(__FMA__)
    return std::fma(a, b, c);
#else
    return a * b + c;
#endif
}

}  // namespace llm
