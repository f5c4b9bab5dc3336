// Neural-network modules with the book's names, built like PyTorch builds them.
//
// A Module owns named parameters and named child modules, so that
// named_parameters() gives PyTorch's state-dict names in PyTorch's order
// (`trf_blocks.0.att.W_query.weight`, ...). C++ constructs members in the order
// they are declared, so each class declares its members in the order the book's
// __init__ creates them: that is also the order the random generator is drawn,
// which is why a seeded model here has the book's weights.
#pragma once

#include "nn/variant.h"
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

// A module with one input and one output of the same shape, (..., C): what a Transformer
// block holds as its norms and its feed-forward, whichever variant they are.
class Layer : public Module {
public:
    virtual Tensor forward(const Tensor& x) const = 0;
};

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
class LayerNorm : public Layer {
public:
    explicit LayerNorm(int64_t emb_dim);
    Tensor forward(const Tensor& x) const override;  // x: (..., C)
    float eps = 1e-5f;
    Tensor scale, shift;
};

// RMSNorm (the attention lab; the book's Llama conversion, ch05/07_gpt_to_llama):
// x / √(mean(x²) + eps) · weight, no mean subtracted and no shift.
class RMSNorm : public Layer {
public:
    explicit RMSNorm(int64_t emb_dim);
    Tensor forward(const Tensor& x) const override;  // x: (..., C), one fused op (rms_norm)
    Tensor forward_reference(const Tensor& x) const;  // the same, op by op as in the book
    float eps = 1e-5f;
    Tensor weight;
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
    GPTVariant variant;  // the attention lab's switches (nn/variant.h); default: the book's GPT
};
GPTConfig gpt_config_124m();

// Throws llm::Error when the config cannot make a model (sizes, divisibility, drop_rate).
void check_gpt_config(const GPTConfig& cfg);

// Linear(emb, 4·emb) -> GELU -> Linear(4·emb, emb), named layers.0 / layers.2 as in nn.Sequential.
// (The inner size is cfg.variant.ffn_hidden when that is set.)
class FeedForward : public Layer {
public:
    explicit FeedForward(const GPTConfig& cfg);
    Tensor forward(const Tensor& x) const override;  // x: (..., C)
    Linear fc1;
    GELU gelu;
    Linear fc2;
};

// SwiGLU (Shazeer 2020; the book's Llama conversion): fc3(SiLU(fc1·x) ⊙ fc2·x), no biases,
// inner size ffn_hidden_size(cfg.variant) (8·C/3 rounded up to a multiple of 8 by default).
class SwiGLUFeedForward : public Layer {
public:
    explicit SwiGLUFeedForward(const GPTConfig& cfg);
    Tensor forward(const Tensor& x) const override;  // x: (..., C)
    Linear fc1, fc2, fc3;
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

// The attention lab's switches for one attention layer (the model's are in GPTVariant).
struct AttentionVariant {
    int64_t kv_groups = 0;                   // key/value heads (grouped-query); 0: num_heads
    int64_t window = 0;                      // sliding window: i sees i - window < j <= i; 0: all j <= i
    PosEncoding pos = PosEncoding::learned;  // rope rotates queries and keys, alibi biases the
                                             // scores; the other schemes act on the embeddings
    AttentionKind attention = AttentionKind::standard;  // standard | flash | linear | performer
    int64_t features = 64;                   // performer's random features per head
};

// FAVOR+'s random features (Choromanski et al. 2021, section 2.4): m rows of size hs, each
// block of hs rows orthogonal (Gram–Schmidt of a torch.randn(hs, hs) block), every row then
// scaled to the norm of its own torch.randn(hs) vector, so each is marginally N(0, I).
// Drawn from the default generator (the run seeds it) in that order: the blocks, then the
// (m, hs) lengths. -> (features = m, hs)
Tensor orthogonal_gaussian_features(int64_t m, int64_t head_dim);

// One attention layer's KV cache, kept as the book's optimized KV-cache listing keeps it
// (ch04/03_kv-cache/gpt_with_kv_cache_optimized.py: cache_k, cache_v and ptr_cur): the new
// tokens' keys and values are written into the next free rows of buffers that are kept, so
// a step neither copies nor allocates the cache. Without a window the buffers start at 64
// rows and double when full, up to the context length; with one they hold about two
// windows, and when full the rows no new token can see are dropped (the others moved to
// the front). With linear or performer attention `keys` holds the state S (B, kv_groups,
// features, hs) and `values` z (B, kv_groups, features) instead, and `rows` stays 0.
struct LayerKVCache {
    Tensor keys, values;  // (B, kv_groups, capacity, hs); rows [0, rows) in use, oldest first
    int64_t rows = 0;     // the rows in use, which hold the last `rows` tokens (the book's ptr_cur)
};

// 3.6.2: one set of projections split into heads, plus an output projection.
class MultiHeadAttention : public Module {
public:
    MultiHeadAttention(int64_t d_in, int64_t d_out, int64_t context_length, double dropout,
                       int64_t num_heads, bool qkv_bias = false, const AttentionVariant& variant = {});
    Tensor forward(const Tensor& x) const;  // (B, T, d_in) -> (B, T, C), one fused attention op
    Tensor forward_reference(const Tensor& x) const;  // the same, op by op as in the book
    // Generation with a KV cache: x holds only the new tokens (B, T_new, d_in) at positions
    // start, start + 1, ...; their keys and values are written into the cache, and the new
    // queries attend to every cached token they may see. Same result as forward on the
    // whole text. forward_cached is the fast path (one fused op reads the cache in place,
    // cached_attention in ops/attention.cpp); forward_cached_reference the book's listing,
    // op by op. Both use the same cache (and the constant-size state of linear/performer).
    Tensor forward_cached(const Tensor& x, LayerKVCache& cache, int64_t start) const;
    Tensor forward_cached_reference(const Tensor& x, LayerKVCache& cache, int64_t start) const;
    // One projection of x (B, T, C) split into `heads` heads: (B, heads, T, hs)
    Tensor project_heads(const Linear& W, const Tensor& x, int64_t heads) const;
    Tensor merge_heads(const Tensor& context_vec) const;           // (B, H, T, hs) -> (B, T, C)
    int64_t d_out, num_heads, head_dim, num_kv_groups, window;
    PosEncoding pos;
    Linear W_query, W_key, W_value, out_proj;  // W_key, W_value: d_in -> num_kv_groups · hs
    Dropout dropout;
    Tensor mask;  // buffer: triu(ones(context_length, context_length), 1), plus tril(.., -window) with a window
    Tensor rope_cos, rope_sin;           // pos = rope: (context_length, hs) tables of cos and sin
    std::vector<float> alibi_slopes;     // pos = alibi: m_h, one per head
    AttentionKind attention;
    Tensor features;                     // attention = performer: FAVOR+'s W (features, hs), a buffer

private:
    // Linear and performer attention (nn/kernel_attention.cpp): φ of queries (B, T, H·hs)
    // or keys (B, T, kv_groups·hs), fused or op by op, and the cached step.
    Tensor feature_map(const Tensor& x, int64_t heads, bool reference) const;
    Tensor kernel_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, bool reference) const;
    Tensor forward_cached_state(const Tensor& x, Tensor& state_S, Tensor& state_z, int64_t start) const;
    Tensor attention_weights(const Tensor& scores, int64_t first_row, int64_t first_col) const;
    Tensor repeat_kv(const Tensor& kv) const;
    void store_in_cache(LayerKVCache& cache, const Tensor& keys_new, const Tensor& values_new) const;
};

