// The attention lab's position schemes, as tables and op-by-op forms (see nn/nn.h):
// Vaswani et al.'s sinusoids, RoPE's cos/sin tables and the book's compute_rope, ALiBi's bias.
#include "nn/nn.h"

#include "ops/ops.h"

#include <cmath>

namespace llm {

// Angles in double, each value rounded once to float.
Tensor sinusoidal_positions(int64_t context_length, int64_t emb_dim) {
    Tensor table = zeros({context_length, emb_dim});
    for (int64_t p = 0; p < context_length; p++)
        for (int64_t j = 0; j < emb_dim; j++) {
            int64_t two_i = j - j % 2;  // columns 2i and 2i + 1 share a frequency
            double angle = static_cast<double>(p) / std::pow(10000.0, static_cast<double>(two_i) / emb_dim);
            table.data()[p * emb_dim + j] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
        }
    return table;
}

// As the book's compute_rope_params: inv_freq = 1 / 10000^(2i/hs) as a float, angles =
// position · inv_freq as floats, cat([angles, angles]); cos and sin each rounded to float.
RopeTables rope_tables(int64_t context_length, int64_t head_dim) {
    int64_t half = head_dim / 2;
    RopeTables t{zeros({context_length, head_dim}), zeros({context_length, head_dim})};
    for (int64_t i = 0; i < half; i++) {
        float inv_freq = static_cast<float>(1.0 / std::pow(10000.0, static_cast<double>(2 * i) / head_dim));
        for (int64_t p = 0; p < context_length; p++) {
            float angle = static_cast<float>(p) * inv_freq;
            float c = static_cast<float>(std::cos(static_cast<double>(angle)));
            float s = static_cast<float>(std::sin(static_cast<double>(angle)));
            for (int64_t j : {i, i + half}) {
                t.cos.data()[p * head_dim + j] = c;
                t.sin.data()[p * head_dim + j] = s;
            }
        }
    }
    return t;
}

// x1, x2 = x[..., :hs/2], x[..., hs/2:]; rotated = cat((-x2, x1), -1); x·cos + rotated·sin,
// with cos and sin the rows of positions start .. start + T - 1.
Tensor rope_reference(const Tensor& x, const Tensor& cos, const Tensor& sin, int64_t start) {
    int64_t num_tokens = x.size(2), head_dim = x.size(3);
    Tensor x1 = slice(x, -1, 0, head_dim / 2);
    Tensor x2 = slice(x, -1, head_dim / 2, head_dim);
    Tensor c = slice(cos, 0, start, start + num_tokens);  // (T, hs), broadcast over (B, heads)
    Tensor s = slice(sin, 0, start, start + num_tokens);
    Tensor rotated = cat({-x2, x1}, -1);
    return x * c + rotated * s;
}

Tensor alibi_bias_matrix(const std::vector<float>& slopes, int64_t rows, int64_t cols, int64_t first_row,
                         int64_t first_col) {
    int64_t heads = static_cast<int64_t>(slopes.size());
    Tensor bias = zeros({heads, rows, cols});
    for (int64_t h = 0; h < heads; h++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++)
                bias.data()[(h * rows + i) * cols + j] =
                    alibi_bias(slopes[static_cast<size_t>(h)], (first_row + i) - (first_col + j));
    return bias;
}

}  // namespace llm
