// A fresh folder under the system temp directory for one test, removed with everything
// in it when the test ends.
#pragma once

#include <chrono>
#include <filesystem>
#include <random>
#include <string>

struct TempDir {
    std::filesystem::path dir;
    explicit TempDir(const std::string& prefix = "llm_test") {
        auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        dir = std::filesystem::temp_directory_path() /
              (prefix + "_" + std::to_string(stamp) + "_" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string path() const { return dir.string(); }
    std::string file(const std::string& name) const { return (dir / name).string(); }
};
