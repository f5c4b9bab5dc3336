// Tests of bench --config's train_thread_loss_by_op (core/bench/op_thread_loss.cpp): which
// op a step on two threads loses its time in, from the per-op profiles of the turns. The
// profiles are made up, in ms chosen so that every mean and loss is exact.
#include "catch_compat.h"

#include "bench/op_thread_loss.h"

#include <string>
#include <vector>

using llm::OpProfileRow;

namespace {

OpProfileRow profile_row(const std::string& op, double forward_ms, double backward_ms) {
    OpProfileRow row;
    row.op = op;
    row.calls = 1;
    row.forward_seconds = forward_ms / 1e3;
    row.backward_seconds = backward_ms / 1e3;
    return row;
}

}  // namespace

TEST_CASE("train_thread_loss_by_op: each op's loss on two threads, the rest of the step, largest first", "[bench]") {
    // Two turns. The matmul takes 10 and 12 ms on one thread, 6 and 6 on two; dropout 2 and
    // 2 on both; one op runs only in the second two-thread step.
    std::vector<std::vector<OpProfileRow>> one = {{profile_row("matmul", 4, 6), profile_row("dropout", 1, 1)},
                                                  {profile_row("matmul", 5, 7), profile_row("dropout", 1, 1)}};
    std::vector<std::vector<OpProfileRow>> two = {
        {profile_row("matmul", 2, 4), profile_row("dropout", 1, 0.5)},
        {profile_row("matmul", 3, 3), profile_row("dropout", 1, 1.5), profile_row("only on two", 0.5, 0.5)}};
    // The steps: ops 12 and 14 ms on one thread, so the rest is 8 and 10; 7.5 and 9.5 on two, the rest 3.5 and 3.5.
    std::vector<double> one_steps = {0.020, 0.024}, two_steps = {0.011, 0.013};
    std::vector<OpThreadLoss> rows = op_thread_losses(one, two, one_steps, two_steps, 2);
    REQUIRE(rows.size() == 4);
    // dropout: 2 on one, 2 on two: lost 2 - 2/2 = 1. matmul: 11 and 6: 6 - 5.5. The rest: 9 and 3.5: -1.
    CHECK(rows[0].op == "dropout");
    CHECK(rows[0].one_thread_ms == Approx(2.0));
    CHECK(rows[0].all_threads_ms == Approx(2.0));
    CHECK(rows[0].lost_ms == Approx(1.0));
    CHECK(rows[1].op == "matmul");  // ties keep the order by name
    CHECK(rows[1].one_thread_ms == Approx(11.0));
    CHECK(rows[1].all_threads_ms == Approx(6.0));
    CHECK(rows[1].lost_ms == Approx(0.5));
    CHECK(rows[2].op == "only on two");
    CHECK(rows[2].one_thread_ms == 0.0);
    CHECK(rows[2].all_threads_ms == Approx(0.5));
    CHECK(rows[2].lost_ms == Approx(0.5));
    CHECK(rows[3].op == kRestOfStep);
    CHECK(rows[3].one_thread_ms == Approx(9.0));
    CHECK(rows[3].all_threads_ms == Approx(3.5));
    CHECK(rows[3].lost_ms == Approx(-1.0));
    // The losses add up to the gap of the mean steps: 12 - 22 / 2.
    double sum = 0;
    for (const OpThreadLoss& r : rows) sum += r.lost_ms;
    CHECK(sum == Approx(1.0));
}

TEST_CASE("train_thread_loss_by_op: no rows without turns or with lists of different lengths", "[bench]") {
    std::vector<std::vector<OpProfileRow>> one = {{profile_row("matmul", 4, 6)}}, none;
    CHECK(op_thread_losses(none, none, {}, {}, 2).empty());
    CHECK(op_thread_losses(one, one, {0.02}, {0.02, 0.01}, 2).empty());
    CHECK(op_thread_losses(one, none, {0.02}, {0.01}, 2).empty());
}
