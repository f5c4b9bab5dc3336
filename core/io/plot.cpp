// SVG output, written by hand: an SVG file is a short text of rectangles and labels.
#include "io/plot.h"

#include "io/files.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace llm {

// Text inside SVG must escape &, < and >.
static std::string escape_xml(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '"') out += "&quot;";
        else out += c;
    }
    return out;
}

// White (0) to deep blue (1).
static std::string cell_color(float t) {
    t = std::clamp(t, 0.0f, 1.0f);
    int r = static_cast<int>(247 - t * (247 - 8));
    int g = static_cast<int>(251 - t * (251 - 48));
    int b = static_cast<int>(255 - t * (255 - 107));
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", r, g, b);
    return buffer;
}

void write_heatmap_svg(const std::string& path, const Tensor& matrix, const std::vector<std::string>& row_labels,
                       const std::vector<std::string>& col_labels, const std::string& title) {
    if (matrix.dim() != 2) throw Error("write_heatmap_svg: expected a 2-D tensor, got " + shape_to_string(matrix.shape()));
    int64_t rows = matrix.size(0), cols = matrix.size(1);
    const int cell = 56, left = 90, top = 90;
    float lo = *std::min_element(matrix.values().begin(), matrix.values().end());
    float hi = *std::max_element(matrix.values().begin(), matrix.values().end());
    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << left + cols * cell + 20 << "\" height=\""
        << top + rows * cell + 20 << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"10\" y=\"20\" font-size=\"14\">" << escape_xml(title) << "</text>\n";
    for (int64_t j = 0; j < cols; j++) {
        std::string label = j < static_cast<int64_t>(col_labels.size()) ? col_labels[j] : std::to_string(j);
        svg << "<text transform=\"translate(" << left + j * cell + cell / 2 << "," << top - 8
            << ") rotate(-45)\">" << escape_xml(label) << "</text>\n";
    }
    for (int64_t i = 0; i < rows; i++) {
        std::string label = i < static_cast<int64_t>(row_labels.size()) ? row_labels[i] : std::to_string(i);
        svg << "<text x=\"" << left - 8 << "\" y=\"" << top + i * cell + cell / 2 + 4 << "\" text-anchor=\"end\">"
            << escape_xml(label) << "</text>\n";
        for (int64_t j = 0; j < cols; j++) {
            float v = matrix.data()[i * cols + j];
            float t = hi > lo ? (v - lo) / (hi - lo) : 0.0f;
            char value[32];
            std::snprintf(value, sizeof value, "%.2f", v);
            svg << "<rect x=\"" << left + j * cell << "\" y=\"" << top + i * cell << "\" width=\"" << cell
                << "\" height=\"" << cell << "\" fill=\"" << cell_color(t) << "\" stroke=\"white\"/>\n"
                << "<text x=\"" << left + j * cell + cell / 2 << "\" y=\"" << top + i * cell + cell / 2 + 4
                << "\" text-anchor=\"middle\" fill=\"" << (t > 0.6f ? "white" : "black") << "\">" << value << "</text>\n";
        }
    }
    svg << "</svg>\n";
    write_file_atomic(path, svg.str());
}

// --- line plots ------------------------------------------------------------------------

namespace {

// An axis from `lo` to `hi` with round ticks: a step of 1, 2, 2.5 or 5 times a power of
// ten, about five of them, and the axis widened to whole steps so the data never touches
// the frame.
struct Axis {
    double lo, hi, step;
    int decimals;  // enough for the step (2.5 needs one more than 2)
};

Axis round_axis(double lo, double hi) {
    if (!(lo < hi)) lo -= 0.5, hi += 0.5;
    double pad = 0.04 * (hi - lo);  // a margin around the data, then whole steps
    lo -= pad, hi += pad;
    double raw = (hi - lo) / 5, power = std::pow(10.0, std::floor(std::log10(raw))), step = 10 * power;
    for (double m : {1.0, 2.0, 2.5, 5.0})
        if (m * power >= raw) {
            step = m * power;
            break;
        }
    int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    if (std::fmod(step / std::pow(10.0, -decimals), 1.0) > 1e-6 || step / std::pow(10.0, -decimals) == 2.5) decimals++;
    return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step, decimals};
}

