// See io/numbers.h.
#include "io/numbers.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace llm {

bool parse_double(const std::string& text, double& value) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;  // strtod skips spaces
    char* end = nullptr;
    errno = 0;
    value = std::strtod(text.c_str(), &end);
    bool overflow = errno == ERANGE && std::isinf(value);
    return end == text.c_str() + text.size() && !overflow;
}

}  // namespace llm
