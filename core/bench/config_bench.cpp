// bench --config, --steps and --describe: one config's training (ms a step, tokens/s, a
// per-op profile of one step, the thread scaling), generation with and without the KV
// cache, and peak memory (declared in bench/config_bench.h; bench.cpp's main calls them).
#include "bench/config_bench.h"

#include "autograd/op_profile.h"
#include "bench/cpu_affinity.h"
#include "bench/finetune_bench.h"
#include "bench/lcg.h"
#include "bench/memory_need.h"
#include "bench/op_thread_loss.h"
#include "kernels/parallel.h"
#include "nn/nn.h"
#include "optim/optim.h"
#include "random/random.h"
#include "train/loss.h"
#include "train/sampling.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

struct BenchConfig {
    std::string name;
    llm::GPTConfig gpt;
    int64_t batch;
    int warmup_steps, timed_steps;
    int64_t gen_tokens;
};

constexpr int64_t kPromptTokens = 4;  // generation's prompt: that many random token ids

BenchConfig find_config(const std::string& name) {
    llm::GPTConfig g;
    g.drop_rate = 0.1;
    if (name == "tiny") {
        g.vocab_size = 512, g.context_length = 128, g.emb_dim = 128, g.n_heads = 4, g.n_layers = 4;
        return {name, g, 8, 3, 30, 50};
    }
    if (name == "small") {
        g.vocab_size = 4096, g.context_length = 256, g.emb_dim = 256, g.n_heads = 8, g.n_layers = 6;
        return {name, g, 8, 1, 8, 50};
    }
    if (name == "124m") {
        g = llm::gpt_config_124m();
        g.context_length = 256;  // the book's chapter 5 setting
        g.drop_rate = 0.1;
        return {name, g, 2, 1, 5, 50};  // 5 timed steps: with 3 the median moved 10% between runs
    }
    std::fprintf(stderr, "bench: unknown config '%s' (tiny, small, 124m)\n", name.c_str());
    std::exit(2);
}

void print_config_figure(const BenchConfig& c, const char* figure, int threads, double value, const char* unit) {
    std::printf("{\"figure\": \"%s\", \"config\": \"%s\", \"threads\": %d, \"value\": %.2f, \"unit\": \"%s\"}\n",
                figure, c.name.c_str(), threads, value, unit);
    std::fflush(stdout);
}

// One training step as chapter 5 runs it: forward, cross-entropy, backward, AdamW, zero_grad.
// Returns the step's loss.
float train_step(llm::GPTModel& model, llm::AdamW& optimizer, const llm::Tensor& input, const llm::Tensor& target) {
    llm::Tensor loss = llm::calc_loss_batch(input, target, model);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();
    return loss.item();
}

void print_profile_row(const BenchConfig& c, int threads, const std::string& op, int64_t calls, double forward_s,
                       double backward_s, double bytes, double step_s) {
    const double seconds = forward_s + backward_s;
    std::printf("{\"figure\": \"op_profile\", \"config\": \"%s\", \"threads\": %d, \"op\": \"%s\", "
                "\"calls\": %lld, \"forward_ms\": %.3f, \"backward_ms\": %.3f, \"share_of_step\": %.4f, "
                "\"mb_moved\": %.1f, \"gb_per_s\": %.1f}\n",
                c.name.c_str(), threads, op.c_str(), static_cast<long long>(calls), forward_s * 1e3, backward_s * 1e3,
                seconds / step_s, bytes / 1e6, seconds > 0 ? bytes / seconds / 1e9 : 0.0);
    std::fprintf(stderr, "  %-44s %5lld calls %9.2f ms fwd %9.2f ms bwd %5.1f%% %8.1f MB\n", op.c_str(),
                 static_cast<long long>(calls), forward_s * 1e3, backward_s * 1e3, 100 * seconds / step_s, bytes / 1e6);
}

