// Reading and atomically writing files (see io/files.h). POSIX calls (open, write,
// fsync, rename) because the C++ library has no way to flush a file or a folder to disk.
#include "io/files.h"

#include "base/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace llm {

std::string describe_errno(int error) {
    if (error == ENOENT) return "no such file";
    if (error == EACCES) return "permission denied (check the rights of the file and its folders)";
    if (error == ENOSPC) return "no space left on device (the disk is full: free some space, then run the command again)";
    return std::strerror(error);
}

void check_readable_file(const std::string& path) {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) throw Error("cannot read '" + path + "': " + describe_errno(errno));
    if (S_ISDIR(info.st_mode)) throw Error("cannot read '" + path + "': it is a directory, expected a file");
    if (::access(path.c_str(), R_OK) != 0) throw Error("cannot read '" + path + "': " + describe_errno(errno));
}

std::string read_file(const std::string& path) {
    check_readable_file(path);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read '" + path + "': " + describe_errno(errno));
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) throw Error("cannot read '" + path + "': read error");
    return bytes.str();
}

// --- AtomicFile ----------------------------------------------------------------------

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd_ < 0) throw Error("cannot write '" + tmp_ + "': " + describe_errno(errno));
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) {  // not committed: leave the old file as it was
        ::close(fd_);
        ::unlink(tmp_.c_str());
    }
}

void AtomicFile::write(const void* data, size_t bytes) {
    const char* p = static_cast<const char*>(data);
    while (bytes > 0) {
        ssize_t n = ::write(fd_, p, bytes);
        if (n < 0 && errno == EINTR) continue;  // a signal arrived: write the rest
        if (n <= 0) throw Error("cannot write '" + tmp_ + "': " + describe_errno(n < 0 ? errno : ENOSPC));
        p += n;
        bytes -= static_cast<size_t>(n);
    }
}

void AtomicFile::commit() {
    if (::fsync(fd_) != 0) throw Error("cannot write '" + tmp_ + "': " + describe_errno(errno));
    int closed = ::close(fd_);
    fd_ = -1;
    if (closed != 0) {
        int error = errno;
        ::unlink(tmp_.c_str());
        throw Error("cannot write '" + tmp_ + "': " + describe_errno(error));
    }
    try {
        rename_durably(tmp_, path_);
    } catch (...) {
        ::unlink(tmp_.c_str());
        throw;
    }
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

// --- folders ---------------------------------------------------------------------------

void sync_directory(const std::string& dir) {
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY);
    if (fd < 0) throw Error("cannot open the folder '" + dir + "': " + describe_errno(errno));
    int synced = ::fsync(fd);
    int error = errno;
    ::close(fd);
    // Some file systems cannot flush a folder (EINVAL); the rename is still atomic there.
    if (synced != 0 && error != EINVAL) throw Error("cannot flush the folder '" + dir + "': " + describe_errno(error));
}

void rename_durably(const std::string& from, const std::string& to) {
    if (std::rename(from.c_str(), to.c_str()) != 0)
        throw Error("cannot rename '" + from + "' to '" + to + "': " + describe_errno(errno));
    sync_directory(std::filesystem::path(to).parent_path().string());
}

}  // namespace llm
