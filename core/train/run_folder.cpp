// Run folders: checkpoints with the run's position and options, and the loss logs.
#include "train/run_folder.h"

#include "io/checkpoint.h"
#include "io/checkpoint_folder.h"
#include "io/files.h"
#include "io/plot.h"
#include "io/safetensors.h"
#include "random/random.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace llm {

std::string text_fingerprint(const std::string& text) {
    uint64_t h = 0xCBF29CE484222325ULL;
    for (unsigned char c : text) h = (h ^ c) * 0x100000001B3ULL;
    return std::to_string(text.size()) + ":" + std::to_string(h);
}

std::map<std::string, std::string> options_to_metadata(const TrainOptions& o) {
    return {{"train.data", std::filesystem::absolute(o.data).string()},
            {"train.tokenizer", o.tokenizer},
            {"train.vocab_size", encode_int64(o.vocab_size)},
            {"train.lr", encode_double(o.lr)},
            {"train.min_lr", encode_double(o.min_lr)},
            {"train.weight_decay", encode_double(o.weight_decay)},
            {"train.clip", encode_double(o.clip)},
            {"train.warmup_steps", encode_int64(o.warmup_steps)},
            {"train.batch_size", encode_int64(o.batch_size)},
            {"train.stride", encode_int64(o.stride)},
            {"train.epochs", encode_int64(o.epochs)},
            {"train.max_steps", encode_int64(o.max_steps)},
            {"train.eval_interval", encode_int64(o.eval_interval)},
            {"train.eval_iters", encode_int64(o.eval_iters)},
            {"train.checkpoint_interval", encode_int64(o.checkpoint_interval)},
            {"train.val_fraction", encode_double(o.val_fraction)},
            {"train.seed", encode_int64(o.seed)},
            {"train.sample_tokens", encode_int64(o.sample_tokens)},
            {"train.top_k", encode_int64(o.top_k)},
            {"train.temperature", encode_double(o.temperature)},
            {"train.prompt", o.prompt}};
}

static const std::string& required(const std::map<std::string, std::string>& m, const std::string& key,
                                   const std::string& path) {
    auto it = m.find(key);
    if (it == m.end()) throw Error(path + ": not a training checkpoint of this program (no '" + key + "' in its metadata)");
    return it->second;
}

TrainOptions options_from_metadata(const std::map<std::string, std::string>& m, const std::string& path) {
    TrainOptions o;
    auto text = [&](const std::string& key) { return required(m, key, path); };
    auto integer = [&](const std::string& key) { return decode_int64(text(key), path + " metadata '" + key + "'"); };
    auto real = [&](const std::string& key) { return decode_double(text(key), path + " metadata '" + key + "'"); };
    o.data = text("train.data");
    o.tokenizer = text("train.tokenizer");
    o.vocab_size = integer("train.vocab_size");
    o.lr = real("train.lr"), o.min_lr = real("train.min_lr"), o.weight_decay = real("train.weight_decay");
    o.clip = real("train.clip"), o.warmup_steps = integer("train.warmup_steps");
    o.batch_size = integer("train.batch_size"), o.epochs = integer("train.epochs");
    o.max_steps = integer("train.max_steps"), o.eval_interval = integer("train.eval_interval");
    o.eval_iters = integer("train.eval_iters"), o.checkpoint_interval = integer("train.checkpoint_interval");
    o.val_fraction = real("train.val_fraction"), o.seed = integer("train.seed");
    o.sample_tokens = integer("train.sample_tokens"), o.top_k = integer("train.top_k");
    o.temperature = real("train.temperature"), o.prompt = text("train.prompt");
    if (m.count("train.stride")) o.stride = integer("train.stride");  // runs saved before --stride had none: 0
    return o;
}

// A folder that a run cannot start in: one with a complete checkpoint (or with the two
// files at the top that earlier versions of this program wrote).
static bool holds_a_run(const std::string& dir) {
    std::error_code ec;
    return !complete_checkpoints(dir).empty() || std::filesystem::exists(dir + "/optimizer.safetensors", ec);
}

void start_run_folder(const TrainOptions& o, const BpeTokenizer& tokenizer) {
    std::error_code error;
    std::filesystem::create_directories(o.out, error);
    if (error || !std::filesystem::is_directory(o.out))
        throw Error(o.out + ": cannot create the run folder (" + describe_errno(error.value()) + ")");
    if (holds_a_run(o.out))
        throw Error(o.out + " already holds a run; continue it with --resume " + o.out + " or choose another --out");
    remove_unfinished_checkpoints(o.out);
    tokenizer.save(o.out + "/encoder.json", o.out + "/vocab.bpe");
}

