// Chapter 6's data against the book (ch06.ipynb, sections 6.2 and 6.3): the SMS spam
// table, the balanced rows, the 70/10/20 split, the CSV files, SpamDataset and its loaders.
// Needs sms_spam_collection/SMSSpamCollection.tsv (and GPT-2's tokenizer files for the
// dataset) in data/ or ../shared/data/; skipped without them.
#include "catch_compat.h"
#include "data_files.h"
#include "temp_dir.h"

#include "io/files.h"
#include "random/random.h"
#include "text/spam_data.h"

#include <map>

using namespace llm;

namespace {

const char* kSpamFile = "sms_spam_collection/SMSSpamCollection.tsv";

std::map<std::string, int64_t> value_counts(const CsvTable& t, const std::string& column) {
    std::map<std::string, int64_t> counts;
    for (int64_t r = 0; r < t.num_rows(); r++) counts[t.at(r, column)]++;
    return counts;
}

// FNV-1a, 64 bits: a fingerprint of a file's bytes.
uint64_t fnv1a64(const std::string& bytes) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
    return h;
}

std::optional<BpeTokenizer> gpt2_tokenizer() {
    std::string enc = find_data_file("gpt2/encoder.json"), bpe = find_data_file("gpt2/vocab.bpe");
    if (enc.empty() || bpe.empty()) return std::nullopt;
    return BpeTokenizer::load_gpt2(enc, bpe);
}

}  // namespace

TEST_CASE("6.2 the SMS spam table as pandas reads it", "[ch06][csv]") {
    std::string path = find_data_file(kSpamFile);
    if (path.empty()) return skip_test(missing_data_message(kSpamFile));
    CsvTable df = load_sms_spam_collection(path);
    CHECK(df.num_rows() == 5572);  // the book: [5572 rows x 2 columns], from 5,574 lines
    CHECK(value_counts(df, "Label") == std::map<std::string, int64_t>{{"ham", 4825}, {"spam", 747}});
    CHECK(df.at(0, "Text").rfind("Go until jurong point, crazy.. Available only ", 0) == 0);  // the book's first row
    CHECK(df.at(5571, "Text") == "Rofl. Its true to its name");                               // and its last
    // What pandas 1.5.3 makes of the quotes (the three lines of row 5081 are lines 5082-5084):
    CHECK(df.at(282, "Text") == "Wen u miss someone, the person is definitely special for u..... But if the person "
                                "is so special, why to miss them, just Keep-in-touch gdeve..");
    CHECK(df.at(4553, "Text").rfind("SYMPTOMS when U are in love: \"1.U like listening songs", 0) == 0);
    const std::string& merged = df.at(5081, "Text");
    CHECK(merged.rfind("Keep ur problems in ur heart", 0) == 0);
    CHECK(merged.find("SD..\nham\tYeah, give me a call if you've got a minute\nham\tHI BABE UAWAKE?") != std::string::npos);
    CHECK(merged.substr(merged.size() - 9) == "L CALL U\"");
    CHECK(df.at(1612, "Text") == "645");  // stays text: the column is not numeric
}

TEST_CASE("6.2 create_balanced_dataset and random_split", "[ch06]") {
    std::string path = find_data_file(kSpamFile);
    if (path.empty()) return skip_test(missing_data_message(kSpamFile));
    CsvTable balanced_df = create_balanced_dataset(load_sms_spam_collection(path));
    CHECK(value_counts(balanced_df, "Label") == std::map<std::string, int64_t>{{"ham", 747}, {"spam", 747}});
    map_spam_labels(balanced_df);
    REQUIRE(balanced_df.num_rows() == 1494);  // the book prints balanced_df: [1494 rows x 2 columns]
    std::vector<int64_t> head(balanced_df.index.begin(), balanced_df.index.begin() + 5);
    std::vector<int64_t> tail(balanced_df.index.end() - 5, balanced_df.index.end());
    CHECK(head == std::vector<int64_t>{4307, 4138, 4831, 4461, 5440});
    CHECK(tail == std::vector<int64_t>{5537, 5540, 5547, 5566, 5567});
    CHECK(balanced_df.at(0, "Label") == "0");
    CHECK(balanced_df.at(0, "Text").rfind("Awww dat is sweet! We can think of something t", 0) == 0);
    CHECK(balanced_df.at(1, "Text") == "Just got to  &lt;#&gt;");
    CHECK(balanced_df.at(2, "Text").rfind("The word \"Checkmate\" in chess comes from the P", 0) == 0);
    CHECK(balanced_df.at(4, "Text") == "Thank you. do you generally date the brothas?");
    CHECK(balanced_df.at(1493, "Label") == "1");
    CHECK(balanced_df.at(1493, "Text").rfind("This is the 2nd time we have tried 2 contact u", 0) == 0);

    SpamSplits splits = random_split(balanced_df, 0.7, 0.1);
    CHECK(splits.train.num_rows() == 1045);  // int(1494 * 0.7), int(1494 * 0.1), the rest
    CHECK(splits.validation.num_rows() == 149);
    CHECK(splits.test.num_rows() == 300);
    CHECK(splits.train.index.front() == 0);  // reset_index(drop=True)
    CHECK(splits.test.index.back() == 1493);

    // The files pandas 1.5.3 wrote with the book's code (to_csv(index=None)): sizes and FNV-1a.
    TempDir dir;
    write_spam_splits(splits, dir.path());
    std::string train = read_file(dir.file("train.csv"));
    CHECK(train.rfind("Label,Text\n0,Dude how do you like the buff wind.\n", 0) == 0);
    CHECK(train.size() == 112762);
    CHECK(fnv1a64(train) == 0x064b3666c7965d9fULL);
    std::string validation = read_file(dir.file("validation.csv")), test = read_file(dir.file("test.csv"));
    CHECK(validation.size() == 17770);
    CHECK(fnv1a64(validation) == 0x7efc07cf1178e9cbULL);
    CHECK(test.size() == 31786);
    CHECK(fnv1a64(test) == 0x3e51e4f13628e8c0ULL);
    CsvTable back = read_csv(dir.file("test.csv"));  // pd.read_csv("test.csv")
    CHECK(back.columns == std::vector<std::string>{"Label", "Text"});
    CHECK(back.rows == splits.test.rows);
}

