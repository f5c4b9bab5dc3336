# The text the debugger printers show, from plain Python values: shared by the gdb
# printers (llm_printers.py) and the lldb formatters (llm_lldb.py), so both debuggers
# print the same thing for the same tensor. Nothing here knows about a debugger: the
# adapters read the fields out of the program's memory and call these functions.
#
#   tensor_text   a tensor as PyTorch prints it, then one line with shape, dtype,
#                 requires_grad, the gradient and grad_fn
#   node_text     an autograd node: its op and its inputs' shapes
#   module_text   a module: its parameters' names and shapes
#
# The numbers are formatted as torch/_tensor_str.py does with the default print options
# (summarised above 1000 elements, 3 edge items, 4 decimals, 80 columns).
import math
import struct

THRESHOLD = 1000
EDGEITEMS = 3
PRECISION = 4
LINEWIDTH = 80
DTYPES = {0: "float32", 1: "int64", 2: "bool"}  # llm::Dtype's values
MAX_PARAMS_SHOWN = 40
MAX_DIMS = 64         # PyTorch's limit; a longer shape is memory that is not a tensor yet
MAX_ITEMS = 1 << 20   # the most elements the adapters read out of a small std::vector


def shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


class NotReadable(Exception):
    """The memory does not hold a valid value: most often a variable that is not
    constructed yet (stopped before its line ran). The printers show the message."""


def check_tensor(shape, storage_numel):
    """Raises NotReadable unless `shape` fits the `storage_numel` values that back it
    (None: unknown, not checked)."""
    if len(shape) > MAX_DIMS or any(s < 0 for s in shape):
        raise NotReadable("not a tensor (yet?): shape of %d dims" % len(shape))
    numel = 1
    for s in shape:
        numel *= s
    if storage_numel is not None and numel > storage_numel:
        raise NotReadable("not a tensor (yet?): shape %s but %d values" % (shape_str(shape), storage_numel))


class FloatReader:
    """The values of a tensor, read through read_bytes(offset, count) -> bytes:
    all at once when small, one by one (only those printed) when large."""

    def __init__(self, read_bytes, numel):
        self.read_bytes, self.numel = read_bytes, numel
        self.cache = None
        if numel <= THRESHOLD:
            self.cache = struct.unpack("%df" % numel, read_bytes(0, 4 * numel))

    def __getitem__(self, i):
        if self.cache is not None:
            return self.cache[i]
        return struct.unpack("f", self.read_bytes(4 * i, 4))[0]


# --- formatting numbers as torch/_tensor_str.py does --------------------------------

def _printed_indices(n, summarize):
    if summarize and n > 2 * EDGEITEMS:
        return list(range(EDGEITEMS)) + [None] + list(range(n - EDGEITEMS, n))
    return list(range(n))


def _stride(shape, dim):
    stride = 1
    for s in shape[dim + 1:]:
        stride *= s
    return stride


def _collect(values, shape, summarize, dim=0, offset=0, out=None):
    """The values that will be printed (PyTorch picks the format from these alone)."""
    out = [] if out is None else out
    if dim == len(shape):
        out.append(values[offset])
        return out
    for i in _printed_indices(shape[dim], summarize):
        if i is not None:
            _collect(values, shape, summarize, dim + 1, offset + i * _stride(shape, dim), out)
    return out


