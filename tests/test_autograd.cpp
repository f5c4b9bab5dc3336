// Autograd semantics: backward from a scalar or with a given gradient,
// accumulation, zero_grad, detach, no-grad, and the errors PyTorch raises; and the
// per-op profile the engine records for bench.
#include "catch_compat.h"

#include "autograd/autograd.h"
#include "autograd/op_profile.h"
#include "ops/ops.h"

#include <string>
#include <vector>

using namespace llm;

TEST_CASE("backward from a scalar fills the leaves' grad", "[autograd]") {
    Tensor x = tensor({1.0f, 2.0f, 3.0f}).requires_grad_();
    Tensor y = sum(x * x);  // dy/dx = 2x
    y.backward();
    REQUIRE(x.grad().values() == std::vector<float>{2.0f, 4.0f, 6.0f});
    CHECK(y.grad_fn_name() == "SumBackward0");
    CHECK_FALSE(x.grad().requires_grad());
}

TEST_CASE("backward with an explicit output gradient", "[autograd]") {
    Tensor x = tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}).requires_grad_();
    Tensor y = x * 3.0f;
    y.backward(tensor({{1.0f, 0.0f}, {0.5f, 2.0f}}));
    REQUIRE(x.grad().values() == std::vector<float>{3.0f, 0.0f, 1.5f, 6.0f});
}

TEST_CASE("gradients accumulate across calls until zero_grad", "[autograd]") {
    Tensor w = tensor({2.0f}).requires_grad_();
    for (int i = 0; i < 3; i++) sum(w * 5.0f).backward();
    REQUIRE(w.grad().item() == 15.0f);
    w.zero_grad();
    CHECK_FALSE(w.grad().defined());
    sum(w * 5.0f).backward();
    REQUIRE(w.grad().item() == 5.0f);
}

TEST_CASE("a tensor used twice gets both contributions", "[autograd]") {
    Tensor a = tensor({3.0f}).requires_grad_();
    Tensor b = a * 2.0f;      // b used by two ops below
    Tensor c = b * b + b;     // dc/da = (2b + 1) · 2 = 26 at a = 3
    sum(c).backward();
    REQUIRE(a.grad().item() == 26.0f);
}

TEST_CASE("non-leaf tensors keep no grad, like PyTorch", "[autograd]") {
    Tensor a = tensor({1.0f, 2.0f}).requires_grad_();
    Tensor b = exp(a);
    sum(b).backward();
    CHECK_FALSE(b.grad().defined());
    CHECK_FALSE(b.is_leaf());
    CHECK(a.is_leaf());
}

TEST_CASE("detach shares values and cuts history", "[autograd]") {
    Tensor a = tensor({1.0f, 2.0f}).requires_grad_();
    Tensor b = a * 2.0f;
    Tensor d = b.detach();
    CHECK_FALSE(d.requires_grad());
    CHECK(d.grad_fn() == nullptr);
    d.data()[0] = 10.0f;  // shared storage, as in PyTorch
    CHECK(b.data()[0] == 10.0f);
}

TEST_CASE("no-grad guard records nothing and restores the mode", "[autograd]") {
    Tensor a = tensor({1.0f}).requires_grad_();
    {
        NoGradGuard guard;
        Tensor b = a * 2.0f;
        CHECK_FALSE(b.requires_grad());
        CHECK(b.grad_fn() == nullptr);
        CHECK_FALSE(is_grad_enabled());
    }
    CHECK(is_grad_enabled());
    CHECK((a * 2.0f).requires_grad());
}

TEST_CASE("backward errors name the problem", "[autograd][errors]") {
    Tensor x = tensor({1.0f, 2.0f}).requires_grad_();
    Tensor y = x * 2.0f;
    SECTION("non-scalar without a gradient") {
        REQUIRE_THROWS_WITH(y.backward(), Catch::Matchers::Contains("grad can be implicitly created only for scalar outputs"));
    }
    SECTION("a tensor that does not require grad") {
        Tensor c = tensor({1.0f});
        REQUIRE_THROWS_WITH(c.backward(), Catch::Matchers::Contains("does not require grad"));
    }
    SECTION("a graph already freed") {
        Tensor loss = sum(exp(x));
        loss.backward();
        REQUIRE_THROWS_WITH(loss.backward(), Catch::Matchers::Contains("backward through the graph a second time"));
    }
    SECTION("retain_graph keeps the graph") {
        Tensor loss = sum(exp(x));
        loss.backward(true);
        loss.backward();
        CHECK(x.grad().data()[0] == Approx(2 * std::exp(1.0f)));
    }
    SECTION("a gradient of the wrong shape") {
        REQUIRE_THROWS_WITH(y.backward(ones({3})), Catch::Matchers::Contains("grad_output has shape [3]"));
    }
    SECTION("integer tensors cannot require grad") {
        REQUIRE_THROWS_WITH(tensor_int64({1, 2}).requires_grad_(), Catch::Matchers::Contains("floating point"));
    }
}

