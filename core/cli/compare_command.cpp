// `ch05_pretraining compare`: the attention lab's variants side by side on one text (the
// flags; the runs are train/compare.cpp).
#include "cli/commands.h"

#include "cli/flags.h"
#include "train/compare.h"

#include <iostream>

namespace llm {

// The default list: the book's GPT, each switch alone, and LLaMA's combination.
static const char* kDefaultVariants = "book,rope,alibi,sinusoidal,none,rms,post-ln,swiglu,gqa2,mqa,window32,llama";

static std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    size_t begin = 0;
    while (begin <= text.size()) {
        size_t comma = text.find(',', begin);
        std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
        if (item.empty()) throw Error("compare: --variants has an empty name in '" + text + "'");
        items.push_back(item);
        if (comma == std::string::npos) break;
        begin = comma + 1;
    }
    return items;
}

int compare_command(int argc, char** argv) {
    CompareOptions o;
    TrainOptions& t = o.train;
    o.out = "runs/compare";
    t.sample_tokens = 20;
    std::string variants = kDefaultVariants;
    FlagParser flags("ch05_pretraining compare",
                     "Train GPT variants in turn on one text (same seed, data and token budget) and compare them.");
    flags.add_string("--data", &t.data, "text file to train on (required)");
    flags.add_string("--out", &o.out, "folder for one run per variant, compare.csv and compare.svg  [runs/compare]");
    flags.add_string("--variants", &variants, std::string("comma-separated presets  [") + kDefaultVariants + "]");
    flags.add_int("--tokens", &o.tokens, 1, INT64_MAX, "training tokens per variant  [163840]");
    flags.add_int("--evaluations", &o.evaluations, 1, 100000, "points on each validation curve  [10]");
    add_model_flags(flags, t);
    flags.add_double("--lr", &t.lr, 0.0, 10.0, "peak learning rate  [3e-3]");
    flags.add_double("--min-lr", &t.min_lr, 0.0, 10.0, "learning rate at the end of the cosine decay  [3e-4]");
    flags.add_int("--warmup", &t.warmup_steps, 0, INT64_MAX, "linear warm-up steps  [20]");
    flags.add_int("--batch-size", &t.batch_size, 1, 65536, "sequences per step  [8]");
    flags.add_int("--eval-iters", &t.eval_iters, 1, 100000, "batches per loss estimate  [5]");
    flags.add_int("--seed", &t.seed, 0, INT64_MAX, "random seed, the same for every variant  [123]");
    flags.add_int("--sample-tokens", &t.sample_tokens, 0, 100000, "tokens in each sample  [20]");
    flags.add_threads();
    if (!flags.parse(argc, argv)) return 0;
    if (t.data.empty()) throw Error("compare: --data FILE is required (the text every variant trains on)");
    if (t.tokenizer != "gpt2" && t.tokenizer != "bpe" && t.tokenizer != "bytes")
        throw Error("compare: --tokenizer must be gpt2, bpe or bytes, not '" + t.tokenizer + "'");
    if (t.emb_dim % t.n_heads != 0)
        throw Error("compare: --emb " + std::to_string(t.emb_dim) + " is not divisible by --heads " +
                    std::to_string(t.n_heads));
    if (t.min_lr > t.lr) throw Error("compare: --min-lr must not exceed --lr");
    o.variants = split_list(variants);
    for (const std::string& name : o.variants) {
        GPTVariant v = variant_preset(name, t.n_heads);
        check_variant(v, t.emb_dim, t.n_heads, t.context_length);  // a bad combination fails before any training
    }
    std::vector<CompareRow> rows = run_compare(o);
    std::cout << "\n" << compare_table(rows);
    if (rows.size() < o.variants.size()) return 130;
    std::cout << "Written: " << o.out << "/compare.csv and " << o.out << "/compare.svg" << std::endl;
    return 0;
}

}  // namespace llm
