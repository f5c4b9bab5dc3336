// Pretraining a GPT on any text file: the run behind `ch05_pretraining train`. The loop
// is the book's train_model_simple (5.2) plus what a long run needs: a learning-rate
// schedule and gradient clipping (appendix D), a progress bar, loss logs, checkpoints,
// resume and Ctrl-C. The command's flags are in cli/train_command.cpp.
#pragma once

#include "nn/nn.h"

#include <cstdint>
#include <functional>
#include <string>

namespace llm {

struct TrainOptions {
    std::string data, out, resume;                 // input text, run folder, run to resume
    std::string tokenizer = "bpe";                 // gpt2 | bpe | bytes
    std::string gpt2_dir = "data/gpt2";            // encoder.json + vocab.bpe for --tokenizer gpt2
    int64_t vocab_size = 1024;                     // for --tokenizer bpe
    int64_t context_length = 128, emb_dim = 128, n_layers = 4, n_heads = 4;
    int64_t stride = 0;                            // tokens between training windows (0: context_length)
    double drop_rate = 0.1;
    bool qkv_bias = false;
    GPTVariant variant;                            // the attention lab's switches (--pos, --norm, ...)
    double lr = 3e-3, min_lr = 3e-4, weight_decay = 0.1, clip = 1.0;
    int64_t warmup_steps = 20;
    int64_t batch_size = 8, epochs = 4, max_steps = 0;  // max_steps 0: all epochs
    int64_t eval_interval = 50, eval_iters = 5, checkpoint_interval = 100;
    double val_fraction = 0.1;
    int64_t seed = 123, sample_tokens = 40, top_k = 20;
    double temperature = 0.8;
    std::string prompt = "One day";
};

// Ways for a caller (the tests) to watch and steer a run without flags: each is called,
// when set, at its point of every step.
struct TrainHooks {
    std::function<void(int64_t step, double& loss)> on_loss;  // may replace the step's loss
    std::function<bool(int64_t step)> interrupt_after;        // true: act as if Ctrl-C came
    std::function<void(int64_t step, int64_t tokens, double seconds)> on_step;  // each step's tokens and wall time
};

// The model's config from the options and the tokenizer's vocabulary size.
GPTConfig config_from_options(const TrainOptions& options, int64_t vocab_size);

// The run with these options, start to finish (or from `options.resume`). Prints the
// loss lines and samples; writes the run folder. Returns the exit code.
int run_training(const TrainOptions& options, const TrainHooks& hooks = {});

}  // namespace llm
