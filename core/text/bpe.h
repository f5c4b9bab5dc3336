// Byte-level BPE, the tokenizer of GPT-2 (book section 2.5, where it is tiktoken).
//
// Encoding text takes three steps:
//   1. the special token "<|endoftext|>" is cut out of the text first (it gets id 50256);
//   2. each remaining stretch is pre-tokenised into "words" by GPT-2's pattern
//        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//      (a word keeps its leading space: "Hello world" -> "Hello", " world");
//   3. each word starts as its bytes, one token per byte, and adjacent tokens are merged
//      again and again: always the pair whose merged bytes are the token with the lowest
//      id (the earliest learned merge), leftmost first, until no pair is a token.
// That is exactly what tiktoken does, so the ids are tiktoken's, for any input bytes.
//
// GPT-2's files show bytes as printable characters (bytes_to_unicode in GPT-2's
// encoder.py): the space byte is "Ġ", newline is "Ċ", so " the" is written "Ġthe".
//
//   BpeTokenizer gpt2 = BpeTokenizer::load_gpt2("data/gpt2/encoder.json", "data/gpt2/vocab.bpe");
//   std::vector<int64_t> ids = gpt2.encode("Hello, world");   // 15496, 11, 995
//   std::string text = gpt2.decode(ids);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llm {

// Step 2 alone: GPT-2's pre-tokenisation of `text` (no special-token handling).
// Concatenating the pieces gives back `text`. Invalid UTF-8 bytes count as single
// characters that are neither letters, numbers nor space.
std::vector<std::string> gpt2_pretokenize(const std::string& text);

// GPT-2's printable spelling of bytes ("Ġthe" for " the"), and back; the way back is
// empty when `text` has a character that is not in GPT-2's table.
std::string gpt2_bytes_to_unicode(const std::string& bytes);
std::optional<std::string> gpt2_unicode_to_bytes(const std::string& text);

// The byte that GPT-2 gives token id `id` (0..255): printable bytes first ('!' is 0),
// then the others (0x00, 0x01, ..., ' ' is 220).
unsigned char gpt2_byte_of_id(int id);

class BpeTokenizer {
public:
    // GPT-2's encoder.json (token -> id) and vocab.bpe (the merges, in order).
    // Throws llm::Error naming the file and what was expected when a file is bad.
    static BpeTokenizer load_gpt2(const std::string& encoder_json_path,
                                  const std::string& vocab_bpe_path);
    // Same format, any vocabulary (e.g. one written by save()); must contain "<|endoftext|>".
    static BpeTokenizer load(const std::string& encoder_json_path,
                             const std::string& vocab_bpe_path);
    // The same on the two files' text; the paths are only used in messages.
    static BpeTokenizer parse(const std::string& encoder_json, const std::string& vocab_bpe,
                              const std::string& encoder_json_path, const std::string& vocab_bpe_path);

    // Learn vocab_size - 257 merges from `text`: ids 0..255 are the bytes (in GPT-2's
    // order), then one id per merge, and "<|endoftext|>" is the last id. See text/bpe_train.cpp.
    static BpeTokenizer train(const std::string& text, int64_t vocab_size);
    // Write encoder.json and vocab.bpe (each atomically) in GPT-2's format.
    void save(const std::string& encoder_json_path, const std::string& vocab_bpe_path) const;

    // "<|endoftext|>" in the text becomes eot_id() (tiktoken's allowed_special={"<|endoftext|>"}).
    std::vector<int64_t> encode(const std::string& text) const;
    // The tokens' bytes, concatenated. Throws llm::Error naming an id out of range.
    std::string decode(const std::vector<int64_t>& ids) const;
    std::string token_bytes(int64_t id) const;  // the bytes of one token
    int64_t vocab_size() const { return static_cast<int64_t>(tokens_.size()); }
    int64_t eot_id() const { return eot_id_; }

    struct Merge {
        int32_t left, right, result;  // token ids: left + right -> result
    };
    const std::vector<Merge>& merges() const { return merges_; }  // in vocab.bpe order

private:
    // Hash of a string that also hashes string_views, so a piece of the text can be
    // looked up without copying it into a std::string first.
    struct BytesHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using RankMap = std::unordered_map<std::string, int32_t, BytesHash, std::equal_to<>>;

    BpeTokenizer() = default;
    // Fill rank_of_ from tokens_ (everything but the special token); checks every byte.
    void build_ranks(const std::string& source_name);
    void encode_ordinary(const std::string& text, size_t begin, size_t end,
                         std::vector<int64_t>& ids,
                         std::unordered_map<std::string, std::vector<int32_t>>& cache) const;
    void byte_pair_merge(std::string_view word, std::vector<int32_t>& ids) const;
    void byte_pair_merge_long(std::string_view word, std::vector<int32_t>& ids) const;
    int32_t rank_of(std::string_view bytes) const;  // -1 when the bytes are not a token

    std::vector<std::string> tokens_;  // id -> bytes
    RankMap rank_of_;                  // bytes -> id, for all tokens but the special one
    std::vector<Merge> merges_;
    int64_t eot_id_ = -1;
};

}  // namespace llm