// The optimizer file of the newest complete checkpoint, with a message for each way a
// folder can have none.
static std::string newest_optimizer_file(const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw Error("--resume " + dir + ": no such run folder");
    std::vector<std::string> checkpoints = complete_checkpoints(dir);
    if (!checkpoints.empty()) return checkpoints.front() + "/optimizer.safetensors";
    if (std::filesystem::exists(dir + "/optimizer.safetensors", ec))
        throw Error(dir + " was written by an earlier version of this program (no checkpoints/ folder): its "
                    "model.safetensors still works with `generate`, but the run cannot be resumed");
    throw Error(dir + " has no complete checkpoint yet (the run stopped before its first one was saved): start it "
                "again with the same `train --data FILE --out " + dir + " ...` command; the folder is reused");
}

void read_run_options(TrainOptions& o, const std::string& data) {
    std::string dir = o.resume;
    std::string path = newest_optimizer_file(dir);
    o = options_from_metadata(read_safetensors_metadata(path), path);
    GPTConfig cfg = read_model_config(std::filesystem::path(path).parent_path().string() + "/model.safetensors");
    o.context_length = cfg.context_length, o.emb_dim = cfg.emb_dim, o.n_layers = cfg.n_layers;
    o.n_heads = cfg.n_heads, o.drop_rate = cfg.drop_rate, o.qkv_bias = cfg.qkv_bias, o.variant = cfg.variant;
    if (!data.empty()) o.data = data;
    o.resume = dir;
    o.out = dir;
}

void save_checkpoint(const TrainOptions& o, const GPTModel& model, const AdamW& optimizer, const RunPosition& p,
                     const std::string& text) {
    std::map<std::string, std::string> meta = options_to_metadata(o);
    const Generator::State& rng = default_generator().state;
    meta["run.epoch"] = encode_int64(p.epoch);
    meta["run.global_step"] = encode_int64(p.global_step);
    meta["run.tokens_seen"] = encode_int64(p.tokens_seen);
    meta["run.in_epoch"] = encode_int64(p.in_epoch ? 1 : 0);
    meta["run.pass_seed"] = encode_int64(p.pass_seed);
    meta["run.position"] = encode_int64(p.position);
    meta["run.rng"] = encode_u32s(std::vector<uint32_t>(rng.mt.begin(), rng.mt.end()));
    meta["run.rng_position"] = encode_int64(rng.position);
    meta["run.rng_cached_normal"] = rng.has_cached_normal ? encode_double(rng.cached_normal) : "none";
    meta["run.text"] = text_fingerprint(text);
    std::string folder = begin_checkpoint(o.out, p.global_step);
    save_model(folder + "/model.safetensors", model, {{"run.global_step", encode_int64(p.global_step)}});
    save_optimizer(folder + "/optimizer.safetensors", optimizer, model, meta);
    commit_checkpoint(o.out, p.global_step);
}

// The generator's state as saved by save_checkpoint.
static void restore_generator(const std::map<std::string, std::string>& meta, const std::string& path) {
    Generator::State state;
    std::vector<uint32_t> words = decode_u32s(meta.at("run.rng"), path + " metadata 'run.rng'");
    if (words.size() != state.mt.size()) throw Error(path + ": metadata 'run.rng' must hold 624 words");
    std::copy(words.begin(), words.end(), state.mt.begin());
    state.position = static_cast<int32_t>(decode_int64(meta.at("run.rng_position"), path + " 'run.rng_position'"));
    if (state.position < 0 || state.position > 624) throw Error(path + ": metadata 'run.rng_position' out of range");
    const std::string& cached = meta.at("run.rng_cached_normal");
    state.has_cached_normal = cached != "none";
    if (state.has_cached_normal) state.cached_normal = decode_double(cached, path + " 'run.rng_cached_normal'");
    default_generator().state = state;
}

// The run's text must be the one it was trained on (the fingerprint the checkpoint holds).
static void check_same_text(const std::string& path, const std::map<std::string, std::string>& meta,
                            const std::string& text) {
    auto saved = meta.find("run.text");
    if (saved != meta.end() && saved->second != text_fingerprint(text))
        throw Error("the run in " + path + " was trained on a different text (size:hash " + saved->second +
                    ") than the one given now (" + text_fingerprint(text) + ")");
}

