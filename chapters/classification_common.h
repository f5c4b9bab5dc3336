// What chapter 6 and appendix E share (appendix E's E.2 and E.3 repeat chapter 6's
// sections 6.2 to 6.6): the class names and the balanced, numbered splits, the three
// datasets and loaders, the accuracy prints, finetuning with its plots, and the saved
// classifier (which `ch06_finetune_classification classify --run DIR` reads back).
#pragma once

#include "common.h"

#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/plot.h"
#include "random/random.h"
#include "text/spam_data.h"
#include "train/classifier.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace chapter {

// The message for a missing SMS file: where the book downloads it from.
inline void require_spam_file(const std::string& path) {
    if (!std::filesystem::exists(path))
        throw llm::Error(path + " not found. Download the book's data (UCI's SMS Spam Collection):\n"
                         "  https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip\nand unzip it into "
                         "data/sms_spam_collection/, renaming SMSSpamCollection to SMSSpamCollection.tsv (or pass --data FILE)");
}

// The label names in class order: ham, spam for the book's file; sorted otherwise.
inline std::vector<std::string> class_names(const llm::CsvTable& df) {
    std::set<std::string> labels;
    for (int64_t r = 0; r < df.num_rows(); r++) labels.insert(df.at(r, "Label"));
    if (labels == std::set<std::string>{"ham", "spam"}) return {"ham", "spam"};
    return std::vector<std::string>(labels.begin(), labels.end());
}

inline bool is_book_labels(const std::vector<std::string>& names) {
    return names == std::vector<std::string>{"ham", "spam"};
}

// balanced_df["Label"] = balanced_df["Label"].map({name: number, ...}).
inline void map_labels(llm::CsvTable& df, const std::vector<std::string>& names) {
    size_t column = static_cast<size_t>(df.column("Label"));
    for (std::vector<std::string>& row : df.rows)
        row[column] = std::to_string(std::find(names.begin(), names.end(), row[column]) - names.begin());
}

// 6.2's last step: split 70/10/20, write train.csv, validation.csv and test.csv into
// `out` and say so.
inline void write_splits(const llm::CsvTable& balanced_df, const std::string& out) {
    llm::SpamSplits splits = llm::random_split(balanced_df, 0.7, 0.1);
    llm::write_spam_splits(splits, out);
    std::cout << "(" << splits.train.num_rows() << ", " << splits.validation.num_rows() << " and "
              << splits.test.num_rows() << " rows written to " << out << "/train.csv, validation.csv, test.csv)\n";
}

// 6.3: the three datasets, padded to the longest training text, and their loaders.
struct SpamData {
    llm::SpamDataset train_dataset, val_dataset, test_dataset;
    llm::DataLoader train_loader, val_loader, test_loader;
    SpamData(const std::string& dir, const llm::BpeTokenizer& tokenizer)
        : train_dataset(dir + "/train.csv", tokenizer),
          val_dataset(dir + "/validation.csv", tokenizer, train_dataset.max_length()),
          test_dataset(dir + "/test.csv", tokenizer, train_dataset.max_length()),
          train_loader(train_dataset, 8, true, true), val_loader(val_dataset, 8, false, false),
          test_loader(test_dataset, 8, false, false) {}
};

// 6.3's check of the loaders: one pass over the training loader, the last batch's shapes,
// the number of batches of each.
inline void print_loader_checks(const SpamData& data) {
    std::cout << "Train loader:\n";
    llm::Batch batch;
    for (llm::DataLoaderIter it = data.train_loader.iter(); it.next(batch);) {
    }
    std::cout << "Input batch dimensions: " << batch.input.shape_str() << "\n";
    std::cout << "Label batch dimensions " << batch.target.shape_str() << "\n";
    std::cout << data.train_loader.size() << " training batches\n" << data.val_loader.size()
              << " validation batches\n" << data.test_loader.size() << " test batches\n";
}

// The three accuracies as the book prints them, over num_batches batches (all when < 0).
inline void print_accuracies(llm::GPTModel& model, const SpamData& data, int64_t num_batches = -1,
                             llm::classification::FrozenPrefixCache* cache = nullptr) {
    namespace cl = llm::classification;
    std::printf("Training accuracy: %.2f%%\n", cl::calc_accuracy_loader(data.train_loader, model, num_batches, cache) * 100);
    std::printf("Validation accuracy: %.2f%%\n", cl::calc_accuracy_loader(data.val_loader, model, num_batches, cache) * 100);
    std::printf("Test accuracy: %.2f%%\n", cl::calc_accuracy_loader(data.test_loader, model, num_batches, cache) * 100);
    std::fflush(stdout);
}

// The book's plot_values: the values against epochs (bottom axis) and examples seen (top).
inline void plot_values(const std::string& path, int64_t num_epochs, int64_t examples_seen,
                        const std::vector<double>& train, const std::vector<double>& val, const std::string& label) {
    std::vector<double> epochs =
        llm::linspace_values(0.0, static_cast<double>(num_epochs), static_cast<int64_t>(train.size()));
    llm::write_values_svg(path, epochs, static_cast<double>(examples_seen) / static_cast<double>(num_epochs), train,
                          val, label);
    std::cout << "(" << label << " plot written to " << path << ")\n";
}

// 6.7 (and E.4): torch.manual_seed(123), AdamW(lr, weight_decay=0.1), train_classifier_simple
// with eval_freq 50 and eval_iter 5, the time taken, the loss and accuracy plots in `out`,
// and the accuracies on the whole loaders. With a cache, the frozen blocks run once per text.
inline void finetune_and_report(llm::GPTModel& model, const SpamData& data, float lr, int64_t num_epochs,
                                const std::string& out, llm::classification::FrozenPrefixCache* cache = nullptr) {
    auto start = std::chrono::steady_clock::now();
    llm::manual_seed(123);
    llm::AdamW optimizer(model.parameters(), lr, 0.1f);
    llm::classification::ClassifierHistory h = llm::classification::train_classifier_simple(
        model, data.train_loader, data.val_loader, optimizer, num_epochs, 50, 5, cache);
    double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    std::printf("Training completed in %.2f minutes.\n", minutes);
    plot_values(out + "/loss-plot.svg", num_epochs, h.examples_seen, h.train_losses, h.val_losses, "loss");
    plot_values(out + "/accuracy-plot.svg", num_epochs, h.examples_seen, h.train_accs, h.val_accs, "accuracy");
    print_accuracies(model, data, -1, cache);
}

// The classifier's file: the book's state dict, with the label names and the padded
// length in the metadata (what `classify` needs), beside the tokenizer.
inline std::string save_classifier(const llm::GPTModel& model, const std::vector<std::string>& names,
                                   int64_t max_length, const llm::BpeTokenizer& tokenizer, const std::string& dir) {
    std::string labels;
    for (const std::string& name : names) labels += (labels.empty() ? "" : "\t") + name;
    std::string path = dir + "/review_classifier.safetensors";
    llm::save_model(path, model, {{"classifier.labels", labels}, {"classifier.max_length", std::to_string(max_length)}});
    tokenizer.save(dir + "/encoder.json", dir + "/vocab.bpe");
    return path;
}

}  // namespace chapter
