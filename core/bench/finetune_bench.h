// bench --part finetune: chapter 6's and chapter 7's training steps on random weights of
// GPT-2 124M's shape (bench/finetune_bench.cpp).
#pragma once

#include <cstdint>

// One JSON line per figure: ms per step and tokens/s of each chapter's step on 1 thread and
// on all threads, and the minutes the book's whole run would take at that speed.
// ch07_tokens: the padded length of chapter 7's batches to time (they vary with the batch).
void run_finetune_part(int all_threads, int64_t ch07_tokens);
