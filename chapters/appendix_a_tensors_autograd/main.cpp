// Appendix A of the book, "Introduction to PyTorch", in C++.
// Run it beside the book: each section prints what the book's code prints.
//
//   build/release/appendix_a_tensors_autograd
#include "../common.h"
#include "autograd/autograd.h"
#include "ops/ops.h"
#include "random/random.h"
#include "tensor/print.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using namespace llm;

static void heading(const char* title) { std::cout << "\n== " << title << " ==\n"; }

// --- A.2 Understanding tensors ----------------------------------------------------

static void section_a2() {
    heading("A.2 Understanding tensors");
    Tensor tensor1d = tensor_int64({1, 2, 3});
    std::cout << dtype_name(tensor1d.dtype()) << "\n";            // torch.int64
    Tensor floatvec = tensor({1.0f, 2.0f, 3.0f});
    std::cout << dtype_name(floatvec.dtype()) << "\n";            // torch.float32
    std::cout << dtype_name(tensor1d.to_float().dtype()) << "\n";

    Tensor tensor2d = tensor_int64({{1, 2, 3}, {4, 5, 6}});
    std::cout << tensor2d << "\n";
    std::cout << tensor2d.shape_str() << "\n";
    std::cout << tensor2d.reshape({3, 2}) << "\n";
    std::cout << tensor2d.view({3, 2}) << "\n";
    std::cout << tensor2d.T() << "\n";
    std::cout << tensor2d.matmul(tensor2d.T()) << "\n";            // tensor2d @ tensor2d.T
}

// --- A.3 / A.4 Computation graphs and automatic differentiation -----------------------

static void section_a3_a4() {
    heading("A.3 Seeing models as computation graphs");
    Tensor y = tensor({1.0f});   // true label
    Tensor x1 = tensor({1.1f});  // input feature
    Tensor w1 = tensor({2.2f}).requires_grad_();  // weight (trainable from A.4 on)
    Tensor b = tensor({0.0f}).requires_grad_();   // bias
    Tensor z = x1 * w1 + b;      // net input
    Tensor a = sigmoid(z);       // activation and output
    Tensor loss = binary_cross_entropy(a, y);
    std::cout << "loss: " << loss << "\n";

    heading("A.4 Automatic differentiation made easy");
    // torch.autograd.grad(loss, w1, retain_graph=True) returns a one-element tuple.
    Tensor grad_L_w1 = grad(loss, {w1}, true)[0];
    Tensor grad_L_b = grad(loss, {b}, true)[0];
    std::cout << "(" << grad_L_w1 << ",)\n";
    std::cout << "(" << grad_L_b << ",)\n";
    loss.backward();  // the same numbers, now stored in .grad
    std::cout << w1.grad() << "\n";
    std::cout << b.grad() << "\n";
}

// --- A.5 Implementing multilayer neural networks ------------------------------------
// The book's NeuralNetwork: Linear(in, 30) -> ReLU -> Linear(30, 20) -> ReLU -> Linear(20, out).

struct LinearLayer {
    Tensor weight;  // (out_features, in_features)
    Tensor bias;    // (out_features)
};

// nn.Linear's default initialisation, drawn from the generator as PyTorch draws it.
static LinearLayer make_linear(int64_t in_features, int64_t out_features) {
    LinearLayer layer{zeros({out_features, in_features}), zeros({out_features})};
    init_linear(layer.weight.data(), out_features, in_features, layer.bias.data());
    layer.weight.requires_grad_();
    layer.bias.requires_grad_();
    return layer;
}

struct NeuralNetwork {
    std::vector<LinearLayer> layers;

    NeuralNetwork(int64_t num_inputs, int64_t num_outputs)
        : layers{make_linear(num_inputs, 30), make_linear(30, 20), make_linear(20, num_outputs)} {}

    // x: (batch, num_inputs) -> logits (batch, num_outputs)
    Tensor forward(const Tensor& x) const {
        Tensor h = relu(linear(x, layers[0].weight, layers[0].bias));
        h = relu(linear(h, layers[1].weight, layers[1].bias));
        return linear(h, layers[2].weight, layers[2].bias);
    }

    std::vector<Tensor> parameters() const {
        std::vector<Tensor> params;
        for (const LinearLayer& l : layers) params.insert(params.end(), {l.weight, l.bias});
        return params;
    }

    void print() const {
        std::cout << "NeuralNetwork(\n  (layers): Sequential(\n";
        for (size_t i = 0; i < layers.size(); i++) {
            const Tensor& w = layers[i].weight;
            std::cout << "    (" << 2 * i << "): Linear(in_features=" << w.size(1)
                      << ", out_features=" << w.size(0) << ", bias=True)\n";
            if (i + 1 < layers.size()) std::cout << "    (" << 2 * i + 1 << "): ReLU()\n";
        }
        std::cout << "  )\n)\n";
    }
};

static Tensor rand(const Shape& shape) {
    Tensor t = zeros(shape);
    uniform_(t.data(), t.numel(), 0.0, 1.0);
    return t;
}

