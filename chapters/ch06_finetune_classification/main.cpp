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
#include "../finetune_common.h"
#include "../gpt2_files.h"
#include "pandas_print.h"

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/files.h"
#include "io/plot.h"
#include "io/safetensors.h"
#include "ops/ops.h"
#include "text/spam_data.h"
#include "train/classifier.h"
#include "train/sampling.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

using namespace llm;
using chapter::heading;
using chapter::print;

namespace {

struct Options {
    std::string data = "data/sms_spam_collection/SMSSpamCollection.tsv", gpt2_dir = "data/gpt2";
    std::string out = "runs/ch06_finetune_classification";
    chapter::ModelFlags model{"124M"};
    int64_t epochs = 5;
};

// The label names in class order: ham, spam for the book's file; sorted otherwise.
std::vector<std::string> class_names(const CsvTable& df) {
    std::set<std::string> labels;
    for (int64_t r = 0; r < df.num_rows(); r++) labels.insert(df.at(r, "Label"));
    if (labels == std::set<std::string>{"ham", "spam"}) return {"ham", "spam"};
    return std::vector<std::string>(labels.begin(), labels.end());
}

// balanced_df["Label"] = balanced_df["Label"].map({name: number, ...}).
void map_labels(CsvTable& df, const std::vector<std::string>& names) {
    size_t column = static_cast<size_t>(df.column("Label"));
    for (std::vector<std::string>& row : df.rows)
        row[column] = std::to_string(std::find(names.begin(), names.end(), row[column]) - names.begin());
}

// 6.2: read the file, balance the classes (the book's file only), number the labels,
// split 70/10/20 and write train.csv, validation.csv and test.csv into the run folder.
std::vector<std::string> preparing_the_dataset(const Options& o) {
    heading("6.2 Preparing the dataset");
    CsvTable df = load_sms_spam_collection(o.data);
    ch06::print_frame(df);
    ch06::print_value_counts(df, "Label");
    std::vector<std::string> names = class_names(df);
    bool book_file = names == std::vector<std::string>{"ham", "spam"};
    CsvTable balanced_df = book_file ? create_balanced_dataset(df) : df;
    if (book_file) ch06::print_value_counts(balanced_df, "Label");
    else std::cout << "(" << names.size() << " classes; the rows are not balanced, as the book's two are)\n";
    map_labels(balanced_df, names);
    ch06::print_frame(balanced_df);
    SpamSplits splits = random_split(balanced_df, 0.7, 0.1);
    write_spam_splits(splits, o.out);
    std::cout << "(" << splits.train.num_rows() << ", " << splits.validation.num_rows() << " and "
              << splits.test.num_rows() << " rows written to " << o.out << "/train.csv, validation.csv, test.csv)\n";
    return names;
}

// 6.3: the three datasets, padded to the longest training text, and their loaders.
struct SpamData {
    SpamDataset train_dataset, val_dataset, test_dataset;
    DataLoader train_loader, val_loader, test_loader;
    SpamData(const std::string& dir, const BpeTokenizer& tokenizer)
        : train_dataset(dir + "/train.csv", tokenizer),
          val_dataset(dir + "/validation.csv", tokenizer, train_dataset.max_length()),
          test_dataset(dir + "/test.csv", tokenizer, train_dataset.max_length()),
          train_loader(train_dataset, 8, true, true), val_loader(val_dataset, 8, false, false),
          test_loader(test_dataset, 8, false, false) {}
};

void creating_data_loaders(const SpamData& data, const BpeTokenizer& tokenizer) {
    heading("6.3 Creating data loaders");
    manual_seed(123);  // where the book seeds, before its loaders (they draw when a pass starts)
    std::cout << chapter::python_list(tokenizer.encode("<|endoftext|>")) << "\n";
    std::cout << data.train_dataset.max_length() << "\n";
    std::cout << "Train loader:\n";
    Batch batch;
    for (DataLoaderIter it = data.train_loader.iter(); it.next(batch);) {
    }
    std::cout << "Input batch dimensions: " << batch.input.shape_str() << "\n";
    std::cout << "Label batch dimensions " << batch.target.shape_str() << "\n";
    std::cout << data.train_loader.size() << " training batches\n" << data.val_loader.size()
              << " validation batches\n" << data.test_loader.size() << " test batches\n";
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
    std::printf("Training accuracy: %.2f%%\n", classification::calc_accuracy_loader(data.train_loader, model, 10) * 100);
    std::printf("Validation accuracy: %.2f%%\n", classification::calc_accuracy_loader(data.val_loader, model, 10) * 100);
    std::printf("Test accuracy: %.2f%%\n", classification::calc_accuracy_loader(data.test_loader, model, 10) * 100);
    NoGradGuard no_grad;
    std::printf("Training loss: %.3f\n", classification::calc_loss_loader(data.train_loader, model, 5));
    std::printf("Validation loss: %.3f\n", classification::calc_loss_loader(data.val_loader, model, 5));
    std::printf("Test loss: %.3f\n", classification::calc_loss_loader(data.test_loader, model, 5));
    std::fflush(stdout);
}

// The book's plot_values: the values against epochs (bottom axis) and examples seen (top).
void plot_values(const std::string& path, int64_t num_epochs, int64_t examples_seen, const std::vector<double>& train,
                 const std::vector<double>& val, const std::string& label) {
    std::vector<double> epochs = linspace_values(0.0, static_cast<double>(num_epochs), static_cast<int64_t>(train.size()));
    write_values_svg(path, epochs, static_cast<double>(examples_seen) / static_cast<double>(num_epochs), train, val,
                     label);
    std::cout << "(" << label << " plot written to " << path << ")\n";
}

// 6.7: AdamW and train_classifier_simple, the plots, the accuracies on whole loaders.
void finetuning(GPTModel& model, const SpamData& data, const Options& o) {
    heading("6.7 Finetuning the model on supervised data");
    auto start = std::chrono::steady_clock::now();
    manual_seed(123);
    AdamW optimizer(model.parameters(), 5e-5f, 0.1f);
    classification::ClassifierHistory h = classification::train_classifier_simple(
        model, data.train_loader, data.val_loader, optimizer, o.epochs, 50, 5);
    double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    std::printf("Training completed in %.2f minutes.\n", minutes);
    plot_values(o.out + "/loss-plot.svg", o.epochs, h.examples_seen, h.train_losses, h.val_losses, "loss");
    plot_values(o.out + "/accuracy-plot.svg", o.epochs, h.examples_seen, h.train_accs, h.val_accs, "accuracy");
    std::printf("Training accuracy: %.2f%%\n", classification::calc_accuracy_loader(data.train_loader, model) * 100);
    std::printf("Validation accuracy: %.2f%%\n", classification::calc_accuracy_loader(data.val_loader, model) * 100);
    std::printf("Test accuracy: %.2f%%\n", classification::calc_accuracy_loader(data.test_loader, model) * 100);
    std::fflush(stdout);
}

// The classifier's file: the book's state dict, with the label names and the padded
// length in the metadata (what `classify` needs), beside the tokenizer.
std::string save_classifier(const GPTModel& model, const std::vector<std::string>& names, int64_t max_length,
                            const BpeTokenizer& tokenizer, const std::string& dir) {
    std::string labels;
    for (const std::string& name : names) labels += (labels.empty() ? "" : "\t") + name;
    std::string path = dir + "/review_classifier.safetensors";
    save_model(path, model, {{"classifier.labels", labels}, {"classifier.max_length", std::to_string(max_length)}});
    tokenizer.save(dir + "/encoder.json", dir + "/vocab.bpe");
    return path;
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
    std::string path = save_classifier(model, names, max_length, tokenizer, o.out);
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
    flags.add_threads();
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    if (!std::filesystem::exists(o.data))
        throw Error(o.data + " not found. Download the book's data (UCI's SMS Spam Collection):\n"
                    "  https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip\nand unzip it into "
                    "data/sms_spam_collection/, renaming SMSSpamCollection to SMSSpamCollection.tsv (or pass --data FILE)");
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
