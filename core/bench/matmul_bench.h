// bench --part matmul: the FMA peak at each vector width, then llm::gemm's GFLOP/s on
// square sizes and on every matmul shape of a training step of tiny, small and 124M
// (bench/matmul_bench.cpp).
#pragma once

// One JSON line per figure, on 1 thread and on all threads. gemm_bits: the vector width
// gemm's multiply-adds run at, as its object code shows (core/bench/run.sh reads it with
// objdump), or 0 when unknown: then the widest width the compiler flags allow. Each matmul
// figure's share_of_peak is of the FMA peak at that width, on the same thread count. Every
// figure, the peaks included, is the best of three rounds through all of them (a shared
// machine's slow spells otherwise mark down whole blocks of shapes); about 2.5 minutes here.
void run_matmul_part(int all_threads, int gemm_bits);
