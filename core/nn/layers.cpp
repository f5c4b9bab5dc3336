// Module and the basic layers: Linear, Embedding, LayerNorm, GELU, Dropout, FeedForward, and
// the attention lab's RMSNorm and SwiGLUFeedForward.
#include "nn/nn.h"

#include "ops/ops.h"
#include "random/random.h"

namespace llm {

// --- Module ------------------------------------------------------------------

Tensor Module::register_parameter(const std::string& name, Tensor value) {
    value.requires_grad_(true);
    params_.push_back({name, value});
    return value;
}

void Module::register_module(const std::string& name, Module& child) {
    children_.push_back({name, &child});
}

Tensor Module::set_parameter(const std::string& name, Tensor value) {
    value.requires_grad_(true);
    for (NamedTensor& p : params_)
        if (p.name == name) return p.tensor = value;
    params_.push_back({name, value});
    return value;
}

void Module::remove_parameter(const std::string& name) {
    std::erase_if(params_, [&](const NamedTensor& p) { return p.name == name; });
}

void Module::set_module(const std::string& name, Module& child) {
    for (auto& entry : children_)
        if (entry.first == name) {
            entry.second = &child;
            return;
        }
    children_.push_back({name, &child});
}

void Module::remove_module(const std::string& name) {
    std::erase_if(children_, [&](const auto& entry) { return entry.first == name; });
}

void Module::collect(const std::string& prefix, std::vector<NamedTensor>& out) const {
    for (const NamedTensor& p : params_) out.push_back({prefix + p.name, p.tensor});
    for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<NamedTensor> Module::named_parameters() const {
    std::vector<NamedTensor> out;
    collect("", out);
    return out;
}

std::vector<Tensor> Module::parameters() const {
    std::vector<Tensor> out;
    for (const NamedTensor& p : named_parameters()) out.push_back(p.tensor);
    return out;
}

int64_t Module::num_parameters() const {
    int64_t n = 0;
    for (const NamedTensor& p : named_parameters()) n += p.tensor.numel();
    return n;
}

void Module::train(bool mode) {
    training_ = mode;
    for (auto& child : children_) child.second->train(mode);
}

void Module::zero_grad() {
    for (Tensor p : parameters()) p.zero_grad();
}

// --- Linear ------------------------------------------------------------------------

Linear::Linear(int64_t in_features, int64_t out_features, bool has_bias) { reset(in_features, out_features, has_bias); }

Linear::~Linear() = default;  // here, where LoRALayer is complete

void Linear::reset(int64_t in_features, int64_t out_features, bool has_bias) {
    Tensor w = zeros({out_features, in_features});
    Tensor b = has_bias ? zeros({out_features}) : Tensor();
    // PyTorch's default: kaiming_uniform_(a=√5) on the weight, then the bias, both U(±1/√in).
    init_linear(w.data(), out_features, in_features, has_bias ? b.data() : nullptr);
    weight = set_parameter("weight", w);
    bias = has_bias ? set_parameter("bias", b) : Tensor();
    if (!has_bias) remove_parameter("bias");
}

Tensor Linear::forward(const Tensor& x) const {
    Tensor y = linear(x, weight, bias);
    return lora ? y + lora->forward(x) : y;  // LinearWithLoRA: self.linear(x) + self.lora(x)
}

// --- Embedding ------------------------------------------------------------------------

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim) {
    Tensor w = zeros({num_embeddings, embedding_dim});
    init_embedding(w.data(), num_embeddings, embedding_dim);  // normal_(0, 1)
    weight = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& ids) const { return embedding(weight, ids); }

// --- LayerNorm, GELU, Dropout --------------------------------------------------------------

LayerNorm::LayerNorm(int64_t emb_dim) {
    scale = register_parameter("scale", ones({emb_dim}));
    shift = register_parameter("shift", zeros({emb_dim}));
}

Tensor LayerNorm::forward(const Tensor& x) const { return layer_norm(x, scale, shift, eps); }

RMSNorm::RMSNorm(int64_t emb_dim) { weight = register_parameter("weight", ones({emb_dim})); }

Tensor RMSNorm::forward(const Tensor& x) const { return rms_norm(x, weight, eps); }

// The book's RMSNorm.forward: means = x.pow(2).mean(-1, keepdim=True);
// x * torch.rsqrt(means + eps) * weight.
Tensor RMSNorm::forward_reference(const Tensor& x) const {
    Tensor means = mean(pow(x, 2.0f), -1, true);
    Tensor x_normed = x * (1.0f / sqrt(means + eps));
    return x_normed * weight;
}

Tensor GELU::forward(const Tensor& x) const { return gelu(x); }

Tensor Dropout::forward(const Tensor& x) const { return dropout(x, p, training()); }

// --- FeedForward --------------------------------------------------------------------------

GPTConfig gpt_config_124m() { return GPTConfig{}; }

FeedForward::FeedForward(const GPTConfig& cfg)
    : fc1(cfg.emb_dim, ffn_hidden_size(cfg.variant, cfg.emb_dim)), fc2(ffn_hidden_size(cfg.variant, cfg.emb_dim), cfg.emb_dim) {
    register_module("layers.0", fc1);  // the book's nn.Sequential numbers its layers
    register_module("layers.1", gelu);
    register_module("layers.2", fc2);
}

Tensor FeedForward::forward(const Tensor& x) const { return fc2.forward(gelu.forward(fc1.forward(x))); }

// --- SwiGLUFeedForward (the attention lab) ------------------------------------------------

SwiGLUFeedForward::SwiGLUFeedForward(const GPTConfig& cfg)
    : fc1(cfg.emb_dim, ffn_hidden_size(cfg.variant, cfg.emb_dim), false),
      fc2(cfg.emb_dim, ffn_hidden_size(cfg.variant, cfg.emb_dim), false),
      fc3(ffn_hidden_size(cfg.variant, cfg.emb_dim), cfg.emb_dim, false) {
    register_module("fc1", fc1);
    register_module("fc2", fc2);
    register_module("fc3", fc3);
}

// The gate SiLU(fc1·x) scales the value fc2·x unit by unit: (..., C) -> (..., hidden) -> (..., C).
Tensor SwiGLUFeedForward::forward(const Tensor& x) const {
    return fc3.forward(silu(fc1.forward(x)) * fc2.forward(x));
}

}  // namespace llm
