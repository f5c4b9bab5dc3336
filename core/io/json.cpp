// The JSON reader: a recursive-descent parser, one function per kind of value.
#include "io/json.h"

#include "base/error.h"
#include "io/numbers.h"

#include <charconv>
#include <cstdio>
#include <limits>

namespace llm {

// --- JsonValue ---------------------------------------------------------------

JsonValue JsonValue::make_bool(bool value) {
    JsonValue v;
    v.kind_ = Kind::boolean;
    v.bool_ = value;
    return v;
}

JsonValue JsonValue::make_number(double value) {
    JsonValue v;
    v.kind_ = Kind::number;
    v.number_ = value;
    return v;
}

JsonValue JsonValue::make_integer(int64_t value) {
    JsonValue v;
    v.kind_ = Kind::number;
    v.is_integer_ = true;
    v.integer_ = value;
    v.number_ = static_cast<double>(value);
    return v;
}

JsonValue JsonValue::make_string(std::string value) {
    JsonValue v;
    v.kind_ = Kind::string;
    v.string_ = std::move(value);
    return v;
}

JsonValue JsonValue::make_array(std::vector<JsonValue> items) {
    JsonValue v;
    v.kind_ = Kind::array;
    v.array_ = std::move(items);
    return v;
}

JsonValue JsonValue::make_object(std::vector<Member> members) {
    JsonValue v;
    v.kind_ = Kind::object;
    v.object_ = std::move(members);
    return v;
}

const char* JsonValue::kind_name() const {
    switch (kind_) {
        case Kind::null: return "null";
        case Kind::boolean: return "boolean";
        case Kind::number: return "number";
        case Kind::string: return "string";
        case Kind::array: return "array";
        case Kind::object: return "object";
    }
    return "?";
}

void JsonValue::expect_kind(Kind kind) const {
    if (kind_ == kind) return;
    JsonValue wanted;
    wanted.kind_ = kind;
    throw Error(std::string("JSON value is a ") + kind_name() + ", expected a " +
                wanted.kind_name());
}

bool JsonValue::as_bool() const { expect_kind(Kind::boolean); return bool_; }
double JsonValue::as_double() const { expect_kind(Kind::number); return number_; }
const std::string& JsonValue::as_string() const { expect_kind(Kind::string); return string_; }
const std::vector<JsonValue>& JsonValue::as_array() const { expect_kind(Kind::array); return array_; }
const std::vector<JsonValue::Member>& JsonValue::as_object() const {
    expect_kind(Kind::object);
    return object_;
}

int64_t JsonValue::as_int() const {
    expect_kind(Kind::number);
    if (!is_integer_)
        throw Error("JSON number " + std::to_string(number_) + " is not an integer");
    return integer_;
}

const JsonValue* JsonValue::find(const std::string& key) const {
    expect_kind(Kind::object);
    for (size_t i = object_.size(); i-- > 0;)  // from the back: the last duplicate wins
        if (object_[i].first == key) return &object_[i].second;
    return nullptr;
}

const JsonValue& JsonValue::at(const std::string& key) const {
    const JsonValue* value = find(key);
    if (!value) throw Error("JSON object has no key " + json_quote(key));
    return *value;
}

size_t JsonValue::size() const {
    if (kind_ == Kind::array) return array_.size();
    expect_kind(Kind::object);
    return object_.size();
}

// --- the parser ----------------------------------------------------------------

namespace {

// Deeper nesting than this is rejected instead of overflowing the stack.
constexpr int kMaxDepth = 512;

struct JsonParser {
    const std::string& text;
    const std::string& source;
    size_t pos = 0;
    int depth = 0;

    [[noreturn]] void fail(const std::string& what) const;
    std::string found() const;  // the current character, for messages
    void skip_whitespace();
    bool at_end() const { return pos >= text.size(); }
    char peek() const { return at_end() ? '\0' : text[pos]; }
    void expect(char c, const char* context);

