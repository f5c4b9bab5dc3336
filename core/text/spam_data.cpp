// The SMS spam data of chapter 6 (book sections 6.2-6.3); see spam_data.h.
#include "text/spam_data.h"

#include "random/numpy_random.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace llm {

CsvTable load_sms_spam_collection(const std::string& tsv_path) {
    return read_csv(tsv_path, {.sep = '\t', .header = false, .names = {"Label", "Text"}});
}

CsvTable create_balanced_dataset(const CsvTable& df, uint32_t random_state) {
    CsvTable spam = df.rows_where("Label", "spam");
    CsvTable ham = df.rows_where("Label", "ham");
    CsvTable ham_subset = ham.take(pandas_sample_positions(ham.num_rows(), spam.num_rows(), random_state));
    return concat(ham_subset, spam);
}

// The book's label map {"ham": 0, "spam": 1}.
static const std::vector<std::pair<std::string, std::string>> kSpamLabels = {{"ham", "0"}, {"spam", "1"}};

void map_spam_labels(CsvTable& df) {
    size_t label = static_cast<size_t>(df.column("Label"));
    for (size_t r = 0; r < df.rows.size(); r++) {
        std::string& value = df.rows[r][label];
        auto it = std::find_if(kSpamLabels.begin(), kSpamLabels.end(), [&](const auto& m) { return m.first == value; });
        if (it == kSpamLabels.end())
            throw Error("map_spam_labels: row " + std::to_string(df.index[r]) + " has the label '" + value +
                        "' (expected 'ham' or 'spam')");
        value = it->second;
    }
}

SpamSplits random_split(const CsvTable& df, double train_frac, double validation_frac, uint32_t random_state) {
    if (train_frac < 0 || validation_frac < 0 || train_frac + validation_frac > 1)
        throw Error("random_split: train_frac and validation_frac must be non-negative and add up to at most 1 (got " +
                    std::to_string(train_frac) + " and " + std::to_string(validation_frac) + ")");
    CsvTable shuffled = df.take(pandas_sample_frac_positions(df.num_rows(), 1.0, random_state));
    shuffled.reset_index();
    double n = static_cast<double>(shuffled.num_rows());
    int64_t train_end = static_cast<int64_t>(n * train_frac);  // int() truncates
    int64_t validation_end = train_end + static_cast<int64_t>(n * validation_frac);
    return SpamSplits{shuffled.slice(0, train_end), shuffled.slice(train_end, validation_end),
                      shuffled.slice(validation_end, shuffled.num_rows())};
}

void write_spam_splits(const SpamSplits& splits, const std::string& folder) {
    std::filesystem::path dir(folder);
    to_csv(splits.train, (dir / "train.csv").string());
    to_csv(splits.validation, (dir / "validation.csv").string());
    to_csv(splits.test, (dir / "test.csv").string());
}

// A Label field as pandas reads an integer column; anything else is an error naming the row.
static int64_t parse_label(const std::string& field, int64_t row, const std::string& source_name) {
    int64_t value = 0;
    const char* end = field.data() + field.size();
    auto [stop, error] = std::from_chars(field.data(), end, value);
    if (field.empty() || error != std::errc() || stop != end)
        throw Error("SpamDataset: " + source_name + " row " + std::to_string(row) + " has the Label '" + field +
                    "' (expected an integer class label such as 0 or 1)");
    return value;
}

SpamDataset::SpamDataset(const std::string& csv_file, const BpeTokenizer& tokenizer, std::optional<int64_t> max_length,
                         int64_t pad_token_id)
    : SpamDataset(read_csv(csv_file), tokenizer, max_length, pad_token_id, "'" + csv_file + "'") {}

SpamDataset::SpamDataset(const CsvTable& data, const BpeTokenizer& tokenizer, std::optional<int64_t> max_length,
                         int64_t pad_token_id, const std::string& source_name) {
    if (max_length && *max_length <= 0)
        throw Error("SpamDataset: max_length must be positive, got " + std::to_string(*max_length));
    size_t label = static_cast<size_t>(data.column("Label")), text = static_cast<size_t>(data.column("Text"));
    for (int64_t r = 0; r < data.num_rows(); r++) {
        const std::vector<std::string>& row = data.rows[static_cast<size_t>(r)];
        labels_.push_back(parse_label(row[label], r, source_name));
        encoded_texts_.push_back(tokenizer.encode(row[text]));
    }
    if (max_length) {
        max_length_ = *max_length;
        for (std::vector<int64_t>& ids : encoded_texts_)  // encoded_text[:max_length]
            ids.resize(std::min<size_t>(ids.size(), static_cast<size_t>(max_length_)));
    } else {
        for (const std::vector<int64_t>& ids : encoded_texts_)  // _longest_encoded_length()
            max_length_ = std::max(max_length_, static_cast<int64_t>(ids.size()));
    }
    for (std::vector<int64_t>& ids : encoded_texts_) ids.resize(static_cast<size_t>(max_length_), pad_token_id);
}

Batch SpamDataset::collate(const std::vector<int64_t>& indices) const {
    std::vector<int64_t> inputs, targets;
    for (int64_t i : indices) {
        const std::vector<int64_t>& ids = encoded_texts_.at(static_cast<size_t>(i));
        inputs.insert(inputs.end(), ids.begin(), ids.end());
        targets.push_back(labels_.at(static_cast<size_t>(i)));
    }
    int64_t B = static_cast<int64_t>(indices.size());
    return Batch{tensor_int64(inputs, {B, max_length_}), tensor_int64(targets, {B})};
}

}  // namespace llm
