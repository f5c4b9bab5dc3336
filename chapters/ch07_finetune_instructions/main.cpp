// Chapter 7: finetuning a GPT to follow instructions, sections 7.2 to 7.8.
//
//   build/release/ch07_finetune_instructions [--model FILE | --weights random] [flags]
//
// The book's files: data/instruction-data.json, GPT-2's encoder.json and vocab.bpe in
// data/gpt2/, and the weights of GPT-2 medium (355M, the book's choice) as Hugging Face's
// model.safetensors (--model; any GPT-2 size works). Everything it writes goes into the
// run folder (--out, default runs/ch07): the loss plot, instruction-data-with-response.json
// and the finetuned model.
#include "../finetune_common.h"
#include "../gpt2_files.h"

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/files.h"
#include "io/plot.h"
#include "ops/ops.h"
#include "text/instruction_data.h"
#include "text/utf8.h"
#include "train/loss.h"
#include "train/sampling.h"
#include "train/simple_training.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

using namespace llm;
using chapter::heading;
using chapter::print;

namespace {

const char* kDataUrl =
    "https://raw.githubusercontent.com/rasbt/LLMs-from-scratch/main/ch07/01_main-chapter-code/instruction-data.json";

struct Options {
    std::string data = "data/instruction-data.json", gpt2_dir = "data/gpt2", out = "runs/ch07";
    chapter::ModelFlags model{"355M"};
    int64_t epochs = 2, max_steps = -1, responses = INT64_MAX;
    bool no_kv_cache = false;
};

// print(entry): Python's repr of the dict, members in the file's order.
std::string python_dict_repr(const InstructionEntry& entry) {
    std::string s = "{'instruction': " + chapter::python_repr(entry.instruction) +
                    ", 'input': " + chapter::python_repr(entry.input) + ", 'output': " + chapter::python_repr(entry.output);
    if (entry.model_response) s += ", 'model_response': " + chapter::python_repr(*entry.model_response);
    return s + "}";
}

// 7.2: the 1,100 entries, two of them as dicts and as prompts, and the 85/10/5 split.
InstructionSplits preparing_the_dataset(const std::string& path) {
    heading("7.2 Preparing a dataset for supervised instruction finetuning");
    std::vector<InstructionEntry> data = load_instruction_data(path);
    std::cout << "Number of entries: " << data.size() << "\n";
    if (data.size() < 1000)
        throw Error("'" + path + "' has " + std::to_string(data.size()) +
                    " entries; the book's walk-through shows entries 50 and 999 (expected the book's 1,100)");
    std::cout << "Example entry:\n " << python_dict_repr(data[50]) << "\n";
    std::cout << "Another example entry:\n " << python_dict_repr(data[999]) << "\n";
    for (size_t i : {50, 999}) std::cout << format_input(data[i]) + format_response(data[i]) << "\n\n";
    InstructionSplits splits = split_instruction_data(data);
    std::cout << "Training set length: " << splits.train.size() << "\nValidation set length: " << splits.val.size()
              << "\nTest set length: " << splits.test.size() << "\n";
    return splits;
}

// 7.3: the three collate functions on the book's toy batch, and the loss with -100 targets.
void organizing_data_into_batches(const chapter::Gpt2Vocabulary& vocab) {
    heading("7.3 Organizing data into training batches");
    if (vocab.loaded()) std::cout << chapter::python_list(vocab.tokenizer().encode("<|endoftext|>")) << "\n";
    std::vector<std::vector<int64_t>> batch = {{0, 1, 2, 3, 4}, {5, 6}, {7, 8, 9}};  // inputs_1, inputs_2, inputs_3
    print(custom_collate_draft_1(batch));
    Batch draft_2 = custom_collate_draft_2(batch);
    print(draft_2.input);
    print(draft_2.target);
    Batch collated = custom_collate_fn(batch);
    print(collated.input);
    print(collated.target);
    Tensor logits_1 = tensor({{-1.0f, 1.0f},    // 1st training example
                              {-0.5f, 1.5f}});  // 2nd training example
    Tensor loss_1 = cross_entropy(logits_1, tensor_int64({0, 1}));
    print(loss_1);
    Tensor logits_2 = tensor({{-1.0f, 1.0f}, {-0.5f, 1.5f}, {-0.5f, 1.5f}});  // a new 3rd example
    print(cross_entropy(logits_2, tensor_int64({0, 1, 1})));
    Tensor loss_3 = cross_entropy(logits_2, tensor_int64({0, 1, -100}));  // the 3rd is ignored
    print(loss_3);
    print("loss_1 == loss_3:", eq(loss_1, loss_3));
}

// 7.4: the three datasets and loaders (batches of 8, padded per batch, at most 1,024 tokens).
struct InstructionData {
    InstructionDataset train_dataset, val_dataset, test_dataset;
    DataLoader train_loader, val_loader, test_loader;
    InstructionData(const InstructionSplits& splits, const BpeTokenizer& tokenizer)
        : train_dataset(splits.train, tokenizer, {.allowed_max_length = 1024}),
          val_dataset(splits.val, tokenizer, {.allowed_max_length = 1024}),
          test_dataset(splits.test, tokenizer, {.allowed_max_length = 1024}),
          train_loader(train_dataset, 8, true, true), val_loader(val_dataset, 8, false, false),
          test_loader(test_dataset, 8, false, false) {}
};

void creating_data_loaders(const InstructionData& data) {
    heading("7.4 Creating data loaders for an instruction dataset");
    std::cout << "Device: cpu\n";
    std::cout << "Train loader:\n";
    Batch batch;
    for (DataLoaderIter it = data.train_loader.iter(); it.next(batch);)
        std::cout << batch.input.shape_str() << " " << batch.target.shape_str() << "\n";
    print(batch.input[0]);   // of the last batch
    print(batch.target[0]);
}

// The model's answer to an entry, as the book extracts it: generate (greedy, stopping at
// <|endoftext|>), decode, cut off the prompt, drop "### Response:" and strip.
std::string model_response(const GPTModel& model, const BpeTokenizer& tokenizer, const std::string& input_text,
                           int64_t max_new_tokens, bool use_kv_cache) {
    Tensor token_ids = generate(model, text_to_token_ids(input_text, tokenizer), max_new_tokens,
                                model.cfg.context_length, 0.0, std::nullopt, 50256, use_kv_cache);
    std::string generated_text = utf8_replace_errors(token_ids_to_text(token_ids, tokenizer));
    return extract_response(generated_text, input_text);
}

// 7.5: the pretrained model answers the first validation instruction before finetuning.
void loading_a_pretrained_llm(GPTModel& model, const BpeTokenizer& tokenizer, const InstructionSplits& splits) {
    heading("7.5 Loading a pretrained LLM");
    model.eval();
    manual_seed(123);
    std::string input_text = format_input(splits.val[0]);
    std::cout << input_text << "\n";
    std::cout << model_response(model, tokenizer, input_text, 35, false) << "\n";
}

// The book's plot_losses: both losses against epochs (bottom axis) and tokens seen (top).
// `epochs` is how many were run (less than asked for with --max-steps).
void plot_losses(const std::string& path, double epochs, const TrainingHistory& h) {
    LinePlot plot;
    plot.x = linspace_values(0.0, epochs, static_cast<int64_t>(h.train_losses.size()));
    plot.series = {{"Training loss", h.train_losses, false, {}}, {"Validation loss", h.val_losses, true, {}}};
    plot.x_label = "Epochs", plot.y_label = "Loss", plot.top_label = "Tokens seen";
    if (!h.track_tokens_seen.empty() && plot.x.back() > 0)
        plot.top_scale = h.track_tokens_seen.back() / plot.x.back();
    write_line_plot_svg(path, plot);
    std::cout << "(loss plot written to " << path << ")\n";
}

// 7.6: the losses before finetuning, then train_model_simple (AdamW 5e-5, decay 0.1).
void finetuning(GPTModel& model, const BpeTokenizer& tokenizer, const InstructionData& data,
                const InstructionSplits& splits, const Options& o) {
    heading("7.6 Finetuning the LLM on instruction data");
    manual_seed(123);
    {
        NoGradGuard no_grad;
        std::cout << "Training loss: " << python_float_repr(calc_loss_loader(data.train_loader, model, 5)) << "\n";
        std::cout << "Validation loss: " << python_float_repr(calc_loss_loader(data.val_loader, model, 5)) << "\n";
    }
    auto start = std::chrono::steady_clock::now();
    manual_seed(123);
    AdamW optimizer(model.parameters(), 0.00005f, 0.1f);
    TrainingHistory history = train_model_simple(model, data.train_loader, data.val_loader, optimizer, o.epochs, 5, 5,
                                                 format_input(splits.val[0]), tokenizer, o.max_steps);
    double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    std::printf("Training completed in %.2f minutes.\n", minutes);
    std::fflush(stdout);
    double epochs_run = std::min(static_cast<double>(o.epochs),
                                 static_cast<double>(history.steps) / static_cast<double>(data.train_loader.size()));
    plot_losses(o.out + "/loss-plot.svg", epochs_run, history);
}

// re.sub(r'[ ()]', '', CHOOSE_MODEL): "gpt2-medium355M" for GPT-2 medium, and so on.
std::string model_file_stem(const GPTConfig& cfg) {
    const char* names[] = {"gpt2-small124M", "gpt2-medium355M", "gpt2-large774M", "gpt2-xl1558M"};
    const char* sizes[] = {"124M", "355M", "774M", "1558M"};
    for (int i = 0; i < 4; i++) {
        GPTConfig book = chapter::base_config(sizes[i]);
        if (cfg.emb_dim == book.emb_dim && cfg.n_layers == book.n_layers && cfg.n_heads == book.n_heads) return names[i];
    }
    return "gpt2-" + std::to_string(cfg.n_layers) + "layers" + std::to_string(cfg.emb_dim) + "emb";
}

// 7.7: three answers beside the correct ones, then every test entry's answer into
// instruction-data-with-response.json, and the finetuned model.
void extracting_and_saving_responses(GPTModel& model, const BpeTokenizer& tokenizer, InstructionSplits& splits,
                                     const Options& o) {
    heading("7.7 Extracting and saving responses");
    model.eval();
    bool cache = !o.no_kv_cache;
    manual_seed(123);
    for (size_t i = 0; i < std::min<size_t>(3, splits.test.size()); i++) {
        std::string input_text = format_input(splits.test[i]);
        std::string response_text = model_response(model, tokenizer, input_text, 256, cache);
        std::cout << input_text << "\n\nCorrect response:\n>> " << splits.test[i].output << "\n\nModel response:\n>> "
                  << response_text << "\n-------------------------------------\n";
    }
    std::vector<InstructionEntry>& test_data = splits.test;
    size_t count = static_cast<size_t>(std::min<int64_t>(o.responses, static_cast<int64_t>(test_data.size())));
    std::cout << "(generating " << count << " of " << test_data.size() << " responses"
              << (cache ? ", with a KV cache: the same tokens as the book's generate, sooner" : "") << ")\n";
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < count; i++) {
        test_data[i].model_response = model_response(model, tokenizer, format_input(test_data[i]), 256, cache);
        if ((i + 1) % 10 == 0 || i + 1 == count) std::cerr << "  " << i + 1 << "/" << count << " responses\n";
    }
    double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    std::printf("(%zu responses in %.2f minutes)\n", count, minutes);
    std::fflush(stdout);
    std::vector<InstructionEntry> answered(test_data.begin(), test_data.begin() + static_cast<std::ptrdiff_t>(count));
    std::string json_path = o.out + "/instruction-data-with-response.json";
    write_file_atomic(json_path, format_instruction_data_json(answered));
    std::cout << "(written to " << json_path << (count < test_data.size() ? ", the answered entries only" : "")
              << ")\n";
    if (count > 0) std::cout << python_dict_repr(test_data[0]) << "\n";
    std::string file_name = o.out + "/" + model_file_stem(model.cfg) + "-sft.safetensors";
    save_model(file_name, model);
    std::cout << "Model saved as " << file_name << "\n";
}

