// bench --part book (see bench/book_bench.h). The run is a child process, so that its peak
// resident memory (wait4's rusage) is its own and not the bench's.
#include "bench/book_bench.h"

#include "bench/memory_need.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Runs argv[0] with its output sent to `log`; the child's rusage and wall seconds come back.
bool run_child(const std::vector<std::string>& args, const std::string& log, rusage& usage, double& seconds,
               int& status) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    auto start = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {  // the child: stdout into the log, then the program
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(127);
        execv(argv[0], argv.data());
        _exit(127);
    }
    if (wait4(pid, &status, 0, &usage) != pid) return false;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return true;
}

int count_lines(const std::string& path) {
    std::ifstream in(path);
    int lines = 0;
    for (std::string line; std::getline(in, line);) lines++;
    return lines;
}

}  // namespace

bool run_book_part(const std::string& program, const std::string& verdict, const std::string& gpt2_dir,
                   const std::string& log) {
    for (const std::string& path : {program, verdict, gpt2_dir + "/encoder.json", gpt2_dir + "/vocab.bpe"})
        if (!exists(path)) {
            std::fprintf(stderr, "bench --part book: '%s' not found (build the chapters with `make`, and pass the "
                                 "book's files with --verdict FILE --gpt2-dir DIR)\n", path.c_str());
            return false;
        }
    std::fprintf(stderr, "bench: the book's chapter-5 run (%s book-train), output in %s\n", program.c_str(), log.c_str());
    rusage usage{};
    double seconds = 0;
    int status = 0;
    if (!run_child({program, "book-train", "--verdict", verdict, "--gpt2-dir", gpt2_dir}, log, usage, seconds, status) ||
        !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench --part book: %s book-train failed (see %s)\n", program.c_str(), log.c_str());
        return false;
    }
    llm::GPTConfig book = llm::gpt_config_124m();  // chapter 5's GPT_CONFIG_124M: context 256, batch 2
    book.context_length = 256;
    const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
    const double need_mb = training_need_bytes(book, 2) / (1024.0 * 1024.0);
    std::printf("{\"figure\": \"book_run\", \"minutes\": %.2f, \"peak_memory_mib\": %.1f, \"need_mib\": %.1f, "
                "\"ratio\": %.2f, \"lines\": %d, \"log\": \"%s\"}\n",
                seconds / 60.0, peak_mb, need_mb, peak_mb / need_mb, count_lines(log), log.c_str());
    std::fflush(stdout);
    return true;
}
