// GPT-2's pre-tokenisation pattern, written out by hand, and GPT-2's byte <-> printable
// character table.
//
// The pattern (tiktoken's gpt2 encoding, on full Unicode):
//     '(?:[sdmt]|ll|ve|re) | ?\p{L}+ | ?\p{N}+ | ?[^\s\p{L}\p{N}]+ | \s+(?!\S) | \s+
// A regex engine finds matches one after another, each starting where the last one
// ended, and at each position tries the alternatives in order. Every character is a
// letter (L), a number (N), white space (S) or something else (O), so some alternative
// always matches: the text is cut into pieces with nothing left over.
#include "text/bpe.h"

#include "text/unicode_table.h"

namespace llm {

namespace {

enum class CharClass { letter, number, space, other };

CharClass classify(const Utf8Char& ch) {
    if (!ch.valid) return CharClass::other;  // an invalid UTF-8 byte
    char32_t c = ch.code_point;
    if (c < 0x80) {  // ASCII fast path
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return CharClass::letter;
        if (c >= '0' && c <= '9') return CharClass::number;
        if (c == ' ' || (c >= '\t' && c <= '\r')) return CharClass::space;
        return CharClass::other;
    }
    if (is_letter(c)) return CharClass::letter;
    if (is_number(c)) return CharClass::number;
    if (is_whitespace(c)) return CharClass::space;
    return CharClass::other;
}

// The text decoded once: for each character its byte offset and class.
struct Chars {
    std::vector<size_t> offset;  // offset[i] = first byte of character i; offset[n] = end
    std::vector<CharClass> cls;
    size_t size() const { return cls.size(); }
};

Chars decode_chars(const std::string& text) {
    Chars chars;
    size_t pos = 0;
    while (pos < text.size()) {
        Utf8Char ch = decode_utf8(text, pos);
        chars.offset.push_back(pos);
        chars.cls.push_back(classify(ch));
        pos += ch.length;
    }
    chars.offset.push_back(text.size());
    return chars;
}

// '(?:[sdmt]|ll|ve|re): length in bytes of a contraction at `pos`, or 0. Lower case only,
// so "'S" is not one (tiktoken's gpt2 pattern is case sensitive).
size_t contraction_length(const std::string& text, size_t pos) {
    if (text[pos] != '\'' || pos + 1 >= text.size()) return 0;
    char a = text[pos + 1];
    if (a == 's' || a == 'd' || a == 'm' || a == 't') return 2;
    if (pos + 2 >= text.size()) return 0;
    char b = text[pos + 2];
    if ((a == 'l' && b == 'l') || (a == 'v' && b == 'e') || (a == 'r' && b == 'e')) return 3;
    return 0;
}

// The first character index after a run of class `cls` that starts at character i.
size_t run_end(const Chars& chars, size_t i, CharClass cls) {
    while (i < chars.size() && chars.cls[i] == cls) i++;
    return i;
}

// The match that starts at character i: returns the character index where it ends.
size_t match_at(const std::string& text, const Chars& chars, size_t i) {
    const size_t n = chars.size();
    // '(?:[sdmt]|ll|ve|re)  -- all ASCII, so bytes are characters here
    if (size_t len = contraction_length(text, chars.offset[i]); len > 0) return i + len;
    // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional plain space (U+0020 only)
    // and then a run of one class. After a space, the class is the next character's.
    size_t start = i;
    if (text[chars.offset[i]] == ' ' && i + 1 < n && chars.cls[i + 1] != CharClass::space)
        start = i + 1;
    if (chars.cls[start] != CharClass::space) return run_end(chars, start, chars.cls[start]);
    // White space run [i, end). '\s+(?!\S)': the whole run at the end of the text, else
    // the run minus its last character (which then starts the next piece, e.g. " world"),
    // if that leaves something. Otherwise '\s+' takes the single character.
    size_t end = run_end(chars, i, CharClass::space);
    if (end == n) return end;
    if (end - i >= 2) return end - 1;
    return end;
}

}  // namespace

std::vector<std::string> gpt2_pretokenize(const std::string& text) {
    Chars chars = decode_chars(text);
    std::vector<std::string> pieces;
    size_t i = 0;
    while (i < chars.size()) {
        size_t next = match_at(text, chars, i);
        pieces.push_back(text.substr(chars.offset[i], chars.offset[next] - chars.offset[i]));
        i = next;
    }
    return pieces;
}

// --- GPT-2's bytes_to_unicode --------------------------------------------------------
// BPE files are text, so GPT-2 gives each byte a visible character: the printable bytes
// '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves, and the other 68 bytes (controls,
// space, 0x7F..0xA0, 0xAD) become U+0100, U+0101, ... in increasing byte order. So the
// space 0x20 (the 33rd such byte) is U+0120 'Ġ' and newline 0x0A is U+010A 'Ċ'.

namespace {

bool is_gpt2_printable(int byte) {
    return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
           (byte >= 0xAE && byte <= 0xFF);
}

struct ByteTables {
    char32_t unicode_of_byte[256];
    unsigned char byte_of_id[256];  // GPT-2's token ids 0..255: printable bytes first
};

ByteTables make_byte_tables() {
    ByteTables t{};
    int next_extra = 0;
    int next_id = 0;
    for (int b = 0; b < 256; b++) {
        if (is_gpt2_printable(b)) {
            t.unicode_of_byte[b] = static_cast<char32_t>(b);
            t.byte_of_id[next_id++] = static_cast<unsigned char>(b);
        }
    }
    for (int b = 0; b < 256; b++) {
        if (!is_gpt2_printable(b)) {
            t.unicode_of_byte[b] = static_cast<char32_t>(256 + next_extra++);
            t.byte_of_id[next_id++] = static_cast<unsigned char>(b);
        }
    }
    return t;
}

const ByteTables& byte_tables() {
    static const ByteTables tables = make_byte_tables();
    return tables;
}

void append_utf8_char(std::string& out, char32_t cp) {  // cp < 0x800 here
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

unsigned char gpt2_byte_of_id(int id) { return byte_tables().byte_of_id[id & 0xFF]; }

std::string gpt2_bytes_to_unicode(const std::string& bytes) {
    std::string out;
    for (char c : bytes) append_utf8_char(out, byte_tables().unicode_of_byte[static_cast<unsigned char>(c)]);
    return out;
}

std::optional<std::string> gpt2_unicode_to_bytes(const std::string& text) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        Utf8Char ch = decode_utf8(text, pos);
        char32_t c = ch.code_point;
        if (!ch.valid) return std::nullopt;
        if (c < 256 && is_gpt2_printable(static_cast<int>(c))) {
            out += static_cast<char>(c);
        } else if (c >= 256 && c < 256 + 68) {
            // the (c - 256)-th non-printable byte; the 188 printable ones have ids 0..187
            int k = static_cast<int>(c - 256);
            out += static_cast<char>(byte_tables().byte_of_id[188 + k]);
        } else {
            return std::nullopt;
        }
        pos += ch.length;
    }
    return out;
}

}  // namespace llm
