// The test runner's main, compiled once. It runs Catch2 and then prints the
// line CI reads:  "N passed, N failed" (plus ", N skipped" when some were).
#ifdef LLM_CATCH2_V3
#include <catch2/catch_session.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif
#include "catch_compat.h"

#include <cstdio>
#include <iostream>

static int g_passed = 0;
static int g_failed = 0;
static int g_skipped = 0;
static bool g_current_skipped = false;

void skip_test(const std::string& why) {
    g_current_skipped = true;
    std::cout << "SKIPPED: " << why << "\n";
}

#ifdef LLM_CATCH2_V3
using ListenerBase = Catch::EventListenerBase;
#else
using ListenerBase = Catch::TestEventListenerBase;
#endif

// Counts test cases as they end (a skipped one is neither passed nor failed).
struct CountingListener : ListenerBase {
    using ListenerBase::ListenerBase;
    void testCaseStarting(Catch::TestCaseInfo const& info) override {
        ListenerBase::testCaseStarting(info);
        g_current_skipped = false;
    }
    void testCaseEnded(Catch::TestCaseStats const& stats) override {
        ListenerBase::testCaseEnded(stats);
        if (!stats.totals.assertions.allPassed()) g_failed++;
        else if (g_current_skipped) g_skipped++;
        else g_passed++;
    }
};
CATCH_REGISTER_LISTENER(CountingListener)

int main(int argc, char* argv[]) {
    Catch::Session session;
    int rc = session.run(argc, argv);
    std::cout.flush();
    std::fflush(stdout);
    if (g_skipped > 0)
        std::printf("%d passed, %d failed, %d skipped\n", g_passed, g_failed, g_skipped);
    else
        std::printf("%d passed, %d failed\n", g_passed, g_failed);
    return rc != 0 || g_failed != 0 ? 1 : 0;
}
