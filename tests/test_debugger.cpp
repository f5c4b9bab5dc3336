// The debugger printers (core/debug/: llm_format.py with its gdb and lldb adapters) and
// the walkthrough in book-notes/debugging.md: runs gdb and lldb in batch mode on the DEBUG
// chapter programs, stops where the walkthrough stops, and checks what they print. Every
// command of the walkthrough is run here, for both debuggers; keep the two in sync.
//
// A printed tensor is checked together with the line the printers add below it
// ("shape=... dtype=..."), so the program's own output, interleaved with the debugger's,
// cannot pass for it. The numbers are the book's (chapter 3.3, FACTS.md section 2.1).
#include "catch_compat.h"

#include "io/json.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Catch::Matchers::Contains;
using Commands = std::vector<std::string>;

// The debug build of a chapter, whatever flavour this suite was built as. LLM_DEBUG_DIR
// points the tests at another one (e.g. built with clang++ -stdlib=libc++, macOS's library).
std::string debug_binary(const std::string& chapter) {
    const char* dir = std::getenv("LLM_DEBUG_DIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "build/debug") + "/" + chapter;
}

bool installed(const std::string& tool) {
    return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// True when the test can run; otherwise it has called skip_test and should return.
bool can_debug(const std::string& debugger, const std::string& chapter) {
    if (!installed(debugger)) {
        skip_test(debugger + " is not installed");
        return false;
    }
    if (!std::filesystem::exists(debug_binary(chapter))) {
        skip_test(debug_binary(chapter) + " is missing: run `make debug` first");
        return false;
    }
    return true;
}

// Everything `command` prints (stdout and stderr), killed after two minutes should a
// debugger hang.
std::string output_of(std::string command) {
    if (installed("timeout")) command = "timeout -k 10 120 " + command;
    std::string out;
    FILE* pipe = popen((command + " 2>&1 </dev/null").c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
    return out;
}

// gdb -batch with the project's gdbinit, the given commands, on the chapter.
std::string run_gdb(const std::string& chapter, const Commands& commands) {
    std::string cmd = "gdb -batch -nx -x core/debug/gdbinit";
    for (const std::string& c : commands) cmd.append(" -ex '").append(c).append("'");
    return output_of(cmd + " " + debug_binary(chapter));
}

// lldb --batch with the project's lldbinit (through core/debug/lldb.sh, which works around
// Debian's lldb package), the given commands, on the chapter. lldb lists source lines around
// every stop; the test turns that off, so that a source line in the output means nothing.
std::string run_lldb(const std::string& chapter, const Commands& commands) {
    std::string cmd = "sh core/debug/lldb.sh --batch -x -s core/debug/lldbinit"
                      " -o 'settings set stop-line-count-before 0' -o 'settings set stop-line-count-after 0'";
    for (const std::string& c : commands) cmd.append(" -o '").append(c).append("'");
    return output_of(cmd + " " + debug_binary(chapter));
}

size_t count_of(const std::string& text, const std::string& part) {
    size_t count = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) count++;
    return count;
}

// The rest of the first line of the output that contains `marker` (empty when none does).
std::string line_after(const std::string& text, const std::string& marker) {
    size_t at = text.find(marker);
    return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

// What follows the last `marker` in the output (empty when it is not there).
std::string after_last(const std::string& text, const std::string& marker) {
    size_t at = text.rfind(marker);
    return at == std::string::npos ? "" : text.substr(at + marker.size());
}

// The number (from 1) of the first line of a source file that contains `text`, as a debugger
// prints it ("at nn.cpp:29"), so that tests do not break when lines above it move; 0 if none.
int line_of(const std::string& path, const std::string& text) {
    std::ifstream in(path);
    std::string line;
    for (int number = 1; std::getline(in, line); number++)
        if (line.find(text) != std::string::npos) return number;
    return 0;
}

// The printed tensors of section 1, as PyTorch prints them (the book's numbers), with the
// printers' line below.
const char* kInputs =
    "tensor([[0.4300, 0.1500, 0.8900],\n"
    "        [0.5500, 0.8700, 0.6600],\n"
    "        [0.5700, 0.8500, 0.6400],\n"
    "        [0.2200, 0.5800, 0.3300],\n"
    "        [0.7700, 0.2500, 0.1000],\n"
    "        [0.0500, 0.8000, 0.5500]])\n"
    "shape=[6, 3] dtype=float32 requires_grad=False grad=None grad_fn=None";
const char* kWeights2 =  // attn_weights_2 (3.3.1)
    "tensor([0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581])\n"
    "shape=[6] dtype=float32 requires_grad=False grad=None grad_fn=None";
const char* kScores =  // attn_scores (3.3.2)
    "tensor([[0.9995, 0.9544, 0.9422, 0.4753, 0.4576, 0.6310],\n"
    "        [0.9544, 1.4950, 1.4754, 0.8434, 0.7070, 1.0865],\n"
    "        [0.9422, 1.4754, 1.4570, 0.8296, 0.7154, 1.0605],\n"
    "        [0.4753, 0.8434, 0.8296, 0.4937, 0.3474, 0.6565],\n"
    "        [0.4576, 0.7070, 0.7154, 0.3474, 0.6654, 0.2935],\n"
    "        [0.6310, 1.0865, 1.0605, 0.6565, 0.2935, 0.9450]])\n"
    "shape=[6, 6] dtype=float32 requires_grad=False grad=None grad_fn=None";
const char* kWeights =  // attn_weights (3.3.2)
    "tensor([[0.2098, 0.2006, 0.1981, 0.1242, 0.1220, 0.1452],\n"
    "        [0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581],\n"
    "        [0.1390, 0.2369, 0.2326, 0.1242, 0.1108, 0.1565],\n"
    "        [0.1435, 0.2074, 0.2046, 0.1462, 0.1263, 0.1720],\n"
    "        [0.1526, 0.1958, 0.1975, 0.1367, 0.1879, 0.1295],\n"
    "        [0.1385, 0.2184, 0.2128, 0.1420, 0.0988, 0.1896]])\n"
    "shape=[6, 6] dtype=float32 requires_grad=False grad=None grad_fn=None";

// What both debuggers show in section 1, whatever their own way of showing it.
void check_softmax_walkthrough(const std::string& out) {
    CHECK_THAT(out, Contains(kInputs));                  // p inputs
    CHECK_THAT(out, Contains("llm::parallel_for"));       // bt: how softmax_forward reached softmax_row
    CHECK_THAT(out, Contains("= 1.495\n"));              // p m: the largest score, "journey" with itself
    CHECK_THAT(out, Contains("llm::fast_exp"));           // step: into the exp of the first entry
    CHECK_THAT(out, Contains("0.582398713"));             // finish: e^(0.9544 - 1.4950)
    CHECK_THAT(out, Contains("4.2036007046699524"));      // p total: the sum of the six exps
    CHECK_THAT(out, Contains("0.138547584"));             // the first weight, before rounding
    CHECK(count_of(out, kWeights2) == 1);                  // p out, in softmax_forward
    CHECK_THAT(out, Contains(kScores));                   // p a, the second softmax's input
    CHECK_THAT(out, Contains(kWeights));                  // p out after finish
}

}  // namespace

// --- section 1: attention weights forming (chapter 3.3) ---------------------------------

TEST_CASE("gdb steps through softmax_row and prints the book's attention weights", "[debugger]") {
    const std::string chapter = "ch03_1_simplified_self_attention";
    if (!can_debug("gdb", chapter)) return;
    std::string out = run_gdb(chapter, {"break one_query", "run --out /tmp", "p inputs", "break llm::softmax_row",
                                        "continue", "bt", "p *row@n", "next", "next", "p m", "next", "step",
                                        "finish", "next", "p *out_row@n", "next", "next", "p total", "next",
                                        "p *out_row@n", "frame function llm::softmax_forward", "p out",
                                        "continue", "frame function llm::softmax_forward", "p a", "delete",
                                        "finish", "p out"});
    INFO(out);
    check_softmax_walkthrough(out);
    CHECK_THAT(out, Contains("{0.954400003, 1.495, 1.47540009, 0.843400002, 0.707000017, 1.08650005}"));
    CHECK_THAT(out, Contains("llm::fast_exp (x=-0.540600002) at core/kernels/fast_exp.h"));
}

TEST_CASE("lldb steps through softmax_row and prints the book's attention weights", "[debugger]") {
    const std::string chapter = "ch03_1_simplified_self_attention";
    if (!can_debug("lldb", chapter)) return;
    std::string out = run_lldb(chapter, {"b one_query", "run --out /tmp", "p inputs", "b llm::softmax_row", "continue",
                                         "bt", "parray 6 row", "next", "next", "p m", "next", "step", "finish",
                                         "next", "parray 6 out_row", "next", "next", "p total", "next",
                                         "parray 6 out_row", "frame select 7", "p out", "continue", "frame select 7",
                                         "p a", "breakpoint delete --force", "finish", "p out"});
    INFO(out);
    check_softmax_walkthrough(out);
    CHECK_THAT(out, Contains("(const float) [0] = 0.954400"));
    CHECK_THAT(out, Contains("llm::fast_exp(x=-0.540600002) at fast_exp.h"));
    CHECK_THAT(line_after(out, "frame #7: "), Contains("`llm::softmax_forward(a="));
}

// --- skipping the helpers -------------------------------------------------------------

TEST_CASE("gdb's skip keeps step out of map_unary and fast_exp", "[debugger]") {
    const std::string chapter = "ch03_1_simplified_self_attention";
    if (!can_debug("gdb", chapter)) return;
    std::string out = run_gdb(chapter, {"break llm::exp", "run --out /tmp", "step", "skip -rfu ^llm::map_",
                                        "skip function llm::fast_exp", "continue", "step", "break llm::softmax_row",
                                        "continue", "next", "next", "next", "step"});
    INFO(out);
    // The first step, before the skips, goes into the elementwise helper; the second does not.
    CHECK_THAT(out, Contains("llm::map_unary<llm::exp(const Tensor&)"));
    CHECK(count_of(out, "llm::map_unary<") == 1);
    CHECK(count_of(out, "Breakpoint 1, llm::exp") == 2);
    // The last step, over the exp loop of softmax_row, stays in softmax_row.
    CHECK_THAT(after_last(out, "Breakpoint 2, llm::softmax_row"), Contains("double total = 0.0;"));
    CHECK_THAT(out, !Contains("llm::fast_exp ("));
}

TEST_CASE("lldb's step-avoid-regexp keeps step out of map_unary and fast_exp", "[debugger]") {
    const std::string chapter = "ch03_1_simplified_self_attention";
    if (!can_debug("lldb", chapter)) return;
    std::string out = run_lldb(chapter, {"b llm::exp", "run --out /tmp", "step",
                                         "settings set target.process.thread.step-avoid-regexp "
                                         "^(std|__gnu_cxx|Catch)::|^llm::(map_|fast_exp)",
                                         "continue", "step", "b llm::softmax_row", "continue", "next", "next",
                                         "next", "step"});
    INFO(out);
    CHECK_THAT(out, Contains("`llm::map_unary<llm::exp(const Tensor&)"));
    CHECK(count_of(out, "`llm::map_unary<") == 1);
    CHECK(count_of(out, "stop reason = step in") == 3);
    // The last step stays in softmax_row, on the line after the exp loop.
    std::string last = after_last(out, "stop reason = step in");
    int total_line = line_of("core/ops/nn.cpp", "double total = 0.0;");  // softmax_row's, the first
    CHECK_THAT(last, Contains("`llm::softmax_row(") && Contains("at nn.cpp:" + std::to_string(total_line)));
    CHECK_THAT(out, !Contains("`llm::fast_exp("));
}

// --- section 2: a gradient during training (appendix A.7) -------------------------------

namespace {
const char* kNode = "<AddmmBackward0> inputs: ([2, 20] from ReluBackward0, [2, 20] leaf, [2] leaf) -> output [2, 2]";
}  // namespace

TEST_CASE("gdb shows an autograd node and the gradients of a backward function", "[debugger]") {
    const std::string chapter = "appendix_a_tensors_autograd";
    if (!can_debug("gdb", chapter)) return;
    std::string out = run_gdb(chapter, {"break llm::linear_backward", "run", "bt 3", "p node", "p grad",
                                        "p node.inputs[1]", "finish", "p input_grads"});
    INFO(out);
    CHECK_THAT(out, Contains("llm::run_backward"));  // bt 3: called from backward()
    CHECK_THAT(out, Contains(kNode));
    CHECK_THAT(out, Contains("tensor([[-0.2644,  0.2644],\n        [-0.2627,  0.2627]])\nshape=[2, 2]"));
    // p node.inputs[1]: the weight, a leaf without a gradient yet
    CHECK_THAT(out, Contains("requires_grad=True)\nshape=[2, 20] dtype=float32 requires_grad=True grad=None"));
    // finish, p input_grads: one gradient per input, the bias's last
    CHECK_THAT(out, Contains("Value returned is"));
    CHECK_THAT(out, Contains("std::vector of length 3"));
    CHECK(count_of(out, "tensor([-0.5270,  0.5270])\nshape=[2] dtype=float32") == 2);
}

TEST_CASE("lldb shows an autograd node and the gradients of a backward function", "[debugger]") {
    const std::string chapter = "appendix_a_tensors_autograd";
    if (!can_debug("lldb", chapter)) return;
    std::string out = run_lldb(chapter, {"b llm::linear_backward", "run", "bt 3", "p node", "p grad",
                                         "v node.inputs[1]", "finish", "v input_grads"});
    INFO(out);
    CHECK_THAT(out, Contains("`llm::run_backward("));
    CHECK_THAT(out, Contains(std::string("(const llm::Node) $0 = ") + kNode));
    CHECK_THAT(out, Contains("tensor([[-0.2644,  0.2644],\n        [-0.2627,  0.2627]])\nshape=[2, 2]"));
    CHECK_THAT(out, Contains("requires_grad=True)\nshape=[2, 20] dtype=float32 requires_grad=True grad=None"));
    CHECK_THAT(out, Contains("input_grads = size=3 {"));
    CHECK_THAT(out, Contains("[2] = tensor([-0.5270,  0.5270])\nshape=[2] dtype=float32"));
}

// --- section 3: a module's parameters ---------------------------------------------------

namespace {
const char* kModule =
    "SelfAttentionV2(\n"
    "  W_query.weight: [2, 3]\n"
    "  W_key.weight: [2, 3]\n"
    "  W_value.weight: [2, 3]\n"
    ")";
}  // namespace

TEST_CASE("gdb lists a module's parameters", "[debugger]") {
    const std::string chapter = "ch03_2_trainable_self_attention";
    if (!can_debug("gdb", chapter)) return;
    std::string out = run_gdb(chapter, {"break llm::SelfAttentionV2::forward", "run --out /tmp", "p *this",
                                        "p W_query.weight", "finish"});
    INFO(out);
    CHECK_THAT(out, Contains(kModule));
    CHECK_THAT(out, Contains("requires_grad=True)\nshape=[2, 3] dtype=float32 requires_grad=True grad=None"));
    // finish: the book's context vectors of SelfAttention_v2 (3.4.2)
    CHECK_THAT(out, Contains("Value returned is $3 = tensor([[-0.0739,  0.0713],"));
}

TEST_CASE("lldb lists a module's parameters", "[debugger]") {
    const std::string chapter = "ch03_2_trainable_self_attention";
    if (!can_debug("lldb", chapter)) return;
    std::string out = run_lldb(chapter, {"b llm::SelfAttentionV2::forward", "run --out /tmp", "p *this",
                                         "p W_query.weight"});
    INFO(out);
    CHECK_THAT(out, Contains(std::string("(llm::SelfAttentionV2) $0 = ") + kModule));
    CHECK_THAT(out, Contains("requires_grad=True)\nshape=[2, 3] dtype=float32 requires_grad=True grad=None"));
}

// --- the two debuggers agree ------------------------------------------------------------

namespace {
// Each tensor printed after a marker "@@" (from "tensor(" to the end of its "shape=" line).
std::vector<std::string> tensors_after_markers(const std::string& out) {
    std::vector<std::string> tensors;
    for (size_t marker = out.find("@@\n"); marker != std::string::npos; marker = out.find("@@\n", marker + 3)) {
        size_t begin = out.find("tensor(", marker);
        size_t shape = begin == std::string::npos ? begin : out.find("\nshape=", begin);
        if (shape == std::string::npos) break;
        tensors.push_back(out.substr(begin, out.find('\n', shape + 1) - begin));
    }
    return tensors;
}
}  // namespace

TEST_CASE("gdb and lldb print the same text for the same tensors", "[debugger]") {
    const std::string chapter = "appendix_a_tensors_autograd";
    if (!can_debug("gdb", chapter) || !can_debug("lldb", chapter)) return;
    // In A.5's first linear: the 30x50 weight (1500 values: summarised) and the 1x50 input
    // (wrapped over lines); in A.7's training loop: the labels (int64), the features and
    // the loss (0-dim, with grad_fn). Frame 3 of linear_backward is section_a6_a7.
    const Commands prints = {"weight", "x", "FRAME", "labels", "features", "loss"};
    Commands gdb_commands = {"break llm::linear", "run"}, lldb_commands = {"b llm::linear", "run"};
    for (const std::string& name : prints) {
        if (name == "FRAME") {
            gdb_commands.insert(gdb_commands.end(), {"delete", "break llm::linear_backward", "continue", "frame 3"});
            lldb_commands.insert(lldb_commands.end(),
                                 {"breakpoint delete --force", "b llm::linear_backward", "continue", "frame select 3"});
            continue;
        }
        gdb_commands.insert(gdb_commands.end(), {"echo @@\\n", "p " + name});
        lldb_commands.insert(lldb_commands.end(), {"script print(\"@@\")", "p " + name});
    }
    std::string gdb_out = run_gdb(chapter, gdb_commands), lldb_out = run_lldb(chapter, lldb_commands);
    INFO(gdb_out + "\n----\n" + lldb_out);
    std::vector<std::string> from_gdb = tensors_after_markers(gdb_out), from_lldb = tensors_after_markers(lldb_out);
    REQUIRE(from_gdb.size() == 5);
    CHECK_THAT(from_gdb[0], Contains("...") && Contains("requires_grad=True)\nshape=[30, 50]"));
    CHECK_THAT(from_gdb[2], Contains("dtype=int64"));
    CHECK_THAT(from_gdb[4], Contains("grad_fn=<NllLossBackward0>)\nshape=[] dtype=float32"));
    CHECK(from_gdb == from_lldb);
}

// --- VS Code ----------------------------------------------------------------------------

TEST_CASE("every chapter has a gdb and a CodeLLDB launch configuration", "[debugger]") {
    std::ifstream file(".vscode/launch.json");
    REQUIRE(file.good());
    std::stringstream text;
    text << file.rdbuf();
    llm::JsonValue launch = llm::parse_json(text.str(), ".vscode/launch.json");
    std::set<std::string> gdb_programs, lldb_programs;
    for (const llm::JsonValue& config : launch.at("configurations").as_array()) {
        const std::string& program = config.at("program").as_string();
        if (config.at("type").as_string() == "cppdbg") {
            gdb_programs.insert(program);
            bool sources_printers = false;
            for (const llm::JsonValue& command : config.at("setupCommands").as_array())
                sources_printers |= command.at("text").as_string() == "source ${workspaceFolder}/core/debug/llm_printers.py";
            CHECK(sources_printers);
        } else if (config.at("type").as_string() == "lldb") {
            lldb_programs.insert(program);
            CHECK(config.at("initCommands").as_array().at(0).as_string() ==
                  "command source ${workspaceFolder}/core/debug/lldbinit");
        }
    }
    size_t chapters = 0;
    for (const auto& entry : std::filesystem::directory_iterator("chapters")) {
        if (!std::filesystem::exists(entry.path() / "main.cpp")) continue;
        chapters++;
        std::string program = "${workspaceFolder}/build/debug/" + entry.path().filename().string();
        INFO(program);
        CHECK(gdb_programs.count(program) == 1);
        CHECK(lldb_programs.count(program) == 1);
    }
    CHECK(chapters >= 9);
}
