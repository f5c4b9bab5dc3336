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

static bool frozen(const Module& m) {
    for (const Tensor& p : m.parameters())
        if (p.requires_grad()) return false;
    return true;
}

FrozenPrefixCache::FrozenPrefixCache(const GPTModel& model) {
    if (model.cfg.drop_rate != 0.0 || model.cfg.variant.pos != PosEncoding::learned) return;
    if (!frozen(model.tok_emb) || !frozen(model.pos_emb)) return;
    while (frozen_blocks_ < static_cast<int64_t>(model.trf_blocks.size()) &&
           frozen(*model.trf_blocks[static_cast<size_t>(frozen_blocks_)]))
        frozen_blocks_++;
}

// The embeddings and blocks [0, n) of GPTModel::forward: int64 (B, T) -> (B, T, C).
static Tensor forward_prefix(const GPTModel& model, const Tensor& input, int64_t n) {
    Tensor x = model.tok_emb.forward(input) + model.pos_emb.forward(arange(0, input.size(1)));
    x = model.drop_emb.forward(x);
    for (int64_t i = 0; i < n; i++) x = model.trf_blocks[static_cast<size_t>(i)]->forward(x);
    return x;
}

Tensor FrozenPrefixCache::hidden(const GPTModel& model, const Tensor& input) {
    int64_t B = input.size(0), T = input.size(1), C = model.cfg.emb_dim;
    std::vector<std::vector<int64_t>> keys(static_cast<size_t>(B));
    std::vector<int64_t> missing_ids;  // the new texts, (new, T) flat
    std::vector<size_t> missing;       // their rows in the batch
    for (int64_t b = 0; b < B; b++) {
        for (int64_t t = 0; t < T; t++) keys[b].push_back(static_cast<int64_t>(input.data()[b * T + t]));
        if (rows_.count(keys[b])) continue;
        bool repeated = false;  // the same text twice in one batch: computed once
        for (size_t m : missing) repeated = repeated || keys[m] == keys[b];
        if (repeated) continue;
        missing.push_back(static_cast<size_t>(b));
        missing_ids.insert(missing_ids.end(), keys[b].begin(), keys[b].end());
    }
    NoGradGuard no_grad;
    if (!missing.empty()) {
        Tensor x = forward_prefix(model, tensor_int64(missing_ids, {static_cast<int64_t>(missing.size()), T}),
                                  frozen_blocks_);  // (new, T, C)
        for (size_t m = 0; m < missing.size(); m++)
            rows_[keys[missing[m]]] = std::vector<float>(x.data() + m * T * C, x.data() + (m + 1) * T * C);
    }
    std::vector<float> values;
    values.reserve(static_cast<size_t>(B * T * C));
    for (int64_t b = 0; b < B; b++) {
        const std::vector<float>& row = rows_.at(keys[b]);
        values.insert(values.end(), row.begin(), row.end());
    }
    return Tensor({B, T, C}, values);
}

Tensor last_token_logits(const GPTModel& model, const Tensor& input, FrozenPrefixCache* cache) {
    if (!cache || cache->frozen_blocks() == 0) return select(model.forward(input), 1, -1);  // model(input_batch)[:, -1, :]
    Tensor x = cache->hidden(model, input);  // the frozen blocks' output, then the rest of forward
    for (size_t i = static_cast<size_t>(cache->frozen_blocks()); i < model.trf_blocks.size(); i++)
        x = model.trf_blocks[i]->forward(x);
    return select(model.out_head.forward(model.final_norm->forward(x)), 1, -1);
}

Tensor calc_loss_batch(const Tensor& input, const Tensor& target, const GPTModel& model, FrozenPrefixCache* cache) {
    return cross_entropy(last_token_logits(model, input, cache), target);  // (B, K) vs (B)
}

// min(num_batches, len(loader)), or len(loader) when num_batches < 0.
static int64_t batches_to_use(const DataLoader& loader, int64_t num_batches) {
    return num_batches < 0 ? loader.size() : std::min(num_batches, loader.size());
}

double calc_loss_loader(const DataLoader& loader, const GPTModel& model, int64_t num_batches,
                        FrozenPrefixCache* cache) {
    if (loader.size() == 0) return std::numeric_limits<double>::quiet_NaN();
    num_batches = batches_to_use(loader, num_batches);
    double total_loss = 0.0;
    DataLoaderIter it = loader.iter();
    Batch batch;
    for (int64_t i = 0; i < num_batches && it.next(batch); i++)
        total_loss += static_cast<double>(classification::calc_loss_batch(batch.input, batch.target, model, cache).item());
    return total_loss / static_cast<double>(num_batches);
}

double calc_accuracy_loader(const DataLoader& loader, GPTModel& model, int64_t num_batches, FrozenPrefixCache* cache) {
    model.eval();
    num_batches = batches_to_use(loader, num_batches);
    int64_t correct_predictions = 0, num_examples = 0;
    DataLoaderIter it = loader.iter();
    Batch batch;
    for (int64_t i = 0; i < num_batches && it.next(batch); i++) {
        NoGradGuard no_grad;
        Tensor predicted_labels = argmax(last_token_logits(model, batch.input, cache), -1);  // (B)
        num_examples += predicted_labels.numel();
        for (int64_t b = 0; b < predicted_labels.numel(); b++)
            correct_predictions += predicted_labels.data()[b] == batch.target.data()[b];
    }
    return static_cast<double>(correct_predictions) / static_cast<double>(num_examples);
}

Losses evaluate_model(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader, int64_t eval_iter,
                      FrozenPrefixCache* cache) {
    model.eval();
    Losses losses{};
    {
        NoGradGuard no_grad;
        losses.train_loss = classification::calc_loss_loader(train_loader, model, eval_iter, cache);
        losses.val_loss = classification::calc_loss_loader(val_loader, model, eval_iter, cache);
    }
    model.train();
    return losses;
}

ClassifierHistory train_classifier_simple(GPTModel& model, const DataLoader& train_loader, const DataLoader& val_loader,
                                          AdamW& optimizer, int64_t num_epochs, int64_t eval_freq, int64_t eval_iter,
                                          FrozenPrefixCache* cache) {
    ClassifierHistory history;
    int64_t global_step = -1;
    for (int64_t epoch = 0; epoch < num_epochs; epoch++) {
        model.train();
        Batch batch;
        for (DataLoaderIter it = train_loader.iter(); it.next(batch);) {
            optimizer.zero_grad();
            Tensor loss = classification::calc_loss_batch(batch.input, batch.target, model, cache);
            loss.backward();
            optimizer.step();
            history.examples_seen += batch.input.size(0);
            global_step++;
            if (global_step % eval_freq == 0) {
                Losses losses = classification::evaluate_model(model, train_loader, val_loader, eval_iter, cache);
                history.train_losses.push_back(losses.train_loss);
                history.val_losses.push_back(losses.val_loss);
                std::cout << loss_line(epoch, global_step, losses) << std::endl;
            }
        }
        double train_accuracy = calc_accuracy_loader(train_loader, model, eval_iter, cache);
        double val_accuracy = calc_accuracy_loader(val_loader, model, eval_iter, cache);
        char line[96];
        std::snprintf(line, sizeof line, "Training accuracy: %.2f%% | Validation accuracy: %.2f%%", train_accuracy * 100,
                      val_accuracy * 100);
        std::cout << line << std::endl;
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
