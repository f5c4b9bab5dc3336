// Chapter 6's model side (ch06.ipynb, sections 6.4-6.8) on tiny random GPTs: the last
// token's loss, the accuracy, the training loop, classify_review; and the CSV round trip
// of 6.2 and the token ids of 6.4 on the book's files when they are there.
#include "catch_compat.h"
#include "data_files.h"
#include "temp_dir.h"
#include "train_helpers.h"

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/files.h"
#include "ops/ops.h"
#include "random/random.h"
#include "text/spam_data.h"
#include "train/classifier.h"

#include <cmath>
#include <tuple>

using namespace llm;

namespace {

// A GPT small enough for the tests: vocabulary 300, context 12, 2 blocks of width 16, a
// 2-class head (6.5's `model.out_head = torch.nn.Linear(emb_dim, 2)`), no dropout.
std::unique_ptr<GPTModel> tiny_classifier(uint64_t seed = 123) {
    GPTConfig cfg;
    cfg.vocab_size = 300, cfg.context_length = 12, cfg.emb_dim = 16, cfg.n_heads = 2, cfg.n_layers = 2;
    cfg.drop_rate = 0.0, cfg.qkv_bias = true;
    manual_seed(seed);
    auto model = std::make_unique<GPTModel>(cfg);
    model->out_head.reset(cfg.emb_dim, 2);
    return model;
}

// Made-up examples of 6 token ids each, labelled by whether their first id is even.
class ToyDataset : public Dataset {
public:
    explicit ToyDataset(int64_t n) {
        for (int64_t i = 0; i < n; i++) {
            std::vector<int64_t> ids;
            for (int64_t t = 0; t < 6; t++) ids.push_back((i * 37 + t * 11 + 5) % 300);
            texts.push_back(ids);
            labels.push_back(ids[0] % 2);
        }
    }
    int64_t size() const override { return static_cast<int64_t>(labels.size()); }
    Batch collate(const std::vector<int64_t>& indices) const override {
        std::vector<int64_t> input, target;
        for (int64_t i : indices) {
            input.insert(input.end(), texts[static_cast<size_t>(i)].begin(), texts[static_cast<size_t>(i)].end());
            target.push_back(labels[static_cast<size_t>(i)]);
        }
        int64_t b = static_cast<int64_t>(indices.size());
        return {tensor_int64(input, {b, 6}), tensor_int64(target, {b})};
    }
    std::vector<std::vector<int64_t>> texts;
    std::vector<int64_t> labels;
};

std::vector<float> all_parameter_values(const GPTModel& model) {
    std::vector<float> values;
    for (const Tensor& p : model.parameters()) values.insert(values.end(), p.data(), p.data() + p.numel());
    return values;
}

}  // namespace

TEST_CASE("6.2 the split files read back as the same table and the same bytes", "[ch06][csv]") {
    std::string path = find_data_file("sms_spam_collection/SMSSpamCollection.tsv");
    if (path.empty()) return skip_test(missing_data_message("sms_spam_collection/SMSSpamCollection.tsv"));
    CsvTable balanced_df = create_balanced_dataset(load_sms_spam_collection(path));
    map_spam_labels(balanced_df);
    SpamSplits splits = random_split(balanced_df, 0.7, 0.1);
    TempDir dir;
    write_spam_splits(splits, dir.path());
    for (const auto& [name, table] : {std::pair<std::string, const CsvTable*>{"train.csv", &splits.train},
                                      {"validation.csv", &splits.validation}, {"test.csv", &splits.test}}) {
        CsvTable back = read_csv(dir.file(name));  // pd.read_csv(name)
        CHECK(back.columns == table->columns);
        CHECK(back.rows == table->rows);
        CHECK(format_csv(back) == read_file(dir.file(name)));  // to_csv of what was read: the same bytes
    }
    CHECK(splits.train.num_rows() + splits.validation.num_rows() + splits.test.num_rows() == 1494);  // 6.2
}

TEST_CASE("6.4 'Do you have time' is [5211, 345, 423, 640]", "[ch06][tokenizer]") {
    std::string enc = find_data_file("gpt2/encoder.json"), bpe = find_data_file("gpt2/vocab.bpe");
    if (enc.empty() || bpe.empty()) return skip_test(missing_data_message("gpt2/encoder.json + vocab.bpe"));
    BpeTokenizer tokenizer = BpeTokenizer::load_gpt2(enc, bpe);
    // 6.5: "Inputs: tensor([[5211,  345,  423,  640]])", "Inputs dimensions: torch.Size([1, 4])"
    CHECK(tokenizer.encode("Do you have time") == std::vector<int64_t>{5211, 345, 423, 640});
}

