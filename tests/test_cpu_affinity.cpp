// Tests of the bench's CPU pinning (core/bench/cpu_affinity.cpp), which its per-CPU thread
// scaling relies on: pinning takes effect, threads started while pinned inherit the set,
// and giving back the first set undoes it.
#include "catch_compat.h"

#include "bench/cpu_affinity.h"

#include <thread>
#include <vector>

TEST_CASE("bench pinning: run_on_cpus pins the calling thread and the threads it starts, and can be undone", "[bench]") {
    const std::vector<int> everywhere = allowed_cpus();
    if (everywhere.empty()) {
        skip_test("this system gives no list of CPUs to pin to (bench/cpu_affinity.cpp)");
        return;
    }
    const std::vector<int> last = {everywhere.back()};
    REQUIRE(run_on_cpus(last));
    CHECK(allowed_cpus() == last);
    std::vector<int> seen_by_new_thread;
    std::thread([&] { seen_by_new_thread = allowed_cpus(); }).join();
    CHECK(seen_by_new_thread == last);
    REQUIRE(run_on_cpus(everywhere));
    CHECK(allowed_cpus() == everywhere);
}

TEST_CASE("bench pinning: run_on_cpus refuses an empty set and leaves the thread where it was", "[bench]") {
    const std::vector<int> before = allowed_cpus();
    CHECK_FALSE(run_on_cpus({}));
    CHECK(allowed_cpus() == before);
}
