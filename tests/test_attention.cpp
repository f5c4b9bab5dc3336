// The fused causal attention (ops/attention.cpp) against the book's op-by-op
// MultiHeadAttention (forward_reference): same values, same gradients, same
// dropout draws, for any thread count.
#include "attention_helpers.h"
#include "catch_compat.h"

#include "kernels/parallel.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "random/random.h"

#include <string>
#include <vector>

using namespace llm;

namespace {

struct AttentionShape {
    int64_t batch, tokens, context_length, d_in, d_out, heads;
    double dropout;
};


// Bit for bit: both paths run the same kernels on the same values in the same order.
void require_same(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    REQUIRE(a.size() == b.size());
    for (size_t t = 0; t < a.size(); t++) {
        REQUIRE(a[t].shape() == b[t].shape());
        for (int64_t i = 0; i < a[t].numel(); i++)
            REQUIRE(a[t].data()[i] == b[t].data()[i]);
    }
}

}  // namespace

TEST_CASE("fused causal attention matches the book's op-by-op MultiHeadAttention", "[attention][nn]") {
    // Small odd shapes (the matmul's small-product path, head_dim 1 and 2), then shapes
    // big enough for the blocked kernel, with and without dropout, in train and eval mode;
    // the last two have several blocks of rows (64, 64 and 2; 64 and 65, a lone last row
    // joining the block before it), and the last one keys that are not whole 8×8 blocks
    // for transpose_block (129 tokens, head size 36).
    std::vector<AttentionShape> shapes = {
        {1, 1, 4, 3, 2, 2, 0.0},      {2, 7, 9, 5, 6, 3, 0.0},       {2, 7, 9, 5, 6, 3, 0.5},
        {3, 33, 40, 17, 64, 4, 0.1},  {2, 50, 50, 24, 48, 2, 0.1},   {1, 29, 64, 32, 96, 3, 0.0},
        {1, 130, 130, 8, 64, 2, 0.1}, {1, 129, 140, 8, 36, 1, 0.0},
    };
    for (const AttentionShape& s : shapes) {
        for (bool training : {true, false}) {
            INFO("batch " << s.batch << ", tokens " << s.tokens << ", d_out " << s.d_out << ", heads " << s.heads
                          << ", dropout " << s.dropout << (training ? ", train" : ", eval"));
            manual_seed(123);
            MultiHeadAttention mha(s.d_in, s.d_out, s.context_length, s.dropout, s.heads, true);
            mha.train(training);
            Tensor x = zeros({s.batch, s.tokens, s.d_in});
            normal_(x.data(), x.numel(), 0.0, 1.0);
            std::vector<Tensor> fused = run_attention(mha, x, true, 7);
            std::vector<Tensor> reference = run_attention(mha, x, false, 7);
            require_same(fused, reference);
        }
    }
}

TEST_CASE("fused causal attention gives the same bits on 1 and 2 threads", "[attention][parallel]") {
    manual_seed(123);
    MultiHeadAttention mha(24, 64, 40, 0.1, 4, false);
    Tensor x = zeros({3, 37, 24});
    normal_(x.data(), x.numel(), 0.0, 1.0);
    int saved_threads = num_threads();
    set_num_threads(1);
    std::vector<Tensor> one = run_attention(mha, x, true, 5);
    set_num_threads(2);
    std::vector<Tensor> two = run_attention(mha, x, true, 5);
    set_num_threads(saved_threads);
    require_same(one, two);
}

TEST_CASE("fused causal attention refuses bad shapes with the reason", "[attention][errors]") {
    Tensor q = zeros({2, 5, 6});
    REQUIRE_THROWS_WITH(causal_attention(q, q, zeros({2, 5, 4}), 2, 0.0, false),
                        Catch::Matchers::Contains("must all be (batch, tokens, d_out)"));
    REQUIRE_THROWS_WITH(causal_attention(q, q, q, 4, 0.0, false),
                        Catch::Matchers::Contains("d_out 6 is not divisible by num_heads 4"));
    MultiHeadAttention mha(3, 4, 5, 0.0, 2);
    REQUIRE_THROWS_WITH(mha.forward(zeros({1, 6, 3})),
                        Catch::Matchers::Contains("6 tokens do not fit the context length of 5"));
}
