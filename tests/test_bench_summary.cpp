// Tests of `bench --summary` (core/bench/summary.cpp): which of ours' figures it sets against
// which peer figure, and the ratios it prints. The input is a made-up run in the formats
// core/bench/run.sh collects: ours' JSON lines and the peers' (torch_gpt.py, sgemm_blas.c,
// torch_finetune.py). The numbers are chosen so that every ratio but the geometric mean is
// exact in two decimals.
#include "catch_compat.h"
#include "temp_dir.h"

#include "bench/summary.h"
#include "io/files.h"
#include "io/json.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

// A run's log: two rounds of tiny on 1 thread, both PyTorch core types, a generation
// with and without our cache, two matmul shapes of one set, ch06 with and without
// --frozen-cache, and lines the summary must leave out.
const char* kRun =
    R"({"figure": "load_average", "when": "start", "value": "1.00, 1.00, 1.00", "unit": "1, 5, 15 min"})" "\n"
    R"({"figure": "train_tokens_per_s", "config": "tiny", "threads": 1, "value": 20000.0, "unit": "tokens/s"})" "\n"
    R"({"bench": "torch_train_step", "tag": "tiny", "threads": 1, "tokens_per_s": 8000.0, "torch": "1.13.0a0", "openblas_core": "Haswell"})" "\n"
    R"({"bench": "torch_train_step", "tag": "tiny", "threads": 1, "tokens_per_s": 8500.0, "ms_median": 120.47, "ms_min": 90.0, "torch": "1.13.0a0", "openblas_core": "SkylakeX"})" "\n"
    R"({"figure": "train_tokens_per_s", "config": "tiny", "threads": 1, "value": 21250.0, "unit": "tokens/s"})" "\n"
    R"({"figure": "train_tokens_per_s", "config": "tiny", "threads": 2, "value": 30000.0, "unit": "tokens/s"})" "\n"
    R"({"figure": "train_tokens_per_s", "config": "small", "threads": 1, "value": 4000.0, "unit": "tokens/s"})" "\n"
    R"({"figure": "generate_tokens_per_s", "config": "124m", "threads": 1, "kv_cache": false, "value": 10.0})" "\n"
    R"({"figure": "generate_tokens_per_s", "config": "124m", "threads": 1, "kv_cache": true, "value": 40.0})" "\n"
    R"({"bench": "torch_generate_greedy_nocache", "tag": "124m", "threads": 1, "tokens_per_s": 8.0, "torch": "1.13.0a0", "openblas_core": "SkylakeX"})" "\n"
    R"({"figure": "matmul", "impl": "blocked", "label": "tiny.ff_up.fwd", "shape": "1024x512x128", "op": "NT", "threads": 1, "value": 200.0})" "\n"
    R"({"figure": "matmul", "impl": "naive", "label": "tiny.ff_up.fwd", "shape": "1024x512x128", "op": "NT", "threads": 1, "value": 2.0})" "\n"
    R"({"figure": "matmul", "impl": "blocked", "label": "tiny.ff_up.dX", "shape": "1024x128x512", "op": "NN", "threads": 1, "value": 180.0})" "\n"
    R"({"bench": "sgemm", "impl": "openblas", "core": "Haswell", "threads": 1, "M": 1024, "N": 512, "K": 128, "op": "NT", "gflops_best": 100.0})" "\n"
    R"({"bench": "sgemm", "impl": "openblas", "core": "SkylakeX", "threads": 1, "M": 1024, "N": 512, "K": 128, "op": "NT", "gflops_best": 160.0})" "\n"
    R"({"bench": "sgemm", "impl": "openblas", "core": "SkylakeX", "threads": 1, "M": 1024, "N": 128, "K": 512, "op": "NN", "gflops_best": 90.0})" "\n"
    R"({"figure": "finetune_book_run_minutes", "config": "ch06", "threads": 1, "frozen_cache": false, "value": 2.0})" "\n"
    R"({"figure": "finetune_book_run_minutes", "config": "ch06", "threads": 1, "frozen_cache": true, "value": 0.5})" "\n"
    R"({"figure": "finetune_book_run_minutes", "config": "ch06", "threads": 1, "peer": "pytorch", "torch": "1.13.0a0", "openblas_core": "SkylakeX", "value": 3.0})" "\n"
    R"({"figure": "train_tokens_per_s", "config": "tiny", "threads": 1, "value": )" "\n"
    "not json at all\n";

// The lines print_summary writes for `log`, each parsed.
std::vector<llm::JsonValue> summary_of(const std::string& log) {
    TempDir dir("llm_test_bench_summary");
    llm::write_file_atomic(dir.file("bench.jsonl"), log);
    std::FILE* out = std::fopen(dir.file("summary.jsonl").c_str(), "w");
    REQUIRE(out != nullptr);
    bool read = print_summary(dir.file("bench.jsonl"), out);
    std::fclose(out);
    REQUIRE(read);
    std::vector<llm::JsonValue> lines;
    std::ifstream in(dir.file("summary.jsonl"));
    for (std::string line; std::getline(in, line);) lines.push_back(llm::parse_json(line, "summary"));
    return lines;
}

