// Losses: cross_entropy (the one GPT training uses), mse_loss and binary cross-entropy.
// Each returns the mean over the batch, as PyTorch's default reduction='mean'.
#include "kernels/fast_exp.h"
#include "ops/internal.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llm {

// --- cross_entropy(logits (N, K), targets (N) int64) -------------------------------
// N rows (B·T for a language model), K classes (V for a language model).
// loss = mean over rows whose target != ignore_index of  -log softmax(logits_n)[t_n]
//      = mean of  log Σ_k exp(logits_nk) - logits_n,t_n

static void check_cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index) {
    if (logits.dim() != 2 || targets.dim() != 1)
        throw Error("cross_entropy: expected logits (N, C) and targets (N), got " + shape_to_string(logits.shape()) +
                    " and " + shape_to_string(targets.shape()) + " (flatten (B, T, V) logits with flatten(0, 1))");
    if (logits.size(0) != targets.size(0))
        throw Error("cross_entropy: Expected input batch_size (" + std::to_string(logits.size(0)) +
                    ") to match target batch_size (" + std::to_string(targets.size(0)) + ").");
    if (targets.dtype() != Dtype::int64)
        throw Error("cross_entropy: targets must be int64 class indices");
    for (float t : targets.values())
        if (static_cast<int64_t>(t) != ignore_index && (t < 0 || t >= static_cast<float>(logits.size(1))))
            throw Error("cross_entropy: Target " + std::to_string(static_cast<int64_t>(t)) + " is out of bounds (" +
                        std::to_string(logits.size(1)) + " classes).");
}

// Rows per thread chunk: enough classes that waking a thread pays off (whole groups of
// kRowsAtOnce rows).
static int64_t groups_grain(int64_t classes) { return 1 + kElementGrain / std::max<int64_t>(1, classes * kRowsAtOnce); }

// Columns of exps held at once: kRowsAtOnce rows of them stay in L1 while they are summed.
constexpr int64_t kChunk = 1024;

// log Σ_k exp(row_k) of `count` rows of K logits (row r at x + r·K): exps in float with
// fast_exp (a loop the compiler vectorises), after the row's max m so nothing overflows,
// summed in double in column order, kRowsAtOnce rows side by side (ops/internal.h):
// log Σ_k exp(row_k) = m + log(the sum). x: (count, K); out: (count)
static void log_sum_exps(const float* x, int64_t count, int64_t K, double* out) {
    float m[kRowsAtOnce];
    double sums[kRowsAtOnce] = {};
    for (int64_t r = 0; r < count; r++) m[r] = max_of(x + r * K, K);
    float exps[kRowsAtOnce][kChunk];
    for (int64_t c0 = 0; c0 < K; c0 += kChunk) {
        int64_t len = std::min(kChunk, K - c0);
        for (int64_t r = 0; r < count; r++)
            for (int64_t c = 0; c < len; c++) exps[r][c] = fast_exp(x[r * K + c0 + c] - m[r]);
        add_row_sums(&exps[0][0], count, len, kChunk, sums);  // continues each row's sum
    }
    for (int64_t r = 0; r < count; r++) out[r] = m[r] + std::log(sums[r]);
}

