// Which ops a step on all threads loses time in (declared in bench/op_thread_loss.h).
// The per-op profile of one step (bench --config's op_profile lines) moves by several
// percent from step to step, more than the ops it is meant to tell apart on two threads;
// summed over the turns of train_thread_scaling, where both thread counts see the same
// spells of the machine, it says which ops scale and which do not.
#include "bench/op_thread_loss.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace {

// Each op's forward + backward seconds summed over the turns, into by_op (ops missing from
// it are added); returns the sum over all ops and turns.
double add_turns(const std::vector<std::vector<llm::OpProfileRow>>& turns, std::map<std::string, double>& by_op) {
    double total = 0;
    for (const std::vector<llm::OpProfileRow>& turn : turns)
        for (const llm::OpProfileRow& row : turn) {
            by_op[row.op] += row.forward_seconds + row.backward_seconds;
            total += row.forward_seconds + row.backward_seconds;
        }
    return total;
}

OpThreadLoss loss_row(const std::string& op, double one_s, double all_s, int threads) {
    return {op, one_s * 1e3, all_s * 1e3, (all_s - one_s / threads) * 1e3};
}

}  // namespace

std::vector<OpThreadLoss> op_thread_losses(const std::vector<std::vector<llm::OpProfileRow>>& one_turns,
                                           const std::vector<std::vector<llm::OpProfileRow>>& all_turns,
                                           const std::vector<double>& one_steps, const std::vector<double>& all_steps,
                                           int threads) {
    const size_t turns = one_turns.size();
    if (turns == 0 || all_turns.size() != turns || one_steps.size() != turns || all_steps.size() != turns) return {};
    std::map<std::string, double> one, all;
    const double one_ops = add_turns(one_turns, one), all_ops = add_turns(all_turns, all);
    for (const auto& entry : one) all[entry.first] += 0.0;  // an op seen on one thread only
    const double n = static_cast<double>(turns);
    std::vector<OpThreadLoss> rows;
    for (const auto& [op, all_s] : all) rows.push_back(loss_row(op, one[op] / n, all_s / n, threads));
    const double one_rest = std::accumulate(one_steps.begin(), one_steps.end(), 0.0) - one_ops;
    const double all_rest = std::accumulate(all_steps.begin(), all_steps.end(), 0.0) - all_ops;
    rows.push_back(loss_row(kRestOfStep, one_rest / n, all_rest / n, threads));
    std::stable_sort(rows.begin(), rows.end(),
                     [](const OpThreadLoss& a, const OpThreadLoss& b) { return a.lost_ms > b.lost_ms; });
    return rows;
}