static void section_a5() {
    heading("A.5 Implementing multilayer neural networks");
    manual_seed(123);
    NeuralNetwork model(50, 3);
    model.print();
    int64_t num_params = 0;
    for (const Tensor& p : model.parameters()) num_params += p.numel();
    std::cout << "Total number of trainable model parameters: " << num_params << "\n";
    std::cout << "Parameter containing:\n" << model.layers[0].weight << "\n";
    std::cout << model.layers[0].weight.shape_str() << "\n";

    Tensor X = rand({1, 50});
    Tensor out = model.forward(X);
    std::cout << out << "\n";
    {
        NoGradGuard no_grad;  // with torch.no_grad():
        std::cout << model.forward(X) << "\n";
        std::cout << softmax(model.forward(X), 1) << "\n";
    }
}

// --- A.6 / A.7 Data loaders and a typical training loop ---------------------------------

struct ToyData {
    Tensor X_train = tensor({{-1.2f, 3.1f}, {-0.9f, 2.9f}, {-0.5f, 2.6f}, {2.3f, -1.1f}, {2.7f, -1.5f}});
    Tensor y_train = tensor_int64({0, 0, 0, 1, 1});
    Tensor X_test = tensor({{-0.8f, 2.8f}, {2.6f, -1.6f}});
    Tensor y_test = tensor_int64({0, 1});
};

// One pass of DataLoader(dataset, batch_size, shuffle, drop_last): the row indices of each batch.
static std::vector<Tensor> batches_of(int64_t n, int64_t batch_size, bool shuffle, bool drop_last) {
    dataloader_base_seed();  // every iter() of a PyTorch DataLoader draws one number
    std::vector<int64_t> order(n);
    for (int64_t i = 0; i < n; i++) order[i] = i;
    if (shuffle) order = random_sampler_order(n);
    std::vector<Tensor> batches;
    for (int64_t start = 0; start < n; start += batch_size) {
        int64_t len = std::min(batch_size, n - start);
        if (drop_last && len < batch_size) break;
        batches.push_back(tensor_int64(std::vector<int64_t>(order.begin() + start, order.begin() + start + len), {len}));
    }
    return batches;
}

// Plain gradient descent: p <- p - lr · dL/dp (torch.optim.SGD without momentum).
static void sgd_step(const std::vector<Tensor>& params, float lr) {
    for (Tensor p : params) {
        Tensor g = p.grad();
        for (int64_t i = 0; i < p.numel(); i++) p.data()[i] -= lr * g.data()[i];
    }
}

static double compute_accuracy(const NeuralNetwork& model, const Tensor& X, const Tensor& y) {
    NoGradGuard no_grad;
    Tensor predictions = argmax(model.forward(X), 1);
    return static_cast<double>(sum(eq(predictions, y)).item()) / static_cast<double>(y.numel());
}

static void section_a6_a7() {
    heading("A.6 Setting up efficient data loaders");
    ToyData data;
    manual_seed(123);
    std::vector<Tensor> batches = batches_of(5, 2, true, false);
    for (size_t i = 0; i < batches.size(); i++)
        std::cout << "Batch " << i + 1 << ": " << index_select(data.X_train, 0, batches[i]) << " "
                  << index_select(data.y_train, 0, batches[i]) << "\n";

    heading("A.7 A typical training loop");
    manual_seed(123);
    NeuralNetwork model(2, 2);
    const int num_epochs = 3;
    for (int epoch = 0; epoch < num_epochs; epoch++) {
        std::vector<Tensor> train_batches = batches_of(5, 2, true, true);
        for (size_t batch_idx = 0; batch_idx < train_batches.size(); batch_idx++) {
            Tensor features = index_select(data.X_train, 0, train_batches[batch_idx]);
            Tensor labels = index_select(data.y_train, 0, train_batches[batch_idx]);
            Tensor loss = cross_entropy(model.forward(features), labels);
            for (Tensor p : model.parameters()) p.zero_grad();
            loss.backward();
            sgd_step(model.parameters(), 0.5f);
            std::printf("Epoch: %03d/%03d | Batch %03zu/%03zu | Train/Val Loss: %.2f\n", epoch + 1, num_epochs,
                        batch_idx, train_batches.size(), loss.item());
        }
    }
    NoGradGuard no_grad;
    Tensor outputs = model.forward(data.X_train);
    std::cout << outputs << "\n";
    PrintOptions options = print_options();
    options.sci_mode = 0;  // torch.set_printoptions(sci_mode=False)
    set_printoptions(options);
    Tensor probas = softmax(outputs, 1);
    std::cout << probas << "\n";
    Tensor predictions = argmax(probas, 1);
    std::cout << predictions << "\n";
    std::cout << eq(predictions, data.y_train) << "\n";
    std::cout << sum(eq(predictions, data.y_train)) << "\n";
    std::cout << "train accuracy: " << compute_accuracy(model, data.X_train, data.y_train) << "\n";
    std::cout << "test accuracy: " << compute_accuracy(model, data.X_test, data.y_test) << "\n";
}

static int run(int argc, char** argv) {
    FlagParser flags(chapter::program_name(argv), "Book appendix A: tensors, computation graphs, autograd, a small "
                                                  "network and its training loop. No flags.");
    if (!chapter::parse_flags(flags, argc, argv)) return 0;
    section_a2();
    section_a3_a4();
    section_a5();
    section_a6_a7();
    heading("A.8 Saving and loading models / A.9 GPUs");
    std::cout << "Saving and loading arrives with chapter 5 (safetensors checkpoints);\n"
                 "this project trains on the CPU only, so A.9 has no counterpart here.\n";
    return 0;
}

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
