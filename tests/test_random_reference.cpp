// Every line of torch's reference file, bit for bit. torch_rng_ref_avx2.txt holds what
// torch 1.13 printed (AVX2 kernels) for a script of calls, 172 lines (book-notes/torch_rng.md);
// this test replays the calls of that script (torch_rng_check.py, main set) with the C++
// generator, prints each result in the script's format (values and an FNV-1a hash of the
// raw bits) and compares. It skips when the file is not there; test_random.cpp carries
// the essential values as literals.
#include "catch_compat.h"

#include "io/files.h"
#include "ops/ops.h"
#include "random/random.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace llm;

namespace {

const char* kReferencePath = "../shared/torch_rng/torch_rng_ref_avx2.txt";

uint64_t fnv1a(const unsigned char* bytes, size_t n, uint64_t h = 0xCBF29CE484222325ULL) {
    for (size_t i = 0; i < n; i++) {
        h ^= bytes[i];
        h *= 0x100000001B3ULL;
    }
    return h;
}

// One element as the script prints it: its raw bytes for the hash and its text.
struct Element {
    std::string text;
    std::vector<unsigned char> bytes;
};

Element element(float v) {
    Element e{std::string(32, '\0'), std::vector<unsigned char>(4)};
    e.text.resize(static_cast<size_t>(std::snprintf(e.text.data(), 32, "%.8f", static_cast<double>(v))));
    std::memcpy(e.bytes.data(), &v, 4);
    return e;
}
Element element(double v) {
    Element e{std::string(32, '\0'), std::vector<unsigned char>(8)};
    e.text.resize(static_cast<size_t>(std::snprintf(e.text.data(), 32, "%.8f", v)));
    std::memcpy(e.bytes.data(), &v, 8);
    return e;
}
Element element(int64_t v) {
    Element e{std::to_string(v), std::vector<unsigned char>(8)};
    std::memcpy(e.bytes.data(), &v, 8);
    return e;
}

template <typename T>
std::string show(const std::string& label, const std::vector<T>& values) {
    uint64_t h = 0xCBF29CE484222325ULL;
    std::string shown;
    size_t n = values.size();
    for (size_t i = 0; i < n; i++) {
        Element e = element(values[i]);
        h = fnv1a(e.bytes.data(), e.bytes.size(), h);
        bool printed = n <= 16 || i < 12 || i >= n - 4;
        if (printed && !shown.empty()) shown += ' ';
        if (printed) shown += e.text;
        if (n > 16 && i == 11) shown += " ...";
    }
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(h));
    return label + " [n=" + std::to_string(n) + "] fnv=" + hash + " : " + shown;
}

template <typename T>
std::vector<T> fill_uniform(int64_t n, double from, double to) {
    std::vector<T> v(static_cast<size_t>(n));
    uniform_(v.data(), n, from, to);
    return v;
}
template <typename T>
std::vector<T> fill_normal(int64_t n, double mean, double std_dev) {
    std::vector<T> v(static_cast<size_t>(n));
    normal_(v.data(), n, mean, std_dev);
    return v;
}
std::vector<float> dropout_of(std::vector<float> x, double p) {
    std::vector<float> mask(x.size());
    dropout_mask(mask.data(), static_cast<int64_t>(x.size()), p);
    for (size_t i = 0; i < x.size(); i++) x[i] *= mask[i];
    return x;
}

void linear_lines(std::vector<std::string>& out, const std::string& p, int64_t in, int64_t outf, bool bias) {
    std::vector<float> w(static_cast<size_t>(in * outf)), b(static_cast<size_t>(outf));
    init_linear(w.data(), outf, in, bias ? b.data() : nullptr);
    std::string name = p + "linear" + std::to_string(in) + "x" + std::to_string(outf);
    out.push_back(show(name + (bias ? ".weight" : "nobias.weight"), w));
    if (bias) out.push_back(show(name + ".bias", b));
}

std::vector<float> embedding(int64_t num, int64_t dim) {
    std::vector<float> w(static_cast<size_t>(num * dim));
    init_embedding(w.data(), num, dim);
    return w;
}

}  // namespace

