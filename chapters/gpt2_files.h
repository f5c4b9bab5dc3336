// Finding the optional files the chapter programs use: GPT-2's vocabulary
// (encoder.json + vocab.bpe) and the book's short story, the-verdict.txt.
// None of them ships with the project; when one is missing the program says what
// to download and where to put it, and runs the parts that need nothing.
#pragma once

#include "cli/flags.h"
#include "tensor/tensor.h"
#include "text/bpe.h"

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace chapter {

inline const char* kGpt2Urls =
    "  https://openaipublic.blob.core.windows.net/gpt-2/models/124M/encoder.json\n"
    "  https://openaipublic.blob.core.windows.net/gpt-2/models/124M/vocab.bpe\n";
inline const char* kVerdictUrl =
    "  https://raw.githubusercontent.com/rasbt/LLMs-from-scratch/main/ch02/01_main-chapter-code/the-verdict.txt\n";

// The folder holding encoder.json and vocab.bpe (the --gpt2-dir flag, default data/gpt2),
// when both are there; otherwise a message saying what to download.
inline std::optional<std::string> find_gpt2_folder(const std::string& folder) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(folder + "/encoder.json", ec) &&
        std::filesystem::is_regular_file(folder + "/vocab.bpe", ec))
        return folder;
    std::cout << "GPT-2's vocabulary was not found in " << folder << ".\n"
              << "Download these two files into data/gpt2/ (or pass their folder with --gpt2-dir DIR):\n"
              << kGpt2Urls << "Meanwhile the parts that need them show the book's token ids.\n";
    return std::nullopt;
}

// the-verdict.txt (the --verdict flag, default data/the-verdict.txt) when it is there;
// otherwise a message saying where to download it.
inline std::optional<std::string> find_verdict(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
    std::cout << "The book's text was not found at " << path << ".\n"
              << "Download it into data/ (or pass its path with --verdict FILE):\n" << kVerdictUrl
              << "Meanwhile the sections that need it are skipped.\n";
    return std::nullopt;
}

// The two flags of the programs that read the book's files.
struct BookFileFlags {
    std::string verdict = "data/the-verdict.txt", gpt2_dir = "data/gpt2";
    void add_to(llm::FlagParser& flags) {
        flags.add_string("--verdict", &verdict, "the book's short story  [data/the-verdict.txt]");
        flags.add_string("--gpt2-dir", &gpt2_dir, "folder with GPT-2's encoder.json and vocab.bpe  [data/gpt2]");
    }
};

// GPT-2's tokenizer when its files are there; otherwise the book's ids stand in.
class Gpt2Vocabulary {
public:
    explicit Gpt2Vocabulary(const std::string& folder_arg) {
        if (std::optional<std::string> folder = find_gpt2_folder(folder_arg))
            tokenizer_.emplace(llm::BpeTokenizer::load_gpt2(*folder + "/encoder.json", *folder + "/vocab.bpe"));
    }
    bool loaded() const { return tokenizer_.has_value(); }
    const llm::BpeTokenizer& tokenizer() const { return *tokenizer_; }

    // tiktoken's encode, or `book_ids` (what the book prints for this text) without the files.
    std::vector<int64_t> encode(const std::string& text, const std::vector<int64_t>& book_ids) const {
        return tokenizer_ ? tokenizer_->encode(text) : book_ids;
    }
    // The text of a 1-D tensor of ids, or the ids themselves without the files.
    std::string decode(const llm::Tensor& ids) const {
        std::vector<int64_t> list;
        for (int64_t i = 0; i < ids.numel(); i++) list.push_back(static_cast<int64_t>(ids.data()[i]));
        if (tokenizer_) return tokenizer_->decode(list);
        std::string s = "(no vocabulary to decode with) ids:";
        for (int64_t id : list) s.append(" ").append(std::to_string(id));
        return s;
    }

private:
    std::optional<llm::BpeTokenizer> tokenizer_;
};

}  // namespace chapter
