// Optimisers and the training-loop helpers of appendix D.
#pragma once

#include "tensor/tensor.h"

#include <vector>

namespace llm {

// torch.optim.AdamW: Adam with decoupled weight decay, applied to every parameter
// (the book passes model.parameters() without groups, so biases and LayerNorm
// weights decay too).
class AdamW {
public:
    AdamW(std::vector<Tensor> params, float lr = 1e-3f, float weight_decay = 0.01f, float beta1 = 0.9f,
          float beta2 = 0.999f, float eps = 1e-8f);
    void step();       // update every parameter that has a gradient
    void zero_grad();  // drop every parameter's gradient
    float lr;          // may be changed between steps (learning-rate schedules)
    float weight_decay, beta1, beta2, eps;
    // State, per parameter: the step count and the running averages of g and g².
    std::vector<int64_t> steps;
    std::vector<Tensor> exp_avg, exp_avg_sq;
    const std::vector<Tensor>& params() const { return params_; }

private:
    std::vector<Tensor> params_;
};

// Appendix D.1–D.2: linear warm-up from initial_lr to peak_lr over warmup_steps,
// then cosine decay from peak_lr down to min_lr at total_steps.
float warmup_cosine_lr(int64_t step, int64_t warmup_steps, int64_t total_steps, float initial_lr, float peak_lr,
                       float min_lr);

// Appendix D.3: torch.nn.utils.clip_grad_norm_. Scales all gradients so their global
// L2 norm is at most max_norm; returns the norm before clipping.
float clip_grad_norm(const std::vector<Tensor>& params, float max_norm);

}  // namespace llm
