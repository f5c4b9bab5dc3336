// Forward semantics of the ops on edge shapes, and the errors they raise.
#include "catch_compat.h"
#include "random_tensor.h"

#include "autograd/autograd.h"
#include "ops/ops.h"
#include "random/random.h"

#include <cstring>

using namespace llm;
using Catch::Matchers::Contains;

TEST_CASE("broadcasting follows PyTorch", "[ops]") {
    Tensor a = tensor({1.0f, 2.0f}).view({2, 1});  // (2, 1); {{1.0f}, {2.0f}} would be ambiguous in C++
    Tensor b = tensor({10.0f, 20.0f, 30.0f});   // (3)
    Tensor c = a + b;
    REQUIRE(c.shape() == Shape{2, 3});
    CHECK(c.values() == std::vector<float>{11, 21, 31, 12, 22, 32});
    CHECK((tensor(2.0f) * ones({2, 2})).shape() == Shape{2, 2});
    CHECK((ones({0, 3}) + ones({3})).shape() == Shape{0, 3});
    REQUIRE_THROWS_WITH(ones({2, 3}) + ones({4}),
                        Contains("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"));
}

TEST_CASE("reductions with dim and keepdim", "[ops]") {
    Tensor x = tensor({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 9.0f}});
    CHECK(sum(x).item() == 24.0f);
    CHECK(sum(x, 0).values() == std::vector<float>{5, 7, 12});
    CHECK(sum(x, -1, true).shape() == Shape{2, 1});
    CHECK(mean(x, 1).values() == std::vector<float>{2, 6});
    CHECK(max(x).item() == 9.0f);
    CHECK(max(x, 1).values() == std::vector<float>{3, 9});
    CHECK(argmax(x, 1).values() == std::vector<float>{2, 2});
    CHECK(argmax(x).item() == 5.0f);
    CHECK(var(x, 1, false, true).values() == std::vector<float>{1.0f, 7.0f});  // unbiased
    CHECK(var(x, 1, false, false).at({0}) == Approx(2.0f / 3.0f));
    CHECK(std::isnan(mean(zeros({0})).item()));
    REQUIRE_THROWS_WITH(sum(x, 2), Contains("Dimension out of range (expected to be in range of [-2, 1], but got 2)"));
}

TEST_CASE("matmul follows Python's @ for every rank", "[ops][matmul]") {
    Tensor v = tensor({1.0f, 2.0f, 3.0f});
    Tensor m = tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 1.0f}});  // (3, 2)
    CHECK(matmul(v, v).dim() == 0);
    CHECK(matmul(v, v).item() == 14.0f);
    CHECK(matmul(v, m).values() == std::vector<float>{4, 5});
    CHECK(matmul(m.T(), v).values() == std::vector<float>{4, 5});
    Tensor batch = stack({m.T(), m.T() * 2.0f});       // (2, 2, 3)
    Tensor out = matmul(batch, m);                      // (2, 2, 2)
    REQUIRE(out.shape() == Shape{2, 2, 2});
    CHECK(out.values() == std::vector<float>{2, 1, 1, 2, 4, 2, 2, 4});
    CHECK(matmul(ones({4, 1, 2, 3}), ones({5, 3, 2})).shape() == Shape{4, 5, 2, 2});
    REQUIRE_THROWS_WITH(matmul(ones({6, 3}), ones({2, 3})), Contains("mat1 and mat2 shapes cannot be multiplied (6x3 and 2x3)"));
    REQUIRE_THROWS_WITH(matmul(ones({3}), ones({2})), Contains("inconsistent tensor size"));
    REQUIRE_THROWS_WITH(matmul(tensor(1.0f), ones({2})), Contains("at least 1D"));
}

TEST_CASE("grad_fn names are PyTorch's", "[ops][autograd]") {
    Tensor x = ones({2, 3}).requires_grad_();
    Tensor w = ones({2, 3}).requires_grad_();
    CHECK(matmul(x, w.T()).grad_fn_name() == "MmBackward0");
    CHECK(matmul(view(x, {1, 2, 3}), w.T()).grad_fn_name() == "UnsafeViewBackward0");
    CHECK(softmax(x, -1).grad_fn_name() == "SoftmaxBackward0");
    CHECK(masked_fill(x, ones({2, 3}), 0.0f).grad_fn_name() == "MaskedFillBackward0");
    CHECK((x / 2.0f).grad_fn_name() == "DivBackward0");
    CHECK(cat({x, w}, 1).grad_fn_name() == "CatBackward0");
    CHECK(linear(x, w, Tensor()).grad_fn_name() == "MmBackward0");
    CHECK(linear(x, w, ones({2})).grad_fn_name() == "AddmmBackward0");
    CHECK(linear(view(x, {1, 2, 3}), w, ones({2})).grad_fn_name() == "ViewBackward0");
    CHECK(w.T().grad_fn_name() == "PermuteBackward0");
    CHECK(cross_entropy(x, tensor_int64({0, 1})).grad_fn_name() == "NllLossBackward0");
    CHECK(embedding(x, tensor_int64({1})).grad_fn_name() == "EmbeddingBackward0");
}

