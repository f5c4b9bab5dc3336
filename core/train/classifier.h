// Chapter 6's training helpers with the book's names, in a namespace of their own because
// chapter 5 has functions of the same names: the loss and the accuracy of the last token's
// logits over batches and loaders, train_classifier_simple and classify_review.
#pragma once

#include "nn/nn.h"
#include "optim/optim.h"
#include "text/bpe.h"
#include "text/dataset.h"
#include "train/loss.h"

#include <map>
#include <string>
#include <vector>

namespace llm::classification {

// Faster finetuning when the bottom of the model is frozen (6.5 trains only the last block,
// the final norm and the head): with the embeddings and the first n blocks frozen and no
// dropout, their output for a text never changes, so it is computed once per text and
// kept, keyed by the text's token ids. Every function below takes one as an option; with
// none (or with nothing frozen) they run the whole model, as the book does, and the numbers
// are the same bit for bit either way. Make it after freezing, and do not change the
// frozen weights while it is used. It holds (texts) · T · C floats: about 550 MB for the
// book's 1,494 texts of 120 tokens at width 768.
class FrozenPrefixCache {
public:
    explicit FrozenPrefixCache(const GPTModel& model);
    // The leading blocks without a trainable parameter, when the embeddings are frozen too,
    // the positions are the learned table and drop_rate is 0; otherwise 0 (nothing cached).
    int64_t frozen_blocks() const { return frozen_blocks_; }
    int64_t size() const { return static_cast<int64_t>(rows_.size()); }  // texts cached
    // The output of the embeddings and the frozen blocks for input int64 (B, T): (B, T, C),
    // without gradient. Texts not seen before are run through the prefix now, together.
    Tensor hidden(const GPTModel& model, const Tensor& input);

private:
    int64_t frozen_blocks_ = 0;
    std::map<std::vector<int64_t>, std::vector<float>> rows_;  // token ids -> (T, C) values
};

// 6.6: the logits of the last token, where the whole text has been seen: input int64
// (B, T) -> (B, K).
// With a cache, the frozen prefix comes from it and only the rest of the model runs.
Tensor last_token_logits(const GPTModel& model, const Tensor& input, FrozenPrefixCache* cache = nullptr);

// 6.6: cross-entropy of the last token's logits. input: int64 (B, T); target: int64 (B).
Tensor calc_loss_batch(const Tensor& input, const Tensor& target, const GPTModel& model,
                       FrozenPrefixCache* cache = nullptr);

// 6.6: the mean of calc_loss_batch over the first num_batches batches (all when < 0); NaN
// for an empty loader. Starts a new pass over the loader, as the book's `for` loop does.
double calc_loss_loader(const DataLoader& loader, const GPTModel& model, int64_t num_batches = -1,
                        FrozenPrefixCache* cache = nullptr);

// 6.6: the share of the examples in the first num_batches batches whose largest logit is
// their label. Puts the model in eval mode, as the book's function does (and leaves it so).
double calc_accuracy_loader(const DataLoader& loader, GPTModel& model, int64_t num_batches = -1,
                            FrozenPrefixCache* cache = nullptr);

// 6.7: both losses over eval_iter batches, in eval mode without gradients; train mode after.
Losses evaluate_model(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader, int64_t eval_iter,
                      FrozenPrefixCache* cache = nullptr);

// What train_classifier_simple returns (and the plots are drawn from).
struct ClassifierHistory {
    std::vector<double> train_losses, val_losses;  // one per evaluation (every eval_freq steps)
    std::vector<double> train_accs, val_accs;      // one per epoch
    int64_t examples_seen = 0;
};

// 6.7: the book's loop: zero_grad, loss, backward, step for every batch; the two losses
// every eval_freq steps (printed as the book prints them); after every epoch the two
// accuracies over eval_iter batches.
ClassifierHistory train_classifier_simple(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader,
                                          AdamW& optimizer, int64_t num_epochs, int64_t eval_freq, int64_t eval_iter,
                                          FrozenPrefixCache* cache = nullptr);

// 6.8: the class of one text: encoded, cut to max_length (and to the model's context),
// padded with pad_token_id to max_length, the argmax of the last token's logits.
int64_t classify_review(const std::string& text, GPTModel& model, const BpeTokenizer& tokenizer, int64_t max_length,
                        int64_t pad_token_id = 50256);

}  // namespace llm::classification
