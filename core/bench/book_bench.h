// bench --part book: the book's chapter-5 run (`ch05_pretraining book-train`) timed as a
// whole, with its peak memory beside what it needs (bench/book_bench.cpp).
#pragma once

#include <string>

// Runs `program book-train --verdict VERDICT --gpt2-dir GPT2_DIR` as a child process and
// prints one JSON line: wall-clock minutes, the child's peak resident memory, the memory
// the run needs (16 bytes per parameter for weights, gradients and AdamW's two moments,
// plus one step's saved activations), their ratio, and the lines the run printed (its
// output goes to `log`, to be compared with an earlier run's). Returns false, with a
// message, when the program or a file is missing.
bool run_book_part(const std::string& program, const std::string& verdict, const std::string& gpt2_dir,
                   const std::string& log);
