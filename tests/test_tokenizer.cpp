// Tests of chapter 2's tokenizers: SimpleTokenizerV1/V2 (core/text/tokenizer_simple.h) and
// byte-level BPE (core/text/bpe.h). Numbers in [ch02] tests are the book's, printed in
// chapter 2 (ch02.ipynb; the section is named at each test). Other expected
// values are either defined by GPT-2's pre-tokenisation pattern (literal pieces) or
// derived here from the loaded GPT-2 files.
#include "catch_compat.h"
#include "data_files.h"

#include "io/files.h"
#include "tensor/tensor.h"
#include "text/bpe.h"
#include "text/tokenizer_simple.h"
#include "text/unicode_table.h"

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using llm::BpeTokenizer;
using llm::gpt2_pretokenize;
using Ids = std::vector<int64_t>;
using Strings = std::vector<std::string>;

namespace {

// GPT-2's tokenizer, loaded once; nullptr when the files are not there.
const BpeTokenizer* gpt2() {
    static const BpeTokenizer* tokenizer = [] {
        std::string enc = find_data_file("gpt2/encoder.json");
        std::string bpe = find_data_file("gpt2/vocab.bpe");
        if (enc.empty() || bpe.empty()) return static_cast<BpeTokenizer*>(nullptr);
        return new BpeTokenizer(BpeTokenizer::load_gpt2(enc, bpe));
    }();
    return tokenizer;
}

bool skip_without_gpt2() {
    if (gpt2()) return false;
    skip_test(missing_data_message("gpt2/encoder.json and gpt2/vocab.bpe"));
    return true;
}

// The text of the-verdict.txt, or "" (and the test is marked skipped).
std::string read_verdict_or_skip() {
    std::string path = find_data_file("the-verdict.txt");
    if (path.empty()) {
        skip_test(missing_data_message("the-verdict.txt"));
        return "";
    }
    return llm::read_file(path);
}

std::string error_of_decode(const BpeTokenizer& t, const Ids& ids) {
    try {
        t.decode(ids);
    } catch (const llm::Error& e) {
        return e.what();
    }
    return "";
}

std::string random_bytes(std::mt19937& rng, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; i++) s += static_cast<char>(rng() & 0xFF);
    return s;
}

// A scratch directory for files written by a test.
std::string temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("llm_test_tokenizer_" + name);
    std::filesystem::create_directories(dir);
    return dir.string();
}

}  // namespace

// --- chapter 2: the simple tokenizers ------------------------------------------------

TEST_CASE("split_words: the book's split demos", "[tokenizer][ch02]") {
    // book 2.2: the r'([,.]|\s)' demo; the full pattern splits this text the same way.
    CHECK(llm::split_words("Hello, world. This, is a test.") ==
          Strings{"Hello", ",", "world", ".", "This", ",", "is", "a", "test", "."});
    // book 2.2: the full pattern r'([,.:;?_!"()\']|--|\s)'.
    CHECK(llm::split_words("Hello, world. Is this-- a test?") ==
          Strings{"Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"});
}

TEST_CASE("split_words: edge cases of the pattern", "[tokenizer]") {
    CHECK(llm::split_words("").empty());
    CHECK(llm::split_words(" \t\n ").empty());
    CHECK(llm::split_words("a---b") == Strings{"a", "--", "-b"});
    CHECK(llm::split_words("it's (\"x\")_y;z:") ==
          Strings{"it", "'", "s", "(", "\"", "x", "\"", ")", "_", "y", ";", "z", ":"});
    CHECK(llm::split_words("caf\xC3\xA9\xC2\xA0na\xC3\xAFve") ==  // NBSP is white space
          Strings{"caf\xC3\xA9", "na\xC3\xAFve"});
}

