// Chapter 2's data pipeline: a sliding-window dataset over token ids and a
// DataLoader that batches it, shuffling exactly as PyTorch's DataLoader does
// (so training consumes the random stream as the book's does).
//
// The DataLoader serves any Dataset: it decides the order of the indices (and draws the
// random numbers PyTorch's would), cuts it into batches, and asks the dataset to turn
// each list of indices into one Batch (PyTorch's __getitem__ plus the collate function).
// The datasets of chapters 6 and 7 are in spam_data.h and instruction_data.h.
#pragma once

#include "tensor/tensor.h"
#include "text/bpe.h"

#include <string>
#include <utility>
#include <vector>

namespace llm {

// One batch of B items. What the target holds depends on the dataset: next-token ids
// (B, T) for language modelling (GPTDatasetV1, InstructionDataset), class labels (B) for
// classification (SpamDataset).
struct Batch {
    Tensor input;   // int64 (B, T) token ids
    Tensor target;  // int64 (B, T) token ids, or (B) labels
};

// What a DataLoader can batch: a length and a collate step.
class Dataset {
public:
    virtual ~Dataset() = default;
    virtual int64_t size() const = 0;  // len(dataset)
    // The items at `indices` (valid, in this order) as one batch.
    virtual Batch collate(const std::vector<int64_t>& indices) const = 0;
};

// GPTDatasetV1 (2.6): windows of max_length ids every `stride` ids; the target
// of each window is the same window shifted one token to the right.
class GPTDatasetV1 : public Dataset {
public:
    GPTDatasetV1(std::vector<int64_t> token_ids, int64_t max_length, int64_t stride);
    int64_t size() const override { return static_cast<int64_t>(starts_.size()); }  // len(dataset)
    int64_t max_length() const { return max_length_; }
    // Window i as (input ids, target ids), each max_length long.
    void get(int64_t i, std::vector<int64_t>& input, std::vector<int64_t>& target) const;
    // The windows stacked: input and target int64 (B, T) with T = max_length.
    Batch collate(const std::vector<int64_t>& indices) const override;

private:
    std::vector<int64_t> token_ids_;
    int64_t max_length_;
    std::vector<int64_t> starts_;  // first token of each window
};

class DataLoader;

// One pass over a DataLoader, like Python's iter(loader) then next() until the end.
class DataLoaderIter {
public:
    bool next(Batch& batch);  // false at the end of the pass
    // Where this pass is, for checkpoints: the seed its order was drawn from (-1 for an
    // unshuffled pass; the order is randperm of that seed) and how many items it used.
    int64_t sampler_seed() const { return sampler_seed_; }
    int64_t position() const { return position_; }

private:
    friend class DataLoader;
    explicit DataLoaderIter(const DataLoader& loader);
    DataLoaderIter(const DataLoader& loader, int64_t sampler_seed, int64_t position);
    const DataLoader* loader_;
    std::vector<int64_t> order_;  // dataset indices in the order of this pass
    int64_t sampler_seed_ = -1;
    int64_t position_ = 0;
    bool started_ = false;
};

class DataLoader {
public:
    DataLoader(const Dataset& dataset, int64_t batch_size, bool shuffle, bool drop_last);
    DataLoaderIter iter() const;   // draws one int64 from the generator, as PyTorch's iter() does
    // A pass restored from a checkpoint (sampler seed and position as saved); draws nothing.
    DataLoaderIter resume(int64_t sampler_seed, int64_t position) const;
    int64_t size() const;          // len(loader): number of batches per pass
    const Dataset& dataset() const { return *dataset_; }
    int64_t batch_size() const { return batch_size_; }
    bool shuffle() const { return shuffle_; }
    bool drop_last() const { return drop_last_; }

private:
    const Dataset* dataset_;  // not owned: keep the dataset alive while the loader is used
    int64_t batch_size_;
    bool shuffle_, drop_last_;
};

// 5.1.3: text[:split_idx] and text[split_idx:] with split_idx = int(train_ratio * len(text)),
// counted in bytes (the book counts characters; the same for its ASCII text).
std::pair<std::string, std::string> split_train_val(const std::string& text, double train_ratio);

// Chapter 5's data: the first train_ratio of the text's characters for training, the rest
// for validation, each tokenized and cut into windows of max_length tokens (stride
// max_length; the training windows may start closer, every train_stride tokens, when a
// caller gives one). The training loader shuffles and drops an incomplete last batch; the
// validation loader does neither. Not copyable: the loaders point at the data sets.
struct TrainValLoaders {
    TrainValLoaders(const std::string& text, const BpeTokenizer& tokenizer, int64_t max_length, int64_t batch_size,
                    double train_ratio = 0.90);
    // The same from the two parts' ids (see split_train_val), for callers that check them first.
    TrainValLoaders(std::vector<int64_t> train_ids, std::vector<int64_t> val_ids, int64_t max_length,
                    int64_t batch_size, int64_t train_stride = 0);  // 0: max_length
    TrainValLoaders(const TrainValLoaders&) = delete;
    TrainValLoaders& operator=(const TrainValLoaders&) = delete;
    GPTDatasetV1 train_set, val_set;
    DataLoader train_loader, val_loader;
};

}  // namespace llm
