// Training a GPT on any text file, and sampling from the result: the `train` and
// `generate` commands of chapters/ch05_pretraining. The loop is the book's
// train_model_simple plus what a long run needs: a learning-rate schedule and gradient
// clipping (appendix D), a progress bar, loss logs, checkpoints, resume and Ctrl-C.
#pragma once

#include "text/bpe.h"
#include "cli/flags.h"
#include "nn/nn.h"

#include <map>
#include <string>

namespace llm {

struct TrainOptions {
    std::string data, out, resume;                 // input text, run folder, run to resume
    std::string tokenizer = "bpe";                 // gpt2 | bpe | bytes
    std::string gpt2_dir = "data/gpt2";            // encoder.json + vocab.bpe for --tokenizer gpt2
    int64_t vocab_size = 1024;                     // for --tokenizer bpe
    int64_t context_length = 128, emb_dim = 128, n_layers = 4, n_heads = 4;
    double drop_rate = 0.1;
    bool qkv_bias = false;
    double lr = 3e-3, min_lr = 3e-4, weight_decay = 0.1, clip = 1.0;
    int64_t warmup_steps = 20;
    int64_t batch_size = 8, epochs = 4, max_steps = 0;  // max_steps 0: all epochs
    int64_t eval_interval = 50, eval_iters = 5, checkpoint_interval = 100;
    double val_fraction = 0.1;
    int64_t seed = 123, sample_tokens = 40, top_k = 20;
    double temperature = 0.8;
    std::string prompt = "One day";
    // Not flags: tests set them to act as if Ctrl-C came right after this step, or as
    // if the loss of this step came out NaN.
    int64_t interrupt_after_step = 0;
    int64_t nan_loss_at_step = 0;
};

// Reads the flags (or the saved options of --resume DIR) and trains. Returns the exit code.
int train_command(int argc, char** argv);
// Loads a run folder and continues a prompt. Returns the exit code.
int generate_command(int argc, char** argv);

// The options as strings, for a checkpoint's metadata, and back.
std::map<std::string, std::string> options_to_metadata(const TrainOptions& options);
TrainOptions options_from_metadata(const std::map<std::string, std::string>& metadata, const std::string& path);

// Everything the training loop needs, made from the options (tokenizer, token ids, model).
GPTConfig config_from_options(const TrainOptions& options, int64_t vocab_size);

// The run with these options, start to finish (or from `options.resume`). Prints the
// loss lines and samples; writes the run folder. Returns the exit code.
int run_training(const TrainOptions& options);

}  // namespace llm
