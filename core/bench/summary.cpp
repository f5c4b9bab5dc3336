// bench --summary FILE: the last lines of `make bench`, ours beside the peers'.
//
// FILE holds every JSON line of one run (core/bench/run.sh writes build/release/bench.jsonl):
// ours, and the peers' in their own formats:
//   torch_gpt.py          {"bench": "torch_train_step", "tag": "<our config>", "threads": 1,
//                          "tokens_per_s": ..., "openblas_core": "Haswell", ...}
//                         {"bench": "torch_generate_greedy_nocache", ... "tokens_per_s": ...}
//   sgemm_blas.c          {"bench": "sgemm", "impl": "openblas", "core": ..., "threads": 1,
//                          "M": 128, "N": 128, "K": 128, "op": "NN", "gflops_best": ...}
//   torch_finetune.py     ours' finetune lines plus "peer": "pytorch" and "openblas_core"
// The fastest figure of ours (run.sh runs each config in rounds) is set against the fastest
// peer line that measured the same thing (same config, or the same matmul shape) on the same
// thread count, whichever OpenBLAS core type that peer ran with. A ratio line's value is how
// many times faster ours is: ours ÷ peer for rates (tokens/s, GFLOP/s), peer ÷ ours for minutes.
// A training ratio also gives the peer's median and fastest step: PyTorch's tiny step has been
// seen to run at two speeds, its median 93 ms in one round and 132 in the next with its fastest
// step 89-91 ms in both (book-notes/performance.md, the fourteenth session).
// Beside the ratios, a count that needs no peer: how many of a training step's matmul shapes
// reached 85% of the FMA peak at the vector width gemm runs at (print_shapes_at_target).
#include "bench/summary.h"

#include "base/error.h"
#include "io/json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

// One figure, ours or a peer's, in the terms the two are compared in.
struct Figure {
    bool ours = false;
    std::string measure;        // train_tokens_per_s, generate_tokens_per_s, finetune_tokens_per_s,
                                // finetune_book_run_minutes or matmul_gflops
    std::string config;         // tiny, small, 124m, ch06, ch07; matmul: the set (square, tiny, ...)
    std::string shape;          // matmul only: "MxNxK OP"
    bool kv_cache = false;      // ours' generation with the KV cache (the peer has none)
    bool frozen_cache = false;  // ours' ch06 run with --frozen-cache (the peer has none)
    int threads = 0;
    double value = 0;
    std::string peer;           // peers: "pytorch 1.13.0a0", "openblas"
    std::string openblas_core;  // peers: the OpenBLAS kernels they ran on
    double median_step_ms = std::nan("");   // PyTorch's training: its median step (behind tokens_per_s)
    double fastest_step_ms = std::nan("");  // and its fastest, which shows when its steps run at two speeds
    std::string label;                       // ours' matmul: "tiny.ff_up.dW", "square512", ...
    double share_of_peak = std::nan("");     // ours' matmul: of the FMA peak at gemm's vector width
};

std::string text(const llm::JsonValue& line, const char* key) {
    const llm::JsonValue* v = line.find(key);
    return v != nullptr && v->is_string() ? v->as_string() : "";
}

double number(const llm::JsonValue& line, const char* key) {
    const llm::JsonValue* v = line.find(key);
    return v != nullptr && v->is_number() ? v->as_double() : std::nan("");
}

std::string whole_number(const llm::JsonValue& line, const char* key) {
    return std::to_string(static_cast<long long>(number(line, key)));
}

// Ours' matmul labels start with the set: "square512", "tiny.ff_up.fwd", "124m.lm_head.dW".
std::string matmul_set(const std::string& label) {
    return label.rfind("square", 0) == 0 ? "square" : label.substr(0, label.find('.'));
}

