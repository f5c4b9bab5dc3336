// SVG pictures: attention-weight heat maps (chapter 3), loss curves (chapter 5), loss and
// accuracy curves (chapter 6), and line plots of any number of series.
#pragma once

#include "tensor/tensor.h"

#include <string>
#include <vector>

namespace llm {

// A heat map of a 2-D tensor (rows × cols), darker = larger, each cell labelled
// with its value; row labels on the left, column labels on top. Written atomically.
void write_heatmap_svg(const std::string& path, const Tensor& matrix, const std::vector<std::string>& row_labels,
                       const std::vector<std::string>& col_labels, const std::string& title);

// A line plot: any number of named series, round ticks and a margin around the data, and
// optionally a second x axis on top (its labels: x · top_scale). With more than three
// series the legend goes to the right of the frame, each name beside its line's style.
struct LineSeries {
    std::string name;
    std::vector<double> values;  // one per x; NaN leaves a gap
    bool dashed = false;
    std::vector<double> x;  // this series' own x; empty: the plot's
};
struct LinePlot {
    std::vector<double> x;
    std::vector<LineSeries> series;
    std::string x_label, y_label;
    double top_scale = 0.0;  // 0: no top axis
    std::string top_label;
    std::string title;
};
void write_line_plot_svg(const std::string& path, const LinePlot& plot);

// The book's figure 5.12: training and validation loss against tokens seen.
void write_loss_svg(const std::string& path, const std::vector<double>& tokens_seen,
                    const std::vector<double>& train_losses, const std::vector<double>& val_losses);

// Chapter 6's plot_values: training and validation values (loss or accuracy) against
// epochs on the bottom axis and examples seen on the top one.
void write_values_svg(const std::string& path, const std::vector<double>& epochs, double examples_per_epoch,
                      const std::vector<double>& train_values, const std::vector<double>& val_values,
                      const std::string& label);

// torch.linspace(start, end, steps) as doubles.
std::vector<double> linspace_values(double start, double end, int64_t steps);

// The attention lab's figure: each variant's validation loss against tokens seen.
struct Curve {
    std::string name;
    std::vector<double> xs, ys;
};
void write_curves_svg(const std::string& path, const std::vector<Curve>& curves, const std::string& title,
                      const std::string& x_label, const std::string& y_label);

}  // namespace llm
