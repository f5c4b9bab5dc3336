// The one error type of the library, in the lowest room so that every room can throw it.
#pragma once

#include <stdexcept>

namespace llm {

// Every error the library raises: the message names the op, the shapes or the
// file, and what was expected (PyTorch's messages are the model).
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace llm
