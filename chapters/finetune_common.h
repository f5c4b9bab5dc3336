// What the finetuning chapters (6, 7 and appendix E) share: the book's BASE_CONFIG, the
// flags that choose the model (--model, --weights, --size), and the message that says
// where to get GPT-2's weights when they are not there.
#pragma once

#include "common.h"

#include "cli/flags.h"
#include "io/gpt2_weights.h"
#include "nn/nn.h"
#include "random/random.h"

#include <iostream>
#include <memory>
#include <string>

namespace chapter {

// The book's model_configs, by the size in CHOOSE_MODEL ("gpt2-small (124M)" is "124M").
inline llm::GPTConfig base_config(const std::string& size) {
    llm::GPTConfig cfg;  // BASE_CONFIG: vocab 50257, context 1024, then:
    cfg.drop_rate = 0.0;
    cfg.qkv_bias = true;
    if (size == "124M") cfg.emb_dim = 768, cfg.n_layers = 12, cfg.n_heads = 12;
    else if (size == "355M") cfg.emb_dim = 1024, cfg.n_layers = 24, cfg.n_heads = 16;
    else if (size == "774M") cfg.emb_dim = 1280, cfg.n_layers = 36, cfg.n_heads = 20;
    else if (size == "1558M") cfg.emb_dim = 1600, cfg.n_layers = 48, cfg.n_heads = 25;
    else throw llm::Error("--size must be 124M, 355M, 774M or 1558M, not '" + size + "'");
    return cfg;
}

// The model flags. `size` is the book's choice for this chapter.
struct ModelFlags {
    std::string model = "data/gpt2/model.safetensors", weights = "pretrained", size;
    explicit ModelFlags(std::string book_size) : size(std::move(book_size)) {}
    void add_to(llm::FlagParser& flags) {
        flags.add_string("--model", &model, "GPT-2's model.safetensors (Hugging Face, any size) or a run folder of "
                                            "`ch05_pretraining train --tokenizer gpt2`  [data/gpt2/model.safetensors]");
        flags.add_string("--weights", &weights, "pretrained (from --model) | random (not the book's numbers)  [pretrained]");
        flags.add_string("--size", &size, "GPT-2 size for --weights random: 124M, 355M, 774M or 1558M  [" + size + "]");
    }
    bool random() const { return weights == "random"; }
};

// The model of the chapter, before its own changes: GPT-2's weights from --model (its
// config from the file, dropout 0 as in BASE_CONFIG), or with --weights random a GPT-2 of
// --size drawn with torch.manual_seed(123). Null, after saying what to download and how to
// run with random weights, when the file is not there.
inline std::unique_ptr<llm::GPTModel> load_finetuning_model(const ModelFlags& flags, const std::string& program) {
    if (flags.weights != "pretrained" && flags.weights != "random")
        throw llm::Error("--weights must be pretrained or random, not '" + flags.weights + "'");
    if (flags.random()) {
        std::cout << "(--weights random: a GPT-2 " << flags.size << " with random weights. The losses and "
                  << "accuracies below are NOT the book's, which start from OpenAI's weights.)\n";
        llm::manual_seed(123);
        return std::make_unique<llm::GPTModel>(base_config(flags.size));
    }
    std::error_code ec;
    if (!std::filesystem::exists(flags.model, ec)) {
        std::cout << "GPT-2's weights were not found at " << flags.model << ". Download them (548 MB for 124M) into "
                  << "data/gpt2/:\n  https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors\n"
                  << "(355M: openai-community/gpt2-medium), or pass --model PATH. Without them, run\n  " << program
                  << " --weights random\nto follow the chapter with a randomly initialised GPT-2 (not the book's "
                  << "numbers).\n";
        return nullptr;
    }
    llm::PretrainedGPT source = llm::find_pretrained_gpt(flags.model);
    llm::GPTConfig cfg = source.config;
    cfg.drop_rate = 0.0;  // BASE_CONFIG["drop_rate"]
    auto model = std::make_unique<llm::GPTModel>(cfg);
    llm::load_pretrained_gpt(source, *model);
    return model;
}

}  // namespace chapter
