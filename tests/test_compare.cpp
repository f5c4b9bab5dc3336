// `ch05_pretraining compare`: the presets, the KV-cache formula, and a comparison that is
// interrupted part way and continued ends with the rows and files of one that was not.
#include "catch_compat.h"
#include "temp_dir.h"

#include "cli/commands.h"
#include "io/checkpoint_folder.h"
#include "io/csv.h"
#include "io/files.h"
#include "tensor/storage.h"
#include "train/compare.h"

#include <filesystem>
#include <iostream>
#include <sstream>

using namespace llm;
using Catch::Matchers::Contains;

namespace {

struct CaptureOutput {
    std::ostringstream buffer;
    std::streambuf* old = std::cout.rdbuf(buffer.rdbuf());
    ~CaptureOutput() { std::cout.rdbuf(old); }
};

std::string story_lines(int lines) {
    const char* names[] = {"Ada", "Ben", "Cleo", "Dev", "Eli"};
    const char* things[] = {"a red kite", "the old boat", "a small dog", "the green door"};
    std::string text;
    for (int i = 0; i < lines; i++) text += std::string(names[i % 5]) + " sees " + things[(i / 5) % 4] + ".\n";
    return text;
}

CompareOptions tiny_compare(const std::string& data, const std::string& out) {
    CompareOptions o;
    o.train.data = data, o.train.tokenizer = "bytes";
    o.train.context_length = 16, o.train.emb_dim = 16, o.train.n_layers = 1, o.train.n_heads = 4;
    o.train.batch_size = 4, o.train.eval_iters = 2, o.train.sample_tokens = 4, o.train.warmup_steps = 2;
    o.out = out;
    o.variants = {"book", "llama", "alibi+window8"};
    o.tokens = 8 * 4 * 16;  // 8 steps
    o.evaluations = 4;
    return o;
}

}  // namespace

TEST_CASE("compare's presets name the switches they set", "[compare][variants]") {
    GPTVariant llama = variant_preset("llama", 4);
    CHECK(llama.pos == PosEncoding::rope);
    CHECK(llama.norm == NormKind::rms);
    CHECK(llama.ffn == FeedForwardKind::swiglu);
    CHECK(llama.kv_groups == 2);
    CHECK(variant_preset("mqa", 12).kv_groups == 1);
    CHECK(variant_preset("gqa3", 12).kv_groups == 3);
    CHECK(variant_preset("post-ln+window32", 4).norm_place == NormPlace::post);
    CHECK(variant_preset("post-ln+window32", 4).window == 32);
    CHECK(variant_preset("book", 4) == GPTVariant{});
    CHECK_THROWS_WITH(variant_preset("rotary", 4), Contains("unknown variant 'rotary'; the presets are book, "));
    CHECK_THROWS_WITH(variant_preset("window", 4), Contains("unknown variant 'window'"));
}

TEST_CASE("the KV cache takes the book's formula: hs × layers × 2 × 4 bytes × KV heads per token", "[compare][kv-cache]") {
    GPTConfig gpt2 = gpt_config_124m();
    CHECK(kv_cache_bytes_per_token(gpt2) == 64 * 12 * 2 * 4 * 12);  // 73,728 bytes: 75.5 MB for 1,024 tokens
    gpt2.variant.kv_groups = 4;
    CHECK(kv_cache_bytes_per_token(gpt2) == 64 * 12 * 2 * 4 * 4);
    // The book's run of ch04/04_gqa/memory_estimator.py (its README): emb 4096, 32 heads, 32 layers,
    // 32,768 tokens, bf16 (half our float32): "MHA total KV cache : 17.18 GB", GQA with 8 KV heads "4.29 GB".
    GPTConfig big = gpt_config_124m();
    big.emb_dim = 4096, big.n_heads = 32, big.n_layers = 32;
    CHECK(static_cast<double>(kv_cache_bytes_per_token(big)) / 2 * 32768 / 1e9 == Approx(17.18).margin(0.005));
    big.variant.kv_groups = 8;
    CHECK(static_cast<double>(kv_cache_bytes_per_token(big)) / 2 * 32768 / 1e9 == Approx(4.29).margin(0.005));
}