// One more step with the per-op profile on (autograd/op_profile.h): a JSON line per op
// (grad_fn name and output shape), then the optimizer and what the engine itself took.
void profile_step(const BenchConfig& c, llm::GPTModel& model, llm::AdamW& optimizer, const llm::Tensor& input,
                  const llm::Tensor& target, int threads) {
    Clock::time_point start = Clock::now();
    llm::op_profile_start();
    llm::Tensor loss = llm::calc_loss_batch(input, target, model);
    const double forward_s = seconds_since(start);
    loss.backward();
    const double backward_s = seconds_since(start) - forward_s;
    std::vector<llm::OpProfileRow> rows = llm::op_profile_stop();
    Clock::time_point optimizer_start = Clock::now();
    optimizer.step();
    optimizer.zero_grad();
    const double optimizer_s = seconds_since(optimizer_start), step_s = seconds_since(start);
    std::fprintf(stderr, "bench: %s, one step on %d thread(s), %.1f ms:\n", c.name.c_str(), threads, step_s * 1e3);
    double op_forward = 0, op_backward = 0;
    for (const llm::OpProfileRow& r : rows) {
        print_profile_row(c, threads, r.op, r.calls, r.forward_seconds, r.backward_seconds,
                          r.forward_bytes + r.backward_bytes, step_s);
        op_forward += r.forward_seconds;
        op_backward += r.backward_seconds;
    }
    // AdamW reads p, g, m, v and writes p, m, v: 28 bytes per parameter.
    print_profile_row(c, threads, "AdamW step + zero_grad", 1, 0, optimizer_s,
                      28.0 * static_cast<double>(model.num_parameters()), step_s);
    print_profile_row(c, threads, "autograd engine (order, gradient sums)", 1, forward_s - op_forward,
                      backward_s - op_backward, 0, step_s);
}

// The median of some step times (PyTorch's script reports the median step too: one slow
// step, another process waking up on this shared machine, does not move it).
double median(std::vector<double> seconds) {
    std::sort(seconds.begin(), seconds.end());
    const size_t middle = seconds.size() / 2;
    return seconds.size() % 2 == 1 ? seconds[middle] : (seconds[middle - 1] + seconds[middle]) / 2.0;
}

// The input and target ids every timed step of a config trains on.
struct BenchBatch {
    llm::Tensor input, target;
};

BenchBatch random_batch(const BenchConfig& c) {
    Lcg rng;
    const int64_t T = c.gpt.context_length;
    llm::Tensor input = random_ids(c.batch, T, c.gpt.vocab_size, rng);
    llm::Tensor target = random_ids(c.batch, T, c.gpt.vocab_size, rng);
    return {input, target};
}

// `warmup` untimed training steps, then `steps` timed ones: their times and the last loss.
struct TimedSteps {
    std::vector<double> seconds;
    float last_loss = 0.0f;
};

TimedSteps time_steps(llm::GPTModel& model, llm::AdamW& optimizer, const BenchBatch& batch, int warmup, int steps) {
    TimedSteps timed;
    model.train();
    for (int s = 0; s < warmup + steps; s++) {
        Clock::time_point start = Clock::now();
        timed.last_loss = train_step(model, optimizer, batch.input, batch.target);
        if (s >= warmup) timed.seconds.push_back(seconds_since(start));
    }
    return timed;
}

void bench_training(const BenchConfig& c, llm::GPTModel& model, llm::AdamW& optimizer, int threads) {
    llm::set_num_threads(threads);
    const BenchBatch batch = random_batch(c);
    const double per_step = median(time_steps(model, optimizer, batch, c.warmup_steps, c.timed_steps).seconds);
    print_config_figure(c, "train_ms_per_step", threads, per_step * 1e3, "ms");
    print_config_figure(c, "train_tokens_per_s", threads,
                        static_cast<double>(c.batch * c.gpt.context_length) / per_step, "tokens/s");
    profile_step(c, model, optimizer, batch.input, batch.target, threads);
}

