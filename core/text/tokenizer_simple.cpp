// Chapter 2's word-level tokenizers, with the book's regular expressions written
// out by hand as small scanning loops.
#include "text/tokenizer_simple.h"

#include "base/error.h"
#include "text/unicode_table.h"

#include <set>

namespace llm {

namespace {

// Python's \s and str.strip() for str patterns: Unicode White_Space plus the four
// "information separators" U+001C..U+001F, which Python also counts as space.
bool is_python_space(const Utf8Char& ch) {
    if (!ch.valid) return false;
    return is_whitespace(ch.code_point) || (ch.code_point >= 0x1C && ch.code_point <= 0x1F);
}

// The one-character alternatives of the split pattern: [,.:;?_!"()\']
bool is_split_punctuation(char c) {
    switch (c) {
        case ',': case '.': case ':': case ';': case '?': case '_':
        case '!': case '"': case '(': case ')': case '\'':
            return true;
        default:
            return false;
    }
}

void push_if_not_empty(std::vector<std::string>& tokens, std::string& word) {
    if (!word.empty()) tokens.push_back(word);
    word.clear();
}

// re.sub(r'\s+(X)', r'\1', text) where X is one of `marks`: white space right before
// one of the marks is removed.
std::string remove_space_before(const std::string& text, const std::string& marks) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        Utf8Char ch = decode_utf8(text, pos);
        if (!is_python_space(ch)) {
            out.append(text, pos, ch.length);
            pos += ch.length;
            continue;
        }
        size_t run_end = pos;  // find the end of this run of white space
        while (run_end < text.size()) {
            Utf8Char next = decode_utf8(text, run_end);
            if (!is_python_space(next)) break;
            run_end += next.length;
        }
        bool before_mark = run_end < text.size() && marks.find(text[run_end]) != std::string::npos;
        if (!before_mark) out.append(text, pos, run_end - pos);
        pos = run_end;
    }
    return out;
}

// " ".join(int_to_str[i] for i in ids); an unknown id is Python's KeyError.
std::string join_tokens(const std::map<int64_t, std::string>& int_to_str,
                        const std::vector<int64_t>& ids, const char* who) {
    std::string text;
    for (size_t i = 0; i < ids.size(); i++) {
        auto it = int_to_str.find(ids[i]);
        if (it == int_to_str.end())
            throw Error(std::string(who) + ": token id " + std::to_string(ids[i]) +
                        " is not in the vocabulary (KeyError: " + std::to_string(ids[i]) + ")");
        if (i > 0) text += ' ';
        text += it->second;
    }
    return text;
}

std::map<int64_t, std::string> invert(const Vocabulary& vocab) {
    std::map<int64_t, std::string> int_to_str;
    for (const auto& [token, id] : vocab) int_to_str[id] = token;
    return int_to_str;
}

}  // namespace

// Scan the text once. Each character is either a punctuation token, the start of
// "--", white space (ends the current word), or part of the current word.
std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> tokens;
    std::string word;
    size_t pos = 0;
    while (pos < text.size()) {
        if (is_split_punctuation(text[pos])) {
            push_if_not_empty(tokens, word);
            tokens.emplace_back(1, text[pos]);
            pos += 1;
        } else if (text.compare(pos, 2, "--") == 0) {
            push_if_not_empty(tokens, word);
            tokens.emplace_back("--");
            pos += 2;
        } else {
            Utf8Char ch = decode_utf8(text, pos);
            if (is_python_space(ch)) push_if_not_empty(tokens, word);
            else word.append(text, pos, ch.length);
            pos += ch.length;
        }
    }
    push_if_not_empty(tokens, word);
    return tokens;
}

// Like the book's {token: i for i, token in enumerate(all_tokens)}: if an extra token
// is already in the set, the later position wins.
Vocabulary build_vocabulary(const std::vector<std::string>& tokens,
                            const std::vector<std::string>& extra_tokens) {
    std::set<std::string> unique(tokens.begin(), tokens.end());  // sorted by bytes
    Vocabulary vocab;
    int64_t next_id = 0;
    for (const std::string& token : unique) vocab[token] = next_id++;
    for (const std::string& token : extra_tokens) vocab[token] = next_id++;
    return vocab;
}

// --- SimpleTokenizerV1 -----------------------------------------------------------

SimpleTokenizerV1::SimpleTokenizerV1(Vocabulary vocab)
    : str_to_int_(std::move(vocab)), int_to_str_(invert(str_to_int_)) {}

std::vector<int64_t> SimpleTokenizerV1::encode(const std::string& text) const {
    std::vector<int64_t> ids;
    for (const std::string& token : split_words(text)) {
        auto it = str_to_int_.find(token);
        if (it == str_to_int_.end())
            throw Error("SimpleTokenizerV1.encode: '" + token +
                        "' is not in the vocabulary (KeyError: '" + token +
                        "'); SimpleTokenizerV2 maps unknown words to <|unk|>");
        ids.push_back(it->second);
    }
    return ids;
}

std::string SimpleTokenizerV1::decode(const std::vector<int64_t>& ids) const {
    return remove_space_before(join_tokens(int_to_str_, ids, "SimpleTokenizerV1.decode"),
                               ",.?!\"()'");
}

// --- SimpleTokenizerV2 -----------------------------------------------------------

SimpleTokenizerV2::SimpleTokenizerV2(Vocabulary vocab)
    : str_to_int_(std::move(vocab)), int_to_str_(invert(str_to_int_)), unk_id_(-1) {
    auto it = str_to_int_.find("<|unk|>");
    if (it == str_to_int_.end())
        throw Error("SimpleTokenizerV2: the vocabulary has no \"<|unk|>\" token; build it with "
                    "build_vocabulary(tokens, {\"<|endoftext|>\", \"<|unk|>\"})");
    unk_id_ = it->second;
}

std::vector<int64_t> SimpleTokenizerV2::encode(const std::string& text) const {
    std::vector<int64_t> ids;
    for (const std::string& token : split_words(text)) {
        auto it = str_to_int_.find(token);
        ids.push_back(it == str_to_int_.end() ? unk_id_ : it->second);
    }
    return ids;
}

std::string SimpleTokenizerV2::decode(const std::vector<int64_t>& ids) const {
    return remove_space_before(join_tokens(int_to_str_, ids, "SimpleTokenizerV2.decode"),
                               ",.:;?!\"()'");
}

}  // namespace llm
