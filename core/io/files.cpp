// Reading and atomically writing files.
#include "io/files.h"

#include "base/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace llm {

std::string read_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw Error("cannot read '" + path + "': no such file");
    if (std::filesystem::is_directory(path, ec))
        throw Error("cannot read '" + path + "': it is a directory, expected a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read '" + path + "': " + std::strerror(errno));
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) throw Error("cannot read '" + path + "': read error");
    return bytes.str();
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error("cannot write '" + tmp + "': " + std::strerror(errno));
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw Error("cannot write '" + tmp + "': write failed (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw Error("cannot replace '" + path + "': " + ec.message());
    }
}

}  // namespace llm