// Two training steps on `threads` threads: the seconds of the second (the first after a
// change of thread count finds in the caches what the other count left where). With `use`,
// how the threads spent the second is appended to it (kernels/parallel.h); with `ops`, its
// per-op profile (autograd/op_profile.h: clock reads and a map lookup per op, serial work
// that made a tiny step 0.4-0.8% slower on one thread, in turns; 124M's, well under 0.1%).
double second_step_seconds(llm::GPTModel& model, llm::AdamW& optimizer, const BenchBatch& batch, int threads,
                           std::vector<llm::ThreadUse>* use = nullptr,
                           std::vector<std::vector<llm::OpProfileRow>>* ops = nullptr) {
    llm::set_num_threads(threads);
    train_step(model, optimizer, batch.input, batch.target);
    if (use != nullptr) llm::thread_use_start();
    if (ops != nullptr) llm::op_profile_start();
    Clock::time_point start = Clock::now();
    train_step(model, optimizer, batch.input, batch.target);
    const double seconds = seconds_since(start);
    if (ops != nullptr) ops->push_back(llm::op_profile_stop());
    if (use != nullptr) use->push_back(llm::thread_use_stop());
    return seconds;
}

// Why the all-thread step is longer than the one-thread step / threads, turn by turn. A step
// takes serial + (busy + idle) / threads: serial is the calling thread alone outside parallel
// loops, busy the threads' time in them, idle their waiting there (both summed over the
// threads). So a turn's gap, all − one / threads, is exactly the sum of three losses: serial ·
// (1 − 1/threads), as the others wait meanwhile; idle / threads; and (serial + busy − one) /
// threads, the same work taking longer on several threads than on one. Each figure is the
// median over the turns (so the three need not add up to the gap exactly), in ms.
void print_thread_use(const BenchConfig& c, int threads, const std::vector<llm::ThreadUse>& use,
                      const std::vector<double>& one, const std::vector<double>& all) {
    const double t = threads;
    std::vector<double> gap, serial, idle, extra, loops;
    for (size_t i = 0; i < all.size(); i++) {
        const double serial_s = all[i] - use[i].region_seconds;
        gap.push_back(all[i] - one[i] / t);
        serial.push_back(serial_s);
        idle.push_back(t * use[i].region_seconds - use[i].busy_thread_seconds);
        extra.push_back((serial_s + use[i].busy_thread_seconds - one[i]) / t);
        loops.push_back(static_cast<double>(use[i].regions));
    }
    std::printf("{\"figure\": \"train_thread_use\", \"config\": \"%s\", \"threads\": %d, \"gap_ms\": %.2f, "
                "\"lost_to_serial_ms\": %.2f, \"lost_to_idle_ms\": %.2f, \"lost_to_extra_work_ms\": %.2f, "
                "\"serial_ms\": %.2f, \"idle_ms\": %.2f, \"parallel_loops\": %.0f, \"turns\": %zu, \"note\": "
                "\"medians over the turns of all-thread step - one-thread step / threads, and of its three parts\"}\n",
                c.name.c_str(), threads, median(gap) * 1e3, median(serial) * (1 - 1 / t) * 1e3, median(idle) / t * 1e3,
                median(extra) * 1e3, median(serial) * 1e3, median(idle) * 1e3, median(loops), all.size());
}

// In which ops the all-thread step loses its time (bench/op_thread_loss.h): one line per op,
// and one for the rest of the step; their losses add up to the gap of the mean steps
// (train_thread_use's gap is the median's).
void print_thread_loss_by_op(const BenchConfig& c, int threads, const std::vector<OpThreadLoss>& rows) {
    double gap = 0;
    for (const OpThreadLoss& r : rows) gap += r.lost_ms;
    std::fprintf(stderr, "bench: %s, where %d threads lose against one (ms a step, means over the turns):\n",
                 c.name.c_str(), threads);
    for (const OpThreadLoss& r : rows) {
        const double scaling = r.all_threads_ms > 0 ? r.one_thread_ms / r.all_threads_ms : 0.0;
        std::printf("{\"figure\": \"train_thread_loss_by_op\", \"config\": \"%s\", \"threads\": %d, \"op\": \"%s\", "
                    "\"one_thread_ms\": %.3f, \"all_threads_ms\": %.3f, \"scaling\": %.3f, \"lost_ms\": %.3f}\n",
                    c.name.c_str(), threads, r.op.c_str(), r.one_thread_ms, r.all_threads_ms, scaling, r.lost_ms);
        std::fprintf(stderr, "  %-44s %9.2f ms on 1 %9.2f ms on %d  %5.2fx  lost %7.2f ms\n", r.op.c_str(),
                     r.one_thread_ms, r.all_threads_ms, threads, scaling, r.lost_ms);
    }
    std::fprintf(stderr, "  (the gap of the mean steps: %.2f ms)\n", gap);
}

