// Chapter 4: implementing a GPT model from scratch to generate text.
//
//   build/release/ch04_gpt_model [--gpt2-dir DIR]
// The folder holds GPT-2's encoder.json and vocab.bpe (default: data/gpt2).
// Without them the program uses the book's token ids for its example texts.
#include "../common.h"
#include "../gpt2_files.h"
#include "nn/nn.h"
#include "random/random.h"
#include "train/sampling.h"

#include <cstdio>

using namespace llm;
using chapter::heading;
using chapter::print;

// 4.1: the two example texts as a batch of token ids.
static Tensor example_batch(const chapter::Gpt2Vocabulary& vocab) {
    heading("4.1 Coding an LLM architecture");
    std::vector<int64_t> txt1 = vocab.encode("Every effort moves you", {6109, 3626, 6100, 345});
    std::vector<int64_t> txt2 = vocab.encode("Every day holds a", {6109, 1110, 6622, 257});
    Tensor batch = stack({tensor_int64(txt1, {4}), tensor_int64(txt2, {4})}, 0);
    print(batch);
    manual_seed(123);
    DummyGPTModel model(gpt_config_124m());
    Tensor logits = model.forward(batch);  // in training mode, as in the book: dropout is active
    std::cout << "Output shape: " << logits.shape_str() << "\n";
    print(logits);
    return batch;
}

// 4.2: normalising the outputs of a small layer by hand, then with LayerNorm.
static void layer_normalization() {
    heading("4.2 Normalizing activations with layer normalization");
    manual_seed(123);
    Tensor batch_example = zeros({2, 5});  // torch.randn(2, 5): two examples with five features
    normal_(batch_example.data(), batch_example.numel(), 0.0, 1.0);
    Linear linear_layer(5, 6);
    Tensor out = relu(linear_layer.forward(batch_example));
    print(out);
    Tensor mean_ = mean(out, -1, true);
    Tensor var_ = var(out, -1, true);
    std::cout << "Mean:\n " << mean_ << "\nVariance:\n " << var_ << "\n";
    Tensor out_norm = (out - mean_) / sqrt(var_);
    std::cout << "Normalized layer outputs:\n " << out_norm << "\n";
    std::cout << "Mean:\n " << mean(out_norm, -1, true) << "\nVariance:\n " << var(out_norm, -1, true) << "\n";
    PrintOptions options = print_options();
    options.sci_mode = 0;  // torch.set_printoptions(sci_mode=False)
    set_printoptions(options);
    std::cout << "Mean:\n " << mean(out_norm, -1, true) << "\nVariance:\n " << var(out_norm, -1, true) << "\n";

    LayerNorm ln(5);  // the book's version: emb_dim = 5, on batch_example
    Tensor out_ln = ln.forward(batch_example);
    std::cout << "Mean:\n " << mean(out_ln, -1, true) << "\nVariance:\n " << var(out_ln, -1, true, false) << "\n";
}

// 4.3: the feed-forward network keeps the embedding size.
static void feed_forward() {
    heading("4.3 Implementing a feed forward network with GELU activations");
    GPTConfig cfg = gpt_config_124m();
    std::cout << cfg.emb_dim << "\n";
    FeedForward ffn(cfg);
    Tensor x = zeros({2, 3, 768});  // input shape: [batch_size, num_tokens, emb_size]
    uniform_(x.data(), x.numel(), 0.0, 1.0);
    std::cout << ffn.forward(x).shape_str() << "\n";
}

// 4.4: the book's ExampleDeepNeuralNetwork: five Linear+GELU layers, optional shortcuts.
struct ExampleDeepNeuralNetwork : Module {
    std::vector<std::unique_ptr<Linear>> layers;
    bool use_shortcut;

    ExampleDeepNeuralNetwork(const std::vector<int64_t>& layer_sizes, bool shortcut) : use_shortcut(shortcut) {
        for (size_t i = 0; i + 1 < layer_sizes.size(); i++) {
            layers.push_back(std::make_unique<Linear>(layer_sizes[i], layer_sizes[i + 1]));
            register_module("layers." + std::to_string(i) + ".0", *layers.back());  // Sequential(Linear, GELU)
        }
    }

    Tensor forward(Tensor x) const {
        for (const auto& layer : layers) {
            Tensor layer_output = gelu(layer->forward(x));
            x = (use_shortcut && x.shape() == layer_output.shape()) ? x + layer_output : layer_output;
        }
        return x;
    }
};