TEST_CASE("shape ops: view shares, transpose copies", "[ops]") {
    Tensor x = arange(6).to_float();
    Tensor v = view(x, {2, -1});
    REQUIRE(v.shape() == Shape{2, 3});
    v.at({0, 0}) = 100.0f;
    CHECK(x.at({0}) == 100.0f);
    Tensor t2 = transpose(v, 0, 1);
    CHECK(t2.values() == std::vector<float>{100, 3, 1, 4, 2, 5});
    CHECK(flatten(ones({2, 3, 4}), 1).shape() == Shape{2, 12});
    CHECK(unsqueeze(ones({2}), -1).shape() == Shape{2, 1});
    CHECK(squeeze(ones({1, 2, 1})).shape() == Shape{2});
    CHECK(squeeze(ones({1, 2}), 1).shape() == Shape{1, 2});  // size 2: unchanged, as PyTorch
    CHECK(permute(ones({2, 3, 4}), {2, 0, 1}).shape() == Shape{4, 2, 3});
    REQUIRE_THROWS_WITH(view(ones({2, 3}), {4, 2}), Contains("shape '[4, 2]' is invalid for input of size 6"));
    REQUIRE_THROWS_WITH(transpose(ones({2, 3}), 0, 2), Contains("Dimension out of range"));
}

TEST_CASE("joining, slicing and indexing", "[ops]") {
    Tensor x = view(arange(12).to_float(), {3, 4});
    CHECK(cat({x, x}, 0).shape() == Shape{6, 4});
    CHECK(stack({x, x}, 2).shape() == Shape{3, 4, 2});
    CHECK(x[1].values() == std::vector<float>{4, 5, 6, 7});
    CHECK(select(x, 1, -1).values() == std::vector<float>{3, 7, 11});
    CHECK(slice(x, 1, -2, 100).values() == std::vector<float>{2, 3, 6, 7, 10, 11});
    CHECK(slice(x, 0, 5, 9).shape() == Shape{0, 4});
    auto parts = split(x, 3, 1);
    REQUIRE(parts.size() == 2);
    CHECK(parts[1].shape() == Shape{3, 1});
    CHECK(chunk(x, 3, 0).size() == 3);
    CHECK(index_select(x, 0, tensor_int64({2, 0})).values() == std::vector<float>{8, 9, 10, 11, 0, 1, 2, 3});
    Tensor filled = masked_fill(x, triu(ones({3, 4}), 1).to_bool(), -INFINITY);
    CHECK(std::isinf(filled.at({0, 1})));
    CHECK(filled.at({1, 1}) == 5.0f);
    REQUIRE_THROWS_WITH(cat({ones({2, 3}), ones({2, 4})}, 0), Contains("Sizes of tensors must match except in dimension 0"));
    REQUIRE_THROWS_WITH(x[3], Contains("index 3 out of range"));
    REQUIRE_THROWS_WITH(index_select(x, 0, tensor_int64({3})), Contains("index 3 out of range"));
    REQUIRE_THROWS_WITH(masked_fill(x, ones({2, 4}), 0.0f), Contains("masked_fill: The size of tensor a (3)"));
}

TEST_CASE("softmax gives the book's weights", "[ops][ch03]") {
    // book 3.3.1: attn_scores_2 and torch.softmax(attn_scores_2, dim=0)
    Tensor scores = tensor({0.9544f, 1.4950f, 1.4754f, 0.8434f, 0.7070f, 1.0865f});
    Tensor w = softmax(scores, 0);
    std::vector<float> book = {0.1385f, 0.2379f, 0.2333f, 0.1240f, 0.1082f, 0.1581f};
    for (size_t i = 0; i < book.size(); i++) CHECK(w.data()[i] == Approx(book[i]).margin(5e-5));
    Tensor big = tensor({1000.0f, 1000.0f});  // no overflow
    CHECK(softmax(big, 0).values() == std::vector<float>{0.5f, 0.5f});
    Tensor masked = tensor({0.0f, -INFINITY});
    CHECK(softmax(masked, 0).values() == std::vector<float>{1.0f, 0.0f});
}