// The ratio line of measure `of` and config `config` on `threads` whose boolean `flag`
// (if given) is `value`; fails the test when there is not exactly one.
llm::JsonValue ratio_of(const std::vector<llm::JsonValue>& lines, const std::string& of, const std::string& config,
                        int threads, const char* flag = nullptr, bool value = false) {
    std::vector<llm::JsonValue> found;
    for (const llm::JsonValue& l : lines) {
        if (l.at("of").as_string() != of || l.at("config").as_string() != config || l.at("threads").as_int() != threads)
            continue;
        if (flag != nullptr && l.at(flag).as_bool() != value) continue;
        found.push_back(l);
    }
    REQUIRE(found.size() == 1);
    return found[0];
}

}  // namespace

TEST_CASE("bench summary: ours' fastest round against the fastest peer run", "[bench]") {
    std::vector<llm::JsonValue> lines = summary_of(kRun);
    llm::JsonValue tiny = ratio_of(lines, "train_tokens_per_s", "tiny", 1);
    CHECK(tiny.at("ours").as_double() == 21250.0);  // the faster of the two rounds
    CHECK(tiny.at("ours_runs").as_int() == 2);
    CHECK(tiny.at("peer_value").as_double() == 8500.0);  // the faster core type
    CHECK(tiny.at("peer_openblas_core").as_string() == "SkylakeX");
    CHECK(tiny.at("value").as_double() == 2.5);
    CHECK(tiny.at("peer_median_step_ms").as_double() == 120.47);  // the chosen peer line's steps
    CHECK(tiny.at("peer_fastest_step_ms").as_double() == 90.0);
}

TEST_CASE("bench summary: generation with and without our cache, against the peer's uncached", "[bench]") {
    std::vector<llm::JsonValue> lines = summary_of(kRun);
    CHECK(ratio_of(lines, "generate_tokens_per_s", "124m", 1, "ours_kv_cache", false).at("value").as_double() == 1.25);
    CHECK(ratio_of(lines, "generate_tokens_per_s", "124m", 1, "ours_kv_cache", true).at("value").as_double() == 5.0);
    CHECK(ratio_of(lines, "generate_tokens_per_s", "124m", 1, "ours_kv_cache", true).find("peer_fastest_step_ms") ==
          nullptr);  // no steps in a generation line
}

TEST_CASE("bench summary: minutes compare the other way round", "[bench]") {
    std::vector<llm::JsonValue> lines = summary_of(kRun);
    llm::JsonValue plain = ratio_of(lines, "finetune_book_run_minutes", "ch06", 1, "ours_frozen_cache", false);
    CHECK(plain.at("value").as_double() == 1.5);  // the peer's 3 minutes / ours' 2
    CHECK(ratio_of(lines, "finetune_book_run_minutes", "ch06", 1, "ours_frozen_cache", true).at("value").as_double() ==
          6.0);
}

TEST_CASE("bench summary: matmul shapes as one geometric mean per set", "[bench]") {
    std::vector<llm::JsonValue> lines = summary_of(kRun);
    llm::JsonValue set = ratio_of(lines, "matmul_gflops", "tiny", 1);
    CHECK(set.at("shapes").as_int() == 2);  // the naive kernel's line is not a shape of ours
    CHECK(set.at("min").as_double() == 1.25);  // 200 / OpenBLAS's faster 160
    CHECK(set.at("max").as_double() == 2.0);   // 180 / 90
    CHECK(set.at("value").as_double() == Approx(1.58).margin(0.005));  // √(1.25 · 2)
}

TEST_CASE("bench summary: figures no peer measured on that thread count are left out", "[bench]") {
    std::vector<llm::JsonValue> lines = summary_of(kRun);
    CHECK(lines.size() == 6);  // tiny, two generations, two ch06 runs, the matmul set
    for (const llm::JsonValue& l : lines) {
        CHECK(l.at("figure").as_string() == "ratio");
        CHECK_FALSE((l.at("config").as_string() == "tiny" && l.at("threads").as_int() == 2));
        CHECK(l.at("config").as_string() != "small");
    }
}

TEST_CASE("bench summary: a missing file is an error, a run without peers prints nothing", "[bench]") {
    CHECK(summary_of("").empty());
    std::string ours_only = R"({"figure": "train_tokens_per_s", "config": "tiny", "threads": 1, "value": 20000.0})" "\n";
    CHECK(summary_of(ours_only).empty());
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    CHECK_FALSE(print_summary("/nonexistent/bench.jsonl", out));
    std::fclose(out);
}

