// Matrix multiply kernels; see gemm.h for the contract.
//
// gemm_naive is the definition written out: three loops, one dot product per
// element of C. It is correct and slow, because every element of op(B) is read
// from memory M times and op(B) is walked down its columns.
//
// gemm computes the same product the way BLAS libraries do (GotoBLAS, BLIS,
// "Anatomy of High-Performance Matrix Multiplication", Goto & van de Geijn 2008):
//
//   for jc in steps of NC over N:          loop 5: a KC×NC panel of op(B) ...
//     for pc in steps of KC over K:        loop 4: ... is packed once, lives in L3
//       pack_b   KC×NC panel of op(B)
//       for ic in steps of MC over M:      loop 3: an MC×KC block of op(A) ...
//         pack_a   MC×KC block of op(A)    ...   is packed once, lives in L2
//         for jr in steps of NR over NC:   loop 2: a KC×NR sliver of B, reused ...
//           for ir in steps of MR over MC: loop 1: ... by every MR×KC sliver of A
//             micro_kernel: MR×NR tile of C in registers, KC rank-1 updates
//
// Packing copies each block into the exact order the micro-kernel reads it, front to
// back, with transposes resolved and edges padded with zeros; where the copy costs more
// than it saves, a block is read in place (prepare_a, prepare_b). The micro-kernel
// (kernels/micro_kernel.h) is then one short loop of vector FMAs.
#include "kernels/gemm.h"

#include "kernels/micro_kernel.h"
#include "kernels/multiply_add.h"
#include "kernels/parallel.h"
#include "kernels/strided_matrix.h"
#include "kernels/transpose.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace llm {

void gemm_naive(int64_t M, int64_t N, int64_t K,
                  const float* A, int64_t lda, bool trans_a,
                  const float* B, int64_t ldb, bool trans_b,
                  float* C, int64_t ldc, bool accumulate) {
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            float sum = 0.0f;
            for (int64_t k = 0; k < K; k++) {
                float a = trans_a ? A[k * lda + i] : A[i * lda + k];
                float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                sum = multiply_add(a, b, sum);  // sum + a·b, rounded once, as the fast kernel does
            }
            C[i * ldc + j] = accumulate ? C[i * ldc + j] + sum : sum;
        }
    }
}

