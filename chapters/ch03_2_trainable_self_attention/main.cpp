// Chapter 3, section 3.4: self-attention with trainable weights.
//
//   build/release/ch03_2_trainable_self_attention [--out DIR]   (SVG heat maps; default runs/ch03)
#include "../common.h"
#include "io/plot.h"
#include "nn/nn.h"
#include "random/random.h"

#include <cmath>

using namespace llm;
using chapter::heading;
using chapter::print;

// torch.rand(rows, cols), a plain tensor (the book wraps it with requires_grad=False).
static Tensor rand_matrix(int64_t rows, int64_t cols) {
    Tensor t = zeros({rows, cols});
    uniform_(t.data(), t.numel(), 0.0, 1.0);
    return t;
}

// 3.4.1: query, keys and values of the 2nd token, step by step.
static void step_by_step(const Tensor& inputs, const std::string& svg_dir) {
    heading("3.4.1 Computing the attention weights step by step");
    Tensor x_2 = inputs[1];  // second input element
    int64_t d_in = inputs.size(1), d_out = 2;
    manual_seed(123);
    Tensor W_query = rand_matrix(d_in, d_out);
    Tensor W_key = rand_matrix(d_in, d_out);
    Tensor W_value = rand_matrix(d_in, d_out);

    Tensor query_2 = matmul(x_2, W_query);
    print(query_2);
    Tensor keys = matmul(inputs, W_key);
    Tensor values = matmul(inputs, W_value);
    std::cout << "keys.shape: " << keys.shape_str() << "\n";
    std::cout << "values.shape: " << values.shape_str() << "\n";

    Tensor keys_2 = keys[1];
    print(matmul(query_2, keys_2));  // attn_score_22 = query_2.dot(keys_2)
    Tensor attn_scores_2 = matmul(query_2, keys.T());  // all attention scores for the given query
    print(attn_scores_2);

    int64_t d_k = keys.size(-1);
    Tensor attn_weights_2 = softmax(attn_scores_2 / static_cast<float>(std::sqrt(d_k)), -1);
    print(attn_weights_2);
    print(matmul(attn_weights_2, values));  // context_vec_2

    Tensor all_weights = softmax(matmul(matmul(inputs, W_query), keys.T()) / static_cast<float>(std::sqrt(d_k)), -1);
    std::string path = svg_dir + "/ch03_2_attention_weights.svg";
    write_heatmap_svg(path, all_weights, chapter::your_journey_words(), chapter::your_journey_words(),
                      "3.4 attention weights: softmax(Q K^T / sqrt(d_k)), seed 123");
    std::cout << "(heat map of the attention weights written to " << path << ")\n";
}

// 3.4.2: the same as a module, first with plain parameters, then with nn.Linear layers.
static void compact_classes(const Tensor& inputs) {
    heading("3.4.2 Implementing a compact SelfAttention class");
    manual_seed(123);
    SelfAttentionV1 sa_v1(3, 2);
    print(sa_v1.forward(inputs));

    manual_seed(789);
    SelfAttentionV2 sa_v2(3, 2);
    print(sa_v2.forward(inputs));
}

static int run(int argc, char** argv) {
    std::optional<std::string> svg_dir = chapter::svg_folder(
        "Book section 3.4: query, key and value weights; SelfAttention_v1 and _v2.", argc, argv);
    if (!svg_dir) return 0;  // --help
    Tensor inputs = chapter::your_journey_inputs();
    step_by_step(inputs, *svg_dir);
    compact_classes(inputs);
    return 0;
}

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