TEST_CASE("the-verdict: preprocessing and vocabulary", "[tokenizer][ch02]") {
    std::string raw = read_verdict_or_skip();
    if (raw.empty()) return;
    CHECK(raw.size() == 20479);  // book 2.2: "Total number of character: 20479" (ASCII)
    Strings tokens = llm::split_words(raw);
    CHECK(tokens.size() == 4690);  // book 2.2
    Strings first30{"I", "HAD", "always", "thought", "Jack", "Gisburn", "rather", "a", "cheap",
                    "genius", "--", "though", "a", "good", "fellow", "enough", "--", "so", "it",
                    "was", "no", "great", "surprise", "to", "me", "to", "hear", "that", ",", "in"};
    CHECK(Strings(tokens.begin(), tokens.begin() + 30) == first30);  // book 2.2

    llm::Vocabulary vocab = llm::build_vocabulary(tokens);
    CHECK(vocab.size() == 1130);  // book 2.3
    CHECK(vocab.at("!") == 0);
    CHECK(vocab.at("\"") == 1);
    CHECK(vocab.at("'") == 2);
    CHECK(vocab.at("--") == 6);
    CHECK(vocab.at("?") == 10);
    CHECK(vocab.at("A") == 11);
    CHECK(vocab.at("Ah") == 12);
    CHECK(vocab.at("HAD") == 44);
    CHECK(vocab.at("Had") == 45);
    CHECK(vocab.at("Hermia") == 50);

    llm::Vocabulary v2 = llm::build_vocabulary(tokens, {"<|endoftext|>", "<|unk|>"});
    CHECK(v2.size() == 1132);  // book 2.4, with the last five entries:
    CHECK(v2.at("younger") == 1127);
    CHECK(v2.at("your") == 1128);
    CHECK(v2.at("yourself") == 1129);
    CHECK(v2.at("<|endoftext|>") == 1130);
    CHECK(v2.at("<|unk|>") == 1131);
}

TEST_CASE("SimpleTokenizerV1: the book's encode, decode and KeyError", "[tokenizer][ch02]") {
    std::string raw = read_verdict_or_skip();
    if (raw.empty()) return;
    llm::SimpleTokenizerV1 tokenizer(llm::build_vocabulary(llm::split_words(raw)));
    std::string text = "\"It's the last he painted, you know,\" \n Mrs. Gisburn said with pardonable pride.";
    Ids ids = tokenizer.encode(text);
    // book 2.3
    CHECK(ids == Ids{1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7});
    CHECK(tokenizer.decode(ids) ==
          "\" It' s the last he painted, you know,\" Mrs. Gisburn said with pardonable pride.");
    // book 2.4: KeyError: 'Hello'
    try {
        tokenizer.encode("Hello, do you like tea. Is this-- a test?");
        FAIL("expected llm::Error");
    } catch (const llm::Error& e) {
        CHECK_THAT(e.what(), Catch::Matchers::Contains("'Hello'"));
    }
    CHECK_THROWS_AS(tokenizer.decode({5000}), llm::Error);
}

TEST_CASE("SimpleTokenizerV2: the book's <|unk|> example", "[tokenizer][ch02]") {
    std::string raw = read_verdict_or_skip();
    if (raw.empty()) return;
    llm::SimpleTokenizerV2 tokenizer(
        llm::build_vocabulary(llm::split_words(raw), {"<|endoftext|>", "<|unk|>"}));
    std::string text = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.";
    Ids ids = tokenizer.encode(text);
    // book 2.4
    CHECK(ids == Ids{1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7});
    CHECK(tokenizer.decode(ids) ==
          "<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.");
}

TEST_CASE("SimpleTokenizer: small vocabulary, decode rules", "[tokenizer]") {
    llm::Vocabulary vocab = llm::build_vocabulary(llm::split_words("a b : ; ?"), {"<|unk|>"});
    llm::SimpleTokenizerV1 v1(vocab);
    llm::SimpleTokenizerV2 v2(vocab);
    Ids ids = v1.encode("a : b ;?");
    CHECK(v1.decode(ids) == "a : b ;?");  // V1 keeps the space before ':' and ';'
    CHECK(v2.decode(ids) == "a: b;?");    // V2 removes it
    CHECK(v2.encode("a zebra") == Ids{vocab.at("a"), vocab.at("<|unk|>")});
    CHECK_THROWS_AS(llm::SimpleTokenizerV2(llm::build_vocabulary({"a"})), llm::Error);
}

