// The book's plain training loop (5.2) and its helpers, shared by chapter 5 (pretraining
// on the-verdict) and chapter 7 (instruction finetuning): text to ids and back, the
// greedy sample printed after every epoch, and train_model_simple itself.
//
//   TrainingHistory h = train_model_simple(model, train_loader, val_loader, optimizer,
//                                          2, 5, 5, format_input(val_data[0]), tokenizer);
//
// The long runs of `ch05_pretraining train` use train/pretrain.h instead (schedules,
// clipping, checkpoints); this file stays the book's code.
#pragma once

#include "nn/nn.h"
#include "optim/optim.h"
#include "text/bpe.h"
#include "text/dataset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llm {

// text_to_token_ids: the ids of `text` with a batch dimension, int64 (1, T).
Tensor text_to_token_ids(const std::string& text, const BpeTokenizer& tokenizer);
// token_ids_to_text: ids of any shape (e.g. (1, T) or (T)), flattened and decoded.
std::string token_ids_to_text(const Tensor& ids, const BpeTokenizer& tokenizer);

// 5.2: 50 greedy tokens after start_context (generate_text_simple with the model's
// context length), printed on one line with newlines shown as spaces. Leaves the model
// in training mode, as the book's does.
void generate_and_print_sample(GPTModel& model, const BpeTokenizer& tokenizer, const std::string& start_context);

// What train_model_simple returns: train_losses, val_losses, track_tokens_seen (one per
// evaluation), and the number of steps it took.
struct TrainingHistory {
    std::vector<double> train_losses, val_losses, track_tokens_seen;
    int64_t steps = 0;
};

// 5.2: the book's training loop. Every step: zero_grad, calc_loss_batch, backward, step;
// every eval_freq steps evaluate_model over eval_iter batches and print the book's line
// ("Ep 1 (Step 000005): Train loss ..., Val loss ..."); after every epoch a sample of
// start_context. max_steps < 0 runs all epochs; otherwise it stops after that many steps
// (saying so, then printing the sample).
TrainingHistory train_model_simple(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader,
                                   AdamW& optimizer, int64_t num_epochs, int64_t eval_freq, int64_t eval_iter,
                                   const std::string& start_context, const BpeTokenizer& tokenizer,
                                   int64_t max_steps = -1);

}  // namespace llm
