// PyTorch's CPU random number generator, bit for bit (torch 1.13, AVX2 kernel flavour;
// book-notes/torch_rng.md explains it and section numbers below refer to it).
//
// Why bother: with the same seed, the book's programs print the same random weights,
// dropout masks and samples here as in the book. Every function states how many
// 32-bit words of the Mersenne Twister stream it consumes, because that is what
// keeps later numbers in step with PyTorch.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace llm {

// MT19937 plus the one-slot cache of the scalar Box–Muller sampler (§1.1).
class Generator {
public:
    explicit Generator(uint64_t seed = 67280421310721ULL);  // PyTorch's default seed

    void manual_seed(uint64_t seed);  // only the low 32 bits count; empties the cache (§1.2)
    uint32_t random();                // one word (§1.3)
    uint64_t random64();              // two words, the first is the high half (§1.4)
    void random_words(uint32_t* out, int64_t n);  // n calls of random(), faster
    float uniform_float();            // U32f: one word -> [0, 1) with 24 bits (§2)
    double uniform_double();          // U64d: two words -> [0, 1) with 53 bits (§2)

    // The whole state, for checkpoints: 624 words, the read position and the cache.
    struct State {
        std::array<uint32_t, 624> mt{};
        int32_t position = 624;
        bool has_cached_normal = false;
        double cached_normal = 0.0;
    };
    State state;

private:
    void regenerate();  // the MT19937 twist of all 624 words
};

// The global default generator that torch.manual_seed seeds.
Generator& default_generator();
void manual_seed(uint64_t seed);

// --- filling buffers (one sample per element, in order) -------------------------------

// torch.rand / Tensor.uniform_(from, to): 1 word per float, 2 per double (§4).
void uniform_(float* data, int64_t n, double from, double to, Generator& gen = default_generator());
void uniform_(double* data, int64_t n, double from, double to, Generator& gen = default_generator());

// torch.randn / Tensor.normal_(mean, std) (§5): fewer than 16 elements use scalar
// Box–Muller with the cache, 16 or more the 16-wide block transform.
void normal_(float* data, int64_t n, double mean, double std, Generator& gen = default_generator());
void normal_(double* data, int64_t n, double mean, double std, Generator& gen = default_generator());

// Tensor.bernoulli_(p) with a number p: 1.0 where U64d() < p (2 words each, §8.2).
void bernoulli_(float* data, int64_t n, double p, Generator& gen = default_generator());
// torch.bernoulli(probs) with a float32 probability tensor: U32f() < probs[i] (1 word each).
void bernoulli(float* out, const float* probs, int64_t n, Generator& gen = default_generator());

// nn.Dropout(p) in training mode (§8.1): mask[i] = (kept ? 1 : 0) / f32(1 - p), 2 words each.
// For 0 < p < 1; the caller handles p = 0 and p = 1, which draw nothing.
void dropout_mask(float* mask, int64_t n, double p, Generator& gen = default_generator());
// The same draws as dropout_mask, kept as bits: bit i % 32 of words[i / 32] is 1 where element
// i is kept (FlashAttention keeps T²/8 bytes per head instead of a float per weight).
void dropout_mask_bits(uint32_t* words, int64_t n, double p, Generator& gen = default_generator());

// Tensor.exponential_(lambd) (§9.1): -1/lambd · log(1 - U64d()), 2 words each.
void exponential_(float* data, int64_t n, double lambd, Generator& gen = default_generator());

// torch.multinomial(probs, 1) for one row of V probabilities (§9.2): draws V
// exponentials (2·V words) and returns the first index of the largest probs[i] / q[i].
int64_t multinomial1(const float* probs, int64_t V, Generator& gen = default_generator());

// --- integers and permutations (§10) ---------------------------------------------------

int64_t random_int64(Generator& gen = default_generator());  // int64 random_(): 2 words, low 63 bits
std::vector<int64_t> randperm(int64_t n, Generator& gen = default_generator());  // n-1 words

// A DataLoader's draws: every pass draws a base seed (2 words) ...
int64_t dataloader_base_seed();
// ... and a shuffled pass then draws a seed (2 words) for a private generator
// whose randperm(n) is the order of the dataset indices.
std::vector<int64_t> random_sampler_order(int64_t n);
// The same in two halves, for a pass that is rebuilt later (a checkpoint keeps the seed,
// not the order): the seed (2 words, 0 <= seed < 2^63), then the order it gives (no draws
// from the default generator).
int64_t random_sampler_seed();
std::vector<int64_t> sampler_order(int64_t seed, int64_t n);

// --- default initialisation of layers (§6, §7) ------------------------------------------

// nn.Linear(in, out): weight [out, in] from kaiming_uniform_(a=√5), then bias [out]
// (may be null) from uniform_(-1/√in, 1/√in).
void init_linear(float* weight, int64_t out_features, int64_t in_features, float* bias,
                 Generator& gen = default_generator());
// nn.Embedding(num, dim): weight [num, dim] from normal_(0, 1).
void init_embedding(float* weight, int64_t num_embeddings, int64_t embedding_dim,
                    Generator& gen = default_generator());

}  // namespace llm
