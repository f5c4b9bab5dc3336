// Chapter 5's training helpers with the book's names: the loss of a batch and of a
// loader, the evaluation the training loop prints, and generate() with temperature,
// top-k and an end-of-text id.
#pragma once

#include "text/bpe.h"
#include "text/dataset.h"
#include "nn/nn.h"

#include <optional>

namespace llm {

// 5.1.3: mean cross-entropy of the next-token predictions of one batch.
// input, target: int64 (batch, n_tokens). Differentiable (call backward on it).
Tensor calc_loss_batch(const Tensor& input, const Tensor& target, const GPTModel& model);

// 5.1.3: the average of calc_loss_batch over the first num_batches batches of one pass
// (all of them when num_batches < 0); NaN for an empty loader. Like the book it starts
// a fresh pass (which draws from the generator, see data.h) and adds losses in double.
double calc_loss_loader(const DataLoader& loader, const GPTModel& model, int64_t num_batches = -1);

struct Losses {
    double train_loss, val_loss;
};

// 5.2: both losses over eval_iter batches, in eval mode and without gradients; the model
// goes back to training mode afterwards.
Losses evaluate_model(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader,
                      int64_t eval_iter);

// 5.3.3: generate() as in the book. idx: int64 (batch, n_tokens) -> (batch, n_tokens + new).
// top_k keeps the k largest logits (before temperature); temperature 0 means greedy;
// otherwise the next token is drawn with multinomial from softmax(logits / temperature).
// Stops early when every row's next token is eos_id (the book's batch-1 rule).
// With use_kv_cache, each step feeds only the new token and reuses the keys and values
// of the earlier ones (same tokens, far less work); when the text would outgrow the
// context, it falls back to the book's way (the window of the last context_size tokens).
Tensor generate(const GPTModel& model, Tensor idx, int64_t max_new_tokens, int64_t context_size,
                double temperature = 0.0, std::optional<int64_t> top_k = std::nullopt,
                std::optional<int64_t> eos_id = std::nullopt, bool use_kv_cache = false);

// The prompt's ids continued with generate() (context: the model's; top_k 0 keeps every
// token) and decoded to text: what the `generate` and `gpt2` commands and the samples
// during training print. Draws from the default generator when temperature > 0.
std::string generate_text(const GPTModel& model, const BpeTokenizer& tokenizer, const std::vector<int64_t>& prompt_ids,
                          int64_t max_new_tokens, double temperature, int64_t top_k, bool use_kv_cache);

// 5.3.2: logits below the k-th largest become -inf. logits: (vocab); returns (vocab).
std::vector<float> top_k_filter(const std::vector<float>& logits, int64_t k);

}  // namespace llm
