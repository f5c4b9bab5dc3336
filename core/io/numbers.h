// Reading a floating-point number from text, exactly (the nearest double, as Python's
// float() does), in any C++ library: std::from_chars for doubles is missing from the
// libc++ that macOS ships, so this goes through std::strtod in the "C" locale.
#pragma once

#include <string>

namespace llm {

// The whole of `text` as a double: decimal ("0.1", "1e-5") or hex ("0x1.999999999999ap-4").
// False when `text` is empty, has anything else in it, or overflows (underflow gives 0 or a
// subnormal, as Python does).
bool parse_double(const std::string& text, double& value);

}  // namespace llm
