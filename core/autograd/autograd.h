// Autograd, like micrograd but at tensor level.
//
// Every op whose inputs require a gradient attaches a Node to its result: the
// op's name, the inputs it read, anything else its backward needs, and a
// pointer to its named backward function. `loss.backward()` orders the nodes
// topologically and calls the backward functions from the loss down to the
// leaves; each returns one gradient per input, which is added into that input's
// node (or, for a leaf such as a weight, into its .grad).
#pragma once

#include "tensor/tensor.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace llm {

// A backward function: given the node and dL/d(output), return dL/d(input) for
// every input, in order (an undefined Tensor where an input needs none).
using BackwardFunction = std::vector<Tensor> (*)(const Node& node, const Tensor& grad_output);

struct Node {
    std::string name;                  // PyTorch's grad_fn name, e.g. "SoftmaxBackward0"
    BackwardFunction backward = nullptr;
    std::vector<Tensor> inputs;        // the tensors the op read, in order
    std::vector<Tensor> saved;         // extra tensors backward needs (detached: no cycles)
    std::vector<int64_t> ints;         // integer arguments: dims, sizes, indices
    std::vector<double> numbers;       // real arguments: a scalar, eps, p
    Shape output_shape;                // the shape of the op's result
    bool freed = false;                // set after backward without retain_graph
};

// True when grad mode is on and some input requires a gradient: only then does
// an op record a Node.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Attach a new Node to `output` and return it so the op can fill `saved`,
// `ints` and `numbers`. Marks the output as requiring grad.
Node& attach_node(Tensor& output, const char* name, BackwardFunction backward,
                  std::vector<Tensor> inputs);

// Run backpropagation from `root` (see Tensor::backward). When `captured` is
// given, gradients reaching its leaves are summed there instead of into .grad.
using GradMap = std::unordered_map<const TensorData*, Tensor>;
void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph,
                  GradMap* captured = nullptr);

// torch.autograd.grad(output, inputs): d(output)/d(input) for each leaf input,
// returned rather than added into .grad. `output` must hold one value.
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs,
                         bool retain_graph = false);

// The nodes reachable from `root`, in topological order (inputs before users).
// backward() walks this list from the end; printed by the debugging walkthrough.
std::vector<Node*> topological_order(Node* root);

// Grad mode, like torch.is_grad_enabled(). NoGradGuard turns it off for a scope,
// like `with torch.no_grad():`.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);
class NoGradGuard {
public:
    NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
    ~NoGradGuard() { set_grad_enabled(previous_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;
private:
    bool previous_;
};

}  // namespace llm
