// Sliding-window dataset and the DataLoader for any Dataset (book section 2.6).
#include "text/dataset.h"

#include "random/random.h"

namespace llm {

GPTDatasetV1::GPTDatasetV1(std::vector<int64_t> token_ids, int64_t max_length, int64_t stride)
    : token_ids_(std::move(token_ids)), max_length_(max_length) {
    if (max_length <= 0 || stride <= 0)
        throw Error("GPTDatasetV1: max_length and stride must be positive (got " + std::to_string(max_length) +
                    " and " + std::to_string(stride) + ")");
    int64_t n = static_cast<int64_t>(token_ids_.size());
    if (n <= max_length)
        throw Error("GPTDatasetV1: the text has " + std::to_string(n) + " tokens; it needs more than max_length = " +
                    std::to_string(max_length) + " (one window plus the token after it)");
    for (int64_t i = 0; i < n - max_length; i += stride) starts_.push_back(i);  // range(0, n - max_length, stride)
}

void GPTDatasetV1::get(int64_t i, std::vector<int64_t>& input, std::vector<int64_t>& target) const {
    auto first = token_ids_.begin() + starts_.at(i);
    input.assign(first, first + max_length_);
    target.assign(first + 1, first + 1 + max_length_);
}

Batch GPTDatasetV1::collate(const std::vector<int64_t>& indices) const {
    std::vector<int64_t> inputs, targets, input, target;
    for (int64_t i : indices) {
        get(i, input, target);
        inputs.insert(inputs.end(), input.begin(), input.end());
        targets.insert(targets.end(), target.begin(), target.end());
    }
    int64_t B = static_cast<int64_t>(indices.size());
    return Batch{tensor_int64(inputs, {B, max_length_}), tensor_int64(targets, {B, max_length_})};
}

DataLoader::DataLoader(const Dataset& dataset, int64_t batch_size, bool shuffle, bool drop_last)
    : dataset_(&dataset), batch_size_(batch_size), shuffle_(shuffle), drop_last_(drop_last) {
    if (batch_size <= 0) throw Error("DataLoader: batch_size must be positive, got " + std::to_string(batch_size));
}

int64_t DataLoader::size() const {
    int64_t n = dataset_->size();
    return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

DataLoaderIter DataLoader::iter() const { return DataLoaderIter(*this); }

DataLoaderIter DataLoader::resume(int64_t sampler_seed, int64_t position) const {
    return DataLoaderIter(*this, sampler_seed, position);
}

// The order of a pass: randperm from the sampler's seed, or 0..n-1 unshuffled.
static std::vector<int64_t> pass_order(int64_t sampler_seed, int64_t n) {
    if (sampler_seed >= 0) return sampler_order(sampler_seed, n);
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) order[static_cast<size_t>(i)] = i;
    return order;
}

DataLoaderIter::DataLoaderIter(const DataLoader& loader, int64_t sampler_seed, int64_t position)
    : loader_(&loader), sampler_seed_(sampler_seed), position_(position), started_(true) {
    int64_t n = loader.dataset().size();
    if (position < 0 || position > n || (sampler_seed < 0) == loader.shuffle())
        throw Error("DataLoader: the saved pass (seed " + std::to_string(sampler_seed) + ", position " +
                    std::to_string(position) + ") does not fit this loader of " + std::to_string(n) +
                    " items; was the checkpoint made with other data or another context length?");
    order_ = pass_order(sampler_seed, n);
}

DataLoaderIter::DataLoaderIter(const DataLoader& loader) : loader_(&loader) {
    dataloader_base_seed();  // drawn by every iter(), shuffled or not, even with 0 workers
}

bool DataLoaderIter::next(Batch& batch) {
    const DataLoader& loader = *loader_;
    if (!started_) {  // the sampler decides the order at the first next()
        started_ = true;
        if (loader.shuffle()) sampler_seed_ = random_sampler_seed();
        order_ = pass_order(sampler_seed_, loader.dataset().size());
    }
    int64_t remaining = static_cast<int64_t>(order_.size()) - position_;
    int64_t count = std::min(loader.batch_size(), remaining);
    if (count <= 0 || (loader.drop_last() && count < loader.batch_size())) return false;
    auto first = order_.begin() + position_;
    batch = loader.dataset().collate(std::vector<int64_t>(first, first + count));
    position_ += count;
    return true;
}

std::pair<std::string, std::string> split_train_val(const std::string& text, double train_ratio) {
    size_t split_idx = static_cast<size_t>(train_ratio * static_cast<double>(text.size()));
    return {text.substr(0, split_idx), text.substr(split_idx)};
}

TrainValLoaders::TrainValLoaders(const std::string& text, const BpeTokenizer& tokenizer, int64_t max_length,
                                 int64_t batch_size, double train_ratio)
    : TrainValLoaders(tokenizer.encode(split_train_val(text, train_ratio).first),
                      tokenizer.encode(split_train_val(text, train_ratio).second), max_length, batch_size) {}

TrainValLoaders::TrainValLoaders(std::vector<int64_t> train_ids, std::vector<int64_t> val_ids, int64_t max_length,
                                 int64_t batch_size, int64_t train_stride)
    : train_set(std::move(train_ids), max_length, train_stride > 0 ? train_stride : max_length),
      val_set(std::move(val_ids), max_length, max_length),
      train_loader(train_set, batch_size, true, true), val_loader(val_set, batch_size, false, false) {}

}  // namespace llm
