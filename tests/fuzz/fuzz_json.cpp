// Fuzz target: the JSON reader (io/json.h), which reads encoder.json, safetensors headers
// and the instruction data.
//
// Feeds: any bytes, as a whole JSON document, to parse_json.
// Checks: no crash, no sanitizer report, only llm::Error for bad input; and for a document
// that parses, a round trip: written back as JSON (below) and parsed again, it is the same
// value (same kinds, object members in the same order, strings byte for byte, integers
// exactly, other numbers bit for bit), and writing that gives the same text.
#include "fuzz_common.h"

#include "base/error.h"
#include "io/json.h"

#include <bit>
#include <charconv>
#include <cmath>

using llm::JsonValue;

namespace {

// A number that is not an integer, so that it reads back as the same double: the shortest
// digits that round-trip, with ".0" added when they look like an integer; JSON has no
// infinity, but 1e999 reads back as one (parse_json keeps overflowing numbers as ±inf).
std::string write_double(double x) {
    if (std::isinf(x)) return x < 0 ? "-1e999" : "1e999";
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    std::string s(buf, end);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

// `v` as JSON text (no spaces).
std::string write_json(const JsonValue& v) {
    switch (v.kind()) {
        case JsonValue::Kind::null: return "null";
        case JsonValue::Kind::boolean: return v.as_bool() ? "true" : "false";
        case JsonValue::Kind::number: return v.is_integer() ? std::to_string(v.as_int()) : write_double(v.as_double());
        case JsonValue::Kind::string: return llm::json_quote(v.as_string());
        case JsonValue::Kind::array: {
            std::string s = "[";
            for (const JsonValue& item : v.as_array()) s += (s.size() > 1 ? "," : "") + write_json(item);
            return s + "]";
        }
        case JsonValue::Kind::object: {
            std::string s = "{";
            for (const auto& [key, value] : v.as_object())
                s += (s.size() > 1 ? "," : "") + llm::json_quote(key) + ":" + write_json(value);
            return s + "}";
        }
    }
    return "";
}

// The same value: kinds, members in order, numbers bit for bit.
bool same_value(const JsonValue& a, const JsonValue& b) {
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case JsonValue::Kind::null: return true;
        case JsonValue::Kind::boolean: return a.as_bool() == b.as_bool();
        case JsonValue::Kind::number:
            if (a.is_integer() != b.is_integer()) return false;
            if (a.is_integer()) return a.as_int() == b.as_int();
            return std::bit_cast<uint64_t>(a.as_double()) == std::bit_cast<uint64_t>(b.as_double());
        case JsonValue::Kind::string: return a.as_string() == b.as_string();
        case JsonValue::Kind::array:
            if (a.size() != b.size()) return false;
            for (size_t i = 0; i < a.size(); i++)
                if (!same_value(a.as_array()[i], b.as_array()[i])) return false;
            return true;
        case JsonValue::Kind::object:
            if (a.size() != b.size()) return false;
            for (size_t i = 0; i < a.size(); i++) {
                const JsonValue::Member& ma = a.as_object()[i];
                const JsonValue::Member& mb = b.as_object()[i];
                if (ma.first != mb.first || !same_value(ma.second, mb.second)) return false;
            }
            return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    JsonValue doc;
    try {
        doc = llm::parse_json(bytes_of(data, size), "fuzz input");
    } catch (const llm::Error&) {
        return 0;  // bad JSON: refused with a message, as it should be
    }
    std::string text = write_json(doc);
    JsonValue again;
    try {
        again = llm::parse_json(text, "written back");
    } catch (const llm::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        check(false, "a parsed document, written back as JSON, parses again");
    }
    check(same_value(doc, again), "parse -> write -> parse gives the same value");
    check(write_json(again) == text, "writing the value read back gives the same text");
    return 0;
}
