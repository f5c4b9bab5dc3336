// bench --part finetune: chapter 6's and chapter 7's training steps on random weights of
// GPT-2 124M's shape (bench/finetune_bench.cpp).
#pragma once

#include <cstdint>

// The padded length of chapter 7's batches timed by default: about the mean padded length
// of the book's training batches (they vary with the batch).
constexpr int64_t kCh07Tokens = 73;

// One JSON line per figure: ms per step and tokens/s of each chapter's step on 1 thread and
// on all threads, and the minutes the book's whole run would take at that speed.
// ch07_tokens: the padded length of chapter 7's batches to time.
void run_finetune_part(int all_threads, int64_t ch07_tokens);

// bench --describe's lines for ch06 and ch07: the timed batch, the book run's counts of
// steps and forward-only batches, the warm-up and timed runs, the thread counts; what the
// PyTorch peer (.bench-peers/torch_finetune.py) is given.
void describe_finetune(int all_threads, int64_t ch07_tokens);
