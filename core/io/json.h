// A small JSON reader (and a string quoter for writing JSON).
//
// Enough for the files this project reads: GPT-2's encoder.json (one object of 50,257
// string -> integer members) and safetensors headers (objects of arrays of integers and
// strings). The reader is a recursive-descent parser over the text: one function per
// kind of value, each starting at the current character.
//
//   JsonValue doc = parse_json(read_file("encoder.json"), "encoder.json");
//   for (const auto& [token, id] : doc.as_object()) ...   // members in file order
//   int64_t n = doc.at("Hello").as_int();
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace llm {

class JsonValue {
public:
    enum class Kind { null, boolean, number, string, array, object };
    using Member = std::pair<std::string, JsonValue>;

    JsonValue() = default;  // null
    static JsonValue make_bool(bool value);
    static JsonValue make_number(double value);
    static JsonValue make_integer(int64_t value);  // a number written without '.', 'e'
    static JsonValue make_string(std::string value);
    static JsonValue make_array(std::vector<JsonValue> items);
    static JsonValue make_object(std::vector<Member> members);

    Kind kind() const { return kind_; }
    const char* kind_name() const;  // "null", "boolean", "number", ... for messages
    bool is_null() const { return kind_ == Kind::null; }
    bool is_bool() const { return kind_ == Kind::boolean; }
    bool is_number() const { return kind_ == Kind::number; }
    bool is_integer() const { return kind_ == Kind::number && is_integer_; }
    bool is_string() const { return kind_ == Kind::string; }
    bool is_array() const { return kind_ == Kind::array; }
    bool is_object() const { return kind_ == Kind::object; }

    // Accessors throw llm::Error when the value is of another kind.
    bool as_bool() const;
    double as_double() const;                       // any number
    int64_t as_int() const;                         // an integer number (exact, 64-bit)
    const std::string& as_string() const;
    const std::vector<JsonValue>& as_array() const;
    const std::vector<Member>& as_object() const;   // members in file order

    // Object lookup (a linear search, fine for headers; iterate as_object() for big
    // objects). With a duplicated key the last member wins, as in Python's json.
    const JsonValue* find(const std::string& key) const;  // nullptr when absent
    const JsonValue& at(const std::string& key) const;    // throws when absent
    size_t size() const;  // items of an array, members of an object

private:
    void expect_kind(Kind kind) const;

    Kind kind_ = Kind::null;
    bool bool_ = false;
    bool is_integer_ = false;
    double number_ = 0.0;
    int64_t integer_ = 0;
    std::string string_;
    std::vector<JsonValue> array_;
    std::vector<Member> object_;
};

// Parse a whole JSON document. On bad input throws llm::Error like
//   "bad JSON in 'encoder.json' at line 1, column 17: expected ':' after an object key"
// `source_name` (usually the file path) is only used in messages.
JsonValue parse_json(const std::string& text, const std::string& source_name);

// `utf8` as a JSON string literal with its quotes: " \ and control characters are
// escaped (\n, \t, \u0001, ...); other bytes, including non-ASCII UTF-8, are copied.
std::string json_quote(const std::string& utf8);

// The two-character escape JSON writes for c (\" \\ \n \r \t \b \f), or nullptr when
// it has none; json_quote and json_write's json_quote_ascii share it.
const char* json_short_escape(char32_t c);

}  // namespace llm
