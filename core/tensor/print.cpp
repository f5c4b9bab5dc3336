// Printing tensors as PyTorch does. Three steps, as in torch/_tensor_str.py:
//  1. summarise: above `threshold` elements, keep `edgeitems` at each end of every dim;
//  2. choose one number format for the whole tensor from the values that are printed
//     (fixed 4 decimals, whole numbers as `2.`, or scientific) and its column width;
//  3. lay out nested brackets, wrap long rows at 80 columns, add the grad_fn suffix.
#include "tensor/print.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace llm {

PrintOptions& print_options() {
    static PrintOptions options;
    return options;
}

void set_printoptions(const PrintOptions& options) { print_options() = options; }

// --- step 1: which elements are printed -----------------------------------------

// A (possibly summarised) view of the tensor: for each dim, the indices printed,
// with -1 standing for the `...` gap.
struct Layout {
    const float* data;
    std::vector<int64_t> shape;
    std::vector<int64_t> strides;  // row-major strides of the full tensor
    bool summarize;
};

// Indices printed along a dim of size n: all of them, or the edges around a gap (-1).
static std::vector<int64_t> printed_indices(int64_t n, const Layout& layout) {
    int64_t edge = print_options().edgeitems;
    std::vector<int64_t> idx;
    if (layout.summarize && n > 2 * edge) {
        for (int64_t i = 0; i < edge; i++) idx.push_back(i);
        idx.push_back(-1);
        for (int64_t i = n - edge; i < n; i++) idx.push_back(i);
    } else {
        for (int64_t i = 0; i < n; i++) idx.push_back(i);
    }
    return idx;
}

// Every printed value (skipping gaps), in order: the formatter looks only at these.
static void collect_printed(const Layout& layout, size_t dim, int64_t offset, std::vector<double>& out) {
    if (dim == layout.shape.size()) {
        out.push_back(layout.data[offset]);
        return;
    }
    for (int64_t i : printed_indices(layout.shape[dim], layout))
        if (i >= 0) collect_printed(layout, dim + 1, offset + i * layout.strides[dim], out);
}

// --- step 2: one format for all values ---------------------------------------------

struct Formatter {
    Dtype dtype = Dtype::float32;
    bool int_mode = true;   // all printed values whole: print as "2."
    bool sci_mode = false;  // scientific: "7.4541e-05"
    size_t width = 1;       // every element is right-aligned to this width
};

static std::string format_number(double v, const char* spec) {
    if (std::isnan(v)) return "nan";  // C prints "-nan" for some NaNs; Python never does
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, spec, print_options().precision, v);
    return buffer;
}

// The text of one value, before padding.
static std::string format_value(double v, const Formatter& f) {
    if (f.dtype == Dtype::boolean) return v != 0.0 ? "True" : "False";
    if (f.dtype == Dtype::int64) return std::to_string(static_cast<int64_t>(v));
    if (f.sci_mode) return format_number(v, "%.*e");
    if (f.int_mode) {
        std::string s = format_number(v, "%.0f");
        return std::isfinite(v) ? s + "." : s;  // 2.0 prints as "2."
    }
    return format_number(v, "%.*f");
}

// PyTorch decides the format from the nonzero finite values only (in absolute value):
// whole numbers print in int mode; a range wider than 1000×, a value above 1e8, or
// (for non-whole numbers) a value below 1e-4 switches to scientific notation.
static Formatter make_formatter(const std::vector<double>& values, Dtype dtype) {
    Formatter f;
    f.dtype = dtype;
    if (dtype != Dtype::float32) {
        for (double v : values) f.width = std::max(f.width, format_value(v, f).size());
        return f;
    }
    std::vector<double> nonzero;
    for (double v : values)
        if (std::isfinite(v) && v != 0.0) nonzero.push_back(v);
    if (nonzero.empty()) return f;  // only zeros, inf and nan: "0.", "inf", "nan"
    {
        double lo = INFINITY, hi = 0.0;
        for (double v : nonzero) {
            lo = std::min(lo, std::fabs(v));
            hi = std::max(hi, std::fabs(v));
            if (v != std::ceil(v)) f.int_mode = false;
        }
        f.sci_mode = hi / lo > 1000.0 || hi > 1e8 || (!f.int_mode && lo < 1e-4);
    }
    // set_printoptions(sci_mode=...) overrides the choice; the width follows the final
    // format (the book prints [[-0.0000], [ 0.0000]] after sci_mode=False).
    if (print_options().sci_mode >= 0) f.sci_mode = print_options().sci_mode == 1;
    if (f.sci_mode) f.int_mode = false;
    for (double v : nonzero) f.width = std::max(f.width, format_value(v, f).size());
    return f;
}

static std::string padded(double v, const Formatter& f) {
    std::string s = format_value(v, f);
    return std::string(f.width > s.size() ? f.width - s.size() : 0, ' ') + s;
}

