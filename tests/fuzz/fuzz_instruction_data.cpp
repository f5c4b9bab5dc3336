// Fuzz target: the instruction data reader of chapter 7 (text/instruction_data.h).
//
// Feeds: any bytes, as the text of instruction-data.json, to parse_instruction_data; the
// entries it gives go through format_input/format_response, a small tokenizer and
// custom_collate_fn with the book's allowed_max_length of 1024.
// Checks: no crash, no sanitizer report, only llm::Error for bad input; the entries
// written back as JSON parse to the same entries; the prompt holds the instruction, the
// input (when there is one) and the output; the batch is (B, T) with T <= 1024.
#include "fuzz_common.h"

#include "base/error.h"
#include "io/json.h"
#include "text/instruction_data.h"

namespace {

using llm::InstructionEntry;

std::string write_entries(const std::vector<InstructionEntry>& data) {
    std::string s = "[";
    for (const InstructionEntry& e : data)
        s += std::string(s.size() > 1 ? "," : "") + "{\"instruction\":" + llm::json_quote(e.instruction) +
             ",\"input\":" + llm::json_quote(e.input) + ",\"output\":" + llm::json_quote(e.output) + "}";
    return s + "]";
}

bool same_entries(const std::vector<InstructionEntry>& a, const std::vector<InstructionEntry>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (a[i].instruction != b[i].instruction || a[i].input != b[i].input || a[i].output != b[i].output)
            return false;
    return true;
}

void check_prompts(const std::vector<InstructionEntry>& data) {
    for (const InstructionEntry& e : data) {
        std::string prompt = llm::format_input(e), response = llm::format_response(e);
        check(prompt.find(e.instruction) != std::string::npos, "the prompt holds the instruction");
        check(e.input.empty() || prompt.ends_with("\n\n### Input:\n" + e.input), "the prompt ends with the input");
        check(response == "\n\n### Response:\n" + e.output, "the response is the output after its heading");
    }
}

void check_batch(const std::vector<InstructionEntry>& data) {
    if (data.empty()) return;
    static llm::BpeTokenizer tokenizer = llm::BpeTokenizer::train("Below is an instruction. ### Response: yes", 280);
    std::vector<InstructionEntry> first(data.begin(), data.begin() + std::min<size_t>(data.size(), 8));
    llm::InstructionDataset dataset(first, tokenizer, {.allowed_max_length = 1024});
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < dataset.size(); i++) indices.push_back(i);
    llm::Batch batch = dataset.collate(indices);
    check(batch.input.dim() == 2 && batch.input.size(0) == dataset.size() && batch.input.size(1) <= 1024,
          "the inputs are (B, T) with T <= 1024");
    check(batch.target.shape() == batch.input.shape(), "the targets have the inputs' shape");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<InstructionEntry> entries;
    try {
        entries = llm::parse_instruction_data(bytes_of(data, size), "instruction-data.json");
    } catch (const llm::Error&) {
        return 0;  // refused with a message
    }
    std::vector<InstructionEntry> again;
    try {
        again = llm::parse_instruction_data(write_entries(entries), "written back");
    } catch (const llm::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        check(false, "entries written back as JSON parse again");
    }
    check(same_entries(entries, again), "parse -> write -> parse gives the same entries");
    check_prompts(entries);
    check_batch(entries);
    return 0;
}