    JsonValue parse_value();
    JsonValue parse_object();
    JsonValue parse_array();
    std::string parse_string();
    uint32_t parse_hex4();
    void append_escape(std::string& out);
    JsonValue parse_number();
    size_t skip_digits();
    JsonValue parse_literal(const char* word, JsonValue value);
};

// Line and column (both from 1) are counted only when an error is reported.
void JsonParser::fail(const std::string& what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos && i < text.size(); i++) {
        if (text[i] == '\n') { line++; column = 1; }
        else column++;
    }
    throw Error("bad JSON in '" + source + "' at line " + std::to_string(line) + ", column " +
                std::to_string(column) + ": " + what);
}

std::string JsonParser::found() const {
    if (at_end()) return "the end of the text";
    unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c >= 0x20 && c < 0x7F) return std::string("'") + text[pos] + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
    return buf;
}

void JsonParser::skip_whitespace() {
    while (!at_end() && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t' ||
                         text[pos] == '\r'))
        pos++;
}

void JsonParser::expect(char c, const char* context) {
    if (peek() != c || at_end())
        fail(std::string("expected '") + c + "' " + context + ", found " + found());
    pos++;
}

JsonValue JsonParser::parse_value() {
    skip_whitespace();
    switch (peek()) {
        case '{': return parse_object();
        case '[': return parse_array();
        case '"': return JsonValue::make_string(parse_string());
        case 't': return parse_literal("true", JsonValue::make_bool(true));
        case 'f': return parse_literal("false", JsonValue::make_bool(false));
        case 'n': return parse_literal("null", JsonValue());
        default: break;
    }
    if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
    fail("expected a value (object, array, string, number, true, false or null), found " +
         found());
}

// { "key": value, ... }
JsonValue JsonParser::parse_object() {
    if (++depth > kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    pos++;  // '{'
    std::vector<JsonValue::Member> members;
    skip_whitespace();
    if (peek() == '}') {
        pos++;
        depth--;
        return JsonValue::make_object(std::move(members));
    }
    while (true) {
        skip_whitespace();
        if (peek() != '"') fail("expected a string key in an object, found " + found());
        std::string key = parse_string();
        skip_whitespace();
        expect(':', "after an object key");
        JsonValue value = parse_value();
        members.emplace_back(std::move(key), std::move(value));
        skip_whitespace();
        if (peek() == ',' && !at_end()) { pos++; continue; }
        if (peek() == '}' && !at_end()) { pos++; break; }
        fail("expected ',' or '}' after an object member, found " + found());
    }
    depth--;
    return JsonValue::make_object(std::move(members));
}

// [ value, ... ]
JsonValue JsonParser::parse_array() {
    if (++depth > kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    pos++;  // '['
    std::vector<JsonValue> items;
    skip_whitespace();
    if (peek() == ']') {
        pos++;
        depth--;
        return JsonValue::make_array(std::move(items));
    }
    while (true) {
        items.push_back(parse_value());
        skip_whitespace();
        if (peek() == ',' && !at_end()) { pos++; continue; }
        if (peek() == ']' && !at_end()) { pos++; break; }
        fail("expected ',' or ']' after an array item, found " + found());
    }
    depth--;
    return JsonValue::make_array(std::move(items));
}

// A string literal. Plain runs are copied in one go; escapes are decoded one by one.
// The bytes between the quotes are not checked for valid UTF-8.
std::string JsonParser::parse_string() {
    pos++;  // opening '"'
    std::string out;
    while (true) {
        size_t run_start = pos;
        while (!at_end() && text[pos] != '"' && text[pos] != '\\' &&
               static_cast<unsigned char>(text[pos]) >= 0x20)
            pos++;
        out.append(text, run_start, pos - run_start);
        if (at_end()) fail("unterminated string (no closing '\"')");
        if (text[pos] == '"') { pos++; return out; }
        if (text[pos] == '\\') { append_escape(out); continue; }
        fail("control character " + found() + " in a string (write it as an escape like \\n)");
    }
}

// Four hex digits of a \uXXXX escape.
uint32_t JsonParser::parse_hex4() {
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
        char c = peek();
        uint32_t digit;
        if (c >= '0' && c <= '9') digit = static_cast<uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f') digit = static_cast<uint32_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') digit = static_cast<uint32_t>(c - 'A' + 10);
        else fail("expected 4 hex digits after \\u, found " + found());
        value = value * 16 + digit;
        pos++;
    }
    return value;
}