// How much faster all threads train than one, with the two thread counts taking turns in
// this one process: the ratio of the two medians. The two bench_training runs above are a
// minute or more apart, and on a shared machine the load changes in between (2026-12-06:
// their ratio read 1.08 and 1.41 for 124M while the step harness read 1.82 within the
// hour); in turns, both see the same spells. Turns of two steps, the second timed.
void bench_thread_scaling(const BenchConfig& c, llm::GPTModel& model, llm::AdamW& optimizer, int all_threads) {
    const BenchBatch batch = random_batch(c);
    model.train();
    std::vector<double> one, all;
    std::vector<llm::ThreadUse> use;
    std::vector<std::vector<llm::OpProfileRow>> one_ops, all_ops;
    for (int s = 0; s < c.timed_steps; s++) {  // 1, 1, N, N, 1, 1, ...: the second of each pair timed
        one.push_back(second_step_seconds(model, optimizer, batch, 1, nullptr, &one_ops));
        all.push_back(second_step_seconds(model, optimizer, batch, all_threads, &use, &all_ops));
    }
    llm::set_num_threads(all_threads);
    std::printf("{\"figure\": \"train_thread_scaling\", \"config\": \"%s\", \"threads\": %d, \"value\": %.3f, "
                "\"one_thread_ms\": %.2f, \"all_threads_ms\": %.2f, \"steps_each\": %d, "
                "\"note\": \"median step on 1 thread / on all, the two taking turns step by step\"}\n",
                c.name.c_str(), all_threads, median(one) / median(all), median(one) * 1e3, median(all) * 1e3,
                c.timed_steps);
    print_thread_use(c, all_threads, use, one, all);
    print_thread_loss_by_op(c, all_threads, op_thread_losses(one_ops, all_ops, one, all, all_threads));
    std::fflush(stdout);
}

// train_thread_scaling_per_cpu's line: one[k] holds the one-thread steps pinned to
// cpus[k], `all` the all-thread steps, in seconds.
void print_per_cpu_scaling(const BenchConfig& c, int all_threads, const std::vector<int>& cpus,
                           const std::vector<std::vector<double>>& one, const std::vector<double>& all,
                           int steps_each) {
    double rate_sum = 0, fastest_ms = 0;
    std::string cpu_list, one_ms;
    for (size_t k = 0; k < cpus.size(); k++) {
        const double ms = median(one[k]) * 1e3;
        rate_sum += 1 / ms;
        fastest_ms = k == 0 ? ms : std::min(fastest_ms, ms);
        char text[64];
        std::snprintf(text, sizeof text, "%s%d", k ? "," : "", cpus[k]);
        cpu_list += text;
        std::snprintf(text, sizeof text, "%s%.2f", k ? "," : "", ms);
        one_ms += text;
    }
    const double all_ms = median(all) * 1e3;
    std::printf("{\"figure\": \"train_thread_scaling_per_cpu\", \"config\": \"%s\", \"threads\": %d, "
                "\"value\": %.3f, \"vs_fastest_cpu\": %.3f, \"cpus\": \"%s\", \"one_thread_ms\": \"%s\", "
                "\"all_threads_ms\": %.2f, \"steps_each\": %d, \"note\": \"all threads' rate / the mean of the "
                "one-thread rates pinned to each CPU, in turns\"}\n",
                c.name.c_str(), all_threads, (1 / all_ms) / (rate_sum / cpus.size()), fastest_ms / all_ms,
                cpu_list.c_str(), one_ms.c_str(), all_ms, steps_each);
    std::fflush(stdout);
}

