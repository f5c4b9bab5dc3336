// bench --config's train_thread_loss_by_op: in which ops a training step on all threads
// loses time against the same step on one thread (bench/op_thread_loss.cpp). Not part of
// the library.
#pragma once

#include "autograd/op_profile.h"

#include <string>
#include <vector>

// One op's time in a step on one thread and on all threads (means over the turns, in ms),
// and what the all-thread step loses in it against perfect scaling: all − one / threads.
struct OpThreadLoss {
    std::string op;  // grad_fn name and output shape, or kRestOfStep
    double one_thread_ms = 0, all_threads_ms = 0, lost_ms = 0;
};

// The row for the step's time outside the ops' own forward and backward.
inline constexpr const char* kRestOfStep = "the rest (AdamW, zero_grad, the engine)";

// one_turns[i] and all_turns[i]: the op profiles of turn i's one-thread and all-thread
// step; one_steps[i] and all_steps[i]: those steps' seconds. One row per op seen in either,
// and kRestOfStep, the largest loss first. The losses add up to mean(all_steps) −
// mean(one_steps) / threads. No rows when there are no turns or the four lengths differ.
std::vector<OpThreadLoss> op_thread_losses(const std::vector<std::vector<llm::OpProfileRow>>& one_turns,
                                           const std::vector<std::vector<llm::OpProfileRow>>& all_turns,
                                           const std::vector<double>& one_steps, const std::vector<double>& all_steps,
                                           int threads);
