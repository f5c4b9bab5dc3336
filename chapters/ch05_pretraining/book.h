// Chapter 5 walked through in the book's order (sections 5.1-5.4), for the reader
// who runs the program beside the book. Included by main.cpp only. The training loop
// (5.2: train_model_simple, text_to_token_ids, ...) is in core/train/simple_training.h,
// shared with chapter 7.
#pragma once

#include "../common.h"
#include "../gpt2_files.h"

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/files.h"
#include "ops/ops.h"
#include "optim/optim.h"
#include "random/random.h"
#include "train/loss.h"
#include "train/sampling.h"
#include "train/simple_training.h"

#include <cmath>
#include <cstdio>

namespace ch05 {

using namespace llm;
using chapter::heading;

// GPT_CONFIG_124M with "context_length": 256 ("Shortened context length (orig: 1024)").
inline GPTConfig book_config() {
    GPTConfig cfg = gpt_config_124m();
    cfg.context_length = 256;
    return cfg;
}

// 5.1.1: the untrained model continues "Every effort moves you" with gibberish.
inline void untrained_generation(const GPTModel& model, const BpeTokenizer& tokenizer) {
    heading("5.1.1 Using GPT to generate text");
    Tensor token_ids = generate_text_simple(model, text_to_token_ids("Every effort moves you", tokenizer), 10,
                                            model.cfg.context_length);
    std::cout << "Output text:\n " << token_ids_to_text(token_ids, tokenizer) << "\n";
}

// 5.1.2: probabilities of the target tokens, their log, the cross-entropy and perplexity.
inline void text_generation_loss(const GPTModel& model, const BpeTokenizer& tokenizer) {
    heading("5.1.2 Calculating the text generation loss: cross-entropy and perplexity");
    Tensor inputs = tensor_int64({{16833, 3626, 6100}, {40, 1107, 588}});     // "every effort moves", "I really like"
    Tensor targets = tensor_int64({{3626, 6100, 345}, {1107, 588, 11311}});   // " effort moves you", " really like chocolate"
    NoGradGuard no_grad;
    Tensor logits = model.forward(inputs);
    Tensor probas = softmax(logits, -1);
    std::cout << probas.shape_str() << "\n";
    Tensor token_ids = argmax(probas, -1, true);
    std::cout << "Token IDs:\n " << token_ids << "\n";
    std::cout << "Targets batch 1: " << token_ids_to_text(targets[0], tokenizer) << "\n";
    std::cout << "Outputs batch 1: " << token_ids_to_text(flatten(token_ids[0]), tokenizer) << "\n";
    std::vector<Tensor> target_probas;
    for (int64_t text = 0; text < 2; text++) {
        Tensor row = zeros({3});
        for (int64_t t = 0; t < 3; t++)
            row.data()[t] = probas.at({text, t, static_cast<int64_t>(targets.at({text, t}))});
        std::cout << "Text " << text + 1 << ": " << row << "\n";
        target_probas.push_back(row);
    }
    Tensor log_probas = log(cat(target_probas, 0));
    std::cout << log_probas << "\n";
    Tensor avg_log_probas = mean(log_probas);
    std::cout << avg_log_probas << "\n" << neg(avg_log_probas) << "\n";
    std::cout << "Logits shape: " << logits.shape_str() << "\nTargets shape: " << targets.shape_str() << "\n";
    Tensor logits_flat = flatten(logits, 0, 1), targets_flat = flatten(targets);
    std::cout << "Flattened logits: " << logits_flat.shape_str() << "\nFlattened targets: " << targets_flat.shape_str() << "\n";
    Tensor loss = cross_entropy(logits_flat, targets_flat);
    std::cout << loss << "\n" << exp(loss) << "\n";  // the perplexity
}

// 5.1.3: the-verdict split 90/10 by characters, batched in windows of 256 tokens.
struct BookData : TrainValLoaders {
    std::string text;
    BookData(const std::string& raw_text, const BpeTokenizer& tokenizer, int64_t context_length)
        : TrainValLoaders(raw_text, tokenizer, context_length, 2), text(raw_text) {}
};

inline void loader_losses(const GPTModel& model, const BookData& data, const BpeTokenizer& tokenizer) {
    heading("5.1.3 Calculating the training and validation set losses");
    std::cout << "Characters: " << data.text.size() << "\nTokens: " << tokenizer.encode(data.text).size() << "\n";
    std::cout << "Train loader:\n";
    int64_t train_tokens = 0, val_tokens = 0;
    Batch batch;
    for (DataLoaderIter it = data.train_loader.iter(); it.next(batch);) {
        std::cout << batch.input.shape_str() << " " << batch.target.shape_str() << "\n";
        train_tokens += batch.input.numel();
    }
    std::cout << "\nValidation loader:\n";
    for (DataLoaderIter it = data.val_loader.iter(); it.next(batch);) {
        std::cout << batch.input.shape_str() << " " << batch.target.shape_str() << "\n";
        val_tokens += batch.input.numel();
    }
    std::cout << "Training tokens: " << train_tokens << "\nValidation tokens: " << val_tokens
              << "\nAll tokens: " << train_tokens + val_tokens << "\n";
    manual_seed(123);  // "For reproducibility due to the shuffling in the data loader"
    NoGradGuard no_grad;
    std::cout << "Training loss: " << python_float_repr(calc_loss_loader(data.train_loader, model)) << "\n";
    std::cout << "Validation loss: " << python_float_repr(calc_loss_loader(data.val_loader, model)) << "\n";
}

}  // namespace ch05

