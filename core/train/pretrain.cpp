// The run behind the `train` command: prepare the data and model, then step, evaluate,
// sample and checkpoint until the last step (or Ctrl-C).
#include "train/pretrain.h"

#include "io/files.h"
#include "optim/optim.h"
#include "random/random.h"
#include "train/loss.h"
#include "train/progress.h"
#include "train/run_folder.h"
#include "train/sampling.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace llm {

// Ctrl-C (SIGINT) or SIGTERM: finish the step, save a checkpoint, stop. A second one while
// that checkpoint is being saved quits at once: the save is atomic, so the checkpoint
// before it is still there.
static volatile std::sig_atomic_t g_interrupted = 0;
static volatile std::sig_atomic_t g_saving_after_interrupt = 0;
static void on_interrupt(int) {
    if (g_saving_after_interrupt) std::_Exit(130);
    g_interrupted = 1;
}

// Everything one run holds, in the order it is built.
struct Run {
    TrainOptions options;
    std::string text;
    std::optional<BpeTokenizer> tokenizer;  // made from the options in prepare()
    std::unique_ptr<TrainValLoaders> data;  // the book's split, windows and loaders
    TrainHooks hooks;
    std::unique_ptr<GPTModel> model;
    std::unique_ptr<AdamW> optimizer;
    RunPosition position;
    std::vector<LossRecord> history;
    int64_t total_steps = 0;
    int64_t saved_step = -1;  // the step of the newest checkpoint on disk (-1: none yet)
};

// The tokenizer the options ask for: GPT-2's files, or one trained on the text.
static BpeTokenizer make_tokenizer(const TrainOptions& o, const std::string& text) {
    if (!o.resume.empty()) return BpeTokenizer::load(o.resume + "/encoder.json", o.resume + "/vocab.bpe");
    if (o.tokenizer == "gpt2") return BpeTokenizer::load_gpt2(o.gpt2_dir + "/encoder.json", o.gpt2_dir + "/vocab.bpe");
    std::cout << "Training a byte-pair tokenizer on " << o.data << " ..." << std::endl;
    int64_t wanted = o.tokenizer == "bytes" ? 257 : o.vocab_size;
    BpeTokenizer tokenizer = BpeTokenizer::train(text, wanted);
    if (tokenizer.vocab_size() < wanted)
        std::cout << "note: the text supports only " << tokenizer.vocab_size() - 257 << " merges, so the vocabulary "
                  << "has " << tokenizer.vocab_size() << " tokens, not the --vocab-size " << wanted << " asked for"
                  << std::endl;
    return tokenizer;
}

// The book's split and loaders (TrainValLoaders), after checking that each part holds a
// whole window and the training part at least one batch.
static void make_data(Run& run) {
    const TrainOptions& o = run.options;
    auto [train_text, val_text] = split_train_val(run.text, 1.0 - o.val_fraction);
    std::vector<int64_t> train_ids = run.tokenizer->encode(train_text), val_ids = run.tokenizer->encode(val_text);
    int64_t need = o.context_length + 1;
    int64_t have = static_cast<int64_t>(std::min(train_ids.size(), val_ids.size()));
    if (have < need) {
        double bytes_per_token = static_cast<double>(run.text.size()) / static_cast<double>(train_ids.size() + val_ids.size());
        double min_bytes = static_cast<double>(need) * bytes_per_token / std::min(o.val_fraction, 1.0 - o.val_fraction);
        throw Error(o.data + ": too short for --context " + std::to_string(o.context_length) + ": the " +
                    (val_ids.size() < train_ids.size() ? "validation" : "training") + " part has " +
                    std::to_string(have) + " tokens but needs at least " + std::to_string(need) + "; give a text of " +
                    "at least about " + std::to_string(static_cast<int64_t>(min_bytes)) + " bytes or a smaller --context");
    }
    run.data = std::make_unique<TrainValLoaders>(std::move(train_ids), std::move(val_ids), o.context_length, o.batch_size,
                                                 o.stride);
    if (run.data->train_loader.size() == 0)
        throw Error(o.data + ": the training part has " + std::to_string(run.data->train_set.size()) +
                    " windows, fewer than --batch-size " + std::to_string(o.batch_size) + "; use a smaller batch");
}

// "3.2 GB": bytes for messages.
static std::string gigabytes(double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
    return text;
}

// The machine's memory in bytes (0 if the system does not say).
static double physical_memory_bytes() {
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) : 0.0;
}

