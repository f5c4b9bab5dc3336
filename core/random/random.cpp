// The Mersenne Twister behind torch.manual_seed, and every sampler except the normal
// distribution (random/normal.cpp). Section numbers refer to book-notes/torch_rng.md.
#include "random/random.h"

#include <algorithm>
#include <cmath>

namespace llm {

// --- the generator (§1) ------------------------------------------------------------------

Generator::Generator(uint64_t seed) { manual_seed(seed); }

// Standard MT19937 seeding from the low 32 bits; the cache of normals is emptied.
void Generator::manual_seed(uint64_t seed) {
    state.mt[0] = static_cast<uint32_t>(seed & 0xffffffffu);
    for (uint32_t i = 1; i < 624; i++) {
        uint32_t prev = state.mt[i - 1];
        state.mt[i] = 1812433253u * (prev ^ (prev >> 30)) + i;  // arithmetic mod 2^32
    }
    state.position = 624;  // the first request regenerates the block
    state.has_cached_normal = false;
    state.cached_normal = 0.0;
}

// Mix every word with its neighbour and the word 397 places on (wrapping around at 624).
// One step: the top bit of word i, the low 31 bits of word i+1, and word i+397.
static uint32_t twist(uint32_t word_i, uint32_t word_next, uint32_t word_397) {
    uint32_t y = (word_i & 0x80000000u) | (word_next & 0x7fffffffu);
    uint32_t mixed = word_397 ^ (y >> 1);
    return (y & 1u) ? mixed ^ 0x9908b0dfu : mixed;
}

// The same loop as "for i in 0..623: mt[i] = twist(mt[i], mt[(i+1) % 624], mt[(i+397) % 624])",
// cut where the indices wrap so that no % is needed (it was a tenth of a training step).
void Generator::regenerate() {
    std::array<uint32_t, 624>& mt = state.mt;
    int i = 0;
    for (; i < 624 - 397; i++) mt[i] = twist(mt[i], mt[i + 1], mt[i + 397]);
    for (; i < 623; i++) mt[i] = twist(mt[i], mt[i + 1], mt[i + 397 - 624]);
    mt[623] = twist(mt[623], mt[0], mt[396]);
    state.position = 0;
}

// MT19937's output scrambling of a state word.
static uint32_t temper(uint32_t y) {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

// The next word, tempered.
uint32_t Generator::random() {
    if (state.position >= 624) regenerate();
    return temper(state.mt[state.position++]);
}

// The same words as n calls of random(), a block at a time: the loop over a block has
// no calls or branches, so the compiler vectorises the tempering.
void Generator::random_words(uint32_t* out, int64_t n) {
    while (n > 0) {
        if (state.position >= 624) regenerate();
        int64_t take = std::min<int64_t>(n, 624 - state.position);
        const uint32_t* words = state.mt.data() + state.position;
        for (int64_t i = 0; i < take; i++) out[i] = temper(words[i]);
        state.position += static_cast<int32_t>(take);
        out += take;
        n -= take;
    }
}

uint64_t Generator::random64() {
    uint64_t high = random();
    uint64_t low = random();
    return (high << 32) | low;
}

// Low 24 bits times 2^-24: exact in float.
float Generator::uniform_float() {
    return static_cast<float>(random() & 0x00ffffffu) * (1.0f / 16777216.0f);
}

// Low 53 bits times 2^-53: exact in double.
double Generator::uniform_double() {
    return static_cast<double>(random64() & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
}

Generator& default_generator() {
    static Generator generator;
    return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

// --- uniform (§2, §4) ------------------------------------------------------------------
// The AVX2 kernels compute from + x·(to - from) with one rounding (a fused multiply-add);
// for [0, 1) that is x itself.

void uniform_(float* data, int64_t n, double from, double to, Generator& gen) {
    float lo = static_cast<float>(from);
    float range = static_cast<float>(to) - lo;
    for (int64_t i = 0; i < n; i++) data[i] = std::fma(gen.uniform_float(), range, lo);
}

void uniform_(double* data, int64_t n, double from, double to, Generator& gen) {
    double range = to - from;
    for (int64_t i = 0; i < n; i++) data[i] = std::fma(gen.uniform_double(), range, from);
}

// --- Bernoulli and dropout (§8) ---------------------------------------------------------

void bernoulli_(float* data, int64_t n, double p, Generator& gen) {
    for (int64_t i = 0; i < n; i++) data[i] = gen.uniform_double() < p ? 1.0f : 0.0f;
}

void bernoulli(float* out, const float* probs, int64_t n, Generator& gen) {
    for (int64_t i = 0; i < n; i++) out[i] = gen.uniform_float() < probs[i] ? 1.0f : 0.0f;
}

// Keep an element when U64d() < 1 - p, then scale kept ones by 1/(1-p) so the
// expected value is unchanged. The division is in float, as PyTorch does it.
//
// U64d() is the low 53 bits of two words times 2^-53, so U64d() < keep exactly when
// those 53 bits, as an integer, are below keep·2^53 (a product by a power of two is
// exact), i.e. below its ceiling. Comparing integers drawn a block at a time gives the
// same mask as one uniform_double() per element, several times faster.
void dropout_mask(float* mask, int64_t n, double p, Generator& gen) {
    double keep = 1.0 - p;
    float kept_value = 1.0f / static_cast<float>(keep);
    uint64_t threshold = static_cast<uint64_t>(std::ceil(keep * 9007199254740992.0));  // keep·2^53
    constexpr uint64_t low_53_bits = (uint64_t(1) << 53) - 1;
    constexpr int64_t block = 1024;  // elements per block of words
    uint32_t words[2 * block];
    for (int64_t start = 0; start < n; start += block) {
        int64_t count = std::min(block, n - start);
        gen.random_words(words, 2 * count);
        for (int64_t i = 0; i < count; i++) {  // as random64(): the first word is the high half
            uint64_t bits = ((uint64_t(words[2 * i]) << 32) | words[2 * i + 1]) & low_53_bits;
            mask[start + i] = bits < threshold ? kept_value : 0.0f;
        }
    }
}

// The same comparison, one bit per element (blocks of 1024 keep the words 32-aligned),
// made on the two 32-bit words as they come: the 53 bits are the high word's low 21 bits
// followed by the low word, so they are below the threshold exactly when the high part is
// below the threshold's high part, or equal to it with the low word below its low part.
// Each word of the mask takes 32 such verdicts, with no 64-bit values and no branches.
void dropout_mask_bits(uint32_t* out, int64_t n, double p, Generator& gen) {
    uint64_t threshold = static_cast<uint64_t>(std::ceil((1.0 - p) * 9007199254740992.0));  // keep·2^53
    uint32_t threshold_high = static_cast<uint32_t>(threshold >> 32), threshold_low = static_cast<uint32_t>(threshold);
    constexpr int64_t block = 1024;
    uint32_t words[2 * block];
    for (int64_t start = 0; start < n; start += block) {
        int64_t count = std::min(block, n - start);
        gen.random_words(words, 2 * count);
        for (int64_t w = 0; w < (count + 31) / 32; w++) {
            int64_t bits = std::min<int64_t>(32, count - 32 * w);
            const uint32_t* pairs = words + 64 * w;  // (high, low) for each of the word's elements
            uint32_t word = 0;
            for (int64_t b = 0; b < bits; b++) {
                uint32_t high = pairs[2 * b] & 0x1fffffu, low = pairs[2 * b + 1];
                uint32_t keep = (high < threshold_high) | ((high == threshold_high) & (low < threshold_low));
                word |= keep << b;
            }
            out[start / 32 + w] = word;
        }
    }
}

// --- exponential and multinomial (§9) ---------------------------------------------------

void exponential_(float* data, int64_t n, double lambd, Generator& gen) {
    double scale = -1.0 / lambd;
    for (int64_t i = 0; i < n; i++) data[i] = static_cast<float>(scale * std::log(1.0 - gen.uniform_double()));
}

// Dividing each probability by an Exp(1) draw and taking the largest picks index i
// with probability p_i / Σp (the "exponential race"); no normalisation needed.
int64_t multinomial1(const float* probs, int64_t V, Generator& gen) {
    std::vector<float> q(static_cast<size_t>(V));
    exponential_(q.data(), V, 1.0, gen);
    int64_t best = 0;
    float best_score = probs[0] / q[0];
    for (int64_t i = 1; i < V; i++) {
        float score = probs[i] / q[static_cast<size_t>(i)];
        if (score > best_score) {
            best = i;
            best_score = score;
        }
    }
    return best;
}

// --- integers, permutations, the DataLoader's draws (§10) ------------------------------

int64_t random_int64(Generator& gen) {
    return static_cast<int64_t>(gen.random64() & 0x7fffffffffffffffULL);
}

// Fisher–Yates from the front: position i swaps with a random later-or-same position.
std::vector<int64_t> randperm(int64_t n, Generator& gen) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) order[static_cast<size_t>(i)] = i;
    for (int64_t i = 0; i + 1 < n; i++) {
        int64_t z = static_cast<int64_t>(gen.random() % static_cast<uint32_t>(n - i));
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(i + z)]);
    }
    return order;
}