TEST_CASE("6.3 SpamDataset and the book's data loaders", "[ch06]") {
    std::string path = find_data_file(kSpamFile);
    std::optional<BpeTokenizer> tokenizer = gpt2_tokenizer();
    if (path.empty() || !tokenizer) return skip_test("needs " + std::string(kSpamFile) + " and gpt2/encoder.json + vocab.bpe");
    CsvTable balanced_df = create_balanced_dataset(load_sms_spam_collection(path));
    map_spam_labels(balanced_df);
    TempDir dir;
    write_spam_splits(random_split(balanced_df, 0.7, 0.1), dir.path());

    SpamDataset train_dataset(dir.file("train.csv"), *tokenizer);
    CHECK(train_dataset.max_length() == 120);  // print(train_dataset.max_length)
    SpamDataset val_dataset(dir.file("validation.csv"), *tokenizer, train_dataset.max_length());
    SpamDataset test_dataset(dir.file("test.csv"), *tokenizer, train_dataset.max_length());
    CHECK(val_dataset.size() == 149);
    CHECK(test_dataset.max_length() == 120);
    for (const std::vector<int64_t>& ids : test_dataset.encoded_texts()) REQUIRE(ids.size() == 120);
    CHECK(train_dataset.encoded_texts()[0].back() == 50256);  // short texts end in padding

    manual_seed(123);
    DataLoader train_loader(train_dataset, 8, true, true);
    DataLoader val_loader(val_dataset, 8, false, false), test_loader(test_dataset, 8, false, false);
    Batch batch;
    int64_t batches = 0;
    for (DataLoaderIter it = train_loader.iter(); it.next(batch);) batches++;
    CHECK(batches == 130);
    CHECK(batch.input.shape() == Shape{8, 120});  // "Input batch dimensions: torch.Size([8, 120])"
    CHECK(batch.target.shape() == Shape{8});      // "Label batch dimensions torch.Size([8])"
    CHECK(batch.input.dtype() == Dtype::int64);
    CHECK(batch.target.dtype() == Dtype::int64);
    CHECK(train_loader.size() == 130);  // "130 training batches"
    CHECK(val_loader.size() == 19);     // "19 validation batches"
    CHECK(test_loader.size() == 38);    // "38 test batches"

    DataLoaderIter last = val_loader.iter();
    for (int i = 0; i < 19; i++) REQUIRE(last.next(batch));
    CHECK(batch.input.shape() == Shape{5, 120});  // 149 = 18·8 + 5, drop_last=False
    CHECK(batch.target.values()[4] == static_cast<float>(val_dataset.labels()[148]));
}

TEST_CASE("SpamDataset: truncation, padding, bad labels", "[ch06]") {
    std::optional<BpeTokenizer> tokenizer = gpt2_tokenizer();
    if (!tokenizer) return skip_test(missing_data_message("gpt2/encoder.json"));
    CsvTable t{{"Label", "Text"}, {{"1", "Hello, world"}, {"0", "Hello"}}, {0, 1}};
    SpamDataset longest(t, *tokenizer);
    CHECK(longest.max_length() == 3);  // 15496, 11, 995
    CHECK(longest.encoded_texts()[1] == std::vector<int64_t>{15496, 50256, 50256});
    SpamDataset cut(t, *tokenizer, 2, 7);
    CHECK(cut.encoded_texts() == std::vector<std::vector<int64_t>>{{15496, 11}, {15496, 7}});
    Batch b = cut.collate({1, 0});
    CHECK(b.input.shape() == Shape{2, 2});
    CHECK(b.target.values() == std::vector<float>{0.0f, 1.0f});
    CsvTable bad{{"Label", "Text"}, {{"spam", "Hi"}}, {0}};
    CHECK_THROWS_WITH(SpamDataset(bad, *tokenizer), Catch::Matchers::Contains("Label 'spam'"));
    CHECK_THROWS_WITH(SpamDataset(CsvTable{{"Text"}, {}, {}}, *tokenizer), Catch::Matchers::Contains("no column 'Label'"));
    CsvTable unmapped{{"Label", "Text"}, {{"maybe", "Hi"}}, {7}};
    CHECK_THROWS_WITH(map_spam_labels(unmapped), Catch::Matchers::Contains("row 7 has the label 'maybe'"));
}
