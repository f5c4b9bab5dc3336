// Bad input and damaged files get an error that says what is wrong and what to do, and
// lose nothing: checkpoints whose header does not grow with the data, a text that moved,
// damaged or non-finite checkpoint values, the messages of the train and gpt2 commands,
// sampling at the edges. (Kills and full disks are in test_survive.cpp.)
#include "catch_compat.h"
#include "temp_dir.h"
#include "train_helpers.h"

#include "io/checkpoint.h"
#include "io/checkpoint_folder.h"
#include "io/files.h"
#include "io/gpt2_weights.h"
#include "io/safetensors.h"
#include "random/random.h"
#include "tensor/storage.h"
#include "train/pretrain.h"
#include "train/sampling.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

using namespace llm;
using Catch::Matchers::Contains;

namespace {

// The optimizer file of a run's newest checkpoint.
std::string optimizer_file(const std::string& out) { return complete_checkpoints(out).at(0) + "/optimizer.safetensors"; }

// The header length of a safetensors file (its first 8 bytes, little-endian).
uint64_t header_bytes(const std::string& path) {
    std::string bytes = read_file(path);
    uint64_t n = 0;
    for (int k = 7; k >= 0; k--) n = n * 256 + static_cast<unsigned char>(bytes[static_cast<size_t>(k)]);
    return n;
}

GPTConfig tiny_config() {
    GPTConfig cfg;
    cfg.vocab_size = 12, cfg.context_length = 8, cfg.emb_dim = 8, cfg.n_heads = 2, cfg.n_layers = 1;
    return cfg;
}

int gpt2(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    return gpt2_command(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("robust: a checkpoint's header does not grow with the training data", "[robust][train]") {
    // The pass over the windows is saved as its sampler seed, not as the list of windows
    // (which took 8 characters per window and passed the reader's 100 MB header limit above
    // about 12.5 million windows).
    TempDir dir("llm_test_robust_header");
    write_file_atomic(dir.file("small.txt"), small_text(120));
    write_file_atomic(dir.file("large.txt"), small_text(960));
    CaptureOutput capture;
    std::vector<std::string> small = tiny_run(dir.file("small.txt"), dir.file("a")), large = tiny_run(dir.file("large.txt"), dir.file("b"));
    for (std::vector<std::string>* args : {&small, &large}) args->insert(args->end(), {"--max-steps", "4"});
    REQUIRE(train(small) == 0);
    REQUIRE(train(large) == 0);
    // The same size, but for the text's size and hash, written in decimal (a few digits more
    // or fewer), and the header's padding to 8 bytes.
    auto a = static_cast<int64_t>(header_bytes(optimizer_file(dir.file("a"))));
    auto b = static_cast<int64_t>(header_bytes(optimizer_file(dir.file("b"))));
    CHECK(std::abs(a - b) <= 16);
}

TEST_CASE("robust: the run keeps the text's absolute path; --resume DIR --data FILE after a move", "[robust][train]") {
    TempDir dir("llm_test_robust_moved");
    std::filesystem::create_directories(dir.file("work"));
    write_file_atomic(dir.file("work/text.txt"), small_text(120));
    CaptureOutput capture;
    REQUIRE(train(tiny_run(dir.file("work/text.txt"), dir.file("full"))) == 0);
    // The same run started from inside work/ with a relative --data, stopped after step 5 ...
    TrainOptions options;
    options.data = "text.txt", options.out = dir.file("cut"), options.tokenizer = "bytes";
    options.context_length = 16, options.emb_dim = 16, options.n_layers = 2, options.n_heads = 2;
    options.batch_size = 4, options.epochs = 2, options.eval_interval = 3, options.eval_iters = 2;
    options.checkpoint_interval = 4, options.sample_tokens = 8, options.warmup_steps = 2;
    TrainHooks hooks;
    hooks.interrupt_after = [](int64_t step) { return step == 5; };
    std::filesystem::path cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir.file("work"));
    int first = run_training(options, hooks);
    std::filesystem::current_path(cwd);
    REQUIRE(first == 130);
    std::string saved = read_safetensors_metadata(optimizer_file(dir.file("cut"))).at("train.data");
    CHECK(saved == std::filesystem::absolute(dir.file("work/text.txt")).string());
    // ... then the text moves, and the run is resumed from another folder.
    std::filesystem::rename(dir.file("work/text.txt"), dir.file("moved.txt"));
    CHECK_THROWS_WITH(train({"--resume", dir.file("cut")}), Contains("is not there any more") && Contains("--data FILE"));
    write_file_atomic(dir.file("other.txt"), small_text(121));
    CHECK_THROWS_WITH(train({"--resume", dir.file("cut"), "--data", dir.file("other.txt")}), Contains("different text"));
    CHECK_THROWS_WITH(train({"--resume", dir.file("cut"), "--lr", "1"}), Contains("--threads and --data"));
    CHECK(train({"--resume", dir.file("cut"), "--data", dir.file("moved.txt")}) == 0);  // the same bytes: accepted
    CHECK(read_file(dir.file("cut/model.safetensors")) == read_file(dir.file("full/model.safetensors")));
    CHECK(read_file(dir.file("cut/losses.csv")) == read_file(dir.file("full/losses.csv")));
}

TEST_CASE("robust: a folder whose run stopped before its first checkpoint can be trained into", "[robust][train]") {
    TempDir dir("llm_test_robust_reuse");
    write_file_atomic(dir.file("text.txt"), small_text(120));
    std::string out = dir.file("run");
    std::filesystem::create_directories(out + "/checkpoints/step-00000004.tmp");  // what a full disk leaves
    write_file_atomic(out + "/checkpoints/step-00000004.tmp/model.safetensors", "half a file");
    write_file_atomic(out + "/encoder.json.tmp", "half a file");
    CaptureOutput capture;
    CHECK_THROWS_WITH(train({"--resume", out}), Contains("no complete checkpoint yet") && Contains("the same `train"));
    CHECK(train(tiny_run(dir.file("text.txt"), out)) == 0);
    CHECK_FALSE(std::filesystem::exists(out + "/checkpoints/step-00000004.tmp"));  // leftovers are cleaned
    CHECK_FALSE(std::filesystem::exists(out + "/encoder.json.tmp"));
    CHECK(complete_checkpoints(out).size() == 1);
}

TEST_CASE("robust: NaN or inf in a checkpoint, or a flipped bit, are caught on load and named", "[robust][checkpoint]") {
    TempDir tmp("llm_test_robust_values");
    manual_seed(1);
    GPTModel model(tiny_config());
    std::string path = tmp.file("model.safetensors");
    model.tok_emb.weight.data()[5] = std::nanf("");
    save_model(path, model);
    GPTModel other(tiny_config());
    CHECK_THROWS_WITH(load_model(path, other), Contains("tok_emb.weight") && Contains("nan") && Contains("element 5"));
    model.tok_emb.weight.data()[5] = 0.25f;
    save_model(path, model);
    CHECK_NOTHROW(load_model(path, other));
    std::string bytes = read_file(path);
    bytes[bytes.size() - 3] ^= 0x10;  // one bit of the last value
    write_file_atomic(path, bytes);
    CHECK_THROWS_WITH(load_model(path, other), Contains("checksum") && Contains("damaged"));
    AdamW optimizer(model.parameters());
    optimizer.exp_avg_sq[2].data()[0] = INFINITY;
    save_optimizer(tmp.file("optimizer.safetensors"), optimizer, model);
    AdamW restored(model.parameters());
    CHECK_THROWS_WITH(load_optimizer(tmp.file("optimizer.safetensors"), restored, model),
                      Contains("exp_avg_sq.") && Contains("inf"));
}

TEST_CASE("robust: config errors name the file; a damaged file of the right config says so", "[robust][checkpoint]") {
    TempDir tmp("llm_test_robust_config");
    manual_seed(1);
    GPTModel model(tiny_config());
    save_model(tmp.file("model.safetensors"), model, {});
    SafetensorsFile file = load_safetensors(tmp.file("model.safetensors"));
    file.metadata["n_heads"] = "3";  // 8 is not divisible by 3
    save_safetensors(tmp.file("bad_heads.safetensors"), file.tensors, file.metadata);
    CHECK_THROWS_WITH(read_model_config(tmp.file("bad_heads.safetensors")),
                      Contains("bad_heads.safetensors") && Contains("divisible"));
    file.metadata["n_heads"] = "2";
    file.tensors.pop_back();  // out_head.weight is missing, the config is the model's
    save_safetensors(tmp.file("short.safetensors"), file.tensors, file.metadata);
    GPTModel same(tiny_config());
    CHECK_THROWS_WITH(load_model(tmp.file("short.safetensors"), same),
                      Contains("out_head.weight") && Contains("the file itself is inconsistent"));
}

TEST_CASE("robust: the train command's messages say what to do", "[robust][train]") {
    TempDir dir("llm_test_robust_messages");
    write_file_atomic(dir.file("text.txt"), small_text(120));
    CaptureOutput capture;
    std::string text = dir.file("text.txt");
    CHECK_THROWS_WITH(train({"--data", text, "--out", dir.file("a"), "--lr", "0"}),
                      Contains("--min-lr 0.0003 must not exceed --lr 0"));
    // A model far beyond this machine's memory is refused before anything is allocated.
    CHECK_THROWS_WITH(train({"--data", text, "--out", dir.file("b"), "--tokenizer", "bytes", "--emb", "4096",
                             "--layers", "96", "--heads", "32", "--context", "16"}),
                      Contains("more than this machine's") && Contains("lower --emb, --layers"));
    std::vector<std::string> wide = tiny_run(text, dir.file("c"));
    wide[5] = "bpe";  // --tokenizer bpe
    wide.insert(wide.end(), {"--vocab-size", "65536", "--max-steps", "1"});
    REQUIRE(train(wide) == 0);
    CHECK_THAT(capture.text(), Contains("the text supports only") && Contains("not the --vocab-size 65536"));
    // The NaN stop before any checkpoint says there is none, and never suggests --resume --lr.
    TrainOptions options;
    options.data = text, options.out = dir.file("d"), options.tokenizer = "bytes";
    options.context_length = 16, options.emb_dim = 16, options.n_layers = 2, options.n_heads = 2, options.batch_size = 4;
    TrainHooks hooks;
    hooks.on_loss = [](int64_t step, double& loss) { if (step == 2) loss = INFINITY; };
    CHECK_THROWS_WITH(run_training(options, hooks), Contains("became inf at step 2") &&
                                                       Contains("No checkpoint was saved yet") && Contains("new run"));
}

TEST_CASE("robust: a folder that cannot be read says permission denied, not missing", "[robust][train]") {
    TempDir dir("llm_test_robust_permission");
    write_file_atomic(dir.file("text.txt"), small_text(120));
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::others_exec);
    std::filesystem::permissions(dir.file("text.txt"), std::filesystem::perms::owner_read);
    if (geteuid() == 0) {  // root reads everything: ask as another user, through setpriv
        if (std::system("command -v setpriv >/dev/null 2>&1") != 0) {
            skip_test("running as root and setpriv is missing: cannot test a permission error");
            return;
        }
        std::string log = dir.file("log.txt");
        std::string build = std::getenv("LLM_BUILD_DIR") ? std::getenv("LLM_BUILD_DIR") : "build/release";
        std::string program = std::filesystem::absolute(build + "/ch05_pretraining").string();
        std::system(("setpriv --reuid=65534 --regid=65534 --clear-groups " + program + " train --data " +
                     dir.file("text.txt") + " --out /tmp/llm_permission_out 2>&1 | cat > " + log).c_str());
        CHECK_THAT(read_file(log), Contains("permission denied"));
        return;
    }
    std::filesystem::permissions(dir.file("text.txt"), std::filesystem::perms::none);
    CHECK_THROWS_WITH(read_file(dir.file("text.txt")), Contains("permission denied"));
}

TEST_CASE("robust: gpt2 --model given a folder says to pass the file", "[robust][gpt2]") {
    TempDir tmp("llm_test_robust_gpt2");
    manual_seed(1);
    GPTConfig cfg = tiny_config();
    cfg.qkv_bias = true;  // GPT-2's layout
    GPTModel model(cfg);
    model.out_head.weight.values() = model.tok_emb.weight.values();  // GPT-2 ties the two
    std::filesystem::create_directories(tmp.file("gpt2"));
    save_gpt2_hf(tmp.file("gpt2/model.safetensors"), model);
    CHECK_THROWS_WITH(gpt2({"--model", tmp.file("gpt2")}),
                      Contains("is a folder") && Contains("--model " + tmp.file("gpt2") + "/model.safetensors"));
}

TEST_CASE("robust: a temperature that underflows is greedy, and nan logits are an error", "[robust][ch05]") {
    manual_seed(4);
    GPTModel model(tiny_config());
    model.eval();
    Tensor start = tensor_int64({{1, 2, 3}});
    Tensor greedy = generate(model, start, 4, 8);
    for (double t : {1e-39, 1e-300, 1e-45}) {
        manual_seed(9);
        CHECK(generate(model, start, 4, 8, t).values() == greedy.values());
    }
    model.out_head.weight.data()[0] = std::nanf("");
    CHECK_THROWS_WITH(generate(model, start, 2, 8, 1.0), Contains("nan"));
}

TEST_CASE("robust: generating past the context costs the same per token, with or without the cache", "[robust][ch05]") {
    manual_seed(5);
    GPTModel model(tiny_config());  // context 8
    model.eval();
    Tensor start = tensor_int64({{1, 2, 3}});
    Tensor plain = generate(model, start, 40, 8);
    Tensor cached = generate(model, start, 40, 8, 0.0, std::nullopt, std::nullopt, true);
    CHECK(plain.size(1) == 43);
    CHECK(cached.values() == plain.values());  // the cache until the context is full, the window after
    // 40,000 tokens: a step reads only the last 8, so nothing of the text's length is made
    // per step (the ids grew by a copy each step, and the buffer cache kept every size).
    free_kept_storage();
    Tensor long_text = generate(model, start, 40000, 8, 0.0, std::nullopt, std::nullopt, true);
    CHECK(long_text.size(1) == 40003);
    CHECK(kept_storage_bytes() < (1u << 20));
}