namespace {

std::vector<std::string> book_lines() {
    std::vector<std::string> out;
    manual_seed(123);
    for (const char* name : {"W_query", "W_key", "W_value"})
        out.push_back(show(std::string("book.rand3x2.") + name, fill_uniform<float>(6, 0, 1)));
    manual_seed(789);
    for (const char* name : {"W_query", "W_key", "W_value"}) {
        std::vector<float> w(6);
        init_linear(w.data(), 2, 3, nullptr);
        out.push_back(show(std::string("book.linear789.") + name, w));
    }
    manual_seed(123);
    out.push_back(show("book.dropout0.5.ones6x6", dropout_of(std::vector<float>(36, 1.0f), 0.5)));
    manual_seed(123);
    out.push_back(show("book.embedding6x3", embedding(6, 3)));
    manual_seed(123);
    out.push_back(show("book.embedding50257x256", embedding(50257, 256)));
    manual_seed(123);
    out.push_back(show("book.randn2x5", fill_normal<float>(10, 0, 1)));
    Tensor probas = softmax(tensor({4.51f, 0.89f, -1.90f, 6.75f, 1.63f, -1.62f, -1.89f, 6.28f, 1.79f}), 0);
    out.push_back(show("book.probas", probas.values()));
    manual_seed(123);
    out.push_back(show("book.multinomial1", std::vector<int64_t>{multinomial1(probas.data(), 9)}));
    manual_seed(123);
    std::vector<int64_t> counts(9, 0);
    for (int i = 0; i < 1000; i++) counts[static_cast<size_t>(multinomial1(probas.data(), 9))]++;
    out.push_back(show("book.multinomial1000.bincount", counts));
    return out;
}

void randn_lines(std::vector<std::string>& out, const std::string& p, uint64_t seed) {
    manual_seed(seed);
    out.push_back(show(p + "randn1", fill_normal<float>(1, 0, 1)));
    out.push_back(show(p + "randn3a", fill_normal<float>(3, 0, 1)));
    out.push_back(show(p + "randn3b", fill_normal<float>(3, 0, 1)));
    out.push_back(show(p + "randn2x5", fill_normal<float>(10, 0, 1)));
    out.push_back(show(p + "randn15", fill_normal<float>(15, 0, 1)));
    for (int64_t n : {16, 17, 31, 32, 33, 100, 1000, 4099}) {
        manual_seed(seed);
        out.push_back(show(p + "randn" + std::to_string(n), fill_normal<float>(n, 0, 1)));
    }
    manual_seed(seed);
    out.push_back(show(p + "mix.randn1", fill_normal<float>(1, 0, 1)));
    out.push_back(show(p + "mix.randn20", fill_normal<float>(20, 0, 1)));
    out.push_back(show(p + "mix.randn1_again", fill_normal<float>(1, 0, 1)));
    manual_seed(seed);
    out.push_back(show(p + "randn_f64_5", fill_normal<double>(5, 0, 1)));
    out.push_back(show(p + "randn_f64_20", fill_normal<double>(20, 0, 1)));
}

void uniform_and_init_lines(std::vector<std::string>& out, const std::string& p, uint64_t seed) {
    manual_seed(seed);
    out.push_back(show(p + "uniform10(-0.5,0.5)", fill_uniform<float>(10, -0.5, 0.5)));
    out.push_back(show(p + "uniform10(2,5)", fill_uniform<float>(10, 2, 5)));
    out.push_back(show(p + "uniform10(-0.0360844,0.0360844)", fill_uniform<float>(10, -0.0360844, 0.0360844)));
    out.push_back(show(p + "uniform1000(-0.1,0.3)", fill_uniform<float>(1000, -0.1, 0.3)));
    manual_seed(seed);
    out.push_back(show(p + "normal10(1.5,0.3)", fill_normal<float>(10, 1.5, 0.3)));
    out.push_back(show(p + "normal40(1.5,0.3)", fill_normal<float>(40, 1.5, 0.3)));
    out.push_back(show(p + "normal1000(0,0.02)", fill_normal<float>(1000, 0.0, 0.02)));
    manual_seed(seed);
    linear_lines(out, p, 4, 3, true);
    manual_seed(seed);
    linear_lines(out, p, 768, 3072, true);
    manual_seed(seed);
    linear_lines(out, p, 50, 7, false);
    manual_seed(seed);
    out.push_back(show(p + "embedding5x3", embedding(5, 3)));
    out.push_back(show(p + "embedding6x3", embedding(6, 3)));
    out.push_back(show(p + "embedding1000x64", embedding(1000, 64)));
}

void bernoulli_lines(std::vector<std::string>& out, const std::string& p, uint64_t seed) {
    manual_seed(seed);
    out.push_back(show(p + "dropout0.5.ones6x6", dropout_of(std::vector<float>(36, 1.0f), 0.5)));
    out.push_back(show(p + "dropout0.1.ones4x5", dropout_of(std::vector<float>(20, 1.0f), 0.1)));
    out.push_back(show(p + "after_dropout.rand3", fill_uniform<float>(3, 0, 1)));
    std::vector<float> x(12);
    for (int i = 0; i < 12; i++) x[static_cast<size_t>(i)] = static_cast<float>(i) * 0.25f;
    out.push_back(show(p + "dropout0.2.arange", dropout_of(x, 0.2)));
    std::vector<float> b(10), probs(10, 0.3f);
    bernoulli_(b.data(), 10, 0.3);
    out.push_back(show(p + "bernoulli_scalar0.3", b));
    bernoulli(b.data(), probs.data(), 10);
    out.push_back(show(p + "bernoulli_tensor0.3", b));
    out.push_back(show(p + "after_bernoulli.rand3", fill_uniform<float>(3, 0, 1)));
}

void sampling_lines(std::vector<std::string>& out, const std::string& p, uint64_t seed) {
    manual_seed(seed);
    std::vector<float> e(5);
    exponential_(e.data(), 5, 1.0);
    out.push_back(show(p + "exponential5", e));
    exponential_(e.data(), 5, 2.0);
    out.push_back(show(p + "exponential5_lambda2", e));
    std::vector<float> w(50257);
    for (int64_t i = 0; i < 50257; i++) w[static_cast<size_t>(i)] = static_cast<float>((i * 7919) % 1000 + 1);
    manual_seed(seed);
    std::vector<int64_t> picks;
    for (int i = 0; i < 20; i++) picks.push_back(multinomial1(w.data(), 50257));
    out.push_back(show(p + "multinomial.vocab50257", picks));
    const float probs2[10] = {1, 2, 3, 4, 5, 5, 4, 3, 2, 1};
    manual_seed(seed);
    std::vector<int64_t> rows(20);  // torch.cat(..., dim=1) of [2, 1] results: row 0 then row 1
    for (size_t i = 0; i < 10; i++) {
        rows[i] = multinomial1(probs2, 5);
        rows[10 + i] = multinomial1(probs2 + 5, 5);
    }
    out.push_back(show(p + "multinomial.2rows", rows));
    out.push_back(show(p + "after_multinomial.rand3", fill_uniform<float>(3, 0, 1)));
}

void integer_lines(std::vector<std::string>& out, const std::string& p, uint64_t seed) {
    manual_seed(seed);
    out.push_back(show(p + "random_int64", std::vector<int64_t>{random_int64()}));
    out.push_back(show(p + "randperm10", randperm(10)));
    out.push_back(show(p + "randperm1000", randperm(1000)));
    manual_seed(seed);
    dataloader_base_seed();
    out.push_back(show(p + "dataloader.shuffle10", random_sampler_order(10)));
    out.push_back(show(p + "after_dataloader.rand3", fill_uniform<float>(3, 0, 1)));
}

std::vector<std::string> per_seed_lines(uint64_t seed) {
    std::vector<std::string> out;
    std::string p = std::string("s").append(std::to_string(seed)).append(".");
    manual_seed(seed);
    out.push_back(show(p + "rand7", fill_uniform<float>(7, 0, 1)));
    out.push_back(show(p + "rand2x3x4", fill_uniform<float>(24, 0, 1)));
    out.push_back(show(p + "rand_f64_5", fill_uniform<double>(5, 0, 1)));
    randn_lines(out, p, seed);
    uniform_and_init_lines(out, p, seed);
    bernoulli_lines(out, p, seed);
    sampling_lines(out, p, seed);
    integer_lines(out, p, seed);
    return out;
}

}  // namespace

TEST_CASE("every line of torch's AVX2 reference output, bit for bit", "[random][reference]") {
    std::ifstream file(kReferencePath);
    if (!file) {
        skip_test(std::string(kReferencePath) + " not found (it lives in ../shared; test_random.cpp still runs)");
        return;
    }
    std::vector<std::string> expected;
    for (std::string line; std::getline(file, line);) expected.push_back(line);
    std::vector<std::string> got = book_lines();
    for (uint64_t seed : {123, 789, 456})
        for (const std::string& line : per_seed_lines(seed)) got.push_back(line);
    REQUIRE(got.size() == expected.size());
    int mismatches = 0;
    for (size_t i = 0; i < got.size(); i++) {
        bool probas = expected[i].rfind("book.probas", 0) == 0;  // softmax bits may differ (torch_rng.md §9.2)
        std::string want = probas ? expected[i].substr(expected[i].find(" : ")) : expected[i];
        std::string have = probas ? got[i].substr(got[i].find(" : ")) : got[i];
        if (want != have) {
            mismatches++;
            UNSCOPED_INFO("want " << expected[i] << "\n have " << got[i]);
        }
    }
    CHECK(mismatches == 0);
}
