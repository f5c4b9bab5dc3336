// error_of(f): the message of the llm::Error that f throws, "" when it throws none (any
// other exception escapes and fails the test). For CHECK_THAT(error_of(...), Contains(...)).
#pragma once

#include "base/error.h"

#include <functional>
#include <string>

inline std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const llm::Error& e) {
        return e.what();
    }
    return "";
}
