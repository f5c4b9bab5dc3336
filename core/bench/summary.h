// bench --summary FILE: ours ÷ the peers' best, from the JSON lines of one `make bench`
// run (bench/summary.cpp). Not part of the library.
#pragma once

#include <cstdio>
#include <string>

// Reads FILE, one JSON object per line (ours and the peers', as core/bench/run.sh collects
// them; other lines are skipped), and prints one {"figure": "ratio", ...} line per figure
// of ours that a peer measured on the same thread count: how many times faster ours is
// than the fastest peer run (of either OpenBLAS core type). Matmul shapes are summed up
// per config as a geometric mean. Then, peers or none, one {"figure": "shapes_at_target", ...}
// line per kind of a training step's matmul shapes (linear, attention) and thread count, over
// all configs ("config": "all") and then per config: how many reached 85% of the FMA peak at
// gemm's vector width, and the lowest. All to `out` (tests/test_bench_summary.cpp reads them
// back). False when FILE cannot be read.
bool print_summary(const std::string& path, std::FILE* out = stdout);