// The figure one line holds; false when the summary does not compare it.
bool read_figure(const llm::JsonValue& line, Figure& f) {
    const std::string figure = text(line, "figure"), bench = text(line, "bench");
    f.threads = static_cast<int>(number(line, "threads"));
    if (bench.empty() && line.find("peer") == nullptr) {  // ours
        f.ours = true;
        f.config = text(line, "config");
        f.value = number(line, "value");
        if (figure == "train_tokens_per_s" || figure == "finetune_tokens_per_s" ||
            figure == "finetune_book_run_minutes") {
            f.measure = figure;
            const llm::JsonValue* cached = line.find("frozen_cache");
            f.frozen_cache = cached != nullptr && cached->is_bool() && cached->as_bool();
        } else if (figure == "generate_tokens_per_s") {
            f.measure = figure;
            const llm::JsonValue* kv = line.find("kv_cache");
            f.kv_cache = kv != nullptr && kv->is_bool() && kv->as_bool();
        } else if (figure == "matmul" && text(line, "impl") == "blocked") {
            f.measure = "matmul_gflops";
            f.config = matmul_set(text(line, "label"));
            f.shape = text(line, "shape") + " " + text(line, "op");
            f.label = text(line, "label");
            f.share_of_peak = number(line, "share_of_peak");
        } else {
            return false;
        }
    } else if (bench == "torch_train_step" || bench == "torch_generate_greedy_nocache") {
        f.measure = bench == "torch_train_step" ? "train_tokens_per_s" : "generate_tokens_per_s";
        f.config = text(line, "tag");  // run.sh tags each run with our config's name
        f.value = number(line, "tokens_per_s");
        f.peer = "pytorch " + text(line, "torch");
        f.openblas_core = text(line, "openblas_core");
        if (bench == "torch_train_step") {
            f.median_step_ms = number(line, "ms_median");
            f.fastest_step_ms = number(line, "ms_min");
        }
    } else if (bench == "sgemm" && text(line, "impl") == "openblas") {
        f.measure = "matmul_gflops";
        f.shape = whole_number(line, "M") + "x" + whole_number(line, "N") + "x" + whole_number(line, "K") + " " +
                  text(line, "op");
        f.value = number(line, "gflops_best");
        f.peer = "openblas";
        f.openblas_core = text(line, "core");
    } else if (text(line, "peer") == "pytorch") {  // .bench-peers/torch_finetune.py
        f.measure = figure;
        f.config = text(line, "config");
        f.value = number(line, "value");
        f.peer = "pytorch " + text(line, "torch");
        f.openblas_core = text(line, "openblas_core");
    } else {
        return false;
    }
    return !std::isnan(f.value) && f.value > 0 && f.threads > 0;
}

bool lower_is_better(const Figure& f) { return f.measure == "finetune_book_run_minutes"; }

// How many times faster ours is than the peer.
double speedup(const Figure& ours, const Figure& peer) {
    return lower_is_better(ours) ? peer.value / ours.value : ours.value / peer.value;
}

// The fastest peer figure of the same measure and config (matmul: shape) on ours' thread
// count, or nullptr when no peer measured it.
const Figure* best_peer(const std::vector<Figure>& figures, const Figure& ours) {
    const Figure* best = nullptr;
    for (const Figure& p : figures) {
        if (p.ours || p.measure != ours.measure || p.threads != ours.threads) continue;
        if (ours.measure == "matmul_gflops" ? p.shape != ours.shape : p.config != ours.config) continue;
        if (best == nullptr || speedup(ours, p) < speedup(ours, *best)) best = &p;
    }
    return best;
}

// Whether two figures of ours measured the same thing (run.sh runs each config in rounds).
bool same_measurement(const Figure& a, const Figure& b) {
    return a.measure == b.measure && a.config == b.config && a.shape == b.shape && a.threads == b.threads &&
           a.kv_cache == b.kv_cache && a.frozen_cache == b.frozen_cache;
}

// How many of ours' figures measured what `ours` did (one per round).
int runs_of(const std::vector<Figure>& figures, const Figure& ours) {
    int runs = 0;
    for (const Figure& f : figures)
        if (f.ours && same_measurement(f, ours)) runs++;
    return runs;
}

