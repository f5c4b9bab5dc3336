// Reusing big buffers (see tensor/storage.h).
//
// A training step allocates the same buffers in the same order every step: activations,
// their gradients, the logits. Freed to the C library and asked for again, a big buffer
// often comes back as fresh memory from the operating system, which must clear every
// 4 KB page the first time it is touched (a page fault). On GPT-2 124M that was 40,000 to
// 50,000 faults a step; on a virtual machine where a fault costs 24 µs (measured on the
// machine of 2026-12-06), a third of the step. So buffers of at least kMinKeptFloats (16 KiB)
// are not freed when their last tensor goes: they are kept, by size, and the next request
// for exactly that many floats gets one back, already mapped. (PyTorch does the same on
// the GPU, for the same reason.)
//
// How much is kept: a bound set by the high-water mark of live tensors. With L the bytes
// live tensors hold and P the most they ever held at once, live plus kept, L + K, stays
// within kHeadroom · P. Dropping a tensor moves its bytes from L to K, which keeps L + K
// the same; only a new buffer raises it, and before one is made the oldest kept buffers
// are freed until it fits. Why headroom: a buffer is only reused for a request of its
// exact size, and the buffer dropped is not always the size asked for next, so a cache
// held to P alone kept freeing buffers a step would ask for again (GPT-2 124M: 72,000
// page faults a step at 1.05 · P, 63,000 at 1.1, none from 1.2 on; its resident peak was
// the same 3.35 GB at 1.1, 1.25 and with no bound at all, because a repeating loop never
// fills the headroom). A training loop that repeats its sizes thus reaches a state with
// no new buffers and no page faults; generation, whose sizes change every token, stays
// within a small multiple of its own small peak.
#include "tensor/storage.h"

#include "kernels/parallel.h"

#ifdef __linux__
#include <sys/mman.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace llm {

