// Printing tensors exactly as PyTorch prints them (torch/_tensor_str.py's rules,
// with the default print options: 4 decimals, 80 columns, `...` above 1000 elements).
#pragma once

#include "tensor/dtype.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llm {

struct PrintOptions {
    int precision = 4;      // digits after the decimal point
    int threshold = 1000;   // summarise tensors with more elements than this
    int edgeitems = 3;      // elements kept at each end of a summarised dim
    int linewidth = 80;     // characters per line
    int sci_mode = -1;      // -1: automatic (PyTorch's None), 0: never, 1: always scientific
};

PrintOptions& print_options();  // the global options, like torch.set_printoptions
void set_printoptions(const PrintOptions& options);

// `tensor(...)` as PyTorch prints it. data: the values in row-major order;
// shape: the sizes ({} for a 0-dim scalar). grad_fn_name is "" when there is none.
std::string format_tensor(const float* data, const std::vector<int64_t>& shape, Dtype dtype,
                          const std::string& grad_fn_name, bool requires_grad);

std::string format_size(const std::vector<int64_t>& shape);  // "torch.Size([2, 6, 2])"

// Python's repr of a float: the shortest digits that read back to the same double,
// in exponent form below 1e-4 or from 1e16 on ("1e-05", "0.0001", "1.0").
std::string python_float_repr(double value);

}  // namespace llm
