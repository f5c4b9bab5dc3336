// Threads: one small pool and one operation, parallel_for.
//
// parallel_for(n, grain, body) cuts [0, n) into one contiguous chunk per thread
// (never smaller than `grain` items) and runs body(begin, end) on each, the calling
// thread taking the first chunk. The cut depends only on n, grain and the thread
// count, and every use in this library gives each output element to exactly one
// chunk, so results are the same bit for bit on every run (and for any thread count).
#pragma once

#include <cstdint>
#include <functional>

namespace llm {

// The number of threads parallel_for uses: set_num_threads(n), else the environment
// variable LLM_THREADS, else the machine's hardware threads.
int num_threads();
void set_num_threads(int n);

// The grain of a loop that does a few operations per element (a sum, a fill, an
// elementwise op, AdamW's update): threads are used only from this many elements on, as
// below that waking them costs more than the work.
inline constexpr int64_t kElementGrain = 32768;

// body(begin, end) over [0, n) in at most num_threads() chunks of at least `grain`
// items. Called from inside a body, it runs serially (no nested parallelism).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& body);

// Where the threads' time goes (the bench's train_thread_use figure). While counting, each
// parallel_for that hands chunks to the pool adds its wall time, and every thread adds the
// time it spent running its chunk. Inside those calls, threads · wall − busy is the time
// threads waited: for a thread to wake, or for the slowest chunk. Outside them, the calling
// thread runs alone (whatever is serial, and loops too small to split).
struct ThreadUse {
    int64_t regions = 0;              // parallel_for calls that used the pool
    double region_seconds = 0;        // their wall time, summed
    double busy_thread_seconds = 0;   // time threads spent running chunks, summed over threads
};
void thread_use_start();       // zeroes the counts and starts counting
ThreadUse thread_use_stop();   // stops counting and returns the counts

}  // namespace llm
