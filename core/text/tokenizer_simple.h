// Chapter 2's word-level tokenizers (book section 2.3 and 2.4).
//
// The book splits text with Python's  re.split(r'([,.:;?_!"()\']|--|\s)', text)
// then strips the pieces and drops the empty ones. split_words() does the same by
// hand: punctuation marks and "--" become tokens of their own, white space separates
// tokens and disappears.
//
//   std::vector<std::string> tokens = split_words(read_file("the-verdict.txt"));
//   Vocabulary vocab = build_vocabulary(tokens, {"<|endoftext|>", "<|unk|>"});
//   SimpleTokenizerV2 tokenizer(vocab);
//   std::vector<int64_t> ids = tokenizer.encode("Hello, do you like tea?");
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace llm {

// Token -> id (the book's `vocab` dict, `str_to_int`).
using Vocabulary = std::map<std::string, int64_t>;

// The book's preprocessing: [item.strip() for item in re.split(pattern, text) if item.strip()]
std::vector<std::string> split_words(const std::string& text);

// sorted(set(tokens)) numbered from 0, then `extra_tokens` appended in order (as the
// book does with "<|endoftext|>" and "<|unk|>"). Sorting compares bytes, which for UTF-8
// is the same order as Python's comparison of code points.
Vocabulary build_vocabulary(const std::vector<std::string>& tokens,
                            const std::vector<std::string>& extra_tokens = {});

// SimpleTokenizerV1 (listing 2.3): a token not in the vocabulary is an error, like
// Python's KeyError: 'Hello'.
class SimpleTokenizerV1 {
public:
    explicit SimpleTokenizerV1(Vocabulary vocab);
    std::vector<int64_t> encode(const std::string& text) const;
    std::string decode(const std::vector<int64_t>& ids) const;

private:
    Vocabulary str_to_int_;
    std::map<int64_t, std::string> int_to_str_;
};

// SimpleTokenizerV2 (listing 2.4): unknown words become "<|unk|>", which the vocabulary
// must contain; decode also removes the space before ':' and ';'.
class SimpleTokenizerV2 {
public:
    explicit SimpleTokenizerV2(Vocabulary vocab);
    std::vector<int64_t> encode(const std::string& text) const;
    std::string decode(const std::vector<int64_t>& ids) const;

private:
    Vocabulary str_to_int_;
    std::map<int64_t, std::string> int_to_str_;
    int64_t unk_id_;
};

}  // namespace llm
