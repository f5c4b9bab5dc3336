// `ch05_pretraining train`: the flags, bound to TrainOptions, and their checks. The run
// itself is train/pretrain.cpp.
#include "cli/commands.h"

#include "cli/flags.h"
#include "train/pretrain.h"

#include <cstdio>

namespace llm {

// The attention lab's switches as the flags give them; apply() turns the names into the enums.
struct VariantFlags {
    std::string pos = "learned", norm = "layer", norm_place = "pre", ffn = "gelu", attention = "standard";
    void apply(GPTVariant& v) const {
        v.pos = parse_pos_encoding(pos, "train: --pos");
        v.norm = parse_norm_kind(norm, "train: --norm");
        v.norm_place = parse_norm_place(norm_place, "train: --norm-place");
        v.ffn = parse_feed_forward_kind(ffn, "train: --ffn");
        v.attention = parse_attention_kind(attention, "train: --attention");
    }
};

// The model's switches (book-notes/attention_variants.md); the defaults are the book's GPT.
static void add_variant_flags(FlagParser& flags, VariantFlags& names, GPTVariant& v) {
    flags.add_string("--pos", &names.pos, "positions: learned | sinusoidal | rope | alibi | none  [learned]");
    flags.add_string("--norm", &names.norm, "normalisation: layer | rms  [layer]");
    flags.add_string("--norm-place", &names.norm_place, "pre (the book's) | post (x = norm(x + f(x)))  [pre]");
    flags.add_string("--ffn", &names.ffn, "feed-forward: gelu | swiglu  [gelu]");
    flags.add_int("--ffn-hidden", &v.ffn_hidden, 0, 1 << 20, "feed-forward inner size (0: 4·emb, swiglu 8·emb/3)  [0]");
    flags.add_int("--kv-groups", &v.kv_groups, 0, 256, "key/value heads, must divide --heads (0: --heads)  [0]");
    flags.add_int("--window", &v.window, 0, 4096, "sliding-window attention over this many tokens (0: all)  [0]");
    flags.add_string("--attention", &names.attention, "standard | flash (exact, tiled) | linear (elu+1) | performer "
                                                       "(FAVOR+)  [standard]");
    flags.add_int("--features", &v.features, 1, 65536, "performer's random features per head  [64]");
}

void add_model_flags(FlagParser& flags, TrainOptions& o) {
    flags.add_string("--tokenizer", &o.tokenizer, "gpt2 | bpe (trained on the text) | bytes   [bpe]");
    flags.add_string("--gpt2-dir", &o.gpt2_dir, "folder with GPT-2's encoder.json and vocab.bpe  [data/gpt2]");
    flags.add_int("--vocab-size", &o.vocab_size, 258, 65536, "vocabulary size for --tokenizer bpe  [1024]");
    flags.add_int("--context", &o.context_length, 2, 4096, "context length in tokens  [128]");
    flags.add_int("--emb", &o.emb_dim, 1, 4096, "embedding size  [128]");
    flags.add_int("--layers", &o.n_layers, 1, 96, "Transformer blocks  [4]");
    flags.add_int("--heads", &o.n_heads, 1, 256, "attention heads (must divide --emb)  [4]");
    flags.add_double("--dropout", &o.drop_rate, 0.0, 0.99, "dropout rate  [0.1]");
}

// Every training flag, bound to a field of `o`.
static void add_train_flags(FlagParser& flags, TrainOptions& o) {
    flags.add_string("--data", &o.data, "text file to train on (any bytes; required unless --resume)");
    flags.add_string("--out", &o.out, "run folder for checkpoints, losses.csv, losses.svg (required unless --resume)");
    flags.add_string("--resume", &o.resume, "continue the run in this folder with its saved options (and --data FILE "
                                            "if its text has moved)");
    add_model_flags(flags, o);
    flags.add_switch("--qkv-bias", &o.qkv_bias, "bias in the query/key/value projections");
    flags.add_double("--lr", &o.lr, 0.0, 10.0, "peak learning rate  [3e-3]");
    flags.add_double("--min-lr", &o.min_lr, 0.0, 10.0, "learning rate at the end of the cosine decay  [3e-4]");
    flags.add_int("--warmup", &o.warmup_steps, 0, INT64_MAX, "linear warm-up steps  [20]");
    flags.add_double("--weight-decay", &o.weight_decay, 0.0, 10.0, "AdamW weight decay  [0.1]");
    flags.add_double("--clip", &o.clip, 0.0, 1e9, "clip the gradient norm to this (0: off)  [1.0]");
    flags.add_int("--batch-size", &o.batch_size, 1, 65536, "sequences per step  [8]");
    flags.add_int("--stride", &o.stride, 0, 1 << 20, "tokens between the starts of training windows (0: --context)  [0]");
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

// 0.0003 as the user would type it.
static std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
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
    if (o.min_lr > o.lr)
        throw Error("train: --min-lr " + format_number(o.min_lr) + " must not exceed --lr " + format_number(o.lr) +
                    " (the cosine decay goes from --lr down to --min-lr)");
    if (o.variant.kv_groups > 0 && o.n_heads % o.variant.kv_groups != 0)
        throw Error("train: --kv-groups " + std::to_string(o.variant.kv_groups) + " does not divide --heads " +
                    std::to_string(o.n_heads) + " (each key/value head serves heads/kv-groups query heads)");
    if (o.variant.window > o.context_length)
        throw Error("train: --window " + std::to_string(o.variant.window) + " is longer than --context " +
                    std::to_string(o.context_length));
    check_variant(o.variant, o.emb_dim, o.n_heads, o.context_length);
}

int train_command(int argc, char** argv) {
    TrainOptions options;
    VariantFlags variant_names;
    FlagParser flags("ch05_pretraining train");
    add_train_flags(flags, options);
    add_variant_flags(flags, variant_names, options.variant);
    if (!flags.parse(argc, argv)) return 0;
    if (!options.resume.empty()) {
        for (const std::string& name : flags.given_flags())
            if (name != "--resume" && name != "--threads" && name != "--data")
                throw Error("train: --resume DIR takes no other flags than --threads and --data (the run continues "
                            "with its saved options; --data names the same text in a new place), got " + name);
        return run_training(options);
    }
    variant_names.apply(options.variant);
    check_options(options);
    return run_training(options);
}

}  // namespace llm
