// `ch05_pretraining gpt2`: OpenAI's GPT-2 (book section 5.5) from Hugging Face's
// model.safetensors: continue a prompt, and optionally print exercise 5.5's losses.
#include "cli/commands.h"

#include "autograd/autograd.h"
#include "cli/flags.h"
#include "io/files.h"
#include "io/gpt2_weights.h"
#include "random/random.h"
#include "tensor/print.h"
#include "text/bpe.h"
#include "text/dataset.h"
#include "train/loss.h"
#include "train/sampling.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace llm {

namespace {

struct Gpt2Options {
    std::string model = "data/gpt2/model.safetensors", gpt2_dir = "data/gpt2";
    std::string prompt = "Every effort moves you", eval_verdict;
    int64_t tokens = 25, top_k = 50, seed = 123;
    double temperature = 1.5;
};

// Stop with what to download when a file is missing (and say what is wrong otherwise).
void check_gpt2_files(const Gpt2Options& o) {
    std::error_code ec;
    if (std::filesystem::is_directory(o.model, ec)) {
        std::string inside = o.model + "/model.safetensors";
        throw Error("gpt2: --model '" + o.model + "' is a folder; pass the model file" +
                    (std::filesystem::exists(inside, ec) ? ": --model " + inside : " (model.safetensors)"));
    }
    if (!std::filesystem::exists(o.model, ec))
        throw Error("gpt2: '" + o.model + "' not found. Download GPT-2 124M's weights (548 MB) into data/gpt2/:\n"
                    "  https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors\n"
                    "(the larger sizes are openai-community/gpt2-medium, gpt2-large and gpt2-xl; pass --model PATH)");
    check_readable_file(o.model);
    for (const char* name : {"/encoder.json", "/vocab.bpe"})
        if (!std::filesystem::exists(o.gpt2_dir + name, ec))
            throw Error("gpt2: '" + o.gpt2_dir + name + "' not found. Download GPT-2's vocabulary into data/gpt2/ "
                        "(or pass --gpt2-dir DIR):\n  https://openaipublic.blob.core.windows.net/gpt-2/models/124M/encoder.json\n"
                        "  https://openaipublic.blob.core.windows.net/gpt-2/models/124M/vocab.bpe");
}

// 5.5: continue the prompt with generate() and print it as the book does.
void print_generation(const GPTModel& model, const BpeTokenizer& tokenizer, const Gpt2Options& o) {
    std::vector<int64_t> ids = tokenizer.encode(o.prompt);
    if (ids.empty()) throw Error("gpt2: --prompt is empty; give at least one character");
    manual_seed(static_cast<uint64_t>(o.seed));
    std::cout << "Output text:\n " << generate_text(model, tokenizer, ids, o.tokens, o.temperature, o.top_k, true) << "\n";
}

// Exercise 5.5: the losses on the-verdict's loaders (90/10 split by characters, windows
// of 256 tokens, batch 2, seed 123), in eval mode without gradients.
void print_verdict_losses(GPTModel& model, const BpeTokenizer& tokenizer, const std::string& path) {
    TrainValLoaders loaders(read_file(path), tokenizer, std::min<int64_t>(256, model.cfg.context_length), 2);
    model.eval();
    manual_seed(123);  // the shuffling of the training loader
    NoGradGuard no_grad;
    std::cout << "Training loss: " << python_float_repr(calc_loss_loader(loaders.train_loader, model)) << "\n";
    std::cout << "Validation loss: " << python_float_repr(calc_loss_loader(loaders.val_loader, model)) << "\n";
}

}  // namespace

int gpt2_command(int argc, char** argv) {
    Gpt2Options o;
    FlagParser flags("ch05_pretraining gpt2");
    flags.add_string("--model", &o.model, "Hugging Face GPT-2 model.safetensors  [data/gpt2/model.safetensors]");
    flags.add_string("--gpt2-dir", &o.gpt2_dir, "folder with GPT-2's encoder.json and vocab.bpe  [data/gpt2]");
    flags.add_string("--prompt", &o.prompt, "text to continue  [\"Every effort moves you\"]");
    flags.add_int("--tokens", &o.tokens, 0, 1000000, "how many tokens to add  [25]");
    flags.add_double("--temperature", &o.temperature, 0.0, 100.0, "0: greedy  [1.5]");
    flags.add_int("--top-k", &o.top_k, 0, 1000000, "sample among the k likeliest (0: all)  [50]");
    flags.add_int("--seed", &o.seed, 0, INT64_MAX, "random seed  [123]");
    flags.add_threads();
    flags.add_string("--eval-verdict", &o.eval_verdict, "also print the losses on this text (data/the-verdict.txt: exercise 5.5)");
    if (!flags.parse(argc, argv)) return 0;
    check_gpt2_files(o);
    BpeTokenizer tokenizer = BpeTokenizer::load_gpt2(o.gpt2_dir + "/encoder.json", o.gpt2_dir + "/vocab.bpe");
    GPTModel model(gpt2_config_from_safetensors(o.model));
    if (model.cfg.vocab_size != tokenizer.vocab_size())
        throw Error("gpt2: '" + o.model + "' has " + std::to_string(model.cfg.vocab_size) + " token embeddings but the "
                    "vocabulary in " + o.gpt2_dir + " has " + std::to_string(tokenizer.vocab_size()) + " tokens");
    load_gpt2_weights(o.model, model);
    model.eval();
    print_generation(model, tokenizer, o);
    if (!o.eval_verdict.empty()) print_verdict_losses(model, tokenizer, o.eval_verdict);
    return 0;
}

// `gpt2-random --out FILE`: a GPT-2 with random weights in Hugging Face's layout (tied
// output head), to try the finetuning chapters without downloading OpenAI's weights.
int gpt2_random_command(int argc, char** argv) {
    std::string out;
    int64_t emb = 768, layers = 12, heads = 12, context = 1024, seed = 123;
    FlagParser flags("ch05_pretraining gpt2-random", "Write a GPT-2 with random weights in Hugging Face's layout.");
    flags.add_string("--out", &out, "the model.safetensors to write");
    flags.add_int("--emb", &emb, 1, 8192, "embedding size  [768]");
    flags.add_int("--layers", &layers, 1, 96, "Transformer blocks  [12]");
    flags.add_int("--heads", &heads, 1, 256, "attention heads  [12]");
    flags.add_int("--context", &context, 2, 8192, "context length  [1024]");
    flags.add_int("--seed", &seed, 0, INT64_MAX, "random seed  [123]");
    if (!flags.parse(argc, argv)) return 0;
    if (out.empty()) throw Error("gpt2-random: --out FILE is required");
    GPTConfig cfg;
    cfg.emb_dim = emb, cfg.n_layers = layers, cfg.n_heads = heads, cfg.context_length = context, cfg.qkv_bias = true;
    manual_seed(static_cast<uint64_t>(seed));
    GPTModel model(cfg);
    model.out_head.weight.values() = model.tok_emb.weight.values();  // GPT-2 ties the head to the embeddings
    save_gpt2_hf(out, model);
    std::cout << "Wrote " << out << ": " << model.num_parameters() - model.out_head.weight.numel()
              << " parameters (GPT-2 layout, random weights)\n";
    return 0;
}

}  // namespace llm
