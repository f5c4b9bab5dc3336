// The PyTorch-compatible generator against numbers torch 1.13 printed (AVX2 kernels).
// Every literal below is copied from the reference file of torch 1.13's outputs
// (torch_rng_ref_avx2.txt, recorded by running torch; the line is named in the comment) or
// from book-notes/torch_rng.md, so these tests run without that file.
#include "catch_compat.h"

#include "ops/ops.h"
#include "random/random.h"

#include <vector>

using namespace llm;

namespace {

std::vector<float> rand_floats(int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    uniform_(v.data(), n, 0.0, 1.0);
    return v;
}

std::vector<float> randn_floats(int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    normal_(v.data(), n, 0.0, 1.0);
    return v;
}

// The reference prints 8 decimals; equal to that precision means within 5e-9 (+ float rounding).
void check_8_decimals(const std::vector<float>& got, const std::vector<double>& want) {
    REQUIRE(got.size() >= want.size());
    for (size_t i = 0; i < want.size(); i++) {
        INFO("element " << i);
        CHECK(static_cast<double>(got[i]) == Approx(want[i]).margin(6e-9));
    }
}

}  // namespace

TEST_CASE("MT19937 words match std::mt19937 and seeding uses the low 32 bits", "[random]") {
    Generator a(7), b(4294967296ULL + 7);  // torch_rng.md §1.2: seeds 2^32+7 and 7 give the same stream
    for (int i = 0; i < 1000; i++) REQUIRE(a.random() == b.random());
    Generator c(5489);
    // The 10000th output of the standard MT19937 seeded with 5489 is 4123659995 (C++ standard).
    uint32_t word = 0;
    for (int i = 0; i < 10000; i++) word = c.random();
    CHECK(word == 4123659995u);
}

TEST_CASE("rand: seed 123", "[random]") {
    manual_seed(123);  // torch_rng_ref_avx2.txt: s123.rand7
    check_8_decimals(rand_floats(7), {0.29611194, 0.51656228, 0.25167072, 0.68855679, 0.07397246,
                                      0.86652195, 0.13657987});
}

TEST_CASE("randn: scalar path keeps the second value of a pair for the next call", "[random]") {
    manual_seed(123);  // s123.randn1, s123.randn3a, s123.randn3b
    check_8_decimals(randn_floats(1), {-0.11146712});
    check_8_decimals(randn_floats(3), {0.12036294, -0.36963451, -0.24041797});
    check_8_decimals(randn_floats(3), {-1.19692433, 0.20926936, -0.97235501});
}

TEST_CASE("randn: batch path from 16 elements, tail block redrawn", "[random]") {
    manual_seed(123);  // s123.randn16
    check_8_decimals(randn_floats(16), {0.33737019, -0.17777722, -0.30352759, -0.58801186, 0.34860519,
                                        0.66034096, -0.21963762, -0.37916982, 0.76710707, -1.19250202,
                                        0.69835192, -1.40972292, 0.17937961, 1.89514804, 0.49544638,
                                        0.26919857});
    manual_seed(123);  // s123.randn17: the first 12 values
    check_8_decimals(randn_floats(17), {0.33737019, -1.02047193, -0.16895628, 0.91776460, 1.58096957,
                                        1.30103993, 1.27530122, -0.20095310, -0.16056378, -1.57230425,
                                        0.96657157, -1.14814401});
}

TEST_CASE("nn.Linear(3, 2, bias=False) x3 with seed 789 (book 3.4.2)", "[random]") {
    manual_seed(789);  // book.linear789.W_query and W_key
    std::vector<float> wq(6), wk(6);
    init_linear(wq.data(), 2, 3, nullptr);
    init_linear(wk.data(), 2, 3, nullptr);
    check_8_decimals(wq, {0.31605908, 0.45680857, 0.51183486, -0.16828540, -0.33787704, -0.09177387});
    check_8_decimals(wk, {0.40580583, -0.47042054, 0.23680520, 0.21336074, -0.26005065, -0.51054299});
}

TEST_CASE("nn.Linear(4, 3) weight then bias (torch_rng.md §6 example)", "[random]") {
    manual_seed(123);
    std::vector<float> w(12), b(3);
    init_linear(w.data(), 3, 4, b.data());
    check_8_decimals(w, {-0.20388806, 0.01656228, -0.24832928});
    check_8_decimals(b, {-0.42436469, -0.30336183, -0.18358803});
}

TEST_CASE("nn.Embedding(6, 3) with seed 123 (book ch02)", "[random]") {
    manual_seed(123);  // book.embedding6x3 (first 12 and last 4 values printed)
    std::vector<float> w(18);
    init_embedding(w.data(), 6, 3);
    check_8_decimals(w, {0.33737019, -0.17777722, -0.16895628, 0.91776460, 1.58096957, 1.30103993,
                         1.27530122, -0.20095310, -0.16056378, -0.40148801, 0.96657157, -1.14814401});
    std::vector<float> tail(w.end() - 4, w.end());
    check_8_decimals(tail, {-0.63150537, -2.83999395, -0.78485334, -1.40957248});
}