// --- step 3: layout ----------------------------------------------------------------

// A 1-D row: elements joined by ", ", wrapped to the line width.
static std::string format_row(const Layout& layout, int64_t offset, int64_t stride, int64_t n, size_t indent,
                              const Formatter& f) {
    size_t per_line = std::max<size_t>(1, (print_options().linewidth - indent) / (f.width + 2));
    std::vector<std::string> items;
    for (int64_t i : printed_indices(n, layout))
        items.push_back(i < 0 ? " ..." : padded(layout.data[offset + i * stride], f));
    std::string s = "[";
    for (size_t i = 0; i < items.size(); i++) {
        if (i > 0) s += i % per_line == 0 ? ",\n" + std::string(indent + 1, ' ') : ", ";
        s += items[i];
    }
    return s + "]";
}

// Nested brackets: sub-tensors separated by "," plus one newline per remaining dim.
static std::string format_dims(const Layout& layout, size_t dim, int64_t offset, size_t indent, const Formatter& f) {
    size_t remaining = layout.shape.size() - dim;
    if (remaining == 1) return format_row(layout, offset, layout.strides[dim], layout.shape[dim], indent, f);
    std::string separator = ",";
    separator.append(remaining - 1, '\n');
    separator.append(indent + 1, ' ');
    std::string s = "[";
    bool first = true;
    for (int64_t i : printed_indices(layout.shape[dim], layout)) {
        if (!first) s += separator;
        first = false;
        s += i < 0 ? "..." : format_dims(layout, dim + 1, offset + i * layout.strides[dim], indent + 1, f);
    }
    return s + "]";
}

// Suffixes such as "grad_fn=<MmBackward0>" go on the last line if they fit in 80 columns.
static std::string add_suffixes(std::string s, const std::vector<std::string>& suffixes, size_t indent) {
    size_t newline = s.rfind('\n');
    size_t last_line_len = newline == std::string::npos ? s.size() + 2 : s.size() - newline + 1;
    for (const std::string& suffix : suffixes) {
        if (last_line_len + suffix.size() + 2 > static_cast<size_t>(print_options().linewidth)) {
            s += ",\n" + std::string(indent, ' ') + suffix;
            last_line_len = indent + suffix.size();
        } else {
            s += ", " + suffix;
            last_line_len += suffix.size() + 2;
        }
    }
    return s + ")";
}

static std::string shape_tuple(const std::vector<int64_t>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

std::string format_tensor(const float* data, const std::vector<int64_t>& shape, Dtype dtype,
                          const std::string& grad_fn_name, bool requires_grad) {
    const std::string prefix = "tensor(";
    const size_t indent = prefix.size();
    Layout layout{data, shape, std::vector<int64_t>(shape.size(), 1), false};
    int64_t numel = 1;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; d--) {
        layout.strides[d] = numel;
        numel *= shape[d];
    }
    layout.summarize = numel > print_options().threshold;
    std::vector<std::string> suffixes;
    std::string body;
    if (numel == 0) {
        body = "[]";
        if (shape.size() != 1) suffixes.push_back("size=" + shape_tuple(shape));
    } else {
        std::vector<double> printed;
        collect_printed(layout, 0, 0, printed);
        Formatter f = make_formatter(printed, dtype);
        body = shape.empty() ? format_value(data[0], f) : format_dims(layout, 0, 0, indent, f);
    }
    if (!grad_fn_name.empty()) suffixes.push_back("grad_fn=<" + grad_fn_name + ">");
    else if (requires_grad) suffixes.push_back("requires_grad=True");
    return add_suffixes(prefix + body, suffixes, indent);
}

std::string format_size(const std::vector<int64_t>& shape) {
    std::string s = "torch.Size([";
    for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "])";
}

std::string python_float_repr(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[64];
    // Shortest round-trip digits in scientific form, e.g. "2.0173587836325169e-04".
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    std::string sci(buffer, result.ptr);
    size_t e = sci.find('e');
    std::string mantissa = sci.substr(0, e);
    int exponent = std::stoi(sci.substr(e + 1));
    bool negative = mantissa[0] == '-';
    std::string digits;
    for (char c : mantissa)
        if (c >= '0' && c <= '9') digits += c;
    if (exponent < -4 || exponent >= 16) {  // Python's exponent form: 1e-05, 1.5e+16
        std::string s = digits.substr(0, 1);
        if (digits.size() > 1) s.append(".").append(digits, 1);
        char exp_text[16];
        std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
        return (negative ? "-" : "") + s + exp_text;
    }
    std::string s;
    if (exponent < 0) {
        s = "0." + std::string(-exponent - 1, '0') + digits;
    } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
        s = digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
    } else {
        s = digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    }
    return (negative ? "-" : "") + s;
}

}  // namespace llm
