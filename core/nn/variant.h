// The switches of the attention lab (book-notes/attention_variants.md): one GPT whose
// positions, norms, feed-forward and attention heads can be changed. Every default is the
// book's GPT of chapter 4, so a GPTConfig that never mentions them builds the book's model.
//
//   pos         learned (the book's pos_emb) | sinusoidal (Vaswani et al. 2017) |
//               rope (Su et al. 2021) | alibi (Press et al. 2022) | none (the causal mask alone)
//   norm        layer (the book's LayerNorm) | rms (RMSNorm, no shift)
//   norm_place  pre (the book's) | post (the original Transformer's x = Norm(x + f(x)))
//   ffn         gelu (the book's) | swiglu (Shazeer 2020)
//   ffn_hidden  the feed-forward's inner size; 0: 4·C for gelu, 8·C/3 rounded up to 8 for swiglu
//   kv_groups   key/value heads (grouped-query attention); 0 or n_heads: the book's multi-head
//   window      sliding-window attention: token i sees i - window < j <= i; 0: all earlier tokens
//   attention   standard (the book's softmax) | flash (the same numbers, tiled: Dao et al. 2022) |
//               linear (φ = elu + 1: Katharopoulos et al. 2020) | performer (FAVOR+ random
//               features: Choromanski et al. 2021); linear and performer take no window or ALiBi
//   features    performer's random features m per head  [64]
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llm {

enum class PosEncoding { learned, sinusoidal, rope, alibi, none };
enum class NormKind { layer, rms };
enum class NormPlace { pre, post };
enum class FeedForwardKind { gelu, swiglu };
enum class AttentionKind { standard, flash, linear, performer };

struct GPTVariant {
    PosEncoding pos = PosEncoding::learned;
    NormKind norm = NormKind::layer;
    NormPlace norm_place = NormPlace::pre;
    FeedForwardKind ffn = FeedForwardKind::gelu;
    int64_t ffn_hidden = 0;  // 0: the default for ffn (see above)
    int64_t kv_groups = 0;   // 0: one key/value head per query head
    int64_t window = 0;      // 0: no window
    AttentionKind attention = AttentionKind::standard;
    int64_t features = 64;   // performer's m; ignored by the other kinds
    bool operator==(const GPTVariant&) const = default;
};

// Names as the flags and the checkpoint metadata spell them ("rope", "rms", "post", ...).
std::string name_of(PosEncoding pos);
std::string name_of(NormKind norm);
std::string name_of(NormPlace place);
std::string name_of(FeedForwardKind ffn);
std::string name_of(AttentionKind attention);

// The enum for a name; an unknown name throws llm::Error naming `what` (a flag, a file's
// metadata key) and the names it could have been.
PosEncoding parse_pos_encoding(const std::string& name, const std::string& what);
NormKind parse_norm_kind(const std::string& name, const std::string& what);
NormPlace parse_norm_place(const std::string& name, const std::string& what);
FeedForwardKind parse_feed_forward_kind(const std::string& name, const std::string& what);
AttentionKind parse_attention_kind(const std::string& name, const std::string& what);

// The variant with ffn_hidden and kv_groups spelled out as 0 where they equal the defaults
// for this emb_dim and n_heads (and features as 64 unless attention is performer), so two
// variants that build the same model compare equal.
GPTVariant normalized(const GPTVariant& v, int64_t emb_dim, int64_t n_heads);

// The feed-forward's inner size and the number of key/value heads the variant builds.
int64_t ffn_hidden_size(const GPTVariant& v, int64_t emb_dim);
int64_t kv_heads(const GPTVariant& v, int64_t n_heads);

// "book" for the book's model, else what differs from it: "pos=rope norm=rms kv_groups=2".
std::string describe(const GPTVariant& v, int64_t emb_dim, int64_t n_heads);

// Throws llm::Error naming the switch when the variant cannot be built with this
// emb_dim, n_heads and context_length (kv_groups must divide n_heads, rope needs an even
// head size, ...).
void check_variant(const GPTVariant& v, int64_t emb_dim, int64_t n_heads, int64_t context_length);
// The part of check_variant for the attention kind: linear and performer refuse a window and
// ALiBi (the error says why); performer needs 1 <= features <= 65536.
void check_attention_kind(const GPTVariant& v);

// --- the position schemes' numbers (nn/variant.cpp) ------------------------------------

// ALiBi's slope m_h of heads h = 1..H (Press et al. 2022, section 3): 2^(-8h/H) when H is
// a power of two; otherwise the slopes of the closest power of two n below H, then the
// odd-indexed slopes (h = 1, 3, 5, ...) of 2n, until there are H.
std::vector<float> alibi_slopes(int64_t num_heads);

}  // namespace llm
