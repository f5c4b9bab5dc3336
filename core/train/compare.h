// The attention lab's comparison behind `ch05_pretraining compare`: a list of GPT variants
// trained in turn on one text with the same seed, data, model size and token budget, each
// in its own run folder (the `train` run, train/pretrain.h), then one row per variant:
// parameters, final and best validation loss, training tokens/s, peak tensor memory and
// KV-cache bytes. A compare that stops part way continues where it was: a finished
// variant is read back from its folder, a half-trained one resumes from its checkpoint.
#pragma once

#include "train/pretrain.h"
#include "train/run_folder.h"

#include <string>
#include <vector>

namespace llm {

struct CompareOptions {
    TrainOptions train;                 // the shared settings (train.out and train.variant are set per variant)
    std::string out;                    // one folder per variant, compare.csv, compare.svg
    std::vector<std::string> variants;  // names for variant_preset
    int64_t tokens = 163840;            // training tokens per variant (160 steps of 8 × 128)
    int64_t evaluations = 10;           // points on each validation curve
    TrainHooks hooks;                   // passed to every run (the tests interrupt one with it)
};

struct CompareRow {
    std::string name, variant;           // the preset's name and what it changes (describe())
    int64_t parameters = 0, steps = 0, tokens = 0;
    double final_val_loss = 0, best_val_loss = 0;
    double tokens_per_second = 0;        // training steps only (evaluations and samples excluded)
    double peak_mb = 0;                  // most bytes held by live tensors during the run, in MB (10^6)
    int64_t kv_bytes_per_token = 0;      // float32 keys and values of one token, all layers
    int64_t kv_bytes_at_context = 0;     // the cache at a full context (a window caps it)
    std::vector<LossRecord> history;     // the run's evaluations (losses.csv)
};

// The presets: book, sinusoidal, rope, alibi, none, rms, post-ln, swiglu, gqa (H/2 groups),
// gqa<G>, mqa, window<W>, llama (rope + rms + swiglu + gqa), and any of them joined by '+'
// ("rope+window32"). An unknown name throws llm::Error listing the presets.
GPTVariant variant_preset(const std::string& name, int64_t n_heads);

// The book's KV-cache formula (ch04/04_gqa memory_estimator): tokens × hs × layers × 2 × 4
// bytes × kv_heads, here for one token and batch 1.
int64_t kv_cache_bytes_per_token(const GPTConfig& cfg);
// Linear and performer attention keep (S, z) per layer and key/value head instead of a KV
// cache: (F·hs + F) floats each, F = hs (linear) or the features m (performer).
int64_t linear_state_bytes(const GPTConfig& cfg);

// The `train` options of one variant's run: the shared ones with its folder (out/<name>),
// switches, step budget (tokens / (batch · context)) and evaluation interval.
TrainOptions variant_run_options(const CompareOptions& options, const std::string& name);

// Train (or read back, or resume) every variant of `options`, in order; writes
// compare.csv and compare.svg into options.out after each one and returns the rows
// (fewer than the variants when a run was interrupted; its checkpoint is kept).
std::vector<CompareRow> run_compare(const CompareOptions& options);

// The rows as the text table `compare` prints.
std::string compare_table(const std::vector<CompareRow>& rows);

}  // namespace llm
