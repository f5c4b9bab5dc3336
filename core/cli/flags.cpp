// A small command-line parser; see cli/flags.h.
#include "cli/flags.h"

#include "kernels/parallel.h"
#include "tensor/tensor.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>

namespace llm {

int64_t parse_int_flag(const std::string& name, const std::string& text, int64_t min, int64_t max) {
    char* end = nullptr;
    errno = 0;
    long long value = std::strtoll(text.c_str(), &end, 10);
    std::string range = max == INT64_MAX ? ">= " + std::to_string(min)
                                         : "in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    if (text.empty() || *end != '\0' || errno == ERANGE || value < min || value > max)
        throw Error(name + ": expected an integer " + range + ", got '" + text + "'");
    return value;
}

double parse_double_flag(const std::string& name, const std::string& text, double min, double max) {
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(value) || value < min || value > max)
        throw Error(name + ": expected a number in [" + std::to_string(min) + ", " + std::to_string(max) +
                    "], got '" + text + "'");
    return value;
}

void FlagParser::add_string(const std::string& name, std::string* target, const std::string& help) {
    flags_.push_back({name, help, Kind::text, target});
}
void FlagParser::add_int(const std::string& name, int64_t* target, int64_t min, int64_t max, const std::string& help) {
    flags_.push_back({name, help, Kind::integer, target, 0, 0, min, max});
}
void FlagParser::add_double(const std::string& name, double* target, double min, double max, const std::string& help) {
    flags_.push_back({name, help, Kind::real, target, min, max});
}
void FlagParser::add_switch(const std::string& name, bool* target, const std::string& help) {
    flags_.push_back({name, help, Kind::on_off, target});
}

void FlagParser::add_threads() {
    add_int("--threads", &threads_, 1, 1024, "threads (same numbers for any count)  [LLM_THREADS or all cores]");
}

FlagParser::Flag* FlagParser::find(const std::string& name) {
    for (Flag& flag : flags_)
        if (flag.name == name) return &flag;
    return nullptr;
}

bool FlagParser::given(const std::string& name) const {
    for (const Flag& flag : flags_)
        if (flag.name == name) return flag.seen;
    return false;
}

std::vector<std::string> FlagParser::given_flags() const {
    std::vector<std::string> names;
    for (const Flag& flag : flags_)
        if (flag.seen) names.push_back(flag.name);
    return names;
}

void FlagParser::set(Flag& flag, const std::string& value) {
    switch (flag.kind) {
    case Kind::text: *static_cast<std::string*>(flag.target) = value; break;
    case Kind::integer:
        *static_cast<int64_t*>(flag.target) = parse_int_flag(flag.name, value, flag.int_min, flag.int_max);
        break;
    case Kind::real: *static_cast<double*>(flag.target) = parse_double_flag(flag.name, value, flag.min, flag.max); break;
    case Kind::on_off: *static_cast<bool*>(flag.target) = true; break;
    }
}

bool FlagParser::parse(int argc, char** argv) {
    for (int i = 0; i < argc; i++) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage();
            return false;
        }
        if (arg.rfind("--", 0) != 0) throw Error(command_ + ": unexpected argument '" + arg + "' (flags start with --)");
        size_t equals = arg.find('=');
        std::string name = arg.substr(0, equals);
        Flag* flag = find(name);
        if (!flag) throw Error(command_ + ": unknown flag '" + name + "' (see " + command_ + " --help)");
        if (flag->seen) throw Error(command_ + ": flag " + name + " given twice");
        flag->seen = true;
        if (flag->kind == Kind::on_off) {
            if (equals != std::string::npos) throw Error(command_ + ": " + name + " takes no value");
            set(*flag, "");
            continue;
        }
        if (equals == std::string::npos && i + 1 >= argc) throw Error(command_ + ": " + name + " needs a value");
        set(*flag, equals != std::string::npos ? arg.substr(equals + 1) : argv[++i]);
    }
    if (threads_ > 0) set_num_threads(static_cast<int>(threads_));
    return true;
}

std::string FlagParser::usage() const {
    std::string text = "usage: " + command_ + " [flags]\n" + (about_.empty() ? "" : about_ + "\n");
    for (const Flag& flag : flags_) {
        std::string left = "  " + flag.name + (flag.kind == Kind::on_off ? "" : " VALUE");
        left.resize(std::max<size_t>(left.size() + 1, 26), ' ');
        text += left + flag.help + "\n";
    }
    return text;
}

}  // namespace llm
