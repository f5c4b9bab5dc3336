// Fuzz target: loading a byte-level BPE tokenizer from GPT-2's two files (text/bpe.h).
//
// Feeds: any bytes, cut at the first NUL byte: the part before it as encoder.json, the
// rest as vocab.bpe, to BpeTokenizer::parse (what load and load_gpt2 do after reading
// the files). Seeds: a small tokenizer trained and saved by write_seeds, and GPT-2's own.
// Checks: no crash, no sanitizer report, only llm::Error for bad input; a tokenizer that
// loads encodes any text (a fixed one, and the input itself) to ids in range that decode
// back to the text, "<|endoftext|>" becomes eot_id(), and every merge's result is the
// concatenation of its two tokens.
#include "fuzz_common.h"

#include "base/error.h"
#include "text/bpe.h"

namespace {

void check_encodes(const llm::BpeTokenizer& t, const std::string& text) {
    std::vector<int64_t> ids = t.encode(text);
    for (int64_t id : ids) check(id >= 0 && id < t.vocab_size(), "every id is in the vocabulary");
    check(t.decode(ids) == text, "decode(encode(text)) == text");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input = bytes_of(data, size);
    size_t nul = input.find('\0');
    std::string encoder_json = input.substr(0, nul);
    std::string vocab_bpe = nul == std::string::npos ? "" : input.substr(nul + 1);
    try {
        llm::BpeTokenizer t = llm::BpeTokenizer::parse(encoder_json, vocab_bpe, "encoder.json", "vocab.bpe");
        check_encodes(t, "Hello, world! It's 2024 \xC3\xA9t\xC3\xA9 <|endoftext|> the end\n");
        check_encodes(t, vocab_bpe);
        check(t.encode("<|endoftext|>") == std::vector<int64_t>{t.eot_id()}, "<|endoftext|> is eot_id()");
        for (const llm::BpeTokenizer::Merge& m : t.merges())
            check(t.token_bytes(m.result) == t.token_bytes(m.left) + t.token_bytes(m.right),
                  "a merge makes the concatenation of its two tokens");
    } catch (const llm::Error&) {
        return 0;  // refused with a message
    }
    return 0;
}
