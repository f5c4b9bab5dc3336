// Appendix D: the book's schedule listings (chapters/appendix_d_training_loop/schedules.h)
// against the training loop's warmup_cosine_lr, on the appendix's numbers and others.
#include "catch_compat.h"

#include "appendix_d_training_loop/schedules.h"
#include "optim/optim.h"

#include <cmath>

TEST_CASE("warmup_cosine_lr follows the appendix D listings step by step", "[appendix_d][optim]") {
    struct Case { int64_t total, warmup; double initial, peak, min; };
    // Book D.1-D.2: 15 epochs of 9 batches, 20 % warm-up from 1e-4 to 0.01, down to 1e-5.
    for (Case c : {Case{135, 27, 1e-4, 0.01, 1e-5}, Case{40, 5, 0.0, 3e-3, 3e-4}, Case{7, 3, 1e-5, 1e-3, 0.0}}) {
        std::vector<double> book = appendix_d::cosine(c.total, c.warmup, c.initial, c.peak, c.min);
        std::vector<double> ramp = appendix_d::warmup(c.total, c.warmup, c.initial, c.peak);
        REQUIRE(book.size() == static_cast<size_t>(c.total));
        for (int64_t step = 0; step < c.total; step++) {
            float lr = llm::warmup_cosine_lr(step, c.warmup, c.total, static_cast<float>(c.initial),
                                             static_cast<float>(c.peak), static_cast<float>(c.min));
            INFO("step " << step << " of " << c.total);
            CHECK(lr == Approx(book[static_cast<size_t>(step)]).epsilon(1e-6).margin(1e-12));
            if (step < c.warmup) CHECK(book[static_cast<size_t>(step)] == ramp[static_cast<size_t>(step)]);
        }
    }
}
