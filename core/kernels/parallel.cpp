// The thread pool behind parallel_for (see kernels/parallel.h). Each call publishes a new
// "generation" number, every worker runs its chunk, and the caller waits until all of
// them are done. Idle threads first check for the next generation (or for the others
// to finish) for 2 ms, then sleep on a condition variable.
#include "kernels/parallel.h"

#include "base/error.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace llm {

namespace {

thread_local bool t_inside_parallel = false;  // true while this thread runs a chunk

// The counts behind thread_use_start/stop. Only the calling thread switches counting on and
// off, between parallel_for calls; workers read the switch while they run a chunk.
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_regions{0}, g_region_ns{0}, g_busy_ns{0};

int64_t nanoseconds_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// How long a thread that has nothing to do keeps checking for new work before it goes
// to sleep: a training step starts hundreds of short parallel_for calls, and waking a
// sleeping thread costs tens of microseconds (more on a virtual machine), more than many
// of the chunks take. Measured on the small model's step on 2 threads (AMD Zen 5 VM,
// 2026-12-06): 20-50 µs of checking, 39-40 ms a step; 1 ms, 34-36 ms; 2-5 ms, 33-34 ms.
// The price is a busy core for 2 ms after the last call, as OpenMP runtimes also pay.
constexpr std::chrono::microseconds kSpinTime{2000};

// Checks `done` until it is true or kSpinTime has passed; true if it became true.
bool spin_until(const std::function<bool()>& done) {
    auto start = std::chrono::steady_clock::now();
    for (;;) {
        for (int i = 0; i < 256; i++)  // a few microseconds between looks at the clock
            if (done()) return true;
        if (std::chrono::steady_clock::now() - start > kSpinTime) return false;
    }
}

class ThreadPool {
public:
    explicit ThreadPool(int threads) {
        for (int i = 1; i < threads; i++) workers_.emplace_back([this, i] { worker_loop(i); });
    }
    ~ThreadPool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }
    int size() const { return static_cast<int>(workers_.size()) + 1; }

    // Runs chunk(i) for i = 0 .. size()-1, chunk 0 on the calling thread.
    void run(const std::function<void(int)>& chunk) {
        const bool counting = g_counting.load(std::memory_order_relaxed);
        const int64_t start = counting ? nanoseconds_now() : 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            chunk_ = &chunk;
            pending_ = static_cast<int>(workers_.size());
            error_ = nullptr;
            generation_++;  // spinning workers see this at once; sleeping ones are woken
        }
        wake_.notify_all();
        run_chunk(chunk, 0);
        spin_until([this] { return pending_ == 0; });
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        if (counting) {
            g_regions++;
            g_region_ns += nanoseconds_now() - start;
        }
        if (error_) std::rethrow_exception(error_);
    }

private:
    void run_chunk(const std::function<void(int)>& chunk, int index) {
        const bool counting = g_counting.load(std::memory_order_relaxed);
        const int64_t start = counting ? nanoseconds_now() : 0;
        t_inside_parallel = true;
        try {
            chunk(index);
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
        t_inside_parallel = false;
        if (counting) g_busy_ns += nanoseconds_now() - start;
    }

    void worker_loop(int index) {
        int64_t seen = 0;
        for (;;) {
            spin_until([&] { return generation_ != seen || stop_; });
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            const std::function<void(int)>* chunk = chunk_;
            lock.unlock();
            run_chunk(*chunk, index);
            lock.lock();
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* chunk_ = nullptr;  // written and read under mutex_
    // Changed under mutex_, but also read without it by the spinning loops, hence atomic.
    std::atomic<int64_t> generation_ = 0;
    std::atomic<int> pending_ = 0;
    std::atomic<bool> stop_ = false;
    std::exception_ptr error_;
};

int default_threads() {
    if (const char* env = std::getenv("LLM_THREADS")) {
        int n = std::atoi(env);
        if (n >= 1 && n <= 1024) return n;
        throw Error(std::string("LLM_THREADS must be a whole number from 1 to 1024, not '") + env + "'");
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

std::unique_ptr<ThreadPool>& pool() {
    static std::unique_ptr<ThreadPool> instance;
    return instance;
}

}  // namespace

int num_threads() {
    if (!pool()) pool() = std::make_unique<ThreadPool>(default_threads());
    return pool()->size();
}

void set_num_threads(int n) {
    if (n < 1) throw Error("the number of threads must be at least 1, got " + std::to_string(n));
    if (pool() && pool()->size() == n) return;
    pool().reset();
    pool() = std::make_unique<ThreadPool>(n);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
    if (n <= 0) return;
    int64_t chunks = std::min<int64_t>(num_threads(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
    if (chunks <= 1 || t_inside_parallel) {
        body(0, n);
        return;
    }
    pool()->run([&](int index) {
        if (index >= chunks) return;
        int64_t begin = n * index / chunks, end = n * (index + 1) / chunks;  // equal contiguous pieces
        body(begin, end);
    });
}

void thread_use_start() {
    g_regions = 0;
    g_region_ns = 0;
    g_busy_ns = 0;
    g_counting = true;
}

ThreadUse thread_use_stop() {
    g_counting = false;
    return ThreadUse{g_regions.load(), static_cast<double>(g_region_ns.load()) * 1e-9,
                     static_cast<double>(g_busy_ns.load()) * 1e-9};
}

}  // namespace llm
