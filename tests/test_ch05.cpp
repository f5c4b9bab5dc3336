// Chapter 5 golden tests: the book's printed values (chapter 5, ch05.ipynb, copied
// here as literals). The training-run test needs the-verdict.txt and GPT-2's files and is
// skipped without them.
#include "catch_compat.h"
#include "data_files.h"

#include "autograd/autograd.h"
#include "io/files.h"
#include "ops/ops.h"
#include "optim/optim.h"
#include "random/random.h"
#include "text/bpe.h"
#include "train/loss.h"
#include "train/sampling.h"

#include <cstdlib>
#include <cstring>

using namespace llm;

namespace {

GPTConfig book_config() {  // GPT_CONFIG_124M with context_length 256
    GPTConfig cfg = gpt_config_124m();
    cfg.context_length = 256;
    return cfg;
}

std::vector<int64_t> sample_counts(const Tensor& probas) {  // the book's print_sampled_tokens
    manual_seed(123);
    std::vector<int64_t> counts(9, 0);
    for (int i = 0; i < 1000; i++) counts[static_cast<size_t>(multinomial1(probas.data(), 9))]++;
    return counts;
}

}  // namespace

TEST_CASE("5.1.2 cross-entropy and perplexity of the untrained model", "[ch05]") {
    manual_seed(123);
    GPTModel model(book_config());
    model.eval();
    NoGradGuard no_grad;
    Tensor inputs = tensor_int64({{16833, 3626, 6100}, {40, 1107, 588}});
    Tensor targets = tensor_int64({{3626, 6100, 345}, {1107, 588, 11311}});
    Tensor logits = model.forward(inputs);
    Tensor probas = softmax(logits, -1);
    // book 5.1.2: argmax ids [[16657], [339], [42826]] and Text 1 target probabilities
    CHECK(argmax(probas[0], -1).values() == std::vector<float>{16657, 339, 42826});
    CHECK(probas.at({0, 0, 3626}) == Approx(7.4541e-05).epsilon(2e-4));
    CHECK(probas.at({0, 1, 6100}) == Approx(3.1061e-05).epsilon(2e-4));
    Tensor loss = cross_entropy(flatten(logits, 0, 1), flatten(targets));
    CHECK(loss.str() == "tensor(10.7940)");
    CHECK(exp(loss).item() == Approx(48725.8203).epsilon(1e-5));  // the book's perplexity
}

TEST_CASE("5.3 temperature and top-k on the nine-word vocabulary", "[ch05]") {
    Tensor logits = tensor({4.51f, 0.89f, -1.90f, 6.75f, 1.63f, -1.62f, -1.89f, 6.28f, 1.79f});
    // book 5.3.1: counts at T = 1, 0.1 and 5 (seed 123, 1,000 draws each)
    CHECK(sample_counts(softmax(logits, 0)) == std::vector<int64_t>{73, 0, 0, 582, 2, 0, 0, 343, 0});
    CHECK(sample_counts(softmax(div(logits, 0.1f), 0)) == std::vector<int64_t>{0, 0, 0, 985, 0, 0, 0, 15, 0});
    CHECK(sample_counts(softmax(div(logits, 5.0f), 0)) ==
          std::vector<int64_t>{165, 75, 42, 239, 71, 46, 32, 227, 103});
    std::vector<float> filtered = top_k_filter(logits.values(), 3);
    Tensor masked = zeros({9});
    std::copy(filtered.begin(), filtered.end(), masked.data());
    CHECK(masked.str() == "tensor([4.5100,   -inf,   -inf, 6.7500,   -inf,   -inf,   -inf, 6.2800,   -inf])");
    CHECK(softmax(masked, 0).str() ==
          "tensor([0.0615, 0.0000, 0.0000, 0.5775, 0.0000, 0.0000, 0.0000, 0.3610, 0.0000])");
}

TEST_CASE("generate stops at the end-of-text id", "[ch05]") {
    manual_seed(1);
    GPTConfig cfg;
    cfg.vocab_size = 10, cfg.context_length = 8, cfg.emb_dim = 8, cfg.n_heads = 2, cfg.n_layers = 1;
    GPTModel model(cfg);
    model.eval();
    Tensor start = tensor_int64({{1, 2}});
    Tensor greedy = generate(model, start, 5, 8);
    REQUIRE(greedy.size(1) == 7);
    int64_t first_new = static_cast<int64_t>(greedy.at({0, 2}));
    Tensor stopped = generate(model, start, 5, 8, 0.0, std::nullopt, first_new);  // eos = what greedy picks first
    CHECK(stopped.size(1) == 2);
}

