// The instruction data of chapter 7 (book sections 7.2-7.4); see instruction_data.h.
#include "text/instruction_data.h"

#include "io/files.h"
#include "io/json.h"
#include "io/json_write.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

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
        if (items[i].find("model_response") != nullptr)
            data.back().model_response = string_member(items[i], "model_response", i, path);
    }
    return data;
}

std::string format_instruction_data_json(const std::vector<InstructionEntry>& data) {
    std::vector<JsonValue> items;
    for (const InstructionEntry& entry : data) {
        std::vector<JsonValue::Member> members = {{"instruction", JsonValue::make_string(entry.instruction)},
                                                  {"input", JsonValue::make_string(entry.input)},
                                                  {"output", JsonValue::make_string(entry.output)}};
        if (entry.model_response) members.emplace_back("model_response", JsonValue::make_string(*entry.model_response));
        items.push_back(JsonValue::make_object(std::move(members)));
    }
    return format_json(JsonValue::make_array(std::move(items)), 4);
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

// The length in bytes of the first `characters` characters of UTF-8 `text` (all of it when shorter).
static size_t character_prefix_bytes(const std::string& text, size_t characters) {
    size_t pos = 0;
    for (size_t seen = 0; pos < text.size(); pos++) {
        bool starts_character = (static_cast<unsigned char>(text[pos]) & 0xC0) != 0x80;
        if (starts_character && seen++ == characters) break;
    }
    return pos;
}

// Python's str.isspace for the character starting at text[pos]; its UTF-8 length in `length`.
static bool python_space_at(const std::string& text, size_t pos, size_t& length) {
    static const char* const wide[] = {"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9",
                                       "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};
    unsigned char c = static_cast<unsigned char>(text[pos]);
    length = 1;
    if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) return true;
    if (c == 0xe2 && pos + 2 < text.size() && text[pos + 1] == '\x80' &&
        static_cast<unsigned char>(text[pos + 2]) <= 0x8a) {  // U+2000 .. U+200A
        length = 3;
        return true;
    }
    for (const char* w : wide) {
        std::string_view space(w);
        if (text.compare(pos, space.size(), space) != 0) continue;
        length = space.size();
        return true;
    }
    return false;
}

std::string extract_response(const std::string& generated_text, const std::string& input_text) {
    size_t characters = 0;  // len(input_text)
    for (char c : input_text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    std::string tail = generated_text.substr(character_prefix_bytes(generated_text, characters));
    const std::string marker = "### Response:";
    std::string response;  // .replace(marker, ""): left to right, never re-reading what was joined
    size_t from = 0;
    for (size_t at = tail.find(marker); at != std::string::npos; from = at + marker.size(), at = tail.find(marker, from))
        response.append(tail, from, at - from);
    response.append(tail, from, std::string::npos);
    size_t begin = 0, length = 0;  // .strip()
    while (begin < response.size() && python_space_at(response, begin, length)) begin += length;
    size_t text_end = begin;
    for (size_t pos = begin; pos < response.size(); pos += length)
        if (!python_space_at(response, pos, length)) text_end = pos + length;
    return response.substr(begin, text_end - begin);
}

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
