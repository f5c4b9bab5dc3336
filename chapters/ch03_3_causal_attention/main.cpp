// Chapter 3, section 3.5: hiding future words with causal attention.
//
//   build/release/ch03_3_causal_attention [--out DIR]   (SVG heat maps; default runs/ch03)
#include "../common.h"
#include "io/plot.h"
#include "nn/nn.h"
#include "random/random.h"

#include <cmath>
#include <limits>

using namespace llm;
using chapter::heading;
using chapter::print;

// 3.5.1: mask the attention weights of SelfAttention_v2 (seed 789), two ways.
static Tensor causal_mask(const Tensor& inputs, const std::string& svg_dir) {
    heading("3.5.1 Applying a causal attention mask");
    manual_seed(789);
    SelfAttentionV2 sa_v2(3, 2);
    Tensor queries = sa_v2.W_query.forward(inputs);
    Tensor keys = sa_v2.W_key.forward(inputs);
    Tensor attn_scores = matmul(queries, keys.T());
    float scale = static_cast<float>(std::sqrt(keys.size(-1)));
    Tensor attn_weights = softmax(attn_scores / scale, -1);
    print(attn_weights);

    // Way 1: zero the weights above the diagonal, then renormalise the rows.
    int64_t context_length = attn_scores.size(0);
    Tensor mask_simple = tril(ones({context_length, context_length}));
    print(mask_simple);
    Tensor masked_simple = attn_weights * mask_simple;
    print(masked_simple);
    Tensor row_sums = sum(masked_simple, -1, true);
    print(masked_simple / row_sums);

    // Way 2: set the scores above the diagonal to -inf before the softmax.
    Tensor mask = triu(ones({context_length, context_length}), 1);
    Tensor masked = masked_fill(attn_scores, mask.to_bool(), -std::numeric_limits<float>::infinity());
    print(masked);
    attn_weights = softmax(masked / scale, -1);
    print(attn_weights);

    std::string path = svg_dir + "/ch03_3_causal_attention_weights.svg";
    write_heatmap_svg(path, attn_weights.detach(), chapter::your_journey_words(), chapter::your_journey_words(),
                      "3.5.1 causal attention weights (no token sees the future)");
    std::cout << "(heat map of the causal attention weights written to " << path << ")\n";
    return attn_weights;
}

// 3.5.2: dropout on a matrix of ones, then on the causal weights.
static void masking_with_dropout(const Tensor& attn_weights) {
    heading("3.5.2 Masking additional attention weights with dropout");
    manual_seed(123);
    Dropout drop(0.5f);  // dropout rate of 50%: kept values are scaled by 1 / (1 - 0.5) = 2
    print(drop.forward(ones({6, 6})));
    manual_seed(123);
    print(drop.forward(attn_weights));
}

// 3.5.3: the CausalAttention module on a batch of two copies of the input.
static void compact_class(const Tensor& inputs) {
    heading("3.5.3 Implementing a compact causal self-attention class");
    Tensor batch = stack({inputs, inputs}, 0);  // 2 inputs with 6 tokens each, 3-d embeddings
    std::cout << batch.shape_str() << "\n";
    manual_seed(123);
    int64_t context_length = batch.size(1);
    CausalAttention ca(3, 2, context_length, 0.0f);
    Tensor context_vecs = ca.forward(batch);
    print(context_vecs);
    std::cout << "context_vecs.shape: " << context_vecs.shape_str() << "\n";
}

static int run(int argc, char** argv) {
    std::optional<std::string> svg_dir = chapter::svg_folder(
        "Book section 3.5: the causal mask, dropout on the weights, CausalAttention.", argc, argv);
    if (!svg_dir) return 0;  // --help
    Tensor inputs = chapter::your_journey_inputs();
    Tensor attn_weights = causal_mask(inputs, *svg_dir);
    masking_with_dropout(attn_weights);
    compact_class(inputs);
    return 0;
}

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