namespace {

using matmul::MR;
using matmul::NR;
using matmul::Sliver;
using matmul::StridedMatrix;
using matmul::columns_from;
using matmul::micro_kernel;
using matmul::op;
using matmul::row_times_matrix_threads;
using matmul::rows_from;
using matmul::tiles_grain;

// ---------------------------------------------------------------------------
// Block sizes (MR×NR, the register tile, is in micro_kernel.h).
// KC: each visit of the micro-kernel to a tile of C does KC multiply-adds per element,
//     then loads and stores the tile (a trip to L3 or memory): larger KC, fewer trips.
//     KC = 768 (a 72 KB sliver of B, streamed from L2) measured 5-10% faster than BLIS's
//     textbook 256 (a sliver in the 32 KB L1), as C traffic is what limits.
// MC: the MC×KC block of packed A is reread for every sliver of B, so it should stay in
//     L2: 96·768·4 B = 288 KB, leaving room for the B sliver. A multiple of every MR.
// NC: the KC×NC panel of packed B is reread for every MC block of A, so it should stay
//     in L3: 768·2016·4 B = 6 MB of a 32 MB L3. A multiple of every NR.
constexpr int64_t KC = kGemmChain;  // 768; the pieces each element is summed in (gemm.h)
constexpr int64_t MC = 96;
constexpr int64_t NC = 2016;
static_assert(MC % MR == 0 && NC % NR == 0, "blocks must hold whole tiles");

// Below this many multiply-adds the blocked path's copying costs more than it saves (they
// break even near 8×8×8; blocked is 4-8× faster at 32×32×32, 12-17× at 64×64×64).
constexpr int64_t SMALL_PRODUCT = 8 * 8 * 8;

// ---------------------------------------------------------------------------
// Helpers.

int64_t round_up(int64_t n, int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// Floats aligned to 64 bytes (a cache line), freed automatically; uninitialised (packed over).
struct FreeDeleter {
    void operator()(float* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<float[], FreeDeleter>;

AlignedBuffer alloc_aligned(int64_t count) {
    size_t bytes = static_cast<size_t>(round_up(count * int64_t(sizeof(float)), 64));
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) throw std::bad_alloc();
    return AlignedBuffer(static_cast<float*>(p));
}

// Asks for the cache lines of n floats from p (__builtin_prefetch, g++ and clang++), so that
// they are on their way before a later step reads them; it changes no value.
void prefetch_floats(const float* p, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) __builtin_prefetch(p + i);  // 16 floats: one 64-byte line
}

// ---------------------------------------------------------------------------
// Packing.

// Copies the mc×kc block of op(A) at (row0, col0) into `packed`, as ceil(mc/MR) slivers of MR
// rows, each stored column by column (for each k, the MR values A(row0+i, col0+k)); rows past
// mc are zeros, so the micro-kernel always computes a full tile. A transposed A (dYᵀ) has its
// columns contiguous in memory: pack_a_by_columns reads them straight.
void pack_a_by_columns(const StridedMatrix& a, int64_t row0, int64_t col0, int64_t mc, int64_t kc,
                       float* packed);

void pack_a(const StridedMatrix& a, int64_t row0, int64_t col0, int64_t mc, int64_t kc,
            float* packed) {
    if (a.row_stride == 1 && a.col_stride != 1) return pack_a_by_columns(a, row0, col0, mc, kc, packed);
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
        int64_t rows = std::min<int64_t>(MR, mc - i0);
        for (int64_t k = 0; k < kc; k++) {
            for (int64_t i = 0; i < rows; i++) packed[i] = a.at(row0 + i0 + i, col0 + k);
            for (int64_t i = rows; i < MR; i++) packed[i] = 0.0f;
            packed += MR;
        }
    }
}

// The same packed layout as pack_a, for an op(A) whose columns are contiguous: a column's
// values are dealt out MR at a time to the slivers. KB columns at a time, sliver by sliver,
// so that the KB short columns stay in L1 while each sliver gets its KB·MR values in a row
// (a whole column at a time, the stores to 16 slivers 18 KB apart waited; core/README.md).
void pack_a_by_columns(const StridedMatrix& a, int64_t row0, int64_t col0, int64_t mc, int64_t kc,
                       float* packed) {
    constexpr int64_t KB = 8;  // columns per step (6-row slivers: 4, 16, 32, 128 and all slower; 8-row: 4-32 alike)
    int64_t full_slivers = mc / MR, rest = mc % MR;
    for (int64_t k0 = 0; k0 < kc; k0 += KB) {
        int64_t k1 = std::min(kc, k0 + KB);
        // The next step's columns, asked for now: a row of dY apart, on other pages, where the
        // hardware prefetchers do not look (1024×256×2048: 195-207 -> 208-217 GFLOP/s).
        for (int64_t k = k1; k < std::min(kc, k1 + KB); k++)
            prefetch_floats(a.data + row0 + (col0 + k) * a.col_stride, mc);
        for (int64_t s = 0; s < full_slivers; s++) {
            float* out = packed + s * MR * kc;  // sliver s
            for (int64_t k = k0; k < k1; k++) {
                const float* column = a.data + row0 + (col0 + k) * a.col_stride + s * MR;
                for (int64_t i = 0; i < MR; i++) out[k * MR + i] = column[i];
            }
        }
        if (rest > 0) {
            float* last = packed + full_slivers * MR * kc;
            for (int64_t k = k0; k < k1; k++) {
                const float* column = a.data + row0 + (col0 + k) * a.col_stride + full_slivers * MR;
                for (int64_t i = 0; i < MR; i++) last[k * MR + i] = i < rest ? column[i] : 0.0f;
            }
        }
    }
}

// Copies the kc×nc panel of op(B) at (row0, col0) into `packed`, as ceil(nc/NR) slivers
// of NR columns, each stored row by row (for each k, the NR values B(row0+k, col0+j));
// columns past nc are zeros. When B is stored transposed (a Linear weight in x·Wᵀ), the NR
// values of one k are NR different rows in memory; pack_b_by_columns copies such a panel
// in small blocks instead.
void pack_b_by_columns(const StridedMatrix& b, int64_t row0, int64_t col0, int64_t kc, int64_t nc,
                       float* packed);

void pack_b(const StridedMatrix& b, int64_t row0, int64_t col0, int64_t kc, int64_t nc,
            float* packed) {
    if (b.row_stride == 1 && b.col_stride != 1) return pack_b_by_columns(b, row0, col0, kc, nc, packed);
    for (int64_t j0 = 0; j0 < nc; j0 += NR) {
        int64_t cols = std::min<int64_t>(NR, nc - j0);
        for (int64_t k = 0; k < kc; k++) {
            for (int64_t j = 0; j < cols; j++) packed[j] = b.at(row0 + k, col0 + j0 + j);
            for (int64_t j = cols; j < NR; j++) packed[j] = 0.0f;
            packed += NR;
        }
    }
}

// The same packed layout as pack_b, for an op(B) whose columns are contiguous: NR memory rows
// a sliver, whose strides map onto a few L1 sets, so KB values of each at a time keep both
// sides in L1; each column's next KB are asked for one step ahead (prefetch_floats), as eight
// lines of a row are too short a run for the hardware prefetcher (core/README.md, matmul).
void pack_b_by_columns(const StridedMatrix& b, int64_t row0, int64_t col0, int64_t kc, int64_t nc,
                       float* packed) {
    constexpr int64_t KB = 128;  // values per column per step: 8 cache lines (16-256 and all slower)
    for (int64_t j0 = 0; j0 < nc; j0 += NR) {
        int64_t cols = std::min<int64_t>(NR, nc - j0);
        float* sliver = packed + j0 * kc;  // the slivers before it hold j0 columns of kc values
        for (int64_t k0 = 0; k0 < kc; k0 += KB) {
            int64_t k1 = std::min(kc, k0 + KB);
            const float* first = b.data + (row0 + k0) + (col0 + j0) * b.col_stride;  // (k0, j0) of the panel
            for (int64_t j = 0; j < cols; j++) {
                if (k1 < kc)  // this column's next KB values
                    prefetch_floats(first + j * b.col_stride + KB, KB);
                else if (j0 + NR + j < nc)  // after its last: the first KB of the next sliver's column j
                    prefetch_floats(b.data + row0 + (col0 + j0 + NR + j) * b.col_stride, KB);
            }
            transpose_block(first, b.col_stride, cols, k1 - k0, sliver + k0 * NR, NR);  // rows k0..k1-1 of the sliver
            for (int64_t j = cols; j < NR; j++)
                for (int64_t k = k0; k < k1; k++) sliver[k * NR + j] = 0.0f;
        }
    }
}

// ---------------------------------------------------------------------------
// The loops around the micro-kernel (kernels/micro_kernel.h).

// The mc×kc block of op(A) at (row0, col0), as the macro-kernel reads it: packed (pack_a)
// into `packed`, or read in place, where only a last sliver of fewer than MR rows is packed
// (into `edge`), so that no row past mc is read. In place when op(A)'s rows are contiguous,
// and when its columns are and B's panel is at most two slivers wide (nc ≤ 2·NR: each value
// is used once or twice; attention's key and value gradients). Why: core/README.md, matmul.
struct ABlock {
    const float* data;   // the packed block, or (row0, col0) of op(A)
    int64_t row, step;   // op(A)'s strides when read in place; 0, 0 when packed
    const float* edge;   // the packed last sliver when read in place and mc % MR != 0
    Sliver sliver(int64_t i0, int64_t mc, int64_t kc) const {
        if (row == 0) return {data + i0 * kc, 1, MR};
        if (i0 + MR > mc) return {edge, 1, MR};
        return {data + i0 * row, row, step};
    }
};

// The kc×nc panel of op(B) at (row0, col0), as the macro-kernel reads it: packed (pack_b)
// into `packed`, or read in place (only a last sliver of fewer than NR columns packed, into
// `edge`) when op(B)'s rows are contiguous, the product has at most two MC blocks of rows and
// a sliver's kc rows span at most 1 MiB: narrow weight gradients, attention's keys and values.
struct BPanel {
    const float* data;  // the packed panel, or (row0, col0) of op(B)
    int64_t step;       // op(B)'s row stride when read in place; 0 when packed
    const float* edge;  // the packed last sliver when read in place and nc % NR != 0
    Sliver sliver(int64_t j0, int64_t nc, int64_t kc) const {
        if (step == 0) return {data + j0 * kc, 1, NR};
        if (j0 + NR > nc) return {edge, 1, NR};
        return {data + j0, 1, step};
    }
};

// Whether prepare_b reads op(B) in place for a product of M rows (a row stride of 0, every
// row the same, is packed: step 0 marks a packed panel).
bool reads_b_in_place(const StridedMatrix& b, int64_t M, int64_t kc) {
    constexpr int64_t kMaxSpanBytes = int64_t(1) << 20;
    return b.col_stride == 1 && b.row_stride > 0 && M <= 2 * MC &&
           kc * b.row_stride * int64_t(sizeof(float)) <= kMaxSpanBytes;
}

BPanel prepare_b(const StridedMatrix& b, int64_t row0, int64_t col0, int64_t kc, int64_t nc, int64_t M,
                 float* packed) {
    if (!reads_b_in_place(b, M, kc)) {
        pack_b(b, row0, col0, kc, nc, packed);
        return {packed, 0, nullptr};
    }
    int64_t full = nc / NR * NR;
    if (full < nc) pack_b(b, row0, col0 + full, kc, nc - full, packed);
    return {b.data + row0 * b.row_stride + col0, b.row_stride, packed};
}

// Whether op(A)'s rows are read in place: contiguous, and not all one row (row 0 marks packed).
bool reads_a_rows_in_place(const StridedMatrix& a) { return a.col_stride == 1 && a.row_stride > 0; }

ABlock prepare_a(const StridedMatrix& a, int64_t row0, int64_t col0, int64_t mc, int64_t kc, int64_t nc,
                 float* packed) {
    bool in_place = reads_a_rows_in_place(a) || (a.row_stride == 1 && nc <= 2 * NR);
    if (!in_place) {
        pack_a(a, row0, col0, mc, kc, packed);
        return {packed, 0, 0, nullptr};
    }
    int64_t full = mc / MR * MR;
    if (full < mc) pack_a(a, row0 + full, col0, mc - full, kc, packed);
    return {a.data + row0 * a.row_stride + col0 * a.col_stride, a.row_stride, a.col_stride, packed};
}

// C[mc×nc] (=|+=) A block (mc×kc) · B panel (kc×nc), one MR×NR
// tile at a time (loops 2 and 1 of the nest at the top of the file); bias: null, or the
// nc values a C row starts from.
void macro_kernel(int64_t mc, int64_t nc, int64_t kc, const ABlock& a, const BPanel& b, float* C,
                  int64_t ldc, bool add, const float* bias) {
    for (int64_t j0 = 0; j0 < nc; j0 += NR) {
        for (int64_t i0 = 0; i0 < mc; i0 += MR) {
            micro_kernel(kc, a.sliver(i0, mc, kc), b.sliver(j0, nc, kc), C + i0 * ldc + j0, ldc,
                         std::min<int64_t>(MR, mc - i0), std::min<int64_t>(NR, nc - j0), add,
                         bias != nullptr ? bias + j0 : nullptr);
        }
    }
}

// The blocked product, loops 5, 4 and 3. The first KC block of K stores into C (or adds, if
// `accumulate`, or stores bias + the block); later KC blocks add to it. One runs per thread on
// a slab of C, each keeping its packing buffers from product to product (fresh pages each
// time were 5% of a GPT-2 step).
struct PackingBuffers {
    AlignedBuffer a, b;
    int64_t a_count = 0, b_count = 0;
};
thread_local PackingBuffers t_packing;

// `buffer`, grown to hold at least `count` floats.
float* at_least(AlignedBuffer& buffer, int64_t& capacity, int64_t count) {
    if (count > capacity) {
        buffer = alloc_aligned(count);
        capacity = count;
    }
    return buffer.get();
}

void gemm_blocked(int64_t M, int64_t N, int64_t K, const StridedMatrix& a,
                    const StridedMatrix& b, float* C, int64_t ldc, bool accumulate, const float* bias) {
    PackingBuffers& buffers = t_packing;
    float* a_packed = at_least(buffers.a, buffers.a_count, round_up(std::min(M, MC), MR) * std::min(K, KC));
    float* b_packed = at_least(buffers.b, buffers.b_count, std::min(K, KC) * round_up(std::min(N, NC), NR));
    for (int64_t jc = 0; jc < N; jc += NC) {
        int64_t nc = std::min(NC, N - jc);
        for (int64_t pc = 0; pc < K; pc += KC) {
            int64_t kc = std::min(KC, K - pc);
            bool add = accumulate || pc > 0;
            const float* start = pc == 0 && bias != nullptr ? bias + jc : nullptr;
            BPanel panel = prepare_b(b, pc, jc, kc, nc, M, b_packed);
            for (int64_t ic = 0; ic < M; ic += MC) {
                int64_t mc = std::min(MC, M - ic);
                ABlock block = prepare_a(a, ic, pc, mc, kc, nc, a_packed);
                macro_kernel(mc, nc, kc, block, panel, C + ic * ldc + jc, ldc, add, start);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Threads. The output is cut into slabs of whole tiles, one per thread, each thread
// running the single-threaded kernel on its slab with its own packing buffers. A slab
// of columns needs all of op(A) and a slab of rows all of op(B), and whatever a thread
// needs it packs itself, so the cut goes where less is packed twice: rows when op(A) is
// packed and each thread's rows would read op(B) in place (by columns, both threads packed
// all of a weight gradient's dYᵀ), else columns when op(A) is read in place or N is the
// larger side, rows otherwise (with enough column tiles to go round). Every element of C is
// computed by the same loops in the same order, whatever the number of threads.
void gemm_blocked_threads(int64_t M, int64_t N, int64_t K, const StridedMatrix& a,
                            const StridedMatrix& b, float* C, int64_t ldc, bool accumulate, const float* bias) {
    bool a_in_place = reads_a_rows_in_place(a);
    int64_t rows_each = (M + num_threads() - 1) / num_threads();
    bool b_in_place_by_rows = !a_in_place && reads_b_in_place(b, rows_each, std::min(K, KC));
    if (!b_in_place_by_rows && (N >= M || (a_in_place && N >= NR * num_threads()))) {
        parallel_for((N + NR - 1) / NR, tiles_grain(M * K * NR), [&](int64_t t0, int64_t t1) {  // NR columns
            int64_t j0 = t0 * NR, j1 = std::min(N, t1 * NR);
            gemm_blocked(M, j1 - j0, K, a, columns_from(b, j0), C + j0, ldc, accumulate,
                         bias != nullptr ? bias + j0 : nullptr);
        });
    } else {
        parallel_for((M + MR - 1) / MR, tiles_grain(N * K * MR), [&](int64_t t0, int64_t t1) {  // MR rows
            int64_t i0 = t0 * MR, i1 = std::min(M, t1 * MR);
            gemm_blocked(i1 - i0, N, K, rows_from(a, i0), b, C + i0 * ldc, ldc, accumulate, bias);
        });
    }
}

}  // namespace

// Picks a path by shape; see the comment at the top of the file for the blocked one.
void gemm(int64_t M, int64_t N, int64_t K,
            const float* A, int64_t lda, bool trans_a,
            const float* B, int64_t ldb, bool trans_b,
            float* C, int64_t ldc, bool accumulate) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {  // an empty sum: C = 0, or C unchanged when accumulating
        if (!accumulate)
            for (int64_t i = 0; i < M; i++) std::fill(C + i * ldc, C + i * ldc + N, 0.0f);
        return;
    }
    if (M * N * K < SMALL_PRODUCT) {
        gemm_naive(M, N, K, A, lda, trans_a, B, ldb, trans_b, C, ldc, accumulate);
    } else if (M == 1) {
        row_times_matrix_threads(N, K, op(A, lda, trans_a), op(B, ldb, trans_b), C, accumulate);
    } else {
        gemm_blocked_threads(M, N, K, op(A, lda, trans_a), op(B, ldb, trans_b), C, ldc, accumulate, nullptr);
    }
}

// The blocked path starts C's rows from the bias in the micro-kernel's first store; the
// other paths get C filled with the bias first and accumulate onto it, which is what the
// first store computes too (bias + the first block of the sum).
void gemm_bias(int64_t M, int64_t N, int64_t K,
               const float* A, int64_t lda, bool trans_a,
               const float* B, int64_t ldb, bool trans_b,
               const float* bias, float* C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || M * N * K < SMALL_PRODUCT || M == 1) {
        for (int64_t i = 0; i < M; i++) std::copy(bias, bias + N, C + i * ldc);
        gemm(M, N, K, A, lda, trans_a, B, ldb, trans_b, C, ldc, true);
        return;
    }
    gemm_blocked_threads(M, N, K, op(A, lda, trans_a), op(B, ldb, trans_b), C, ldc, false, bias);
}

}  // namespace llm
