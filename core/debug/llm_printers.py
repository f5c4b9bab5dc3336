# gdb pretty-printers for the llm library (gdb's Python API; not used anywhere else).
#
#   (gdb) source core/debug/llm_printers.py      # or: make gdb CH=<chapter>
#   (gdb) p inputs
#   $1 = tensor([[0.4300, 0.1500, 0.8900],
#           ...
#   shape=[6, 3] dtype=float32 requires_grad=False grad=None grad_fn=None
#
# llm::Tensor / llm::TensorData print as PyTorch prints them (summarised above 1000
# elements, 3 edge items, 4 decimals); llm::Node prints its op and its inputs' shapes;
# any llm::Module subclass prints its parameters' names and shapes.
#
# std::vector and std::shared_ptr are read through gdb's own visualisers (the
# printers that ship with the standard library), with the raw field names of
# libstdc++ and libc++ only as a fallback when no visualiser is loaded.
import math
import struct

import gdb

THRESHOLD = 1000   # PyTorch's print options
EDGEITEMS = 3
PRECISION = 4
LINEWIDTH = 80
DTYPES = {0: "float32", 1: "int64", 2: "bool"}
MAX_PARAMS_SHOWN = 40


# --- reading std:: types through the visualisers ----------------------------------

def _children(value):
    vis = gdb.default_visualizer(value)
    if vis is None or not hasattr(vis, "children"):
        return None
    return (child for _, child in vis.children())


def shared_get(ptr):
    """The raw pointer held by a std::shared_ptr (a gdb.Value; 0 when empty)."""
    children = _children(ptr)
    if children is not None:
        for child in children:
            return child
        return gdb.Value(0).cast(ptr.type.template_argument(0).pointer())
    for field in ("_M_ptr", "__ptr_"):  # no visualiser loaded: libstdc++, libc++
        try:
            return ptr[field]
        except gdb.error:
            pass
    raise gdb.error("cannot read std::shared_ptr")


def vector_items(vec):
    """The elements of a small std::vector, as gdb.Values."""
    children = _children(vec)
    if children is not None:
        return list(children)
    for bounds in (lambda v: (v["_M_impl"]["_M_start"], v["_M_impl"]["_M_finish"]),  # libstdc++
                   lambda v: (v["__begin_"], v["__end_"])):                           # libc++
        try:
            begin, end = bounds(vec)
        except gdb.error:
            continue
        return [(begin + i).dereference() for i in range(int(end - begin))]
    raise gdb.error("cannot read std::vector")


def vector_data(vec):
    """Address of element 0 of a std::vector (its elements are contiguous), or None."""
    children = _children(vec)
    if children is not None:
        for child in children:
            return child.address
        return None
    items = vector_items(vec)
    return items[0].address if items else None


def string_text(value):
    vis = gdb.default_visualizer(value)
    if vis is not None:
        text = vis.to_string()
        if isinstance(text, gdb.Value):
            return text.string()
        if isinstance(text, str):
            return text
        return text.value().string()  # a gdb lazy string
    return value.format_string(raw=True).strip('"')


def shape_of(shape_value):
    return [int(v) for v in vector_items(shape_value)]


def shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# --- formatting numbers as torch/_tensor_str.py does --------------------------------

def _printed_indices(n, summarize):
    if summarize and n > 2 * EDGEITEMS:
        return list(range(EDGEITEMS)) + [None] + list(range(n - EDGEITEMS, n))
    return list(range(n))


class _Values:
    """Reads the floats of a tensor lazily: all at once when small, one by one when large."""

    def __init__(self, address, numel):
        self.address, self.numel = int(address), numel
        self.cache = None
        if numel <= THRESHOLD:
            raw = gdb.selected_inferior().read_memory(self.address, 4 * numel)
            self.cache = struct.unpack("%df" % numel, bytes(raw))

    def __getitem__(self, i):
        if self.cache is not None:
            return self.cache[i]
        raw = gdb.selected_inferior().read_memory(self.address + 4 * i, 4)
        return struct.unpack("f", bytes(raw))[0]


def _collect(values, shape, summarize, dim=0, offset=0, out=None):
    out = [] if out is None else out
    if dim == len(shape):
        out.append(values[offset])
        return out
    stride = 1
    for s in shape[dim + 1:]:
        stride *= s
    for i in _printed_indices(shape[dim], summarize):
        if i is not None:
            _collect(values, shape, summarize, dim + 1, offset + i * stride, out)
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
    stride = 1
    for s in shape[dim + 1:]:
        stride *= s
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


