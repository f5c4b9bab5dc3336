// The `train` and `generate` commands: flags, options and their checks. The loop
// itself is in trainer_loop.cpp.
#include "train/pretrain.h"

#include "io/checkpoint.h"
#include "io/files.h"
#include "random/random.h"
#include "train/loss.h"

#include <filesystem>
#include <iostream>

namespace llm {

// Every training flag, bound to a field of `o`.
static void add_train_flags(FlagParser& flags, TrainOptions& o) {
    flags.add_string("--data", &o.data, "text file to train on (any bytes; required unless --resume)");
    flags.add_string("--out", &o.out, "run folder for checkpoints, losses.csv, losses.svg (required unless --resume)");
    flags.add_string("--resume", &o.resume, "continue the run in this folder with its saved options");
    flags.add_string("--tokenizer", &o.tokenizer, "gpt2 | bpe (trained on the text) | bytes   [bpe]");
    flags.add_string("--gpt2-dir", &o.gpt2_dir, "folder with GPT-2's encoder.json and vocab.bpe  [data/gpt2]");
    flags.add_int("--vocab-size", &o.vocab_size, 258, 65536, "vocabulary size for --tokenizer bpe  [1024]");
    flags.add_int("--context", &o.context_length, 2, 4096, "context length in tokens  [128]");
    flags.add_int("--emb", &o.emb_dim, 1, 4096, "embedding size  [128]");
    flags.add_int("--layers", &o.n_layers, 1, 96, "Transformer blocks  [4]");
    flags.add_int("--heads", &o.n_heads, 1, 256, "attention heads (must divide --emb)  [4]");
    flags.add_double("--dropout", &o.drop_rate, 0.0, 0.99, "dropout rate  [0.1]");
    flags.add_switch("--qkv-bias", &o.qkv_bias, "bias in the query/key/value projections");
    flags.add_double("--lr", &o.lr, 0.0, 10.0, "peak learning rate  [3e-3]");
    flags.add_double("--min-lr", &o.min_lr, 0.0, 10.0, "learning rate at the end of the cosine decay  [3e-4]");
    flags.add_int("--warmup", &o.warmup_steps, 0, INT64_MAX, "linear warm-up steps  [20]");
    flags.add_double("--weight-decay", &o.weight_decay, 0.0, 10.0, "AdamW weight decay  [0.1]");
    flags.add_double("--clip", &o.clip, 0.0, 1e9, "clip the gradient norm to this (0: off)  [1.0]");
    flags.add_int("--batch-size", &o.batch_size, 1, 65536, "sequences per step  [8]");
    flags.add_int("--epochs", &o.epochs, 1, 100000, "passes over the training windows  [4]");
    flags.add_int("--max-steps", &o.max_steps, 0, INT64_MAX, "stop after this many steps (0: all epochs)  [0]");
    flags.add_int("--eval-interval", &o.eval_interval, 1, INT64_MAX, "steps between evaluations and samples  [50]");
    flags.add_int("--eval-iters", &o.eval_iters, 1, 100000, "batches per loss estimate  [5]");
    flags.add_int("--checkpoint-interval", &o.checkpoint_interval, 1, INT64_MAX, "steps between checkpoints  [100]");
    flags.add_double("--val-fraction", &o.val_fraction, 0.01, 0.5, "share of the text held out for validation  [0.1]");
    flags.add_int("--seed", &o.seed, 0, INT64_MAX, "random seed (initialisation, dropout, shuffling)  [123]");
    flags.add_int("--sample-tokens", &o.sample_tokens, 0, 100000, "tokens in each sample  [40]");
    flags.add_int("--top-k", &o.top_k, 0, 1000000, "sample among the k likeliest tokens (0: all)  [20]");
    flags.add_double("--temperature", &o.temperature, 0.0, 100.0, "sampling temperature (0: greedy)  [0.8]");
    flags.add_string("--prompt", &o.prompt, "start of each sample  [\"One day\"]");
    flags.add_threads();
}

// Checks that need more than one flag.
static void check_options(const TrainOptions& o) {
    if (o.data.empty()) throw Error("train: --data FILE is required (the text to train on)");
    if (o.out.empty()) throw Error("train: --out DIR is required (where the run is written)");
    if (o.tokenizer != "gpt2" && o.tokenizer != "bpe" && o.tokenizer != "bytes")
        throw Error("train: --tokenizer must be gpt2, bpe or bytes, not '" + o.tokenizer + "'");
    if (o.emb_dim % o.n_heads != 0)
        throw Error("train: --emb " + std::to_string(o.emb_dim) + " is not divisible by --heads " +
                    std::to_string(o.n_heads) + " (each head gets emb/heads dimensions)");
    if (o.min_lr > o.lr) throw Error("train: --min-lr must not exceed --lr");
}

int train_command(int argc, char** argv) {
    TrainOptions options;
    FlagParser flags("ch05_pretraining train");
    add_train_flags(flags, options);
    if (!flags.parse(argc, argv)) return 0;
    if (!options.resume.empty()) {
        for (const std::string& name : flags.given_flags())
            if (name != "--resume" && name != "--threads")
                throw Error("train: --resume DIR takes no other flags than --threads (the run continues with its "
                            "saved options), got " + name);
        return run_training(options);
    }
    check_options(options);
    return run_training(options);
}

std::map<std::string, std::string> options_to_metadata(const TrainOptions& o) {
    return {{"train.data", o.data},
            {"train.tokenizer", o.tokenizer},
            {"train.vocab_size", encode_int64(o.vocab_size)},
            {"train.lr", encode_double(o.lr)},
            {"train.min_lr", encode_double(o.min_lr)},
            {"train.weight_decay", encode_double(o.weight_decay)},
            {"train.clip", encode_double(o.clip)},
            {"train.warmup_steps", encode_int64(o.warmup_steps)},
            {"train.batch_size", encode_int64(o.batch_size)},
            {"train.epochs", encode_int64(o.epochs)},
            {"train.max_steps", encode_int64(o.max_steps)},
            {"train.eval_interval", encode_int64(o.eval_interval)},
            {"train.eval_iters", encode_int64(o.eval_iters)},
            {"train.checkpoint_interval", encode_int64(o.checkpoint_interval)},
            {"train.val_fraction", encode_double(o.val_fraction)},
            {"train.seed", encode_int64(o.seed)},
            {"train.sample_tokens", encode_int64(o.sample_tokens)},
            {"train.top_k", encode_int64(o.top_k)},
            {"train.temperature", encode_double(o.temperature)},
            {"train.prompt", o.prompt}};
}

static const std::string& required(const std::map<std::string, std::string>& m, const std::string& key,
                                   const std::string& path) {
    auto it = m.find(key);
    if (it == m.end()) throw Error(path + ": not a training checkpoint of this program (no '" + key + "' in its metadata)");
    return it->second;
}

TrainOptions options_from_metadata(const std::map<std::string, std::string>& m, const std::string& path) {
    TrainOptions o;
    auto text = [&](const std::string& key) { return required(m, key, path); };
    auto integer = [&](const std::string& key) { return decode_int64(text(key), path + " metadata '" + key + "'"); };
    auto real = [&](const std::string& key) { return decode_double(text(key), path + " metadata '" + key + "'"); };
    o.data = text("train.data");
    o.tokenizer = text("train.tokenizer");
    o.vocab_size = integer("train.vocab_size");
    o.lr = real("train.lr"), o.min_lr = real("train.min_lr"), o.weight_decay = real("train.weight_decay");
    o.clip = real("train.clip"), o.warmup_steps = integer("train.warmup_steps");
    o.batch_size = integer("train.batch_size"), o.epochs = integer("train.epochs");
    o.max_steps = integer("train.max_steps"), o.eval_interval = integer("train.eval_interval");
    o.eval_iters = integer("train.eval_iters"), o.checkpoint_interval = integer("train.checkpoint_interval");
    o.val_fraction = real("train.val_fraction"), o.seed = integer("train.seed");
    o.sample_tokens = integer("train.sample_tokens"), o.top_k = integer("train.top_k");
    o.temperature = real("train.temperature"), o.prompt = text("train.prompt");
    return o;
}

GPTConfig config_from_options(const TrainOptions& o, int64_t vocab_size) {
    GPTConfig cfg;
    cfg.vocab_size = vocab_size;
    cfg.context_length = o.context_length;
    cfg.emb_dim = o.emb_dim;
    cfg.n_heads = o.n_heads;
    cfg.n_layers = o.n_layers;
    cfg.drop_rate = o.drop_rate;
    cfg.qkv_bias = o.qkv_bias;
    return cfg;
}

// --- generate ---------------------------------------------------------------------------

int generate_command(int argc, char** argv) {
    std::string run, prompt = "One day";
    int64_t tokens = 50, top_k = 20, seed = 123;
    double temperature = 0.8;
    bool no_kv_cache = false;
    FlagParser flags("ch05_pretraining generate");
    flags.add_string("--run", &run, "run folder written by train (model.safetensors, encoder.json, vocab.bpe)");
    flags.add_string("--prompt", &prompt, "text to continue  [\"One day\"]");
    flags.add_int("--tokens", &tokens, 0, 1000000, "how many tokens to add  [50]");
    flags.add_double("--temperature", &temperature, 0.0, 100.0, "0: greedy  [0.8]");
    flags.add_int("--top-k", &top_k, 0, 1000000, "sample among the k likeliest (0: all)  [20]");
    flags.add_int("--seed", &seed, 0, INT64_MAX, "random seed  [123]");
    flags.add_switch("--no-kv-cache", &no_kv_cache, "recompute every token's keys and values at each step");
    flags.add_threads();
    if (!flags.parse(argc, argv)) return 0;
    if (run.empty()) throw Error("generate: --run DIR is required (a folder written by `train`)");
    BpeTokenizer tokenizer = BpeTokenizer::load(run + "/encoder.json", run + "/vocab.bpe");
    GPTModel model(read_model_config(run + "/model.safetensors"));
    load_model(run + "/model.safetensors", model);
    model.eval();
    if (model.cfg.vocab_size != tokenizer.vocab_size())
        throw Error("generate: " + run + " has a model for " + std::to_string(model.cfg.vocab_size) +
                    " tokens but a tokenizer of " + std::to_string(tokenizer.vocab_size()));
    std::vector<int64_t> ids = tokenizer.encode(prompt);
    if (ids.empty()) throw Error("generate: --prompt is empty; give at least one character");
    manual_seed(static_cast<uint64_t>(seed));
    std::cout << generate_text(model, tokenizer, ids, tokens, temperature, top_k, !no_kv_cache) << "\n";
    return 0;
}

}  // namespace llm
