// Printing: PyTorch's format, checked against tensors printed in the book
// (its sections named per test; copied here as literals).
#include "catch_compat.h"

#include "ops/ops.h"
#include "tensor/print.h"

#include <cmath>

using namespace llm;

namespace {

// A tensor that prints with a given grad_fn, without building a graph.
std::string with_grad_fn(const Tensor& t, const std::string& name) {
    return format_tensor(t.data(), t.shape(), t.dtype(), name, true);
}

// Restores the default print options when a test changes them.
struct DefaultOptionsAfter {
    ~DefaultOptionsAfter() { set_printoptions(PrintOptions{}); }
};

}  // namespace

TEST_CASE("vectors and scalars, 4 decimals", "[print]") {
    // book 3.3.1–3.3.2 (ch03.ipynb): attn_scores_2, the sums of the weights, context_vec_2, the row sums
    CHECK(tensor({0.9544f, 1.4950f, 1.4754f, 0.8434f, 0.7070f, 1.0865f}).str() ==
          "tensor([0.9544, 1.4950, 1.4754, 0.8434, 0.7070, 1.0865])");
    CHECK(tensor(0.9544f).str() == "tensor(0.9544)");
    CHECK(tensor(1.0f).str() == "tensor(1.)");                 // "Sum: tensor(1.)"
    CHECK(tensor(0.99999994f).str() == "tensor(1.0000)");      // "Sum: tensor(1.0000)"
    CHECK(tensor({0.4419f, 0.6515f, 0.5683f}).str() == "tensor([0.4419, 0.6515, 0.5683])");
    CHECK(tensor({1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0.99999994f}).str() ==
          "tensor([1.0000, 1.0000, 1.0000, 1.0000, 1.0000, 1.0000])");
}

TEST_CASE("matrices: aligned columns and where grad_fn goes", "[print]") {
    // book 3.4.2, SelfAttention_v2's output: the suffix fits on the last line
    Tensor v2 = tensor({{-0.0739f, 0.0713f}, {-0.0748f, 0.0703f}, {-0.0749f, 0.0702f},
                        {-0.0760f, 0.0685f}, {-0.0763f, 0.0679f}, {-0.0754f, 0.0693f}});
    CHECK(with_grad_fn(v2, "MmBackward0") ==
          "tensor([[-0.0739,  0.0713],\n"
          "        [-0.0748,  0.0703],\n"
          "        [-0.0749,  0.0702],\n"
          "        [-0.0760,  0.0685],\n"
          "        [-0.0763,  0.0679],\n"
          "        [-0.0754,  0.0693]], grad_fn=<MmBackward0>)");
    // book 3.5.1, causal attention weights: the suffix moves to its own line
    Tensor w = tensor({{1.0000f, 0, 0, 0, 0, 0}, {0.5517f, 0.4483f, 0, 0, 0, 0}, {0.3800f, 0.3097f, 0.3103f, 0, 0, 0},
                       {0.2758f, 0.2460f, 0.2462f, 0.2319f, 0, 0}, {0.2175f, 0.1983f, 0.1984f, 0.1888f, 0.1971f, 0},
                       {0.1935f, 0.1663f, 0.1666f, 0.1542f, 0.1666f, 0.1529f}});
    CHECK(with_grad_fn(w, "SoftmaxBackward0") ==
          "tensor([[1.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000],\n"
          "        [0.5517, 0.4483, 0.0000, 0.0000, 0.0000, 0.0000],\n"
          "        [0.3800, 0.3097, 0.3103, 0.0000, 0.0000, 0.0000],\n"
          "        [0.2758, 0.2460, 0.2462, 0.2319, 0.0000, 0.0000],\n"
          "        [0.2175, 0.1983, 0.1984, 0.1888, 0.1971, 0.0000],\n"
          "        [0.1935, 0.1663, 0.1666, 0.1542, 0.1666, 0.1529]],\n"
          "       grad_fn=<SoftmaxBackward0>)");
}