// Whether `ours` is the fastest of those runs (the first, of equals): only that one is set
// against the peers, as the peers' fastest is.
bool fastest_run(const std::vector<Figure>& figures, const Figure& ours) {
    for (const Figure& f : figures) {
        if (!f.ours || !same_measurement(f, ours)) continue;
        double s = speedup(f, ours);  // > 1: f is faster than ours
        if (s > 1.0 || (s == 1.0 && &f < &ours)) return false;
    }
    return true;
}

void print_ratio(std::FILE* out, const Figure& ours, const Figure& peer, int runs) {
    std::string variant = ours.measure == "generate_tokens_per_s"
                              ? std::string(", \"ours_kv_cache\": ") + (ours.kv_cache ? "true" : "false")
                              : "";
    if (ours.measure == "finetune_book_run_minutes" && ours.config == "ch06")
        variant = std::string(", \"ours_frozen_cache\": ") + (ours.frozen_cache ? "true" : "false");
    std::string steps;  // PyTorch's median and fastest training step, when its line has them
    if (!std::isnan(peer.median_step_ms) && !std::isnan(peer.fastest_step_ms)) {
        char buffer[96];
        std::snprintf(buffer, sizeof buffer, ", \"peer_median_step_ms\": %.2f, \"peer_fastest_step_ms\": %.2f",
                      peer.median_step_ms, peer.fastest_step_ms);
        steps = buffer;
    }
    std::fprintf(out,
                 "{\"figure\": \"ratio\", \"of\": \"%s\", \"config\": %s, \"threads\": %d%s, "
                 "\"ours\": %.2f, \"ours_runs\": %d, \"peer\": %s, \"peer_value\": %.2f, "
                 "\"peer_openblas_core\": %s%s, \"value\": %.2f%s}\n",
                 ours.measure.c_str(), llm::json_quote(ours.config).c_str(), ours.threads, variant.c_str(), ours.value,
                 runs, llm::json_quote(peer.peer).c_str(), peer.value, llm::json_quote(peer.openblas_core).c_str(),
                 steps.c_str(), speedup(ours, peer), lower_is_better(ours) ? ", \"note\": \"peer's minutes / ours\"" : "");
}

// The matmul shapes of one set on one thread count: ours ÷ OpenBLAS per shape.
struct MatmulSet {
    std::string config;
    int threads;
    std::vector<double> speedups;
};

void print_matmul_set(std::FILE* out, const MatmulSet& set) {
    double log_sum = 0, lowest = set.speedups[0], highest = set.speedups[0];
    for (double s : set.speedups) {
        log_sum += std::log(s);
        lowest = std::min(lowest, s);
        highest = std::max(highest, s);
    }
    std::fprintf(out,
                 "{\"figure\": \"ratio\", \"of\": \"matmul_gflops\", \"config\": %s, \"threads\": %d, \"shapes\": %zu, "
                 "\"peer\": \"openblas\", \"min\": %.2f, \"max\": %.2f, \"value\": %.2f, "
                 "\"note\": \"geometric mean over the shapes of ours / OpenBLAS's faster core type\"}\n",
                 llm::json_quote(set.config).c_str(), set.threads, set.speedups.size(), lowest, highest,
                 std::exp(log_sum / static_cast<double>(set.speedups.size())));
}

// A training step's matmul shapes of one kind on one thread count (the squares are no step's):
// how many reached kTargetShare of the FMA peak, and the lowest share. Kinds: "linear" (the
// layers' x·Wᵀ, dY·W, dYᵀ·x) and "attention" (a head's products, which run on one thread).
// Counted over the three configs ("all") and for each: issue 16 sets the target for 124M's
// step, and tiny's and small's shapes show where a smaller model falls short of it.
constexpr double kTargetShare = 0.85;

struct ShapesAtTarget {
    std::string config, kind;
    int threads;
    int shapes = 0, reached = 0;
    double lowest = 0;
    std::string lowest_label;
};