// --- position schemes (nn/positions.cpp), the attention lab ------------------------

// Vaswani et al.'s table: PE(p, 2i) = sin(p / 10000^(2i/C)), PE(p, 2i+1) = cos(p / 10000^(2i/C)).
Tensor sinusoidal_positions(int64_t context_length, int64_t emb_dim);  // -> (context_length, C)
// RoPE's tables (the book's compute_rope_params): angle p·θ_i, θ_i = 10000^(-2i/hs), for
// i < hs/2, repeated for the second half: cos and sin (context_length, hs).
struct RopeTables {
    Tensor cos, sin;
};
RopeTables rope_tables(int64_t context_length, int64_t head_dim);
// The book's compute_rope, op by op: x (B, heads, T, hs) at positions start ... -> same shape.
Tensor rope_reference(const Tensor& x, const Tensor& cos, const Tensor& sin, int64_t start);
// ALiBi's bias -m_h·(p_q - p_k) for queries at first_row ... and keys at first_col ...:
// (H, rows, cols), one slope per head.
Tensor alibi_bias_matrix(const std::vector<float>& slopes, int64_t rows, int64_t cols, int64_t first_row,
                         int64_t first_col);

// --- the GPT model (nn/gpt.cpp), chapter 4 ----------------------------------------

// 4.5: pre-LayerNorm block with shortcut connections. The norms are LayerNorm or RMSNorm
// and the feed-forward FeedForward or SwiGLUFeedForward, as cfg.variant says; with
// norm_place = post the block is the original Transformer's x = norm(x + drop(f(x))).
class TransformerBlock : public Module {
public:
    explicit TransformerBlock(const GPTConfig& cfg);
    Tensor forward(const Tensor& x) const;  // (B, T, C) -> same
    // The new tokens x (B, T_new, C) at positions start ..., through the attention's cache.
    Tensor forward_cached(const Tensor& x, LayerKVCache& cache, int64_t start) const;
    MultiHeadAttention att;
    std::unique_ptr<Layer> ff;
    std::unique_ptr<Layer> norm1, norm2;
    Dropout drop_shortcut;
    NormPlace norm_place;
};

// The keys and values of the tokens a GPTModel has seen, one LayerKVCache per block (the
// book's bonus material on KV caches). Empty at first; forward_cached fills it.
struct KVCache {
    std::vector<LayerKVCache> layers;  // one per block
    int64_t length = 0;                // tokens seen so far
};

// 4.6: token + position embeddings, n_layers blocks, final norm, output head.
// pos_emb is the book's learned table; with another cfg.variant.pos it has no rows and is
// not a parameter (sinusoidal adds the fixed pos_table instead; rope and alibi act in the
// attention; none adds nothing).
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
    std::unique_ptr<Layer> final_norm;
    Linear out_head;
    Tensor pos_table;  // pos = sinusoidal: (context_length, C), not a parameter

private:
    Tensor embed(const Tensor& in_idx, int64_t start) const;  // (B, T) -> (B, T, C)
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
