// bench --part finetune: how long chapter 6's and chapter 7's book runs take here, on random
// weights of GPT-2 124M's shape (the steps cost the same whatever the weights hold).
//
//   ch06: batch 8 of 120 tokens; everything frozen but the last block, the final norm and
//         a 2-class head; the loss of the last token (classification::calc_loss_batch).
//         The book's run: 5 epochs of 130 steps, the losses over 5 + 5 batches every 50
//         steps, the accuracies over 5 + 5 batches after each epoch, then the accuracies on
//         the whole loaders (130 + 19 + 38 batches).
//   ch07: batch 8 of ch07_tokens tokens, every parameter trained, the loss of every token
//         (calc_loss_batch). The book's run: 2 epochs of 116 steps (935 examples, batch 8,
//         drop_last), the losses over 5 + 5 batches every 5 steps.
// The minutes are those step and forward times multiplied out, not a timed whole run
// (one 124M run takes longer than the rest of the bench together).
#include "bench/finetune_bench.h"

#include "autograd/autograd.h"
#include "bench/lcg.h"
#include "kernels/parallel.h"
#include "nn/nn.h"
#include "optim/optim.h"
#include "random/random.h"
#include "train/classifier.h"
#include "train/loss.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Each step and forward is timed kTimedRuns times after one untimed run; a 124M step takes
// seconds, so these are few.
constexpr int kTimedRuns = 3;

// The median of kTimedRuns timings of f, after one untimed run (first-touch of the buffers).
double median_seconds(const std::function<void()>& f) {
    f();
    std::vector<double> seconds;
    for (int r = 0; r < kTimedRuns; r++) {
        Clock::time_point start = Clock::now();
        f();
        seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    return seconds[seconds.size() / 2];
}

// Token ids 0 .. vocab-1 from the bench's LCG seeded with `seed`: int64 (rows, cols).
llm::Tensor bench_ids(int64_t rows, int64_t cols, int64_t vocab, uint32_t seed) {
    Lcg rng{seed};
    return random_ids(rows, cols, vocab, rng);
}

void print_figure(const char* chapter, const char* figure, int threads, double value, const char* unit,
                  const std::string& extra) {
    std::printf("{\"figure\": \"%s\", \"config\": \"%s\", \"threads\": %d, \"value\": %.2f, \"unit\": \"%s\"%s}\n",
                figure, chapter, threads, value, unit, extra.c_str());
    std::fflush(stdout);
}

// What one chapter's run is made of: training steps and forward-only batches.
struct BookRun {
    const char* chapter;
    int64_t batch, tokens;     // the timed batch: (batch, tokens)
    int64_t steps, forwards;   // in the book's whole run
};

void report(const BookRun& run, int threads, double step_s, double forward_s) {
    print_figure(run.chapter, "finetune_ms_per_step", threads, step_s * 1e3, "ms", "");
    print_figure(run.chapter, "finetune_tokens_per_s", threads, static_cast<double>(run.batch * run.tokens) / step_s,
                 "tokens/s", ", \"tokens_per_step\": " + std::to_string(run.batch * run.tokens));
    double minutes = (static_cast<double>(run.steps) * step_s + static_cast<double>(run.forwards) * forward_s) / 60;
    print_figure(run.chapter, "finetune_book_run_minutes", threads, minutes, "min",
                 ", \"steps\": " + std::to_string(run.steps) + ", \"forward_batches\": " + std::to_string(run.forwards) +
                     ", \"note\": \"median step and forward times multiplied out\"");
}

llm::GPTConfig gpt2_124m_shape() {
    llm::GPTConfig cfg = llm::gpt_config_124m();
    cfg.qkv_bias = true, cfg.drop_rate = 0.0;  // the book's BASE_CONFIG for OpenAI's weights
    return cfg;
}

BookRun ch06_run() { return {"ch06", 8, 120, 5 * 130, 13 * 10 + 5 * 10 + 130 + 19 + 38}; }
BookRun ch07_run(int64_t tokens) { return {"ch07", 8, tokens, 2 * 116, (2 * 116 + 4) / 5 * 10}; }

// The same run with ch06_finetune_classification's --frozen-cache (train/classifier.h): the
// embeddings and the 11 frozen blocks run once per text, the first time it is seen (the
// book's 1,494 texts: 187 batches of 8), and every step and evaluation after that runs
// only the last block, the final norm and the head. The same numbers as the book's loop.
void bench_ch06_frozen_cache(const BookRun& run, int threads, llm::GPTModel& model, llm::AdamW& optimizer,
                             const llm::Tensor& input, const llm::Tensor& target) {
    using llm::classification::FrozenPrefixCache;
    const int64_t texts = 1045 + 149 + 300, fills = (texts + run.batch - 1) / run.batch;
    model.eval();
    double fill_s = median_seconds([&] {  // a batch of texts not seen before: the prefix runs
        FrozenPrefixCache fresh(model);
        fresh.hidden(model, input);
    });
    FrozenPrefixCache cache(model);
    cache.hidden(model, input);
    model.train();
    double step_s = median_seconds([&] {
        optimizer.zero_grad();
        llm::classification::calc_loss_batch(input, target, model, &cache).backward();
        optimizer.step();
    });
    model.eval();
    double forward_s = median_seconds([&] {
        llm::NoGradGuard no_grad;
        llm::classification::calc_loss_batch(input, target, model, &cache);
    });
    double minutes = (static_cast<double>(fills) * fill_s + static_cast<double>(run.steps) * step_s +
                      static_cast<double>(run.forwards) * forward_s) / 60;
    print_figure(run.chapter, "finetune_book_run_minutes", threads, minutes, "min",
                 ", \"frozen_cache\": true, \"frozen_blocks\": " + std::to_string(cache.frozen_blocks()) +
                     ", \"prefix_batches\": " + std::to_string(fills) +
                     ", \"prefix_ms\": " + std::to_string(fill_s * 1e3) + ", \"step_ms\": " + std::to_string(step_s * 1e3) +
                     ", \"note\": \"--frozen-cache: the frozen prefix once per text, then steps and forwards "
                     "of the rest, multiplied out\"");
}

void bench_ch06(int threads) {
    const BookRun run = ch06_run();
    llm::set_num_threads(threads);
    llm::manual_seed(123);
    llm::GPTModel model(gpt2_124m_shape());
    for (llm::Tensor p : model.parameters()) p.requires_grad_(false);
    model.out_head.reset(model.cfg.emb_dim, 2);
    for (llm::Tensor p : model.trf_blocks.back()->parameters()) p.requires_grad_(true);
    for (llm::Tensor p : model.final_norm->parameters()) p.requires_grad_(true);
    llm::AdamW optimizer(model.parameters(), 5e-5f, 0.1f);
    llm::Tensor input = bench_ids(run.batch, run.tokens, model.cfg.vocab_size, 1u);
    llm::Tensor target = bench_ids(run.batch, 1, 2, 2u).reshape({run.batch});
    model.train();
    double step_s = median_seconds([&] {
        optimizer.zero_grad();
        llm::classification::calc_loss_batch(input, target, model).backward();
        optimizer.step();
    });
    model.eval();
    double forward_s = median_seconds([&] {
        llm::NoGradGuard no_grad;
        llm::classification::calc_loss_batch(input, target, model);
    });
    report(run, threads, step_s, forward_s);
    bench_ch06_frozen_cache(run, threads, model, optimizer, input, target);
}

void bench_ch07(int threads, int64_t tokens) {
    const BookRun run = ch07_run(tokens);
    llm::set_num_threads(threads);
    llm::manual_seed(123);
    llm::GPTModel model(gpt2_124m_shape());
    llm::AdamW optimizer(model.parameters(), 5e-5f, 0.1f);
    llm::Tensor input = bench_ids(run.batch, tokens, model.cfg.vocab_size, 3u);
    llm::Tensor target = bench_ids(run.batch, tokens, model.cfg.vocab_size, 4u);
    model.train();
    double step_s = median_seconds([&] {
        optimizer.zero_grad();
        llm::calc_loss_batch(input, target, model).backward();
        optimizer.step();
    });
    model.eval();
    double forward_s = median_seconds([&] {
        llm::NoGradGuard no_grad;
        llm::calc_loss_batch(input, target, model);
    });
    report(run, threads, step_s, forward_s);
}

}  // namespace

