// The blocked gemm kernel against the three-loop reference gemm_naive, over
// odd shapes, shapes on either side of the kernel's block sizes, every transpose
// combination, accumulate on and off, and leading dimensions larger than needed.
#include "catch_compat.h"

#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernels/transpose.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace llm;

namespace {

// Block sizes of core/kernels/gemm.cpp, copied here so the shapes below land on
// either side of them (MR/NR differ per ISA; all the values in use are listed).
constexpr int64_t MC = 96, KC = 768, NC = 2016;
constexpr int64_t TILE_SIZES[] = {4, 6, 8, 24, 32};

const float NaN = std::numeric_limits<float>::quiet_NaN();
constexpr float OUTSIDE = 12345.0f;  // sentinel in C outside the M×N region

// One call of the kernel: shape, transposes, accumulate, and how much wider than
// needed each matrix's rows are (pad 0 means ld = the minimum).
struct Case {
    int64_t M, N, K;
    bool trans_a, trans_b, accumulate;
    int64_t pad = 0;

    std::string describe() const {
        std::ostringstream s;
        s << "M=" << M << " N=" << N << " K=" << K << " trans_a=" << trans_a
          << " trans_b=" << trans_b << " accumulate=" << accumulate << " pad=" << pad;
        return s.str();
    }
};

// A row-major rows×cols matrix stored with row stride ld >= cols; the padding
// past cols is NaN, so a kernel that reads it poisons its result.
struct Matrix {
    int64_t rows, cols, ld;
    std::vector<float> values;

    Matrix(int64_t rows_, int64_t cols_, int64_t pad, float fill)
        : rows(rows_), cols(cols_), ld(cols_ + pad),
          values(static_cast<size_t>(rows_ * (cols_ + pad)), NaN) {
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++) at(r, c) = fill;
    }
    float& at(int64_t r, int64_t c) { return values[static_cast<size_t>(r * ld + c)]; }
    void randomize(std::mt19937& rng) {
        std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++) at(r, c) = dist(rng);
    }
    Matrix abs() const {
        Matrix m = *this;
        for (float& v : m.values) v = std::fabs(v);
        return m;
    }
};

// A C buffer: M×N values (random when accumulating, NaN otherwise, which the
// kernel must then not read) inside a wider M×ldc array of OUTSIDE sentinels.
Matrix make_c(const Case& c, std::mt19937& rng) {
    Matrix m(c.M, c.N, c.pad, NaN);
    for (float& v : m.values) v = OUTSIDE;
    if (c.accumulate) m.randomize(rng);
    else
        for (int64_t r = 0; r < c.M; r++)
            for (int64_t j = 0; j < c.N; j++) m.at(r, j) = NaN;
    return m;
}

// Runs gemm and gemm_naive on the same random inputs and returns "" if they
// agree, else a description of the first bad element. Inside the M×N region the
// two round the same way (one fused multiply-add per k, gemm.h) and must agree bit for
// bit while K fits in one chain and M > 1; otherwise they may differ by rounding: each
// is within K·ε·Σ|a||b| of the exact value (plus ε·|C| for the final add), so they are
// within twice that of each other. Outside it C must be untouched.
std::string compare_with_naive(const Case& c, uint32_t seed) {
    std::mt19937 rng(seed);
    // Stored shapes: op(A) is M×K, so A is K×M when transposed; same for B.
    Matrix A = c.trans_a ? Matrix(c.K, c.M, c.pad, 0) : Matrix(c.M, c.K, c.pad, 0);
    Matrix B = c.trans_b ? Matrix(c.N, c.K, c.pad, 0) : Matrix(c.K, c.N, c.pad, 0);
    A.randomize(rng);
    B.randomize(rng);
    Matrix fast = make_c(c, rng), reference = fast;
    Matrix bound(c.M, c.N, 0, 0.0f);  // Σ_k |A(i,k)|·|B(k,j)|

    gemm(c.M, c.N, c.K, A.values.data(), A.ld, c.trans_a, B.values.data(), B.ld, c.trans_b,
           fast.values.data(), fast.ld, c.accumulate);
    gemm_naive(c.M, c.N, c.K, A.values.data(), A.ld, c.trans_a, B.values.data(), B.ld,
                 c.trans_b, reference.values.data(), reference.ld, c.accumulate);
    Matrix A_abs = A.abs(), B_abs = B.abs();
    gemm_naive(c.M, c.N, c.K, A_abs.values.data(), A.ld, c.trans_a, B_abs.values.data(), B.ld,
                 c.trans_b, bound.values.data(), bound.ld, false);

    const float eps = std::numeric_limits<float>::epsilon();
    for (int64_t i = 0; i < c.M; i++) {
        for (int64_t j = 0; j < fast.ld; j++) {
            float got = fast.at(i, j), want = reference.at(i, j);
            bool ok;
            if (j >= c.N) {
                ok = got == OUTSIDE;
            } else {
                float tol = 2.0f * eps * (float(c.K + 1) * bound.at(i, j) + std::fabs(want));
                bool exact = c.K <= kGemmChain && c.M > 1;
                ok = exact ? got == want : std::fabs(got - want) <= tol;  // false for NaN
            }
            if (!ok) {
                std::ostringstream s;
                s << c.describe() << ": C(" << i << "," << j << ") = " << got << ", naive "
                  << want;
                return s.str();
            }
        }
    }
    return "";
}

