// fast_exp (core/kernels/fast_exp.h) against double-precision std::exp, its special values, and
// GELU computed with it against GELU computed with std::exp.
#include "catch_compat.h"

#include "kernels/fast_exp.h"
#include "ops/ops.h"

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace llm;

namespace {

// How many units in the last place `got` is from the exact value `want`, measured in
// ulps of the float that `want` rounds to.
double ulp_error(float got, double want) {
    float rounded = static_cast<float>(want);
    double ulp = std::nextafter(std::fabs(rounded), std::numeric_limits<float>::infinity()) - std::fabs(rounded);
    return std::fabs(static_cast<double>(got) - want) / ulp;
}

// The GELU formulas of ops/activation.cpp as they were with std::exp: the reference.
const float kSqrt2OverPi = std::sqrt(static_cast<float>(2.0 / 3.14159265358979323846));

float reference_gelu_sigmoid(float x) {
    float u = kSqrt2OverPi * (x + 0.044715f * (x * x * x));
    return 1.0f / (1.0f + std::exp(-2.0f * u));
}

float reference_gelu(float x) { return x * reference_gelu_sigmoid(x); }

float reference_gelu_derivative(float x) {
    float s = reference_gelu_sigmoid(x);
    float du_dx = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * x * x);
    return s + 2.0f * x * s * (1.0f - s) * du_dx;
}

}  // namespace

TEST_CASE("fast_exp is within 2 ulp of exp for every normal result", "[fast_exp]") {
    // Every 257th float bit pattern from 0 to 89 and from -0 to -104 (about 8.7 million
    // values; 257 rather than a power of two so that the low mantissa bits vary too).
    const uint32_t step = 257;
    double worst = 0.0;
    float worst_x = 0.0f;
    int64_t checked = 0;
    for (uint32_t sign : {0u, 0x80000000u}) {
        float limit = sign ? 104.0f : 89.0f;
        for (uint32_t bits = 0; bits <= std::bit_cast<uint32_t>(limit); bits += step) {
            float x = std::bit_cast<float>(sign | bits);
            float got = fast_exp(x);
            double want = std::exp(static_cast<double>(x));
            if (want < FLT_MIN) {  // flushed to zero
                if (got != 0.0f) FAIL("fast_exp(" << x << ") = " << got << ", not 0");
            } else if (want > FLT_MAX) {
                if (got != std::numeric_limits<float>::infinity()) FAIL("fast_exp(" << x << ") = " << got << ", not inf");
            } else {
                double error = ulp_error(got, want);
                if (error > worst) {
                    worst = error;
                    worst_x = x;
                }
                checked++;
            }
        }
    }
    INFO("worst error " << worst << " ulp at x = " << worst_x << " over " << checked << " values");
    CHECK(checked > 8000000);
    CHECK(worst <= 2.0);  // over all floats: 0.94 ulp with FMA, 1.22 without
}

TEST_CASE("fast_exp special values", "[fast_exp]") {
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(fast_exp(0.0f) == 1.0f);
    CHECK(fast_exp(-0.0f) == 1.0f);
    CHECK(fast_exp(1.0f) == static_cast<float>(std::exp(1.0)));
    CHECK(fast_exp(-inf) == 0.0f);
    CHECK(fast_exp(inf) == inf);
    CHECK(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
    CHECK(std::isnan(fast_exp(-std::numeric_limits<float>::quiet_NaN())));
    CHECK(std::isnan(fast_exp(std::numeric_limits<float>::signaling_NaN())));
    // The edges: overflow from ln(FLT_MAX) ≈ 88.7228, flush to zero below ln(FLT_MIN).
    CHECK(std::isfinite(fast_exp(88.72f)));
    CHECK(fast_exp(88.72f) > 3.0e38f);
    CHECK(fast_exp(88.73f) == inf);
    CHECK(fast_exp(1.0e30f) == inf);
    CHECK(fast_exp(std::numeric_limits<float>::max()) == inf);
    CHECK(fast_exp(kExpMinArg) >= FLT_MIN);
    CHECK(fast_exp(std::nextafter(kExpMinArg, -inf)) == 0.0f);
    CHECK(fast_exp(-100.0f) == 0.0f);
    CHECK(fast_exp(-1.0e30f) == 0.0f);
    CHECK(fast_exp(std::numeric_limits<float>::lowest()) == 0.0f);
}

TEST_CASE("GELU with fast_exp matches GELU with std::exp", "[fast_exp]") {
    // x from -12 to 12 in steps of 1/1024, and a few beyond.
    std::vector<float> xs;
    for (int i = -12 * 1024; i <= 12 * 1024; i++) xs.push_back(static_cast<float>(i) / 1024.0f);
    for (float x : {-1.0e4f, -50.0f, -20.0f, 20.0f, 50.0f, 1.0e4f}) xs.push_back(x);
    int64_t n = static_cast<int64_t>(xs.size());

    Tensor x = Tensor(Shape{n}, xs).requires_grad_();
    Tensor y = gelu(x);
    sum(y).backward();
    const std::vector<float>& values = y.values();
    const std::vector<float>& slopes = x.grad().values();

    double worst_value = 0.0, worst_slope = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float want = reference_gelu(xs[i]);
        if (std::fabs(want) < 1.0e-36f) {
            // Below about x = -10 the sigmoid factor is a denormal float (or 0), with
            // fewer significant bits, so there the values are compared absolutely.
            CHECK(std::fabs(values[i] - want) <= 1.0e-43f);
        } else {
            worst_value = std::max(worst_value, ulp_error(values[i], want));
        }
        // The slope s + 2xs(1 - s)·du/dx takes 1 - s with s close to 1, which magnifies
        // a 1-ulp change of s; so it is compared in ulps of 1 (absolute 2^-23).
        double difference = std::fabs(static_cast<double>(slopes[i]) - reference_gelu_derivative(xs[i]));
        worst_slope = std::max(worst_slope, difference / std::ldexp(1.0, -23));
    }
    INFO("GELU: worst " << worst_value << " ulp; slope: worst " << worst_slope << " ulp of 1");
    CHECK(worst_value <= 3.0);
    CHECK(worst_slope <= 8.0);
}