// The same turns with each one-thread pair pinned to one CPU, the first all_threads CPUs in
// rotation, and the all-thread pairs free on every CPU the process may use. Where the CPUs
// run at different speeds (bench/cpu_affinity.h), all threads can at best add up the CPUs'
// one-thread rates, so the fair "one thread" is their mean: value = the all-thread rate ÷
// the mean per-CPU rate. vs_fastest_cpu sets the all-thread rate against the fastest CPU
// alone, what the figure above reads when its thread lands there.
void bench_thread_scaling_per_cpu(const BenchConfig& c, llm::GPTModel& model, llm::AdamW& optimizer, int all_threads) {
    const std::vector<int> everywhere = allowed_cpus();
    if (static_cast<int>(everywhere.size()) < all_threads) {
        std::fprintf(stderr, "bench: %s per-CPU scaling skipped: %zu CPU(s) to pin to, fewer than its %d threads\n",
                     c.name.c_str(), everywhere.size(), all_threads);
        return;
    }
    const std::vector<int> cpus(everywhere.begin(), everywhere.begin() + all_threads);
    const int steps_each = std::max(2, 2 * c.timed_steps / all_threads);
    const BenchBatch batch = random_batch(c);
    model.train();
    std::vector<std::vector<double>> one(cpus.size());
    std::vector<double> all;
    for (int s = 0; s < steps_each; s++)
        for (size_t k = 0; k < cpus.size(); k++) {
            llm::set_num_threads(1);  // the pool's threads end here, so only this one is pinned
            const bool pinned = run_on_cpus({cpus[k]});
            if (pinned) one[k].push_back(second_step_seconds(model, optimizer, batch, 1));
            // Unpinned before set_num_threads starts the pool: its threads inherit this set.
            if (!run_on_cpus(everywhere) || !pinned) {
                std::fprintf(stderr, "bench: %s per-CPU scaling skipped: the system would not pin to CPU %d and back\n",
                             c.name.c_str(), cpus[k]);
                return;
            }
            all.push_back(second_step_seconds(model, optimizer, batch, all_threads));
        }
    print_per_cpu_scaling(c, all_threads, cpus, one, all, steps_each);
}

// Greedy generation, batch 1, 4-token prompt, 50 new tokens for every config (the length
// the book's generate_and_print_sample draws, and torch_gpt.py --gen-tokens 50): the
// book's way (the whole prefix again for every new token) and with the KV cache (only
// the new token). No separate warm-up: the book's way runs first (torch_gpt.py warms up
// with 8 tokens), so the cached run finds the weights touched and its time includes the
// 4-token prompt.
void bench_generation(const BenchConfig& c, llm::GPTModel& model, int threads) {
    llm::set_num_threads(threads);
    Lcg rng;
    llm::Tensor prompt = random_ids(1, kPromptTokens, c.gpt.vocab_size, rng);
    model.eval();
    for (bool kv_cache : {false, true}) {
        Clock::time_point start = Clock::now();
        llm::Tensor out = llm::generate(model, prompt, c.gen_tokens, c.gpt.context_length, 0.0, std::nullopt,
                                        std::nullopt, kv_cache);
        const double tokens_per_s = static_cast<double>(out.size(1) - kPromptTokens) / seconds_since(start);
        std::printf("{\"figure\": \"generate_tokens_per_s\", \"config\": \"%s\", \"threads\": %d, "
                    "\"kv_cache\": %s, \"new_tokens\": %lld, \"value\": %.2f, \"unit\": \"tokens/s\"}\n",
                    c.name.c_str(), threads, kv_cache ? "true" : "false", static_cast<long long>(c.gen_tokens),
                    tokens_per_s);
        std::fflush(stdout);
    }
}

void print_memory(const BenchConfig& c, const llm::GPTModel& model) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
    const double params = static_cast<double>(model.num_parameters());
    const double need_mb = training_need_bytes(c.gpt, c.batch) / (1024.0 * 1024.0);
    std::printf("{\"figure\": \"peak_memory\", \"config\": \"%s\", \"threads\": %d, \"value\": %.1f, \"unit\": \"MiB\", "
                "\"theoretical\": %.1f, \"ratio\": %.2f, \"parameters\": %.0f, "
                "\"note\": \"theoretical = 16 bytes x parameters (weights, gradients, AdamW m and v) + 4 bytes x "
                "B*T*(L*(18*C + 3*H*T) + 2*V) saved activations\"}\n",
                c.name.c_str(), llm::num_threads(), peak_mb, need_mb, peak_mb / need_mb, params);
    std::fflush(stdout);
}