int64_t dataloader_base_seed() { return random_int64(default_generator()); }

int64_t random_sampler_seed() { return random_int64(default_generator()); }

std::vector<int64_t> sampler_order(int64_t seed, int64_t n) {
    Generator sampler_generator(static_cast<uint64_t>(seed));
    return randperm(n, sampler_generator);
}

std::vector<int64_t> random_sampler_order(int64_t n) { return sampler_order(random_sampler_seed(), n); }

// --- default initialisation (§6, §7) ----------------------------------------------------

// kaiming_uniform_(a=√5) evaluated in double exactly as Python does; for a weight of
// shape [out, in] it comes out as (almost exactly) U(-1/√in, 1/√in).
void init_linear(float* weight, int64_t out_features, int64_t in_features, float* bias, Generator& gen) {
    double fan_in = static_cast<double>(in_features);
    double a = std::sqrt(5.0);
    double gain = std::sqrt(2.0 / (1.0 + a * a));
    double std_dev = in_features > 0 ? gain / std::sqrt(fan_in) : 0.0;
    double bound = std::sqrt(3.0) * std_dev;
    uniform_(weight, out_features * in_features, -bound, bound, gen);
    if (bias != nullptr) {
        double b = in_features > 0 ? 1.0 / std::sqrt(fan_in) : 0.0;
        uniform_(bias, out_features, -b, b, gen);
    }
}

void init_embedding(float* weight, int64_t num_embeddings, int64_t embedding_dim, Generator& gen) {
    normal_(weight, num_embeddings * embedding_dim, 0.0, 1.0, gen);
}

}  // namespace llm