void evaluating_the_finetuned_llm(const Options& o) {
    heading("7.8 Evaluating the finetuned LLM");
    std::cout << "The book scores every response from 0 to 100 by asking Llama 3 (8B), served locally with\n"
                 "Ollama, to compare it with the correct output, and reports the average score. This program\n"
                 "leaves that out (it needs another model and its server); the responses are in\n  "
              << o.out << "/instruction-data-with-response.json\nfor whichever judge you use.\n";
}

int run(int argc, char** argv) {
    Options o;
    FlagParser flags(chapter::program_name(argv), "Book chapter 7: finetuning a GPT to follow instructions.");
    flags.add_string("--data", &o.data, "the book's instruction-data.json  [data/instruction-data.json]");
    flags.add_string("--gpt2-dir", &o.gpt2_dir, "folder with GPT-2's encoder.json and vocab.bpe  [data/gpt2]");
    o.model.add_to(flags);
    flags.add_string("--out", &o.out, "run folder: the loss plot, the responses and the model  [runs/ch07]");
    flags.add_int("--epochs", &o.epochs, 1, 1000, "finetuning epochs  [2]");
    flags.add_int("--max-steps", &o.max_steps, 1, INT64_MAX, "stop finetuning after this many steps (quick runs)  [all]");
    flags.add_int("--responses", &o.responses, 0, INT64_MAX, "how many test entries 7.7 answers  [all 110]");
    flags.add_switch("--no-kv-cache", &o.no_kv_cache, "7.7 without the KV cache, as the book generates (slower)");
    flags.add_threads();
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    if (!std::filesystem::exists(o.data))
        throw Error(o.data + " not found. Download the book's instruction data from\n  " + kDataUrl +
                    "\ninto data/ (or pass --data FILE)");
    std::filesystem::create_directories(o.out);
    InstructionSplits splits = preparing_the_dataset(o.data);
    chapter::Gpt2Vocabulary vocab(o.gpt2_dir);
    organizing_data_into_batches(vocab);
    if (!vocab.loaded()) return 0;
    const BpeTokenizer& tokenizer = vocab.tokenizer();
    manual_seed(123);  // where the book seeds, before its loaders (they draw when a pass starts)
    InstructionData data(splits, tokenizer);
    creating_data_loaders(data);
    std::unique_ptr<GPTModel> model = chapter::load_finetuning_model(o.model, chapter::program_name(argv));
    if (!model) return 0;
    loading_a_pretrained_llm(*model, tokenizer, splits);
    finetuning(*model, tokenizer, data, splits, o);
    extracting_and_saving_responses(*model, tokenizer, splits, o);
    evaluating_the_finetuned_llm(o);
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
