// Python's "replace" decoding of UTF-8; see utf8.h.
#include "text/utf8.h"

namespace llm {

// How many bytes the well-formed sequence starting with `lead` has (0: not a lead
// byte), and the range its second byte must be in (Unicode's table 3-7).
static size_t sequence_length(unsigned char lead, unsigned char& low, unsigned char& high) {
    low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // no UTF-16 surrogates
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

std::string utf8_replace_errors(const std::string& bytes) {
    const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD
    std::string text;
    size_t pos = 0;
    while (pos < bytes.size()) {
        unsigned char lead = static_cast<unsigned char>(bytes[pos]), low, high;
        if (lead < 0x80) {
            text += bytes[pos++];
            continue;
        }
        size_t n = sequence_length(lead, low, high), fit = 1;
        while (fit < n && pos + fit < bytes.size()) {
            unsigned char b = static_cast<unsigned char>(bytes[pos + fit]);
            if (b < (fit == 1 ? low : 0x80) || b > (fit == 1 ? high : 0xBF)) break;
            fit++;
        }
        if (n != 0 && fit == n) text.append(bytes, pos, n);
        else text += replacement;  // the maximal subpart (at least the lead byte)
        pos += fit;
    }
    return text;
}

}  // namespace llm
