// The attention lab's comparison (see train/compare.h): each variant is a `train` run in
// its own folder; this file only chooses the options, times the steps, and keeps the table.
#include "train/compare.h"

#include "io/checkpoint.h"
#include "io/checkpoint_folder.h"
#include "io/csv.h"
#include "io/numbers.h"
#include "io/plot.h"
#include "tensor/storage.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace llm {

namespace {

// "window32" -> 32 when `name` is `prefix` followed by a whole number, else -1.
int64_t numbered(const std::string& name, const std::string& prefix) {
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return -1;
    int64_t value = -1;
    auto result = std::from_chars(name.data() + prefix.size(), name.data() + name.size(), value);
    return result.ec == std::errc() && result.ptr == name.data() + name.size() ? value : -1;
}

const char* kPresets = "book, sinusoidal, rope, alibi, none, rms, post-ln, swiglu, gqa, gqa<G>, mqa, window<W>, llama "
                       "(rope+rms+swiglu+gqa), flash, linear, performer, or several joined by '+'";

// One preset's switches, applied on top of `v`.
void apply_preset(const std::string& name, int64_t n_heads, GPTVariant& v) {
    if (name == "book") return;
    if (name == "sinusoidal" || name == "rope" || name == "alibi" || name == "none" || name == "learned")
        v.pos = parse_pos_encoding(name, "compare: variant");
    else if (name == "rms") v.norm = NormKind::rms;
    else if (name == "post-ln") v.norm_place = NormPlace::post;
    else if (name == "swiglu") v.ffn = FeedForwardKind::swiglu;
    else if (name == "gqa") v.kv_groups = std::max<int64_t>(1, n_heads / 2);
    else if (name == "mqa") v.kv_groups = 1;
    else if (numbered(name, "gqa") > 0) v.kv_groups = numbered(name, "gqa");
    else if (numbered(name, "window") > 0) v.window = numbered(name, "window");
    else if (name == "standard" || name == "flash" || name == "linear" || name == "performer")
        v.attention = parse_attention_kind(name, "compare: variant");
    else if (name == "llama") {
        for (const char* part : {"rope", "rms", "swiglu", "gqa"}) apply_preset(part, n_heads, v);
    } else {
        throw Error("compare: unknown variant '" + name + "'; the presets are " + kPresets);
    }
}

const std::vector<std::string> kColumns = {"name", "variant", "parameters", "steps", "tokens", "final_val_loss",
                                           "best_val_loss", "tokens_per_second", "peak_mb", "kv_bytes_per_token",
                                           "kv_bytes_at_context"};

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

std::vector<std::string> row_fields(const CompareRow& r) {
    return {r.name, r.variant, std::to_string(r.parameters), std::to_string(r.steps), std::to_string(r.tokens),
            number(r.final_val_loss), number(r.best_val_loss), number(r.tokens_per_second), number(r.peak_mb),
            std::to_string(r.kv_bytes_per_token), std::to_string(r.kv_bytes_at_context)};
}

// A row file written by a finished variant (compare_row.csv in its folder).
CompareRow read_row(const std::string& path) {
    CsvTable table = read_csv(path);
    if (table.num_rows() != 1 || table.columns != kColumns)
        throw Error(path + ": expected one row with the columns of compare.csv (delete the file to train again)");
    auto integer = [&](const char* key) { return decode_int64(table.at(0, key), path + " '" + key + "'"); };
    auto real = [&](const char* key) {
        const std::string& text = table.at(0, key);
        double value = 0;
        if (!parse_double(text, value))  // not std::from_chars: macOS's libc++ has no double overload
            throw Error(path + ": '" + key + "' is '" + text + "', expected a number");
        return value;
    };
    CompareRow r;
    r.name = table.at(0, "name"), r.variant = table.at(0, "variant");
    r.parameters = integer("parameters"), r.steps = integer("steps"), r.tokens = integer("tokens");
    r.final_val_loss = real("final_val_loss"), r.best_val_loss = real("best_val_loss");
    r.tokens_per_second = real("tokens_per_second"), r.peak_mb = real("peak_mb");
    r.kv_bytes_per_token = integer("kv_bytes_per_token"), r.kv_bytes_at_context = integer("kv_bytes_at_context");
    return r;
}

void write_compare_files(const std::string& dir, const std::vector<CompareRow>& rows) {
    CsvTable table;
    table.columns = kColumns;
    std::vector<Curve> curves;
    for (const CompareRow& r : rows) {
        table.rows.push_back(row_fields(r));
        Curve c{r.name, {}, {}};
        for (const LossRecord& h : r.history) c.xs.push_back(static_cast<double>(h.tokens_seen)), c.ys.push_back(h.val_loss);
        curves.push_back(c);
    }
    to_csv(table, dir + "/compare.csv");
    write_curves_svg(dir + "/compare.svg", curves, "Validation loss of each variant", "Tokens seen", "Validation loss");
}

// The steps that spend the token budget.
int64_t budget_steps(const CompareOptions& o) {
    return std::max<int64_t>(1, o.tokens / (o.train.batch_size * o.train.context_length));
}

}  // namespace