// Checks `c` under every combination of transposes and accumulate.
void check_all_variants(int64_t M, int64_t N, int64_t K, int64_t pad, uint32_t seed) {
    for (int variant = 0; variant < 8; variant++) {
        Case c{M, N, K, (variant & 1) != 0, (variant & 2) != 0, (variant & 4) != 0, pad};
        std::string failure = compare_with_naive(c, seed + static_cast<uint32_t>(variant));
        INFO(failure);
        REQUIRE(failure.empty());
    }
}

}  // namespace

TEST_CASE("gemm of a tiny product gives the hand-computed values", "[gemm]") {
    // [1 2 3]   [ 7  8]   [1·7+2·9+3·11  1·8+2·10+3·12]   [ 58  64]
    // [4 5 6] · [ 9 10] = [4·7+5·9+6·11  4·8+5·10+6·12] = [139 154]
    //           [11 12]
    const float A[] = {1, 2, 3, 4, 5, 6};
    const float B[] = {7, 8, 9, 10, 11, 12};
    const float At[] = {1, 4, 2, 5, 3, 6};     // Aᵀ stored, read with trans_a
    const float Bt[] = {7, 9, 11, 8, 10, 12};  // Bᵀ stored, read with trans_b
    const std::vector<float> expected = {58, 64, 139, 154};

    std::vector<float> C(4, NaN);
    gemm(2, 2, 3, A, 3, false, B, 2, false, C.data(), 2, false);
    CHECK(C == expected);
    gemm(2, 2, 3, At, 2, true, Bt, 3, true, C.data(), 2, false);
    CHECK(C == expected);
    gemm(2, 2, 3, A, 3, false, Bt, 3, true, C.data(), 2, true);  // adds a second copy
    CHECK(C == std::vector<float>{116, 128, 278, 308});
}

TEST_CASE("gemm of integer matrices large enough to be blocked is exact", "[gemm]") {
    // A(i,k) = 1 and B(k,j) = j - 10, so C(i,j) = K·(j - 10): small integers,
    // exact in float whatever the order of the additions.
    const int64_t M = 150, N = 70, K = 300;
    std::vector<float> A(M * K, 1.0f), B(K * N), C(M * N, NaN);
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < N; j++) B[k * N + j] = float(j - 10);
    gemm(M, N, K, A.data(), K, false, B.data(), N, false, C.data(), N, false);
    int64_t wrong = 0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) wrong += C[i * N + j] != float(K * (j - 10));
    REQUIRE(wrong == 0);
}

TEST_CASE("gemm matches gemm_naive on odd shapes", "[gemm]") {
    const int64_t sizes[] = {1, 7, 17, 129};
    uint32_t seed = 1;
    for (int64_t M : sizes)
        for (int64_t N : sizes)
            for (int64_t K : sizes) check_all_variants(M, N, K, 0, seed += 8);
}

TEST_CASE("gemm matches gemm_naive on either side of the tile sizes", "[gemm]") {
    uint32_t seed = 1000;
    for (int64_t t : TILE_SIZES) {
        for (int64_t d : {-1, 0, 1}) {
            check_all_variants(t + d, 2 * t + d, 33, 0, seed += 8);  // M around MR
            check_all_variants(19, t + d, 40, 0, seed += 8);         // N around NR
            check_all_variants(t + d, 3 * t - d, 9, 2, seed += 8);
        }
    }
}