namespace ch05 {

inline const std::vector<std::string>& toy_vocab() {  // 5.3: index -> word
    static const std::vector<std::string> words = {"closer", "every", "effort", "forward", "inches",
                                                   "moves",  "pizza", "toward", "you"};
    return words;
}

// print_sampled_tokens: seed 123, 1,000 draws, how often each word came up.
inline void print_sampled_tokens(const Tensor& probas) {
    manual_seed(123);
    std::vector<int64_t> counts(toy_vocab().size(), 0);
    for (int i = 0; i < 1000; i++) counts[static_cast<size_t>(multinomial1(probas.data(), probas.numel()))]++;
    for (size_t i = 0; i < counts.size(); i++) std::cout << counts[i] << " x " << toy_vocab()[i] << "\n";
}

// 5.3.1-5.3.2 on the book's nine-word vocabulary: greedy, sampling, temperature, top-k.
inline void decoding_strategies() {
    heading("5.3.1 Temperature scaling");
    Tensor next_token_logits = tensor({4.51f, 0.89f, -1.90f, 6.75f, 1.63f, -1.62f, -1.89f, 6.28f, 1.79f});
    Tensor probas = softmax(next_token_logits, 0);
    std::cout << toy_vocab()[static_cast<size_t>(argmax(probas).item())] << "\n";
    manual_seed(123);
    std::cout << toy_vocab()[static_cast<size_t>(multinomial1(probas.data(), probas.numel()))] << "\n";
    print_sampled_tokens(probas);
    for (float temperature : {1.0f, 0.1f, 5.0f}) {
        std::cout << "\nTemperature " << temperature << ":\n";
        print_sampled_tokens(softmax(div(next_token_logits, temperature), 0));
    }
    heading("5.3.2 Top-k sampling");
    std::vector<float> logits = next_token_logits.values();
    std::vector<float> top = logits;
    std::vector<int64_t> positions = {};
    for (int k = 0; k < 3; k++) {  // torch.topk(next_token_logits, 3): values and positions, largest first
        int64_t best = std::max_element(top.begin(), top.end()) - top.begin();
        positions.push_back(best);
        top[static_cast<size_t>(best)] = -INFINITY;
    }
    Tensor top_logits = zeros({3});
    for (int k = 0; k < 3; k++) top_logits.data()[k] = logits[static_cast<size_t>(positions[static_cast<size_t>(k)])];
    std::cout << "Top logits: " << top_logits << "\nTop positions: " << tensor_int64(positions, {3}) << "\n";
    Tensor new_logits = zeros({9});
    std::vector<float> filtered = top_k_filter(logits, 3);
    std::copy(filtered.begin(), filtered.end(), new_logits.data());
    std::cout << new_logits << "\n" << softmax(new_logits, 0) << "\n";
}

}  // namespace ch05
