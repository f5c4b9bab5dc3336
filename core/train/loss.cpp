// Losses over batches and loaders, and the evaluation the training loop prints (book 5.1-5.2).
#include "train/loss.h"

#include "autograd/autograd.h"
#include "ops/ops.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace llm {

Tensor calc_loss_batch(const Tensor& input, const Tensor& target, const GPTModel& model) {
    Tensor logits = model.forward(input);                       // (B, T, V)
    return cross_entropy(flatten(logits, 0, 1), flatten(target)); // (B·T, V) vs (B·T)
}

double calc_loss_loader(const DataLoader& loader, const GPTModel& model, int64_t num_batches) {
    if (loader.size() == 0) return std::numeric_limits<double>::quiet_NaN();
    num_batches = num_batches < 0 ? loader.size() : std::min(num_batches, loader.size());
    double total_loss = 0.0;
    DataLoaderIter it = loader.iter();
    Batch batch;
    for (int64_t i = 0; i < num_batches && it.next(batch); i++)
        total_loss += static_cast<double>(calc_loss_batch(batch.input, batch.target, model).item());
    return total_loss / static_cast<double>(num_batches);
}

Losses evaluate_model(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader,
                      int64_t eval_iter) {
    model.eval();
    Losses losses{};
    {
        NoGradGuard no_grad;
        losses.train_loss = calc_loss_loader(train_loader, model, eval_iter);
        losses.val_loss = calc_loss_loader(val_loader, model, eval_iter);
    }
    model.train();
    return losses;
}

std::string loss_line(int64_t epoch, int64_t global_step, const Losses& losses) {
    char line[128];
    std::snprintf(line, sizeof line, "Ep %lld (Step %06lld): Train loss %.3f, Val loss %.3f",
                  static_cast<long long>(epoch + 1), static_cast<long long>(global_step), losses.train_loss,
                  losses.val_loss);
    return line;
}

}  // namespace llm
