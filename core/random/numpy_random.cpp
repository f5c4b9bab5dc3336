// np.random.RandomState's permutation and pandas' sample on it (see numpy_random.h).
#include "random/numpy_random.h"

#include "base/error.h"

#include <cmath>
#include <string>
#include <utility>

namespace llm {

uint64_t NumpyRandomState::next_uint64() {
    uint64_t high = next_uint32();
    uint64_t low = next_uint32();
    return (high << 32) | low;
}

uint64_t NumpyRandomState::random_interval(uint64_t max) {
    if (max == 0) return 0;
    uint64_t mask = max;  // all ones up to max's highest set bit
    for (int shift = 1; shift <= 32; shift *= 2) mask |= mask >> shift;
    uint64_t value;
    if (max <= 0xffffffffu) {
        do {
            value = next_uint32() & mask;
        } while (value > max);
    } else {
        do {
            value = next_uint64() & mask;
        } while (value > max);
    }
    return value;
}

void NumpyRandomState::shuffle(std::vector<int64_t>& values) {
    for (size_t i = values.size(); i-- > 1;) {
        size_t j = static_cast<size_t>(random_interval(i));
        std::swap(values[i], values[j]);
    }
}

std::vector<int64_t> NumpyRandomState::permutation(int64_t n) {
    if (n < 0) throw Error("permutation: n must be non-negative, got " + std::to_string(n));
    std::vector<int64_t> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) values[static_cast<size_t>(i)] = i;  // np.arange(n)
    shuffle(values);
    return values;
}

std::vector<int64_t> pandas_sample_positions(int64_t length, int64_t n, uint32_t seed) {
    if (n < 0 || n > length)
        throw Error("sample: cannot take n = " + std::to_string(n) + " rows without replacement from " +
                    std::to_string(length) + " (expected 0 <= n <= " + std::to_string(length) + ")");
    std::vector<int64_t> positions = NumpyRandomState(seed).permutation(length);
    positions.resize(static_cast<size_t>(n));
    return positions;
}

std::vector<int64_t> pandas_sample_frac_positions(int64_t length, double frac, uint32_t seed) {
    if (!(frac >= 0.0 && frac <= 1.0))
        throw Error("sample: frac must be in [0, 1] without replacement, got " + std::to_string(frac));
    double n = std::nearbyint(frac * static_cast<double>(length));  // default rounding: half to even
    return pandas_sample_positions(length, static_cast<int64_t>(n), seed);
}

}  // namespace llm
