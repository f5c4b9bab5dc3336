// numpy's legacy generator, np.random.RandomState, as far as pandas' sample needs it.
//
// Chapter 6 shuffles its data frames with pandas: df.sample(n, random_state=123) and
// df.sample(frac=1, random_state=123). Both come down to
// np.random.RandomState(123).permutation(len(df)), so that is what is here, bit for bit:
//   - the words are MT19937's, seeded with init_genrand(seed), which is exactly what
//     std::mt19937(seed) does (numpy seeds a RandomState from an integer this way);
//   - permutation(n) shuffles arange(n) with Fisher–Yates from the last index down to 1;
//   - each swap partner j in [0, i] is one word masked to the bit width of i, drawn again
//     while it is above i (numpy's random_interval: no modulo, no bias).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace llm {

class NumpyRandomState {
public:
    explicit NumpyRandomState(uint32_t seed) : mt_(seed) {}  // np.random.RandomState(seed)

    uint32_t next_uint32() { return static_cast<uint32_t>(mt_()); }  // one word
    uint64_t next_uint64();                 // two words, the first is the high half
    // A uniform integer in [0, max]: words masked to max's bit width, rejected above max
    // (32-bit words when max < 2^32, else 64-bit ones); 0 draws nothing.
    uint64_t random_interval(uint64_t max);
    void shuffle(std::vector<int64_t>& values);      // RandomState.shuffle of a 1-d array
    std::vector<int64_t> permutation(int64_t n);     // RandomState.permutation(n)

private:
    std::mt19937 mt_;
};

// pandas' df.sample(n, random_state=seed) on a frame of `length` rows, as row positions:
// numpy's choice(length, n, replace=False), which is permutation(length)[:n].
std::vector<int64_t> pandas_sample_positions(int64_t length, int64_t n, uint32_t seed);
// df.sample(frac=..., random_state=seed): n = round(frac * length), rounding half to even
// as Python's round does; frac=1 gives the whole permutation.
std::vector<int64_t> pandas_sample_frac_positions(int64_t length, double frac, uint32_t seed);

}  // namespace llm
