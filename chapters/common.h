// Small helpers shared by the chapter programs: section headings, Python-style
// printing, and the book's example input. Header-only, so each chapter stays one file.
#pragma once

#include "cli/flags.h"
#include "ops/ops.h"
#include "tensor/print.h"

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace chapter {

// One line per book section, e.g. "3.3.1 A simple self-attention mechanism without trainable weights".
inline void heading(const std::string& title) { std::cout << "\n=== " << title << " ===\n"; }

// Python's print("label", value): the two joined by a space.
inline void print(const std::string& label, const llm::Tensor& value) { std::cout << label << " " << value << "\n"; }
inline void print(const llm::Tensor& value) { std::cout << value << "\n"; }

// Python's f"{n:,}" for n >= 0: digits grouped by thousands.
inline std::string with_commas(int64_t n) {
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); i++) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// The book's chapter 3 input, "Your journey starts with one step": one 3-d embedding per token.
inline llm::Tensor your_journey_inputs() {
    return llm::tensor({{0.43f, 0.15f, 0.89f},   // Your     (x^1)
                        {0.55f, 0.87f, 0.66f},   // journey  (x^2)
                        {0.57f, 0.85f, 0.64f},   // starts   (x^3)
                        {0.22f, 0.58f, 0.33f},   // with     (x^4)
                        {0.77f, 0.25f, 0.10f},   // one      (x^5)
                        {0.05f, 0.80f, 0.55f}}); // step     (x^6)
}

inline const std::vector<std::string>& your_journey_words() {
    static const std::vector<std::string> words = {"Your", "journey", "starts", "with", "one", "step"};
    return words;
}

// Python's printing of a list of ints: [15496, 11, 314, 716]
inline std::string python_list(const std::vector<int64_t>& values) {
    std::string s = "[";
    for (size_t i = 0; i < values.size(); i++) s += (i ? ", " : "") + std::to_string(values[i]);
    return s + "]";
}

// Python's \xNN escape of a control character.
inline std::string hex_escape(unsigned char c) {
    const char* digits = "0123456789abcdef";
    return std::string("\\x") + digits[c >> 4] + digits[c & 15];
}

// Python's repr of a string: 'word', or "it's" when it holds a single quote and no double one.
// Control characters are escaped as Python escapes them; other UTF-8 is copied (Python
// also escapes the few non-ASCII characters it deems unprintable, such as U+00A0).
inline std::string python_repr(const std::string& text) {
    bool has_single = text.find('\'') != std::string::npos, has_double = text.find('"') != std::string::npos;
    char quote = has_single && !has_double ? '"' : '\'';
    std::string s(1, quote);
    for (char c : text) {
        if (c == '\\') s += "\\\\";
        else if (c == '\n') s += "\\n";
        else if (c == '\t') s += "\\t";
        else if (c == '\r') s += "\\r";
        else if (c == quote) s.append("\\").append(1, c);
        else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) s += hex_escape(static_cast<unsigned char>(c));
        else s += c;
    }
    return s + quote;
}

// Python's printing of a list of strings: ['Hello', ',', 'world']
inline std::string python_list(const std::vector<std::string>& values) {
    std::string s = "[";
    for (size_t i = 0; i < values.size(); i++) s.append(i ? ", " : "").append(python_repr(values[i]));
    return s + "]";
}

// main() of a chapter program: run(argc, argv), and on any error print "error: ..." and
// return 1 (the non-zero exit every program gives for bad input).
inline int run_reporting_errors(int (*run)(int, char**), int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}

// The program's name for messages and --help: argv[0] without its folder.
inline std::string program_name(char** argv) { return std::filesystem::path(argv[0]).filename().string(); }

// A chapter program's flags (argv[0] is the program): false when --help printed the usage.
inline bool parse_flags(llm::FlagParser& flags, int argc, char** argv) { return flags.parse(argc - 1, argv + 1); }

// The chapter 3 programs' one flag: --out DIR, where the SVG heat maps go (created when
// missing; default runs/ch03, which git ignores). Nothing after --help.
inline std::optional<std::string> svg_folder(const char* about, int argc, char** argv) {
    std::string dir = "runs/ch03";
    llm::FlagParser flags(program_name(argv), about);
    flags.add_string("--out", &dir, "folder for the SVG heat maps  [runs/ch03]");
    if (!parse_flags(flags, argc, argv)) return std::nullopt;
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace chapter