TEST_CASE("bench summary: a step's matmul shapes at 85% of the peak, by kind and thread count", "[bench]") {
    const char* run =
        R"({"figure": "matmul", "impl": "blocked", "label": "square128", "shape": "128x128x128", "op": "NN", "threads": 1, "value": 100.0, "share_of_peak": 0.5})" "\n"
        R"({"figure": "matmul", "impl": "naive", "label": "tiny.ff_up.fwd", "shape": "1024x512x128", "op": "NT", "threads": 1, "value": 2.0, "share_of_peak": 0.01})" "\n"
        R"({"figure": "matmul", "impl": "blocked", "label": "tiny.ff_up.fwd", "shape": "1024x512x128", "op": "NT", "threads": 1, "value": 210.0, "share_of_peak": 0.9})" "\n"
        R"({"figure": "matmul", "impl": "blocked", "label": "tiny.ff_up.dX", "shape": "1024x128x512", "op": "NN", "threads": 1, "value": 198.0, "share_of_peak": 0.85})" "\n"
        R"({"figure": "matmul", "impl": "blocked", "label": "tiny.ff_up.dW", "shape": "512x128x1024", "op": "TN", "threads": 1, "value": 197.0, "share_of_peak": 0.849})" "\n"
        R"({"figure": "matmul", "impl": "blocked", "label": "tiny.ff_up.dW", "shape": "512x128x1024", "op": "TN", "threads": 2, "value": 330.0, "share_of_peak": 0.7})" "\n"
        R"({"figure": "matmul", "impl": "blocked", "label": "tiny.attn.rows0-64.PV|dS.K", "shape": "64x32x64", "op": "NN", "threads": 1, "value": 200.0, "share_of_peak": 0.86})" "\n"
        R"({"figure": "matmul", "impl": "blocked", "label": "124m.ff_up.fwd", "shape": "512x3072x768", "op": "NT", "threads": 1, "value": 205.0, "share_of_peak": 0.88})" "\n"
        R"({"figure": "matmul", "impl": "blocked", "label": "124m.ff_up.fwd", "shape": "512x3072x768", "op": "NT", "threads": 2, "value": 380.0, "share_of_peak": 0.86})" "\n";
    std::vector<llm::JsonValue> lines = summary_of(run);  // no peer: no ratio lines
    REQUIRE(lines.size() == 3 + 5);  // all configs by kind and threads, then tiny's 3 groups and 124m's 2
    for (const llm::JsonValue& l : lines) CHECK(l.at("figure").as_string() == "shapes_at_target");
    CHECK(lines[0].at("config").as_string() == "all");  // in the order ours ran them
    CHECK(lines[0].at("kind").as_string() == "linear");
    CHECK(lines[0].at("threads").as_int() == 1);
    CHECK(lines[0].at("shapes").as_int() == 4);   // not the square, not the naive loop
    CHECK(lines[0].at("reached").as_int() == 3);  // 0.85 reaches it, 0.849 does not
    CHECK(lines[0].at("lowest").as_double() == 0.849);
    CHECK(lines[0].at("lowest_label").as_string() == "tiny.ff_up.dW");
    CHECK(lines[1].at("kind").as_string() == "linear");
    CHECK(lines[1].at("threads").as_int() == 2);
    CHECK(lines[1].at("shapes").as_int() == 2);
    CHECK(lines[1].at("reached").as_int() == 1);
    CHECK(lines[1].at("lowest_label").as_string() == "tiny.ff_up.dW");
    CHECK(lines[2].at("kind").as_string() == "attention");
    CHECK(lines[2].at("shapes").as_int() == 1);
    CHECK(lines[2].at("reached").as_int() == 1);
    CHECK(lines[2].at("target").as_double() == 0.85);
    CHECK(lines[3].at("config").as_string() == "tiny");
    CHECK(lines[3].at("shapes").as_int() == 3);
    CHECK(lines[3].at("reached").as_int() == 2);
    CHECK(lines[4].at("config").as_string() == "tiny");
    CHECK(lines[4].at("threads").as_int() == 2);
    CHECK(lines[4].at("reached").as_int() == 0);
    CHECK(lines[5].at("kind").as_string() == "attention");
    CHECK(lines[6].at("config").as_string() == "124m");  // every shape of 124m's reached it
    CHECK(lines[6].at("threads").as_int() == 1);
    CHECK(lines[6].at("shapes").as_int() == 1);
    CHECK(lines[6].at("reached").as_int() == 1);
    CHECK(lines[7].at("config").as_string() == "124m");
    CHECK(lines[7].at("threads").as_int() == 2);
    CHECK(lines[7].at("lowest").as_double() == 0.86);
    CHECK(lines[7].at("lowest_label").as_string() == "124m.ff_up.fwd");
}