// The rows' losses are computed in parallel and summed in row order (the same sum for
// any thread count). Ignored rows are not computed.
Tensor cross_entropy_forward(const Tensor& logits, const Tensor& targets, int64_t ignore_index) {
    int64_t rows = logits.size(0), classes = logits.size(1);
    const float *x = logits.data(), *t = targets.data();
    std::vector<double> row_loss(static_cast<size_t>(rows), 0.0);
    int64_t groups = (rows + kRowsAtOnce - 1) / kRowsAtOnce;
    parallel_for(groups, groups_grain(classes), [&](int64_t g0, int64_t g1) {
        for (int64_t r = g0 * kRowsAtOnce; r < std::min(rows, g1 * kRowsAtOnce);) {
            int64_t run = 0;  // consecutive counted rows from r, at most kRowsAtOnce
            while (run < kRowsAtOnce && r + run < rows && static_cast<int64_t>(t[r + run]) != ignore_index) run++;
            if (run == 0) {  // an ignored row
                r++;
                continue;
            }
            double lse[kRowsAtOnce];
            log_sum_exps(x + r * classes, run, classes, lse);
            for (int64_t i = 0; i < run; i++)
                row_loss[r + i] = lse[i] - x[(r + i) * classes + static_cast<int64_t>(t[r + i])];
            r += run;
        }
    });
    double total = 0.0;
    int64_t counted = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (static_cast<int64_t>(t[r]) == ignore_index) continue;
        total += row_loss[r];
        counted++;
    }
    return tensor(static_cast<float>(total / static_cast<double>(counted)));  // nan if all ignored
}

// dL/dlogits_nk = (softmax(logits_n)_k - [k == t_n]) / (number of counted rows); 0 for
// ignored rows. Each row's exps are written into its gradient row, then summed there,
// kRowsAtOnce rows side by side.
std::vector<Tensor> cross_entropy_backward(const Node& node, const Tensor& grad) {
    const Tensor& logits = node.inputs[0];
    const float* t = node.saved[0].data();
    int64_t rows = logits.size(0), classes = logits.size(1), ignore_index = node.ints[0], counted = 0;
    for (int64_t r = 0; r < rows; r++) counted += static_cast<int64_t>(t[r]) != ignore_index;
    Tensor dlogits = empty(logits.shape());  // every row is written below (the ignored ones with 0)
    float scale = grad.item() / static_cast<float>(counted);
    int64_t groups = (rows + kRowsAtOnce - 1) / kRowsAtOnce;
    parallel_for(groups, groups_grain(classes), [&](int64_t g0, int64_t g1) {
        for (int64_t r0 = g0 * kRowsAtOnce; r0 < std::min(rows, g1 * kRowsAtOnce); r0 += kRowsAtOnce) {
            int64_t count = std::min(kRowsAtOnce, rows - r0);
            float* out = dlogits.data() + r0 * classes;  // first exp(x_k - m), then softmax_k = that / Σ
            for (int64_t r = 0; r < count; r++) {
                if (static_cast<int64_t>(t[r0 + r]) == ignore_index) {
                    std::fill(out + r * classes, out + (r + 1) * classes, 0.0f);
                    continue;
                }
                const float* row = logits.data() + (r0 + r) * classes;
                float m = max_of(row, classes);
                for (int64_t c = 0; c < classes; c++) out[r * classes + c] = fast_exp(row[c] - m);
            }
            double totals[kRowsAtOnce] = {};
            add_row_sums(out, count, classes, classes, totals);
            for (int64_t r = 0; r < count; r++) {
                int64_t target = static_cast<int64_t>(t[r0 + r]);
                if (target == ignore_index) continue;
                float* o = out + r * classes;
                for (int64_t c = 0; c < classes; c++) o[c] = static_cast<float>(o[c] / totals[r]) * scale;
                o[target] -= scale;
            }
        }
    });
    return {dlogits};
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index) {
    check_cross_entropy(logits, targets, ignore_index);
    Tensor loss = cross_entropy_forward(logits, targets, ignore_index);
    if (needs_grad({&logits})) {
        Node& node = attach_node(loss, "NllLossBackward0", cross_entropy_backward, {logits});
        node.saved = {targets.detach()};
        node.ints = {ignore_index};
    }
    return loss;
}

// --- mse_loss: mean((x - y)²) ----------------------------------------------------------

static void check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
    if (a.shape() != b.shape())
        throw Error(std::string(op) + ": input of shape " + shape_to_string(a.shape()) +
                    " and target of shape " + shape_to_string(b.shape()) + " must have the same shape");
}

