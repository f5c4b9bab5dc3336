// Chapter 2: Working with text data — from raw text to token ids to embeddings.
//
//   build/release/ch02_text_data [--verdict FILE] [--gpt2-dir DIR]
//
// Defaults: data/the-verdict.txt and data/gpt2/ (encoder.json and vocab.bpe). Sections that need a missing file
// say what to download and are skipped; the rest still runs.
#include "../common.h"
#include "../gpt2_files.h"

#include "io/files.h"
#include "nn/nn.h"
#include "random/random.h"
#include "text/dataset.h"
#include "text/tokenizer_simple.h"

#include <algorithm>
#include <optional>

using namespace llm;
using chapter::heading;
using chapter::python_list;
using chapter::python_repr;

// Python's re.split with a capturing group of single characters: the pieces between
// separators (empty ones included) alternate with the separators themselves.
static std::vector<std::string> split_keeping(const std::string& text, const std::string& separators) {
    std::vector<std::string> pieces(1);
    for (char c : text) {
        if (separators.find(c) != std::string::npos) {
            pieces.push_back(std::string(1, c));
            pieces.emplace_back();
        } else {
            pieces.back() += c;
        }
    }
    return pieces;
}

// [item for item in result if item.strip()]
static std::vector<std::string> drop_blank(const std::vector<std::string>& items) {
    std::vector<std::string> kept;
    for (const std::string& item : items)
        if (item.find_first_not_of(" \t\n\r\f\v") != std::string::npos) kept.push_back(item);
    return kept;
}

static void tokenizing_text(const std::string* raw_text) {
    heading("2.2 Tokenizing text");
    if (raw_text) {
        std::cout << "Total number of character: " << raw_text->size() << "\n" << raw_text->substr(0, 99) << "\n";
    }
    std::string text = "Hello, world. This, is a test.";
    std::cout << python_list(split_keeping(text, " \t\n\r\f\v")) << "\n";
    std::vector<std::string> result = split_keeping(text, ",. \t\n\r\f\v");
    std::cout << python_list(result) << "\n" << python_list(drop_blank(result)) << "\n";
    std::cout << python_list(split_words("Hello, world. Is this-- a test?")) << "\n";
    if (raw_text) {
        std::vector<std::string> preprocessed = split_words(*raw_text);
        std::cout << preprocessed.size() << "\n";
        std::cout << python_list(std::vector<std::string>(preprocessed.begin(), preprocessed.begin() + 30)) << "\n";
    }
}

// print(item) for (token, id) pairs, as Python prints a tuple.
static void print_items(const Vocabulary& vocab, int64_t from, int64_t to) {
    std::vector<std::pair<std::string, int64_t>> items(vocab.begin(), vocab.end());
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    for (int64_t i = std::max<int64_t>(0, from); i < std::min<int64_t>(to, static_cast<int64_t>(items.size())); i++)
        std::cout << "(" << python_repr(items[static_cast<size_t>(i)].first) << ", " << items[static_cast<size_t>(i)].second << ")\n";
}

static void token_ids(const std::string& raw_text) {
    heading("2.3 Converting tokens into token IDs");
    Vocabulary vocab = build_vocabulary(split_words(raw_text));
    std::cout << vocab.size() << "\n";
    print_items(vocab, 0, 51);
    SimpleTokenizerV1 tokenizer(vocab);
    std::string text = "\"It's the last he painted, you know,\" \n       Mrs. Gisburn said with pardonable pride.";
    std::vector<int64_t> ids = tokenizer.encode(text);
    std::cout << python_list(ids) << "\n" << python_repr(tokenizer.decode(ids)) << "\n";
    std::cout << python_repr(tokenizer.decode(tokenizer.encode(text))) << "\n";
}

static void special_tokens(const std::string& raw_text) {
    heading("2.4 Adding special context tokens");
    SimpleTokenizerV1 v1(build_vocabulary(split_words(raw_text)));
    try {
        v1.encode("Hello, do you like tea. Is this-- a test?");
    } catch (const Error& e) {
        std::cout << "SimpleTokenizerV1: " << e.what() << "\n";
    }
    Vocabulary vocab = build_vocabulary(split_words(raw_text), {"<|endoftext|>", "<|unk|>"});
    std::cout << vocab.size() << "\n";
    print_items(vocab, static_cast<int64_t>(vocab.size()) - 5, static_cast<int64_t>(vocab.size()));
    std::string text = std::string("Hello, do you like tea?") + " <|endoftext|> " + "In the sunlit terraces of the palace.";
    std::cout << text << "\n";
    SimpleTokenizerV2 tokenizer(vocab);
    std::cout << python_list(tokenizer.encode(text)) << "\n";
    std::cout << python_repr(tokenizer.decode(tokenizer.encode(text))) << "\n";
}

static void byte_pair_encoding(const BpeTokenizer& tokenizer) {
    heading("2.5 BytePair encoding");
    // The notebook's two string literals are joined without a space: "terracesof".
    std::string text = "Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.";
    std::vector<int64_t> integers = tokenizer.encode(text);
    std::cout << python_list(integers) << "\n" << tokenizer.decode(integers) << "\n";
}

