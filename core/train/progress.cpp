// The progress line (see progress.h).
#include "train/progress.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

namespace llm {

Progress::Progress(int64_t start_step, int64_t total_steps)
    : start_step_(start_step), total_steps_(total_steps), terminal_(isatty(STDOUT_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

static std::string duration_text(double seconds) {
    char text[32];
    long long s = static_cast<long long>(seconds);
    if (s >= 3600) std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
    return text;
}

void Progress::update(const RunPosition& p, double loss, int64_t tokens) {
    tokens_ += tokens;
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    int64_t done = p.global_step - start_step_;
    double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_steps_ - p.global_step) : 0.0;
    char line[200];
    std::snprintf(line, sizeof line, "step %lld/%lld | epoch %lld | loss %.3f | %.0f tok/s | ETA %s",
                  static_cast<long long>(p.global_step), static_cast<long long>(total_steps_),
                  static_cast<long long>(p.epoch + 1), loss, elapsed > 0 ? static_cast<double>(tokens_) / elapsed : 0.0,
                  duration_text(eta).c_str());
    if (terminal_) {
        int width = 24, filled = static_cast<int>(width * p.global_step / std::max<int64_t>(1, total_steps_));
        std::cout << "\r[" << std::string(static_cast<size_t>(filled), '=') << std::string(static_cast<size_t>(width - filled), ' ')
                  << "] " << line << "   " << std::flush;
        drawn_ = true;
    } else if (p.global_step % 10 == 0) {
        std::cout << line << "\n";
    }
}

void Progress::clear_line() {
    if (terminal_ && drawn_) std::cout << "\r" << std::string(110, ' ') << "\r";
    drawn_ = false;
}

}  // namespace llm
