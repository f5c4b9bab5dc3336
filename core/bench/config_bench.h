// bench --config, --steps and --describe: one model config (tiny, small, 124m) trained,
// timed and profiled (bench/config_bench.cpp). Every figure is one JSON line on stdout.
#pragma once

#include <string>

// bench --config NAME: training ms/step and tokens/s on 1 and all threads with a per-op
// profile of one step, the two thread counts in turns (also with 1 thread pinned to each
// CPU), generation tokens/s with and without the KV cache, and peak memory. Exits with 2
// on an unknown name.
void run_config(const std::string& name, int all_threads);

// bench --steps NAME THREADS STEPS: training alone, the median step and the last loss's
// bits, for comparing two builds in turns (bench/ab.sh).
void run_steps(const std::string& name, int threads, int steps);

// bench --describe: what each config runs, for the peers (PyTorch, OpenBLAS).
void describe_configs(int all_threads);
