// Chapter 3, section 3.6: multi-head attention.
//
//   build/release/ch03_4_multi_head_attention [--out DIR]   (SVG heat maps; default runs/ch03)
#include "../common.h"
#include "io/plot.h"
#include "nn/nn.h"
#include "random/random.h"

#include <cmath>

using namespace llm;
using chapter::heading;
using chapter::print;

// 3.6.1: two CausalAttention heads side by side.
static void stacked_heads(const Tensor& batch) {
    heading("3.6.1 Stacking multiple single-head attention layers");
    manual_seed(123);
    int64_t context_length = batch.size(1);  // number of tokens
    MultiHeadAttentionWrapper mha(3, 2, context_length, 0.0f, 2);
    Tensor context_vecs = mha.forward(batch);
    print(context_vecs);
    std::cout << "context_vecs.shape: " << context_vecs.shape_str() << "\n";
}

// The batched matrix product the weight-split version relies on: (b, heads, T, d) @ (b, heads, d, T).
static void batched_matmul_demo() {
    Tensor a = tensor({{{{0.2745f, 0.6584f, 0.2775f, 0.8573f},
                         {0.8993f, 0.0390f, 0.9268f, 0.7388f},
                         {0.7179f, 0.7058f, 0.9156f, 0.4340f}},
                        {{0.0772f, 0.3565f, 0.1479f, 0.5331f},
                         {0.4066f, 0.2318f, 0.4545f, 0.9737f},
                         {0.4606f, 0.5159f, 0.4220f, 0.5786f}}}});  // (1, 2, 3, 4)
    print(matmul(a, a.transpose(2, 3)));
    Tensor first_head = a[0][0];
    std::cout << "First head:\n " << matmul(first_head, first_head.T()) << "\n";
    Tensor second_head = a[0][1];
    std::cout << "\nSecond head:\n " << matmul(second_head, second_head.T()) << "\n";
}

// One head's attention weights, recomputed from the module's projections (for the picture).
static Tensor head_weights(const MultiHeadAttention& mha, const Tensor& x, int64_t head) {
    int64_t T = x.size(0);
    Tensor q = mha.W_query.forward(x).view({T, mha.num_heads, mha.head_dim}).transpose(0, 1)[head];
    Tensor k = mha.W_key.forward(x).view({T, mha.num_heads, mha.head_dim}).transpose(0, 1)[head];
    Tensor scores = masked_fill(matmul(q, k.T()), triu(ones({T, T}), 1), -INFINITY);
    return softmax(scores / static_cast<float>(std::sqrt(mha.head_dim)), -1).detach();
}

// 3.6.2: one set of projections, split into heads with view and transpose.
static void weight_splits(const Tensor& batch, const std::string& svg_dir) {
    heading("3.6.2 Implementing multi-head attention with weight splits");
    batched_matmul_demo();
    manual_seed(123);
    int64_t context_length = batch.size(1), d_in = batch.size(2), d_out = 2;
    MultiHeadAttention mha(d_in, d_out, context_length, 0.0f, 2);
    Tensor context_vecs = mha.forward_reference(batch);  // listing 3.5, op by op
    print(context_vecs);
    std::cout << "context_vecs.shape: " << context_vecs.shape_str() << "\n";
    // What the GPT of chapter 4 runs instead: the same maths fused into one op (ops/attention.cpp).
    bool same_bits = mha.forward(batch).values() == context_vecs.values();
    std::cout << "(the fused MultiHeadAttention::forward gives the same bits: " << (same_bits ? "True" : "False")
              << ")\n";

    for (int64_t h = 0; h < mha.num_heads; h++) {
        std::string path = svg_dir + "/ch03_4_head" + std::to_string(h) + "_attention_weights.svg";
        write_heatmap_svg(path, head_weights(mha, batch[0], h), chapter::your_journey_words(),
                          chapter::your_journey_words(), "3.6.2 MultiHeadAttention, head " + std::to_string(h));
        std::cout << "(heat map of head " << h << "'s attention weights written to " << path << ")\n";
    }
}

static int run(int argc, char** argv) {
    std::optional<std::string> svg_dir = chapter::svg_folder(
        "Book section 3.6: the multi-head wrapper and MultiHeadAttention.", argc, argv);
    if (!svg_dir) return 0;  // --help
    Tensor inputs = chapter::your_journey_inputs();
    Tensor batch = stack({inputs, inputs}, 0);
    stacked_heads(batch);
    weight_splits(batch, *svg_dir);
    return 0;
}

int main(int argc, char** argv) { return chapter::run_reporting_errors(run, argc, argv); }