TrainOptions variant_run_options(const CompareOptions& o, const std::string& name) {
    int64_t steps = budget_steps(o);
    TrainOptions t = o.train;
    t.out = o.out + "/" + name;
    t.resume.clear();
    t.variant = variant_preset(name, t.n_heads);
    t.max_steps = steps;
    t.epochs = 100000;  // the step budget ends the run, whatever the text's length
    t.eval_interval = std::max<int64_t>(1, steps / std::max<int64_t>(1, o.evaluations));
    t.checkpoint_interval = t.eval_interval;
    return t;
}

namespace {

// A folder's checkpoint must be of the same variant and budget to be resumed or read back.
void check_same_run(const TrainOptions& t) {
    TrainOptions saved;
    saved.resume = t.out;
    read_run_options(saved, "");
    GPTVariant a = normalized(saved.variant, saved.emb_dim, saved.n_heads);
    GPTVariant b = normalized(t.variant, t.emb_dim, t.n_heads);
    if (a != b || saved.max_steps != t.max_steps || saved.emb_dim != t.emb_dim || saved.n_layers != t.n_layers ||
        saved.context_length != t.context_length || saved.seed != t.seed)
        throw Error(t.out + " holds a run of other settings (" + describe(a, saved.emb_dim, saved.n_heads) + ", " +
                    std::to_string(saved.max_steps) + " steps); use another --out or delete the folder");
}

// Train (or resume) one variant and measure it; the row is also written into its folder.
bool train_variant(const TrainOptions& t, const TrainHooks& given, CompareRow& row) {
    bool resuming = !complete_checkpoints(t.out).empty();
    if (resuming) check_same_run(t);
    double seconds = 0;
    int64_t timed_tokens = 0;
    TrainHooks hooks = given;
    hooks.on_step = [&](int64_t step, int64_t tokens, double s) {
        timed_tokens += tokens, seconds += s;
        if (given.on_step) given.on_step(step, tokens, s);
    };
    TrainOptions run = t;
    if (resuming) {  // the run continues with the options saved in its checkpoint
        run = TrainOptions{};
        run.resume = t.out;
    }
    size_t live_before = live_storage_bytes();
    reset_peak_storage_bytes();
    if (run_training(run, hooks) != 0) return false;  // interrupted: the checkpoint is saved
    GPTConfig cfg = read_model_config(t.out + "/model.safetensors");
    row.parameters = GPTModel(cfg).num_parameters();
    row.steps = t.max_steps;
    row.tokens = t.max_steps * t.batch_size * t.context_length;
    row.tokens_per_second = seconds > 0 ? static_cast<double>(timed_tokens) / seconds : 0.0;
    row.peak_mb = static_cast<double>(peak_storage_bytes() - live_before) / 1e6;
    row.kv_bytes_per_token = kv_cache_bytes_per_token(cfg);
    int64_t cached = cfg.variant.window > 0 ? std::min(cfg.variant.window, cfg.context_length) : cfg.context_length;
    row.kv_bytes_at_context = row.kv_bytes_per_token * cached;
    if (row.kv_bytes_per_token == 0) row.kv_bytes_at_context = linear_state_bytes(cfg);
    return true;
}

}  // namespace

