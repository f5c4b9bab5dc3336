// Turning a model's logits into text: greedy decoding (book 4.7), then temperature,
// top-k, an end-of-text id and the KV cache (5.3 and the book's bonus material).
#include "train/sampling.h"

#include "autograd/autograd.h"
#include "ops/ops.h"
#include "random/random.h"

#include <algorithm>
#include <limits>

namespace llm {

Tensor generate_text_simple(const GPTModel& model, Tensor idx, int64_t max_new_tokens, int64_t context_size) {
    NoGradGuard no_grad;  // with torch.no_grad(): nothing to train here
    for (int64_t step = 0; step < max_new_tokens; step++) {
        Tensor idx_cond = slice(idx, 1, -context_size, idx.size(1));  // idx[:, -context_size:]
        Tensor logits = model.forward(idx_cond);                       // (B, T, V)
        logits = select(logits, 1, -1);                                // last position: (B, V)
        Tensor probas = softmax(logits, -1);
        Tensor idx_next = argmax(probas, -1, true);                    // (B, 1)
        idx = cat({idx, idx_next}, 1);
    }
    return idx;
}

std::vector<float> top_k_filter(const std::vector<float>& logits, int64_t k) {
    if (k <= 0 || k >= static_cast<int64_t>(logits.size())) return logits;
    std::vector<float> sorted = logits;
    std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
    float min_val = sorted[static_cast<size_t>(k - 1)];  // the k-th largest logit
    std::vector<float> out = logits;
    for (float& v : out)
        if (v < min_val) v = -std::numeric_limits<float>::infinity();
    return out;
}

// The next token of one row of logits: argmax, or a draw from softmax(logits / T).
static int64_t next_token(std::vector<float> logits, double temperature, std::optional<int64_t> top_k) {
    if (top_k) logits = top_k_filter(logits, *top_k);
    if (temperature <= 0.0)
        return std::max_element(logits.begin(), logits.end()) - logits.begin();  // first maximum, like argmax
    Tensor row = zeros({static_cast<int64_t>(logits.size())});
    std::copy(logits.begin(), logits.end(), row.data());
    Tensor probs = softmax(div(row, static_cast<float>(temperature)), -1);
    return multinomial1(probs.data(), probs.numel());
}

// The logits (B, V) for the token after idx: from the whole window, or, with a
// cache, from the tokens the cache has not seen yet.
static Tensor last_logits(const GPTModel& model, const Tensor& idx, int64_t context_size, KVCache* cache) {
    if (!cache) {
        Tensor idx_cond = slice(idx, 1, -context_size, idx.size(1));   // idx[:, -context_size:]
        return select(model.forward(idx_cond), 1, -1);
    }
    Tensor unseen = slice(idx, 1, cache->length, idx.size(1));
    return select(model.forward_cached(unseen, *cache), 1, -1);
}

Tensor generate(const GPTModel& model, Tensor idx, int64_t max_new_tokens, int64_t context_size,
                double temperature, std::optional<int64_t> top_k, std::optional<int64_t> eos_id, bool use_kv_cache) {
    NoGradGuard no_grad;
    KVCache cache;
    bool fits = idx.size(1) + max_new_tokens <= std::min(context_size, model.cfg.context_length);
    KVCache* cache_or_null = use_kv_cache && fits ? &cache : nullptr;
    for (int64_t step = 0; step < max_new_tokens; step++) {
        Tensor logits = last_logits(model, idx, context_size, cache_or_null);  // (B, V)
        int64_t batch = logits.size(0), vocab = logits.size(1);
        std::vector<int64_t> next(static_cast<size_t>(batch));
        bool all_eos = true;
        for (int64_t b = 0; b < batch; b++) {
            const float* row = logits.data() + b * vocab;
            next[static_cast<size_t>(b)] = next_token(std::vector<float>(row, row + vocab), temperature, top_k);
            all_eos = all_eos && eos_id && next[static_cast<size_t>(b)] == *eos_id;
        }
        if (all_eos) break;
        idx = cat({idx, tensor_int64(next, {batch, 1})}, 1);
    }
    return idx;
}

std::string generate_text(const GPTModel& model, const BpeTokenizer& tokenizer, const std::vector<int64_t>& prompt_ids,
                          int64_t max_new_tokens, double temperature, int64_t top_k, bool use_kv_cache) {
    Tensor idx = tensor_int64(prompt_ids, {1, static_cast<int64_t>(prompt_ids.size())});  // (1, T)
    Tensor out = generate(model, idx, max_new_tokens, model.cfg.context_length, temperature,
                          top_k > 0 ? std::optional<int64_t>(top_k) : std::nullopt, std::nullopt, use_kv_cache);
    std::vector<int64_t> ids;
    for (float v : out.values()) ids.push_back(static_cast<int64_t>(v));
    return tokenizer.decode(ids);
}

}  // namespace llm
