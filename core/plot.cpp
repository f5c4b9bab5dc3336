// SVG output, written by hand: an SVG file is a short text of rectangles and labels.
#include "plot.h"

#include "io.h"

#include <algorithm>
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
