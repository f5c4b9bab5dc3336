// AdamW, the warm-up + cosine learning-rate schedule, and gradient clipping.
#include "optim/optim.h"

#include "kernels/parallel.h"

#include <algorithm>
#include <cmath>

namespace llm {

AdamW::AdamW(std::vector<Tensor> params, float lr_, float weight_decay_, float beta1_, float beta2_, float eps_)
    : lr(lr_), weight_decay(weight_decay_), beta1(beta1_), beta2(beta2_), eps(eps_), params_(std::move(params)) {
    if (lr < 0.0f) throw Error("AdamW: Invalid learning rate: " + std::to_string(lr));
    if (beta1 < 0.0f || beta1 >= 1.0f || beta2 < 0.0f || beta2 >= 1.0f)
        throw Error("AdamW: betas must be in [0, 1)");
    steps.assign(params_.size(), 0);
    for (const Tensor& p : params_) {
        exp_avg.push_back(zeros(p.shape()));
        exp_avg_sq.push_back(zeros(p.shape()));
    }
}

// One parameter's share of a step: its values, gradient and moments, n elements each, and
// its bias corrections (they depend on the parameter's own step count).
struct AdamWSegment {
    float* p;
    const float* g;
    float *m, *v;
    int64_t n;
    float step_size, bias_correction2_sqrt;
};

static AdamWSegment adamw_segment(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, int64_t t, const AdamW& opt) {
    double bias_correction1 = 1.0 - std::pow(static_cast<double>(opt.beta1), static_cast<double>(t));
    double bias_correction2 = 1.0 - std::pow(static_cast<double>(opt.beta2), static_cast<double>(t));
    return {p.data(), g.data(), m.data(), v.data(), p.numel(), static_cast<float>(opt.lr / bias_correction1),
            static_cast<float>(std::sqrt(bias_correction2))};
}

// Elements [begin, end) of one parameter, as PyTorch's single-tensor AdamW:
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + eps)
static void adamw_update(const AdamWSegment& s, int64_t begin, int64_t end, const AdamW& opt) {
    float decay = 1.0f - opt.lr * opt.weight_decay;
    float beta1 = opt.beta1, beta2 = opt.beta2, eps = opt.eps;
    float step_size = s.step_size, bias_correction2_sqrt = s.bias_correction2_sqrt;  // not reread per element
    float *p = s.p, *m = s.m, *v = s.v;
    const float* g = s.g;
    for (int64_t i = begin; i < end; i++) {  // every element on its own
        p[i] *= decay;
        m[i] = m[i] * beta1 + g[i] * (1.0f - beta1);
        v[i] = v[i] * beta2 + g[i] * g[i] * (1.0f - beta2);
        float denom = std::sqrt(v[i]) / bias_correction2_sqrt + eps;
        p[i] -= step_size * (m[i] / denom);
    }
}

// All parameters in one pass: their elements, one after another, are cut into one chunk
// per thread, so that a model's many small tensors (biases, norms) do not each start the
// threads (PyTorch's foreach AdamW has the same aim). Each element is updated by the same
// arithmetic as on its own, so the result does not depend on the thread count.
void AdamW::step() {
    std::vector<AdamWSegment> segments;
    std::vector<int64_t> starts;  // where each segment begins in the pass
    int64_t total = 0;
    for (size_t k = 0; k < params_.size(); k++) {
        Tensor grad = params_[k].grad();
        if (!grad.defined()) continue;  // parameters without a gradient are left alone
        steps[k]++;
        segments.push_back(adamw_segment(params_[k], grad, exp_avg[k], exp_avg_sq[k], steps[k], *this));
        starts.push_back(total);
        total += segments.back().n;
    }
    parallel_for(total, kElementGrain, [&](int64_t begin, int64_t end) {
        size_t s = std::upper_bound(starts.begin(), starts.end(), begin) - starts.begin() - 1;  // holds `begin`
        for (; s < segments.size() && starts[s] < end; s++) {
            int64_t from = std::max(begin, starts[s]), to = std::min(end, starts[s] + segments[s].n);
            adamw_update(segments[s], from - starts[s], to - starts[s], *this);
        }
    });
}

void AdamW::zero_grad() {
    for (Tensor& p : params_) p.zero_grad();
}

float warmup_cosine_lr(int64_t step, int64_t warmup_steps, int64_t total_steps, float initial_lr, float peak_lr,
                       float min_lr) {
    if (step < warmup_steps)  // D.1: grow linearly from initial_lr towards peak_lr
        return initial_lr + static_cast<float>(step) * (peak_lr - initial_lr) / static_cast<float>(warmup_steps);
    // D.2: half a cosine wave from peak_lr down to min_lr
    double progress = static_cast<double>(step - warmup_steps) / static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
    return static_cast<float>(min_lr + (peak_lr - min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress)));
}

float clip_grad_norm(const std::vector<Tensor>& params, float max_norm) {
    double squares = 0.0;
    for (const Tensor& p : params) {
        Tensor g = p.grad();
        if (!g.defined()) continue;
        for (float x : g.values()) squares += static_cast<double>(x) * x;
    }
    float total_norm = static_cast<float>(std::sqrt(squares));
    float clip_coef = max_norm / (total_norm + 1e-6f);
    if (clip_coef < 1.0f)  // only ever scale down
        for (const Tensor& p : params) {
            Tensor g = p.grad();
            if (!g.defined()) continue;
            for (float& x : g.values()) x *= clip_coef;
        }
    return total_norm;
}

}  // namespace llm
