// Turning a model's logits into text: greedy decoding (book 4.7), then temperature,
// top-k, an end-of-text id and the KV cache (5.3 and the book's bonus material).
#include "train/sampling.h"

#include "autograd/autograd.h"
#include "ops/ops.h"
#include "random/random.h"

#include <algorithm>
#include <cmath>
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

// Sampling at a temperature so small that logits / T overflows float is greedy decoding
// (the limit T -> 0); dividing would give inf - inf = nan in the softmax.
static bool effectively_greedy(const std::vector<float>& logits, double temperature) {
    if (temperature <= 0.0 || static_cast<float>(temperature) == 0.0f) return true;
    double largest = 0.0;
    for (float v : logits)
        if (std::isfinite(v)) largest = std::max(largest, std::fabs(static_cast<double>(v)));
    return largest / temperature > static_cast<double>(std::numeric_limits<float>::max());
}

// The next token from one row of logits (V), after top-k: argmax, or a draw from softmax(logits / T).
static int64_t draw_token(const std::vector<float>& logits, double temperature) {
    if (effectively_greedy(logits, temperature))
        return std::max_element(logits.begin(), logits.end()) - logits.begin();  // first maximum, like argmax
    Tensor row = zeros({static_cast<int64_t>(logits.size())});
    std::copy(logits.begin(), logits.end(), row.data());
    Tensor probs = softmax(div(row, static_cast<float>(temperature)), -1);
    for (float p : probs.values())
        if (!std::isfinite(p) || p < 0.0f)
            throw Error("generate: the probabilities of the next token are not finite (temperature " +
                        std::to_string(temperature) + ")");
    return multinomial1(probs.data(), probs.numel());
}

// The next token of one row of logits (V): argmax, or a draw from softmax(logits / T).
static int64_t next_token(const std::vector<float>& logits, double temperature, std::optional<int64_t> top_k) {
    for (float v : logits)
        if (std::isnan(v)) throw Error("generate: the model's logits hold nan (is the checkpoint damaged?)");
    if (top_k) return draw_token(top_k_filter(logits, *top_k), temperature);
    return draw_token(logits, temperature);
}

// The last n ids of every row as a tensor: int64 (B, n).
static Tensor last_ids(const std::vector<std::vector<int64_t>>& rows, int64_t n) {
    std::vector<int64_t> flat;
    for (const std::vector<int64_t>& row : rows) flat.insert(flat.end(), row.end() - n, row.end());
    return tensor_int64(flat, {static_cast<int64_t>(rows.size()), n});
}

// The logits (B, V) for the token after the rows: from the window of their last
// context_size tokens (the book's way), or, with a cache, from the tokens it has not seen.
static Tensor last_logits(const GPTModel& model, const std::vector<std::vector<int64_t>>& rows, int64_t context_size,
                          KVCache* cache) {
    int64_t length = static_cast<int64_t>(rows[0].size());
    if (!cache) return select(model.forward(last_ids(rows, std::min(length, context_size))), 1, -1);
    return select(model.forward_cached(last_ids(rows, length - cache->length), *cache), 1, -1);
}

Tensor generate(const GPTModel& model, Tensor idx, int64_t max_new_tokens, int64_t context_size,
                double temperature, std::optional<int64_t> top_k, std::optional<int64_t> eos_id, bool use_kv_cache) {
    NoGradGuard no_grad;
    int64_t batch = idx.size(0), window = std::min(context_size, model.cfg.context_length);
    std::vector<std::vector<int64_t>> rows(static_cast<size_t>(batch));  // the ids so far, one vector per row
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < idx.size(1); t++)
            rows[static_cast<size_t>(b)].push_back(static_cast<int64_t>(idx.at({b, t})));
    KVCache cache;
    bool caching = use_kv_cache;
    // One row's logits, copied into the same vector at every step: a new 50,257-float vector
    // per token came back from the C library as fresh pages, cleared by the OS on first
    // touch (about 50 page faults a token, ~1 ms on the machine measured in book-notes/performance.md).
    std::vector<float> row_logits;
    for (int64_t step = 0; step < max_new_tokens; step++) {
        // Once the text outgrows the context, every step reads the window of the last
        // context_size tokens, as without a cache: the cost per token stays constant.
        if (static_cast<int64_t>(rows[0].size()) > window) caching = false;
        Tensor logits = last_logits(model, rows, context_size, caching ? &cache : nullptr);  // (B, V)
        int64_t vocab = logits.size(1);
        std::vector<int64_t> next(static_cast<size_t>(batch));
        bool all_eos = true;
        for (int64_t b = 0; b < batch; b++) {
            const float* row = logits.data() + b * vocab;
            row_logits.assign(row, row + vocab);
            next[static_cast<size_t>(b)] = next_token(row_logits, temperature, top_k);
            all_eos = all_eos && eos_id && next[static_cast<size_t>(b)] == *eos_id;
        }
        if (all_eos) break;
        for (int64_t b = 0; b < batch; b++) rows[static_cast<size_t>(b)].push_back(next[static_cast<size_t>(b)]);
    }
    return last_ids(rows, static_cast<int64_t>(rows[0].size()));
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