// --- GPT-2's pre-tokenisation (literal pieces are defined by the pattern) -------------

TEST_CASE("gpt2_pretokenize: words keep their leading space", "[tokenizer]") {
    CHECK(gpt2_pretokenize("Hello world") == Strings{"Hello", " world"});
    CHECK(gpt2_pretokenize("a, b.") == Strings{"a", ",", " b", "."});
    CHECK(gpt2_pretokenize("!!! ??") == Strings{"!!!", " ??"});
    CHECK(gpt2_pretokenize("").empty());
}

TEST_CASE("gpt2_pretokenize: contractions are lower case only", "[tokenizer]") {
    CHECK(gpt2_pretokenize("I'm") == Strings{"I", "'m"});
    CHECK(gpt2_pretokenize("don't") == Strings{"don", "'t"});
    CHECK(gpt2_pretokenize("they'll") == Strings{"they", "'ll"});
    CHECK(gpt2_pretokenize("We've") == Strings{"We", "'ve"});
    CHECK(gpt2_pretokenize("you're") == Strings{"you", "'re"});
    CHECK(gpt2_pretokenize("he'd") == Strings{"he", "'d"});
    CHECK(gpt2_pretokenize("'s") == Strings{"'s"});
    CHECK(gpt2_pretokenize("He'S") == Strings{"He", "'", "S"});  // "'S" is not a contraction
    CHECK(gpt2_pretokenize("IT'S") == Strings{"IT", "'", "S"});
    CHECK(gpt2_pretokenize(" 's") == Strings{" '", "s"});
    CHECK(gpt2_pretokenize("''s") == Strings{"''", "s"});
    CHECK(gpt2_pretokenize("it's'") == Strings{"it", "'s", "'"});
}

TEST_CASE("gpt2_pretokenize: white space", "[tokenizer]") {
    CHECK(gpt2_pretokenize("a  b") == Strings{"a", " ", " b"});
    CHECK(gpt2_pretokenize("a   ") == Strings{"a", "   "});
    CHECK(gpt2_pretokenize("\n\n") == Strings{"\n\n"});
    CHECK(gpt2_pretokenize("a\n\nb") == Strings{"a", "\n", "\n", "b"});
    CHECK(gpt2_pretokenize(" \t") == Strings{" \t"});
    CHECK(gpt2_pretokenize(" \tx") == Strings{" ", "\t", "x"});
    CHECK(gpt2_pretokenize("  hello") == Strings{" ", " hello"});
    CHECK(gpt2_pretokenize("x \n y") == Strings{"x", " \n", " y"});
    CHECK(gpt2_pretokenize("a\xC2\xA0" "b") == Strings{"a", "\xC2\xA0", "b"});  // NBSP
    CHECK(gpt2_pretokenize("a\xE3\x80\x80\xE3\x80\x80" "b") ==                   // U+3000 x2
          Strings{"a", "\xE3\x80\x80", "\xE3\x80\x80", "b"});
}

TEST_CASE("gpt2_pretokenize: numbers in any script", "[tokenizer]") {
    CHECK(gpt2_pretokenize("123456") == Strings{"123456"});
    CHECK(gpt2_pretokenize("abc123") == Strings{"abc", "123"});
    CHECK(gpt2_pretokenize(" 42") == Strings{" 42"});
    CHECK(gpt2_pretokenize("3.14") == Strings{"3", ".", "14"});
    CHECK(gpt2_pretokenize(" \xD9\xA3\xD9\xA4") == Strings{" \xD9\xA3\xD9\xA4"});  // Arabic-Indic 34
    CHECK(gpt2_pretokenize("x\xC2\xB2") == Strings{"x", "\xC2\xB2"});            // x² (No)
    CHECK(gpt2_pretokenize("1\xC2\xBD") == Strings{"1\xC2\xBD"});                 // 1½ (No)
    CHECK(gpt2_pretokenize("\xE2\x85\xAB") == Strings{"\xE2\x85\xAB"});           // Ⅻ (Nl)
    CHECK(llm::is_number(0x0664));
    CHECK(llm::is_number(0x216B));
    CHECK_FALSE(llm::is_letter(0x0301));  // a combining accent is a mark, not a letter
}

