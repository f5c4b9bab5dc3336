// Appendix E: low-rank adaptation (LoRA). A frozen Linear layer W learns an update ΔW =
// scale · (A·B)ᵀ of rank r through two small matrices, A (in, r) and B (r, out): r·(in + out)
// trainable values instead of in·out.
#include "nn/nn.h"

#include "autograd/autograd.h"
#include "ops/ops.h"
#include "random/random.h"

namespace llm {

LoRALayer::LoRALayer(int64_t in_dim, int64_t out_dim, int64_t rank, double alpha, bool scale_by_rank)
    : scale(static_cast<float>(scale_by_rank ? alpha / static_cast<double>(rank) : alpha)) {
    if (rank <= 0) throw Error("LoRALayer: rank must be positive, got " + std::to_string(rank));
    Tensor a = zeros({in_dim, rank});
    // torch.nn.init.kaiming_uniform_(A, a=√5): fan_in is A.size(1) = rank, so U(±1/√rank),
    // the draw nn.Linear makes for a weight of shape (in_dim, rank).
    init_linear(a.data(), in_dim, rank, nullptr);
    A = register_parameter("A", a);
    B = register_parameter("B", zeros({rank, out_dim}));
}

Tensor LoRALayer::forward(const Tensor& x) const {
    return matmul(matmul(x, A), B) * scale;  // (..., in) @ (in, r) @ (r, out)
}

void Linear::add_lora(int64_t rank, double alpha, bool scale_by_rank) {
    if (lora) throw Error("Linear::add_lora: this layer has a LoRA adapter already");
    lora = std::make_unique<LoRALayer>(weight.size(1), weight.size(0), rank, alpha, scale_by_rank);
    set_module("lora", *lora);
}

void Linear::merge_lora() {
    if (!lora) return;
    NoGradGuard no_grad;
    Tensor delta = t(matmul(lora->A, lora->B)) * lora->scale;  // (out, in), like W
    const float* d = delta.data();
    float* w = weight.data();
    for (int64_t i = 0, n = weight.numel(); i < n; i++) w[i] += d[i];
    remove_module("lora");
    lora.reset();
}

void replace_linear_with_lora(Module& model, int64_t rank, double alpha, bool scale_by_rank) {
    for (const auto& [name, child] : model.children()) {
        if (auto* layer = dynamic_cast<Linear*>(child)) {
            if (!layer->lora) layer->add_lora(rank, alpha, scale_by_rank);
        } else {
            replace_linear_with_lora(*child, rank, alpha, scale_by_rank);
        }
    }
}

void merge_lora_weights(Module& model) {
    for (const auto& [name, child] : model.children()) {
        if (auto* layer = dynamic_cast<Linear*>(child)) layer->merge_lora();
        else merge_lora_weights(*child);
    }
}

int64_t num_trainable_parameters(const Module& model) {
    int64_t n = 0;
    for (const Tensor& p : model.parameters())
        if (p.requires_grad()) n += p.numel();
    return n;
}

}  // namespace llm
