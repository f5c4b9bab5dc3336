// Runs that survive anything: the `train` command killed at every rename, fsync and a
// sample of writes (strace's fault injection), killed at 100 random moments, stopped by a
// full disk (a small tmpfs), by SIGTERM, by a second Ctrl-C during a save. After each, a
// resume (or the same command again, when no checkpoint was complete) must end with
// exactly the files of an uninterrupted run. These tests start the real program, so they
// need the chapter binaries (`make test` builds them); strace and mount are optional.
#include "catch_compat.h"
#include "temp_dir.h"

#include "io/checkpoint_folder.h"
#include "io/files.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace llm;

namespace {

std::string build_dir() {
    const char* dir = std::getenv("LLM_BUILD_DIR");
    return dir ? dir : "build/release";
}
bool under_sanitizers() { return build_dir().find("asan") != std::string::npos; }
std::string program() { return build_dir() + "/ch05_pretraining"; }
bool have_tool(const std::string& tool) { return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0; }

// Runs `command` in sh; its exit status, or 128 + the signal that ended it.
int shell(const std::string& command) {
    int status = std::system(command.c_str());
    if (status == -1) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// A tiny run: 12 steps on 20 kB of the stories, a checkpoint every 3 steps.
struct TinyRun {
    TempDir dir;
    std::string text = dir.file("text.txt");
    explicit TinyRun(const std::string& name) : dir(name) {
        write_file_atomic(text, read_file("data/stories.txt").substr(0, 20000));
    }
    std::string train(const std::string& out, int steps = 12, int checkpoint_interval = 3) const {
        return program() + " train --data " + text + " --out " + out +
               " --tokenizer bytes --context 16 --emb 16 --layers 2 --heads 2 --batch-size 4 --max-steps " +
               std::to_string(steps) + " --eval-interval 4 --eval-iters 2 --checkpoint-interval " +
               std::to_string(checkpoint_interval) + " --sample-tokens 4 --threads 1";
    }
    std::string resume(const std::string& out) const { return program() + " train --resume " + out + " --threads 1"; }
};

// What an uninterrupted run leaves: the newest checkpoint (its name and both files), the
// model at the top and the loss log.
std::string final_state(const std::string& out) {
    std::vector<std::string> checkpoints = complete_checkpoints(out);
    if (checkpoints.empty()) return "no checkpoint";
    const std::string& newest = checkpoints.front();
    return std::filesystem::path(newest).filename().string() + read_file(newest + "/model.safetensors") +
           read_file(newest + "/optimizer.safetensors") + read_file(out + "/model.safetensors") +
           read_file(out + "/losses.csv");
}

// Continue an interrupted run until it finishes: --resume when a checkpoint is complete,
// else the first command again (the folder is reused). Returns the number of attempts.
int finish(const TinyRun& run, const std::string& out) {
    for (int attempt = 1; attempt <= 3; attempt++) {
        std::string command = complete_checkpoints(out).empty() ? run.train(out) : run.resume(out);
        if (shell(command + " >/dev/null 2>&1") == 0) return attempt;
    }
    return -1;
}

// Every `stride`-th of the first `count` calls, starting at 1.
std::vector<int> sample(int count, int stride) {
    std::vector<int> calls;
    for (int n = 1; n <= count; n += stride) calls.push_back(n);
    return calls;
}

// How many times a run makes the system calls in `syscalls` (strace counts them).
int count_calls(const TinyRun& run, const std::string& syscalls) {
    std::string log = run.dir.file("count.log"), out = run.dir.file("count");
    shell("strace -f -qq -o " + log + " -e trace=" + syscalls + " " + run.train(out) + " >/dev/null 2>&1");
    std::filesystem::remove_all(out);
    int calls = 0;
    for (size_t at = 0; (at = read_file(log).find(" = ", at)) != std::string::npos; at++) calls++;
    return calls;
}

// Kill (SIGKILL) the run at the n-th of these calls, then finish it; the result must be
// the uninterrupted run's.
void kill_at_each(const TinyRun& run, const std::string& syscalls, int stride, const std::string& reference) {
    int calls = count_calls(run, syscalls);
    REQUIRE(calls > 0);
    for (int n : sample(calls, stride)) {
        std::string out = run.dir.file("cut");
        std::filesystem::remove_all(out);
        shell("strace -f -qq -o /dev/null -e trace=" + syscalls + " -e inject=" + syscalls +
              ":signal=SIGKILL:when=" + std::to_string(n) + " " + run.train(out) + " >/dev/null 2>&1");
        INFO("killed at " << syscalls << " call " << n << " of " << calls);
        CHECK(finish(run, out) > 0);
        CHECK(final_state(out) == reference);
    }
}

bool can_use_strace() {
    if (!have_tool("strace")) return false;
    return shell("strace -f -qq -o /dev/null true >/dev/null 2>&1") == 0;  // ptrace may be forbidden
}

}  // namespace

TEST_CASE("survive: a kill at every rename and fsync, and at writes, loses nothing", "[survive]") {
    if (!can_use_strace()) {
        skip_test("strace is not installed or cannot trace here (apt-get install strace)");
        return;
    }
    TinyRun run("llm_test_survive_kills");
    REQUIRE(shell(run.train(run.dir.file("ref")) + " >/dev/null 2>&1") == 0);
    std::string reference = final_state(run.dir.file("ref"));
    int stride = under_sanitizers() ? 4 : 1;
    kill_at_each(run, "rename,renameat,renameat2,link,linkat", 1, reference);
    kill_at_each(run, "fsync,fdatasync", stride, reference);
    kill_at_each(run, "write", under_sanitizers() ? 80 : 20, reference);
}

TEST_CASE("survive: a failing write (ENOSPC) at any point stops the run cleanly", "[survive]") {
    if (!can_use_strace()) {
        skip_test("strace is not installed or cannot trace here (apt-get install strace)");
        return;
    }
    TinyRun run("llm_test_survive_enospc");
    REQUIRE(shell(run.train(run.dir.file("ref")) + " >/dev/null 2>&1") == 0);
    std::string reference = final_state(run.dir.file("ref"));
    int writes = count_calls(run, "write");
    for (int n : sample(writes, under_sanitizers() ? 60 : 15)) {
        std::string out = run.dir.file("full");
        std::filesystem::remove_all(out);
        shell("strace -f -qq -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=" + std::to_string(n) + " " +
              run.train(out) + " >/dev/null 2>&1");
        INFO("write " << n << " of " << writes << " failed with ENOSPC");
        for (const std::string& checkpoint : complete_checkpoints(out))  // whatever is there is whole
            CHECK_NOTHROW(read_file(checkpoint + "/optimizer.safetensors"));
        CHECK(finish(run, out) > 0);
        CHECK(final_state(out) == reference);
    }
}

TEST_CASE("survive: 100 kills at random moments, each followed by a resume", "[survive]") {
    TinyRun run("llm_test_survive_random");
    auto started = std::chrono::steady_clock::now();
    REQUIRE(shell(run.train(run.dir.file("ref")) + " >/dev/null 2>&1") == 0);
    int run_ms = int(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    std::string reference = final_state(run.dir.file("ref"));
    std::string out = run.dir.file("cut");
    // The kills fall anywhere in the first 90% of an uninterrupted run, however fast this
    // machine is (a fixed range let most runs finish first on a faster one).
    std::mt19937 rng(2026);
    std::uniform_int_distribution<int> delay_ms(std::max(5, run_ms / 50), std::max(10, run_ms * 9 / 10));
    int kills = 0, target = under_sanitizers() ? 25 : 100;
    for (int attempt = 0; kills < target && attempt < 4 * target; attempt++) {
        std::string command = complete_checkpoints(out).empty() ? run.train(out) : run.resume(out);
        int status = shell("timeout -s KILL " + std::to_string(delay_ms(rng) / 1000.0) + " " + command +
                           " >/dev/null 2>&1");
        if (status == 0) std::filesystem::remove_all(out);  // finished before the kill: start over
        else kills++;
        if (status != 0 && status != 137) FAIL("the run failed with exit status " << status << " after " << kills << " kills");
    }
    INFO("an uninterrupted run takes " << run_ms << " ms");
    CHECK(kills == target);
    CHECK(finish(run, out) > 0);
    CHECK(final_state(out) == reference);
}

TEST_CASE("survive: a full disk (a small tmpfs) at the first or a later checkpoint", "[survive]") {
    if (geteuid() != 0 || !have_tool("mount")) {
        skip_test("mounting a tmpfs needs root");
        return;
    }
    TinyRun run("llm_test_survive_tmpfs");
    REQUIRE(shell(run.train(run.dir.file("ref")) + " >/dev/null 2>&1") == 0);
    std::string reference = final_state(run.dir.file("ref"));
    std::string mount_point = run.dir.file("disk");
    std::filesystem::create_directories(mount_point);
    if (shell("mount -t tmpfs -o size=4m tmpfs " + mount_point + " 2>/dev/null") != 0) {
        skip_test("cannot mount a tmpfs here");
        return;
    }
    // Leave so little room that the first checkpoint (about 200 kB) or the second (the first
    // is kept until the second is complete) does not fit; then free the room and continue.
    for (int free_kb : {60, 300}) {
        std::string out = mount_point + "/run", filler = mount_point + "/filler";
        shell("rm -rf " + out + " " + filler);
        shell("dd if=/dev/zero of=" + filler + " bs=1k count=" + std::to_string(4096 - free_kb) + " 2>/dev/null");
        int status = shell(run.train(out) + " >/dev/null 2>" + run.dir.file("err.txt"));
        INFO("free: " << free_kb << " kB");
        CHECK(status != 0);
        CHECK_THAT(read_file(run.dir.file("err.txt")), Catch::Matchers::Contains("no space left on device"));
        if (free_kb == 60) CHECK(complete_checkpoints(out).empty());
        else CHECK(complete_checkpoints(out).size() == 1);
        std::filesystem::remove(filler);
        CHECK(finish(run, out) > 0);
        CHECK(final_state(out) == reference);
    }
    shell("umount " + mount_point);
}

TEST_CASE("survive: SIGTERM saves a checkpoint like Ctrl-C, and the run resumes", "[survive]") {
    TinyRun run("llm_test_survive_sigterm");
    std::string ref = run.dir.file("ref"), out = run.dir.file("cut");
    // A longer run than the others, so that the signal arrives in the middle of it.
    auto longer = [&](const std::string& dir) { return run.train(dir, 400, 50); };
    REQUIRE(shell(longer(ref) + " >/dev/null 2>&1") == 0);
    std::string log = run.dir.file("log.txt");
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", ("exec " + longer(out) + " >" + log + " 2>&1").c_str(), nullptr);
        _exit(127);
    }
    for (int i = 0; i < 12000 && complete_checkpoints(out).empty(); i++)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK_THAT(read_file(log), Catch::Matchers::Contains("Interrupted: checkpoint saved at step"));
    CHECK(shell(run.resume(out) + " >/dev/null 2>&1") == 0);
    CHECK(final_state(out) == final_state(ref));
}

TEST_CASE("survive: a second Ctrl-C during the save quits at once, and nothing is lost", "[survive]") {
    if (!can_use_strace()) {
        skip_test("strace is not installed or cannot trace here (apt-get install strace)");
        return;
    }
    TinyRun run("llm_test_survive_ctrl_c");
    std::string out = run.dir.file("cut"), log = run.dir.file("log.txt");
    // Every fsync takes two seconds, so the save after Ctrl-C (half a dozen of them) is slow
    // enough to interrupt. (strace blocks SIGINT for itself: the program gets it.)
    std::string command = "strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=2000000 " +
                          run.train(out, 100000, 100000);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        setpgid(0, 0);  // its own process group: the signals go to strace and the program
        execl("/bin/sh", "sh", "-c", ("exec " + command + " >" + log + " 2>&1").c_str(), nullptr);
        _exit(127);
    }
    auto printed = [&](const char* text) {  // waits up to a minute for the program to print `text`
        for (int i = 0; i < 6000; i++, std::this_thread::sleep_for(std::chrono::milliseconds(10)))
            if (std::filesystem::exists(log) && read_file(log).find(text) != std::string::npos) return true;
        return false;
    };
    REQUIRE(printed("Model: "));  // Ctrl-C is handled from here on
    killpg(child, SIGINT);
    REQUIRE(printed("press Ctrl-C again"));
    auto second = std::chrono::steady_clock::now();
    killpg(child, SIGINT);
    int status = 0;
    waitpid(child, &status, 0);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - second).count();
    CHECK(seconds < 3.5);  // at most the fsync under way, not the whole save (8 s and more)
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(complete_checkpoints(out).empty());  // the interrupted save left nothing half done
    CHECK(finish(run, out) > 0);               // and the same command starts the run again
}
