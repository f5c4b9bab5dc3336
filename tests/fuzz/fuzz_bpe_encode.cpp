// Fuzz target: encoding and decoding arbitrary bytes with GPT-2's tokenizer (text/bpe.h).
//
// Feeds: any bytes as text to gpt2_pretokenize and BpeTokenizer::encode; and the same bytes
// read as token ids (2 bytes each, so some are past the vocabulary) to decode. The
// tokenizer is GPT-2's when LLM_FUZZ_GPT2_DIR names a folder with encoder.json and
// vocab.bpe (`make fuzz` sets it to ../shared/data/gpt2 when that exists), else a small
// one trained at start-up.
// Checks: no crash, no sanitizer report; the pre-tokenised pieces are non-empty and
// concatenate to the text; every id is in the vocabulary and decode(encode(text)) == text;
// decode of ids out of range throws llm::Error and nothing else.
#include "fuzz_common.h"

#include "base/error.h"
#include "text/bpe.h"

#include <cstdlib>

namespace {

llm::BpeTokenizer make_tokenizer() {
    const char* dir = std::getenv("LLM_FUZZ_GPT2_DIR");
    if (dir && *dir) {
        std::fprintf(stderr, "fuzz_bpe_encode: GPT-2's tokenizer from %s\n", dir);
        return llm::BpeTokenizer::load_gpt2(std::string(dir) + "/encoder.json", std::string(dir) + "/vocab.bpe");
    }
    std::fprintf(stderr, "fuzz_bpe_encode: LLM_FUZZ_GPT2_DIR not set, using a small trained tokenizer\n");
    return llm::BpeTokenizer::train("One day, a little girl named Lily found a needle in her room. 123 4567 ...!!", 400);
}

void check_pretokenize(const std::string& text) {
    std::string joined;
    for (const std::string& piece : llm::gpt2_pretokenize(text)) {
        check(!piece.empty(), "no pre-tokenised piece is empty");
        joined += piece;
    }
    check(joined == text, "the pre-tokenised pieces concatenate to the text");
}

void check_decode_ids(const llm::BpeTokenizer& t, const std::string& bytes) {
    std::vector<int64_t> ids;
    for (size_t i = 0; i + 1 < bytes.size(); i += 2)
        ids.push_back(static_cast<unsigned char>(bytes[i]) | static_cast<unsigned char>(bytes[i + 1]) << 8);
    bool in_range = true;
    for (int64_t id : ids) in_range = in_range && id < t.vocab_size();
    try {
        t.decode(ids);
        check(in_range, "decode accepts only ids in the vocabulary");
    } catch (const llm::Error&) {
        check(!in_range, "decode refuses only ids out of range");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const llm::BpeTokenizer tokenizer = make_tokenizer();
    std::string text = bytes_of(data, size);
    check_pretokenize(text);
    std::vector<int64_t> ids = tokenizer.encode(text);
    for (int64_t id : ids) check(id >= 0 && id < tokenizer.vocab_size(), "every id is in the vocabulary");
    check(tokenizer.decode(ids) == text, "decode(encode(text)) == text");
    check_decode_ids(tokenizer, text);
    return 0;
}
