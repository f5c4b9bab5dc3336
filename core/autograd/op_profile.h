// Where the time of a training step goes, op by op (`bench --config NAME` prints it).
//
// While recording is on, the autograd engine notes two things for every node:
// - forward: the time since the previous node was attached. Every op of a training
//   step ends by attaching its node, so that is the op's own forward time (plus the
//   little module code between two ops);
// - backward: the time its backward function took.
// Rows are kept per grad_fn name and output shape, so the feed-forward's first Linear
// ("ViewBackward0 [2, 256, 3072]", PyTorch's name for a Linear on 3-D input) and its
// second ("ViewBackward0 [2, 256, 768]") are told apart. Bytes are what the op must at
// least move: forward reads its inputs and writes its output; backward reads the
// output's gradient and the inputs and writes one gradient per input.
#pragma once

#include "autograd/autograd.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llm {

struct OpProfileRow {
    std::string op;               // grad_fn name and output shape, e.g. "SoftmaxBackward0 [2, 12, 256, 256]"
    int64_t calls = 0;
    double forward_seconds = 0, backward_seconds = 0;
    double forward_bytes = 0, backward_bytes = 0;
};

// Clears the rows and starts recording; the first op's forward time counts from here.
void op_profile_start();
// Stops recording and returns the rows, the slowest (forward + backward) first.
std::vector<OpProfileRow> op_profile_stop();

// Called by the engine (autograd.cpp); they do nothing unless recording.
void op_profile_forward(const Node& node, const Tensor& output);
// op_profile_clock() is the time in seconds when recording (else 0), taken before the
// backward function; op_profile_backward is called after it with that start time.
double op_profile_clock();
void op_profile_backward(const Node& node, const Tensor& grad_output, const std::vector<Tensor>& input_grads,
                         double started);

}  // namespace llm