TEST_CASE("gpt2_pretokenize: letters in any script", "[tokenizer]") {
    std::string text = "na\xC3\xAFve caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82";
    CHECK(gpt2_pretokenize(text) ==  // naïve café 東京 Привет
          Strings{"na\xC3\xAFve", " caf\xC3\xA9", " \xE6\x9D\xB1\xE4\xBA\xAC",
                  " \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"});
    CHECK(gpt2_pretokenize("e\xCC\x81") == Strings{"e", "\xCC\x81"});  // e + U+0301
    CHECK(llm::is_letter(0x4E2D));   // CJK (a <First>..<Last> range in UnicodeData.txt)
    CHECK(llm::is_letter(0xAC00));   // Hangul syllable (also a range)
    CHECK(llm::is_whitespace(0x3000));
    CHECK_FALSE(llm::is_whitespace(0x200B));  // zero width space is not White_Space
}

TEST_CASE("gpt2_pretokenize: invalid UTF-8 bytes are 'other' characters", "[tokenizer]") {
    CHECK(gpt2_pretokenize("a\xFF" "b") == Strings{"a", "\xFF", "b"});
    CHECK(gpt2_pretokenize("\xFF\xFE!") == Strings{"\xFF\xFE!"});
    CHECK(gpt2_pretokenize(" \xFF") == Strings{" \xFF"});
    CHECK(gpt2_pretokenize("x\xE6\x9D") == Strings{"x", "\xE6\x9D"});      // truncated 東
    CHECK(gpt2_pretokenize("\xC0\xAF" "a") == Strings{"\xC0\xAF", "a"});   // overlong '/'
    CHECK(gpt2_pretokenize("\xED\xA0\x80") == Strings{"\xED\xA0\x80"});    // a surrogate
}

TEST_CASE("gpt2_pretokenize: pieces always concatenate to the text", "[tokenizer]") {
    std::mt19937 rng(1234);
    for (int trial = 0; trial < 200; trial++) {
        std::string text = random_bytes(rng, rng() % 64);
        std::string joined;
        for (const std::string& piece : gpt2_pretokenize(text)) {
            CHECK_FALSE(piece.empty());
            joined += piece;
        }
        CHECK(joined == text);
    }
}

TEST_CASE("gpt2 byte alphabet", "[tokenizer]") {
    CHECK(llm::gpt2_bytes_to_unicode(" the") == "\xC4\xA0the");  // "Ġthe": space is U+0120
    CHECK(llm::gpt2_bytes_to_unicode("\n") == "\xC4\x8A");       // "Ċ": newline is U+010A
    CHECK(llm::gpt2_byte_of_id(0) == '!');
    std::string all;
    for (int b = 0; b < 256; b++) all += static_cast<char>(b);
    CHECK(llm::gpt2_unicode_to_bytes(llm::gpt2_bytes_to_unicode(all)) == all);
    CHECK_FALSE(llm::gpt2_unicode_to_bytes("\xE6\x9D\xB1").has_value());  // 東 is not in it
}

// --- GPT-2's BPE (needs data/gpt2/encoder.json and vocab.bpe) --------------------------