TEST_CASE("gemm matches gemm_naive on either side of the cache blocks", "[gemm]") {
    uint32_t seed = 2000;
    for (int64_t d : {-1, 0, 1}) {
        check_all_variants(MC + d, 29, 20, 0, seed += 8);          // M around MC
        check_all_variants(2 * MC + d, 5, 7, 1, seed += 8);
        check_all_variants(9, 31, KC + d, 0, seed += 8);           // K around KC
        check_all_variants(13, 10, 2 * KC + d, 3, seed += 8);
        check_all_variants(5, NC + d, 6, 0, seed += 8);            // N around NC
    }
    check_all_variants(MC + 7, 50, KC + 5, 1, seed += 8);          // all three at once
}

// Any block of C computed on its own (some rows, some columns) has the bits it has in
// the whole product (gemm.h), and so do rows that leave out trailing products that are 0
// (the fused causal attention computes only what its mask keeps).
TEST_CASE("a block of a product, computed on its own, has the same bits", "[gemm]") {
    std::mt19937 rng(41);
    for (int64_t K : {5, 96, 768, 1000, 1600}) {
        const int64_t M = 150, N = 130;
        Matrix A(M, K, 0, 0), B(K, N, 0, 0);  // op(A) = A, op(B) = B, both plain
        A.randomize(rng);
        B.randomize(rng);
        Matrix whole(M, N, 0, 0);
        gemm(M, N, K, A.values.data(), A.ld, false, B.values.data(), B.ld, false, whole.values.data(), whole.ld, false);
        for (int64_t i0 : {0, 7, 64}) {
            for (int64_t j0 : {0, 33}) {
                const int64_t rows = 2 + i0 % 50, cols = 1 + j0;
                Matrix block(rows, cols, 0, 0);
                gemm(rows, cols, K, A.values.data() + i0 * A.ld, A.ld, false, B.values.data() + j0, B.ld, false,
                     block.values.data(), block.ld, false);
                for (int64_t i = 0; i < rows; i++)
                    for (int64_t j = 0; j < cols; j++) REQUIRE(block.at(i, j) == whole.at(i0 + i, j0 + j));
            }
        }
        // Zeros at the end of every row of A: a product over the first K' columns only.
        const int64_t kept = K - K / 3;
        Matrix tail_zero = A;
        for (int64_t i = 0; i < M; i++)
            for (int64_t k = kept; k < K; k++) tail_zero.at(i, k) = 0.0f;
        Matrix full(M, N, 0, 0), shorter(M, N, 0, 0);
        gemm(M, N, K, tail_zero.values.data(), A.ld, false, B.values.data(), B.ld, false, full.values.data(), full.ld, false);
        gemm(M, N, kept, tail_zero.values.data(), A.ld, false, B.values.data(), B.ld, false, shorter.values.data(),
             shorter.ld, false);
        REQUIRE(full.values == shorter.values);
    }
}

TEST_CASE("gemm leaves C outside M×N alone when rows are padded", "[gemm]") {
    // compare_with_naive fills the padding of A and B with NaN and of C with a
    // sentinel, so reading past a row or writing past N both fail.
    uint32_t seed = 3000;
    for (int64_t pad : {1, 5, 64}) {
        check_all_variants(7, 17, 129, pad, seed += 8);
        check_all_variants(130, 45, 70, pad, seed += 8);
    }
}

TEST_CASE("gemm with one row or one column matches gemm_naive", "[gemm]") {
    uint32_t seed = 4000;
    for (int64_t pad : {0, 3}) {
        check_all_variants(1, 1, 1, pad, seed += 8);
        check_all_variants(1, 300, 200, pad, seed += 8);  // a vector times a matrix
        check_all_variants(1, 37, 1000, pad, seed += 8);
        check_all_variants(300, 1, 200, pad, seed += 8);  // a matrix times a vector
        check_all_variants(1, 1, 5000, pad, seed += 8);   // one long dot product
    }
}

