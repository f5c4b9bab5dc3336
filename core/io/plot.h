// SVG pictures: attention-weight heat maps (chapter 3) and loss curves (chapter 5).
#pragma once

#include "tensor/tensor.h"

#include <string>
#include <vector>

namespace llm {

// A heat map of a 2-D tensor (rows × cols), darker = larger, each cell labelled
// with its value; row labels on the left, column labels on top. Written atomically.
void write_heatmap_svg(const std::string& path, const Tensor& matrix, const std::vector<std::string>& row_labels,
                       const std::vector<std::string>& col_labels, const std::string& title);

// The book's figure 5.12: training and validation loss against tokens seen, one
// polyline each, with axes, ticks and a legend. The three vectors have equal length.
void write_loss_svg(const std::string& path, const std::vector<double>& tokens_seen,
                    const std::vector<double>& train_losses, const std::vector<double>& val_losses);

// One named line of a write_curves_svg figure: ys[i] at xs[i] (non-finite ys are skipped).
struct Curve {
    std::string name;
    std::vector<double> xs, ys;
};

// Several curves on one pair of axes (the attention lab's validation losses, one per
// variant), each in its own colour and dash, named in a legend to the right.
void write_curves_svg(const std::string& path, const std::vector<Curve>& curves, const std::string& title,
                      const std::string& x_label, const std::string& y_label);

}  // namespace llm
