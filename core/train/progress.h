// The progress line of a training run: a bar on a terminal, a plain line every few
// steps otherwise.
#pragma once

#include "train/run_folder.h"

#include <chrono>
#include <cstdint>

namespace llm {

class Progress {
public:
    Progress(int64_t start_step, int64_t total_steps);
    void update(const RunPosition& position, double loss, int64_t tokens);
    void clear_line();  // before printing anything else on a terminal

private:
    int64_t start_step_, total_steps_, tokens_ = 0;
    bool terminal_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace llm