TEST_CASE("-inf is padded to the column width", "[print]") {
    // book 3.5.1, masked scores (first two rows)
    Tensor m = tensor({{0.2899f, -INFINITY, -INFINITY}, {0.4656f, 0.1723f, -INFINITY}});
    CHECK(with_grad_fn(m, "MaskedFillBackward0") ==
          "tensor([[0.2899,   -inf,   -inf],\n"
          "        [0.4656, 0.1723,   -inf]], grad_fn=<MaskedFillBackward0>)");
    // book 5.3.2 (ch05.ipynb), top-k masked logits
    Tensor topk = tensor({4.51f, -INFINITY, -INFINITY, 6.75f, -INFINITY, -INFINITY, -INFINITY, 6.28f, -INFINITY});
    CHECK(topk.str() == "tensor([4.5100,   -inf,   -inf, 6.7500,   -inf,   -inf,   -inf, 6.2800,   -inf])");
    CHECK(tensor({NAN, 1.5f, INFINITY}).str() == "tensor([   nan, 1.5000,    inf])");
    CHECK(tensor({-NAN}).str() == "tensor([nan])");
}

TEST_CASE("whole numbers print as `2.`", "[print]") {
    // book 3.5.2, the dropout mask (first two rows)
    Tensor mask = tensor({{2, 2, 0, 2, 2, 0}, {0, 0, 0, 2, 0, 2}});
    CHECK(mask.str() == "tensor([[2., 2., 0., 2., 2., 0.],\n        [0., 0., 0., 2., 0., 2.]])");
    CHECK(zeros({2}).str() == "tensor([0., 0.])");
    CHECK(tensor({-1.0f, 10.0f}).str() == "tensor([-1., 10.])");
}

TEST_CASE("scientific notation when PyTorch switches to it", "[print]") {
    // book 5.1.2 (ch05.ipynb), target probabilities
    CHECK(tensor({7.4541e-05f, 3.1061e-05f, 1.1563e-05f}).str() == "tensor([7.4541e-05, 3.1061e-05, 1.1563e-05])");
    // book 4.2 (ch04.ipynb), the mean after normalising, then with sci_mode=False
    Tensor m = tensor({-5.9605e-08f, 1.9868e-08f}).view({2, 1});
    CHECK(with_grad_fn(m, "MeanBackward1") == "tensor([[-5.9605e-08],\n        [ 1.9868e-08]], grad_fn=<MeanBackward1>)");
    DefaultOptionsAfter restore;
    PrintOptions options;
    options.sci_mode = 0;
    set_printoptions(options);
    CHECK(with_grad_fn(m, "MeanBackward1") == "tensor([[-0.0000],\n        [ 0.0000]], grad_fn=<MeanBackward1>)");
    CHECK(tensor({1.0f, 20000.0f}).str() == "tensor([    1., 20000.])");
}

TEST_CASE("integer and bool tensors", "[print]") {
    // book 2.6 (ch02.ipynb), the first batch of the data loader
    CHECK(tensor_int64({{40, 367, 2885, 1464}}).str() == "tensor([[  40,  367, 2885, 1464]])");
    // book 4.1 (ch04.ipynb), the example batch
    CHECK(tensor_int64({{6109, 3626, 6100, 345}, {6109, 1110, 6622, 257}}).str() ==
          "tensor([[6109, 3626, 6100,  345],\n        [6109, 1110, 6622,  257]])");
    // book 4.7, generate_text_simple's output
    CHECK(tensor_int64({{15496, 11, 314, 716, 27018, 24086, 47843, 30961, 42348, 7267}}).str() ==
          "tensor([[15496,    11,   314,   716, 27018, 24086, 47843, 30961, 42348,  7267]])");
    CHECK(tensor_int64({3, 7, 0}).str() == "tensor([3, 7, 0])");
    CHECK(tensor({1, 0, 1}).to_bool().str() == "tensor([ True, False,  True])");
    CHECK(tensor_int64({5}).view({}).str() == "tensor(5)");
}

