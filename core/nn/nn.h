// Neural-network modules with the book's names, built like PyTorch builds them.
//
// A Module owns named parameters and named child modules, so that
// named_parameters() gives PyTorch's state-dict names in PyTorch's order
// (`trf_blocks.0.att.W_query.weight`, ...). C++ constructs members in the order
// they are declared, so each class declares its members in the order the book's
// __init__ creates them: that is also the order the random generator is drawn,
// which is why a seeded model here has the book's weights.
#pragma once

#include "tensor/tensor.h"

#include <memory>
#include <string>
#include <vector>

namespace llm {

struct NamedTensor {
    std::string name;
    Tensor tensor;
};

class Module {
public:
    Module() = default;
    Module(const Module&) = delete;             // children are registered by address
    Module& operator=(const Module&) = delete;
    virtual ~Module() = default;

    std::vector<NamedTensor> named_parameters() const;  // own first, then children's, as PyTorch
    const std::vector<std::pair<std::string, Module*>>& children() const { return children_; }  // named_children()
    std::vector<Tensor> parameters() const;
    int64_t num_parameters() const;
    void train(bool mode = true);                        // sets this module and all children
    void eval() { train(false); }
    bool training() const { return training_; }
    void zero_grad();                                    // every parameter's grad -> none

protected:
    Tensor register_parameter(const std::string& name, Tensor value);  // marks requires_grad
    void register_module(const std::string& name, Module& child);
    // What assigning a new tensor or module to an attribute does in PyTorch: the entry of
    // that name is replaced in place (or added at the end); remove_* deletes it.
    Tensor set_parameter(const std::string& name, Tensor value);
    void remove_parameter(const std::string& name);
    void set_module(const std::string& name, Module& child);
    void remove_module(const std::string& name);

private:
    void collect(const std::string& prefix, std::vector<NamedTensor>& out) const;
    std::vector<NamedTensor> params_;
    std::vector<std::pair<std::string, Module*>> children_;
    bool training_ = true;
};

// --- layers (nn/layers.cpp) -------------------------------------------------

class LoRALayer;  // appendix E, below

// nn.Linear: y = x·Wᵀ + b, weight (out_features, in_features).
class Linear : public Module {
public:
    Linear(int64_t in_features, int64_t out_features, bool bias = true);
    ~Linear() override;
    Tensor forward(const Tensor& x) const;  // x: (..., in) -> (..., out), plus the LoRA update if any
    // 6.5: new weights of another shape, drawn as a new nn.Linear draws them (the book's
    // `model.out_head = torch.nn.Linear(in_features=768, out_features=2)`).
    void reset(int64_t in_features, int64_t out_features, bool bias = true);
    // Appendix E: the book's LinearWithLoRA(linear, rank, alpha): forward adds the update
    // lora->forward(x), whose A is drawn from the generator now and B is zeros.
    void add_lora(int64_t rank, double alpha, bool scale_by_rank);
    // W += scale · (A·B)ᵀ and the adapter goes: the same function with plain weights.
    void merge_lora();
    Tensor weight, bias;                    // bias undefined when bias = false
    std::unique_ptr<LoRALayer> lora;        // null unless add_lora was called
};

// nn.Embedding: a lookup table of num_embeddings rows of embedding_dim values.
class Embedding : public Module {
public:
    Embedding(int64_t num_embeddings, int64_t embedding_dim);
    Tensor forward(const Tensor& ids) const;  // ids: int64 (...) -> (..., dim)
    Tensor weight;
};

// The book's LayerNorm (section 4.2): trainable scale and shift, eps 1e-5.
class LayerNorm : public Module {
public:
    explicit LayerNorm(int64_t emb_dim);
    Tensor forward(const Tensor& x) const;  // x: (..., C)
    float eps = 1e-5f;
    Tensor scale, shift;
};

// The book's GELU (tanh approximation, section 4.3). No parameters.
class GELU : public Module {
public:
    Tensor forward(const Tensor& x) const;
};

class Dropout : public Module {
public:
    explicit Dropout(double p) : p(p) {}
    Tensor forward(const Tensor& x) const;  // identity in eval mode
    double p;  // a double, as in Python: keep = 1 - p is compared in double (torch_rng.md §8.1)
};

// Appendix E: LoRALayer(in_dim, out_dim, rank, alpha): forward(x) = scale · x·A·B with
// A (in_dim, rank) from kaiming_uniform_(a=√5), B (rank, out_dim) zeros, so the update
// starts at 0. scale is alpha / rank (the book's current notebook) or alpha (the printed
// book: scale_by_rank = false).
class LoRALayer : public Module {
public:
    LoRALayer(int64_t in_dim, int64_t out_dim, int64_t rank, double alpha, bool scale_by_rank);
    Tensor forward(const Tensor& x) const;  // x: (..., in_dim) -> (..., out_dim)
    Tensor A, B;
    float scale;
};

// Appendix E: every Linear inside `model` (the output head too) gets a LoRA adapter, in
// the order of named_children(), as the book's replace_linear_with_lora does.
void replace_linear_with_lora(Module& model, int64_t rank, double alpha, bool scale_by_rank = true);
// Every adapter merged into its Linear's weight (for export), then removed.
void merge_lora_weights(Module& model);
// The number of values in parameters that require a gradient (the book's
// sum(p.numel() for p in model.parameters() if p.requires_grad)).
int64_t num_trainable_parameters(const Module& model);

// The book's configuration dictionary, e.g. GPT_CONFIG_124M.
struct GPTConfig {
    int64_t vocab_size = 50257;
    int64_t context_length = 1024;
    int64_t emb_dim = 768;
    int64_t n_heads = 12;
    int64_t n_layers = 12;
    double drop_rate = 0.1;
    bool qkv_bias = false;
};
GPTConfig gpt_config_124m();

// Throws llm::Error when the config cannot make a model (sizes, divisibility, drop_rate).
void check_gpt_config(const GPTConfig& cfg);

// Linear(emb, 4·emb) -> GELU -> Linear(4·emb, emb), named layers.0 / layers.2 as in nn.Sequential.
class FeedForward : public Module {
public:
    explicit FeedForward(const GPTConfig& cfg);
    Tensor forward(const Tensor& x) const;  // x: (..., C)
    Linear fc1;
    GELU gelu;
    Linear fc2;
};

// --- attention (nn/attention.cpp), chapter 3 -----------------------------------

// 3.4.2: weights as plain parameters of shape (d_in, d_out), drawn with torch.rand.
class SelfAttentionV1 : public Module {
public:
    SelfAttentionV1(int64_t d_in, int64_t d_out);
    Tensor forward(const Tensor& x) const;  // x: (T, d_in) -> (T, d_out)
    Tensor W_query, W_key, W_value;
};

// 3.4.2: the same with nn.Linear layers (better initialisation).
class SelfAttentionV2 : public Module {
public:
    SelfAttentionV2(int64_t d_in, int64_t d_out, bool qkv_bias = false);
    Tensor forward(const Tensor& x) const;  // x: (T, d_in) -> (T, d_out)
    Linear W_query, W_key, W_value;
};

// 3.5.3: causal mask and dropout on the attention weights, batched input.
class CausalAttention : public Module {
public:
    CausalAttention(int64_t d_in, int64_t d_out, int64_t context_length, double dropout, bool qkv_bias = false);
    Tensor forward(const Tensor& x) const;  // x: (B, T, d_in) -> (B, T, d_out)
    Linear W_query, W_key, W_value;
    Dropout dropout;
    Tensor mask;  // buffer: triu(ones(context_length, context_length), 1)
};

// 3.6.1: num_heads CausalAttention heads side by side, outputs concatenated.
class MultiHeadAttentionWrapper : public Module {
public:
    MultiHeadAttentionWrapper(int64_t d_in, int64_t d_out, int64_t context_length, double dropout,
                              int64_t num_heads, bool qkv_bias = false);
    Tensor forward(const Tensor& x) const;  // (B, T, d_in) -> (B, T, H · d_out)
    std::vector<std::unique_ptr<CausalAttention>> heads;
};

// 3.6.2: one set of projections split into heads, plus an output projection.
class MultiHeadAttention : public Module {
public:
    MultiHeadAttention(int64_t d_in, int64_t d_out, int64_t context_length, double dropout,
                       int64_t num_heads, bool qkv_bias = false);
    Tensor forward(const Tensor& x) const;  // (B, T, d_in) -> (B, T, C), one fused attention op
    Tensor forward_reference(const Tensor& x) const;  // the same, op by op as in the book
    // Generation with a KV cache: x holds only the new tokens (B, T_new, d_in); their keys
    // and values are appended to cache_keys / cache_values (B, H, T_seen, hs),
    // and the new queries attend to everything cached. Same result as forward on the whole text.
    Tensor forward_cached(const Tensor& x, Tensor& cache_keys, Tensor& cache_values) const;
    Tensor project_heads(const Linear& W, const Tensor& x) const;  // (B, T, C) -> (B, H, T, hs)
    Tensor merge_heads(const Tensor& context_vec) const;           // (B, H, T, hs) -> (B, T, C)
    int64_t d_out, num_heads, head_dim;
    Linear W_query, W_key, W_value, out_proj;
    Dropout dropout;
    Tensor mask;  // buffer: triu(ones(context_length, context_length), 1)
};

// --- the GPT model (nn/gpt.cpp), chapter 4 ----------------------------------------

// 4.5: pre-LayerNorm block with shortcut connections.
class TransformerBlock : public Module {
public:
    explicit TransformerBlock(const GPTConfig& cfg);
    Tensor forward(const Tensor& x) const;  // (B, T, C) -> same
    Tensor forward_cached(const Tensor& x, Tensor& cache_keys, Tensor& cache_values) const;  // see above
    MultiHeadAttention att;
    FeedForward ff;
    LayerNorm norm1, norm2;
    Dropout drop_shortcut;
};

// The keys and values of the tokens a GPTModel has seen, one pair per block (the book's
// bonus material on KV caches). Empty at first; forward_cached fills it.
struct KVCache {
    std::vector<Tensor> keys, values;  // per block: (B, H, length, hs)
    int64_t length = 0;                // tokens seen so far
};

// 4.6: token + position embeddings, n_layers blocks, final norm, output head.
class GPTModel : public Module {
public:
    explicit GPTModel(const GPTConfig& cfg);
    Tensor forward(const Tensor& in_idx) const;  // int64 (B, T) -> logits (B, T, V)
    // The next tokens only: int64 (B, T_new) at positions cache.length ...; appends to the cache.
    Tensor forward_cached(const Tensor& in_idx, KVCache& cache) const;  // -> logits (B, T_new, V)
    GPTConfig cfg;
    Embedding tok_emb, pos_emb;
    Dropout drop_emb;
    std::vector<std::unique_ptr<TransformerBlock>> trf_blocks;
    LayerNorm final_norm;
    Linear out_head;
};

// How many parameters GPTModel(cfg) has (4.6: 163,009,536 for GPT_CONFIG_124M), from the
// config alone: checkpoint readers compare it with the values a file holds before they
// build the model. A double, so that a config of any size can be asked.
double gpt_parameter_count(const GPTConfig& cfg);

// 4.1: the placeholder model: real embeddings and head, blocks and norm that do nothing.
class DummyGPTModel : public Module {
public:
    explicit DummyGPTModel(const GPTConfig& cfg);
    Tensor forward(const Tensor& in_idx) const;  // int64 (B, T) -> logits (B, T, V)
    Embedding tok_emb, pos_emb;
    Dropout drop_emb;
    Linear out_head;
};

}  // namespace llm
