// The per-op profile of a training step (see autograd/op_profile.h). Nodes are attached
// and backward functions called from the thread that runs the step, so no lock is needed.
#include "autograd/op_profile.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace llm {

namespace {

using Clock = std::chrono::steady_clock;

bool g_recording = false;
Clock::time_point g_last_mark;            // when the previous node was attached
std::map<std::string, OpProfileRow> g_rows;  // by op name and shape

OpProfileRow& row_for(const Node& node) {
    std::string key = node.name + " " + shape_to_string(node.output_shape);
    OpProfileRow& row = g_rows[key];
    row.op = key;
    return row;
}

double bytes_of(const Tensor& t) { return t.defined() ? 4.0 * static_cast<double>(t.numel()) : 0.0; }

double bytes_of(const std::vector<Tensor>& tensors) {
    double total = 0;
    for (const Tensor& t : tensors) total += bytes_of(t);
    return total;
}

}  // namespace

double op_profile_clock() {
    return g_recording ? std::chrono::duration<double>(Clock::now().time_since_epoch()).count() : 0.0;
}

void op_profile_start() {
    g_rows.clear();
    g_recording = true;
    g_last_mark = Clock::now();
}

std::vector<OpProfileRow> op_profile_stop() {
    g_recording = false;
    std::vector<OpProfileRow> rows;
    for (const auto& entry : g_rows) rows.push_back(entry.second);
    std::sort(rows.begin(), rows.end(), [](const OpProfileRow& a, const OpProfileRow& b) {
        return a.forward_seconds + a.backward_seconds > b.forward_seconds + b.backward_seconds;
    });
    return rows;
}

void op_profile_forward(const Node& node, const Tensor& output) {
    if (!g_recording) return;
    Clock::time_point now = Clock::now();
    OpProfileRow& row = row_for(node);
    row.calls++;
    row.forward_seconds += std::chrono::duration<double>(now - g_last_mark).count();
    row.forward_bytes += bytes_of(node.inputs) + bytes_of(output);
    g_last_mark = now;
}

void op_profile_backward(const Node& node, const Tensor& grad_output, const std::vector<Tensor>& input_grads,
                         double started) {
    if (!g_recording) return;
    OpProfileRow& row = row_for(node);
    row.backward_seconds += op_profile_clock() - started;
    row.backward_bytes += bytes_of(grad_output) + bytes_of(node.inputs) + bytes_of(input_grads);
}

}  // namespace llm
