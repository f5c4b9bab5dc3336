// Chapter 4: the Transformer block and the GPT model, with the attention lab's switches.
#include "nn/nn.h"

#include "ops/ops.h"

namespace llm {

// --- TransformerBlock (4.5) ---------------------------------------------------------

static AttentionVariant attention_variant(const GPTConfig& cfg) {
    return AttentionVariant{cfg.variant.kv_groups, cfg.variant.window, cfg.variant.pos, cfg.variant.attention,
                            cfg.variant.features};
}

static std::unique_ptr<Layer> make_norm(const GPTConfig& cfg) {
    if (cfg.variant.norm == NormKind::rms) return std::make_unique<RMSNorm>(cfg.emb_dim);
    return std::make_unique<LayerNorm>(cfg.emb_dim);
}

static std::unique_ptr<Layer> make_feed_forward(const GPTConfig& cfg) {
    if (cfg.variant.ffn == FeedForwardKind::swiglu) return std::make_unique<SwiGLUFeedForward>(cfg);
    return std::make_unique<FeedForward>(cfg);
}

TransformerBlock::TransformerBlock(const GPTConfig& cfg)
    : att(cfg.emb_dim, cfg.emb_dim, cfg.context_length, cfg.drop_rate, cfg.n_heads, cfg.qkv_bias,
          attention_variant(cfg)),
      ff(make_feed_forward(cfg)), norm1(make_norm(cfg)), norm2(make_norm(cfg)), drop_shortcut(cfg.drop_rate),
      norm_place(cfg.variant.norm_place) {
    register_module("att", att);
    register_module("ff", *ff);
    register_module("norm1", *norm1);
    register_module("norm2", *norm2);
    register_module("drop_shortcut", drop_shortcut);
}

Tensor TransformerBlock::forward(const Tensor& x) const {
    if (norm_place == NormPlace::post) {  // the original Transformer: x = norm(x + drop(f(x)))
        Tensor h = norm1->forward(drop_shortcut.forward(att.forward(x)) + x);
        return norm2->forward(drop_shortcut.forward(ff->forward(h)) + h);
    }
    Tensor shortcut = x;  // shortcut connection for the attention block
    Tensor h = norm1->forward(x);
    h = att.forward(h);
    h = drop_shortcut.forward(h);
    h = h + shortcut;

    shortcut = h;         // shortcut connection for the feed-forward block
    Tensor out = norm2->forward(h);
    out = ff->forward(out);
    out = drop_shortcut.forward(out);
    return out + shortcut;
}

Tensor TransformerBlock::forward_cached(const Tensor& x, LayerKVCache& cache, int64_t start) const {
    if (norm_place == NormPlace::post) {
        Tensor h = norm1->forward(drop_shortcut.forward(att.forward_cached(x, cache, start)) + x);
        return norm2->forward(drop_shortcut.forward(ff->forward(h)) + h);
    }
    Tensor h = drop_shortcut.forward(att.forward_cached(norm1->forward(x), cache, start)) + x;
    return drop_shortcut.forward(ff->forward(norm2->forward(h))) + h;
}

// --- GPTModel (4.6) ----------------------------------------------------------------------

void check_gpt_config(const GPTConfig& cfg) {
    if (cfg.vocab_size <= 0 || cfg.context_length <= 0 || cfg.emb_dim <= 0 || cfg.n_heads <= 0 || cfg.n_layers < 0)
        throw Error("GPTConfig: vocab_size, context_length, emb_dim and n_heads must be positive");
    if (cfg.emb_dim % cfg.n_heads != 0)
        throw Error("GPTConfig: emb_dim (" + std::to_string(cfg.emb_dim) + ") must be divisible by n_heads (" +
                    std::to_string(cfg.n_heads) + ")");
    if (!(cfg.drop_rate >= 0.0 && cfg.drop_rate < 1.0))  // NaN too
        throw Error("GPTConfig: drop_rate must be in [0, 1), got " + std::to_string(cfg.drop_rate));
    check_variant(cfg.variant, cfg.emb_dim, cfg.n_heads, cfg.context_length);
}

static const GPTConfig& checked(const GPTConfig& cfg) {
    check_gpt_config(cfg);
    return cfg;
}

double gpt_parameter_count(const GPTConfig& cfg) {
    const GPTVariant& v = cfg.variant;
    double V = static_cast<double>(cfg.vocab_size), T = static_cast<double>(cfg.context_length);
    double C = static_cast<double>(cfg.emb_dim), layers = static_cast<double>(cfg.n_layers);
    double kv = static_cast<double>(kv_heads(v, cfg.n_heads)) * C / static_cast<double>(cfg.n_heads);  // G·hs
    double hidden = static_cast<double>(ffn_hidden_size(v, cfg.emb_dim));
    double qkv_bias = cfg.qkv_bias ? C + 2 * kv : 0;
    double attention = 2 * C * C + 2 * C * kv + qkv_bias + C;  // W_query, out_proj; W_key, W_value (G·hs); out_proj's bias
    double feed_forward = v.ffn == FeedForwardKind::swiglu ? 3 * C * hidden            // fc1, fc2, fc3, no biases
                                                           : 2 * C * hidden + hidden + C;  // C -> hidden -> C, biases
    double norm = v.norm == NormKind::rms ? C : 2 * C;  // weight (RMSNorm) or scale and shift
    double pos_emb = v.pos == PosEncoding::learned ? T * C : 0;
    return V * C + pos_emb + layers * (attention + feed_forward + 2 * norm) + norm + C * V;  // + final_norm, out_head
}

// The blocks are built in the member initialiser list, between drop_emb and
// final_norm, so their weights are drawn from the generator after the embeddings
// and before out_head, as in the book.
static std::vector<std::unique_ptr<TransformerBlock>> make_blocks(const GPTConfig& cfg) {
    std::vector<std::unique_ptr<TransformerBlock>> blocks;
    for (int64_t i = 0; i < cfg.n_layers; i++) blocks.push_back(std::make_unique<TransformerBlock>(cfg));
    return blocks;
}

// The learned table has context_length rows; other position schemes have none (and draw
// nothing from the generator).
static int64_t learned_positions(const GPTConfig& cfg) {
    return cfg.variant.pos == PosEncoding::learned ? cfg.context_length : 0;
}

GPTModel::GPTModel(const GPTConfig& config)
    : cfg(checked(config)), tok_emb(cfg.vocab_size, cfg.emb_dim), pos_emb(learned_positions(cfg), cfg.emb_dim),
      drop_emb(cfg.drop_rate), trf_blocks(make_blocks(cfg)), final_norm(make_norm(cfg)),
      out_head(cfg.emb_dim, cfg.vocab_size, false) {
    register_module("tok_emb", tok_emb);
    if (cfg.variant.pos == PosEncoding::learned) register_module("pos_emb", pos_emb);
    register_module("drop_emb", drop_emb);
    for (size_t i = 0; i < trf_blocks.size(); i++) register_module("trf_blocks." + std::to_string(i), *trf_blocks[i]);
    register_module("final_norm", *final_norm);
    register_module("out_head", out_head);
    if (cfg.variant.pos == PosEncoding::sinusoidal) pos_table = sinusoidal_positions(cfg.context_length, cfg.emb_dim);
}

// The ids must be (B, T) and positions start .. start + T - 1 within the context length.
static void check_ids(const Tensor& in_idx, int64_t start, int64_t context_length) {
    if (in_idx.dim() != 2)
        throw Error("GPTModel: expected token ids of shape (batch, num_tokens), got " + shape_to_string(in_idx.shape()));
    int64_t seq_len = in_idx.size(1);
    if (start + seq_len > context_length)
        throw Error(start == 0 ? "GPTModel: " + std::to_string(seq_len) + " tokens are more than the context length " +
                                     std::to_string(context_length)
                               : "GPTModel: the KV cache holds " + std::to_string(start) + " tokens; " +
                                     std::to_string(seq_len) + " more exceed the context length " +
                                     std::to_string(context_length));
}

// Embeddings of the token ids (B, T) and of their positions start .. start + T - 1, added:
// start is 0 for a whole text and the number of cached tokens in a KV-cache step.
static Tensor embed_learned(const Embedding& tok_emb, const Embedding& pos_emb, const Tensor& in_idx, int64_t start = 0) {
    check_ids(in_idx, start, pos_emb.weight.size(0));
    int64_t seq_len = in_idx.size(1);
    Tensor tok_embeds = tok_emb.forward(in_idx);                                // (B, T, C)
    Tensor pos_embeds = pos_emb.forward(arange(start, start + seq_len));        // (T, C)
    return tok_embeds + pos_embeds;
}

// The token embeddings plus the variant's positions: the book's learned table, the fixed
// sinusoids, or nothing (rope and alibi add their positions inside the attention).
Tensor GPTModel::embed(const Tensor& in_idx, int64_t start) const {
    if (cfg.variant.pos == PosEncoding::learned) return embed_learned(tok_emb, pos_emb, in_idx, start);
    check_ids(in_idx, start, cfg.context_length);
    Tensor tok_embeds = tok_emb.forward(in_idx);  // (B, T, C)
    if (cfg.variant.pos != PosEncoding::sinusoidal) return tok_embeds;
    return tok_embeds + slice(pos_table, 0, start, start + in_idx.size(1));
}

Tensor GPTModel::forward(const Tensor& in_idx) const {
    Tensor x = embed(in_idx, 0);
    x = drop_emb.forward(x);
    for (const auto& block : trf_blocks) x = block->forward(x);
    x = final_norm->forward(x);
    return out_head.forward(x);  // logits (B, T, V)
}

// Like forward, for the tokens after the cached ones: positions start at cache.length.
Tensor GPTModel::forward_cached(const Tensor& in_idx, KVCache& cache) const {
    Tensor x = drop_emb.forward(embed(in_idx, cache.length));
    cache.layers.resize(trf_blocks.size());
    for (size_t i = 0; i < trf_blocks.size(); i++) x = trf_blocks[i]->forward_cached(x, cache.layers[i], cache.length);
    cache.length += in_idx.size(1);
    return out_head.forward(final_norm->forward(x));
}

// --- DummyGPTModel (4.1) ------------------------------------------------------------------
// The book's dummy blocks and dummy norm return their input unchanged and hold no
// parameters, so they are left out; the random stream is the same.

DummyGPTModel::DummyGPTModel(const GPTConfig& cfg)
    : tok_emb(cfg.vocab_size, cfg.emb_dim), pos_emb(cfg.context_length, cfg.emb_dim), drop_emb(cfg.drop_rate),
      out_head(cfg.emb_dim, cfg.vocab_size, false) {
    register_module("tok_emb", tok_emb);
    register_module("pos_emb", pos_emb);
    register_module("drop_emb", drop_emb);
    register_module("out_head", out_head);
}

Tensor DummyGPTModel::forward(const Tensor& in_idx) const {
    Tensor x = drop_emb.forward(embed_learned(tok_emb, pos_emb, in_idx));
    return out_head.forward(x);
}

}  // namespace llm