TEST_CASE("gpt2 BPE: the book's tiktoken example", "[tokenizer][ch02]") {
    if (skip_without_gpt2()) return;
    const BpeTokenizer& t = *gpt2();
    CHECK(t.vocab_size() == 50257);  // book 2.5
    CHECK(t.eot_id() == 50256);
    // book 2.5 (note: no space between "terraces" and "of").
    std::string text = "Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.";
    Ids ids = t.encode(text);
    CHECK(ids == Ids{15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812,
                     2114, 1659, 617, 34680, 27271, 13});
    CHECK(t.decode(ids) == text);
}

TEST_CASE("gpt2 BPE: the-verdict", "[tokenizer][ch02]") {
    if (skip_without_gpt2()) return;
    std::string raw = read_verdict_or_skip();
    if (raw.empty()) return;
    const BpeTokenizer& t = *gpt2();
    Ids ids = t.encode(raw);
    CHECK(ids.size() == 5145);  // book 2.6
    // book 2.6: the 8x4 batch (stride 4) read row by row, then the last target.
    Ids first{40,   367,  2885, 1464, 1807, 3619,  402,  271,  10899, 2138, 257,
              7026, 15632, 438, 2016, 257,  922,   5891, 1576, 438,   568,  340,
              373,  645,  1049, 5975, 284,  502,   284,  3285, 326,   11,   287};
    CHECK(Ids(ids.begin(), ids.begin() + 33) == first);
    // book 2.6: enc_sample = enc_text[50:], context size 4.
    CHECK(Ids(ids.begin() + 50, ids.begin() + 55) == Ids{290, 4920, 2241, 287, 257});
    CHECK(t.decode({290}) == " and");
    CHECK(t.decode({4920}) == " established");
    CHECK(t.decode({2241}) == " himself");
    CHECK(t.decode({287}) == " in");
    CHECK(t.decode({257}) == " a");
    CHECK(t.decode(ids) == raw);
}

TEST_CASE("gpt2 BPE: pieces become tokens of the vocabulary", "[tokenizer]") {
    if (skip_without_gpt2()) return;
    const BpeTokenizer& t = *gpt2();
    // Each of these pieces is one GPT-2 token, so each text encodes to one id per piece.
    for (const std::string& text : {std::string("I'm"), std::string("don't"), std::string("they'll"),
                                    std::string("Hello world"), std::string(" 42")}) {
        Strings pieces = gpt2_pretokenize(text);
        Ids ids = t.encode(text);
        REQUIRE(ids.size() == pieces.size());
        for (size_t i = 0; i < ids.size(); i++) CHECK(t.token_bytes(ids[i]) == pieces[i]);
    }
    // Ids for the 256 bytes follow GPT-2's byte order.
    for (int id = 0; id < 256; id++) CHECK(t.token_bytes(id) == std::string(1, static_cast<char>(llm::gpt2_byte_of_id(id))));
    CHECK(t.token_bytes(220) == " ");  // book 2.5: the lone space before <|endoftext|> is 220
}

TEST_CASE("gpt2 BPE: special token and edge cases", "[tokenizer]") {
    if (skip_without_gpt2()) return;
    const BpeTokenizer& t = *gpt2();
    CHECK(t.encode("").empty());
    CHECK(t.encode("<|endoftext|>") == Ids{50256});
    CHECK(t.encode("<|endoftext|><|endoftext|>") == Ids{50256, 50256});
    Ids ab = t.encode("a<|endoftext|>b");
    CHECK(ab == Ids{t.encode("a")[0], 50256, t.encode("b")[0]});
    for (int64_t id : t.encode("<|endoftext|")) CHECK(id != 50256);  // not the special token
    CHECK(t.decode({50256}) == "<|endoftext|>");
    std::string message = error_of_decode(t, {15496, 50257});
    CHECK_THAT(message, Catch::Matchers::Contains("50257"));
    CHECK_THAT(error_of_decode(t, {-1}), Catch::Matchers::Contains("-1"));
}