TEST_CASE("Dropout(0.5) mask on ones(6, 6) with seed 123 (book 3.5.2)", "[random]") {
    manual_seed(123);  // book.dropout0.5.ones6x6 = torch_rng.md §8.1
    std::vector<float> mask(36);
    dropout_mask(mask.data(), 36, 0.5);
    std::vector<float> book = {2, 2, 0, 2, 2, 0, 0, 0, 0, 2, 0, 2, 2, 2, 2, 2, 0, 2,
                               0, 2, 2, 0, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 2, 2, 2, 0};
    CHECK(mask == book);
}

TEST_CASE("random_words and dropout_mask draw exactly what one call per word would", "[random]") {
    // Lengths that start and end inside 624-word blocks; p on both sides of 0.5 (for
    // keep < 0.5, keep·2^53 is not an integer and the threshold is its ceiling).
    for (double p : {0.1, 0.5, 0.7, 0.93}) {
        for (int64_t n : {1, 311, 312, 2000, 5000}) {
            INFO("p " << p << ", n " << n);
            Generator a(42), b(42);
            a.random();  // start mid-block
            b.random();
            std::vector<float> mask(static_cast<size_t>(n));
            dropout_mask(mask.data(), n, p, a);
            float kept_value = 1.0f / static_cast<float>(1.0 - p);
            for (int64_t i = 0; i < n; i++)
                REQUIRE(mask[static_cast<size_t>(i)] == (b.uniform_double() < 1.0 - p ? kept_value : 0.0f));
            std::vector<uint32_t> words(700);
            a.random_words(words.data(), 700);
            for (uint32_t w : words) REQUIRE(w == b.random());
        }
    }
}

TEST_CASE("dropout_mask_bits keeps exactly the elements one uniform_double per element keeps", "[random]") {
    // The comparison on two 32-bit halves against 53-bit integers; p = 0 keeps all (the
    // threshold is 2^53 itself), p = 1 drops all; lengths inside and across 1024-blocks.
    for (double p : {0.0, 0.1, 0.5, 0.7, 0.93, 1.0}) {
        for (int64_t n : {1, 31, 32, 33, 1000, 1024, 1025, 3000}) {
            INFO("p " << p << ", n " << n);
            Generator a(7), b(7);
            a.random();  // start mid-block
            b.random();
            std::vector<uint32_t> bits(static_cast<size_t>((n + 31) / 32), 0xdeadbeefu);
            dropout_mask_bits(bits.data(), n, p, a);
            for (int64_t i = 0; i < n; i++) {
                bool kept = (bits[static_cast<size_t>(i / 32)] >> (i % 32)) & 1u;
                REQUIRE(kept == (b.uniform_double() < 1.0 - p));
            }
            if (n % 32 != 0) REQUIRE((bits.back() >> (n % 32)) == 0u);  // the last word's unused bits are 0
            REQUIRE(a.random() == b.random());
        }
    }
}

TEST_CASE("multinomial on the book's nine-word vocabulary (ch05)", "[random]") {
    // book.multinomial1 and book.multinomial1000.bincount: index 3, then 73 0 0 582 2 0 0 343 0.
    Tensor logits = tensor({4.51f, 0.89f, -1.90f, 6.75f, 1.63f, -1.62f, -1.89f, 6.28f, 1.79f});
    Tensor probas = softmax(logits, 0);
    manual_seed(123);
    CHECK(multinomial1(probas.data(), 9) == 3);
    manual_seed(123);
    std::vector<int> counts(9, 0);
    for (int i = 0; i < 1000; i++) counts[static_cast<size_t>(multinomial1(probas.data(), 9))]++;
    CHECK(counts == std::vector<int>{73, 0, 0, 582, 2, 0, 0, 343, 0});
}

TEST_CASE("DataLoader shuffle order and the draws it makes (torch_rng.md §10)", "[random]") {
    manual_seed(123);  // 10 items, batch 3 -> 8 2 6 7 0 3 9 1 5 4, then rand(3) = 0.0740 0.8665 0.1366
    dataloader_base_seed();
    CHECK(random_sampler_order(10) == std::vector<int64_t>{8, 2, 6, 7, 0, 3, 9, 1, 5, 4});
    check_8_decimals(rand_floats(3), {0.07397246, 0.86652195, 0.13657987});
}

TEST_CASE("generators are independent and their state can be saved", "[random]") {
    Generator g(42);
    g.random();
    Generator::State saved = g.state;
    std::vector<float> first(20), again(20);
    normal_(first.data(), 5, 0.0, 1.0, g);  // leaves a cached normal behind
    normal_(first.data() + 5, 15, 0.0, 1.0, g);
    g.state = saved;
    normal_(again.data(), 5, 0.0, 1.0, g);
    normal_(again.data() + 5, 15, 0.0, 1.0, g);
    CHECK(first == again);
}
