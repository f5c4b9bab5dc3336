// A run folder of the `train` command: its checkpoint files with the run's position and
// options, and its loss history (losses.csv, losses.svg).
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
    bool in_epoch = false;           // a pass has started (its order is below)
    std::vector<int64_t> order;      // window indices of the current pass
    int64_t position = 0;            // windows of that pass already used
    void set_pass(const DataLoaderIter& pass) {
        in_epoch = true;
        order = pass.order();
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

// A new run: create the folder (refusing one that already holds a run) and save the tokenizer.
void start_run_folder(const TrainOptions& options, const BpeTokenizer& tokenizer);
// --resume DIR: the saved options and model shape (everything but the data is restored later).
void read_run_options(TrainOptions& options);
// Write model.safetensors and optimizer.safetensors (each atomically) with the position,
// the options and the random generator's state in the optimizer file's metadata.
void save_checkpoint(const TrainOptions& options, const GPTModel& model, const AdamW& optimizer,
                     const RunPosition& position, const std::string& text);
// Load both files into `model` and `optimizer`, restore the generator, return the position.
// The text must be the one the run was started with.
RunPosition restore_checkpoint(const std::string& dir, GPTModel& model, AdamW& optimizer, const std::string& text);

// losses.csv rows up to max_step (a resumed run drops evaluations after its checkpoint).
std::vector<LossRecord> read_loss_history(const std::string& path, int64_t max_step);
// losses.csv and losses.svg (train and validation loss against tokens seen).
void write_loss_files(const std::string& dir, const std::vector<LossRecord>& history);

}  // namespace llm