// Refuse, before allocating, a model that cannot fit in this machine's memory: weights,
// gradients and AdamW's two averages (16 bytes per parameter), the causal masks, and a
// step's activations (an estimate: about 20 (B, T, C) tensors and two (B, H, T, T) per
// block, the logits three times).
static void check_fits_in_memory(const GPTConfig& cfg, int64_t batch_size) {
    double B = static_cast<double>(batch_size), T = static_cast<double>(cfg.context_length);
    double C = static_cast<double>(cfg.emb_dim), H = static_cast<double>(cfg.n_heads);
    double L = static_cast<double>(cfg.n_layers), V = static_cast<double>(cfg.vocab_size);
    double params = gpt_parameter_count(cfg);
    double activations = L * (20.0 * B * T * C + 2.0 * B * H * T * T) + 3.0 * B * T * V;
    double need = 16.0 * params + 4.0 * (L * T * T + activations);
    double have = physical_memory_bytes();
    if (have > 0 && need > have)
        throw Error("train: this model needs about " + gigabytes(need) + " (" + std::to_string(static_cast<int64_t>(params)) +
                    " parameters with their gradients and AdamW's two averages, and the activations of --batch-size " +
                    std::to_string(batch_size) + " x --context " + std::to_string(cfg.context_length) +
                    "), more than this machine's " + gigabytes(have) +
                    "; lower --emb, --layers, --context or --batch-size");
}

// The text, tokenizer, data, model and optimizer; from a checkpoint when resuming.
static void prepare(Run& run) {
    TrainOptions& o = run.options;
    bool resuming = !o.resume.empty();
    if (resuming) read_run_options(o, std::string(o.data));  // from the checkpoint; --data may name a moved text
    std::error_code ec;
    if (resuming && !std::filesystem::exists(o.data, ec))
        throw Error(o.resume + ": the run's text " + o.data + " is not there any more; if it moved, give its new "
                    "place: train --resume " + o.resume + " --data FILE");
    run.text = read_file(o.data);
    if (run.text.empty()) throw Error(o.data + ": the file is empty; give a text to train on");
    run.tokenizer.emplace(make_tokenizer(o, run.text));
    make_data(run);
    GPTConfig cfg = config_from_options(o, run.tokenizer->vocab_size());
    check_fits_in_memory(cfg, o.batch_size);
    manual_seed(static_cast<uint64_t>(o.seed));
    try {
        run.model = std::make_unique<GPTModel>(cfg);
        run.optimizer = std::make_unique<AdamW>(run.model->parameters(), static_cast<float>(o.lr),
                                                static_cast<float>(o.weight_decay));
    } catch (const std::bad_alloc&) {
        throw Error("out of memory while building the model and AdamW's state (" +
                    gigabytes(16.0 * gpt_parameter_count(cfg)) +
                    "); lower --emb, --layers or --context");
    }
    int64_t per_epoch = run.data->train_loader.size();
    run.total_steps = o.epochs * per_epoch;
    if (o.max_steps > 0) run.total_steps = std::min(run.total_steps, o.max_steps);
    if (resuming) {
        run.position = restore_checkpoint(o.resume, *run.model, *run.optimizer, run.text);
        run.saved_step = run.position.global_step;
        run.history = read_loss_history(o.resume + "/losses.csv", run.position.global_step);
    } else {
        start_run_folder(o, *run.tokenizer);
    }
}

// A sample from the prompt, drawn with its own seed so sampling never changes the
// random stream that training consumes.
static std::string sample_text(Run& run) {
    const TrainOptions& o = run.options;
    Generator::State training_state = default_generator().state;
    manual_seed(static_cast<uint64_t>(o.seed) + static_cast<uint64_t>(run.position.global_step));
    run.model->eval();
    std::vector<int64_t> ids = run.tokenizer->encode(o.prompt);
    if (ids.empty()) ids.push_back(run.tokenizer->eot_id());
    std::string text = generate_text(*run.model, *run.tokenizer, ids, o.sample_tokens, o.temperature, o.top_k, true);
    run.model->train();
    default_generator().state = training_state;
    for (char& c : text)
        if (c == '\n') c = ' ';
    return text;
}

// One optimizer step on one batch; returns the batch's loss. Throws on NaN or inf.
static double train_step(Run& run, const Batch& batch) {
    const TrainOptions& o = run.options;
    run.optimizer->lr = warmup_cosine_lr(run.position.global_step, o.warmup_steps, run.total_steps,
                                         static_cast<float>(o.min_lr), static_cast<float>(o.lr),
                                         static_cast<float>(o.min_lr));
    run.optimizer->zero_grad();
    Tensor loss = calc_loss_batch(batch.input, batch.target, *run.model);
    double value = loss.item();
    if (run.hooks.on_loss) run.hooks.on_loss(run.position.global_step + 1, value);
    if (!std::isfinite(value)) {
        std::string kept = run.saved_step >= 0 ? "The checkpoint of step " + std::to_string(run.saved_step) + " in " +
                                                     o.out + " is kept. "
                                               : "No checkpoint was saved yet. ";
        char lr[32];
        std::snprintf(lr, sizeof lr, "%g", o.lr / 2);
        throw Error("the loss became " + std::to_string(value) + " at step " +
                    std::to_string(run.position.global_step + 1) + "; stopping. " + kept +
                    "A resumed run repeats the same steps, so start a new run with a smaller learning rate, "
                    "e.g. --lr " + lr + " (half of this run's)");
    }
    loss.backward();
    if (o.clip > 0) clip_grad_norm(run.model->parameters(), static_cast<float>(o.clip));
    run.optimizer->step();
    return value;
}

