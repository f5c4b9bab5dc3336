// Chapter 6: losses, accuracy and the training loop of a classifier (see classifier.h).
// Calls are written classification::f because the arguments' namespace, llm, has a
// chapter-5 function of the same name that C++ would otherwise also consider.
#include "train/classifier.h"

#include "autograd/autograd.h"
#include "ops/ops.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>

namespace llm::classification {

Tensor last_token_logits(const GPTModel& model, const Tensor& input) {
    return select(model.forward(input), 1, -1);  // model(input_batch)[:, -1, :]
}

Tensor calc_loss_batch(const Tensor& input, const Tensor& target, const GPTModel& model) {
    return cross_entropy(last_token_logits(model, input), target);  // (B, K) vs (B)
}

// min(num_batches, len(loader)), or len(loader) when num_batches < 0.
static int64_t batches_to_use(const DataLoader& loader, int64_t num_batches) {
    return num_batches < 0 ? loader.size() : std::min(num_batches, loader.size());
}

double calc_loss_loader(const DataLoader& loader, const GPTModel& model, int64_t num_batches) {
    if (loader.size() == 0) return std::numeric_limits<double>::quiet_NaN();
    num_batches = batches_to_use(loader, num_batches);
    double total_loss = 0.0;
    DataLoaderIter it = loader.iter();
    Batch batch;
    for (int64_t i = 0; i < num_batches && it.next(batch); i++)
        total_loss += static_cast<double>(classification::calc_loss_batch(batch.input, batch.target, model).item());
    return total_loss / static_cast<double>(num_batches);
}

double calc_accuracy_loader(const DataLoader& loader, GPTModel& model, int64_t num_batches) {
    model.eval();
    num_batches = batches_to_use(loader, num_batches);
    int64_t correct_predictions = 0, num_examples = 0;
    DataLoaderIter it = loader.iter();
    Batch batch;
    for (int64_t i = 0; i < num_batches && it.next(batch); i++) {
        NoGradGuard no_grad;
        Tensor predicted_labels = argmax(last_token_logits(model, batch.input), -1);  // (B)
        num_examples += predicted_labels.numel();
        for (int64_t b = 0; b < predicted_labels.numel(); b++)
            correct_predictions += predicted_labels.data()[b] == batch.target.data()[b];
    }
    return static_cast<double>(correct_predictions) / static_cast<double>(num_examples);
}

Losses evaluate_model(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader, int64_t eval_iter) {
    model.eval();
    Losses losses{};
    {
        NoGradGuard no_grad;
        losses.train_loss = classification::calc_loss_loader(train_loader, model, eval_iter);
        losses.val_loss = classification::calc_loss_loader(val_loader, model, eval_iter);
    }
    model.train();
    return losses;
}

ClassifierHistory train_classifier_simple(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader,
                                          AdamW& optimizer, int64_t num_epochs, int64_t eval_freq, int64_t eval_iter) {
    ClassifierHistory history;
    int64_t global_step = -1;
    for (int64_t epoch = 0; epoch < num_epochs; epoch++) {
        model.train();
        Batch batch;
        for (DataLoaderIter it = train_loader.iter(); it.next(batch);) {
            optimizer.zero_grad();
            Tensor loss = classification::calc_loss_batch(batch.input, batch.target, model);
            loss.backward();
            optimizer.step();
            history.examples_seen += batch.input.size(0);
            global_step++;
            if (global_step % eval_freq == 0) {
                Losses losses = classification::evaluate_model(model, train_loader, val_loader, eval_iter);
                history.train_losses.push_back(losses.train_loss);
                history.val_losses.push_back(losses.val_loss);
                std::cout << loss_line(epoch, global_step, losses) << std::endl;
            }
        }
        double train_accuracy = calc_accuracy_loader(train_loader, model, eval_iter);
        double val_accuracy = calc_accuracy_loader(val_loader, model, eval_iter);
        std::printf("Training accuracy: %.2f%% | Validation accuracy: %.2f%%\n", train_accuracy * 100,
                    val_accuracy * 100);
        std::fflush(stdout);
        history.train_accs.push_back(train_accuracy);
        history.val_accs.push_back(val_accuracy);
    }
    return history;
}

int64_t classify_review(const std::string& text, GPTModel& model, const BpeTokenizer& tokenizer, int64_t max_length,
                        int64_t pad_token_id) {
    model.eval();
    std::vector<int64_t> input_ids = tokenizer.encode(text);
    int64_t supported_context_length = model.pos_emb.weight.size(0);
    input_ids.resize(std::min<size_t>(input_ids.size(), static_cast<size_t>(std::min(max_length, supported_context_length))));
    input_ids.resize(static_cast<size_t>(max_length), pad_token_id);  // pad to the training length
    NoGradGuard no_grad;
    Tensor logits = last_token_logits(model, tensor_int64(input_ids, {1, max_length}));  // (1, K)
    return static_cast<int64_t>(argmax(logits, -1).item());
}

}  // namespace llm::classification
