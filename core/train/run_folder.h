// A run folder of the `train` command:
//   encoder.json, vocab.bpe     the tokenizer, written when the run starts
//   checkpoints/step-NNNNNNNN/  the newest complete checkpoint: model.safetensors, and
//                               optimizer.safetensors with the run's options, position and
//                               random state (see io/checkpoint_folder.h for how it is saved)
//   model.safetensors           that checkpoint's model, for `generate` and PyTorch
//   losses.csv, losses.svg      the loss history
#pragma once

#include "optim/optim.h"
#include "text/bpe.h"
#include "text/dataset.h"
#include "train/pretrain.h"

#include <map>
#include <string>
#include <vector>

namespace llm {

// The run's place: steps done, tokens seen, and the current pass over the training data.
struct RunPosition {
    int64_t epoch = 0, global_step = 0, tokens_seen = 0;
    bool in_epoch = false;           // a pass has started (where it is, below)
    int64_t pass_seed = -1;          // the sampler seed of that pass: its order is randperm of it
    int64_t position = 0;            // windows of that pass already used
    void set_pass(const DataLoaderIter& pass) {
        in_epoch = true;
        pass_seed = pass.sampler_seed();
        position = pass.position();
    }
};

struct LossRecord {
    int64_t step, tokens_seen;
    double train_loss, val_loss;
};

// The options as strings, for a checkpoint's metadata, and back.
std::map<std::string, std::string> options_to_metadata(const TrainOptions& options);
TrainOptions options_from_metadata(const std::map<std::string, std::string>& metadata, const std::string& path);

// "size:FNV-1a hash" of a training text: a resumed run must read the same bytes.
std::string text_fingerprint(const std::string& text);

// A new run: create the folder (refusing one that holds a complete checkpoint; a folder
// whose run stopped before its first checkpoint is reused), clean what an interrupted
// save left, and save the tokenizer.
void start_run_folder(const TrainOptions& options, const BpeTokenizer& tokenizer);
// --resume DIR: the saved options and model shape of the newest checkpoint (everything but
// the data is restored later). `data` replaces the saved path of the text when not empty.
void read_run_options(TrainOptions& options, const std::string& data);
// One checkpoint of the run (both files, the position, the options, the random state),
// saved whole or not at all (see io/checkpoint_folder.h).
void save_checkpoint(const TrainOptions& options, const GPTModel& model, const AdamW& optimizer,
                     const RunPosition& position, const std::string& text);
// Load the newest complete checkpoint of `dir` into `model` and `optimizer` (an older one,
// with a warning, when the newest is damaged), restore the generator, return the position.
// The text must be the one the run was started with.
RunPosition restore_checkpoint(const std::string& dir, GPTModel& model, AdamW& optimizer, const std::string& text);

// losses.csv rows up to max_step (a resumed run drops evaluations after its checkpoint).
std::vector<LossRecord> read_loss_history(const std::string& path, int64_t max_step);
// losses.csv and losses.svg (train and validation loss against tokens seen).
void write_loss_files(const std::string& dir, const std::vector<LossRecord>& history);

}  // namespace llm
