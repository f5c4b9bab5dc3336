// The instruction data of chapter 7 (book sections 7.2-7.4); see instruction_data.h.
#include "text/instruction_data.h"

#include "io/files.h"
#include "io/json.h"

#include <algorithm>

namespace llm {

// entry[key] of entry number i, which must be a string.
static std::string string_member(const JsonValue& entry, const std::string& key, size_t i, const std::string& path) {
    const JsonValue* value = entry.find(key);
    if (value == nullptr || !value->is_string())
        throw Error("'" + path + "': entry " + std::to_string(i) + " has no string \"" + key +
                    "\" (expected the members \"instruction\", \"input\" and \"output\")");
    return value->as_string();
}

std::vector<InstructionEntry> load_instruction_data(const std::string& path) {
    return parse_instruction_data(read_file(path), path);
}

std::vector<InstructionEntry> parse_instruction_data(const std::string& text, const std::string& path) {
    JsonValue doc = parse_json(text, path);
    if (!doc.is_array())
        throw Error("'" + path + "' holds a JSON " + doc.kind_name() + " (expected an array of instruction entries)");
    std::vector<InstructionEntry> data;
    const std::vector<JsonValue>& items = doc.as_array();
    for (size_t i = 0; i < items.size(); i++) {
        if (!items[i].is_object())
            throw Error("'" + path + "': entry " + std::to_string(i) + " is a JSON " + items[i].kind_name() +
                        " (expected an object)");
        data.push_back({string_member(items[i], "instruction", i, path), string_member(items[i], "input", i, path),
                        string_member(items[i], "output", i, path)});
    }
    return data;
}

std::string format_input(const InstructionEntry& entry) {
    std::string instruction_text =
        "Below is an instruction that describes a task. "
        "Write a response that appropriately completes the request."
        "\n\n### Instruction:\n" +
        entry.instruction;
    std::string input_text = entry.input.empty() ? "" : "\n\n### Input:\n" + entry.input;
    return instruction_text + input_text;
}

std::string format_response(const InstructionEntry& entry) { return "\n\n### Response:\n" + entry.output; }

InstructionSplits split_instruction_data(const std::vector<InstructionEntry>& data) {
    double n = static_cast<double>(data.size());
    auto train_portion = static_cast<std::ptrdiff_t>(n * 0.85);  // int() truncates
    auto test_portion = static_cast<std::ptrdiff_t>(n * 0.1);
    auto test_begin = data.begin() + train_portion, val_begin = test_begin + test_portion;
    return InstructionSplits{{data.begin(), test_begin}, {test_begin, val_begin}, {val_begin, data.end()}};
}

// Every item with one pad id appended, then padded with pad ids to the longest item + 1.
static std::vector<std::vector<int64_t>> padded_items(const std::vector<std::vector<int64_t>>& batch,
                                                      int64_t pad_token_id, const char* caller) {
    if (batch.empty()) throw Error(std::string(caller) + ": the batch is empty (expected at least one item)");
    size_t batch_max_length = 0;
    for (const std::vector<int64_t>& item : batch) batch_max_length = std::max(batch_max_length, item.size() + 1);
    std::vector<std::vector<int64_t>> rows;
    for (const std::vector<int64_t>& item : batch) {
        rows.push_back(item);
        rows.back().resize(batch_max_length, pad_token_id);  // the <|endoftext|> and the padding
    }
    return rows;
}

// Rows of equal length as one int64 (B, T) tensor.
static Tensor stack_rows(const std::vector<std::vector<int64_t>>& rows) {
    std::vector<int64_t> values;
    for (const std::vector<int64_t>& row : rows) values.insert(values.end(), row.begin(), row.end());
    return tensor_int64(values, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())});
}

Tensor custom_collate_draft_1(const std::vector<std::vector<int64_t>>& batch, int64_t pad_token_id) {
    std::vector<std::vector<int64_t>> rows = padded_items(batch, pad_token_id, "custom_collate_draft_1");
    for (std::vector<int64_t>& row : rows) row.pop_back();  // padded[:-1]
    return stack_rows(rows);
}

Batch custom_collate_draft_2(const std::vector<std::vector<int64_t>>& batch, int64_t pad_token_id) {
    std::vector<std::vector<int64_t>> inputs = padded_items(batch, pad_token_id, "custom_collate_draft_2");
    std::vector<std::vector<int64_t>> targets;
    for (std::vector<int64_t>& row : inputs) {
        targets.emplace_back(row.begin() + 1, row.end());  // padded[1:]
        row.pop_back();                                    // padded[:-1]
    }
    return Batch{stack_rows(inputs), stack_rows(targets)};
}

Batch custom_collate_fn(const std::vector<std::vector<int64_t>>& batch, int64_t pad_token_id, int64_t ignore_index,
                        std::optional<int64_t> allowed_max_length) {
    if (allowed_max_length && *allowed_max_length <= 0)
        throw Error("custom_collate_fn: allowed_max_length must be positive, got " +
                    std::to_string(*allowed_max_length));
    std::vector<std::vector<int64_t>> inputs = padded_items(batch, pad_token_id, "custom_collate_fn");
    std::vector<std::vector<int64_t>> targets;
    for (std::vector<int64_t>& row : inputs) {
        std::vector<int64_t> target(row.begin() + 1, row.end());
        row.pop_back();
        bool first_pad_seen = false;  // keep the first pad id (the end of the text), mask the others
        for (int64_t& id : target) {
            if (id != pad_token_id) continue;
            if (first_pad_seen) id = ignore_index;
            first_pad_seen = true;
        }
        if (allowed_max_length && static_cast<int64_t>(row.size()) > *allowed_max_length) {
            row.resize(static_cast<size_t>(*allowed_max_length));
            target.resize(static_cast<size_t>(*allowed_max_length));
        }
        targets.push_back(std::move(target));
    }
    return Batch{stack_rows(inputs), stack_rows(targets)};
}

InstructionDataset::InstructionDataset(const std::vector<InstructionEntry>& data, const BpeTokenizer& tokenizer,
                                       CollateOptions collate_options)
    : options_(collate_options) {
    for (const InstructionEntry& entry : data)
        encoded_texts_.push_back(tokenizer.encode(format_input(entry) + format_response(entry)));
}

Batch InstructionDataset::collate(const std::vector<int64_t>& indices) const {
    std::vector<std::vector<int64_t>> items;
    for (int64_t i : indices) items.push_back(encoded_texts_.at(static_cast<size_t>(i)));
    return custom_collate_fn(items, options_.pad_token_id, options_.ignore_index, options_.allowed_max_length);
}

}  // namespace llm