// The frame of a line plot and where data coordinates land in it.
struct Frame {
    Axis x, y;
    double left = 70, top = 50, width = 500, height = 280;
    double px(double v) const { return left + width * (v - x.lo) / (x.hi - x.lo); }
    double py(double v) const { return top + height * (1.0 - (v - y.lo) / (y.hi - y.lo)); }
};

std::string tick_text(double value, int decimals) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, std::fabs(value) < 1e-12 ? 0.0 : value);
    return buffer;
}

std::string polyline(const Frame& f, const std::vector<double>& xs, const std::vector<double>& ys,
                     const std::string& color, const std::string& dash) {
    std::string points;
    char buffer[64];
    for (size_t i = 0; i < xs.size() && i < ys.size(); i++) {
        if (!std::isfinite(ys[i])) continue;
        std::snprintf(buffer, sizeof buffer, "%.1f,%.1f ", f.px(xs[i]), f.py(ys[i]));
        points += buffer;
    }
    return "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\" stroke-dasharray=\"" + dash +
           "\" points=\"" + points + "\"/>\n";
}

// Ticks and labels: x below the frame, y on its left; with top_scale > 0 a second x axis
// on top whose labels are the bottom's values times top_scale.
std::string ticks(const Frame& f, double top_scale) {
    std::string svg;
    char buffer[320];
    for (double v = f.x.lo; v <= f.x.hi + f.x.step / 2; v += f.x.step) {
        std::snprintf(buffer, sizeof buffer, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
                      f.px(v), f.top + f.height + 15, tick_text(v, f.x.decimals).c_str());
        svg += buffer;
        if (top_scale > 0) {
            std::snprintf(buffer, sizeof buffer, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
                          f.px(v), f.top - 6, tick_text(v * top_scale, 0).c_str());
            svg += buffer;
        }
    }
    for (double v = f.y.lo; v <= f.y.hi + f.y.step / 2; v += f.y.step) {
        std::snprintf(buffer, sizeof buffer, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
                      f.left - 5, f.py(v) + 4, tick_text(v, f.y.decimals).c_str());
        svg += buffer;
    }
    return svg;
}

const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                         "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"};

}  // namespace

// The names of the series: inside the frame's top right corner, or, with more than three,
// to the right of the frame with a short line in each series' style.
static std::string legend(const LinePlot& plot) {
    std::ostringstream svg;
    bool outside = plot.series.size() > 3;
    for (size_t i = 0; i < plot.series.size(); i++) {
        const LineSeries& s = plot.series[i];
        std::string color = kColors[i % (sizeof kColors / sizeof kColors[0])], dash = s.dashed ? "6,4" : "none";
        size_t y = 68 + 16 * i;
        if (outside)
            svg << "<line x1=\"582\" y1=\"" << y - 4 << "\" x2=\"602\" y2=\"" << y - 4 << "\" stroke=\"" << color
                << "\" stroke-width=\"2\" stroke-dasharray=\"" << dash << "\"/>\n<text x=\"607\" y=\"" << y
                << "\" font-size=\"12\">" << escape_xml(s.name) << "</text>\n";
        else
            svg << "<text x=\"572\" y=\"" << y << "\" text-anchor=\"end\" font-size=\"12\" fill=\"" << color << "\">"
                << escape_xml(s.name) << "</text>\n";
    }
    return svg.str();
}

