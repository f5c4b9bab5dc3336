// Big buffers are kept and reused (storage.cpp), and a leaf adopts its first gradient
// only when nothing else holds it (autograd.cpp).
#include "catch_compat.h"

#include "ops.h"
#include "storage.h"
#include "tensor.h"

using namespace llm;

TEST_CASE("a dropped big buffer is reused, and handed out with the asked-for values", "[tensor][storage]") {
    free_kept_storage();
    const int64_t n = 300000;  // 1.2 MB: big enough to be kept
    {
        Tensor big = full({n}, 7.0f);
    }
    REQUIRE(kept_storage_bytes() == static_cast<size_t>(n) * sizeof(float));
    Tensor again = zeros({3, n / 3});
    CHECK(kept_storage_bytes() == 0);  // taken back
    for (int64_t i = 0; i < n; i++) REQUIRE(again.data()[i] == 0.0f);
    {
        Tensor small = full({1000}, 1.0f);  // small buffers go back to the C library
    }
    CHECK(kept_storage_bytes() == 0);
}

TEST_CASE("leaves never share a gradient buffer", "[autograd][storage]") {
    // add's backward hands the same gradient to both inputs; each leaf must get its own.
    Tensor a = zeros({400000}).requires_grad_();
    Tensor b = zeros({400000}).requires_grad_();
    (a + b).sum().backward();
    REQUIRE(a.grad().data() != b.grad().data());
    a.grad().data()[0] = 5.0f;
    CHECK(b.grad().data()[0] == 1.0f);
    // A fresh gradient nobody else holds is adopted; its values are the gradient.
    Tensor c = zeros({400000}).requires_grad_();
    (c * 3.0f).sum().backward();
    CHECK(c.grad().data()[399999] == 3.0f);
}
