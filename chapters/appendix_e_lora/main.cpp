// Appendix E: parameter-efficient finetuning with LoRA, sections E.2 to E.4: chapter 6's
// spam classifier again, but with GPT-2 frozen and only low-rank adapters trained.
//
//   build/release/appendix_e_lora [--model FILE | --weights random] [--epochs N] [--lora-scale alpha/rank|alpha]
//
// The book's files: data/sms_spam_collection/SMSSpamCollection.tsv and GPT-2's
// encoder.json, vocab.bpe and model.safetensors in data/gpt2/ (--data, --gpt2-dir,
// --model). The merged classifier is saved as review_classifier.safetensors in --out, where
// `ch06_finetune_classification classify --run DIR --text "..."` reads it.
#include "../classification_common.h"
#include "../finetune_common.h"
#include "../gpt2_files.h"
#include "module_print.h"

#include "autograd/autograd.h"
#include "ops/ops.h"
#include "text/spam_data.h"
#include "train/sampling.h"

#include <filesystem>

using namespace llm;
using chapter::heading;
using chapter::SpamData;

namespace {

struct Options {
    std::string data = "data/sms_spam_collection/SMSSpamCollection.tsv", gpt2_dir = "data/gpt2";
    std::string out = "runs/appendix_e_lora";
    chapter::ModelFlags model{"124M"};
    int64_t epochs = 5;
    std::string lora_scale = "alpha/rank";
};

// E.2: chapter 6's data (balanced, numbered, split into the run folder); the class names.
std::vector<std::string> preparing_the_dataset(const Options& o) {
    heading("E.2 Preparing the dataset");
    CsvTable df = load_sms_spam_collection(o.data);
    std::vector<std::string> names = chapter::class_names(df);
    CsvTable balanced_df = chapter::is_book_labels(names) ? create_balanced_dataset(df) : df;
    chapter::map_labels(balanced_df, names);
    chapter::write_splits(balanced_df, o.out);
    return names;
}

// E.3: the model continues text_1, gets chapter 6's new head, and is measured.
void initializing_the_model(GPTModel& model, const SpamData& data, const BpeTokenizer& tokenizer, int64_t num_classes) {
    heading("E.3 Initializing the model");
    if (data.train_dataset.max_length() > model.cfg.context_length)
        throw Error("Dataset length " + std::to_string(data.train_dataset.max_length()) +
                    " exceeds model's context length " + std::to_string(model.cfg.context_length));
    model.eval();
    std::vector<int64_t> ids = tokenizer.encode("Every effort moves you");  // text_1
    Tensor out = generate_text_simple(model, tensor_int64(ids, {1, static_cast<int64_t>(ids.size())}), 15,
                                      model.cfg.context_length);
    std::vector<int64_t> all;
    for (float v : out.values()) all.push_back(static_cast<int64_t>(v));
    std::cout << tokenizer.decode(all) << "\n";
    manual_seed(123);
    model.out_head.reset(model.cfg.emb_dim, num_classes);  // torch.nn.Linear(in_features=768, out_features=2)
    manual_seed(123);
    chapter::print_accuracies(model, data, 10);
}

// E.4: freeze everything, add rank-16 adapters to every Linear, show the model, finetune.
void finetuning_with_lora(GPTModel& model, const SpamData& data, const Options& o) {
    heading("E.4 Parameter-efficient finetuning with LoRA");
    std::cout << "Total trainable parameters before: " << chapter::with_commas(num_trainable_parameters(model)) << "\n";
    for (Tensor p : model.parameters()) p.requires_grad_(false);
    std::cout << "Total trainable parameters after: " << chapter::with_commas(num_trainable_parameters(model)) << "\n";
    replace_linear_with_lora(model, 16, 16, o.lora_scale == "alpha/rank");
    std::cout << "Total trainable LoRA parameters: " << chapter::with_commas(num_trainable_parameters(model)) << "\n";
    std::cout << "(LoRA update scaled by " << o.lora_scale << " = " << model.out_head.lora->scale << ")\n";
    appendix_e::print_module(std::cout, model, "");
    std::cout << "\n";
    manual_seed(123);
    chapter::print_accuracies(model, data, 10);
    chapter::finetune_and_report(model, data, 8e-4f, o.epochs, o.out);
}

// Beyond the notebook: each adapter merged into its Linear (W += scale·(A·B)ᵀ), so the
// file has the book's names and shapes and no LoRA; checked on the test set, then saved.
void merging_for_export(GPTModel& model, const SpamData& data, const std::vector<std::string>& names,
                        const BpeTokenizer& tokenizer, const Options& o) {
    heading("Merging the LoRA weights for export");
    double before = classification::calc_accuracy_loader(data.test_loader, model);
    merge_lora_weights(model);
    double after = classification::calc_accuracy_loader(data.test_loader, model);
    std::printf("Test accuracy with the adapters: %.2f%%, merged: %.2f%%\n", before * 100, after * 100);
    std::fflush(stdout);
    std::string path = chapter::save_classifier(model, names, data.train_dataset.max_length(), tokenizer, o.out);
    std::cout << "(saved as " << path << ", " << chapter::with_commas(model.num_parameters())
              << " parameters; try\n  ch06_finetune_classification classify --run " << o.out << " --text \"...\")\n";
}

int run(int argc, char** argv) {
    Options o;
    FlagParser flags(chapter::program_name(argv), "Book appendix E: finetuning a spam classifier with LoRA.");
    flags.add_string("--data", &o.data, "label<TAB>text file  [data/sms_spam_collection/SMSSpamCollection.tsv]");
    flags.add_string("--gpt2-dir", &o.gpt2_dir, "folder with GPT-2's encoder.json and vocab.bpe  [data/gpt2]");
    o.model.add_to(flags);
    flags.add_string("--out", &o.out, "run folder: the splits, plots and the merged classifier  [runs/appendix_e_lora]");
    flags.add_int("--epochs", &o.epochs, 1, 1000, "finetuning epochs  [5]");
    flags.add_string("--lora-scale", &o.lora_scale,
                     "alpha/rank (the current notebook) | alpha (the printed book)  [alpha/rank]");
    flags.add_threads();
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    if (o.lora_scale != "alpha/rank" && o.lora_scale != "alpha")
        throw Error("--lora-scale must be alpha/rank or alpha, not '" + o.lora_scale + "'");
    chapter::require_spam_file(o.data);
    std::filesystem::create_directories(o.out);
    std::vector<std::string> names = preparing_the_dataset(o);
    chapter::Gpt2Vocabulary vocab(o.gpt2_dir);
    if (!vocab.loaded()) return 0;
    const BpeTokenizer& tokenizer = vocab.tokenizer();
    SpamData data(o.out, tokenizer);
    manual_seed(123);  // before the loaders, as the book seeds
    chapter::print_loader_checks(data);
    std::unique_ptr<GPTModel> model = chapter::load_finetuning_model(o.model, chapter::program_name(argv));
    if (!model) return 0;
    initializing_the_model(*model, data, tokenizer, static_cast<int64_t>(names.size()));
    finetuning_with_lora(*model, data, o);
    merging_for_export(*model, data, names, tokenizer, o);
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