// One checkpoint folder into the model and optimizer; the position it was saved at.
static RunPosition restore_from(const std::string& folder, GPTModel& model, AdamW& optimizer) {
    std::string path = folder + "/optimizer.safetensors";
    load_model(folder + "/model.safetensors", model);
    std::map<std::string, std::string> meta = load_optimizer(path, optimizer, model);
    for (const char* key : {"run.epoch", "run.global_step", "run.tokens_seen", "run.in_epoch", "run.pass_seed",
                            "run.position", "run.rng", "run.rng_position", "run.rng_cached_normal", "run.text"})
        if (!meta.count(key)) throw Error(path + ": not a training checkpoint (no '" + key + "' in its metadata)");
    std::map<std::string, std::string> model_meta = read_safetensors_metadata(folder + "/model.safetensors");
    if (model_meta["run.global_step"] != meta["run.global_step"])
        throw Error(folder + ": model.safetensors and optimizer.safetensors are from different steps");
    RunPosition p;
    p.epoch = decode_int64(meta["run.epoch"], path + " 'run.epoch'");
    p.global_step = decode_int64(meta["run.global_step"], path + " 'run.global_step'");
    p.tokens_seen = decode_int64(meta["run.tokens_seen"], path + " 'run.tokens_seen'");
    p.in_epoch = meta["run.in_epoch"] == "1";
    p.pass_seed = decode_int64(meta["run.pass_seed"], path + " 'run.pass_seed'");
    p.position = decode_int64(meta["run.position"], path + " 'run.position'");
    restore_generator(meta, path);
    return p;
}

RunPosition restore_checkpoint(const std::string& dir, GPTModel& model, AdamW& optimizer, const std::string& text) {
    std::vector<std::string> checkpoints = complete_checkpoints(dir);
    if (checkpoints.empty()) newest_optimizer_file(dir);  // throws the message that fits
    std::string problems;
    for (const std::string& folder : checkpoints) {
        std::map<std::string, std::string> meta;
        try {
            meta = read_safetensors_metadata(folder + "/optimizer.safetensors");
        } catch (const Error& e) {
            problems += std::string("\n  ") + e.what();
            std::cerr << "warning: cannot resume from " << folder << ": " << e.what() << "\n";
            continue;
        }
        check_same_text(folder, meta, text);  // another text is no damage: stop here
        try {
            RunPosition position = restore_from(folder, model, optimizer);
            settle_on_checkpoint(dir, folder);
            return position;
        } catch (const Error& e) {
            problems += std::string("\n  ") + e.what();
            std::cerr << "warning: cannot resume from " << folder << ": " << e.what() << "\n";
        }
    }
    throw Error(dir + ": no checkpoint of the run can be read:" + problems);
}

std::vector<LossRecord> read_loss_history(const std::string& path, int64_t max_step) {
    std::vector<LossRecord> history;
    if (!std::filesystem::exists(path)) return history;
    std::istringstream lines(read_file(path));
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
        LossRecord r{};
        long long step = 0, tokens = 0;
        if (std::sscanf(line.c_str(), "%lld,%lld,%lf,%lf", &step, &tokens, &r.train_loss, &r.val_loss) != 4)
            throw Error(path + ": unreadable line '" + line + "' (expected step,tokens_seen,train_loss,val_loss)");
        r.step = step, r.tokens_seen = tokens;
        if (r.step <= max_step) history.push_back(r);
    }
    return history;
}

void write_loss_files(const std::string& dir, const std::vector<LossRecord>& history) {
    std::string csv = "step,tokens_seen,train_loss,val_loss\n";
    std::vector<double> tokens, train, val;
    char row[128];
    for (const LossRecord& r : history) {
        std::snprintf(row, sizeof row, "%lld,%lld,%.17g,%.17g\n", static_cast<long long>(r.step),
                      static_cast<long long>(r.tokens_seen), r.train_loss, r.val_loss);
        csv += row;
        tokens.push_back(static_cast<double>(r.tokens_seen));
        train.push_back(r.train_loss);
        val.push_back(r.val_loss);
    }
    write_file_atomic(dir + "/losses.csv", csv);
    write_loss_svg(dir + "/losses.svg", tokens, train, val);
}

}  // namespace llm
