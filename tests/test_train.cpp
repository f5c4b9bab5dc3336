// Chapter 5 training: the loss goes down, a resumed run equals an uninterrupted one bit
// for bit, and bad input gets a clear error that names the problem.
#include "catch_compat.h"
#include "temp_dir.h"
#include "train_helpers.h"

#include "cli/commands.h"
#include "io/checkpoint_folder.h"
#include "io/files.h"
#include "optim/optim.h"
#include "random/random.h"
#include "train/loss.h"
#include "train/pretrain.h"
#include "train/run_folder.h"
#include "train/sampling.h"

#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

using namespace llm;
using Catch::Matchers::Contains;


TEST_CASE("training on one batch drives its loss down", "[train]") {
    manual_seed(123);
    GPTConfig cfg;
    cfg.vocab_size = 20, cfg.context_length = 8, cfg.emb_dim = 16, cfg.n_heads = 2, cfg.n_layers = 2, cfg.drop_rate = 0.0;
    GPTModel model(cfg);
    AdamW optimizer(model.parameters(), 1e-2f, 0.0f);
    Tensor input = tensor_int64({{1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13, 14, 15, 16}});
    Tensor target = tensor_int64({{2, 3, 4, 5, 6, 7, 8, 9}, {10, 11, 12, 13, 14, 15, 16, 17}});
    float first = 0, last = 0;
    for (int step = 0; step < 60; step++) {
        optimizer.zero_grad();
        Tensor loss = calc_loss_batch(input, target, model);
        if (step == 0) first = loss.item();
        last = loss.item();
        loss.backward();
        optimizer.step();
    }
    CHECK(first > 2.5f);  // about log(20) = 3.0 for an untrained model
    CHECK(last < 0.2f);
}

TEST_CASE("a resumed run ends exactly where the uninterrupted run ends", "[train]") {
    TempDir dir("llm_test_train_resume");
    write_file_atomic(dir.file("text.txt"), small_text(120));
    CaptureOutput capture;
    REQUIRE(train(tiny_run(dir.file("text.txt"), dir.file("full"))) == 0);
    // The same run with Ctrl-C after step 5 (a checkpoint is saved there), then --resume.
    TrainOptions options;
    options.data = dir.file("text.txt"), options.out = dir.file("cut"), options.tokenizer = "bytes";
    options.context_length = 16, options.emb_dim = 16, options.n_layers = 2, options.n_heads = 2;
    options.batch_size = 4, options.epochs = 2, options.eval_interval = 3, options.eval_iters = 2;
    options.checkpoint_interval = 4, options.sample_tokens = 8, options.warmup_steps = 2;
    TrainHooks hooks;
    hooks.interrupt_after = [](int64_t step) { return step == 5; };
    REQUIRE(run_training(options, hooks) == 130);
    REQUIRE(train({"--resume", dir.file("cut")}) == 0);
    CHECK(read_file(dir.file("cut/losses.csv")) == read_file(dir.file("full/losses.csv")));
    CHECK(read_file(dir.file("cut/model.safetensors")) == read_file(dir.file("full/model.safetensors")));
    std::string cut = complete_checkpoints(dir.file("cut")).at(0), full = complete_checkpoints(dir.file("full")).at(0);
    CHECK(std::filesystem::path(cut).filename() == std::filesystem::path(full).filename());
    CHECK(read_file(cut + "/optimizer.safetensors") == read_file(full + "/optimizer.safetensors"));
}

TEST_CASE("train --stride: training windows every stride tokens, kept by a resumed run", "[train]") {
    TempDir dir("llm_test_train_stride");
    write_file_atomic(dir.file("text.txt"), small_text(120));
    CaptureOutput capture;
    std::vector<std::string> args = tiny_run(dir.file("text.txt"), dir.file("full"));
    args.insert(args.end(), {"--stride", "4"});
    REQUIRE(train(args) == 0);
    // Four times as many windows as with the default stride (the context, 16): 4x the steps.
    std::vector<std::string> plain = tiny_run(dir.file("text.txt"), dir.file("plain"));
    REQUIRE(train(plain) == 0);
    std::string full_log = read_file(dir.file("full/losses.csv")), plain_log = read_file(dir.file("plain/losses.csv"));
    auto last_step = [](const std::string& csv) {
        std::string last = csv.substr(csv.rfind('\n', csv.size() - 2) + 1);
        return std::stoll(last.substr(0, last.find(',')));
    };
    int64_t strided = last_step(full_log), unstrided = last_step(plain_log);
    CHECK(strided >= 4 * unstrided - 4);
    CHECK(strided <= 4 * unstrided + 4);
    // Cut after step 5 and resumed: the stride comes back from the checkpoint.
    args = tiny_run(dir.file("text.txt"), dir.file("cut"));
    args.insert(args.end(), {"--stride", "4", "--max-steps", "6"});
    REQUIRE(train(args) == 0);
    TrainOptions resumed;
    resumed.resume = dir.file("cut");
    read_run_options(resumed, "");
    CHECK(resumed.stride == 4);
}

