// Finding the optional data files some tests use (GPT-2's tokenizer files, the book's
// short story). They are never copied into the repository: a test looks in data/ and
// then in ../shared/data/ (relative to the working directory, the repository root when
// `make test` runs), and is skipped with a message when the file is in neither.
#pragma once

#include <filesystem>
#include <string>

// data/<name> or ../shared/data/<name>, whichever exists first; "" if neither does.
inline std::string find_data_file(const std::string& name) {
    for (const std::string& dir : {std::string("data/"), std::string("../shared/data/")}) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(dir + name, ec)) return dir + name;
    }
    return "";
}

// The message for skip_test() when find_data_file(name) came back empty.
inline std::string missing_data_message(const std::string& name) {
    return "data file '" + name + "' not found in data/ or ../shared/data/";
}
