// Chapter 5's losses with the book's names: the loss of a batch and of a loader, and
// the evaluation the training loop prints.
#pragma once

#include "nn/nn.h"
#include "text/dataset.h"

#include <string>

namespace llm {

// 5.1.3: mean cross-entropy of the next-token predictions of one batch.
// input, target: int64 (B, T). Differentiable (call backward on it).
Tensor calc_loss_batch(const Tensor& input, const Tensor& target, const GPTModel& model);

// 5.1.3: the average of calc_loss_batch over the first num_batches batches of one pass
// (all of them when num_batches < 0); NaN for an empty loader. Like the book it starts
// a fresh pass (which draws from the generator, see text/dataset.h) and adds losses in double.
double calc_loss_loader(const DataLoader& loader, const GPTModel& model, int64_t num_batches = -1);

struct Losses {
    double train_loss, val_loss;
};

// 5.2: both losses over eval_iter batches, in eval mode and without gradients; the model
// goes back to training mode afterwards.
Losses evaluate_model(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader,
                      int64_t eval_iter);

// 5.2: the line the book's training loop prints, e.g.
// "Ep 1 (Step 000005): Train loss 8.111, Val loss 8.339" (epoch counts from 0 here).
std::string loss_line(int64_t epoch, int64_t global_step, const Losses& losses);

}  // namespace llm