def tensor_text(data):
    """PyTorch's repr of a llm::TensorData, then one line of what a debugger wants to know."""
    shape = shape_of(data["shape"])
    dtype = DTYPES.get(int(data["dtype"]), "?")
    numel = 1
    for s in shape:
        numel *= s
    storage = shared_get(data["storage"])
    address = vector_data(storage.dereference()) if int(storage) != 0 else None
    if numel == 0 or address is None:
        body = "tensor([]" + ("" if len(shape) == 1 else ", size=(%s)" % ", ".join(map(str, shape)))
    else:
        values = _Values(address, numel)
        summarize = numel > THRESHOLD
        fmt, width = _formatter(_collect(values, shape, summarize), dtype)
        if not shape:
            body = "tensor(" + fmt(values[0])
        else:
            body = "tensor(" + _layout(values, shape, summarize, fmt, width, len("tensor("))
    grad_fn = shared_get(data["grad_fn"])
    fn_name = string_text(grad_fn.dereference()["name"]) if int(grad_fn) != 0 else None
    requires_grad = bool(data["requires_grad"])
    if fn_name:
        body += ", grad_fn=<%s>" % fn_name
    elif requires_grad:
        body += ", requires_grad=True"
    body += ")"
    grad = shared_get(data["grad"])
    grad_text = "None" if int(grad) == 0 else "shape " + shape_str(shape_of(grad.dereference()["shape"]))
    return "%s\nshape=%s dtype=%s requires_grad=%s grad=%s grad_fn=%s" % (
        body, shape_str(shape), dtype, requires_grad, grad_text, fn_name or "None")


# --- the printers -------------------------------------------------------------------

class TensorDataPrinter:
    def __init__(self, value):
        self.value = value

    def to_string(self):
        return tensor_text(self.value)


class TensorPrinter:
    def __init__(self, value):
        self.value = value

    def to_string(self):
        impl = shared_get(self.value["impl_"])
        if int(impl) == 0:
            return "tensor(undefined)"
        return tensor_text(impl.dereference())


def _tensor_summary(tensor, with_origin=False):
    """"[2, 20]", and with_origin: "[2, 20] from ReluBackward0" or "[2] leaf"."""
    impl = shared_get(tensor["impl_"])
    if int(impl) == 0:
        return "undefined"
    data = impl.dereference()
    text = shape_str(shape_of(data["shape"]))
    if with_origin:
        grad_fn = shared_get(data["grad_fn"])
        if int(grad_fn) != 0:
            text += " from " + string_text(grad_fn.dereference()["name"])
        else:
            text += " leaf" if bool(data["requires_grad"]) else " constant"
    return text


class NodePrinter:
    def __init__(self, value):
        self.value = value

    def to_string(self):
        name = string_text(self.value["name"])
        inputs = ", ".join(_tensor_summary(t, True) for t in vector_items(self.value["inputs"]))
        out = shape_str(shape_of(self.value["output_shape"]))
        freed = " (freed)" if bool(self.value["freed"]) else ""
        return "<%s> inputs: (%s) -> output %s%s" % (name, inputs, out, freed)


def _module_params(module, prefix, out):
    for named in vector_items(module["params_"]):
        out.append((prefix + string_text(named["name"]), _tensor_summary(named["tensor"])))
    for pair in vector_items(module["children_"]):
        child = pair["second"]
        _module_params(child.dereference(), prefix + string_text(pair["first"]) + ".", out)


class ModulePrinter:
    def __init__(self, value, type_name):
        self.value, self.type_name = value, type_name

    def to_string(self):
        module = self.value.cast(gdb.lookup_type("llm::Module"))
        params = []
        _module_params(module, "", params)
        name = self.type_name.split("::")[-1]
        lines = ["  %s: %s" % p for p in params[:MAX_PARAMS_SHOWN]]
        if len(params) > MAX_PARAMS_SHOWN:
            lines.append("  ... (%d parameters in all)" % len(params))
        if not lines:
            return name + "()"
        return name + "(\n" + "\n".join(lines) + "\n)"


def _is_module(t):
    if t.code != gdb.TYPE_CODE_STRUCT:
        return False
    if t.name == "llm::Module":
        return True
    return any(f.is_base_class and _is_module(f.type.strip_typedefs()) for f in t.fields())


def llm_lookup(value):
    t = value.type.strip_typedefs().unqualified()
    name = t.name
    if name is None or not name.startswith("llm::"):
        return None
    if name == "llm::Tensor":
        return TensorPrinter(value)
    if name == "llm::TensorData":
        return TensorDataPrinter(value)
    if name == "llm::Node":
        return NodePrinter(value)
    if _is_module(t):
        return ModulePrinter(value, name)
    return None


def register():
    # Sourcing the file twice replaces the earlier copy instead of adding a second one.
    gdb.pretty_printers[:] = [p for p in gdb.pretty_printers if getattr(p, "__name__", "") != "llm_lookup"]
    gdb.pretty_printers.insert(0, llm_lookup)


register()
