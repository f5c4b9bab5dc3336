// What the training tests share: a made-up text, the `train` command called with a list of
// flags, a tiny run's flags, and a way to keep the run's printing out of the test log.
#pragma once

#include "cli/commands.h"

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace train_test {

// Keeps the training output out of the test log; `text()` has what was printed.
struct CaptureOutput {
    std::ostringstream buffer;
    std::streambuf* old = std::cout.rdbuf(buffer.rdbuf());
    ~CaptureOutput() { std::cout.rdbuf(old); }
    std::string text() const { return buffer.str(); }
};

// A made-up text of simple sentences, different every line (deterministic).
inline std::string small_text(int lines) {
    const char* names[] = {"Ada", "Ben", "Cleo", "Dev", "Eli"};
    const char* verbs[] = {"sees", "helps", "calls", "finds"};
    const char* things[] = {"a red kite", "the old boat", "a small dog", "the green door", "a warm loaf"};
    std::string text;
    for (int i = 0; i < lines; i++)
        text += std::string(names[i % 5]) + " " + verbs[(i / 5) % 4] + " " + things[(i / 3) % 5] + ".\n";
    return text;
}

inline int train(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    return llm::train_command(static_cast<int>(argv.size()), argv.data());
}

inline std::vector<std::string> tiny_run(const std::string& data, const std::string& out) {
    return {"--data", data, "--out", out, "--tokenizer", "bytes", "--context", "16", "--emb", "16", "--layers", "2",
            "--heads", "2", "--batch-size", "4", "--epochs", "2", "--eval-interval", "3", "--eval-iters", "2",
            "--checkpoint-interval", "4", "--sample-tokens", "8", "--warmup", "2"};
}

}  // namespace train_test

using train_test::CaptureOutput;
using train_test::small_text;
using train_test::tiny_run;
using train_test::train;
