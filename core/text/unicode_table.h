// Unicode character classes for the tokenizers, and a forgiving UTF-8 decoder.
//
// The three classes are exactly what GPT-2's pre-tokenisation regex means by
// \p{L} (letters), \p{N} (numbers) and \s (white space). The tables behind them are
// generated from the Unicode Character Database: see core/unicode/README.md.
#pragma once

#include <cstddef>
#include <string>

namespace llm {

bool is_letter(char32_t c);      // General_Category L*: Lu Ll Lt Lm Lo
bool is_number(char32_t c);      // General_Category N*: Nd Nl No
bool is_whitespace(char32_t c);  // property White_Space (space, \t, \n, NBSP, ...)

// A code point decoded from UTF-8, and how many bytes it took.
struct Utf8Char {
    char32_t code_point;
    size_t length;  // 1 to 4
    bool valid;     // false: the byte at the position is not the start of valid UTF-8
};

// Decode the character that starts at text[pos] (pos < text.size()).
// Text is not always valid UTF-8 (a byte-level tokenizer must take any bytes), so an
// invalid byte comes back as a "character" of its own: length 1, valid == false,
// code_point = the byte's value. Callers check `valid` before asking is_letter() etc.
// Rejected like Python's decoder does: stray continuation bytes, truncated sequences,
// overlong forms, UTF-16 surrogates (U+D800..U+DFFF) and values above U+10FFFF.
inline Utf8Char decode_utf8(const std::string& text, size_t pos) {
    const unsigned char b0 = static_cast<unsigned char>(text[pos]);
    if (b0 < 0x80) return {b0, 1, true};
    size_t length;
    char32_t cp;
    char32_t min_cp;  // smallest value this length may encode (shorter = overlong)
    if ((b0 & 0xE0) == 0xC0) { length = 2; cp = b0 & 0x1F; min_cp = 0x80; }
    else if ((b0 & 0xF0) == 0xE0) { length = 3; cp = b0 & 0x0F; min_cp = 0x800; }
    else if ((b0 & 0xF8) == 0xF0) { length = 4; cp = b0 & 0x07; min_cp = 0x10000; }
    else return {b0, 1, false};  // a continuation byte or 0xF8..0xFF
    if (pos + length > text.size()) return {b0, 1, false};
    for (size_t i = 1; i < length; i++) {
        const unsigned char b = static_cast<unsigned char>(text[pos + i]);
        if ((b & 0xC0) != 0x80) return {b0, 1, false};
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {b0, 1, false};
    return {cp, length, true};
}

}  // namespace llm