// Both losses, a line like the book's, the loss files and a sample.
static void evaluate_and_log(Run& run, Progress& progress) {
    const TrainOptions& o = run.options;
    Losses losses = evaluate_model(*run.model, run.data->train_loader, run.data->val_loader, o.eval_iters);
    run.history.push_back({run.position.global_step, run.position.tokens_seen, losses.train_loss, losses.val_loss});
    progress.clear_line();
    std::cout << loss_line(run.position.epoch, run.position.global_step, losses) << "\n  sample: " << sample_text(run)
              << std::endl;
    write_loss_files(o.out, run.history);
}

GPTConfig config_from_options(const TrainOptions& o, int64_t vocab_size) {
    GPTConfig cfg;
    cfg.vocab_size = vocab_size;
    cfg.context_length = o.context_length;
    cfg.emb_dim = o.emb_dim;
    cfg.n_heads = o.n_heads;
    cfg.n_layers = o.n_layers;
    cfg.drop_rate = o.drop_rate;
    cfg.qkv_bias = o.qkv_bias;
    cfg.variant = o.variant;
    return cfg;
}

// Save a checkpoint; after Ctrl-C, say so, and let a second Ctrl-C quit without waiting.
static void save(Run& run, Progress& progress, const DataLoaderIter& pass) {
    if (g_interrupted) {
        // The flag goes up before the message promises it: a Ctrl-C that follows the message
        // at once (a user's, or a test's that waits for it) must find it set.
        g_saving_after_interrupt = 1;
        progress.clear_line();
        std::cout << "Interrupted: saving a checkpoint of step " << run.position.global_step
                  << "... (press Ctrl-C again to quit without it)" << std::endl;
    }
    run.position.set_pass(pass);  // the pass's seed and place, needed only in the file
    save_checkpoint(run.options, *run.model, *run.optimizer, run.position, run.text);
    g_saving_after_interrupt = 0;
    run.saved_step = run.position.global_step;
}

// Steps until the last one, or until Ctrl-C (returns false then).
static bool train_steps(Run& run, Progress& progress) {
    const TrainOptions& o = run.options;
    std::optional<DataLoaderIter> pass;
    if (run.position.in_epoch) pass = run.data->train_loader.resume(run.position.pass_seed, run.position.position);
    while (run.position.global_step < run.total_steps) {
        if (!pass) pass = run.data->train_loader.iter();
        Batch batch;
        if (!pass->next(batch)) {  // end of an epoch
            pass.reset();
            run.position.epoch++;
            continue;
        }
        auto step_start = std::chrono::steady_clock::now();
        double loss = train_step(run, batch);
        if (run.hooks.on_step)
            run.hooks.on_step(run.position.global_step + 1, batch.input.numel(),
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count());
        run.position.global_step++;
        run.position.tokens_seen += batch.input.numel();
        progress.update(run.position, loss, batch.input.numel());
        bool last = run.position.global_step == run.total_steps;
        if (run.hooks.interrupt_after && run.hooks.interrupt_after(run.position.global_step)) g_interrupted = 1;
        if (run.position.global_step % o.eval_interval == 0 || last) evaluate_and_log(run, progress);
        if (run.position.global_step % o.checkpoint_interval == 0 || last || g_interrupted) save(run, progress, *pass);
        if (g_interrupted && !last) return false;
    }
    return true;
}

int run_training(const TrainOptions& options, const TrainHooks& hooks) {
    Run run;
    run.options = options;
    run.hooks = hooks;
    prepare(run);
    const TrainOptions& o = run.options;
    g_interrupted = 0;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    std::cout << "Model: " << run.model->num_parameters() << " parameters; " << run.data->train_set.size()
              << " training and " << run.data->val_set.size() << " validation windows of " << o.context_length
              << " tokens; " << run.total_steps << " steps" << std::endl;
    Progress progress(run.position.global_step, run.total_steps);
    bool finished = false;
    try {
        finished = train_steps(run, progress);
    } catch (const std::bad_alloc&) {
        throw Error("out of memory in step " + std::to_string(run.position.global_step + 1) +
                    " (the activations of --batch-size " + std::to_string(o.batch_size) + " x --context " +
                    std::to_string(o.context_length) + "); lower --batch-size or --context");
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    progress.clear_line();
    if (!finished) {
        std::cout << "Interrupted: checkpoint saved at step " << run.position.global_step << " in " << o.out
                  << "; continue with: ch05_pretraining train --resume " << o.out << std::endl;
        return 130;
    }
    std::cout << "Done: " << run.position.global_step << " steps, " << run.position.tokens_seen
              << " tokens. Model, tokenizer and losses.svg are in " << o.out << std::endl;
    return 0;
}

}  // namespace llm