int64_t linear_state_bytes(const GPTConfig& cfg) {
    int64_t head_dim = cfg.emb_dim / cfg.n_heads;
    int64_t F = cfg.variant.attention == AttentionKind::performer ? cfg.variant.features : head_dim;
    return cfg.n_layers * kv_heads(cfg.variant, cfg.n_heads) * (F * head_dim + F) * static_cast<int64_t>(sizeof(float));
}

GPTVariant variant_preset(const std::string& name, int64_t n_heads) {
    GPTVariant v;
    size_t begin = 0;
    while (true) {
        size_t plus = name.find('+', begin);
        apply_preset(name.substr(begin, plus == std::string::npos ? std::string::npos : plus - begin), n_heads, v);
        if (plus == std::string::npos) return v;
        begin = plus + 1;
    }
}

int64_t kv_cache_bytes_per_token(const GPTConfig& cfg) {
    int64_t head_dim = cfg.emb_dim / cfg.n_heads;
    AttentionKind kind = cfg.variant.attention;
    if (kind == AttentionKind::linear || kind == AttentionKind::performer) return 0;  // a fixed-size state instead
    return head_dim * cfg.n_layers * 2 * static_cast<int64_t>(sizeof(float)) * kv_heads(cfg.variant, cfg.n_heads);
}

std::vector<CompareRow> run_compare(const CompareOptions& o) {
    if (o.variants.empty()) throw Error("compare: --variants is empty; give a list such as book,rope,alibi");
    for (size_t i = 0; i < o.variants.size(); i++) {
        variant_preset(o.variants[i], o.train.n_heads);  // every name checked before anything runs
        if (std::count(o.variants.begin(), o.variants.end(), o.variants[i]) > 1)
            throw Error("compare: variant '" + o.variants[i] + "' is listed twice");
    }
    std::filesystem::create_directories(o.out);
    int64_t steps = budget_steps(o);
    std::vector<CompareRow> rows;
    for (size_t i = 0; i < o.variants.size(); i++) {
        TrainOptions t = variant_run_options(o, o.variants[i]);
        CompareRow row;
        row.name = o.variants[i];
        row.variant = describe(t.variant, t.emb_dim, t.n_heads);
        std::cout << "\n=== " << i + 1 << "/" << o.variants.size() << " " << row.name << " (" << row.variant << "), "
                  << steps << " steps in " << t.out << " ===" << std::endl;
        std::string row_file = t.out + "/compare_row.csv";
        if (std::filesystem::exists(row_file)) {
            check_same_run(t);
            row = read_row(row_file);
            std::cout << "already trained: read back from " << row_file << std::endl;
        } else if (!train_variant(t, o.hooks, row)) {
            std::cout << "compare stopped; run the same command again to continue" << std::endl;
            return rows;
        }
        row.history = read_loss_history(t.out + "/losses.csv", steps);
        if (row.history.empty()) throw Error(t.out + "/losses.csv: no evaluation recorded");
        row.final_val_loss = row.history.back().val_loss;
        row.best_val_loss = row.history.back().val_loss;
        for (const LossRecord& h : row.history) row.best_val_loss = std::min(row.best_val_loss, h.val_loss);
        CsvTable one;
        one.columns = kColumns;
        one.rows = {row_fields(row)};
        to_csv(one, row_file);
        rows.push_back(row);
        write_compare_files(o.out, rows);
    }
    return rows;
}

std::string compare_table(const std::vector<CompareRow>& rows) {
    char line[256];
    std::snprintf(line, sizeof line, "%-14s %10s %9s %9s %8s %8s %10s %10s  %s\n", "variant", "parameters", "final val",
                  "best val", "tok/s", "peak MB", "KV B/tok", "KV at ctx", "switches");
    std::string out = line;
    for (const CompareRow& r : rows) {
        std::snprintf(line, sizeof line, "%-14s %10lld %9.3f %9.3f %8.0f %8.1f %10lld %10lld  %s\n", r.name.c_str(),
                      static_cast<long long>(r.parameters), r.final_val_loss, r.best_val_loss, r.tokens_per_second,
                      r.peak_mb, static_cast<long long>(r.kv_bytes_per_token),
                      static_cast<long long>(r.kv_bytes_at_context), r.variant.c_str());
        out += line;
    }
    return out;
}

}  // namespace llm