TEST_CASE("layer_norm: zero mean, unit biased variance", "[ops][ch04]") {
    Tensor x = tensor({{-0.1115f, 0.1204f, -0.3696f, -0.2404f, -1.1969f}, {0.2093f, -0.9724f, -0.7550f, 0.3239f, -0.1085f}});
    Tensor y = layer_norm(x, ones({5}), zeros({5}));
    for (int64_t r = 0; r < 2; r++) {
        CHECK(mean(y, 1).at({r}) == Approx(0.0f).margin(1e-6));
        CHECK(var(y, 1, false, false).at({r}) == Approx(1.0f).margin(1e-4));
    }
    REQUIRE_THROWS_WITH(layer_norm(x, ones({4}), zeros({4})), Contains("must both be [5]"));
}

TEST_CASE("cross_entropy, its errors and ignore_index", "[ops]") {
    Tensor logits = tensor({{2.0f, 0.0f}, {0.0f, 2.0f}});
    float expected = std::log(1.0f + std::exp(-2.0f));
    CHECK(cross_entropy(logits, tensor_int64({0, 1})).item() == Approx(expected));
    CHECK(cross_entropy(logits, tensor_int64({0, -100})).item() == Approx(expected));
    CHECK(std::isnan(cross_entropy(logits, tensor_int64({-100, -100})).item()));
    REQUIRE_THROWS_WITH(cross_entropy(logits, tensor_int64({0, 2})), Contains("Target 2 is out of bounds"));
    REQUIRE_THROWS_WITH(cross_entropy(logits, tensor_int64({0})), Contains("Expected input batch_size (2) to match target batch_size (1)"));
}

TEST_CASE("embedding looks up rows and checks ids", "[ops]") {
    Tensor weight = view(arange(6).to_float(), {3, 2});
    Tensor out = embedding(weight, tensor_int64({{2, 0}}));
    REQUIRE(out.shape() == Shape{1, 2, 2});
    CHECK(out.values() == std::vector<float>{4, 5, 0, 1});
    REQUIRE_THROWS_WITH(embedding(weight, tensor_int64({3})), Contains("index 3 is out of range for a table of 3 rows"));
    REQUIRE_THROWS_WITH(embedding(weight, tensor({1.0f})), Contains("indices"));
}

TEST_CASE("dropout: identity in eval, scaled mask in training, mask as gradient", "[ops]") {
    Tensor x = ones({6, 6}).requires_grad_();
    CHECK(dropout(x, 0.5f, false).values() == x.values());
    manual_seed(123);
    Tensor y = dropout(x, 0.5f, true);
    for (float v : y.values()) CHECK((v == 0.0f || v == 2.0f));
    sum(y).backward();
    CHECK(x.grad().values() == y.values());  // d(x · mask)/dx = mask, and x = 1
    CHECK(dropout(x, 1.0f, true).values() == std::vector<float>(36, 0.0f));
    REQUIRE_THROWS_WITH(dropout(x, 1.5f, true), Contains("dropout probability has to be between 0 and 1"));
}

TEST_CASE("dropout keeps its mask as bits: the same values as the book's mask of 0 and 1/(1-p)", "[ops]") {
    const int64_t n = 3 * 1024 + 45;  // chunks of 1024 and a ragged end
    manual_seed(5);
    Tensor x = randn_tensor({3, n / 3}).requires_grad_();  // negative values too: x · 0 is -0 there
    Tensor g = randn_tensor({3, n / 3});
    manual_seed(7);
    Tensor y = dropout(x, 0.1, true);
    (y * g).sum().backward();
    std::vector<float> mask(static_cast<size_t>(n));
    manual_seed(7);
    dropout_mask(mask.data(), n, 0.1);  // the float mask, drawn as PyTorch draws it
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        float want_y = x.data()[i] * mask[static_cast<size_t>(i)], want_dx = g.data()[i] * mask[static_cast<size_t>(i)];
        CHECK(std::memcmp(&y.data()[i], &want_y, sizeof(float)) == 0);  // the same bits, signs of zeros too
        CHECK(std::memcmp(&x.grad().data()[i], &want_dx, sizeof(float)) == 0);
        kept += mask[static_cast<size_t>(i)] != 0.0f;
    }
    CHECK(kept > n * 8 / 10);
    CHECK(kept < n);
}

TEST_CASE("binary cross-entropy agrees with and without logits", "[ops]") {
    Tensor z = tensor({-2.0f, 0.5f, 3.0f});
    Tensor y = tensor({0.0f, 1.0f, 1.0f});
    CHECK(binary_cross_entropy(sigmoid(z), y).item() == Approx(binary_cross_entropy_with_logits(z, y).item()));
    CHECK(mse_loss(tensor({1.0f, 3.0f}), tensor({0.0f, 0.0f})).item() == 5.0f);
    REQUIRE_THROWS_WITH(mse_loss(ones({2}), ones({3})), Contains("must have the same shape"));
}
