// numpy's legacy RandomState and pandas' sample (random/numpy_random.h). The literals are
// what numpy 1.24.2 (Debian 12's python3-numpy) printed for the call in each comment; the
// chapter 6 rows they lead to (the book's printed balanced_df) are tested in test_ch06_data.cpp.
#include "catch_compat.h"

#include "base/error.h"
#include "random/numpy_random.h"
#include "random/random.h"

#include <algorithm>
#include <random>
#include <vector>

using namespace llm;

TEST_CASE("numpy's MT19937 words are std::mt19937's and torch's", "[numpy]") {
    std::mt19937 standard;  // the C++ standard fixes the 10000th word of seed 5489 ([rand.predef])
    standard.discard(9999);
    CHECK(standard() == 4123659995u);
    NumpyRandomState numpy(5489);
    uint32_t word = 0;
    for (int i = 0; i < 10000; i++) word = numpy.next_uint32();
    CHECK(word == 4123659995u);
    for (uint32_t seed : {0u, 123u, 4294967295u}) {  // init_genrand(seed) both ways
        NumpyRandomState a(seed);
        Generator b(seed);
        for (int i = 0; i < 2000; i++) REQUIRE(a.next_uint32() == b.random());
    }
}

TEST_CASE("RandomState(seed).permutation(n)", "[numpy]") {
    // np.random.RandomState(123).permutation(10)
    CHECK(NumpyRandomState(123).permutation(10) == std::vector<int64_t>{4, 0, 7, 5, 8, 3, 1, 6, 9, 2});
    // np.random.RandomState(0).permutation(20)
    CHECK(NumpyRandomState(0).permutation(20) ==
          std::vector<int64_t>{18, 1, 19, 8, 10, 17, 6, 13, 4, 2, 5, 14, 9, 7, 16, 11, 3, 0, 15, 12});
    // np.random.RandomState(123).permutation(1494): [263 627 887 925 1050 587 182 1411 ... 1346 1406 1389]
    std::vector<int64_t> p = NumpyRandomState(123).permutation(1494);
    CHECK(std::vector<int64_t>(p.begin(), p.begin() + 8) == std::vector<int64_t>{263, 627, 887, 925, 1050, 587, 182, 1411});
    CHECK(std::vector<int64_t>(p.end() - 3, p.end()) == std::vector<int64_t>{1346, 1406, 1389});
    std::vector<int64_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 1494; i++) REQUIRE(sorted[static_cast<size_t>(i)] == i);
    CHECK(NumpyRandomState(1).permutation(0).empty());
    CHECK(NumpyRandomState(1).permutation(1) == std::vector<int64_t>{0});
    CHECK_THROWS_AS(NumpyRandomState(1).permutation(-1), Error);
}

TEST_CASE("random_interval: masked words, rejected above the bound", "[numpy]") {
    // np.random.RandomState(42).randint(0, 1001, size=5, dtype=np.int64): one 32-bit word each try
    NumpyRandomState small(42);
    std::vector<uint64_t> got;
    for (int i = 0; i < 5; i++) got.push_back(small.random_interval(1000));
    CHECK(got == std::vector<uint64_t>{102, 435, 860, 270, 106});
    // np.random.RandomState(7).randint(0, 2**40 + 1, size=5, dtype=np.int64): 64-bit words
    NumpyRandomState big(7);
    got.clear();
    for (int i = 0; i < 5; i++) got.push_back(big.random_interval(1ULL << 40));
    CHECK(got == std::vector<uint64_t>{752595690692ULL, 108744157686ULL, 291964244179ULL, 309610205529ULL,
                                       936371205000ULL});
    // np.random.RandomState(7).randint(0, 2**32, size=3, dtype=np.int64): the whole word
    NumpyRandomState full(7);
    CHECK(full.random_interval(0xffffffffu) == 327741615u);
    CHECK(full.random_interval(0xffffffffu) == 976413892u);
    CHECK(full.random_interval(0xffffffffu) == 3349725721u);
    NumpyRandomState zero(7), fresh(7);
    CHECK(zero.random_interval(0) == 0);  // draws nothing
    CHECK(zero.next_uint32() == fresh.next_uint32());
}

TEST_CASE("pandas sample: permutation(len)[:n], frac rounded half to even", "[numpy]") {
    // the ham rows of chapter 6: np.random.RandomState(123).permutation(4825)[:5]
    std::vector<int64_t> ham = pandas_sample_positions(4825, 747, 123);
    CHECK(ham.size() == 747);
    CHECK(std::vector<int64_t>(ham.begin(), ham.begin() + 5) == std::vector<int64_t>{3720, 3580, 4182, 3858, 4713});
    CHECK(pandas_sample_frac_positions(1494, 1.0, 123) == NumpyRandomState(123).permutation(1494));
    CHECK(pandas_sample_frac_positions(5, 0.5, 1).size() == 2);  // round(2.5) == 2
    CHECK(pandas_sample_frac_positions(7, 0.5, 1).size() == 4);  // round(3.5) == 4
    CHECK_THROWS_AS(pandas_sample_positions(3, 4, 1), Error);
    CHECK_THROWS_AS(pandas_sample_frac_positions(3, 1.5, 1), Error);
}
