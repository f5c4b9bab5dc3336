// Chapter 5: pretraining on unlabeled data.
//
//   build/release/ch05_pretraining [book] [--verdict FILE] [--gpt2-dir DIR]
//                                                     5.1 and 5.3.1-5.3.2 (a minute or so)
//   build/release/ch05_pretraining book-train [--verdict FILE] [--gpt2-dir DIR] [--max-steps N]
//                                                     5.2 the book's training run, 5.3.3, 5.4
//   build/release/ch05_pretraining train --data FILE --out DIR [flags]   train on any text
//   build/release/ch05_pretraining generate --run DIR --prompt TEXT [flags]
//   build/release/ch05_pretraining compare --data FILE [--variants book,rope,...] [flags]   GPT variants side by side
//   build/release/ch05_pretraining gpt2 [--model FILE] [--eval-verdict FILE] [flags]   5.5 OpenAI's weights
//
// The book's sections need the-verdict.txt and GPT-2's encoder.json + vocab.bpe
// (default in data/, see data/README.md); `train` and `generate` need neither.
#include "book.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "io/gpt2_weights.h"

#include <iostream>
#include <memory>

using namespace llm;

namespace {

struct BookFiles {
    std::optional<std::string> verdict;
    std::optional<chapter::Gpt2Vocabulary> vocab;
};

bool find_book_files(const chapter::BookFileFlags& flags, BookFiles& files) {
    files.verdict = chapter::find_verdict(flags.verdict);
    files.vocab.emplace(flags.gpt2_dir);
    return files.verdict && files.vocab->loaded();
}

// 5.1: an untrained GPT-2 (context 256, seed 123) in eval mode.
void evaluating_generative_models(const BpeTokenizer& tokenizer, const std::string& text) {
    manual_seed(123);
    GPTModel model(ch05::book_config());
    model.eval();  // no dropout during inference
    ch05::untrained_generation(model, tokenizer);
    ch05::text_generation_loss(model, tokenizer);
    ch05::BookData data(text, tokenizer, model.cfg.context_length);
    ch05::loader_losses(model, data, tokenizer);
}

// 5.3.3: generate() with temperature and top-k from the trained model.
void sample_with_temperature_and_top_k(const GPTModel& model, const BpeTokenizer& tokenizer) {
    chapter::heading("5.3.3 Modifying the text generation function");
    manual_seed(123);
    Tensor token_ids = generate(model, text_to_token_ids("Every effort moves you", tokenizer), 15,
                                model.cfg.context_length, 1.4, 25);
    std::cout << "Output text:\n " << token_ids_to_text(token_ids, tokenizer) << "\n";
}

// 5.4: save the model and optimizer, load them into fresh objects, check they agree.
// The book's Python reassigns its names:
//     model = GPTModel(GPT_CONFIG_124M); model.load_state_dict(checkpoint["model_state_dict"])
//     optimizer = torch.optim.AdamW(model.parameters(), lr=0.0005, weight_decay=0.1)
//     optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
// and the trained objects go when nothing refers to them any more. Here the trained
// optimizer and model are let go explicitly before the new ones are made: they hold
// 2.6 GB (weights, gradients, AdamW's two running averages), which need not be in
// memory twice. One tensor of the trained weights is kept, to check the loaded ones.
void saving_and_loading(std::unique_ptr<GPTModel>& model, std::unique_ptr<AdamW>& optimizer) {
    chapter::heading("5.4 Loading and saving model weights in PyTorch");
    std::string dir = "runs/ch05_book";
    std::filesystem::create_directories(dir);
    save_model(dir + "/model.safetensors", *model);
    save_optimizer(dir + "/optimizer.safetensors", *optimizer, *model, {});
    std::vector<float> trained_tok_emb = model->tok_emb.weight.values();  // a copy, to compare with below
    GPTConfig cfg = model->cfg;
    optimizer.reset();  // the trained optimizer's state goes (its handles to the trained weights too)
    model.reset();      // then the trained model
    model = std::make_unique<GPTModel>(cfg);
    load_model(dir + "/model.safetensors", *model);
    model->eval();
    optimizer = std::make_unique<AdamW>(model->parameters(), 0.0005f, 0.1f);
    load_optimizer(dir + "/optimizer.safetensors", *optimizer, *model);
    model->train();
    std::cout << "Saved " << dir << "/model.safetensors and optimizer.safetensors, loaded them back: "
              << (model->tok_emb.weight.values() == trained_tok_emb ? "same weights" : "DIFFERENT") << "\n";
}

// `book` (5.1, 5.3.1-5.3.2) or `book-train` (5.2, 5.3.3, 5.4); argv starts after the command.
int run_book(int argc, char** argv, bool with_training) {
    chapter::BookFileFlags file_flags;
    int64_t max_steps = -1;
    std::string attention = "standard";
    FlagParser flags(std::string("ch05_pretraining ") + (with_training ? "book-train" : "book"),
                     with_training ? "Book 5.2 (the training run), 5.3.3 and 5.4." : "Book 5.1 and 5.3.1-5.3.2.");
    file_flags.add_to(flags);
    if (with_training) flags.add_int("--max-steps", &max_steps, 1, INT64_MAX, "stop after this many steps  [all]");
    if (with_training)
        flags.add_string("--attention", &attention, "standard (the book's) | flash (the same numbers, tiled)  [standard]");
    if (!flags.parse(argc, argv)) return 0;
    BookFiles files;
    bool have_files = find_book_files(file_flags, files);
    if (!with_training) {
        if (have_files) evaluating_generative_models(files.vocab->tokenizer(), read_file(*files.verdict));
        ch05::decoding_strategies();
        std::cout << "\nThe book's training run (5.2), 5.3.3 and 5.4: " << "ch05_pretraining book-train\n";
        return 0;
    }
    if (!have_files) throw Error("book-train needs the-verdict.txt and GPT-2's vocabulary (see the messages above)");
    const BpeTokenizer& tokenizer = files.vocab->tokenizer();
    ch05::BookData data(read_file(*files.verdict), tokenizer, ch05::book_config().context_length);
    chapter::heading("5.2 Training an LLM");
    GPTConfig cfg = ch05::book_config();
    cfg.variant.attention = parse_attention_kind(attention, "book-train: --attention");
    if (cfg.variant.attention != AttentionKind::standard && cfg.variant.attention != AttentionKind::flash)
        throw Error("book-train: --attention " + attention + " is not the book's model; only standard and flash are");
    manual_seed(123);
    auto model = std::make_unique<GPTModel>(cfg);  // handles, as Python's names: 5.4 reassigns both
    auto optimizer = std::make_unique<AdamW>(model->parameters(), 0.0004f, 0.1f);
    train_model_simple(*model, data.train_loader, data.val_loader, *optimizer, 10, 5, 5,
                             "Every effort moves you", tokenizer, max_steps);
    sample_with_temperature_and_top_k(*model, tokenizer);
    saving_and_loading(model, optimizer);
    return 0;
}

const char* kCommands =
    "usage: ch05_pretraining [COMMAND] [flags]   (COMMAND --help for its flags)\n"
    "  book        book 5.1 and 5.3.1-5.3.2 (the default)\n"
    "  book-train  book 5.2, the book's training run, then 5.3.3 and 5.4\n"
    "  train       train a GPT on any text file\n"
    "  generate    continue a prompt with a trained run\n"
    "  compare     train GPT variants (positions, norms, feed-forward, heads) side by side on one text\n"
    "  gpt2        OpenAI's GPT-2 weights (5.5)\n"
    "  gpt2-random write a GPT-2 with random weights in Hugging Face's layout\n";

int run(int argc, char** argv) {
    std::string command = argc > 1 ? argv[1] : "book";
    if (command == "--help" || command == "-h") {
        std::cout << kCommands;
        return 0;
    }
    if (command.rfind("--", 0) == 0) return run_book(argc - 1, argv + 1, false);  // flags of `book`
    if (command == "book") return run_book(argc - 2, argv + 2, false);
    if (command == "book-train") return run_book(argc - 2, argv + 2, true);
    if (command == "train") return train_command(argc - 2, argv + 2);
    if (command == "generate") return generate_command(argc - 2, argv + 2);
    if (command == "compare") return compare_command(argc - 2, argv + 2);
    if (command == "gpt2") return gpt2_command(argc - 2, argv + 2);
    if (command == "gpt2-random") return gpt2_random_command(argc - 2, argv + 2);
    throw Error("unknown command '" + command + "' (expected book, book-train, train, generate, compare, gpt2 or gpt2-random; see --help)");
}

}  // namespace

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
