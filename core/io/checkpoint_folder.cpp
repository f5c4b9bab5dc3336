// A run's checkpoints as step folders (see io/checkpoint_folder.h).
#include "io/checkpoint_folder.h"

#include "base/error.h"
#include "io/files.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace llm {

namespace {

constexpr const char* kTmp = ".tmp";

bool ends_with_tmp(const std::string& name) { return name.size() > 4 && name.ends_with(kTmp); }

// The step of a folder named "step-00000100", or -1 for any other name.
int64_t step_of(const std::string& name) {
    if (name.size() < 6 || name.rfind("step-", 0) != 0) return -1;
    int64_t step = 0;
    for (size_t i = 5; i < name.size(); i++) {
        if (name[i] < '0' || name[i] > '9' || step > INT64_MAX / 10) return -1;
        step = step * 10 + (name[i] - '0');
    }
    return step;
}

// A copy of `from` at `to`, written atomically (when the file system has no hard links).
void copy_file_atomic(const std::string& from, const std::string& to) {
    std::ifstream in(from, std::ios::binary);
    if (!in) throw Error("cannot read '" + from + "'");
    AtomicFile out(to);
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        out.write(buffer.data(), static_cast<size_t>(in.gcount()));
    }
    if (in.bad()) throw Error("cannot read '" + from + "': read error");
    out.commit();
}

// DIR/model.safetensors becomes the checkpoint's model: a hard link renamed into place
// (no second copy on the disk), or a copy where links are not possible.
void link_model(const std::string& run_dir, const std::string& checkpoint) {
    std::string target = run_dir + "/model.safetensors", tmp = target + kTmp;
    std::error_code ec;
    fs::remove(tmp, ec);
    fs::create_hard_link(checkpoint + "/model.safetensors", tmp, ec);
    if (ec) return copy_file_atomic(checkpoint + "/model.safetensors", target);
    rename_durably(tmp, target);
}

}  // namespace

std::string checkpoint_path(const std::string& run_dir, int64_t step) {
    char name[40];
    std::snprintf(name, sizeof name, "step-%08lld", static_cast<long long>(step));
    return run_dir + "/checkpoints/" + name;
}

std::vector<std::string> complete_checkpoints(const std::string& run_dir) {
    std::vector<std::pair<int64_t, std::string>> found;
    std::error_code ec;
    for (const fs::directory_entry& entry : fs::directory_iterator(run_dir + "/checkpoints", ec)) {
        int64_t step = step_of(entry.path().filename().string());
        if (step >= 0 && entry.is_directory(ec)) found.push_back({step, entry.path().string()});
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> paths;
    for (const auto& [step, path] : found) paths.push_back(path);
    return paths;
}

std::string begin_checkpoint(const std::string& run_dir, int64_t step) {
    std::string tmp = checkpoint_path(run_dir, step) + kTmp;
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) throw Error("cannot create the checkpoint folder '" + tmp + "': " + describe_errno(ec.value()));
    return tmp;
}

void commit_checkpoint(const std::string& run_dir, int64_t step) {
    std::string final_path = checkpoint_path(run_dir, step), tmp = final_path + kTmp;
    sync_directory(tmp);  // its files' names are on the disk before the folder is renamed
    std::error_code ec;
    if (fs::exists(final_path, ec)) rename_durably(final_path, final_path + ".old" + kTmp);  // a step saved again
    rename_durably(tmp, final_path);
    settle_on_checkpoint(run_dir, final_path);
}

void settle_on_checkpoint(const std::string& run_dir, const std::string& checkpoint) {
    link_model(run_dir, checkpoint);
    std::error_code ec;
    for (const std::string& other : complete_checkpoints(run_dir))
        if (other != checkpoint) fs::remove_all(other, ec);
    remove_unfinished_checkpoints(run_dir);
}

void remove_unfinished_checkpoints(const std::string& run_dir) {
    std::error_code ec;
    for (const std::string& dir : {run_dir, run_dir + "/checkpoints"})
        for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec))
            if (ends_with_tmp(entry.path().filename().string())) fs::remove_all(entry.path(), ec);
}

}  // namespace llm