// A leading dimension of 0 makes every row (or, transposed, every column) of op(A) or op(B)
// the same. A stride of 0 is also how the kernel marks a packed block, so such an operand
// must not be read in place (it once was: every element wrong).
TEST_CASE("gemm with a leading dimension of 0 matches gemm_naive", "[gemm]") {
    const int64_t M = 40, K = 48;
    for (int64_t N : {int64_t(64), int64_t(24)}) {  // 24: one sliver of B, where a transposed op(A) is read in place
        std::vector<float> repeated(std::max(M, std::max(N, K))), full_a(M * K), full_b(K * N);
        for (size_t i = 0; i < repeated.size(); i++) repeated[i] = 0.1f * float(i % 7) - 0.2f;
        for (int64_t i = 0; i < M * K; i++) full_a[i] = 0.02f * float(i % 11) - 0.1f;
        for (int64_t i = 0; i < K * N; i++) full_b[i] = 0.01f * float(i % 13) - 0.05f;
        for (bool a_repeats : {true, false})  // A's leading dimension 0, then B's
            for (bool trans : {false, true}) {
                const float* A = a_repeats ? repeated.data() : full_a.data();
                const float* B = a_repeats ? full_b.data() : repeated.data();
                bool trans_a = a_repeats && trans, trans_b = !a_repeats && trans;
                int64_t lda = a_repeats ? 0 : K, ldb = a_repeats ? N : 0;
                std::vector<float> fast(M * N), naive(M * N);
                gemm(M, N, K, A, lda, trans_a, B, ldb, trans_b, fast.data(), N, false);
                gemm_naive(M, N, K, A, lda, trans_a, B, ldb, trans_b, naive.data(), N, false);
                INFO("N=" << N << " a_repeats=" << a_repeats << " trans=" << trans);
                CHECK(fast == naive);
            }
    }
}

TEST_CASE("gemm with K = 0 writes zeros, or leaves C alone when accumulating", "[gemm]") {
    const int64_t M = 20, N = 30, ldc = 33;
    for (bool accumulate : {false, true}) {
        std::vector<float> C(M * ldc, 7.0f);
        // No element of A or B exists, so null pointers must not be touched.
        gemm(M, N, 0, nullptr, 1, false, nullptr, N, false, C.data(), ldc, accumulate);
        int64_t wrong = 0;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < ldc; j++)
                wrong += C[i * ldc + j] != (j < N && !accumulate ? 0.0f : 7.0f);
        INFO("accumulate=" << accumulate);
        REQUIRE(wrong == 0);
    }
}

TEST_CASE("gemm with M = 0 or N = 0 does nothing", "[gemm]") {
    std::vector<float> A(50, 1.0f), B(50, 1.0f), C(50, 7.0f);
    gemm(0, 5, 5, A.data(), 5, false, B.data(), 5, false, C.data(), 5, false);
    gemm(5, 0, 5, A.data(), 5, false, B.data(), 5, false, C.data(), 5, false);
    REQUIRE(C == std::vector<float>(50, 7.0f));
}

TEST_CASE("a vector-matrix product's columns do not depend on how they are grouped or split", "[gemm][parallel]") {
    // M = 1 with op(B) transposed (x·Wᵀ, generation's product) computes each column as a
    // dot product, four columns at a time and the leftovers one by one, the columns split
    // between the threads: every column must come out the same bits as on its own.
    std::mt19937 rng(5000);
    const int64_t N = 4099, K = 1003;  // a leftover column, and K not a multiple of 32
    Matrix x(1, K, 0, 0), w(N, K, 0, 0);
    x.randomize(rng);
    w.randomize(rng);
    int threads_before = num_threads();
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        std::vector<float> c(N);
        gemm(1, N, K, x.values.data(), K, false, w.values.data(), K, true, c.data(), N, false);
        results.push_back(c);
    }
    set_num_threads(threads_before);
    REQUIRE(results[0] == results[1]);
    int64_t differing = 0;
    for (int64_t j : {int64_t(0), int64_t(1), int64_t(2), int64_t(3), int64_t(1000), N - 3, N - 1}) {
        float alone = 0.0f;
        gemm(1, 1, K, x.values.data(), K, false, w.values.data() + j * K, K, true, &alone, 1, false);
        differing += alone != results[0][static_cast<size_t>(j)];
    }
    CHECK(differing == 0);
}

