// Chapter 3, section 3.3: self-attention without trainable weights.
//
//   build/release/ch03_1_simplified_self_attention [--out DIR]   (SVG heat maps; default runs/ch03)
#include "../common.h"
#include "io/plot.h"

using namespace llm;
using chapter::heading;
using chapter::print;

// 3.3.1: attention of one query (the 2nd token, "journey") over all inputs.
static Tensor one_query(const Tensor& inputs) {
    heading("3.3.1 A simple self-attention mechanism without trainable weights");
    Tensor query = inputs[1];  // 2nd input token is the query

    Tensor attn_scores_2 = empty({inputs.size(0)});
    for (int64_t i = 0; i < inputs.size(0); i++)  // dot product of every x_i with the query
        attn_scores_2.at({i}) = matmul(inputs[i], query).item();
    print(attn_scores_2);

    Tensor res = tensor(0.0f);  // a dot product written out
    for (int64_t idx = 0; idx < inputs.size(1); idx++) res = res + inputs[0][idx] * query[idx];
    print(res);
    print(matmul(inputs[0], query));  // torch.dot(inputs[0], query)

    Tensor attn_weights_2_tmp = attn_scores_2 / sum(attn_scores_2);
    print("Attention weights:", attn_weights_2_tmp);
    print("Sum:", sum(attn_weights_2_tmp));

    Tensor attn_weights_2_naive = exp(attn_scores_2) / sum(exp(attn_scores_2));  // softmax_naive
    print("Attention weights:", attn_weights_2_naive);
    print("Sum:", sum(attn_weights_2_naive));

    Tensor attn_weights_2 = softmax(attn_scores_2, 0);
    print("Attention weights:", attn_weights_2);
    print("Sum:", sum(attn_weights_2));

    Tensor context_vec_2 = zeros(query.shape());
    for (int64_t i = 0; i < inputs.size(0); i++) context_vec_2 = context_vec_2 + attn_weights_2[i] * inputs[i];
    print(context_vec_2);
    return context_vec_2;
}

// 3.3.2: the same for every query at once, as matrix products.
static void all_queries(const Tensor& inputs, const Tensor& context_vec_2, const std::string& svg_dir) {
    heading("3.3.2 Computing attention weights for all input tokens");
    Tensor attn_scores = empty({6, 6});
    for (int64_t i = 0; i < 6; i++)
        for (int64_t j = 0; j < 6; j++) attn_scores.at({i, j}) = matmul(inputs[i], inputs[j]).item();
    print(attn_scores);

    attn_scores = matmul(inputs, inputs.T());  // inputs @ inputs.T
    print(attn_scores);

    Tensor attn_weights = softmax(attn_scores, -1);
    print(attn_weights);

    double row_2_sum = 0.0;  // Python: sum([0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581])
    for (double w : {0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581}) row_2_sum += w;
    std::cout << "Row 2 sum: " << python_float_repr(row_2_sum) << "\n";
    print("All row sums:", sum(attn_weights, -1));

    Tensor all_context_vecs = matmul(attn_weights, inputs);
    print(all_context_vecs);
    print("Previous 2nd context vector:", context_vec_2);

    std::string path = svg_dir + "/ch03_1_attention_weights.svg";
    write_heatmap_svg(path, attn_weights, chapter::your_journey_words(), chapter::your_journey_words(),
                      "3.3.2 attention weights: softmax(inputs @ inputs.T)");
    std::cout << "\n(heat map of the attention weights written to " << path << ")\n";
}

static int run(int argc, char** argv) {
    std::optional<std::string> svg_dir = chapter::svg_folder(
        "Book section 3.3: attention weights and context vectors without trainable weights.", argc, argv);
    if (!svg_dir) return 0;  // --help
    Tensor inputs = chapter::your_journey_inputs();
    Tensor context_vec_2 = one_query(inputs);
    all_queries(inputs, context_vec_2, *svg_dir);
    return 0;
}

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
