// The DataLoader over any Dataset: the order it draws (PyTorch's RandomSampler, torch_rng.md §10:
// seed 123, 10 items -> 8 2 6 7 0 3 9 1 5 4), batching, drop_last and resuming a pass.
#include "catch_compat.h"

#include "random/random.h"
#include "text/dataset.h"

using namespace llm;

namespace {

// Item i is the number i: input (B, 1) holds the indices, target (B) the indices times 10.
class IndexDataset : public Dataset {
public:
    explicit IndexDataset(int64_t n) : n_(n) {}
    int64_t size() const override { return n_; }
    Batch collate(const std::vector<int64_t>& indices) const override {
        std::vector<int64_t> tens;
        for (int64_t i : indices) tens.push_back(10 * i);
        int64_t B = static_cast<int64_t>(indices.size());
        return Batch{tensor_int64(indices, {B, 1}), tensor_int64(tens, {B})};
    }

private:
    int64_t n_;
};

std::vector<std::vector<int64_t>> all_batches(DataLoaderIter it) {
    std::vector<std::vector<int64_t>> batches;
    Batch batch;
    while (it.next(batch)) {
        std::vector<int64_t> ids;
        for (float v : batch.input.values()) ids.push_back(static_cast<int64_t>(v));
        batches.push_back(ids);
    }
    return batches;
}

}  // namespace

TEST_CASE("DataLoader: any dataset, shuffled as PyTorch shuffles", "[dataloader]") {
    IndexDataset data(10);
    manual_seed(123);
    DataLoader shuffled(data, 3, true, true);
    using Batches = std::vector<std::vector<int64_t>>;
    CHECK(all_batches(shuffled.iter()) == Batches{{8, 2, 6}, {7, 0, 3}, {9, 1, 5}});
    DataLoader keep_last(data, 3, false, false);
    CHECK(keep_last.size() == 4);
    CHECK(all_batches(keep_last.iter()) == Batches{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}});
    Batch batch;
    DataLoaderIter it = keep_last.iter();
    REQUIRE(it.next(batch));
    CHECK(batch.target.shape() == Shape{3});
    CHECK(batch.target.values() == std::vector<float>{0.0f, 10.0f, 20.0f});
}

TEST_CASE("DataLoader: a pass resumed from its sampler seed and position", "[dataloader]") {
    IndexDataset data(10);
    manual_seed(123);
    DataLoader loader(data, 3, true, false);
    DataLoaderIter pass = loader.iter();
    Batch batch;
    REQUIRE(pass.next(batch));
    int64_t seed = pass.sampler_seed();
    int64_t position = pass.position();
    CHECK(seed >= 0);
    CHECK(position == 3);
    std::vector<std::vector<int64_t>> rest = all_batches(pass);
    Generator::State before = default_generator().state;
    CHECK(all_batches(loader.resume(seed, position)) == rest);  // and draws nothing
    CHECK(default_generator().state.mt == before.mt);
    CHECK(default_generator().state.position == before.position);
    CHECK_THROWS_WITH(loader.resume(seed, 11), Catch::Matchers::Contains("does not fit this loader of 10 items"));
    CHECK_THROWS_WITH(loader.resume(-1, 0), Catch::Matchers::Contains("does not fit"));  // a shuffled loader needs a seed
}
