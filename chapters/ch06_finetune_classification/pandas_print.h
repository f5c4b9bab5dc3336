// Printing a data frame the way the notebook shows pandas' output: `df` (the first and
// last five rows, long texts cut to 50 characters) and `df["Label"].value_counts()`.
// Included by main.cpp only.
#pragma once

#include "io/csv.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace ch06 {

// Characters (code points) in a UTF-8 string, which is what pandas counts.
inline size_t display_width(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// pandas' max_colwidth = 50: a longer value keeps its first 47 characters, then "...".
inline std::string cut_to_50(const std::string& s) {
    if (display_width(s) <= 50) return s;
    size_t bytes = 0;
    for (int chars = 0; chars < 47; chars++) {  // past one code point: a lead byte and its continuations
        bytes++;
        while (bytes < s.size() && (static_cast<unsigned char>(s[bytes]) & 0xC0) == 0x80) bytes++;
    }
    return s.substr(0, bytes) + "...";
}

inline std::string pad_left(const std::string& s, size_t width) {
    size_t w = display_width(s);
    return std::string(w < width ? width - w : 0, ' ') + s;
}
inline std::string pad_right(const std::string& s, size_t width) {
    size_t w = display_width(s);
    return s + std::string(w < width ? width - w : 0, ' ');
}

inline bool is_integer_column(const llm::CsvTable& df, size_t c) {
    for (const std::vector<std::string>& row : df.rows)
        if (row[c].empty() || row[c].find_first_not_of("-0123456789") != std::string::npos) return false;
    return true;
}

// print(df), as pandas formats it: the first and last five rows with a row of "..."
// between them; every value with a leading space (a long text then cut to 50 characters),
// right-aligned in its column, the columns one space apart, the index left-aligned; an
// integer column is one wider than its name.
inline void print_frame(const llm::CsvTable& df) {
    std::vector<int64_t> shown;
    bool cut = df.num_rows() > 10;
    for (int64_t r = 0; r < df.num_rows(); r++)
        if (!cut || r < 5 || r >= df.num_rows() - 5) shown.push_back(r);
    auto cell = [&](int64_t r, size_t c) { return cut_to_50(std::string(" ").append(df.rows[static_cast<size_t>(r)][c])); };
    size_t index_width = cut ? 3 : 0;
    for (int64_t r : shown) index_width = std::max(index_width, std::to_string(df.index[static_cast<size_t>(r)]).size());
    std::vector<size_t> widths;
    for (size_t c = 0; c < df.columns.size(); c++) {
        size_t w = display_width(df.columns[c]) + (is_integer_column(df, c) ? 1 : 0);
        for (int64_t r : shown) w = std::max(w, display_width(cell(r, c)));
        widths.push_back(w);
    }
    auto print_row = [&](const std::string& label, const std::vector<std::string>& values) {
        std::string line = pad_right(label, index_width);
        for (size_t c = 0; c < values.size(); c++) line.append(" ").append(pad_left(values[c], widths[c]));
        std::cout << line << "\n";
    };
    print_row("", df.columns);
    for (size_t i = 0; i < shown.size(); i++) {
        std::vector<std::string> values;
        for (size_t c = 0; c < df.columns.size(); c++) values.push_back(cell(shown[i], c));
        print_row(std::to_string(df.index[static_cast<size_t>(shown[i])]), values);
        if (cut && i == 4) print_row("...", std::vector<std::string>(df.columns.size(), "..."));
    }
    std::cout << "\n[" << df.num_rows() << " rows x " << df.columns.size() << " columns]\n";
}

// print(df[column].value_counts()): each value and how often it occurs, the most frequent
// first (ties in the order they first occur), then pandas' footer.
inline void print_value_counts(const llm::CsvTable& df, const std::string& column) {
    std::vector<std::pair<std::string, int64_t>> counts;
    for (int64_t r = 0; r < df.num_rows(); r++) {
        const std::string& value = df.at(r, column);
        auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == value; });
        if (it == counts.end()) counts.push_back({value, 1});
        else it->second++;
    }
    std::stable_sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    size_t value_width = 0, count_width = 0;
    for (const auto& [value, n] : counts) {
        value_width = std::max(value_width, display_width(value));
        count_width = std::max(count_width, std::to_string(n).size());
    }
    std::cout << column << "\n";
    for (const auto& [value, n] : counts)
        std::cout << pad_right(value, value_width) << "    " << pad_left(std::to_string(n), count_width) << "\n";
    std::cout << "Name: count, dtype: int64\n";
}

}  // namespace ch06