TEST_CASE("gpt2 BPE: non-Latin text and random bytes round-trip", "[tokenizer]") {
    if (skip_without_gpt2()) return;
    const BpeTokenizer& t = *gpt2();
    std::string text = "na\xC3\xAFve caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xF0\x9F\x98\x80";
    CHECK(t.decode(t.encode(text)) == text);
    std::mt19937 rng(42);
    for (int trial = 0; trial < 300; trial++) {
        std::string bytes = random_bytes(rng, rng() % 200);  // mostly invalid UTF-8
        Ids ids = t.encode(bytes);
        CHECK(t.decode(ids) == bytes);
        for (int64_t id : ids) CHECK(id != t.eot_id());
    }
}

TEST_CASE("gpt2 BPE: very long pieces (the heap path)", "[tokenizer]") {
    if (skip_without_gpt2()) return;
    const BpeTokenizer& t = *gpt2();
    std::mt19937 rng(5);
    std::string letters;
    for (int i = 0; i < 100000; i++) letters += static_cast<char>('a' + rng() % 26);
    for (const std::string& piece : {std::string(100000, 'x'), std::string(100000, '7'),
                                     std::string(100000, '='), letters}) {
        REQUIRE(gpt2_pretokenize(piece).size() == 1);
        Ids ids = t.encode(piece);
        CHECK(ids.size() < piece.size());
        CHECK(t.decode(ids) == piece);
    }
}

TEST_CASE("BpeTokenizer: bad files are named in the error", "[tokenizer]") {
    std::string dir = temp_dir("bad_files");
    std::string enc = dir + "/encoder.json", bpe = dir + "/vocab.bpe";
    CHECK_THROWS_WITH(BpeTokenizer::load(dir + "/missing.json", bpe), Catch::Matchers::Contains("missing.json"));
    llm::write_file_atomic(enc, "{\"a\": 0,");
    llm::write_file_atomic(bpe, "#version: 0.2\n");
    CHECK_THROWS_WITH(BpeTokenizer::load(enc, bpe), Catch::Matchers::Contains("encoder.json"));
    llm::write_file_atomic(enc, "[1, 2]");
    CHECK_THROWS_WITH(BpeTokenizer::load(enc, bpe), Catch::Matchers::Contains("expected a JSON object"));
    llm::write_file_atomic(enc, "{\"a\": 0, \"<|endoftext|>\": 1}");
    CHECK_THROWS_WITH(BpeTokenizer::load(enc, bpe), Catch::Matchers::Contains("all 256 single bytes"));
    BpeTokenizer small = BpeTokenizer::train("ab ab ab", 260);
    small.save(enc, bpe);
    llm::write_file_atomic(bpe, "#version: 0.2\na b\nthis is bad\n");
    CHECK_THROWS_WITH(BpeTokenizer::load(enc, bpe), Catch::Matchers::Contains("line 3"));
    llm::write_file_atomic(bpe, "#version: 0.2\nx y\n");
    CHECK_THROWS_WITH(BpeTokenizer::load(enc, bpe), Catch::Matchers::Contains("not in"));
    small.save(enc, bpe);
    CHECK_THROWS_WITH(BpeTokenizer::load_gpt2(enc, bpe), Catch::Matchers::Contains("50,257"));
    std::filesystem::remove_all(dir);
}

// --- training ------------------------------------------------------------------------

TEST_CASE("BPE training: the most frequent pair is merged first", "[tokenizer]") {
    // Words "ab", " ab", " ab", " cd": the pair (a, b) occurs 3 times, (Ġ, a) twice.
    BpeTokenizer t = BpeTokenizer::train("ab ab ab cd", 259);
    REQUIRE(t.merges().size() == 2);
    CHECK(t.token_bytes(256) == "ab");
    CHECK(t.token_bytes(257) == " ab");
    CHECK(t.eot_id() == 258);
    CHECK(t.token_bytes(258) == "<|endoftext|>");
    CHECK(t.vocab_size() == 259);
    CHECK(t.encode("ab ab") == Ids{256, 257});
}