// Python's print of a list of two tensors: [tensor(...), tensor(...)]
static std::string batch_repr(const Batch& batch) {
    std::string s = "[";
    return s.append(batch.input.str()).append(", ").append(batch.target.str()).append("]");
}

static void sliding_window(const std::string& raw_text, const BpeTokenizer& tokenizer) {
    heading("2.6 Data sampling with a sliding window");
    std::vector<int64_t> enc_text = tokenizer.encode(raw_text);
    std::cout << enc_text.size() << "\n";
    std::vector<int64_t> enc_sample(enc_text.begin() + 50, enc_text.end());
    int64_t context_size = 4;
    std::vector<int64_t> x(enc_sample.begin(), enc_sample.begin() + context_size);
    std::vector<int64_t> y(enc_sample.begin() + 1, enc_sample.begin() + context_size + 1);
    std::cout << "x: " << python_list(x) << "\ny:      " << python_list(y) << "\n";
    for (int64_t i = 1; i <= context_size; i++) {
        std::vector<int64_t> context(enc_sample.begin(), enc_sample.begin() + i);
        std::cout << python_list(context) << " ----> " << enc_sample[static_cast<size_t>(i)] << "\n";
    }
    for (int64_t i = 1; i <= context_size; i++) {
        std::vector<int64_t> context(enc_sample.begin(), enc_sample.begin() + i);
        std::cout << tokenizer.decode(context) << " ----> " << tokenizer.decode({enc_sample[static_cast<size_t>(i)]}) << "\n";
    }
    GPTDatasetV1 dataset(enc_text, 4, 1);
    DataLoader loader(dataset, 1, false, true);
    DataLoaderIter data_iter = loader.iter();
    Batch first_batch, second_batch;
    data_iter.next(first_batch);
    std::cout << batch_repr(first_batch) << "\n";
    data_iter.next(second_batch);
    std::cout << batch_repr(second_batch) << "\n";
    GPTDatasetV1 dataset8(enc_text, 4, 4);
    DataLoader loader8(dataset8, 8, false, true);
    DataLoaderIter iter8 = loader8.iter();
    Batch batch;
    iter8.next(batch);
    std::cout << "Inputs:\n " << batch.input << "\n\nTargets:\n " << batch.target << "\n";
}

static void token_embeddings() {
    heading("2.7 Creating token embeddings");
    Tensor input_ids = tensor_int64({2, 3, 5, 1});
    manual_seed(123);
    Embedding embedding_layer(6, 3);  // vocab_size 6, output_dim 3
    std::cout << "Parameter containing:\n" << embedding_layer.weight << "\n";
    std::cout << embedding_layer.forward(tensor_int64({3})) << "\n";
    std::cout << embedding_layer.forward(input_ids) << "\n";
}

// Continues the generator from 2.7, as the notebook does (it prints only shapes).
static void word_positions(const std::string& raw_text, const BpeTokenizer& tokenizer) {
    heading("2.8 Encoding word positions");
    int64_t vocab_size = 50257, output_dim = 256, max_length = 4;
    Embedding token_embedding_layer(vocab_size, output_dim);
    GPTDatasetV1 dataset(tokenizer.encode(raw_text), max_length, max_length);
    DataLoader loader(dataset, 8, false, true);
    DataLoaderIter data_iter = loader.iter();
    Batch batch;
    data_iter.next(batch);
    std::cout << "Token IDs:\n " << batch.input << "\n\nInputs shape:\n " << batch.input.shape_str() << "\n";
    Tensor token_embeddings = token_embedding_layer.forward(batch.input);
    std::cout << token_embeddings.shape_str() << "\n";
    Embedding pos_embedding_layer(max_length, output_dim);  // context_length = max_length
    Tensor pos_embeddings = pos_embedding_layer.forward(arange(max_length));
    std::cout << pos_embeddings.shape_str() << "\n";
    Tensor input_embeddings = token_embeddings + pos_embeddings;
    std::cout << input_embeddings.shape_str() << "\n";
}

static int run(int argc, char** argv) {
    chapter::BookFileFlags files;
    FlagParser flags(chapter::program_name(argv), "Book chapter 2: tokenizing, vocabularies, GPT-2's byte-pair "
                                                  "encoding, sliding windows, embeddings.");
    files.add_to(flags);
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    std::optional<std::string> verdict_path = chapter::find_verdict(files.verdict);
    chapter::Gpt2Vocabulary vocab(files.gpt2_dir);
    std::optional<std::string> raw_text;
    if (verdict_path) raw_text = read_file(*verdict_path);

    tokenizing_text(raw_text ? &*raw_text : nullptr);
    if (raw_text) {
        token_ids(*raw_text);
        special_tokens(*raw_text);
    }
    if (vocab.loaded()) byte_pair_encoding(vocab.tokenizer());
    if (vocab.loaded() && raw_text) sliding_window(*raw_text, vocab.tokenizer());
    token_embeddings();
    if (vocab.loaded() && raw_text) word_positions(*raw_text, vocab.tokenizer());
    return 0;
}

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