void run_finetune_part(int all_threads, int64_t ch07_tokens) {
    std::vector<int> thread_counts = {1};
    if (all_threads > 1) thread_counts.push_back(all_threads);
    for (int threads : thread_counts) {
        std::fprintf(stderr, "bench: ch06 classification step on %d thread(s)\n", threads);
        bench_ch06(threads);
    }
    for (int threads : thread_counts) {
        std::fprintf(stderr, "bench: ch07 instruction step on %d thread(s)\n", threads);
        bench_ch07(threads, ch07_tokens);
    }
}

void describe_finetune(int all_threads, int64_t ch07_tokens) {
    const std::string thread_counts = all_threads > 1 ? "1," + std::to_string(all_threads) : "1";
    for (const BookRun& run : {ch06_run(), ch07_run(ch07_tokens)}) {
        const bool ch06 = std::string(run.chapter) == "ch06";
        std::printf("{\"figure\": \"config\", \"config\": \"%s\", \"model\": \"GPT-2 124M's shape, qkv_bias, "
                    "dropout 0\", \"trained\": \"%s\", \"loss\": \"%s\", \"batch\": %lld, \"tokens\": %lld, "
                    "\"book_steps\": %lld, \"book_forward_batches\": %lld, \"warmup_runs\": 1, \"timed_runs\": %d, "
                    "\"thread_counts\": \"%s\"}\n",
                    run.chapter, ch06 ? "the last block, the final norm, a 2-class head" : "everything",
                    ch06 ? "the last token's" : "every token's", static_cast<long long>(run.batch),
                    static_cast<long long>(run.tokens), static_cast<long long>(run.steps),
                    static_cast<long long>(run.forwards), kTimedRuns, thread_counts.c_str());
    }
    std::fflush(stdout);
}
