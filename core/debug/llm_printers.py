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
# any llm::Module subclass prints its parameters' names and shapes. The text comes from
# llm_format.py, which the lldb formatters (llm_lldb.py) share: this file only reads the
# fields out of the program.
#
# std::vector and std::shared_ptr are read through gdb's own visualisers (the
# printers that ship with the standard library), with the raw field names of
# libstdc++ and libc++ only as a fallback when no visualiser is loaded.
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_format  # noqa: E402  (found beside this file)


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


def _vector_bounds(vec):
    """(address of element 0, number of elements) from the fields of libstdc++ or libc++."""
    for fields in (("_M_impl", "_M_start", "_M_finish"), ("", "__begin_", "__end_")):
        try:
            holder = vec[fields[0]] if fields[0] else vec
            begin, end = holder[fields[1]], holder[fields[2]]
        except gdb.error:
            continue
        return begin, int(end - begin)
    return None


def vector_items(vec, limit=llm_format.MAX_ITEMS):
    """The elements of a small std::vector, as gdb.Values."""
    bounds = _vector_bounds(vec)
    if bounds is not None and not 0 <= bounds[1] <= limit:
        raise llm_format.NotReadable("not a std::vector (yet?): %d elements" % bounds[1])
    children = _children(vec)
    if children is not None:
        return list(children)
    if bounds is None:
        raise gdb.error("cannot read std::vector")
    begin, count = bounds
    return [(begin + i).dereference() for i in range(count)]


def vector_data(vec):
    """(address of element 0, number of elements) of a std::vector; address None when empty."""
    bounds = _vector_bounds(vec)
    if bounds is not None:
        begin, count = bounds
        if count < 0:
            raise llm_format.NotReadable("not a std::vector (yet?): %d elements" % count)
        return (int(begin) if count > 0 else None), count
    children = _children(vec)  # no raw fields: ask the visualiser for element 0
    for child in children if children is not None else ():
        return int(child.address), None
    return None, 0


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
    return [int(v) for v in vector_items(shape_value, llm_format.MAX_DIMS)]


# --- llm types as plain values ------------------------------------------------------

def _memory_reader(address):
    inferior = gdb.selected_inferior()
    return lambda offset, count: bytes(inferior.read_memory(address + offset, count))


def grad_fn_name(data):
    """The name of the node that made this llm::TensorData, or None for a leaf."""
    grad_fn = shared_get(data["grad_fn"])
    return string_text(grad_fn.dereference()["name"]) if int(grad_fn) != 0 else None


def tensor_text(data):
    shape = shape_of(data["shape"])
    numel = 1
    for s in shape:
        numel *= s
    storage = shared_get(data["storage"])
    address, count = vector_data(storage.dereference()) if int(storage) != 0 else (None, 0)
    llm_format.check_tensor(shape, count)
    values = llm_format.FloatReader(_memory_reader(address), numel) if address is not None else None
    grad = shared_get(data["grad"])
    grad_shape = shape_of(grad.dereference()["shape"]) if int(grad) != 0 else None
    return llm_format.tensor_text(shape, int(data["dtype"]), values, bool(data["requires_grad"]),
                                  grad_shape, grad_fn_name(data))


def _tensor_data(tensor):
    """The llm::TensorData behind an llm::Tensor, or None when undefined."""
    impl = shared_get(tensor["impl_"])
    return impl.dereference() if int(impl) != 0 else None


def _input_text(tensor):
    data = _tensor_data(tensor)
    if data is None:
        return llm_format.input_text(None, None, False)
    return llm_format.input_text(shape_of(data["shape"]), grad_fn_name(data), bool(data["requires_grad"]))


def _module_params(module, prefix, out):
    """(name, shape) of every parameter, own first, then each child's, as PyTorch orders them."""
    for named in vector_items(module["params_"]):
        data = _tensor_data(named["tensor"])
        out.append((prefix + string_text(named["name"]), shape_of(data["shape"]) if data is not None else None))
    for pair in vector_items(module["children_"]):
        child = pair["second"]
        _module_params(child.dereference(), prefix + string_text(pair["first"]) + ".", out)


# --- the printers -------------------------------------------------------------------

def _report(read):
    try:
        return read()
    except (llm_format.NotReadable, gdb.MemoryError) as e:  # e.g. not constructed yet
        return "<%s>" % e


class TensorDataPrinter:
    def __init__(self, value):
        self.value = value

    def to_string(self):
        return _report(lambda: tensor_text(self.value))


class TensorPrinter:
    def __init__(self, value):
        self.value = value

    def to_string(self):
        def read():
            data = _tensor_data(self.value)
            return "tensor(undefined)" if data is None else tensor_text(data)
        return _report(read)


class NodePrinter:
    def __init__(self, value):
        self.value = value

    def to_string(self):
        def read():
            inputs = [_input_text(t) for t in vector_items(self.value["inputs"])]
            return llm_format.node_text(string_text(self.value["name"]), inputs,
                                        shape_of(self.value["output_shape"]), bool(self.value["freed"]))
        return _report(read)


class ModulePrinter:
    def __init__(self, value, type_name):
        self.value, self.type_name = value, type_name

    def to_string(self):
        def read():
            params = []
            _module_params(self.value.cast(gdb.lookup_type("llm::Module")), "", params)
            return llm_format.module_text(self.type_name, params)
        return _report(read)


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
