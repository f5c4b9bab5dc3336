// Tensor creation, element access, handle semantics and shape helpers.
#include "catch_compat.h"

#include "ops/ops.h"

using namespace llm;

TEST_CASE("nested lists give the shape and row-major values", "[tensor]") {
    Tensor inputs = tensor({{0.43f, 0.15f, 0.89f}, {0.55f, 0.87f, 0.66f}});
    REQUIRE(inputs.shape() == Shape{2, 3});
    CHECK(inputs.at({1, 0}) == 0.55f);
    CHECK(inputs.at({-1, -1}) == 0.66f);
    Tensor cube = tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
    REQUIRE(cube.shape() == Shape{2, 2, 2});
    CHECK(cube.at({1, 0, 1}) == 6.0f);
    CHECK(tensor(3.5f).dim() == 0);
    CHECK(tensor(3.5f).item() == 3.5f);
    REQUIRE_THROWS_WITH(tensor({{1.0f, 2.0f}, {3.0f}}), Catch::Matchers::Contains("expected sequence of length 2"));
}

TEST_CASE("a Tensor is a handle: copies share values", "[tensor]") {
    Tensor a = zeros({2, 2});
    Tensor b = a;
    b.at({0, 1}) = 5.0f;
    CHECK(a.at({0, 1}) == 5.0f);
    Tensor c = a.clone();
    c.at({0, 1}) = 1.0f;
    CHECK(a.at({0, 1}) == 5.0f);
}

TEST_CASE("factories", "[tensor]") {
    CHECK(ones({2, 3}).values() == std::vector<float>(6, 1.0f));
    CHECK(full({2}, 7.0f).values() == std::vector<float>{7.0f, 7.0f});
    CHECK(arange(4).values() == std::vector<float>{0, 1, 2, 3});
    CHECK(arange(4).dtype() == Dtype::int64);
    CHECK(arange(1, 8, 3).values() == std::vector<float>{1, 4, 7});
    CHECK(empty({0, 3}).numel() == 0);
    CHECK(tril(ones({3, 3})).values() == std::vector<float>{1, 0, 0, 1, 1, 0, 1, 1, 1});
    CHECK(triu(ones({3, 3}), 1).values() == std::vector<float>{0, 1, 1, 0, 0, 1, 0, 0, 0});
    CHECK(tril(ones({2, 3}), -1).values() == std::vector<float>{0, 0, 0, 1, 0, 0});
    Tensor l = linspace(-3.0f, 3.0f, 7);
    CHECK(l.values() == std::vector<float>{-3, -2, -1, 0, 1, 2, 3});
}

TEST_CASE("item and element access check their arguments", "[tensor][errors]") {
    REQUIRE_THROWS_WITH(ones({2}).item(), Catch::Matchers::Contains("a Tensor with 2 elements cannot be converted to Scalar"));
    REQUIRE_THROWS_WITH(ones({2, 3}).at({2, 0}), Catch::Matchers::Contains("index 2 is out of bounds for dimension 0 with size 2"));
    REQUIRE_THROWS_WITH(ones({2, 3}).at({1}), Catch::Matchers::Contains("1 indices for a tensor of shape [2, 3]"));
    REQUIRE_THROWS_WITH(ones({2}).size(1), Catch::Matchers::Contains("Dimension out of range (expected to be in range of [-1, 0], but got 1)"));
    REQUIRE_THROWS_WITH(Tensor().shape(), Catch::Matchers::Contains("undefined tensor"));
    REQUIRE_THROWS_WITH(Tensor({2, 2}, {1.0f}), Catch::Matchers::Contains("1 values do not fill shape [2, 2]"));
}

TEST_CASE("dtype tags: ids and masks are whole numbers", "[tensor]") {
    Tensor ids = tensor_int64({{6109, 3626}, {6109, 1110}});
    CHECK(ids.dtype() == Dtype::int64);
    CHECK(ids.at({1, 1}) == 1110.0f);
    CHECK(triu(ones({2, 2}), 1).to_bool().values() == std::vector<float>{0, 1, 0, 0});
    REQUIRE_THROWS_WITH(tensor_int64({1 << 25}), Catch::Matchers::Contains("2^24"));
}