TEST_CASE("long rows wrap at 80 columns", "[print]") {
    Tensor t = full({20}, 0.5f);
    // 11 elements of width 6 + ", " fit in 80 - 7 columns; the rest wraps, indented under the first
    CHECK(t.str() ==
          "tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n"
          "        0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n"
          "        0.5000, 0.5000])");
    CHECK(format_tensor(t.data(), t.shape(), Dtype::float32, "", true) ==
          "tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n"
          "        0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n"
          "        0.5000, 0.5000], requires_grad=True)");
}

TEST_CASE("summarised with ... above 1000 elements", "[print]") {
    // Whole numbers, but the printed ones span more than 1000x: PyTorch switches to
    // scientific notation (torch.arange(2000.) printed by torch 1.13).
    Tensor v = arange(2000).to_float();
    CHECK(v.str() ==
          "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
          "        1.9990e+03])");
    CHECK(arange(1001).to_float().str() == "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])");
    // book 4.6: GPTModel logits (2, 4, 50257) show 3 values at each end of a row
    Tensor logits = full({2, 4, 50257}, 0.5f);
    float* d = logits.data();
    std::vector<float> first_row = {0.3613f, 0.4222f, -0.0711f, 0.3483f, 0.4661f, -0.2838f};
    for (int i = 0; i < 3; i++) {
        d[i] = first_row[i];
        d[50257 - 3 + i] = first_row[3 + i];
    }
    std::string s = with_grad_fn(logits, "UnsafeViewBackward0");
    CHECK(s.rfind("tensor([[[ 0.3613,  0.4222, -0.0711,  ...,  0.3483,  0.4661, -0.2838],\n"
                  "         [ 0.5000,  0.5000,  0.5000,  ...,  0.5000,  0.5000,  0.5000],", 0) == 0);
    CHECK(s.find("0.5000]]],\n       grad_fn=<UnsafeViewBackward0>)") != std::string::npos);
    CHECK(s.find("],\n\n        [[") != std::string::npos);  // blank line between the two 4 × V blocks
    Tensor big = full({1500, 2}, 1.5f);
    CHECK(big.str() == "tensor([[1.5000, 1.5000],\n        [1.5000, 1.5000],\n        [1.5000, 1.5000],\n"
                       "        ...,\n        [1.5000, 1.5000],\n        [1.5000, 1.5000],\n        [1.5000, 1.5000]])");
}

TEST_CASE("empty tensors and sizes", "[print]") {
    CHECK(zeros({0}).str() == "tensor([])");
    CHECK(zeros({0, 3}).str() == "tensor([], size=(0, 3))");
    CHECK(format_size({2, 6, 2}) == "torch.Size([2, 6, 2])");
    CHECK(format_size({}) == "torch.Size([])");
}

TEST_CASE("Python's repr of floats", "[print]") {
    // book 4.4 and 5.1.3: numbers the book prints with print(float)
    CHECK(python_float_repr(static_cast<double>(0.00020173587836325169)) == "0.00020173587836325169");
    CHECK(python_float_repr(10.98758347829183) == "10.98758347829183");
    CHECK(python_float_repr(1.0) == "1.0");
    CHECK(python_float_repr(0.0001) == "0.0001");
    CHECK(python_float_repr(0.00001) == "1e-05");
    CHECK(python_float_repr(-2.5e-7) == "-2.5e-07");
    CHECK(python_float_repr(1.5e16) == "1.5e+16");
    CHECK(python_float_repr(123456.0) == "123456.0");
    CHECK(python_float_repr(0.1 + 0.2) == "0.30000000000000004");
    CHECK(python_float_repr(NAN) == "nan");
    CHECK(python_float_repr(-INFINITY) == "-inf");
}