// Code point -> 1 to 4 bytes of UTF-8.
void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// One escape at text[pos] == '\\'. Characters outside the Basic Multilingual Plane are
// written in JSON as a UTF-16 surrogate pair: \uD83D\uDE00 is U+1F600.
void JsonParser::append_escape(std::string& out) {
    pos++;  // '\\'
    char c = peek();
    if (at_end()) fail("unterminated string (ends after a backslash)");
    pos++;
    switch (c) {
        case '"': out += '"'; return;
        case '\\': out += '\\'; return;
        case '/': out += '/'; return;
        case 'b': out += '\b'; return;
        case 'f': out += '\f'; return;
        case 'n': out += '\n'; return;
        case 'r': out += '\r'; return;
        case 't': out += '\t'; return;
        case 'u': break;
        default: pos--; fail("unknown escape \\" + std::string(1, c) + " in a string");
    }
    uint32_t cp = parse_hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate \\u escape (no high surrogate before it)");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (text.compare(pos, 2, "\\u") != 0)
            fail("high surrogate \\u escape not followed by a low surrogate \\uDC00..\\uDFFF");
        pos += 2;
        uint32_t low = parse_hex4();
        if (low < 0xDC00 || low > 0xDFFF)
            fail("high surrogate \\u escape not followed by a low surrogate \\uDC00..\\uDFFF");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
}

// Moves past a run of decimal digits; returns how many there were.
size_t JsonParser::skip_digits() {
    size_t first = pos;
    while (!at_end() && text[pos] >= '0' && text[pos] <= '9') pos++;
    return pos - first;
}

// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
// Integers (no fraction, no exponent) that fit are kept exactly as int64.
JsonValue JsonParser::parse_number() {
    size_t start = pos;
    if (peek() == '-') pos++;
    if (peek() == '0' && !at_end()) pos++;
    else if (skip_digits() == 0) fail("expected a digit in a number, found " + found());
    bool integer = true;
    if (peek() == '.' && !at_end()) {
        pos++;
        integer = false;
        if (skip_digits() == 0) fail("expected a digit after '.' in a number, found " + found());
    }
    if ((peek() == 'e' || peek() == 'E') && !at_end()) {
        pos++;
        integer = false;
        if (peek() == '+' || peek() == '-') pos++;
        if (skip_digits() == 0) fail("expected a digit in a number's exponent, found " + found());
    }
    const char* first = text.data() + start;
    const char* last = text.data() + pos;
    if (integer) {
        int64_t value = 0;
        auto [end, ec] = std::from_chars(first, last, value);
        if (ec == std::errc() && end == last) return JsonValue::make_integer(value);
        // too big for int64: fall through and keep it as a double
    }
    double value = 0.0;
    if (!parse_double(std::string(first, last), value))  // the grammar is checked above: only a huge number fails
        value = text[start] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return JsonValue::make_number(value);
}

JsonValue JsonParser::parse_literal(const char* word, JsonValue value) {
    std::string w(word);
    if (text.compare(pos, w.size(), w) != 0)
        fail("expected a value (object, array, string, number, true, false or null), found " +
             found());
    pos += w.size();
    return value;
}

}  // namespace

JsonValue parse_json(const std::string& text, const std::string& source_name) {
    JsonParser parser{text, source_name};
    JsonValue value = parser.parse_value();
    parser.skip_whitespace();
    if (!parser.at_end()) parser.fail("unexpected " + parser.found() + " after the JSON value");
    return value;
}

const char* json_short_escape(char32_t c) {
    switch (c) {
        case '"': return "\\\"";
        case '\\': return "\\\\";
        case '\n': return "\\n";
        case '\r': return "\\r";
        case '\t': return "\\t";
        case '\b': return "\\b";
        case '\f': return "\\f";
        default: return nullptr;
    }
}

std::string json_quote(const std::string& utf8) {
    std::string out = "\"";
    for (char c : utf8) {
        if (const char* escape = json_short_escape(static_cast<unsigned char>(c))) {
            out += escape;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

}  // namespace llm
