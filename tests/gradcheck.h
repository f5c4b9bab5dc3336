// Finite-difference gradient checking for the tests.
//
// For an op f and random inputs x_k, the check compares autograd's gradient of
//   L = Σ_i f(x)_i · w_i     (w fixed random weights, so every output counts)
// with central differences (L(x + h e_j) - L(x - h e_j)) / 2h, evaluating L in
// double from the op's float outputs. Float32 forward passes make the
// difference quotient noisy at about 1e-7 · |L| / h, so h = 1e-2 and the
// tolerance is |numeric - analytic| <= 1e-2 + 2e-2 · |analytic|.
#pragma once

#include "autograd/autograd.h"
#include "ops/ops.h"

#include <functional>
#include <random>
#include <string>
#include <vector>

namespace gradcheck {

using llm::Shape;
using llm::Tensor;
using Op = std::function<Tensor(const std::vector<Tensor>&)>;

// Random numbers straight from the generator's 32-bit outputs, which the C++ standard fixes
// for std::mt19937. std's distributions are not used: libstdc++ and libc++ compute them
// differently, and the checks should see the same inputs with either library.
inline float uniform(std::mt19937& rng, float lo, float hi) {  // in [lo, hi), from 24 random bits
    return lo + (hi - lo) * static_cast<float>(rng() >> 8) * 0x1p-24f;
}
inline int below(std::mt19937& rng, int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); }  // 0..n-1

// Values in ±[0.2, 1.2]: away from 0, where relu, abs and max have kinks.
inline Tensor random_tensor(const Shape& shape, std::mt19937& rng, bool positive = false) {
    std::vector<float> v(llm::numel_of(shape));
    for (float& x : v) {
        bool negative = !positive && below(rng, 2) == 1;
        float magnitude = uniform(rng, 0.2f, 1.2f);
        x = negative ? -magnitude : magnitude;
    }
    return Tensor(shape, v);
}

inline double weighted_sum(const Tensor& out, const std::vector<float>& w) {
    double total = 0.0;
    for (int64_t i = 0; i < out.numel(); i++) total += static_cast<double>(out.data()[i]) * w[i];
    return total;
}

struct Result {
    bool ok = true;
    std::string detail;  // the first mismatch, for the test's failure message
};

// Check every input that requires grad; returns the first mismatch, if any.
inline Result check(const Op& f, std::vector<Tensor> inputs, uint32_t seed = 1) {
    std::mt19937 rng(seed);
    for (Tensor& x : inputs) {  // fresh leaves, so no earlier gradient is added in
        x = x.detach().clone();
        if (x.dtype() == llm::Dtype::float32) x.requires_grad_(true);
    }
    Tensor out = f(inputs);
    std::vector<float> w(out.numel());
    for (float& v : w) v = uniform(rng, -1.0f, 1.0f);
    out.backward(Tensor(out.shape(), w));
    const double h = 1e-2;
    for (size_t k = 0; k < inputs.size(); k++) {
        if (!inputs[k].requires_grad()) continue;
        Tensor grad = inputs[k].grad();
        for (int64_t j = 0; j < inputs[k].numel(); j++) {
            float& x = inputs[k].data()[j];
            float saved = x;
            llm::NoGradGuard no_grad;
            float x_plus = static_cast<float>(saved + h), x_minus = static_cast<float>(saved - h);
            x = x_plus;
            double plus = weighted_sum(f(inputs), w);
            x = x_minus;
            double minus = weighted_sum(f(inputs), w);
            x = saved;
            double numeric = (plus - minus) / (static_cast<double>(x_plus) - x_minus);
            double analytic = grad.defined() ? grad.data()[j] : 0.0;
            if (std::abs(numeric - analytic) > 1e-2 + 2e-2 * std::abs(analytic))
                return {false, "input " + std::to_string(k) + " element " + std::to_string(j) +
                                   ": numeric " + std::to_string(numeric) + " vs autograd " +
                                   std::to_string(analytic)};
        }
    }
    return {};
}

}  // namespace gradcheck