// Adds one matmul line of ours to its group (config, kind, threads), appending the group the
// first time it is seen.
void count_shape(std::vector<ShapesAtTarget>& groups, const std::string& config, const std::string& kind,
                 const Figure& f) {
    ShapesAtTarget* group = nullptr;
    for (ShapesAtTarget& g : groups)
        if (g.config == config && g.kind == kind && g.threads == f.threads) group = &g;
    if (group == nullptr) {
        groups.push_back({config, kind, f.threads, 0, 0, 0, ""});
        group = &groups.back();
    }
    if (group->shapes == 0 || f.share_of_peak < group->lowest) {
        group->lowest = f.share_of_peak;
        group->lowest_label = f.label;
    }
    group->shapes++;
    if (f.share_of_peak >= kTargetShare) group->reached++;
}

// One shapes_at_target line.
void print_shapes_group(std::FILE* out, const ShapesAtTarget& g) {
    std::fprintf(out,
                 "{\"figure\": \"shapes_at_target\", \"of\": \"matmul_share_of_peak\", \"config\": %s, "
                 "\"kind\": %s, \"threads\": %d, \"target\": %.2f, \"shapes\": %d, \"reached\": %d, "
                 "\"lowest\": %.3f, \"lowest_label\": %s}\n",
                 llm::json_quote(g.config).c_str(), llm::json_quote(g.kind).c_str(), g.threads, kTargetShare,
                 g.shapes, g.reached, g.lowest, llm::json_quote(g.lowest_label).c_str());
}

// Counts ours' matmul lines by kind and thread count, over all configs and per config, and
// prints a line per group, the "all" groups first, each in the order ours ran them; the shares
// are compared as the lines print them (three decimals).
void print_shapes_at_target(std::FILE* out, const std::vector<Figure>& figures) {
    std::vector<ShapesAtTarget> all_configs, per_config;
    for (const Figure& f : figures) {
        if (!f.ours || f.measure != "matmul_gflops" || f.config == "square" || std::isnan(f.share_of_peak)) continue;
        const std::string kind = f.label.find(".attn.") != std::string::npos ? "attention" : "linear";
        count_shape(all_configs, "all", kind, f);
        count_shape(per_config, f.config, kind, f);
    }
    for (const ShapesAtTarget& g : all_configs) print_shapes_group(out, g);
    for (const ShapesAtTarget& g : per_config) print_shapes_group(out, g);
}

}  // namespace

bool print_summary(const std::string& path, std::FILE* out) {
    std::ifstream file(path);
    if (!file) {
        std::fprintf(stderr, "bench --summary: cannot read '%s'\n", path.c_str());
        return false;
    }
    std::vector<Figure> figures;
    std::string line;
    for (int line_number = 1; std::getline(file, line); line_number++) {
        if (line.empty() || line[0] != '{') continue;
        try {
            Figure f;
            if (read_figure(llm::parse_json(line, path + " line " + std::to_string(line_number)), f)) figures.push_back(f);
        } catch (const llm::Error& e) {
            std::fprintf(stderr, "bench --summary: skipped: %s\n", e.what());
        }
    }
    std::vector<MatmulSet> matmul_sets;  // in the order ours ran them
    int ratios = 0;
    for (const Figure& ours : figures) {
        if (!ours.ours || ours.measure != "matmul_gflops") continue;
        const Figure* peer = best_peer(figures, ours);
        if (peer == nullptr) continue;
        MatmulSet* set = nullptr;
        for (MatmulSet& s : matmul_sets)
            if (s.config == ours.config && s.threads == ours.threads) set = &s;
        if (set == nullptr) {
            matmul_sets.push_back({ours.config, ours.threads, {}});
            set = &matmul_sets.back();
        }
        set->speedups.push_back(speedup(ours, *peer));
    }
    for (const MatmulSet& set : matmul_sets) {
        print_matmul_set(out, set);
        ratios++;
    }
    for (const Figure& ours : figures) {
        if (!ours.ours || ours.measure == "matmul_gflops") continue;
        const Figure* peer = best_peer(figures, ours);
        if (peer == nullptr || !fastest_run(figures, ours)) continue;
        print_ratio(out, ours, *peer, runs_of(figures, ours));
        ratios++;
    }
    if (ratios == 0) std::fprintf(stderr, "bench --summary: no figure of ours has a peer's beside it in '%s'\n", path.c_str());
    print_shapes_at_target(out, figures);
    std::fflush(out);
    return true;
}
