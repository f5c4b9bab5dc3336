// Chapter 2 golden tests for the data pipeline and embeddings: the book's printed values
// (chapter 2, ch02.ipynb, copied here as literals). The tokenizer's own goldens are in
// test_tokenizer.cpp. Tests that need the-verdict.txt or GPT-2's files skip without them.
#include "catch_compat.h"
#include "data_files.h"

#include "io/files.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"
#include "text/bpe.h"
#include "text/dataset.h"

using namespace llm;

namespace {

std::vector<int64_t> ids_of(const Tensor& t) {
    std::vector<int64_t> ids;
    for (float v : t.values()) ids.push_back(static_cast<int64_t>(v));
    return ids;
}

// The-verdict encoded with GPT-2's tokenizer, or empty when a file is missing.
std::vector<int64_t> verdict_ids() {
    std::string text = find_data_file("the-verdict.txt");
    std::string enc = find_data_file("gpt2/encoder.json"), bpe = find_data_file("gpt2/vocab.bpe");
    if (text.empty() || enc.empty() || bpe.empty()) return {};
    return BpeTokenizer::load_gpt2(enc, bpe).encode(read_file(text));
}

}  // namespace

TEST_CASE("2.6 sliding-window batches of the-verdict", "[ch02]") {
    std::vector<int64_t> ids = verdict_ids();
    if (ids.empty()) {
        skip_test("needs the-verdict.txt and gpt2/encoder.json + vocab.bpe in data/ or ../shared/data/");
        return;
    }
    GPTDatasetV1 one_by_one(ids, 4, 1);
    DataLoader loader(one_by_one, 1, false, true);
    DataLoaderIter it = loader.iter();
    Batch batch;
    REQUIRE(it.next(batch));  // book 2.6: first_batch
    CHECK(ids_of(batch.input) == std::vector<int64_t>{40, 367, 2885, 1464});
    CHECK(ids_of(batch.target) == std::vector<int64_t>{367, 2885, 1464, 1807});
    REQUIRE(it.next(batch));  // second_batch
    CHECK(ids_of(batch.input) == std::vector<int64_t>{367, 2885, 1464, 1807});

    GPTDatasetV1 strided(ids, 4, 4);
    DataLoader loader8(strided, 8, false, true);
    DataLoaderIter it8 = loader8.iter();
    REQUIRE(it8.next(batch));  // batch_size=8, max_length=4, stride=4: the book's Inputs/Targets
    CHECK(batch.input.shape() == Shape{8, 4});
    CHECK(ids_of(batch.input) == std::vector<int64_t>{40,   367,  2885, 1464, 1807, 3619, 402,  271,
                                                      10899, 2138, 257,  7026, 15632, 438, 2016, 257,
                                                      922,  5891, 1576, 438,  568,  340,  373,  645,
                                                      1049, 5975, 284,  502,  284,  3285, 326,  11});
    CHECK(ids_of(batch.target) == std::vector<int64_t>{367,  2885, 1464, 1807, 3619, 402,  271,  10899,
                                                       2138, 257,  7026, 15632, 438, 2016, 257,  922,
                                                       5891, 1576, 438,  568,  340,  373,  645,  1049,
                                                       5975, 284,  502,  284,  3285, 326,  11,   287});
}

TEST_CASE("2.7 Embedding(6, 3) with seed 123 and lookups", "[ch02]") {
    manual_seed(123);
    Embedding embedding_layer(6, 3);
    // book 2.7: the weight, and the lookup of id 3
    std::vector<float> book = {0.3374f,  -0.1778f, -0.1690f, 0.9178f,  1.5810f,  1.3010f,
                               1.2753f,  -0.2010f, -0.1606f, -0.4015f, 0.9666f,  -1.1481f,
                               -1.1589f, 0.3255f,  -0.6315f, -2.8400f, -0.7849f, -1.4096f};
    for (size_t i = 0; i < book.size(); i++) CHECK(embedding_layer.weight.data()[i] == Approx(book[i]).margin(5.1e-5));
    Tensor row = embedding_layer.forward(tensor_int64({3}));
    CHECK(row.shape() == Shape{1, 3});
    CHECK(row.str() == "tensor([[-0.4015,  0.9666, -1.1481]], grad_fn=<EmbeddingBackward0>)");
    Tensor rows = embedding_layer.forward(tensor_int64({2, 3, 5, 1}));  // rows 2, 3, 5, 1
    CHECK(rows.values()[0] == embedding_layer.weight.data()[6]);
    CHECK(rows.values()[9] == embedding_layer.weight.data()[3]);
}

TEST_CASE("2.8 token plus position embeddings shapes", "[ch02]") {
    Embedding token_embedding_layer(50257, 256), pos_embedding_layer(4, 256);
    Tensor inputs = zeros({8, 4}).to_int64();
    Tensor token_embeddings = token_embedding_layer.forward(inputs);
    Tensor pos_embeddings = pos_embedding_layer.forward(arange(4));
    CHECK(token_embeddings.shape_str() == "torch.Size([8, 4, 256])");
    CHECK(pos_embeddings.shape_str() == "torch.Size([4, 256])");
    CHECK((token_embeddings + pos_embeddings).shape_str() == "torch.Size([8, 4, 256])");
}
