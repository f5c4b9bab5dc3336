// Chapter 6's data (sections 6.2 and 6.3): the SMS Spam Collection, balanced, split and
// written as train.csv, validation.csv and test.csv, and SpamDataset for the DataLoader.
//
// The frames are CsvTables of strings with the columns Label and Text, handled as the
// book's pandas code handles them, with the same random draws (numpy_random.h):
//
//   CsvTable df = load_sms_spam_collection("sms_spam_collection/SMSSpamCollection.tsv");
//   CsvTable balanced_df = create_balanced_dataset(df);     // 747 ham, 747 spam
//   map_spam_labels(balanced_df);                           // "ham" -> "0", "spam" -> "1"
//   SpamSplits splits = random_split(balanced_df, 0.7, 0.1); // 1,045 / 149 / 300 rows
//   write_spam_splits(splits, ".");                          // train.csv, validation.csv, test.csv
//   SpamDataset train_dataset("train.csv", tokenizer);       // max_length 120: the longest
//   SpamDataset val_dataset("validation.csv", tokenizer, train_dataset.max_length());
//   DataLoader train_loader(train_dataset, 8, true, true);
#pragma once

#include "io/csv.h"
#include "text/bpe.h"
#include "text/dataset.h"

#include <optional>
#include <string>
#include <vector>

namespace llm {

// pd.read_csv(path, sep="\t", header=None, names=["Label", "Text"]): 5,572 rows of the
// 5,574-line file (one quoted message runs over three lines).
CsvTable load_sms_spam_collection(const std::string& tsv_path);

// The book's create_balanced_dataset: as many "ham" rows as there are "spam" rows, drawn
// with df[ham].sample(num_spam, random_state), followed by the spam rows in file order.
// Row labels are the original ones (the book prints 4307, 4138, 4831, ...).
CsvTable create_balanced_dataset(const CsvTable& df, uint32_t random_state = 123);

// balanced_df["Label"].map({"ham": 0, "spam": 1}), the numbers written as text.
// Throws naming the row for any other label (pandas would make it NaN).
void map_spam_labels(CsvTable& df);

struct SpamSplits {
    CsvTable train, validation, test;
};

// The book's random_split: df.sample(frac=1, random_state).reset_index(drop=True), then
// train_end = int(len·train_frac), validation_end = train_end + int(len·validation_frac),
// the test set the rest.
SpamSplits random_split(const CsvTable& df, double train_frac, double validation_frac, uint32_t random_state = 123);

// train.csv, validation.csv and test.csv in `folder`, each as to_csv(path, index=None).
void write_spam_splits(const SpamSplits& splits, const std::string& folder);

// SpamDataset (6.3): every text encoded, cut to max_length when one is given, otherwise
// max_length is the longest encoding; all then padded to max_length with pad_token_id.
class SpamDataset : public Dataset {
public:
    // csv_file: a file written by write_spam_splits, read as pd.read_csv(csv_file) does.
    SpamDataset(const std::string& csv_file, const BpeTokenizer& tokenizer,
                std::optional<int64_t> max_length = std::nullopt, int64_t pad_token_id = 50256);
    // The same from a table with the columns Label (integers) and Text.
    SpamDataset(const CsvTable& data, const BpeTokenizer& tokenizer, std::optional<int64_t> max_length = std::nullopt,
                int64_t pad_token_id = 50256, const std::string& source_name = "the table");

    int64_t size() const override { return static_cast<int64_t>(labels_.size()); }  // len(dataset)
    int64_t max_length() const { return max_length_; }
    const std::vector<std::vector<int64_t>>& encoded_texts() const { return encoded_texts_; }  // padded
    const std::vector<int64_t>& labels() const { return labels_; }
    // input: int64 (B, T) token ids with T = max_length; target: int64 (B) class labels.
    Batch collate(const std::vector<int64_t>& indices) const override;

private:
    std::vector<std::vector<int64_t>> encoded_texts_;
    std::vector<int64_t> labels_;
    int64_t max_length_ = 0;
};

}  // namespace llm
