// Autograd: recording nodes and running backward (see autograd/autograd.h).
#include "autograd/autograd.h"

#include "autograd/op_profile.h"
#include "kernels/parallel.h"
#include "tensor/tensor.h"

#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace llm {

namespace {
thread_local bool grad_enabled = true;
}

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
    if (!grad_enabled) return false;
    for (const Tensor* t : inputs)
        if (t->defined() && t->requires_grad()) return true;
    return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
    if (!grad_enabled) return false;
    for (const Tensor& t : inputs)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

Node& attach_node(Tensor& output, const char* name, BackwardFunction backward,
                  std::vector<Tensor> inputs) {
    auto node = std::make_shared<Node>();
    node->name = name;
    node->backward = backward;
    node->inputs = std::move(inputs);
    node->output_shape = output.shape();
    output.impl()->grad_fn = node;
    output.impl()->requires_grad = true;
    op_profile_forward(*node, output);  // bench's per-op profile; nothing unless recording
    return *node;
}

// Depth-first search: a node is appended after all the nodes it reads from.
static void visit(Node* node, std::unordered_set<Node*>& seen, std::vector<Node*>& order) {
    if (!seen.insert(node).second) return;
    for (const Tensor& input : node->inputs)
        if (input.defined() && input.grad_fn() != nullptr) visit(input.grad_fn(), seen, order);
    order.push_back(node);
}

std::vector<Node*> topological_order(Node* root) {
    std::vector<Node*> order;
    std::unordered_set<Node*> seen;
    if (root != nullptr) visit(root, seen, order);
    return order;
}

// A leaf keeps the sum of every gradient that reaches it, across calls too.
static void accumulate_into_leaf(const Tensor& leaf, const Tensor& grad) {
    Tensor current = leaf.grad();
    if (!current.defined()) {
        // The first gradient: adopt its values when no other tensor holds them (the common
        // case, a backward's fresh result); otherwise copy, never aliasing a buffer another
        // node may hold. Adopting saves a copy of every weight's gradient each step.
        bool only_holder = grad.impl_ptr().use_count() == 1 && grad.impl()->storage.use_count() == 1;
        Tensor own = only_holder ? grad.detach() : grad.detach().clone();
        leaf.impl()->grad = own.impl_ptr();
    } else {
        float* g = current.data();
        const float* add = grad.data();
        for (int64_t i = 0, n = current.numel(); i < n; i++) g[i] += add[i];
    }
}

// a + b for two gradients of one shape (a plain loop on all threads: the engine sits below
// the ops; each element is one addition, so any thread count gives the same values).
static Tensor sum_of_gradients(const Tensor& a, const Tensor& b) {
    Tensor out = empty(a.shape());
    float* o = out.data();
    const float *x = a.data(), *y = b.data();
    parallel_for(a.numel(), kElementGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) o[i] = x[i] + y[i];
    });
    return out;
}

static void check_grad_shape(const Node& node, size_t i, const Tensor& input, const Tensor& grad) {
    if (grad.shape() != input.shape())
        throw Error(node.name + " returned a gradient of shape " + shape_to_string(grad.shape()) +
                    " for input " + std::to_string(i) + " of shape " +
                    shape_to_string(input.shape()));
}

// Send one node's input gradients on: into the producing node's pending gradient,
// or into the leaf's .grad (or the captured map, for grad()).
static void pass_gradients(const Node& node, const std::vector<Tensor>& input_grads,
                           std::unordered_map<Node*, Tensor>& pending, GradMap* captured) {
    for (size_t i = 0; i < node.inputs.size() && i < input_grads.size(); i++) {
        const Tensor& input = node.inputs[i];
        const Tensor& grad = input_grads[i];
        if (!grad.defined() || !input.defined() || !input.requires_grad()) continue;
        check_grad_shape(node, i, input, grad);
        if (Node* producer = input.grad_fn()) {
            Tensor& slot = pending[producer];
            slot = slot.defined() ? sum_of_gradients(slot, grad) : grad;
        } else if (captured == nullptr) {
            accumulate_into_leaf(input, grad);
        } else if (auto slot = captured->find(input.impl()); slot != captured->end()) {
            slot->second = slot->second.defined() ? sum_of_gradients(slot->second, grad) : grad;
        }
    }
}

void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph, GradMap* captured) {
    if (!root.requires_grad())
        throw Error("element 0 of tensors does not require grad and does not have a grad_fn");
    if (grad_output.shape() != root.shape())
        throw Error("backward: grad_output has shape " + shape_to_string(grad_output.shape()) +
                    " but the tensor has shape " + shape_to_string(root.shape()));
    NoGradGuard no_grad;  // backward functions compute with ops, without recording them
    if (root.is_leaf()) {
        if (captured == nullptr) accumulate_into_leaf(root, grad_output);
        else if (captured->count(root.impl())) (*captured)[root.impl()] = grad_output;
        return;
    }
    std::vector<Node*> order = topological_order(root.grad_fn());
    std::unordered_map<Node*, Tensor> pending;  // dL/d(output) of each node, summed over its users
    pending[root.grad_fn()] = grad_output;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node* node = *it;
        if (node->freed)
            throw Error("Trying to backward through the graph a second time (or directly access "
                        "saved tensors after they have already been freed). Saved intermediate "
                        "values of the graph are freed when you call backward(). Specify "
                        "retain_graph=true if you need to backward through the graph a second "
                        "time.");
        auto found = pending.find(node);
        if (found == pending.end()) continue;  // no gradient flows through this node
        Tensor grad = found->second;
        pending.erase(found);
        double started = op_profile_clock();  // bench's per-op profile (0 unless recording)
        std::vector<Tensor> input_grads = node->backward(*node, grad);
        op_profile_backward(*node, grad, input_grads, started);
        pass_gradients(*node, input_grads, pending, captured);
        if (!retain_graph) {
            node->saved.clear();
            node->freed = true;
        }
    }
}

// --- the Tensor methods that run the engine (declared in tensor/tensor.h) ---------------

std::string Tensor::grad_fn_name() const { return grad_fn() ? grad_fn()->name : ""; }

void Tensor::backward(bool retain_graph) {
    if (numel() != 1)
        throw Error("grad can be implicitly created only for scalar outputs (this tensor has shape " +
                    shape_to_string(shape()) + "; pass a gradient of that shape to backward)");
    run_backward(*this, ones_like(*this), retain_graph);
}

void Tensor::backward(const Tensor& grad_output, bool retain_graph) {
    run_backward(*this, grad_output, retain_graph);
}


std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, bool retain_graph) {
    if (output.numel() != 1)
        throw Error("grad can be implicitly created only for scalar outputs (shape " +
                    shape_to_string(output.shape()) + ")");
    GradMap captured;
    for (const Tensor& input : inputs) {
        if (!input.is_leaf()) throw Error("grad(): only leaf tensors (made by you, not by an op) are supported");
        captured[input.impl()] = Tensor();
    }
    run_backward(output, ones_like(output), retain_graph, &captured);
    std::vector<Tensor> grads;
    for (const Tensor& input : inputs) {
        Tensor g = captured[input.impl()];
        if (!g.defined())
            throw Error("One of the differentiated Tensors appears to not have been used in the graph.");
        grads.push_back(Tensor(g.shape(), g.values(), g.dtype()));  // an own copy, no history
    }
    return grads;
}

}  // namespace llm
