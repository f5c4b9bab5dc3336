// Command-line flags for the chapter programs and commands: "--name value" or
// "--name=value", each flag declared once with its type, range and help text.
// Unknown, repeated, malformed or out-of-range flags stop with a message naming the flag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llm {

class FlagParser {
public:
    // `about`, when given, is printed under the usage line of --help.
    explicit FlagParser(std::string command, std::string about = "")
        : command_(std::move(command)), about_(std::move(about)) {}
    void add_string(const std::string& name, std::string* target, const std::string& help);
    void add_int(const std::string& name, int64_t* target, int64_t min, int64_t max, const std::string& help);
    void add_double(const std::string& name, double* target, double min, double max, const std::string& help);
    void add_switch(const std::string& name, bool* target, const std::string& help);  // no value
    // --threads N: parse() then sets the thread count (see kernels/parallel.h).
    void add_threads();
    // Fills the targets; returns false when --help was asked for (usage already printed).
    bool parse(int argc, char** argv);
    bool given(const std::string& name) const;  // was the flag on the command line?
    std::vector<std::string> given_flags() const;  // the names of all that were
    std::string usage() const;

private:
    enum class Kind { text, integer, real, on_off };
    struct Flag {
        std::string name, help;
        Kind kind;
        void* target;
        double min = 0, max = 0;        // for numbers
        int64_t int_min = 0, int_max = 0;  // for integers
        bool seen = false;
    };
    Flag* find(const std::string& name);
    void set(Flag& flag, const std::string& value);
    std::string command_, about_;
    std::vector<Flag> flags_;
    int64_t threads_ = 0;
};

// One integer flag value, checked: "--steps: expected an integer >= 1, got 'x'".
int64_t parse_int_flag(const std::string& name, const std::string& text, int64_t min,
                       int64_t max = INT64_MAX);
double parse_double_flag(const std::string& name, const std::string& text, double min, double max);

}  // namespace llm
