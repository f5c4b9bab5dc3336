// The attention lab's switches: their names, checks and defaults (see nn/variant.h).
#include "nn/variant.h"

#include "base/error.h"

#include <cmath>

namespace llm {

namespace {

// One name per value of an enum, in the enum's order.
const std::vector<std::string> kPosNames = {"learned", "sinusoidal", "rope", "alibi", "none"};
const std::vector<std::string> kNormNames = {"layer", "rms"};
const std::vector<std::string> kPlaceNames = {"pre", "post"};
const std::vector<std::string> kFeedForwardNames = {"gelu", "swiglu"};
const std::vector<std::string> kAttentionNames = {"standard", "flash", "linear", "performer"};

// The index of `name` in `names`, or an Error: "--pos is 'rotary', expected learned, sinusoidal, ...".
size_t index_of(const std::vector<std::string>& names, const std::string& name, const std::string& what) {
    for (size_t i = 0; i < names.size(); i++)
        if (names[i] == name) return i;
    std::string choices;
    for (size_t i = 0; i < names.size(); i++)
        choices += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    throw Error(what + " is '" + name + "', expected " + choices);
}

}  // namespace

std::string name_of(PosEncoding pos) { return kPosNames[static_cast<size_t>(pos)]; }
std::string name_of(NormKind norm) { return kNormNames[static_cast<size_t>(norm)]; }
std::string name_of(NormPlace place) { return kPlaceNames[static_cast<size_t>(place)]; }
std::string name_of(FeedForwardKind ffn) { return kFeedForwardNames[static_cast<size_t>(ffn)]; }
std::string name_of(AttentionKind attention) { return kAttentionNames[static_cast<size_t>(attention)]; }

PosEncoding parse_pos_encoding(const std::string& name, const std::string& what) {
    return static_cast<PosEncoding>(index_of(kPosNames, name, what));
}
NormKind parse_norm_kind(const std::string& name, const std::string& what) {
    return static_cast<NormKind>(index_of(kNormNames, name, what));
}
NormPlace parse_norm_place(const std::string& name, const std::string& what) {
    return static_cast<NormPlace>(index_of(kPlaceNames, name, what));
}
FeedForwardKind parse_feed_forward_kind(const std::string& name, const std::string& what) {
    return static_cast<FeedForwardKind>(index_of(kFeedForwardNames, name, what));
}
AttentionKind parse_attention_kind(const std::string& name, const std::string& what) {
    return static_cast<AttentionKind>(index_of(kAttentionNames, name, what));
}

// SwiGLU has three matrices where GELU's feed-forward has two: 8·C/3 inner units give both
// about 8·C² weights (LLaMA's rule), rounded up to a multiple of 8.
static int64_t default_ffn_hidden(FeedForwardKind ffn, int64_t emb_dim) {
    if (ffn == FeedForwardKind::gelu) return 4 * emb_dim;
    int64_t hidden = (8 * emb_dim + 2) / 3;  // ⌈8·C/3⌉
    return (hidden + 7) / 8 * 8;
}

int64_t ffn_hidden_size(const GPTVariant& v, int64_t emb_dim) {
    return v.ffn_hidden > 0 ? v.ffn_hidden : default_ffn_hidden(v.ffn, emb_dim);
}

int64_t kv_heads(const GPTVariant& v, int64_t n_heads) { return v.kv_groups > 0 ? v.kv_groups : n_heads; }

GPTVariant normalized(const GPTVariant& v, int64_t emb_dim, int64_t n_heads) {
    GPTVariant n = v;
    if (n.ffn_hidden == default_ffn_hidden(n.ffn, emb_dim)) n.ffn_hidden = 0;
    if (n.kv_groups == n_heads) n.kv_groups = 0;
    if (n.attention != AttentionKind::performer) n.features = GPTVariant{}.features;
    return n;
}

std::string describe(const GPTVariant& variant, int64_t emb_dim, int64_t n_heads) {
    GPTVariant v = normalized(variant, emb_dim, n_heads), book;
    std::string s;
    auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
    if (v.pos != book.pos) add("pos=" + name_of(v.pos));
    if (v.norm != book.norm) add("norm=" + name_of(v.norm));
    if (v.norm_place != book.norm_place) add("norm_place=" + name_of(v.norm_place));
    if (v.ffn != book.ffn) add("ffn=" + name_of(v.ffn));
    if (v.ffn_hidden != 0) add("ffn_hidden=" + std::to_string(v.ffn_hidden));
    if (v.kv_groups != 0) add("kv_groups=" + std::to_string(v.kv_groups));
    if (v.window != 0) add("window=" + std::to_string(v.window));
    if (v.attention != book.attention) add("attention=" + name_of(v.attention));
    if (v.attention == AttentionKind::performer) add("features=" + std::to_string(v.features));
    return s.empty() ? "book" : s;
}

void check_variant(const GPTVariant& v, int64_t emb_dim, int64_t n_heads, int64_t context_length) {
    int64_t groups = kv_heads(v, n_heads);
    if (v.kv_groups < 0 || n_heads % groups != 0)
        throw Error("GPTConfig: kv_groups (" + std::to_string(v.kv_groups) + ") must divide n_heads (" +
                    std::to_string(n_heads) + "): each key/value head serves n_heads / kv_groups query heads");
    if (v.window < 0 || v.window > context_length)
        throw Error("GPTConfig: window (" + std::to_string(v.window) + ") must be between 0 (no window) and the "
                    "context length " + std::to_string(context_length));
    if (v.ffn_hidden < 0) throw Error("GPTConfig: ffn_hidden must be positive (or 0 for the default)");
    if (v.pos == PosEncoding::rope && (emb_dim / n_heads) % 2 != 0)
        throw Error("GPTConfig: pos=rope rotates pairs of a head's dimensions, so the head size emb_dim / n_heads (" +
                    std::to_string(emb_dim / n_heads) + ") must be even");
    check_attention_kind(v);
}

void check_attention_kind(const GPTVariant& v) {
    if (v.attention != AttentionKind::linear && v.attention != AttentionKind::performer) return;
    std::string kind = "GPTConfig: attention=" + name_of(v.attention);
    if (v.window > 0)
        throw Error(kind + " cannot take window=" + std::to_string(v.window) + ": its prefix sums S_i, z_i add up every "
                    "earlier token, and a window would need every token's own state (use standard or flash)");
    if (v.pos == PosEncoding::alibi)
        throw Error(kind + " cannot take pos=alibi: ALiBi adds a bias to each score before the softmax, and linear "
                    "attention has no scores, only the feature maps φ(q)·φ(k) (use rope, learned or sinusoidal)");
    if (v.attention == AttentionKind::performer && (v.features < 1 || v.features > 65536))
        throw Error(kind + ": features (" + std::to_string(v.features) + ") must be between 1 and 65536");
}

// Press et al.'s slopes: a geometric sequence starting at 2^(-8/n) with that ratio.
static std::vector<double> slopes_power_of_two(int64_t n) {
    std::vector<double> slopes;
    for (int64_t h = 1; h <= n; h++) slopes.push_back(std::exp2(-8.0 * static_cast<double>(h) / static_cast<double>(n)));
    return slopes;
}

std::vector<float> alibi_slopes(int64_t num_heads) {
    int64_t n = 1;
    while (2 * n <= num_heads) n *= 2;  // the closest power of two at or below num_heads
    std::vector<double> slopes = slopes_power_of_two(n);
    std::vector<double> twice = slopes_power_of_two(2 * n);
    for (size_t i = 0; static_cast<int64_t>(slopes.size()) < num_heads; i += 2) slopes.push_back(twice[i]);
    return std::vector<float>(slopes.begin(), slopes.end());
}

}  // namespace llm