namespace {

// 16 KiB. From 128 KiB on, glibc's malloc maps every buffer fresh from the OS; below, a
// free that leaves 64 KiB or more in one piece makes it give the free top of its heap back
// to the OS, so that the next step's buffers there fault their pages in again (a 4-block
// model of width 128 with batch 1, whose activations are 64 KiB: 992 page faults and
// 17.9 ms a step when buffers below 128 KiB were not kept, none and 5.8 ms with this
// bound; AMD Zen 5, 1 thread).
constexpr size_t kMinKeptFloats = size_t(1) << 12;
constexpr double kHeadroom = 1.25;                   // live + kept ≤ kHeadroom · the peak of live bytes

// A kept buffer and when it was kept (a counter), so that the oldest is freed first.
struct KeptBuffer {
    std::vector<float> values;
    uint64_t kept_at;
};

struct KeptBuffers {
    std::mutex mutex;  // tensors can be made and dropped on any thread
    std::unordered_map<size_t, std::vector<KeptBuffer>> by_size;  // key: number of floats
    size_t bytes = 0;
    uint64_t clock = 0;
};

// Never destroyed: a tensor held in a static object may be dropped after main returns.
KeptBuffers& kept() {
    static KeptBuffers* buffers = new KeptBuffers;
    return *buffers;
}

// A kept buffer of exactly n floats, or an empty vector.
std::vector<float> take_kept(size_t n) {
    if (n < kMinKeptFloats) return {};
    KeptBuffers& k = kept();
    std::lock_guard<std::mutex> lock(k.mutex);
    auto it = k.by_size.find(n);
    if (it == k.by_size.end()) return {};
    std::vector<float> values = std::move(it->second.back().values);
    it->second.pop_back();
    if (it->second.empty()) k.by_size.erase(it);  // every size in the map has a buffer
    k.bytes -= n * sizeof(float);
    return values;
}

// Keeps `values` for reuse if it is big; otherwise it is freed here. (Its bytes were
// just taken off the live count, so live plus kept stays the same.)
void keep(std::vector<float>&& values) {
    size_t n = values.size();
    if (n < kMinKeptFloats) return;
    KeptBuffers& k = kept();
    std::lock_guard<std::mutex> lock(k.mutex);
    k.bytes += n * sizeof(float);
    k.by_size[n].push_back({std::move(values), k.clock++});
}

// Bytes of live storage and their peaks (tensors are made and dropped on any thread):
// g_peak_bytes is the one callers may reset, g_high_water_bytes the cache's, never reset.
std::atomic<size_t> g_live_bytes{0}, g_peak_bytes{0}, g_high_water_bytes{0};

// Frees the oldest kept buffers until live + kept + `new_bytes` fits under kHeadroom times
// the high-water mark of live bytes (or the new mark that `new_bytes` sets).
void make_room_for(size_t new_bytes) {
    KeptBuffers& k = kept();
    std::lock_guard<std::mutex> lock(k.mutex);
    size_t live_after = g_live_bytes.load() + new_bytes;
    double bound = kHeadroom * static_cast<double>(std::max(g_high_water_bytes.load(), live_after));
    size_t limit = static_cast<size_t>(bound) - live_after;  // room left for kept bytes
    while (k.bytes > limit) {
        auto oldest = k.by_size.begin();  // the size whose first (oldest) buffer is the oldest
        for (auto it = k.by_size.begin(); it != k.by_size.end(); ++it)
            if (it->second.front().kept_at < oldest->second.front().kept_at) oldest = it;
        k.bytes -= oldest->first * sizeof(float);
        oldest->second.erase(oldest->second.begin());  // freed here
        if (oldest->second.empty()) k.by_size.erase(oldest);
    }
}

// Asks Linux to back [data, data + bytes) with 2 MB pages where it can ("transparent huge
// pages"), before anything touches it: a fresh buffer then costs one page fault per 2 MB
// instead of one per 4 KB.
void advise_huge_pages(float* data, size_t bytes) {
#ifdef __linux__
    constexpr uintptr_t kHuge = uintptr_t(1) << 21;
    uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
    uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
    (void)data, (void)bytes;
#endif
}

// A new vector of n floats, all `value`, after making room for it.
std::vector<float> fresh_values(size_t n, float value) {
    if (n < kMinKeptFloats) return std::vector<float>(n, value);
    make_room_for(n * sizeof(float));
    std::vector<float> values;
    values.reserve(n);  // allocated, not yet touched
    advise_huge_pages(values.data(), n * sizeof(float));
    values.resize(n, value);
    return values;
}

// Raises `peak` to at least `value`.
void raise_to(std::atomic<size_t>& peak, size_t value) {
    size_t seen = peak.load();
    while (value > seen && !peak.compare_exchange_weak(seen, value)) {}
}

void count_storage(size_t bytes) {
    size_t live = g_live_bytes.fetch_add(bytes) + bytes;
    raise_to(g_peak_bytes, live);
    raise_to(g_high_water_bytes, live);
}

// The storage's deleter: offer the values to the cache, then delete the vector object.
struct KeepBigBuffers {
    size_t bytes;  // as counted when the storage was made
    void operator()(std::vector<float>* values) const {
        g_live_bytes.fetch_sub(bytes);
        keep(std::move(*values));
        delete values;
    }
};

}  // namespace

std::vector<float> new_values(size_t n, float value) {
    std::vector<float> values = take_kept(n);
    if (values.size() != n) return fresh_values(n, value);
    float* v = values.data();
    parallel_for(static_cast<int64_t>(n), kElementGrain, [&](int64_t begin, int64_t end) {
        std::fill(v + begin, v + end, value);
    });
    return values;
}

std::vector<float> new_values_unset(size_t n) {
    std::vector<float> values = take_kept(n);
    if (values.size() != n) return fresh_values(n, 0.0f);
    return values;
}

std::shared_ptr<std::vector<float>> make_storage(std::vector<float> values) {
    size_t bytes = values.size() * sizeof(float);
    count_storage(bytes);
    return std::shared_ptr<std::vector<float>>(new std::vector<float>(std::move(values)), KeepBigBuffers{bytes});
}

size_t kept_storage_bytes() {
    KeptBuffers& k = kept();
    std::lock_guard<std::mutex> lock(k.mutex);
    return k.bytes;
}

size_t live_storage_bytes() { return g_live_bytes.load(); }
size_t peak_storage_bytes() { return g_peak_bytes.load(); }
size_t high_water_storage_bytes() { return g_high_water_bytes.load(); }
void reset_peak_storage_bytes() { g_peak_bytes.store(g_live_bytes.load()); }

void free_kept_storage() {
    KeptBuffers& k = kept();
    std::lock_guard<std::mutex> lock(k.mutex);
    k.by_size.clear();
    k.bytes = 0;
    g_high_water_bytes.store(g_live_bytes.load());  // the cache starts over from what is live
}

}  // namespace llm
