// One include for Catch2 v2 (Debian 12's package, a single header) and v3.
#pragma once
#ifdef LLM_CATCH2_V3
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
using Catch::Approx;  // in v2 Approx is already in the global namespace
namespace Catch::Matchers {
// v2's name for the substring matcher; v3 calls it ContainsSubstring.
inline auto Contains(const std::string& text) { return ContainsSubstring(text); }
}  // namespace Catch::Matchers
#else
#include <catch2/catch.hpp>
#endif

#include <cstdio>
#include <string>

// A test that needs an optional file calls this and returns: it is counted as
// skipped in the final "N passed, N failed, N skipped" line.
void skip_test(const std::string& why);
