// `ch05_pretraining generate`: load a run folder written by `train` and continue a prompt.
#include "cli/commands.h"

#include "cli/flags.h"
#include "io/checkpoint.h"
#include "random/random.h"
#include "text/bpe.h"
#include "train/sampling.h"

#include <iostream>

namespace llm {

int generate_command(int argc, char** argv) {
    std::string run, prompt = "One day";
    int64_t tokens = 50, top_k = 20, seed = 123;
    double temperature = 0.8;
    bool no_kv_cache = false;
    FlagParser flags("ch05_pretraining generate");
    flags.add_string("--run", &run, "run folder written by train (model.safetensors, encoder.json, vocab.bpe)");
    flags.add_string("--prompt", &prompt, "text to continue  [\"One day\"]");
    flags.add_int("--tokens", &tokens, 0, 1000000, "how many tokens to add  [50]");
    flags.add_double("--temperature", &temperature, 0.0, 100.0, "0: greedy  [0.8]");
    flags.add_int("--top-k", &top_k, 0, 1000000, "sample among the k likeliest (0: all)  [20]");
    flags.add_int("--seed", &seed, 0, INT64_MAX, "random seed  [123]");
    flags.add_switch("--no-kv-cache", &no_kv_cache, "recompute every token's keys and values at each step");
    flags.add_threads();
    if (!flags.parse(argc, argv)) return 0;
    if (run.empty()) throw Error("generate: --run DIR is required (a folder written by `train`)");
    BpeTokenizer tokenizer = BpeTokenizer::load(run + "/encoder.json", run + "/vocab.bpe");
    GPTModel model(read_model_config(run + "/model.safetensors"));
    load_model(run + "/model.safetensors", model);
    model.eval();
    if (model.cfg.vocab_size != tokenizer.vocab_size())
        throw Error("generate: " + run + " has a model for " + std::to_string(model.cfg.vocab_size) +
                    " tokens but a tokenizer of " + std::to_string(tokenizer.vocab_size()));
    std::vector<int64_t> ids = tokenizer.encode(prompt);
    if (ids.empty()) throw Error("generate: --prompt is empty; give at least one character");
    manual_seed(static_cast<uint64_t>(seed));
    std::cout << generate_text(model, tokenizer, ids, tokens, temperature, top_k, !no_kv_cache) << "\n";
    return 0;
}

}  // namespace llm
