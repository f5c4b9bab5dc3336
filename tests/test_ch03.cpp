// Chapter 3 golden tests: the book's printed values (chapter 3, ch03.ipynb, copied here as
// literals), recomputed with the modules and the PyTorch-compatible generator.
#include "catch_compat.h"

#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"

using namespace llm;

namespace {

// "Your journey starts with one step" (book 3.3.1, the input)
Tensor book_inputs() {
    return tensor({{0.43f, 0.15f, 0.89f},
                   {0.55f, 0.87f, 0.66f},
                   {0.57f, 0.85f, 0.64f},
                   {0.22f, 0.58f, 0.33f},
                   {0.77f, 0.25f, 0.10f},
                   {0.05f, 0.80f, 0.55f}});
}

// Every value within half a unit of the book's 4th decimal.
void check_close(const Tensor& t, const std::vector<float>& book) {
    REQUIRE(t.numel() == static_cast<int64_t>(book.size()));
    for (size_t i = 0; i < book.size(); i++) {
        INFO("element " << i);
        CHECK(t.data()[i] == Approx(book[i]).margin(5.1e-5));
    }
}

}  // namespace

TEST_CASE("3.3 simplified self-attention", "[ch03]") {
    Tensor inputs = book_inputs();
    Tensor attn_scores = matmul(inputs, inputs.T());
    // book 3.3.2: attn_scores (first row) and attn_weights (first row), all_context_vecs (row 2)
    check_close(attn_scores[0], {0.9995f, 0.9544f, 0.9422f, 0.4753f, 0.4576f, 0.6310f});
    Tensor attn_weights = softmax(attn_scores, -1);
    check_close(attn_weights[0], {0.2098f, 0.2006f, 0.1981f, 0.1242f, 0.1220f, 0.1452f});
    check_close(matmul(attn_weights, inputs)[1], {0.4419f, 0.6515f, 0.5683f});
}

TEST_CASE("3.4.1 trainable weights step by step (seed 123, torch.rand)", "[ch03][random]") {
    manual_seed(123);
    SelfAttentionV1 sa_v1(3, 2);
    // W_query: torch 1.13's torch.rand(3, 2) for the book's 3.4.1 code (torch_rng.md §4); the
    // notebook prints what it gives, query_2 = tensor([0.4306, 1.4551]), checked next
    check_close(sa_v1.W_query, {0.2961f, 0.5166f, 0.2517f, 0.6886f, 0.0740f, 0.8665f});
    Tensor x_2 = book_inputs()[1];
    check_close(matmul(x_2, sa_v1.W_query), {0.4306f, 1.4551f});
    // book 3.4.2: SelfAttention_v1's output
    Tensor out = sa_v1.forward(book_inputs());
    check_close(out, {0.2996f, 0.8053f, 0.3061f, 0.8210f, 0.3058f, 0.8203f,
                      0.2948f, 0.7939f, 0.2927f, 0.7891f, 0.2990f, 0.8040f});
    CHECK(out.grad_fn_name() == "MmBackward0");
}

TEST_CASE("3.4.2 SelfAttention_v2 (seed 789, nn.Linear init)", "[ch03][random]") {
    manual_seed(789);
    SelfAttentionV2 sa_v2(3, 2);
    // W_query.weight: torch 1.13's nn.Linear init for the book's 3.4.2 code (the notebook
    // prints only the output, checked next)
    check_close(sa_v2.W_query.weight, {0.3161f, 0.4568f, 0.5118f, -0.1683f, -0.3379f, -0.0918f});
    check_close(sa_v2.forward(book_inputs()), {-0.0739f, 0.0713f, -0.0748f, 0.0703f, -0.0749f, 0.0702f,
                                               -0.0760f, 0.0685f, -0.0763f, 0.0679f, -0.0754f, 0.0693f});
}

TEST_CASE("3.5.2 dropout masks (seed 123)", "[ch03][random]") {
    manual_seed(123);
    Tensor mask = dropout(ones({6, 6}), 0.5f, true);
    // book 3.5.2: the book's (non-MKL) mask
    check_close(mask, {2, 2, 0, 2, 2, 0, 0, 0, 0, 2, 0, 2, 2, 2, 2, 2, 0, 2,
                       0, 2, 2, 0, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 2, 2, 2, 0});
}

TEST_CASE("3.5.3 CausalAttention on a batch of two (seed 123)", "[ch03][random]") {
    Tensor batch = stack({book_inputs(), book_inputs()}, 0);
    manual_seed(123);
    CausalAttention ca(3, 2, 6, 0.0f);
    Tensor context_vecs = ca.forward(batch);
    REQUIRE(context_vecs.shape() == Shape{2, 6, 2});
    // book 3.5.3 (both batch items identical)
    std::vector<float> book = {-0.4519f, 0.2216f, -0.5874f, 0.0058f, -0.6300f, -0.0632f,
                               -0.5675f, -0.0843f, -0.5526f, -0.0981f, -0.5299f, -0.1081f};
    check_close(context_vecs[0], book);
    check_close(context_vecs[1], book);
    CHECK(context_vecs.grad_fn_name() == "UnsafeViewBackward0");
}

TEST_CASE("3.6 multi-head attention, wrapper and weight splits (seed 123)", "[ch03][random]") {
    Tensor batch = stack({book_inputs(), book_inputs()}, 0);
    manual_seed(123);
    MultiHeadAttentionWrapper mha_wrapper(3, 2, 6, 0.0f, 2);
    Tensor wrapped = mha_wrapper.forward(batch);
    REQUIRE(wrapped.shape() == Shape{2, 6, 4});
    // book 3.6.1, first and last rows
    check_close(slice(wrapped[0], 0, 0, 1), {-0.4519f, 0.2216f, 0.4772f, 0.1063f});
    check_close(slice(wrapped[1], 0, 5, 6), {-0.5299f, -0.1081f, 0.5077f, 0.3493f});

    manual_seed(123);
    MultiHeadAttention mha(3, 2, 6, 0.0f, 2);
    // out_proj weight and bias: torch 1.13's init for the book's 3.6.2 code (not printed there);
    // then the output, book 3.6.2
    check_close(mha.out_proj.weight, {-0.1668f, 0.2270f, 0.5000f, 0.1317f});
    check_close(mha.out_proj.bias, {0.1934f, 0.6825f});
    Tensor out = mha.forward(batch);
    check_close(out[0], {0.3190f, 0.4858f, 0.2943f, 0.3897f, 0.2856f, 0.3593f,
                         0.2693f, 0.3873f, 0.2639f, 0.3928f, 0.2575f, 0.4028f});
    CHECK(out.grad_fn_name() == "ViewBackward0");
}
