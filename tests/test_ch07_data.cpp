// Chapter 7's data against the book (ch07.ipynb, sections 7.2-7.4): the instruction data,
// the Alpaca prompt, the split, the collate functions on the book's toy batch, the loss
// with ignore_index and the shapes of the training loader's batches. The file tests need
// instruction-data.json (and GPT-2's tokenizer files) in data/ or ../shared/data/.
#include "catch_compat.h"
#include "data_files.h"

#include "ops/ops.h"
#include "random/random.h"
#include "text/instruction_data.h"

using namespace llm;

namespace {

const char* kInstructionFile = "instruction-data.json";

std::vector<int64_t> ids_of(const Tensor& t) {
    std::vector<int64_t> ids;
    for (float v : t.values()) ids.push_back(static_cast<int64_t>(v));
    return ids;
}

// The book's toy batch of 7.3: inputs_1, inputs_2, inputs_3.
const std::vector<std::vector<int64_t>> kToyBatch = {{0, 1, 2, 3, 4}, {5, 6}, {7, 8, 9}};

}  // namespace

TEST_CASE("7.2 the instruction data, format_input and the split", "[ch07]") {
    std::string path = find_data_file(kInstructionFile);
    if (path.empty()) return skip_test(missing_data_message(kInstructionFile));
    std::vector<InstructionEntry> data = load_instruction_data(path);
    CHECK(data.size() == 1100);  // "Number of entries: 1100"
    CHECK(data[50].instruction == "Identify the correct spelling of the following word.");
    CHECK(data[50].input == "Ocassion");
    CHECK(data[50].output == "The correct spelling is 'Occasion.'");
    CHECK(data[999].input.empty());
    // print(model_input + desired_response) for data[50] and data[999]
    CHECK(format_input(data[50]) + format_response(data[50]) ==
          "Below is an instruction that describes a task. Write a response that appropriately completes the request."
          "\n\n### Instruction:\nIdentify the correct spelling of the following word."
          "\n\n### Input:\nOcassion\n\n### Response:\nThe correct spelling is 'Occasion.'");
    CHECK(format_input(data[999]) + format_response(data[999]) ==
          "Below is an instruction that describes a task. Write a response that appropriately completes the request."
          "\n\n### Instruction:\nWhat is an antonym of 'complicated'?"
          "\n\n### Response:\nAn antonym of 'complicated' is 'simple'.");

    InstructionSplits splits = split_instruction_data(data);
    CHECK(splits.train.size() == 935);  // "Training set length: 935"
    CHECK(splits.val.size() == 55);     // "Validation set length: 55"
    CHECK(splits.test.size() == 110);   // "Test set length: 110"
    // 7.5 prints format_input(val_data[0])
    CHECK(splits.val[0].instruction == "Convert the active sentence to passive: 'The chef cooks the meal every day.'");
    CHECK(splits.test[0].instruction == data[935].instruction);
}

TEST_CASE("load_instruction_data: bad files are named", "[ch07]") {
    CHECK_THROWS_WITH(load_instruction_data("no/such/instruction-data.json"),
                      Catch::Matchers::Contains("no/such/instruction-data.json"));
}

TEST_CASE("7.3 the collate drafts and custom_collate_fn on the toy batch", "[ch07]") {
    const char* inputs =
        "tensor([[    0,     1,     2,     3,     4],\n"
        "        [    5,     6, 50256, 50256, 50256],\n"
        "        [    7,     8,     9, 50256, 50256]])";
    CHECK(custom_collate_draft_1(kToyBatch).str() == inputs);
    Batch draft_2 = custom_collate_draft_2(kToyBatch);
    CHECK(draft_2.input.str() == inputs);
    CHECK(draft_2.target.str() ==
          "tensor([[    1,     2,     3,     4, 50256],\n"
          "        [    6, 50256, 50256, 50256, 50256],\n"
          "        [    8,     9, 50256, 50256, 50256]])");
    Batch batch = custom_collate_fn(kToyBatch);
    CHECK(batch.input.str() == inputs);
    CHECK(batch.target.str() ==
          "tensor([[    1,     2,     3,     4, 50256],\n"
          "        [    6, 50256,  -100,  -100,  -100],\n"
          "        [    8,     9, 50256,  -100,  -100]])");
    Batch cut = custom_collate_fn(kToyBatch, 50256, -100, 3);  // allowed_max_length=3
    CHECK(cut.input.shape() == Shape{3, 3});
    CHECK(ids_of(cut.target) == std::vector<int64_t>{1, 2, 3, 6, 50256, -100, 8, 9, 50256});
    CHECK(custom_collate_fn(kToyBatch, 50256, -100, 1024).target.shape() == Shape{3, 5});
    CHECK_THROWS_WITH(custom_collate_fn({}), Catch::Matchers::Contains("the batch is empty"));
}

