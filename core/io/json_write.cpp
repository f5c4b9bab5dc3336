// Python's json.dumps, for the files the book writes; see json_write.h.
#include "io/json_write.h"

#include "tensor/print.h"

#include <cmath>
#include <cstdio>

namespace llm {

// The code point that starts at text[pos] and its length in bytes; U+FFFD with length 1
// for a byte that does not start valid UTF-8 (overlong forms and surrogates included).
static char32_t next_code_point(const std::string& text, size_t pos, size_t& length) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char b0 = byte(pos);
    length = 1;
    if (b0 < 0x80) return b0;
    size_t n = (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : (b0 & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || pos + n > text.size()) return 0xFFFD;
    char32_t cp = b0 & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((byte(pos + i) & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (byte(pos + i) & 0x3F);
    }
    const char32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    length = n;
    return cp;
}

static void append_u_escape(std::string& out, char32_t unit) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(unit));
    out += buf;
}

std::string json_quote_ascii(const std::string& utf8) {
    std::string out = "\"";
    for (size_t pos = 0, length = 1; pos < utf8.size(); pos += length) {
        char32_t c = next_code_point(utf8, pos, length);
        if (const char* escape = json_short_escape(c)) out += escape;
        else if (c >= 0x20 && c < 0x7F) out += static_cast<char>(c);  // ' ' to '~' as they are
        else if (c < 0x10000) append_u_escape(out, c);
        else {  // UTF-16 surrogate pair
            append_u_escape(out, 0xD800 + ((c - 0x10000) >> 10));
            append_u_escape(out, 0xDC00 + ((c - 0x10000) & 0x3FF));
        }
    }
    return out + "\"";
}

// float.__repr__ as json writes it, with Python's names for the special values.
static std::string json_number(const JsonValue& value) {
    if (value.is_integer()) return std::to_string(value.as_int());
    double x = value.as_double();
    if (std::isnan(x)) return "NaN";
    if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
    return python_float_repr(x);
}

static void format_value(const JsonValue& value, int indent, int level, std::string& out) {
    // Between items: ",\n" + the next level's indent (indent > 0) or ", " (indent 0).
    std::string inner, outer;
    if (indent > 0) {
        inner.append("\n").append(static_cast<size_t>(indent * (level + 1)), ' ');
        outer.append("\n").append(static_cast<size_t>(indent * level), ' ');
    }
    std::string separator = indent > 0 ? "," : ", ";
    switch (value.kind()) {
        case JsonValue::Kind::null: out += "null"; break;
        case JsonValue::Kind::boolean: out += value.as_bool() ? "true" : "false"; break;
        case JsonValue::Kind::number: out += json_number(value); break;
        case JsonValue::Kind::string: out += json_quote_ascii(value.as_string()); break;
        case JsonValue::Kind::array: {
            const std::vector<JsonValue>& items = value.as_array();
            if (items.empty()) { out += "[]"; break; }
            out += "[";
            for (size_t i = 0; i < items.size(); i++) {
                out += (i ? separator : "") + inner;
                format_value(items[i], indent, level + 1, out);
            }
            out += outer + "]";
            break;
        }
        case JsonValue::Kind::object: {
            const std::vector<JsonValue::Member>& members = value.as_object();
            if (members.empty()) { out += "{}"; break; }
            out += "{";
            for (size_t i = 0; i < members.size(); i++) {
                out += (i ? separator : "") + inner + json_quote_ascii(members[i].first) + ": ";
                format_value(members[i].second, indent, level + 1, out);
            }
            out += outer + "}";
            break;
        }
    }
}

std::string format_json(const JsonValue& value, int indent) {
    std::string out;
    format_value(value, indent, 0, out);
    return out;
}

}  // namespace llm