TEST_CASE("train: bad files and flags get clear errors", "[train]") {
    TempDir dir("llm_test_train_bad");
    std::string text = dir.file("text.txt"), out = dir.file("run");
    write_file_atomic(text, small_text(120));
    write_file_atomic(dir.file("empty.txt"), "");
    write_file_atomic(dir.file("short.txt"), "A short text.");
    CaptureOutput capture;
    auto with = [&](std::vector<std::string> args, const std::string& flag, const std::string& value) {
        args.push_back(flag);
        args.push_back(value);
        return args;
    };
    std::vector<std::string> ok = tiny_run(text, out);
    CHECK_THROWS_WITH(train(tiny_run(dir.file("missing.txt"), out)), Contains("missing.txt"));
    CHECK_THROWS_WITH(train(tiny_run(dir.path(), out)), Contains(dir.path()));
    CHECK_THROWS_WITH(train(tiny_run(dir.file("empty.txt"), out)), Contains("empty"));
    CHECK_THROWS_WITH(train(tiny_run(dir.file("short.txt"), out)), Contains("too short for --context 16"));
    CHECK_THROWS_WITH(train(with(ok, "--colour", "red")), Contains("unknown flag '--colour'"));
    CHECK_THROWS_WITH(train(with(ok, "--emb", "32")), Contains("--emb given twice"));
    CHECK_THROWS_WITH(train({"--data", text, "--out", out, "--lr", "fast"}), Contains("--lr: expected a number"));
    CHECK_THROWS_WITH(train({"--data", text, "--out", out, "--batch-size", "0"}), Contains("--batch-size: expected an integer"));
    CHECK_THROWS_WITH(train({"--data", text, "--out", out, "--emb", "10", "--heads", "3"}),
                      Contains("not divisible by --heads 3"));
    CHECK_THROWS_WITH(train({"--data", text, "--out", out, "--tokenizer", "words"}), Contains("gpt2, bpe or bytes"));
    CHECK_THROWS_WITH(train({"--data", text}), Contains("--out DIR is required"));
    CHECK_THROWS_WITH(train({"--data", text, "--out", out, "--epochs"}), Contains("--epochs needs a value"));
    CHECK_THROWS_WITH(train({"--resume", dir.path()}), Contains("has no complete checkpoint yet"));
    CHECK_FALSE(std::filesystem::exists(out + "/model.safetensors"));  // nothing was written by the failures
}

TEST_CASE("train: an existing run is never overwritten, a damaged one is refused", "[train]") {
    TempDir dir("llm_test_train_damaged");
    std::string text = dir.file("text.txt"), out = dir.file("run");
    write_file_atomic(text, small_text(120));
    CaptureOutput capture;
    REQUIRE(train(tiny_run(text, out)) == 0);
    std::string good = read_file(out + "/model.safetensors");
    CHECK_THROWS_WITH(train(tiny_run(text, out)), Contains("already holds a run"));
    CHECK(read_file(out + "/model.safetensors") == good);
    std::string checkpoint = complete_checkpoints(out).at(0);
    write_file_atomic(checkpoint + "/model.safetensors", good.substr(0, good.size() / 2));  // truncated
    CHECK_THROWS_WITH(train({"--resume", out}), Contains("model.safetensors"));
    write_file_atomic(text, small_text(121));  // the text changed under the run
    write_file_atomic(checkpoint + "/model.safetensors", good);
    CHECK_THROWS_WITH(train({"--resume", out}), Contains("different text"));
}

TEST_CASE("train: any bytes train; an unwritable run folder is refused", "[train]") {
    TempDir dir("llm_test_train_bytes");
    std::string binary;
    for (int i = 0; i < 6000; i++) binary += static_cast<char>((i * 7919 + i / 13) % 256);  // invalid UTF-8 included
    write_file_atomic(dir.file("binary.bin"), binary);
    CaptureOutput capture;
    std::vector<std::string> args = tiny_run(dir.file("binary.bin"), dir.file("run"));
    args.push_back("--max-steps");
    args.push_back("2");
    CHECK(train(args) == 0);
    CHECK(std::filesystem::exists(dir.file("run/losses.csv")));
    // A file where the folder should be: the run folder cannot be created.
    CHECK_THROWS_WITH(train(tiny_run(dir.file("binary.bin"), dir.file("binary.bin/run"))),
                      Contains("cannot create the run folder"));
}

TEST_CASE("train: a NaN loss stops the run and keeps the last good checkpoint", "[train]") {
    TempDir dir("llm_test_train_nan");
    write_file_atomic(dir.file("text.txt"), small_text(120));
    CaptureOutput capture;
    TrainOptions options;
    options.data = dir.file("text.txt"), options.out = dir.file("run"), options.tokenizer = "bytes";
    options.context_length = 16, options.emb_dim = 16, options.n_layers = 2, options.n_heads = 2;
    options.batch_size = 4, options.epochs = 2, options.eval_interval = 3, options.eval_iters = 2;
    options.checkpoint_interval = 4, options.sample_tokens = 8, options.warmup_steps = 2;
    TrainHooks hooks;  // the loss of step 6 comes out NaN: after the checkpoint of step 4
    hooks.on_loss = [](int64_t step, double& loss) { if (step == 6) loss = std::nan(""); };
    CHECK_THROWS_WITH(run_training(options, hooks), Contains("the loss became nan at step 6") &&
                                                 Contains("checkpoint of step 4") && Contains("--lr 0.0015"));
    // The checkpoint of step 4 is intact and resumable.
    CHECK(train({"--resume", dir.file("run")}) == 0);
}
