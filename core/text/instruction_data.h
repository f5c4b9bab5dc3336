// Chapter 7's data (sections 7.2-7.4): the instruction data set, the Alpaca-style prompt,
// the 85/10/5 split, InstructionDataset and the book's collate functions.
//
//   std::vector<InstructionEntry> data = load_instruction_data("instruction-data.json");  // 1,100
//   InstructionSplits splits = split_instruction_data(data);   // 935 train, 110 test, 55 validation
//   InstructionDataset train_dataset(splits.train, tokenizer, {.allowed_max_length = 1024});
//   DataLoader train_loader(train_dataset, 8, true, true);     // batches of (8, longest + 1 - 1)
//
// The DataLoader asks the dataset to collate each batch; InstructionDataset does that with
// custom_collate_fn and the options it was given (the book's functools.partial).
#pragma once

#include "text/bpe.h"
#include "text/dataset.h"

#include <optional>
#include <string>
#include <vector>

namespace llm {

struct InstructionEntry {
    std::string instruction, input, output;  // "input" may be empty
    std::optional<std::string> model_response = std::nullopt;  // 7.7 adds it to the test data
};

// json.load of the file: an array of objects, each with the string members
// "instruction", "input" and "output" (and "model_response", read when there). Throws
// naming the file and entry otherwise.
std::vector<InstructionEntry> load_instruction_data(const std::string& path);
// The same on the file's text; `path` is only used in messages.
std::vector<InstructionEntry> parse_instruction_data(const std::string& text, const std::string& path);

// json.dump(data, file, indent=4) (7.7): the entries as Python writes them, members in
// the order instruction, input, output, model_response (when set), non-ASCII as \uXXXX.
std::string format_instruction_data_json(const std::vector<InstructionEntry>& data);

// "Below is an instruction that describes a task. Write a response that appropriately
// completes the request.\n\n### Instruction:\n" + instruction, then
// "\n\n### Input:\n" + input when the input is not empty.
std::string format_input(const InstructionEntry& entry);
// The response the model learns to write: "\n\n### Response:\n" + output.
std::string format_response(const InstructionEntry& entry);

// 7.5: the model's answer in its generated text, as the book extracts it:
// generated_text[len(input_text):].replace("### Response:", "").strip(), where the
// slice counts characters and strip removes what Python's str.isspace calls white space.
// Both texts valid UTF-8 (utf8_replace_errors in text/utf8.h makes decoded ids so).
std::string extract_response(const std::string& generated_text, const std::string& input_text);

struct InstructionSplits {
    std::vector<InstructionEntry> train, test, val;
};

// train_portion = int(len·0.85), test_portion = int(len·0.1), the rest validation, taken
// from the data in the order train, test, validation (no shuffling).
InstructionSplits split_instruction_data(const std::vector<InstructionEntry>& data);

// custom_collate_draft_1 (7.3): each item plus one pad id, padded to the longest + 1 with
// pad_token_id, the last position dropped. int64 (B, T), T = longest item length.
Tensor custom_collate_draft_1(const std::vector<std::vector<int64_t>>& batch, int64_t pad_token_id = 50256);
// custom_collate_draft_2 (7.3): the same padded rows; input = row[:-1], target = row[1:].
Batch custom_collate_draft_2(const std::vector<std::vector<int64_t>>& batch, int64_t pad_token_id = 50256);
// custom_collate_fn (7.3): draft 2, then in every target row each pad_token_id after the
// first becomes ignore_index (so the loss sees one end-of-text and skips the padding),
// then input and target are cut to allowed_max_length when one is given.
// input and target int64 (B, T), T = min(longest item length, allowed_max_length).
Batch custom_collate_fn(const std::vector<std::vector<int64_t>>& batch, int64_t pad_token_id = 50256,
                        int64_t ignore_index = -100, std::optional<int64_t> allowed_max_length = std::nullopt);

// The arguments InstructionDataset passes to custom_collate_fn.
struct CollateOptions {
    int64_t pad_token_id = 50256;
    int64_t ignore_index = -100;
    std::optional<int64_t> allowed_max_length = std::nullopt;  // the book's loaders use 1024
};

// InstructionDataset (7.3): every entry pre-tokenized as format_input + format_response.
class InstructionDataset : public Dataset {
public:
    InstructionDataset(const std::vector<InstructionEntry>& data, const BpeTokenizer& tokenizer,
                       CollateOptions collate_options = {});
    int64_t size() const override { return static_cast<int64_t>(encoded_texts_.size()); }  // len(dataset)
    const std::vector<std::vector<int64_t>>& encoded_texts() const { return encoded_texts_; }
    // custom_collate_fn of the items: input and target int64 (B, T), T per batch.
    Batch collate(const std::vector<int64_t>& indices) const override;

private:
    std::vector<std::vector<int64_t>> encoded_texts_;
    CollateOptions options_;
};

}  // namespace llm