TEST_CASE("calc_loss_batch is the cross-entropy of the last token's logits", "[ch06][classifier]") {
    std::unique_ptr<GPTModel> model = tiny_classifier();
    Tensor input = tensor_int64({{3, 14, 15, 92, 65}, {35, 89, 79, 32, 38}});  // (B=2, T=5)
    Tensor target = tensor_int64({1, 0});
    NoGradGuard no_grad;
    Tensor logits = model->forward(input);  // (B, T, K)
    REQUIRE(logits.shape() == Shape{2, 5, 2});
    double expected = 0.0;  // mean over b of logsumexp(z_b) - z_b[target_b], z_b = logits[b, -1, :]
    for (int64_t b = 0; b < 2; b++) {
        const float* z = logits.data() + (b * 5 + 4) * 2;
        double lse = std::log(std::exp(double(z[0])) + std::exp(double(z[1])));
        expected += (lse - z[b == 0 ? 1 : 0]) / 2;
    }
    CHECK(classification::calc_loss_batch(input, target, *model).item() == Approx(expected).epsilon(1e-5));
    Tensor last = classification::last_token_logits(*model, input);  // model(input)[:, -1, :]
    REQUIRE(last.shape() == Shape{2, 2});
    CHECK(last.data()[2] == logits.data()[(5 + 4) * 2]);
}

TEST_CASE("calc_accuracy_loader counts the examples whose argmax is their label", "[ch06][classifier]") {
    std::unique_ptr<GPTModel> model = tiny_classifier();
    ToyDataset data(10);
    DataLoader loader(data, 4, false, false);  // batches of 4, 4, 2
    std::vector<int64_t> correct_until;  // correct predictions among the first i examples
    int64_t correct = 0;
    for (int64_t i = 0; i < data.size(); i++) {
        NoGradGuard no_grad;
        Tensor z = classification::last_token_logits(*model, data.collate({i}).input);
        correct += (z.data()[1] > z.data()[0] ? 1 : 0) == data.labels[static_cast<size_t>(i)];
        correct_until.push_back(correct);
    }
    CHECK(classification::calc_accuracy_loader(loader, *model) == Approx(correct / 10.0));
    CHECK(classification::calc_accuracy_loader(loader, *model, 2) == Approx(correct_until[7] / 8.0));  // num_batches=2
    CHECK(classification::calc_accuracy_loader(loader, *model, 99) == Approx(correct / 10.0));
    CHECK_FALSE(model->training());  // the book's function leaves the model in eval mode
}

TEST_CASE("train_classifier_simple: the same numbers twice, finite and falling", "[ch06][classifier]") {
    ToyDataset data(24);
    auto run = [&](std::string& printed) {
        std::unique_ptr<GPTModel> model = tiny_classifier();
        DataLoader train_loader(data, 4, true, true), val_loader(data, 4, false, false);
        manual_seed(123);
        AdamW optimizer(model->parameters(), 1e-2f, 0.1f);
        CaptureOutput capture;
        classification::ClassifierHistory h =
            classification::train_classifier_simple(*model, train_loader, val_loader, optimizer, 3, 4, 2);
        printed = capture.text();
        return std::make_pair(h, all_parameter_values(*model));
    };
    std::string printed1, printed2;
    auto [h1, w1] = run(printed1);
    auto [h2, w2] = run(printed2);
    REQUIRE(h1.train_losses.size() == 5);  // 6 steps per epoch, 18 steps, eval every 4: 0, 4, 8, 12, 16
    CHECK(h1.train_accs.size() == 3);
    CHECK(h1.examples_seen == 72);
    CHECK(h1.train_losses == h2.train_losses);
    CHECK(h1.val_losses == h2.val_losses);
    CHECK(h1.train_accs == h2.train_accs);
    CHECK(w1 == w2);
    CHECK(printed1 == printed2);
    CHECK(printed1.rfind("Ep 1 (Step 000000): Train loss ", 0) == 0);  // 6.7's print format
    CHECK(printed1.find("Training accuracy: ") != std::string::npos);
    for (double loss : h1.train_losses) CHECK(std::isfinite(loss));
    CHECK(h1.train_losses.back() < h1.train_losses.front());
}

