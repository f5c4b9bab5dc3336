// Chapter 6's training helpers with the book's names, in a namespace of their own because
// chapter 5 has functions of the same names: the loss and the accuracy of the last token's
// logits over batches and loaders, train_classifier_simple and classify_review.
#pragma once

#include "nn/nn.h"
#include "optim/optim.h"
#include "text/bpe.h"
#include "text/dataset.h"
#include "train/loss.h"

#include <string>
#include <vector>

namespace llm::classification {

// 6.6: the logits of the last token, where the whole text has been seen: input int64
// (B, T) -> (B, K).
Tensor last_token_logits(const GPTModel& model, const Tensor& input);

// 6.6: cross-entropy of the last token's logits. input: int64 (B, T); target: int64 (B).
Tensor calc_loss_batch(const Tensor& input, const Tensor& target, const GPTModel& model);

// 6.6: the mean of calc_loss_batch over the first num_batches batches (all when < 0); NaN
// for an empty loader. Starts a new pass over the loader, as the book's `for` loop does.
double calc_loss_loader(const DataLoader& loader, const GPTModel& model, int64_t num_batches = -1);

// 6.6: the share of the examples in the first num_batches batches whose largest logit is
// their label. Puts the model in eval mode, as the book's function does (and leaves it so).
double calc_accuracy_loader(const DataLoader& loader, GPTModel& model, int64_t num_batches = -1);

// 6.7: both losses over eval_iter batches, in eval mode without gradients; train mode after.
Losses evaluate_model(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader, int64_t eval_iter);

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
                                          AdamW& optimizer, int64_t num_epochs, int64_t eval_freq, int64_t eval_iter);

// 6.8: the class of one text: encoded, cut to max_length (and to the model's context),
// padded with pad_token_id to max_length, the argmax of the last token's logits.
int64_t classify_review(const std::string& text, GPTModel& model, const BpeTokenizer& tokenizer, int64_t max_length,
                        int64_t pad_token_id = 50256);

}  // namespace llm::classification
