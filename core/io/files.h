// Files: read a whole file, and write one so that a good file is never replaced by a
// half-written one, even if the process is killed or the machine loses power: write
// `path.tmp`, flush it to the disk (fsync), rename it over `path`, flush the folder.
#pragma once

#include <cstddef>
#include <string>

namespace llm {

// The file's bytes; throws llm::Error naming the path when it cannot be read (missing,
// a directory, no permission), saying which.
std::string read_file(const std::string& path);

// The same checks without reading: throws unless `path` is a file this process may read.
void check_readable_file(const std::string& path);

// A file being written: the bytes go to `path.tmp`; commit() makes them durable and
// renames them over `path` in one step. Destroyed without commit() (an error on the
// way), it removes the temporary file and `path` is untouched.
class AtomicFile {
public:
    explicit AtomicFile(std::string path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();
    void write(const void* data, size_t bytes);  // throws llm::Error (disk full, ...) naming the file
    void commit();

private:
    std::string path_, tmp_;
    int fd_ = -1;
};

// Write `bytes` to `path` atomically and durably (an AtomicFile written once).
void write_file_atomic(const std::string& path, const std::string& bytes);

// Flush a folder's entries to the disk, so a rename inside it survives a power cut.
void sync_directory(const std::string& dir);

// rename(from, to), then sync_directory of `to`'s folder; llm::Error naming both on failure.
void rename_durably(const std::string& from, const std::string& to);

// The error text of a failed system call, e.g. "no such file", "permission denied (...)"
// or "no space left on device (the disk is full: ...)".
std::string describe_errno(int error);

}  // namespace llm
