// Big buffers are kept and reused (tensor/storage.cpp), and a leaf adopts its first gradient
// only when nothing else holds it (autograd/autograd.cpp).
#include "catch_compat.h"

#include "ops/ops.h"
#include "random/random.h"
#include "tensor/storage.h"
#include "tensor/tensor.h"

#include <limits>
#include <vector>

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
    {
        Tensor activation = full({128, 128}, 1.0f);  // 64 KiB: a batch of one of a width-128 model
    }
    CHECK(kept_storage_bytes() == 128u * 128u * sizeof(float));
    free_kept_storage();
}

TEST_CASE("the cache keeps live plus kept bytes within 1.25 times the peak of live bytes", "[tensor][storage]") {
    free_kept_storage();  // the high-water mark starts again from what is live
    { Tensor peak = zeros({1 << 20}); }  // 4 MB: the mark is now live + 4 MB
    const size_t high_water = high_water_storage_bytes();
    REQUIRE(high_water >= (size_t(1) << 22));
    // 100 buffers of 1 MB, each a new size and dropped at once: kept, they would hold
    // 100 MB; the cache must free the oldest instead.
    for (int64_t i = 0; i < 100; i++) {
        { Tensor t = zeros({(1 << 18) + i}); }
        REQUIRE(high_water_storage_bytes() == high_water);
        REQUIRE(static_cast<double>(live_storage_bytes() + kept_storage_bytes()) <= 1.25 * static_cast<double>(high_water));
    }
    CHECK(kept_storage_bytes() >= (size_t(1) << 22));  // it did keep what fits
    free_kept_storage();
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

namespace {

// Fills the cache with NaN buffers: `copies` of each size, so that every request of those
// sizes gets one back.
void poison_kept_buffers(const std::vector<int64_t>& sizes, int copies) {
    free_kept_storage();
    std::vector<Tensor> held;
    for (int64_t n : sizes)
        for (int c = 0; c < copies; c++) held.push_back(full({n}, std::numeric_limits<float>::quiet_NaN()));
}  // dropping `held` hands them all to the cache

}  // namespace

// Every op that starts from empty() must write every element: an element left unwritten
// would keep a poisoned buffer's NaN.
TEST_CASE("ops that start from an unset buffer write every element of it", "[tensor][storage]") {
    manual_seed(3);
    Tensor x = zeros({4, 96, 128});
    normal_(x.data(), x.numel(), 0.0, 1.0);
    Tensor w = zeros({256, 128}), bias = zeros({256}), row = zeros({128});
    normal_(w.data(), w.numel(), 0.0, 0.1);
    normal_(row.data(), row.numel(), 0.0, 1.0);
    auto op = [&]() {
        Tensor xg = x.detach().requires_grad_(), wg = w.detach().requires_grad_();
        Tensor y = gelu(linear(xg, wg, bias) + linear(xg, wg, Tensor()));  // map_unary, map_binary
        Tensor z = softmax(layer_norm(y, ones({256}), zeros({256})), 1);  // softmax over a middle dim
        Tensor m = matmul(z.transpose(1, 2), z);  // batched
        (m.sum() + (xg * row).sum()).backward();  // a broadcasting map_binary
        return std::vector<Tensor>{y.detach(), z.detach(), m.detach(), xg.grad(), wg.grad()};
    };
    free_kept_storage();
    std::vector<Tensor> clean = op();
    poison_kept_buffers({4 * 96 * 128, 4 * 96 * 256, 256 * 128, 4 * 256 * 256}, 24);
    REQUIRE(kept_storage_bytes() > 0);
    std::vector<Tensor> poisoned = op();
    for (size_t t = 0; t < clean.size(); t++)
        for (int64_t i = 0; i < clean[t].numel(); i++) REQUIRE(poisoned[t].data()[i] == clean[t].data()[i]);
    free_kept_storage();
}