// Every config trains with chapter 5's AdamW settings, from torch.manual_seed(123)'s weights.
constexpr float kLearningRate = 4e-4f, kWeightDecay = 0.1f;

}  // namespace

void run_config(const std::string& name, int all_threads) {
    const BenchConfig c = find_config(name);
    llm::manual_seed(123);
    llm::GPTModel model(c.gpt);
    llm::AdamW optimizer(model.parameters(), kLearningRate, kWeightDecay);
    std::vector<int> thread_counts = {1};
    if (all_threads > 1) thread_counts.push_back(all_threads);
    for (int threads : thread_counts) {
        std::fprintf(stderr, "bench: %s training on %d thread(s)\n", name.c_str(), threads);
        bench_training(c, model, optimizer, threads);
    }
    if (all_threads > 1) {
        std::fprintf(stderr, "bench: %s training on 1 and %d threads in turns\n", name.c_str(), all_threads);
        bench_thread_scaling(c, model, optimizer, all_threads);
        bench_thread_scaling_per_cpu(c, model, optimizer, all_threads);
    }
    for (int threads : thread_counts) {
        std::fprintf(stderr, "bench: %s generation on %d thread(s)\n", name.c_str(), threads);
        bench_generation(c, model, threads);
    }
    print_memory(c, model);
}

// bench --steps CONFIG THREADS STEPS: training alone, as run_config trains, to compare two
// builds (bench/ab.sh): the median of STEPS steps after the config's warm-up, and the last
// step's loss with its bits, which two builds meant to compute the same numbers print alike.
void run_steps(const std::string& name, int threads, int steps) {
    const BenchConfig c = find_config(name);
    llm::manual_seed(123);
    llm::GPTModel model(c.gpt);
    llm::AdamW optimizer(model.parameters(), kLearningRate, kWeightDecay);
    llm::set_num_threads(threads);
    const TimedSteps timed = time_steps(model, optimizer, random_batch(c), c.warmup_steps, steps);
    uint32_t bits = 0;
    std::memcpy(&bits, &timed.last_loss, sizeof bits);
    std::printf("{\"figure\": \"train_ms_per_step\", \"config\": \"%s\", \"threads\": %d, \"value\": %.2f, "
                "\"unit\": \"ms\", \"steps\": %d, \"last_loss\": %.8f, \"loss_bits\": \"%08x\"}\n",
                c.name.c_str(), threads, median(timed.seconds) * 1e3, steps, timed.last_loss,
                static_cast<unsigned>(bits));
}

// bench --describe: what each config runs, one JSON line each, so that the peers
// (core/bench/run.sh: PyTorch, OpenBLAS) run the same shapes, steps and token counts.
void describe_configs(int all_threads) {
    const std::string thread_counts = all_threads > 1 ? "1," + std::to_string(all_threads) : "1";
    for (const char* name : {"tiny", "small", "124m"}) {
        const BenchConfig c = find_config(name);
        std::printf("{\"figure\": \"config\", \"config\": \"%s\", \"vocab\": %lld, \"ctx\": %lld, \"emb\": %lld, "
                    "\"heads\": %lld, \"layers\": %lld, \"batch\": %lld, \"dropout\": %g, \"qkv_bias\": %s, "
                    "\"warmup_steps\": %d, \"timed_steps\": %d, \"prompt_tokens\": %lld, \"new_tokens\": %lld, "
                    "\"thread_counts\": \"%s\"}\n",
                    name, static_cast<long long>(c.gpt.vocab_size), static_cast<long long>(c.gpt.context_length),
                    static_cast<long long>(c.gpt.emb_dim), static_cast<long long>(c.gpt.n_heads),
                    static_cast<long long>(c.gpt.n_layers), static_cast<long long>(c.batch), c.gpt.drop_rate,
                    c.gpt.qkv_bias ? "true" : "false", c.warmup_steps, c.timed_steps,
                    static_cast<long long>(kPromptTokens), static_cast<long long>(c.gen_tokens), thread_counts.c_str());
    }
    describe_finetune(all_threads, kCh07Tokens);
    std::fflush(stdout);
}
