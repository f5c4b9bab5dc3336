// The gdb pretty-printers (core/debug/llm_printers.py) and the walkthrough in
// book-notes/debugging.md: runs gdb in batch mode on the DEBUG chapter programs,
// stops where the walkthrough stops, and checks what the printers show. Every gdb
// command of the walkthrough is run here; keep the two in sync.
#include "catch_compat.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// The debug build of a chapter, whatever flavour this suite was built as.
std::string debug_binary(const std::string& chapter) { return "build/debug/" + chapter; }

// True when the test can run; otherwise it has called skip_test and should return.
bool can_debug(const std::string& chapter) {
    if (std::system("command -v gdb >/dev/null 2>&1") != 0) {
        skip_test("gdb is not installed");
        return false;
    }
    if (!std::filesystem::exists(debug_binary(chapter))) {
        skip_test(debug_binary(chapter) + " is missing: run `make debug` first");
        return false;
    }
    return true;
}

// gdb -batch with the project's gdbinit, the given commands, on the chapter: all output.
std::string run_gdb(const std::string& chapter, const std::vector<std::string>& commands) {
    std::string cmd = "gdb -batch -nx -x core/debug/gdbinit";
    for (const std::string& c : commands) cmd.append(" -ex '").append(c).append("'");
    cmd.append(" ").append(debug_binary(chapter)).append(" 2>&1 </dev/null");
    std::string out;
    FILE* pipe = popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
    return out;
}

using Catch::Matchers::Contains;

}  // namespace

TEST_CASE("gdb prints the inputs and steps through the softmax", "[debugger]") {
    const std::string chapter = "ch03_1_simplified_self_attention";
    if (!can_debug(chapter)) return;
    std::string out = run_gdb(chapter, {"break one_query", "run /tmp", "p inputs",
                                        "break llm::softmax_forward", "continue", "p a", "next 2",
                                        "p out", "finish"});
    INFO(out);
    // p inputs
    CHECK_THAT(out, Contains("tensor([[0.4300, 0.1500, 0.8900],\n"
                             "        [0.5500, 0.8700, 0.6600],"));
    CHECK_THAT(out, Contains("shape=[6, 3] dtype=float32 requires_grad=False grad=None grad_fn=None"));
    // p a: the attention scores of the query "journey"
    CHECK_THAT(out, Contains("tensor([0.9544, 1.4950, 1.4754, 0.8434, 0.7070, 1.0865])"));
    // p out: the result before the loops fill it
    CHECK_THAT(out, Contains("tensor([0., 0., 0., 0., 0., 0.])"));
    // finish: the attention weights
    CHECK_THAT(out, Contains("Value returned is"));
    CHECK_THAT(out, Contains("tensor([0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581])"));
}

TEST_CASE("gdb shows an autograd node and the gradients of a backward function", "[debugger]") {
    const std::string chapter = "appendix_a_tensors_autograd";
    if (!can_debug(chapter)) return;
    std::string out = run_gdb(chapter, {"break llm::linear_backward", "run", "bt 3", "p node", "p grad",
                                        "p node.inputs[1]", "finish"});
    INFO(out);
    // bt 3: called from backward()
    CHECK_THAT(out, Contains("llm::run_backward"));
    // p node
    CHECK_THAT(out, Contains("<AddmmBackward0> inputs: ([2, 20] from ReluBackward0, [2, 20] leaf, [2] leaf)"
                             " -> output [2, 2]"));
    // p grad: dL/d(logits)
    CHECK_THAT(out, Contains("tensor([[-0.2644,  0.2644],"));
    // p node.inputs[1]: the weight, a leaf without a gradient yet
    CHECK_THAT(out, Contains("requires_grad=True)\nshape=[2, 20] dtype=float32 requires_grad=True grad=None"));
    // finish: one gradient per input
    CHECK_THAT(out, Contains("Value returned is"));
    CHECK_THAT(out, Contains("std::vector of length 3"));
    CHECK_THAT(out, Contains("tensor([-0.5270,  0.5270])"));
}

TEST_CASE("gdb lists a module's parameters", "[debugger]") {
    const std::string chapter = "ch03_2_trainable_self_attention";
    if (!can_debug(chapter)) return;
    std::string out = run_gdb(chapter, {"break llm::SelfAttentionV2::forward", "run /tmp", "p *this", "finish"});
    INFO(out);
    CHECK_THAT(out, Contains("SelfAttentionV2(\n"
                             "  W_query.weight: [2, 3]\n"
                             "  W_key.weight: [2, 3]\n"
                             "  W_value.weight: [2, 3]\n"
                             ")"));
    CHECK_THAT(out, Contains("grad_fn=<MmBackward0>)"));
}
