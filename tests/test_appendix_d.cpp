// Appendix D: the book's schedule listings (chapters/appendix_d_training_loop/schedules.h)
// against the training loop's warmup_cosine_lr, on the appendix's numbers and others.
#include "catch_compat.h"

#include "appendix_d_training_loop/schedules.h"
#include "kernels/parallel.h"
#include "optim/optim.h"
#include "random/random.h"

#include <cmath>
#include <vector>

using namespace llm;

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

// AdamW updates all parameters in one pass cut into chunks per thread (optim/optim.cpp);
// each element must get PyTorch's single-tensor formula, whatever the chunks, and a
// parameter without a gradient must be left alone (its step count too).
TEST_CASE("AdamW's one pass over all parameters gives every element PyTorch's update", "[optim][parallel]") {
    const std::vector<int64_t> sizes = {3, 70000, 1, 0, 40000, 5};
    const int original_threads = num_threads();
    for (int threads : {1, 2, 3}) {
        set_num_threads(threads);
        manual_seed(7);
        std::vector<Tensor> params;
        for (int64_t n : sizes) {
            Tensor p = zeros({n});
            normal_(p.data(), n, 0.0, 1.0);
            params.push_back(p.requires_grad_());
        }
        std::vector<Tensor> start;
        for (const Tensor& p : params) start.push_back(p.detach().clone());
        AdamW opt(params, 0.01f, 0.1f);
        std::vector<std::vector<float>> m(sizes.size()), v(sizes.size());
        for (size_t k = 0; k < sizes.size(); k++) m[k].assign(sizes[k], 0.0f), v[k].assign(sizes[k], 0.0f);
        for (int t = 1; t <= 3; t++) {
            for (size_t k = 0; k < params.size(); k++) {
                if (k == 4 && t == 2) continue;  // no gradient this step: untouched
                Tensor g = zeros({sizes[k]});
                normal_(g.data(), sizes[k], 0.0, 1.0);
                params[k].impl()->grad = g.impl_ptr();
            }
            opt.step();
            opt.zero_grad();
        }
        CHECK(opt.steps[4] == 2);
        // The same three steps, element by element, as torch.optim.AdamW writes them.
        manual_seed(7);
        for (size_t k = 0; k < sizes.size(); k++) normal_(start[k].data(), sizes[k], 0.0, 1.0);
        std::vector<int64_t> step_count(sizes.size(), 0);
        for (int t = 1; t <= 3; t++)
            for (size_t k = 0; k < sizes.size(); k++) {
                if (k == 4 && t == 2) continue;
                std::vector<float> g(sizes[k]);
                normal_(g.data(), sizes[k], 0.0, 1.0);
                // The hyperparameters are floats (lr 0.01, weight decay 0.1, betas 0.9 and
                // 0.999, eps 1e-8); the bias corrections are taken in double.
                const float lr = 0.01f, wd = 0.1f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
                double s = static_cast<double>(++step_count[k]);
                float step_size = static_cast<float>(lr / (1.0 - std::pow(static_cast<double>(beta1), s)));
                float bc2 = static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(beta2), s)));
                float* p = start[k].data();
                for (int64_t i = 0; i < sizes[k]; i++) {
                    p[i] *= 1.0f - lr * wd;
                    m[k][i] = m[k][i] * beta1 + g[i] * (1.0f - beta1);
                    v[k][i] = v[k][i] * beta2 + g[i] * g[i] * (1.0f - beta2);
                    p[i] -= step_size * (m[k][i] / (std::sqrt(v[k][i]) / bc2 + eps));
                }
            }
        for (size_t k = 0; k < sizes.size(); k++) REQUIRE(params[k].values() == start[k].values());
    }
    set_num_threads(original_threads);
}
