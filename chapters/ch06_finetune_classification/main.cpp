// Chapter 6: finetuning a GPT to classify texts (spam or not spam), sections 6.2 to 6.8.
//
//   build/release/ch06_finetune_classification [--model FILE | --weights random] [flags]
//       the chapter: the data, the new head, the loss and accuracy, finetuning, classifying
//   build/release/ch06_finetune_classification classify --run DIR --text "..."
//       the class of a text, with a classifier this program saved
//
// The book's files: data/sms_spam_collection/SMSSpamCollection.tsv and GPT-2's
// encoder.json, vocab.bpe and model.safetensors in data/gpt2/ (--data, --gpt2-dir,
// --model). `--data FILE` also takes your own label<TAB>text file, with any labels.
#include "../classification_common.h"
#include "../finetune_common.h"
#include "../gpt2_files.h"
#include "pandas_print.h"

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/files.h"
#include "io/safetensors.h"
#include "ops/ops.h"
#include "text/spam_data.h"
#include "train/classifier.h"
#include "train/sampling.h"

#include <cstdio>
#include <filesystem>

using namespace llm;
using chapter::heading;
using chapter::print;
using chapter::SpamData;

namespace {

struct Options {
    std::string data = "data/sms_spam_collection/SMSSpamCollection.tsv", gpt2_dir = "data/gpt2";
    std::string out = "runs/ch06_finetune_classification";
    chapter::ModelFlags model{"124M"};
    int64_t epochs = 5;
    bool frozen_cache = false;
};

// 6.2: read the file, balance the classes (the book's file only), number the labels,
// split 70/10/20 and write train.csv, validation.csv and test.csv into the run folder.
std::vector<std::string> preparing_the_dataset(const Options& o) {
    heading("6.2 Preparing the dataset");
    CsvTable df = load_sms_spam_collection(o.data);
    ch06::print_frame(df);
    ch06::print_value_counts(df, "Label");
    std::vector<std::string> names = chapter::class_names(df);
    bool book_file = chapter::is_book_labels(names);
    CsvTable balanced_df = book_file ? create_balanced_dataset(df) : df;
    if (book_file) ch06::print_value_counts(balanced_df, "Label");
    else std::cout << "(" << names.size() << " classes; the rows are not balanced, as the book's two are)\n";
    chapter::map_labels(balanced_df, names);
    ch06::print_frame(balanced_df);
    chapter::write_splits(balanced_df, o.out);
    return names;
}

void creating_data_loaders(const SpamData& data, const BpeTokenizer& tokenizer) {
    heading("6.3 Creating data loaders");
    manual_seed(123);  // where the book seeds, before its loaders (they draw when a pass starts)
    std::cout << chapter::python_list(tokenizer.encode("<|endoftext|>")) << "\n";
    std::cout << data.train_dataset.max_length() << "\n";
    chapter::print_loader_checks(data);
}

// 6.4: the pretrained model continues two prompts (greedy, as generate_text_simple does).
void initializing_a_model(GPTModel& model, const BpeTokenizer& tokenizer, int64_t max_length) {
    heading("6.4 Initializing a model with pretrained weights");
    if (max_length > model.cfg.context_length)
        throw Error("Dataset length " + std::to_string(max_length) + " exceeds model's context length " +
                    std::to_string(model.cfg.context_length));
    model.eval();
    auto continue_text = [&](const std::string& text, int64_t new_tokens) {
        std::vector<int64_t> ids = tokenizer.encode(text);
        Tensor out = generate_text_simple(model, tensor_int64(ids, {1, static_cast<int64_t>(ids.size())}), new_tokens,
                                          model.cfg.context_length);
        std::vector<int64_t> all;
        for (float v : out.values()) all.push_back(static_cast<int64_t>(v));
        std::cout << tokenizer.decode(all) << "\n";
    };
    continue_text("Every effort moves you", 15);
    continue_text("Is the following text 'spam'? Answer with 'yes' or 'no': 'You are a winner you have been "
                  "specially selected to receive $1000 cash or a $2000 award.'", 23);
}

// 6.5: freeze the model, a new output head of num_classes, the last block and the final
// norm trainable again (with random weights, the book's bonus run trains every layer).
void adding_a_classification_head(GPTModel& model, int64_t num_classes, bool train_all, const BpeTokenizer& tokenizer) {
    heading("6.5 Adding a classification head");
    for (Tensor p : model.parameters()) p.requires_grad_(train_all);
    manual_seed(123);
    model.out_head.reset(model.cfg.emb_dim, num_classes);  // torch.nn.Linear(emb_dim, num_classes)
    for (Tensor p : model.trf_blocks.back()->parameters()) p.requires_grad_(true);
    for (Tensor p : model.final_norm->parameters()) p.requires_grad_(true);
    std::vector<int64_t> ids = tokenizer.encode("Do you have time");
    Tensor inputs = tensor_int64(ids, {1, static_cast<int64_t>(ids.size())});
    print("Inputs:", inputs);
    std::cout << "Inputs dimensions: " << inputs.shape_str() << "\n";
    NoGradGuard no_grad;
    Tensor outputs = model.forward(inputs);
    std::cout << "Outputs:\n " << outputs << "\nOutputs dimensions: " << outputs.shape_str() << "\n";
    print("Last output token:", select(outputs, 1, -1));
}

// 6.6: the class of the last token, and the accuracies and losses before finetuning.
void loss_and_accuracy(GPTModel& model, const SpamData& data, const BpeTokenizer& tokenizer) {
    heading("6.6 Calculating the classification loss and accuracy");
    std::vector<int64_t> ids = tokenizer.encode("Do you have time");
    Tensor logits;
    {
        NoGradGuard no_grad;
        logits = classification::last_token_logits(model, tensor_int64(ids, {1, static_cast<int64_t>(ids.size())}));
    }
    print("Last output token:", logits);
    std::cout << "Class label: " << static_cast<int64_t>(argmax(softmax(logits, -1)).item()) << "\n";
    std::cout << "Class label: " << static_cast<int64_t>(argmax(logits).item()) << "\n";
    manual_seed(123);  // "For reproducibility due to the shuffling in the training data loader"
    chapter::print_accuracies(model, data, 10);
    NoGradGuard no_grad;
    std::printf("Training loss: %.3f\n", classification::calc_loss_loader(data.train_loader, model, 5));
    std::printf("Validation loss: %.3f\n", classification::calc_loss_loader(data.val_loader, model, 5));
    std::printf("Test loss: %.3f\n", classification::calc_loss_loader(data.test_loader, model, 5));
    std::fflush(stdout);
}

// 6.7: AdamW and train_classifier_simple, the plots, the accuracies on whole loaders.
void finetuning(GPTModel& model, const SpamData& data, const Options& o) {
    heading("6.7 Finetuning the model on supervised data");
    classification::FrozenPrefixCache cache(model);  // the same numbers, faster (classifier.h)
    if (o.frozen_cache)
        std::cout << "(--frozen-cache: the embeddings and the first " << cache.frozen_blocks()
                  << " blocks run once per text)\n";
    chapter::finetune_and_report(model, data, 5e-5f, o.epochs, o.out, o.frozen_cache ? &cache : nullptr);
}

// 6.8: the two texts of the book, then save the classifier and load it back.
void using_the_classifier(GPTModel& model, const std::vector<std::string>& names, int64_t max_length,
                          const BpeTokenizer& tokenizer, const Options& o) {
    heading("6.8 Using the LLM as a spam classifier");
    auto name_of = [&](int64_t label) {
        if (names == std::vector<std::string>{"ham", "spam"}) return std::string(label == 1 ? "spam" : "not spam");
        return names[static_cast<size_t>(label)];
    };
    for (const char* text : {"You are a winner you have been specially selected to receive $1000 cash or a $2000 award.",
                             "Hey, just wanted to check if we're still on for dinner tonight? Let me know!"})
        std::cout << name_of(classification::classify_review(text, model, tokenizer, max_length)) << "\n";
    std::string path = chapter::save_classifier(model, names, max_length, tokenizer, o.out);
    GPTModel loaded(model.cfg);
    loaded.out_head.reset(model.cfg.emb_dim, static_cast<int64_t>(names.size()));
    load_model(path, loaded);  // checks every tensor's name and shape before copying
    std::cout << "<All keys matched successfully>\n(saved as " << path << ")\n";
}

int run_chapter(int argc, char** argv) {
    Options o;
    FlagParser flags(chapter::program_name(argv), "Book chapter 6: finetuning a GPT to classify texts.");
    flags.add_string("--data", &o.data, "label<TAB>text file  [data/sms_spam_collection/SMSSpamCollection.tsv]");
    flags.add_string("--gpt2-dir", &o.gpt2_dir, "folder with GPT-2's encoder.json and vocab.bpe  [data/gpt2]");
    o.model.add_to(flags);
    flags.add_string("--out", &o.out, "run folder: the splits, plots and the classifier  [runs/ch06_finetune_classification]");
    flags.add_int("--epochs", &o.epochs, 1, 1000, "finetuning epochs  [5]");
    flags.add_switch("--frozen-cache", &o.frozen_cache, "keep the frozen blocks' outputs per text (same numbers, faster)");
    flags.add_threads();
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    chapter::require_spam_file(o.data);
    std::filesystem::create_directories(o.out);
    std::vector<std::string> names = preparing_the_dataset(o);
    chapter::Gpt2Vocabulary vocab(o.gpt2_dir);
    if (!vocab.loaded()) return 0;
    const BpeTokenizer& tokenizer = vocab.tokenizer();
    SpamData data(o.out, tokenizer);
    creating_data_loaders(data, tokenizer);
    std::unique_ptr<GPTModel> model = chapter::load_finetuning_model(o.model, chapter::program_name(argv));
    if (!model) return 0;
    initializing_a_model(*model, tokenizer, data.train_dataset.max_length());
    adding_a_classification_head(*model, static_cast<int64_t>(names.size()), o.model.random(), tokenizer);
    loss_and_accuracy(*model, data, tokenizer);
    finetuning(*model, data, o);
    using_the_classifier(*model, names, data.train_dataset.max_length(), tokenizer, o);
    return 0;
}

// `classify --run DIR --text TEXT`: a saved classifier's label for a text.
int classify_command(int argc, char** argv) {
    std::string run = "runs/ch06_finetune_classification", text;
    FlagParser flags("ch06_finetune_classification classify", "The class of a text, with a saved classifier.");
    flags.add_string("--run", &run, "the run folder  [runs/ch06_finetune_classification]");
    flags.add_string("--text", &text, "the text to classify");
    flags.add_threads();
    if (!flags.parse(argc, argv)) return 0;
    if (text.empty()) throw Error("classify: --text is required");
    std::string path = run + "/review_classifier.safetensors";
    std::map<std::string, std::string> meta = read_safetensors_metadata(path);
    if (!meta.count("classifier.labels") || !meta.count("classifier.max_length"))
        throw Error(path + ": not a classifier of this program (no classifier.labels in its metadata)");
    std::vector<std::string> names;
    std::string labels = meta["classifier.labels"];
    for (size_t start = 0, tab; start <= labels.size(); start = tab + 1) {
        tab = std::min(labels.find('\t', start), labels.size());
        names.push_back(labels.substr(start, tab - start));
    }
    GPTModel model(read_model_config(path));
    model.out_head.reset(model.cfg.emb_dim, static_cast<int64_t>(names.size()));
    load_model(path, model);
    BpeTokenizer tokenizer = BpeTokenizer::load(run + "/encoder.json", run + "/vocab.bpe");
    int64_t max_length = decode_int64(meta["classifier.max_length"], path + " metadata 'classifier.max_length'");
    std::cout << names[static_cast<size_t>(classification::classify_review(text, model, tokenizer, max_length))] << "\n";
    return 0;
}

int run(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "classify") return classify_command(argc - 2, argv + 2);
    return run_chapter(argc, argv);
}

}  // namespace

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