TEST_CASE("a compare stopped part way continues to the rows and files of one that was not", "[compare][train]") {
    TempDir dir("llm_compare");
    write_file_atomic(dir.file("text.txt"), story_lines(200));
    CaptureOutput capture;
    CompareOptions whole = tiny_compare(dir.file("text.txt"), dir.file("whole"));
    std::vector<CompareRow> expected = run_compare(whole);
    REQUIRE(expected.size() == 3);
    CompareOptions cut = tiny_compare(dir.file("text.txt"), dir.file("cut"));
    int calls = 0;  // Ctrl-C at the 5th step of the second variant
    cut.hooks.interrupt_after = [&calls](int64_t) { return ++calls == 8 + 5; };
    CHECK(run_compare(cut).size() == 1);
    CHECK_FALSE(complete_checkpoints(dir.file("cut/llama")).empty());  // its checkpoint is saved
    CHECK_FALSE(std::filesystem::exists(dir.file("cut/llama/compare_row.csv")));
    cut.hooks = {};
    std::vector<CompareRow> rows = run_compare(cut);
    REQUIRE(rows.size() == 3);
    for (size_t i = 0; i < rows.size(); i++) {
        INFO(rows[i].name);
        CHECK(rows[i].variant == expected[i].variant);
        CHECK(rows[i].parameters == expected[i].parameters);
        CHECK(rows[i].final_val_loss == expected[i].final_val_loss);
        CHECK(rows[i].best_val_loss == expected[i].best_val_loss);
        CHECK(rows[i].kv_bytes_per_token == expected[i].kv_bytes_per_token);
        CHECK(rows[i].peak_mb > 0);
        std::string name = "/" + rows[i].name + "/model.safetensors";
        CHECK(read_file(dir.file("cut") + name) == read_file(dir.file("whole") + name));
    }
    CHECK(rows[1].kv_bytes_per_token == rows[0].kv_bytes_per_token / 2);  // llama's 2 of 4 key/value heads
    CHECK(rows[2].kv_bytes_at_context == rows[2].kv_bytes_per_token * 8);  // the window caps the cache
    CsvTable table = read_csv(dir.file("cut/compare.csv"));
    REQUIRE(table.num_rows() == 3);
    CHECK(table.at(1, "variant") == "pos=rope norm=rms ffn=swiglu kv_groups=2");
    std::string svg = read_file(dir.file("cut/compare.svg"));
    for (const char* name : {"book", "llama", "alibi+window8"}) CHECK_THAT(svg, Contains(std::string(">") + name + "<"));
    // A third time reads every variant back without training.
    cut.hooks.on_step = [](int64_t, int64_t, double) { FAIL("nothing should train"); };
    CHECK(run_compare(cut).size() == 3);
    // Other settings in the same folder are refused, not mixed in.
    CompareOptions other = tiny_compare(dir.file("text.txt"), dir.file("cut"));
    other.tokens *= 2;
    CHECK_THROWS_WITH(run_compare(other), Contains("holds a run of other settings"));
    // A finished variant's row with a damaged number is refused, naming the file and column.
    std::string row_path = dir.file("cut/book/compare_row.csv"), row_text = read_file(row_path);
    std::string loss_text = read_csv(row_path).at(0, "final_val_loss");
    row_text.replace(row_text.find(loss_text), loss_text.size(), "4.2x");
    write_file_atomic(row_path, row_text);
    CHECK_THROWS_WITH(run_compare(cut), Contains("compare_row.csv: 'final_val_loss' is '4.2x', expected a number"));
}

TEST_CASE("the compare command checks its flags before training", "[compare]") {
    TempDir dir("llm_compare_flags");
    write_file_atomic(dir.file("text.txt"), story_lines(50));
    auto compare = [&](std::vector<std::string> args) {
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        return compare_command(static_cast<int>(argv.size()), argv.data());
    };
    std::string text = dir.file("text.txt"), out = dir.file("out");
    CHECK_THROWS_WITH(compare({"--out", out}), Contains("--data FILE is required"));
    CHECK_THROWS_WITH(compare({"--data", text, "--out", out, "--variants", "book,,rope"}), Contains("empty name"));
    CHECK_THROWS_WITH(compare({"--data", text, "--out", out, "--variants", "book,rotary"}), Contains("'rotary'"));
    CHECK_THROWS_WITH(compare({"--data", text, "--out", out, "--variants", "gqa3"}), Contains("must divide n_heads (4)"));
    CHECK_THROWS_WITH(compare({"--data", text, "--out", out, "--variants", "rope,rope"}), Contains("listed twice"));
    CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("live and peak storage bytes follow the tensors", "[compare][storage]") {
    size_t before = live_storage_bytes();
    reset_peak_storage_bytes();
    {
        Tensor a = zeros({1000});
        CHECK(live_storage_bytes() == before + 4000);
        Tensor b = zeros({500});
        Tensor view_of_a = a.view({10, 100});  // a view shares the values: nothing more
        CHECK(live_storage_bytes() == before + 6000);
    }
    CHECK(live_storage_bytes() == before);
    CHECK(peak_storage_bytes() >= before + 6000);
    reset_peak_storage_bytes();
    CHECK(peak_storage_bytes() == before);
}
