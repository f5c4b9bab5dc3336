// Run folders, checkpoints with the run's position, loss logs and the progress line.
#include "train/run_folder.h"

#include "io/checkpoint.h"
#include "io/files.h"
#include "io/plot.h"
#include "random/random.h"
#include "io/safetensors.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace llm {

// FNV-1a of the training text: a resumed run must read the same text.
static std::string text_fingerprint(const std::string& text) {
    uint64_t h = 0xCBF29CE484222325ULL;
    for (unsigned char c : text) h = (h ^ c) * 0x100000001B3ULL;
    return std::to_string(text.size()) + ":" + std::to_string(h);
}

void start_run_folder(const TrainOptions& o, const BpeTokenizer& tokenizer) {
    std::error_code error;
    std::filesystem::create_directories(o.out, error);
    if (error || !std::filesystem::is_directory(o.out))
        throw Error(o.out + ": cannot create the run folder (" + error.message() + ")");
    if (std::filesystem::exists(o.out + "/model.safetensors"))
        throw Error(o.out + " already holds a run; continue it with --resume " + o.out + " or choose another --out");
    tokenizer.save(o.out + "/encoder.json", o.out + "/vocab.bpe");
}

void read_run_options(TrainOptions& o) {
    std::string dir = o.resume;
    std::string path = dir + "/optimizer.safetensors";
    if (!std::filesystem::exists(path)) throw Error(dir + ": no checkpoint here (missing optimizer.safetensors)");
    o = options_from_metadata(read_safetensors_metadata(path), path);
    GPTConfig cfg = read_model_config(dir + "/model.safetensors");
    o.context_length = cfg.context_length, o.emb_dim = cfg.emb_dim, o.n_layers = cfg.n_layers;
    o.n_heads = cfg.n_heads, o.drop_rate = cfg.drop_rate, o.qkv_bias = cfg.qkv_bias;
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
    meta["run.position"] = encode_int64(p.position);
    meta["run.order"] = encode_u32s(std::vector<uint32_t>(p.order.begin(), p.order.end()));
    meta["run.rng"] = encode_u32s(std::vector<uint32_t>(rng.mt.begin(), rng.mt.end()));
    meta["run.rng_position"] = encode_int64(rng.position);
    meta["run.rng_cached_normal"] = rng.has_cached_normal ? encode_double(rng.cached_normal) : "none";
    meta["run.text"] = text_fingerprint(text);
    save_model(o.out + "/model.safetensors", model, {{"run.global_step", encode_int64(p.global_step)}});
    save_optimizer(o.out + "/optimizer.safetensors", optimizer, model, meta);
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

RunPosition restore_checkpoint(const std::string& dir, GPTModel& model, AdamW& optimizer, const std::string& text) {
    std::string path = dir + "/optimizer.safetensors";
    load_model(dir + "/model.safetensors", model);
    std::map<std::string, std::string> meta = load_optimizer(path, optimizer, model);
    for (const char* key : {"run.epoch", "run.global_step", "run.tokens_seen", "run.in_epoch", "run.position",
                            "run.order", "run.rng", "run.rng_position", "run.rng_cached_normal", "run.text"})
        if (!meta.count(key)) throw Error(path + ": not a training checkpoint (no '" + key + "' in its metadata)");
    if (meta["run.text"] != text_fingerprint(text))
        throw Error(path + ": the run was trained on a different text than " + meta["train.data"] + " holds now");
    std::map<std::string, std::string> model_meta = read_safetensors_metadata(dir + "/model.safetensors");
    if (model_meta["run.global_step"] != meta["run.global_step"])
        throw Error(dir + ": model.safetensors and optimizer.safetensors are from different steps");
    RunPosition p;
    p.epoch = decode_int64(meta["run.epoch"], path + " 'run.epoch'");
    p.global_step = decode_int64(meta["run.global_step"], path + " 'run.global_step'");
    p.tokens_seen = decode_int64(meta["run.tokens_seen"], path + " 'run.tokens_seen'");
    p.in_epoch = meta["run.in_epoch"] == "1";
    p.position = decode_int64(meta["run.position"], path + " 'run.position'");
    for (uint32_t i : decode_u32s(meta["run.order"], path + " 'run.order'")) p.order.push_back(i);
    restore_generator(meta, path);
    return p;
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

// --- progress ----------------------------------------------------------------------------

Progress::Progress(int64_t start_step, int64_t total_steps)
    : start_step_(start_step), total_steps_(total_steps), terminal_(isatty(STDOUT_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

static std::string duration_text(double seconds) {
    char text[32];
    long long s = static_cast<long long>(seconds);
    if (s >= 3600) std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
    return text;
}

void Progress::update(const RunPosition& p, double loss, int64_t tokens) {
    tokens_ += tokens;
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    int64_t done = p.global_step - start_step_;
    double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_steps_ - p.global_step) : 0.0;
    char line[200];
    std::snprintf(line, sizeof line, "step %lld/%lld | epoch %lld | loss %.3f | %.0f tok/s | ETA %s",
                  static_cast<long long>(p.global_step), static_cast<long long>(total_steps_),
                  static_cast<long long>(p.epoch + 1), loss, elapsed > 0 ? static_cast<double>(tokens_) / elapsed : 0.0,
                  duration_text(eta).c_str());
    if (terminal_) {
        int width = 24, filled = static_cast<int>(width * p.global_step / std::max<int64_t>(1, total_steps_));
        std::cout << "\r[" << std::string(static_cast<size_t>(filled), '=') << std::string(static_cast<size_t>(width - filled), ' ')
                  << "] " << line << "   " << std::flush;
        drawn_ = true;
    } else if (p.global_step % 10 == 0) {
        std::cout << line << "\n";
    }
}

void Progress::clear_line() {
    if (terminal_ && drawn_) std::cout << "\r" << std::string(110, ' ') << "\r";
    drawn_ = false;
}

}  // namespace llm