TEST_CASE("5.2 the book's training run: the first two evaluation lines", "[ch05][book-run]") {
    const char* build = std::getenv("LLM_BUILD_DIR");
    if (build && std::strstr(build, "asan")) {
        skip_test("six steps of a 163M-parameter model are too slow under the sanitizers; `make test` runs this");
        return;
    }
    std::string text = find_data_file("the-verdict.txt");
    std::string enc = find_data_file("gpt2/encoder.json"), bpe = find_data_file("gpt2/vocab.bpe");
    if (text.empty() || enc.empty() || bpe.empty()) {
        skip_test("needs the-verdict.txt and gpt2/encoder.json + vocab.bpe in data/ or ../shared/data/");
        return;
    }
    BpeTokenizer tokenizer = BpeTokenizer::load_gpt2(enc, bpe);
    std::string raw = read_file(text);
    size_t split = static_cast<size_t>(0.90 * static_cast<double>(raw.size()));
    GPTDatasetV1 train_set(tokenizer.encode(raw.substr(0, split)), 256, 256);
    GPTDatasetV1 val_set(tokenizer.encode(raw.substr(split)), 256, 256);
    DataLoader train_loader(train_set, 2, true, true), val_loader(val_set, 2, false, false);
    manual_seed(123);
    GPTModel model(book_config());
    AdamW optimizer(model.parameters(), 0.0004f, 0.1f);
    std::vector<Losses> evaluations;
    DataLoaderIter pass = train_loader.iter();
    Batch batch;
    for (int64_t global_step = 0; global_step <= 5 && pass.next(batch); global_step++) {
        optimizer.zero_grad();
        calc_loss_batch(batch.input, batch.target, model).backward();
        optimizer.step();
        if (global_step % 5 == 0) evaluations.push_back(evaluate_model(model, train_loader, val_loader, 5));
    }
    REQUIRE(evaluations.size() == 2);
    // book 5.2: Ep 1 (Step 000000): Train loss 9.781, Val loss 9.933; (Step 000005): 8.111, 8.339
    CHECK(evaluations[0].train_loss == Approx(9.781).margin(5e-4));
    CHECK(evaluations[0].val_loss == Approx(9.933).margin(5e-4));
    CHECK(evaluations[1].train_loss == Approx(8.111).margin(5e-4));
    CHECK(evaluations[1].val_loss == Approx(8.339).margin(5e-4));
}

TEST_CASE("generation with a KV cache gives the tokens of generation without it", "[ch05][kv-cache]") {
    manual_seed(3);
    GPTConfig cfg;
    cfg.vocab_size = 60, cfg.context_length = 24, cfg.emb_dim = 32, cfg.n_heads = 4, cfg.n_layers = 2;
    GPTModel model(cfg);
    model.eval();
    Tensor start = tensor_int64({{5, 17, 42}, {7, 7, 1}});
    Tensor plain = generate(model, start, 15, 24);
    Tensor cached = generate(model, start, 15, 24, 0.0, std::nullopt, std::nullopt, true);
    CHECK(cached.values() == plain.values());
    // The logits themselves agree to float rounding.
    KVCache cache;
    Tensor prefix = slice(plain, 1, 0, 10);
    Tensor first = model.forward_cached(slice(prefix, 1, 0, 6), cache);
    Tensor second = model.forward_cached(slice(prefix, 1, 6, 10), cache);
    Tensor whole = model.forward(prefix);
    Tensor both = cat({first, second}, 1);
    REQUIRE(both.shape() == whole.shape());
    for (int64_t i = 0; i < whole.numel(); i++) REQUIRE(both.data()[i] == Approx(whole.data()[i]).margin(1e-5));
    // Sampling draws the same numbers too (seeded), and a text longer than the context falls back.
    manual_seed(9);
    Tensor sampled = generate(model, start, 15, 24, 1.0, 5, std::nullopt, true);
    manual_seed(9);
    CHECK(generate(model, start, 15, 24, 1.0, 5).values() == sampled.values());
    CHECK(generate(model, start, 30, 24, 0.0, std::nullopt, std::nullopt, true).size(1) == 33);
    KVCache full;
    model.forward_cached(tensor_int64(std::vector<int64_t>(24, 1), {1, 24}), full);
    CHECK_THROWS_WITH(model.forward_cached(tensor_int64(std::vector<int64_t>{1}, {1, 1}), full),
                      Catch::Matchers::Contains("KV cache holds 24 tokens"));
}
