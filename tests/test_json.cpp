// Tests of the small JSON reader (core/io/json.h): values, escapes, errors, json_quote.
#include "catch_compat.h"
#include "data_files.h"

#include "io/files.h"
#include "io/json.h"
#include "tensor/tensor.h"

#include <chrono>
#include <string>

using llm::JsonValue;
using llm::parse_json;

namespace {

// The llm::Error message that parsing `text` raises ("" if it parses).
std::string parse_error(const std::string& text) {
    try {
        parse_json(text, "test.json");
    } catch (const llm::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("json: scalars", "[tokenizer][json]") {
    CHECK(parse_json("null", "t").is_null());
    CHECK(parse_json("true", "t").as_bool() == true);
    CHECK(parse_json(" false ", "t").as_bool() == false);
    CHECK(parse_json("42", "t").as_int() == 42);
    CHECK(parse_json("-7", "t").as_int() == -7);
    CHECK(parse_json("0", "t").as_int() == 0);
    CHECK(parse_json("1.5", "t").as_double() == 1.5);
    CHECK(parse_json("-2.5e3", "t").as_double() == -2500.0);
    CHECK(parse_json("1E-2", "t").as_double() == Approx(0.01));
    CHECK_FALSE(parse_json("1.0", "t").is_integer());
    CHECK(parse_json("\"hi\"", "t").as_string() == "hi");
}

TEST_CASE("json: integers are exact in 64 bits", "[tokenizer][json]") {
    // 2^53 + 1 is not a double; safetensors offsets must not be rounded.
    CHECK(parse_json("9007199254740993", "t").as_int() == 9007199254740993LL);
    CHECK(parse_json("9223372036854775807", "t").as_int() == 9223372036854775807LL);
    // Too big for int64: still a number, but not an integer.
    JsonValue big = parse_json("92233720368547758070", "t");
    CHECK(big.is_number());
    CHECK_FALSE(big.is_integer());
    CHECK_THROWS_AS(parse_json("2.5", "t").as_int(), llm::Error);
}

TEST_CASE("json: arrays and objects keep file order", "[tokenizer][json]") {
    JsonValue v = parse_json(R"({"b": [1, 2, {"x": null}], "a": "s", "e": {}, "f": []})", "t");
    REQUIRE(v.is_object());
    REQUIRE(v.size() == 4);
    CHECK(v.as_object()[0].first == "b");
    CHECK(v.as_object()[1].first == "a");
    CHECK(v.at("b").size() == 3);
    CHECK(v.at("b").as_array()[1].as_int() == 2);
    CHECK(v.at("b").as_array()[2].at("x").is_null());
    CHECK(v.at("a").as_string() == "s");
    CHECK(v.at("e").size() == 0);
    CHECK(v.at("f").size() == 0);
    CHECK(v.find("missing") == nullptr);
    CHECK_THROWS_AS(v.at("missing"), llm::Error);
    CHECK_THROWS_AS(v.as_array(), llm::Error);  // an object is not an array
}

TEST_CASE("json: safetensors-like header", "[tokenizer][json]") {
    std::string header =
        R"({"__metadata__":{"format":"pt"},"tok_emb.weight":{"dtype":"F32","shape":[50257,768],)"
        R"("data_offsets":[0,154389504]}})";
    JsonValue v = parse_json(header, "model.safetensors");
    CHECK(v.at("__metadata__").at("format").as_string() == "pt");
    const JsonValue& t = v.at("tok_emb.weight");
    CHECK(t.at("dtype").as_string() == "F32");
    CHECK(t.at("shape").as_array()[0].as_int() == 50257);
    CHECK(t.at("shape").as_array()[1].as_int() == 768);
    CHECK(t.at("data_offsets").as_array()[1].as_int() == 154389504);
}

TEST_CASE("json: string escapes, \\u and surrogate pairs to UTF-8", "[tokenizer][json]") {
    CHECK(parse_json(R"("a\"b\\c\/d\b\f\n\r\t")", "t").as_string() == "a\"b\\c/d\b\f\n\r\t");
    CHECK(parse_json(R"("\u0041\u00e9")", "t").as_string() == "A\xC3\xA9");         // A é
    CHECK(parse_json(R"("\u0120the")", "t").as_string() == "\xC4\xA0the");           // Ġthe
    CHECK(parse_json(R"("\u6771\u4EAC")", "t").as_string() == "\xE6\x9D\xB1\xE4\xBA\xAC");  // 東京
    CHECK(parse_json(R"("\ud83d\ude00")", "t").as_string() == "\xF0\x9F\x98\x80");   // U+1F600
    CHECK(parse_json(R"("\u0000")", "t").as_string() == std::string(1, '\0'));
    // Raw UTF-8 is copied as it is.
    CHECK(parse_json("\"caf\xC3\xA9\"", "t").as_string() == "caf\xC3\xA9");
}

TEST_CASE("json: errors name the source, line and column", "[tokenizer][json]") {
    std::string e = parse_error("{\n  \"a\" 1\n}");
    CHECK_THAT(e, Catch::Matchers::Contains("test.json"));
    CHECK_THAT(e, Catch::Matchers::Contains("line 2, column 7"));
    CHECK_THAT(e, Catch::Matchers::Contains("':'"));
    CHECK_THAT(parse_error("[1, 2"), Catch::Matchers::Contains("expected ',' or ']'"));
    CHECK_THAT(parse_error("[1, 2] x"), Catch::Matchers::Contains("after the JSON value"));
    CHECK_THAT(parse_error("{\"a\": 1,}"), Catch::Matchers::Contains("string key"));
    CHECK_THAT(parse_error("\"abc"), Catch::Matchers::Contains("unterminated string"));
    CHECK_THAT(parse_error("\"a\nb\""), Catch::Matchers::Contains("control character"));
    CHECK_THAT(parse_error(R"("\x")"), Catch::Matchers::Contains("unknown escape"));
    CHECK_THAT(parse_error(R"("\u12G4")"), Catch::Matchers::Contains("hex digits"));
    CHECK_THAT(parse_error(R"("\ud83d")"), Catch::Matchers::Contains("low surrogate"));
    CHECK_THAT(parse_error(R"("\ude00")"), Catch::Matchers::Contains("lone low surrogate"));
    CHECK_THAT(parse_error("01"), Catch::Matchers::Contains("after the JSON value"));
    CHECK_THAT(parse_error("-"), Catch::Matchers::Contains("digit"));
    CHECK_THAT(parse_error("1."), Catch::Matchers::Contains("digit after '.'"));
    CHECK_THAT(parse_error("1e"), Catch::Matchers::Contains("exponent"));
    CHECK_THAT(parse_error("tru"), Catch::Matchers::Contains("expected a value"));
    CHECK_THAT(parse_error(""), Catch::Matchers::Contains("the end of the text"));
    CHECK_THAT(parse_error(std::string(100000, '[')), Catch::Matchers::Contains("nested deeper"));
}

TEST_CASE("json: json_quote round-trips through the parser", "[tokenizer][json]") {
    CHECK(llm::json_quote("a\"b\\c\n") == R"("a\"b\\c\n")");
    CHECK(llm::json_quote(std::string(1, '\x01')) == R"("\u0001")");
    std::string all;
    for (int c = 1; c < 256; c++) all += static_cast<char>(c);  // every byte but NUL
    all += std::string(1, '\0') + "\xE6\x9D\xB1";
    CHECK(parse_json(llm::json_quote(all), "t").as_string() == all);
}

TEST_CASE("json: reads GPT-2's encoder.json", "[tokenizer][json]") {
    std::string path = find_data_file("gpt2/encoder.json");
    if (path.empty()) {
        skip_test(missing_data_message("gpt2/encoder.json"));
        return;
    }
    std::string text = llm::read_file(path);
    auto start = std::chrono::steady_clock::now();
    JsonValue v = parse_json(text, path);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("parsed %s (%.1f MB) in %.3f s\n", path.c_str(), text.size() / 1e6, seconds);
    CHECK(v.size() == 50257);                       // book 2.5: tiktoken gpt2, vocab 50,257
    CHECK(v.at("<|endoftext|>").as_int() == 50256);  // book 2.5
    CHECK(v.at("Hello").as_int() == 15496);          // book 2.5: "Hello" -> 15496
    CHECK(v.at("!").as_int() == 0);
}
