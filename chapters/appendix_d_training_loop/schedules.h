// Appendix D's learning-rate schedules as the book's loops compute them, one learning
// rate per step in double (Python's float). The training loop of `ch05_pretraining train`
// uses llm::warmup_cosine_lr (optim/optim.h), the same schedule as a function of the step;
// tests/test_appendix_d.cpp checks that the two agree.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace appendix_d {

// D.1: linear warm-up from initial_lr to peak_lr over the first 20 % of the steps.
inline std::vector<double> warmup(int64_t total_steps, int64_t warmup_steps, double initial_lr, double peak_lr) {
    std::vector<double> lrs;
    double lr_increment = (peak_lr - initial_lr) / static_cast<double>(warmup_steps);
    for (int64_t global_step = 0; global_step < total_steps; global_step++)
        lrs.push_back(global_step < warmup_steps ? initial_lr + static_cast<double>(global_step) * lr_increment : peak_lr);
    return lrs;
}

// D.2: the same warm-up, then half a cosine down to min_lr.
inline std::vector<double> cosine(int64_t total_steps, int64_t warmup_steps, double initial_lr, double peak_lr,
                                  double min_lr) {
    std::vector<double> lrs;
    double lr_increment = (peak_lr - initial_lr) / static_cast<double>(warmup_steps);
    for (int64_t global_step = 0; global_step < total_steps; global_step++) {
        if (global_step < warmup_steps) {
            lrs.push_back(initial_lr + static_cast<double>(global_step) * lr_increment);
            continue;
        }
        double progress = static_cast<double>(global_step - warmup_steps) / static_cast<double>(total_steps - warmup_steps);
        lrs.push_back(min_lr + (peak_lr - min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress)));
    }
    return lrs;
}

}  // namespace appendix_d