void write_line_plot_svg(const std::string& path, const LinePlot& plot) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (const LineSeries& series : plot.series) {
        const std::vector<double>& xs = series.x.empty() ? plot.x : series.x;
        if (xs.size() != series.values.size())
            throw Error("write_line_plot_svg: '" + path + "': series '" + series.name + "' has " +
                        std::to_string(series.values.size()) + " values for " + std::to_string(xs.size()) + " x");
        for (double v : xs) xlo = std::min(xlo, v), xhi = std::max(xhi, v);
        for (double v : series.values)
            if (std::isfinite(v)) ylo = std::min(ylo, v), yhi = std::max(yhi, v);
    }
    if (!std::isfinite(xlo)) xlo = 0, xhi = 1;
    if (!std::isfinite(ylo)) ylo = 0, yhi = 1;
    Frame f{round_axis(xlo, xhi), round_axis(ylo, yhi)};
    int width = plot.series.size() > 3 ? 780 : 640;
    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"390\" font-family=\"sans-serif\">\n"
        << "<rect width=\"" << width << "\" height=\"390\" fill=\"white\"/>\n"
        << "<rect x=\"70\" y=\"50\" width=\"500\" height=\"280\" fill=\"none\" stroke=\"#888\"/>\n"
        << ticks(f, plot.top_scale)
        << "<text x=\"320\" y=\"372\" text-anchor=\"middle\" font-size=\"12\">" << escape_xml(plot.x_label) << "</text>\n"
        << "<text x=\"16\" y=\"190\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 190)\">"
        << escape_xml(plot.y_label) << "</text>\n";
    if (plot.top_scale > 0)
        svg << "<text x=\"320\" y=\"24\" text-anchor=\"middle\" font-size=\"12\">" << escape_xml(plot.top_label) << "</text>\n";
    else if (!plot.title.empty())
        svg << "<text x=\"320\" y=\"30\" text-anchor=\"middle\" font-size=\"13\">" << escape_xml(plot.title) << "</text>\n";
    for (size_t i = 0; i < plot.series.size(); i++) {
        const LineSeries& s = plot.series[i];
        svg << polyline(f, s.x.empty() ? plot.x : s.x, s.values, kColors[i % (sizeof kColors / sizeof kColors[0])],
                        s.dashed ? "6,4" : "none");
    }
    svg << legend(plot) << "</svg>\n";
    write_file_atomic(path, svg.str());
}

void write_loss_svg(const std::string& path, const std::vector<double>& tokens_seen,
                    const std::vector<double>& train_losses, const std::vector<double>& val_losses) {
    write_line_plot_svg(path, {tokens_seen, {{"Training loss", train_losses, false, {}}, {"Validation loss", val_losses, true, {}}},
                               "Tokens seen", "Loss", 0.0, "", ""});
}

void write_values_svg(const std::string& path, const std::vector<double>& epochs, double examples_per_epoch,
                      const std::vector<double>& train_values, const std::vector<double>& val_values,
                      const std::string& label) {
    std::string y_label = label;  // label.capitalize()
    if (!y_label.empty()) y_label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(y_label[0])));
    std::string train_name = "Training ", val_name = "Validation ";
    train_name.append(label);
    val_name.append(label);
    write_line_plot_svg(path, {epochs, {{train_name, train_values, false, {}}, {val_name, val_values, true, {}}}, "Epochs",
                               y_label, examples_per_epoch, "Examples seen", ""});
}

std::vector<double> linspace_values(double start, double end, int64_t steps) {
    std::vector<double> values;
    for (int64_t i = 0; i < steps; i++)
        values.push_back(steps == 1 ? start : start + (end - start) * static_cast<double>(i) / static_cast<double>(steps - 1));
    return values;
}

void write_curves_svg(const std::string& path, const std::vector<Curve>& curves, const std::string& title,
                      const std::string& x_label, const std::string& y_label) {
    LinePlot plot;
    plot.x_label = x_label, plot.y_label = y_label, plot.title = title;
    for (size_t i = 0; i < curves.size(); i++)  // twelve colours, then the same twelve dashed
        plot.series.push_back({curves[i].name, curves[i].ys, i >= 12, curves[i].xs});
    write_line_plot_svg(path, plot);
}

}  // namespace llm