TEST_CASE("BPE training: ties go to the smaller pair of ids", "[tokenizer]") {
    // Words "ba" and " dc": every pair occurs once. Ids: 'a' 64 < 'b' 65 < 'c' 66 < 'd' 67
    // < ' ' 220, so the order is (b,a) = (65,64), then (d,c) = (67,66), then (Ġ,dc).
    BpeTokenizer t = BpeTokenizer::train("ba dc", 1000);
    REQUIRE(t.merges().size() == 3);  // then nothing is left to merge
    CHECK(t.token_bytes(256) == "ba");
    CHECK(t.token_bytes(257) == "dc");
    CHECK(t.token_bytes(258) == " dc");
    CHECK(t.eot_id() == 259);
    CHECK(t.vocab_size() == 260);
}

TEST_CASE("BPE training: bytes first, round-trips, deterministic", "[tokenizer]") {
    std::string text = "the cat sat on the mat. the dog sat on the log.\n<|endoftext|>A cat's hat!";
    BpeTokenizer t = BpeTokenizer::train(text, 300);
    for (int id = 0; id < 256; id++) CHECK(t.token_bytes(id) == std::string(1, static_cast<char>(llm::gpt2_byte_of_id(id))));
    CHECK(t.eot_id() == t.vocab_size() - 1);
    CHECK(t.encode(text).size() < text.size() / 2);
    CHECK(t.decode(t.encode(text)) == text);
    std::mt19937 rng(7);
    std::string bytes = random_bytes(rng, 500);
    CHECK(t.decode(t.encode(bytes)) == bytes);
    BpeTokenizer again = BpeTokenizer::train(text, 300);
    REQUIRE(again.vocab_size() == t.vocab_size());
    for (int64_t id = 0; id < t.vocab_size(); id++) CHECK(again.token_bytes(id) == t.token_bytes(id));
    CHECK_THROWS_AS(BpeTokenizer::train(text, 256), llm::Error);
}

TEST_CASE("BPE training: save and load give the same tokenizer", "[tokenizer]") {
    std::mt19937 rng(99);
    std::string text;  // small alphabet, so pairs repeat and merges build on merges
    const char* alphabet = "aab c\n'sd\xC3\xA9\xE6\x9D\xB1";
    for (int i = 0; i < 4000; i++) text += alphabet[rng() % 13];
    BpeTokenizer t = BpeTokenizer::train(text, 400);
    std::string dir = temp_dir("save_load");
    t.save(dir + "/encoder.json", dir + "/vocab.bpe");
    BpeTokenizer loaded = BpeTokenizer::load(dir + "/encoder.json", dir + "/vocab.bpe");
    REQUIRE(loaded.vocab_size() == t.vocab_size());
    CHECK(loaded.eot_id() == t.eot_id());
    for (int64_t id = 0; id < t.vocab_size(); id++) CHECK(loaded.token_bytes(id) == t.token_bytes(id));
    REQUIRE(loaded.merges().size() == t.merges().size());
    for (size_t i = 0; i < t.merges().size(); i++) {
        CHECK(loaded.merges()[i].left == t.merges()[i].left);
        CHECK(loaded.merges()[i].right == t.merges()[i].right);
        CHECK(loaded.merges()[i].result == t.merges()[i].result);
    }
    CHECK(loaded.encode(text) == t.encode(text));
    CHECK(t.decode(t.encode(text)) == text);
    std::filesystem::remove_all(dir);
}

TEST_CASE("BPE training on the-verdict", "[tokenizer]") {
    std::string raw = read_verdict_or_skip();
    if (raw.empty()) return;
    BpeTokenizer t = BpeTokenizer::train(raw, 1000);
    CHECK(t.vocab_size() == 1000);
    Ids ids = t.encode(raw);
    CHECK(ids.size() < raw.size() / 2);
    CHECK(t.decode(ids) == raw);
    if (!gpt2()) return;
    // The same byte ids as GPT-2's (checked against the loaded files).
    for (int id = 0; id < 256; id++) CHECK(t.token_bytes(id) == gpt2()->token_bytes(id));
}