TEST_CASE("backward order is topological: each node runs once, after all its users", "[autograd]") {
    Tensor a = tensor({1.0f, 2.0f}).requires_grad_();
    Tensor b = a * 2.0f, c = b + 1.0f, d = b * c;
    Tensor loss = sum(d);
    std::vector<Node*> order = topological_order(loss.grad_fn());
    REQUIRE(order.size() == 4);
    CHECK(order.front() == b.grad_fn());  // inputs come first
    CHECK(order.back() == loss.grad_fn());
    loss.backward();
    // d = 2a (2a + 1): dd/da = 8a + 2
    CHECK(a.grad().values() == std::vector<float>{10.0f, 18.0f});
}

TEST_CASE("grad() returns gradients without touching .grad (appendix A.4)", "[autograd][appendix_a]") {
    // Book appendix A.4: logistic regression, grad(loss, w1) = (tensor([-0.0898]),)
    // and grad(loss, b) = (tensor([-0.0817]),)
    Tensor y = tensor({1.0f}), x1 = tensor({1.1f});
    Tensor w1 = tensor({2.2f}).requires_grad_(), b = tensor({0.0f}).requires_grad_();
    Tensor a = sigmoid(x1 * w1 + b);
    Tensor loss = binary_cross_entropy(a, y);
    std::vector<Tensor> g = grad(loss, {w1, b}, true);
    CHECK(g[0].item() == Approx(-0.0898f).margin(5e-5));
    CHECK(g[1].item() == Approx(-0.0817f).margin(5e-5));
    CHECK_FALSE(w1.grad().defined());
    loss.backward();
    CHECK(w1.grad().item() == g[0].item());
    CHECK(b.grad().item() == g[1].item());
}

TEST_CASE("a gradient passed on unchanged to two tensors is not summed into in place", "[autograd]") {
    // add's backward hands one gradient to both its inputs, so u's and v's pending
    // gradients start as one buffer. Each then gets a second term (u's from 7u, v's from the
    // chain v·1·1·1); neither may be added into the shared buffer, or each input would see
    // the other's term too. With u = 2x, v = 3x: d/dx = 3 + 2·7 + 2 + 3 = 22 (64 when the
    // sums went into the shared buffer: this graph's order brings both terms after it).
    Tensor x = tensor({1.0f, -2.0f}).requires_grad_();
    Tensor u = x * 2.0f, v = x * 3.0f;
    sum(((v * 1.0f) * 1.0f) * 1.0f + (((u * 7.0f) * 1.0f) * 1.0f + (u + v))).backward();
    CHECK(x.grad().values() == std::vector<float>{22.0f, 22.0f});
}

// bench --config's per-op profile (autograd/op_profile.h): rows by grad_fn name and output
// shape, each op's calls, and the bytes it must at least move (4 a float).
TEST_CASE("the op profile counts each op's calls and the bytes it moves", "[autograd]") {
    Tensor x = tensor({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}}).requires_grad_();
    Tensor w = tensor({{0.5f, 1.0f, 1.5f}, {2.0f, 2.5f, 3.0f}}).requires_grad_();
    op_profile_start();
    Tensor y = sum(x * w + x * w);
    y.backward();
    std::vector<OpProfileRow> rows = op_profile_stop();
    REQUIRE(rows.size() == 3);
    auto find = [&](const std::string& op) {
        for (const OpProfileRow& r : rows)
            if (r.op == op) return r;
        FAIL("no row " + op);
        return OpProfileRow{};
    };
    OpProfileRow mul = find("MulBackward0 [2, 3]"), add = find("AddBackward0 [2, 3]"), total = find("SumBackward0 []");
    CHECK(mul.calls == 2);
    CHECK(add.calls == 1);
    CHECK(total.calls == 1);
    CHECK(mul.forward_bytes == 2 * (24 + 24 + 24));   // two inputs and the output, twice
    CHECK(mul.backward_bytes == 2 * (24 + 48 + 48));  // the output's gradient, the inputs, their gradients
    CHECK(add.forward_bytes == 72);
    CHECK(total.forward_bytes == 24 + 4);
    CHECK(total.backward_bytes == 4 + 24 + 24);
    for (size_t i = 0; i < rows.size(); i++) {
        CHECK(rows[i].forward_seconds >= 0.0);
        CHECK(rows[i].backward_seconds >= 0.0);
        if (i > 0)
            CHECK(rows[i - 1].forward_seconds + rows[i - 1].backward_seconds >=
                  rows[i].forward_seconds + rows[i].backward_seconds);
    }
    // Started again, it starts from no rows: what ran since the last start is not kept.
    sum(x * w).backward();
    op_profile_start();
    CHECK(op_profile_stop().empty());
}