TEST_CASE("gemm_bias has the bits of bias rows accumulated onto by gemm", "[gemm]") {
    // Linear's y = x·Wᵀ + b: the fast path starts each row from the bias in its first store;
    // the plain one fills C with bias rows and accumulates the product. Shapes on the small,
    // one-row and blocked paths, K across KC (several pieces), both transposes of B, both
    // thread counts; a bias with -0 and a product column of zeros (where -0 + +0 = +0 shows).
    std::mt19937 rng(6000);
    struct Shape3 {
        int64_t M, N, K;
    };
    int threads_before = num_threads();
    for (Shape3 s : {Shape3{2, 3, 4}, Shape3{1, 70, 50}, Shape3{7, 33, 9}, Shape3{100, 70, 40}, Shape3{13, 50, KC + 5},
                     Shape3{MC + 7, 2 * 32 + 3, 2 * KC + 1}, Shape3{30, 40, 0}}) {
        for (bool trans_b : {false, true}) {
            Matrix a(s.M, s.K, 0, 0), b(trans_b ? s.N : s.K, trans_b ? s.K : s.N, 0, 0), bias(1, s.N, 0, 0);
            a.randomize(rng);
            b.randomize(rng);
            bias.randomize(rng);
            bias.at(0, 0) = -0.0f;
            for (int64_t k = 0; k < s.K && s.N > 1; k++) (trans_b ? b.at(1, k) : b.at(k, 1)) = 0.0f;
            bias.at(0, std::min<int64_t>(1, s.N - 1)) = -0.0f;
            Matrix plain(s.M, s.N, 0, 0);
            for (int64_t i = 0; i < s.M; i++)
                for (int64_t j = 0; j < s.N; j++) plain.at(i, j) = bias.at(0, j);
            gemm(s.M, s.N, s.K, a.values.data(), a.ld, false, b.values.data(), b.ld, trans_b, plain.values.data(),
                 plain.ld, true);
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                Matrix fast(s.M, s.N, 0, NaN);
                gemm_bias(s.M, s.N, s.K, a.values.data(), a.ld, false, b.values.data(), b.ld, trans_b,
                          bias.values.data(), fast.values.data(), fast.ld);
                INFO("M=" << s.M << " N=" << s.N << " K=" << s.K << " trans_b=" << trans_b << " threads=" << threads);
                int64_t differing = 0;
                for (int64_t i = 0; i < s.M; i++)
                    for (int64_t j = 0; j < s.N; j++)
                        differing += std::signbit(fast.at(i, j)) != std::signbit(plain.at(i, j)) ||
                                     !(fast.at(i, j) == plain.at(i, j));
                CHECK(differing == 0);
            }
        }
    }
    set_num_threads(threads_before);
}

TEST_CASE("transpose_8x8 moves each value where the plain loop puts it", "[gemm]") {
    // The packing of a transposed B copies 8×8 blocks through vector shuffles
    // (kernels/transpose.h); the plain copy is out[k][j] = in[j][k]. Rows of the input 11
    // floats apart and of the output 13 apart, every value distinct (its own position), and
    // the output's gaps must keep their sentinel.
    const int64_t in_stride = 11, out_stride = 13;
    std::vector<float> in(8 * in_stride), fast(8 * out_stride, OUTSIDE), plain(8 * out_stride, OUTSIDE);
    for (size_t i = 0; i < in.size(); i++) in[i] = static_cast<float>(i) + 0.5f;
    transpose_8x8(in.data(), in_stride, fast.data(), out_stride);
    for (int64_t j = 0; j < 8; j++)
        for (int64_t k = 0; k < 8; k++) plain[k * out_stride + j] = in[j * in_stride + k];
    CHECK(fast == plain);
}

TEST_CASE("transpose_block moves each value where the plain loop puts it, edges included", "[gemm]") {
    // Whole 8×8 blocks, and rows or columns left over on either side (the packing's last
    // columns of a weight, the attention's heads of 36).
    for (int64_t rows : {1, 8, 13, 16, 21})
        for (int64_t cols : {3, 8, 15, 36}) {
            INFO(rows << "x" << cols);
            const int64_t in_stride = cols + 3, out_stride = rows + 5;
            std::vector<float> in(static_cast<size_t>(rows * in_stride));
            std::vector<float> fast(static_cast<size_t>(cols * out_stride), OUTSIDE), plain = fast;
            for (size_t i = 0; i < in.size(); i++) in[i] = static_cast<float>(i) + 0.5f;
            transpose_block(in.data(), in_stride, rows, cols, fast.data(), out_stride);
            for (int64_t j = 0; j < rows; j++)
                for (int64_t k = 0; k < cols; k++) plain[k * out_stride + j] = in[j * in_stride + k];
            CHECK(fast == plain);
        }
}