static void print_gradients(const ExampleDeepNeuralNetwork& model, const Tensor& x) {
    Tensor output = model.forward(x);
    Tensor target = zeros({1, 1});
    Tensor loss = mse_loss(output, target);
    loss.backward();
    for (const NamedTensor& p : model.named_parameters())
        if (p.name.find("weight") != std::string::npos)
            std::cout << p.name << " has gradient mean of " << python_float_repr(mean(abs(p.tensor.grad())).item()) << "\n";
}

static void shortcut_connections() {
    heading("4.4 Adding shortcut connections");
    std::vector<int64_t> layer_sizes = {3, 3, 3, 3, 3, 1};
    Tensor sample_input = tensor({1.0f, 0.0f, -1.0f}).view({1, 3});
    manual_seed(123);
    ExampleDeepNeuralNetwork model_without_shortcut(layer_sizes, false);
    print_gradients(model_without_shortcut, sample_input);
    std::cout << "\n";
    manual_seed(123);
    ExampleDeepNeuralNetwork model_with_shortcut(layer_sizes, true);
    print_gradients(model_with_shortcut, sample_input);
}

// 4.5: a Transformer block keeps the shape of its input.
static void transformer_block() {
    heading("4.5 Connecting attention and linear layers in a transformer block");
    manual_seed(123);
    Tensor x = zeros({2, 4, 768});  // shape [batch_size, num_tokens, emb_dim]
    uniform_(x.data(), x.numel(), 0.0, 1.0);
    TransformerBlock block(gpt_config_124m());
    Tensor output = block.forward(x);
    std::cout << "Input shape: " << x.shape_str() << "\nOutput shape: " << output.shape_str() << "\n";
}

using chapter::with_commas;

// 4.6: the whole model, its output and its size.
static void gpt_model(const GPTModel& model, const Tensor& batch) {
    heading("4.6 Coding the GPT model");
    Tensor out = model.forward(batch);
    std::cout << "Input batch:\n " << batch << "\n\nOutput shape: " << out.shape_str() << "\n";
    print(out);
    int64_t total_params = model.num_parameters();
    std::cout << "Total number of parameters: " << with_commas(total_params) << "\n";
    std::cout << "Token embedding layer shape: " << model.tok_emb.weight.shape_str() << "\n";
    std::cout << "Output layer shape: " << model.out_head.weight.shape_str() << "\n";
    int64_t total_params_gpt2 = total_params - model.out_head.num_parameters();
    std::cout << "Number of trainable parameters considering weight tying: " << with_commas(total_params_gpt2) << "\n";
    double total_size_mb = static_cast<double>(total_params) * 4 / (1024 * 1024);  // float32: 4 bytes each
    std::printf("Total size of the model: %.2f MB\n", total_size_mb);
}

// 4.7: greedy generation from the untrained model.
static void generating_text(GPTModel& model, const chapter::Gpt2Vocabulary& vocab) {
    heading("4.7 Generating text");
    std::vector<int64_t> encoded = vocab.encode("Hello, I am", {15496, 11, 314, 716});
    std::cout << "encoded: " << chapter::python_list(encoded) << "\n";
    Tensor encoded_tensor = tensor_int64(encoded, {static_cast<int64_t>(encoded.size())}).unsqueeze(0);
    std::cout << "encoded_tensor.shape: " << encoded_tensor.shape_str() << "\n";
    model.eval();  // disable dropout
    Tensor out = generate_text_simple(model, encoded_tensor, 6, model.cfg.context_length);
    print("Output:", out);
    std::cout << "Output length: " << out.size(1) << "\n";
    std::cout << vocab.decode(out[0]) << "\n";
}

static int run(int argc, char** argv) {
    chapter::BookFileFlags files;
    FlagParser flags(chapter::program_name(argv), "Book chapter 4: layer norm, GELU, shortcuts, the Transformer "
                                                  "block, GPTModel and generate_text_simple.");
    flags.add_string("--gpt2-dir", &files.gpt2_dir, "folder with GPT-2's encoder.json and vocab.bpe  [data/gpt2]");
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    chapter::Gpt2Vocabulary vocab(files.gpt2_dir);
    Tensor batch = example_batch(vocab);
    layer_normalization();
    feed_forward();
    shortcut_connections();
    transformer_block();
    manual_seed(123);
    GPTModel model(gpt_config_124m());
    gpt_model(model, batch);
    generating_text(model, vocab);
    return 0;
}

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