// d mean((x-y)²)/dx = 2(x - y)/n,  d/dy = -2(x - y)/n
std::vector<Tensor> mse_loss_backward(const Node& node, const Tensor& grad) {
    float scale = 2.0f * grad.item() / static_cast<float>(node.inputs[0].numel());
    Tensor dx = map_binary(node.inputs[0], node.inputs[1], "mse_loss", [scale](float x, float y) { return scale * (x - y); });
    return {dx, neg(dx)};
}

Tensor mse_loss(const Tensor& input, const Tensor& target) {
    check_same_shape(input, target, "mse_loss");
    double total = 0.0;
    for (int64_t i = 0, n = input.numel(); i < n; i++) {
        double d = static_cast<double>(input.data()[i]) - target.data()[i];
        total += d * d;
    }
    Tensor loss = tensor(static_cast<float>(total / static_cast<double>(input.numel())));
    if (needs_grad({&input, &target})) attach_node(loss, "MseLossBackward0", mse_loss_backward, {input, target});
    return loss;
}

// --- binary_cross_entropy(p, y) = mean(-(y log p + (1-y) log(1-p))) ----------------------
// Like PyTorch, each log is clamped at -100 so p = 0 or 1 gives a finite loss.

static double clamped_log(double v) { return std::max(std::log(v), -100.0); }

// d/dp = (p - y) / (p (1 - p)) / n   (the denominator kept away from 0 by 1e-12)
std::vector<Tensor> binary_cross_entropy_backward(const Node& node, const Tensor& grad) {
    float scale = grad.item() / static_cast<float>(node.inputs[0].numel());
    return {map_binary(node.inputs[0], node.saved[0], "binary_cross_entropy", [scale](float p, float y) {
        return scale * (p - y) / std::max(p * (1.0f - p), 1e-12f);
    })};
}

Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target) {
    check_same_shape(probs, target, "binary_cross_entropy");
    double total = 0.0;
    for (int64_t i = 0, n = probs.numel(); i < n; i++) {
        double p = probs.data()[i], y = target.data()[i];
        if (p < 0.0 || p > 1.0)
            throw Error("binary_cross_entropy: all elements of input should be between 0 and 1, got " + std::to_string(p));
        total -= y * clamped_log(p) + (1.0 - y) * clamped_log(1.0 - p);
    }
    Tensor loss = tensor(static_cast<float>(total / static_cast<double>(probs.numel())));
    if (needs_grad({&probs}))
        attach_node(loss, "BinaryCrossEntropyBackward0", binary_cross_entropy_backward, {probs}).saved = {target.detach()};
    return loss;
}

// --- binary_cross_entropy_with_logits(z, y) = mean(max(z,0) - z·y + log(1 + e^-|z|)) -------
// The same loss as binary_cross_entropy(sigmoid(z), y), written so it never overflows.

// d/dz = (σ(z) - y) / n
std::vector<Tensor> bce_with_logits_backward(const Node& node, const Tensor& grad) {
    float scale = grad.item() / static_cast<float>(node.inputs[0].numel());
    return {map_binary(node.inputs[0], node.saved[0], "binary_cross_entropy_with_logits", [scale](float z, float y) {
        return scale * (1.0f / (1.0f + std::exp(-z)) - y);
    })};
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target) {
    check_same_shape(logits, target, "binary_cross_entropy_with_logits");
    double total = 0.0;
    for (int64_t i = 0, n = logits.numel(); i < n; i++) {
        double z = logits.data()[i], y = target.data()[i];
        total += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::fabs(z)));
    }
    Tensor loss = tensor(static_cast<float>(total / static_cast<double>(logits.numel())));
    if (needs_grad({&logits}))
        attach_node(loss, "BinaryCrossEntropyWithLogitsBackward0", bce_with_logits_backward, {logits}).saved = {target.detach()};
    return loss;
}

}  // namespace llm