TEST_CASE("classify_review pads to max_length and returns the argmax class", "[ch06][classifier]") {
    std::unique_ptr<GPTModel> model = tiny_classifier();
    BpeTokenizer tokenizer = BpeTokenizer::train(small_text(40), 280);  // ids < 280 fit the vocabulary of 300
    std::vector<std::string> class_names = {"not spam", "spam"};  // 6.8's two answers
    for (const std::string& text : {std::string("Ada sees a red kite."), std::string("Ben helps"),
                                    std::string("Cleo calls the old boat and the green door, and then a warm loaf.")}) {
        int64_t label = classification::classify_review(text, *model, tokenizer, 10, 0);
        REQUIRE((label == 0 || label == 1));
        CHECK(!class_names[static_cast<size_t>(label)].empty());
        std::vector<int64_t> ids = tokenizer.encode(text);
        ids.resize(std::min<size_t>(ids.size(), 10));
        ids.resize(10, 0);  // padded with pad_token_id to max_length
        NoGradGuard no_grad;
        Tensor z = classification::last_token_logits(*model, tensor_int64(ids, {1, 10}));
        CHECK(label == (z.data()[1] > z.data()[0] ? 1 : 0));
    }
}

TEST_CASE("FrozenPrefixCache: the same training bit for bit as the whole model", "[ch06][classifier]") {
    ToyDataset data(24);
    auto freeze_prefix = [](GPTModel& model) {  // 6.5: only the last block, the final norm and the head train
        for (Tensor p : model.parameters()) p.requires_grad_(false);
        for (Tensor p : model.trf_blocks.back()->parameters()) p.requires_grad_(true);
        for (Tensor p : model.final_norm->parameters()) p.requires_grad_(true);
        for (Tensor p : model.out_head.parameters()) p.requires_grad_(true);
    };
    auto run = [&](bool use_cache, int64_t& cached_texts) {
        std::unique_ptr<GPTModel> model = tiny_classifier();
        freeze_prefix(*model);
        classification::FrozenPrefixCache cache(*model);
        REQUIRE(cache.frozen_blocks() == 1);
        DataLoader train_loader(data, 4, true, true), val_loader(data, 4, false, false);
        manual_seed(123);
        AdamW optimizer(model->parameters(), 1e-2f, 0.1f);
        CaptureOutput capture;
        classification::ClassifierHistory h = classification::train_classifier_simple(
            *model, train_loader, val_loader, optimizer, 3, 4, 2, use_cache ? &cache : nullptr);
        double accuracy = classification::calc_accuracy_loader(val_loader, *model, -1, use_cache ? &cache : nullptr);
        cached_texts = cache.size();
        return std::make_tuple(h, all_parameter_values(*model), accuracy, capture.text());
    };
    int64_t plain_cached = 0, cached = 0;
    auto [h1, w1, acc1, printed1] = run(false, plain_cached);
    auto [h2, w2, acc2, printed2] = run(true, cached);
    CHECK(plain_cached == 0);
    CHECK(cached == 24);  // every text once
    CHECK(h1.train_losses == h2.train_losses);
    CHECK(h1.val_losses == h2.val_losses);
    CHECK(h1.train_accs == h2.train_accs);
    CHECK(w1 == w2);
    CHECK(acc1 == acc2);
    CHECK(printed1 == printed2);
}

TEST_CASE("FrozenPrefixCache: nothing is cached unless the bottom is frozen and dropout is 0", "[ch06][classifier]") {
    std::unique_ptr<GPTModel> model = tiny_classifier();
    CHECK(classification::FrozenPrefixCache(*model).frozen_blocks() == 0);  // everything trains
    for (Tensor p : model->parameters()) p.requires_grad_(false);
    CHECK(classification::FrozenPrefixCache(*model).frozen_blocks() == 2);
    model->tok_emb.weight.requires_grad_(true);
    CHECK(classification::FrozenPrefixCache(*model).frozen_blocks() == 0);  // the embeddings change
    GPTConfig cfg = model->cfg;
    cfg.drop_rate = 0.1;
    GPTModel with_dropout(cfg);
    for (Tensor p : with_dropout.parameters()) p.requires_grad_(false);
    CHECK(classification::FrozenPrefixCache(with_dropout).frozen_blocks() == 0);
}

TEST_CASE("6.8 a saved classifier (2-class head) reads back with read_model_config", "[ch06][classifier][checkpoint]") {
    std::unique_ptr<GPTModel> model = tiny_classifier();
    TempDir dir;
    save_model(dir.file("review_classifier.safetensors"), *model, {{"classifier.labels", "ham\tspam"}});
    GPTConfig cfg = read_model_config(dir.file("review_classifier.safetensors"));  // what `classify` does
    CHECK(cfg.n_layers == 2);
    GPTModel loaded(cfg);
    loaded.out_head.reset(cfg.emb_dim, 2);
    load_model(dir.file("review_classifier.safetensors"), loaded);
    CHECK(all_parameter_values(loaded) == all_parameter_values(*model));
}