TEST_CASE("7.3 cross-entropy skips the targets that are -100", "[ch07]") {
    Tensor logits_1 = tensor({{-1.0f, 1.0f}, {-0.5f, 1.5f}});
    Tensor loss_1 = cross_entropy(logits_1, tensor_int64({0, 1}));
    CHECK(loss_1.str() == "tensor(1.1269)");
    Tensor logits_2 = tensor({{-1.0f, 1.0f}, {-0.5f, 1.5f}, {-0.5f, 1.5f}});
    CHECK(cross_entropy(logits_2, tensor_int64({0, 1, 1})).str() == "tensor(0.7936)");
    Tensor loss_3 = cross_entropy(logits_2, tensor_int64({0, 1, -100}));
    CHECK(loss_3.str() == "tensor(1.1269)");
    CHECK(eq(loss_1, loss_3).str() == "tensor(True)");  // "loss_1 == loss_3: tensor(True)"
}

TEST_CASE("7.4 the training loader's batch shapes", "[ch07]") {
    std::string path = find_data_file(kInstructionFile);
    std::string enc = find_data_file("gpt2/encoder.json"), bpe = find_data_file("gpt2/vocab.bpe");
    if (path.empty() || enc.empty() || bpe.empty())
        return skip_test("needs instruction-data.json and gpt2/encoder.json + vocab.bpe in data/ or ../shared/data/");
    BpeTokenizer tokenizer = BpeTokenizer::load_gpt2(enc, bpe);
    InstructionSplits splits = split_instruction_data(load_instruction_data(path));
    manual_seed(123);
    InstructionDataset train_dataset(splits.train, tokenizer, {.allowed_max_length = 1024});
    DataLoader train_loader(train_dataset, 8, true, true);
    // print(inputs.shape, targets.shape) for every batch: torch.Size([8, T]) with these T
    const std::vector<int64_t> book = {
        61, 76, 73, 68, 65, 72, 80, 67, 62, 75, 62, 68, 67, 77, 69, 79, 71, 66, 83, 68, 80, 71, 69, 65,
        68, 60, 59, 69, 63, 65, 76, 66, 71, 91, 65, 64, 67, 66, 64, 65, 75, 89, 59, 88, 83, 83, 70, 65,
        74, 76, 67, 75, 83, 69, 67, 60, 60, 66, 80, 71, 61, 58, 71, 67, 68, 63, 87, 68, 64, 68, 71, 68,
        71, 61, 65, 67, 65, 64, 60, 72, 64, 70, 57, 72, 64, 68, 62, 74, 80, 68, 70, 91, 61, 66, 80, 81,
        74, 82, 63, 83, 68, 67, 77, 91, 64, 61, 75, 64, 66, 78, 66, 64, 83, 66, 74, 69};
    std::vector<int64_t> lengths;
    Batch batch;
    for (DataLoaderIter it = train_loader.iter(); it.next(batch);) {
        REQUIRE(batch.input.shape() == batch.target.shape());
        REQUIRE(batch.input.shape()[0] == 8);
        lengths.push_back(batch.input.shape()[1]);
    }
    CHECK(lengths == book);
    CHECK(batch.input.shape_str() == "torch.Size([8, 69])");
    // print(inputs[0]) and print(targets[0]) of the last batch
    std::vector<int64_t> text = {21106, 318,   281,   12064, 326,   8477,  257,   4876,  13,    19430, 257,   2882,
                                 326,   20431, 32543, 262,   2581,  13,    198,   198,   21017, 46486, 25,    198,
                                 30003, 6525,  262,   6827,  1262,  257,   985,   576,   13,    198,   198,   21017,
                                 23412, 25,    198,   464,   5156,  318,   845,   13779, 13,    198,   198,   21017,
                                 18261, 25,    198,   464,   5156,  318,   355,   13779, 355,   257,   4936,  13};
    std::vector<int64_t> input0 = text, target0(text.begin() + 1, text.end());
    input0.resize(69, 50256);
    target0.push_back(50256);
    target0.resize(69, -100);
    std::vector<int64_t> all_inputs = ids_of(batch.input), all_targets = ids_of(batch.target);
    CHECK(std::vector<int64_t>(all_inputs.begin(), all_inputs.begin() + 69) == input0);
    CHECK(std::vector<int64_t>(all_targets.begin(), all_targets.begin() + 69) == target0);
}
