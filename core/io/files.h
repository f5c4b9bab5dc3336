// Files: read a whole file, and write one without ever leaving a half-written
// file where a good one was (write to a temporary file, then rename).
#pragma once

#include <string>

namespace llm {

// The file's bytes; throws llm::Error naming the path when it cannot be read
// (missing, a directory, no permission).
std::string read_file(const std::string& path);

// Write `bytes` to `path` atomically: to `path.tmp` first, flushed, then renamed
// over `path`. On any error the old file is untouched and llm::Error names the path.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace llm
