// bench --part attention (core/bench/attention_bench.cpp): long-context attention, one
// JSON line per (kind, T); runs whose T×T buffers would exceed budget_bytes are skipped.
#pragma once

#include <cstdint>
#include <vector>

void run_attention_part(const std::vector<int64_t>& lengths, double budget_bytes);