def _formatter(printed, dtype):
    if dtype == "bool":
        items = ["True" if v != 0 else "False" for v in printed]
        return (lambda v: "True" if v != 0 else "False"), max(map(len, items), default=1)
    if dtype == "int64":
        return (lambda v: str(int(v))), max((len(str(int(v))) for v in printed), default=1)
    finite = [abs(v) for v in printed if math.isfinite(v) and v != 0]

    def special(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")

    def fixed(v):
        return ("%.*f" % (PRECISION, v)) if math.isfinite(v) else special(v)

    def sci(v):
        return ("%.*e" % (PRECISION, v)) if math.isfinite(v) else special(v)

    def whole(v):
        return ("%.0f." % v) if math.isfinite(v) else special(v)

    fmt = fixed
    if finite:
        lo, hi = min(finite), max(finite)
        if all(float(v).is_integer() for v in printed if math.isfinite(v)):
            fmt = sci if hi > 1e8 else whole
        elif hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4:
            fmt = sci
    elif all(float(v).is_integer() for v in printed if math.isfinite(v)):
        fmt = whole
    width = max((len(fmt(v)) for v in printed), default=1)
    return fmt, width


def _layout(values, shape, summarize, fmt, width, indent, dim=0, offset=0):
    stride = _stride(shape, dim)
    if dim == len(shape) - 1:
        items = [" ..." if i is None else fmt(values[offset + i]).rjust(width)
                 for i in _printed_indices(shape[dim], summarize)]
        per_line = max(1, (LINEWIDTH - indent) // (width + 2))
        lines = [", ".join(items[k:k + per_line]) for k in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if i is None else
             _layout(values, shape, summarize, fmt, width, indent + 1, dim + 1, offset + i * stride)
             for i in _printed_indices(shape[dim], summarize)]
    sep = "," + "\n" * (len(shape) - dim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


# --- what the printers show -----------------------------------------------------------

def tensor_text(shape, dtype_code, values, requires_grad, grad_shape, grad_fn):
    """PyTorch's repr of a tensor, then one line of what a debugger wants to know.

    shape: list of ints; dtype_code: llm::Dtype as an int; values: indexable floats
    (a FloatReader) or None when there is no storage; grad_shape: the gradient's shape,
    or None; grad_fn: the name of the node that made the tensor, or None."""
    dtype = DTYPES.get(dtype_code, "?")
    numel = 1
    for s in shape:
        numel *= s
    if numel == 0 or values is None:
        body = "tensor([]" + ("" if len(shape) == 1 else ", size=(%s)" % ", ".join(map(str, shape)))
    else:
        summarize = numel > THRESHOLD
        fmt, width = _formatter(_collect(values, shape, summarize), dtype)
        if not shape:
            body = "tensor(" + fmt(values[0])
        else:
            body = "tensor(" + _layout(values, shape, summarize, fmt, width, len("tensor("))
    if grad_fn:
        body += ", grad_fn=<%s>" % grad_fn
    elif requires_grad:
        body += ", requires_grad=True"
    body += ")"
    grad_text = "None" if grad_shape is None else "shape " + shape_str(grad_shape)
    return "%s\nshape=%s dtype=%s requires_grad=%s grad=%s grad_fn=%s" % (
        body, shape_str(shape), dtype, requires_grad, grad_text, grad_fn or "None")


def input_text(shape, grad_fn, requires_grad):
    """A node's input in one word: "[2, 20] from ReluBackward0", "[2] leaf", "[2] constant"."""
    if shape is None:
        return "undefined"
    if grad_fn:
        return shape_str(shape) + " from " + grad_fn
    return shape_str(shape) + (" leaf" if requires_grad else " constant")


def node_text(name, inputs, output_shape, freed):
    """inputs: the input_text of each input."""
    return "<%s> inputs: (%s) -> output %s%s" % (
        name, ", ".join(inputs), shape_str(output_shape), " (freed)" if freed else "")


def module_text(type_name, params):
    """type_name: "llm::SelfAttentionV2"; params: (name, shape or None) in PyTorch's order."""
    name = type_name.split("::")[-1]
    lines = ["  %s: %s" % (p, "undefined" if s is None else shape_str(s))
             for p, s in params[:MAX_PARAMS_SHOWN]]
    if len(params) > MAX_PARAMS_SHOWN:
        lines.append("  ... (%d parameters in all)" % len(params))
    if not lines:
        return name + "()"
    return name + "(\n" + "\n".join(lines) + "\n)"
