// Reusing big buffers (see tensor/storage.h).
//
// A training step allocates the same buffers in the same order every step: activations,
// their gradients, the logits. Freed to the C library and asked for again, a big buffer
// often comes back as fresh memory from the operating system, which must clear every
// 4 KB page the first time it is touched (a page fault). For GPT-2 124M that was about a
// twelfth of a training step. So buffers of at least kMinKeptFloats are not freed when
// their last tensor goes: they are kept, by size, and the next request for exactly that
// many floats gets one back, already mapped. (PyTorch does the same on the GPU, for the
// same reason.) At most kMaxKeptBytes are kept; beyond that buffers are freed as usual, so
// generating text, whose lengths change every token, cannot grow the cache without end.
#include "tensor/storage.h"

#include "kernels/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

namespace llm {

namespace {

constexpr size_t kMinKeptFloats = size_t(1) << 15;  // 128 KiB: from there on the C library maps fresh pages
constexpr size_t kMaxKeptBytes = size_t(1) << 30;   // 1 GiB

struct KeptBuffers {
    std::mutex mutex;  // tensors can be made and dropped on any thread
    std::unordered_map<size_t, std::vector<std::vector<float>>> by_size;  // key: number of floats
    size_t bytes = 0;
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
    if (it == k.by_size.end() || it->second.empty()) return {};
    std::vector<float> values = std::move(it->second.back());
    it->second.pop_back();
    k.bytes -= n * sizeof(float);
    return values;
}

// Keeps `values` for reuse if it is big and there is room; otherwise it is freed here.
void keep(std::vector<float>&& values) {
    size_t n = values.size();
    if (n < kMinKeptFloats) return;
    KeptBuffers& k = kept();
    std::lock_guard<std::mutex> lock(k.mutex);
    if (k.bytes + n * sizeof(float) > kMaxKeptBytes) return;
    k.bytes += n * sizeof(float);
    k.by_size[n].push_back(std::move(values));
}

// Bytes of live storage and their peak (tensors are made and dropped on any thread).
std::atomic<size_t> g_live_bytes{0}, g_peak_bytes{0};

void count_storage(size_t bytes) {
    size_t live = g_live_bytes.fetch_add(bytes) + bytes;
    size_t peak = g_peak_bytes.load();
    while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {}
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
    if (values.size() != n) return std::vector<float>(n, value);
    float* v = values.data();
    parallel_for(static_cast<int64_t>(n), 32768, [&](int64_t begin, int64_t end) {
        std::fill(v + begin, v + end, value);
    });
    return values;
}

std::vector<float> new_values_unset(size_t n) {
    std::vector<float> values = take_kept(n);
    if (values.size() != n) return std::vector<float>(n);
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
void reset_peak_storage_bytes() { g_peak_bytes.store(g_live_bytes.load()); }

void free_kept_storage() {
    KeptBuffers& k = kept();
    std::lock_guard<std::mutex> lock(k.mutex);
    k.by_size.clear();
    k.bytes = 0;
}

}  // namespace llm
