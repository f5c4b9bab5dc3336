// SVG output, written by hand: an SVG file is a short text of rectangles and labels.
#include "io/plot.h"

#include "io/files.h"

#include <algorithm>
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

}  // namespace llm

namespace llm {

// Maps data coordinates into the plot area of the loss figure.
struct LossAxes {
    double x_max, y_min, y_max;
    double left = 60, top = 20, width = 520, height = 300;
    double x(double v) const { return left + width * (x_max > 0 ? v / x_max : 0.0); }
    double y(double v) const { return top + height * (1.0 - (v - y_min) / (y_max - y_min)); }
};

static std::string polyline(const LossAxes& axes, const std::vector<double>& xs, const std::vector<double>& ys,
                            const std::string& color, const std::string& dash) {
    std::string points;
    char buffer[64];
    for (size_t i = 0; i < xs.size(); i++) {
        if (!std::isfinite(ys[i])) continue;
        std::snprintf(buffer, sizeof buffer, "%.1f,%.1f ", axes.x(xs[i]), axes.y(ys[i]));
        points += buffer;
    }
    return "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\" stroke-dasharray=\"" + dash +
           "\" points=\"" + points + "\"/>\n";
}

// Five ticks on each axis, labelled with their values.
static std::string loss_ticks(const LossAxes& axes) {
    std::string svg;
    char buffer[256];
    for (int i = 0; i <= 4; i++) {
        double xv = axes.x_max * i / 4.0, yv = axes.y_min + (axes.y_max - axes.y_min) * i / 4.0;
        std::snprintf(buffer, sizeof buffer,
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%.0f</text>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%.2f</text>\n",
                      axes.x(xv), axes.top + axes.height + 15, xv, axes.left - 5, axes.y(yv) + 4, yv);
        svg += buffer;
    }
    return svg;
}

void write_loss_svg(const std::string& path, const std::vector<double>& tokens_seen,
                    const std::vector<double>& train_losses, const std::vector<double>& val_losses) {
    LossAxes axes{tokens_seen.empty() ? 1.0 : tokens_seen.back(), INFINITY, -INFINITY};
    for (const auto* series : {&train_losses, &val_losses})
        for (double v : *series)
            if (std::isfinite(v)) axes.y_min = std::min(axes.y_min, v), axes.y_max = std::max(axes.y_max, v);
    if (!(axes.y_min < axes.y_max)) axes.y_min = 0.0, axes.y_max = std::isfinite(axes.y_max) ? axes.y_max + 1.0 : 1.0;
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"370\" font-family=\"sans-serif\">\n"
                      "<rect width=\"640\" height=\"370\" fill=\"white\"/>\n"
                      "<rect x=\"60\" y=\"20\" width=\"520\" height=\"300\" fill=\"none\" stroke=\"#888\"/>\n";
    svg += loss_ticks(axes);
    svg += "<text x=\"320\" y=\"362\" text-anchor=\"middle\" font-size=\"12\">Tokens seen</text>\n"
           "<text x=\"14\" y=\"170\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 14 170)\">Loss</text>\n";
    svg += polyline(axes, tokens_seen, train_losses, "#1f77b4", "none");
    svg += polyline(axes, tokens_seen, val_losses, "#ff7f0e", "6,4");
    svg += "<text x=\"470\" y=\"40\" font-size=\"12\" fill=\"#1f77b4\">Training loss</text>\n"
           "<text x=\"470\" y=\"56\" font-size=\"12\" fill=\"#ff7f0e\">Validation loss</text>\n</svg>\n";
    write_file_atomic(path, svg);
}

// Twelve colours that stay apart (matplotlib's tab10 and two more), then dashed repeats.
static const char* kCurveColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                     "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"};

void write_curves_svg(const std::string& path, const std::vector<Curve>& curves, const std::string& title,
                      const std::string& x_label, const std::string& y_label) {
    LossAxes axes{0.0, INFINITY, -INFINITY};
    for (const Curve& c : curves) {
        if (c.xs.size() != c.ys.size()) throw Error("write_curves_svg: curve '" + c.name + "' has unequal xs and ys");
        for (double x : c.xs) axes.x_max = std::max(axes.x_max, x);
        for (double v : c.ys)
            if (std::isfinite(v)) axes.y_min = std::min(axes.y_min, v), axes.y_max = std::max(axes.y_max, v);
    }
    if (!(axes.x_max > 0)) axes.x_max = 1.0;
    if (!(axes.y_min < axes.y_max)) axes.y_min = 0.0, axes.y_max = std::isfinite(axes.y_max) ? axes.y_max + 1.0 : 1.0;
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"370\" font-family=\"sans-serif\">\n"
                      "<rect width=\"760\" height=\"370\" fill=\"white\"/>\n"
                      "<rect x=\"60\" y=\"20\" width=\"520\" height=\"300\" fill=\"none\" stroke=\"#888\"/>\n";
    svg += loss_ticks(axes);
    svg += "<text x=\"320\" y=\"14\" text-anchor=\"middle\" font-size=\"13\">" + escape_xml(title) + "</text>\n"
           "<text x=\"320\" y=\"362\" text-anchor=\"middle\" font-size=\"12\">" + escape_xml(x_label) + "</text>\n"
           "<text x=\"14\" y=\"170\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 14 170)\">" +
           escape_xml(y_label) + "</text>\n";
    char legend[512];
    for (size_t i = 0; i < curves.size(); i++) {
        std::string color = kCurveColors[i % 12], dash = i < 12 ? "none" : "6,4";
        svg += polyline(axes, curves[i].xs, curves[i].ys, color, dash);
        double y = 30 + 18 * static_cast<double>(i);
        std::snprintf(legend, sizeof legend,
                      "<line x1=\"592\" y1=\"%.0f\" x2=\"612\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2\" "
                      "stroke-dasharray=\"%s\"/>\n<text x=\"617\" y=\"%.0f\" font-size=\"12\">",
                      y, y, color.c_str(), dash.c_str(), y + 4);
        svg += legend + escape_xml(curves[i].name) + "</text>\n";
    }
    svg += "</svg>\n";
    write_file_atomic(path, svg);
}

}  // namespace llm
