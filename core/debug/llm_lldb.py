# lldb formatters for the llm library (lldb's Python API; not used anywhere else).
#
#   (lldb) command script import core/debug/llm_lldb.py   # or: make lldb CH=<chapter>
#   (lldb) p inputs
#   (const llm::Tensor) $0 = tensor([[0.4300, 0.1500, 0.8900],
#           ...
#   shape=[6, 3] dtype=float32 requires_grad=False grad=None grad_fn=None
#
# The same text as the gdb printers (llm_printers.py), from the same llm_format.py: this
# file only reads the fields out of the program. llm::Tensor / llm::TensorData print as
# PyTorch prints them, llm::Node its op and its inputs' shapes, any llm::Module subclass
# its parameters' names and shapes. They live in the type category "llm"
# (`type category disable llm` shows the raw fields again). A tensor passed by reference
# is left as an address in frame lines (else every stop would print its tensors in full):
# `p a` prints it.
#
# std::vector and std::shared_ptr are read by their fields in libstdc++ (Linux) and libc++
# (macOS; untested), std::string through lldb's own formatter for it.
import os
import sys

import lldb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_format  # noqa: E402  (found beside this file)


# --- reading std:: types ------------------------------------------------------------

def _member(value, name):
    """The field `name` of a struct, looked for in the struct and then in its base classes
    (which lldb lists first among a struct's children), or None."""
    child = value.GetChildMemberWithName(name)
    if child.IsValid():
        return child
    for i in range(value.GetType().GetCanonicalType().GetNumberOfDirectBaseClasses()):
        found = _member(value.GetChildAtIndex(i), name)
        if found is not None:
            return found
    return None


def _field(value, paths):
    """The first of the field paths (tuples of names, e.g. ("_M_impl", "_M_start")) that
    the value has, or None."""
    for path in paths:
        found = value.GetNonSyntheticValue()
        for name in path:
            found = _member(found, name)
            if found is None:
                break
        if found is not None:
            return found
    return None


def shared_get(ptr):
    """The pointer held by a std::shared_ptr, as an SBValue (its unsigned value is 0 when empty)."""
    found = _field(ptr, (("_M_ptr",), ("__ptr_",)))  # libstdc++, libc++
    if found is None:
        raise llm_format.NotReadable("cannot read std::shared_ptr " + str(ptr.GetName()))
    return found


def _vector_bounds(vec, limit):
    """(begin pointer SBValue, number of elements) of a std::vector."""
    begin = _field(vec, (("_M_impl", "_M_start"), ("__begin_",)))  # libstdc++, libc++
    end = _field(vec, (("_M_impl", "_M_finish"), ("__end_",)))
    if begin is None or end is None:
        raise llm_format.NotReadable("cannot read std::vector " + str(vec.GetName()))
    size = max(1, begin.GetType().GetPointeeType().GetByteSize())
    count = (end.GetValueAsSigned() - begin.GetValueAsSigned()) // size
    if not 0 <= count <= limit:
        raise llm_format.NotReadable("not a std::vector (yet?): %d elements" % count)
    return begin, count


def vector_items(vec, limit=llm_format.MAX_ITEMS):
    """The elements of a small std::vector, as SBValues."""
    begin, count = _vector_bounds(vec, limit)
    element = begin.GetType().GetPointeeType()
    start, size = begin.GetValueAsUnsigned(), element.GetByteSize()
    return [_at(vec, "[%d]" % i, start + i * size, element) for i in range(count)]


def vector_data(vec):
    """(address of element 0 or None when empty, number of elements) of a std::vector."""
    begin, count = _vector_bounds(vec, 1 << 62)
    return (begin.GetValueAsUnsigned() if count > 0 else None), count


def string_text(value):
    summary = value.GetSummary()  # lldb formats std::string of both libraries
    if summary and summary.startswith('"'):
        return summary[1:-1]
    data = _field(value, (("_M_dataplus", "_M_p"),))  # libstdc++, no formatter loaded
    if data is not None:
        error = lldb.SBError()
        text = value.GetProcess().ReadCStringFromMemory(data.GetValueAsUnsigned(), 4096, error)
        if error.Success():
            return text
    raise llm_format.NotReadable("cannot read std::string " + str(value.GetName()))


def shape_of(shape_value):
    return [item.GetValueAsSigned() for item in vector_items(shape_value, llm_format.MAX_DIMS)]


# --- llm types as plain values ------------------------------------------------------

def _memory_reader(process, address):
    def read(offset, count):
        error = lldb.SBError()
        data = process.ReadMemory(address + offset, count, error)
        if not error.Success():
            raise llm_format.NotReadable("cannot read tensor values at 0x%x: %s" % (address + offset, error.GetCString()))
        return bytes(data)
    return read


def _at(value, name, address, value_type):
    """A value of `type` at `address` in the program's memory. Made by the target: values
    derived from the result of `p` (Dereference(), value.CreateValueFromAddress) lose the
    fields of nested structs in lldb 14."""
    target = value.GetTarget()
    return target.CreateValueFromAddress(name, lldb.SBAddress(address, target), value_type)


def _pointee(pointer):
    """What a pointer points to, or None for a null pointer."""
    address = pointer.GetValueAsUnsigned()
    if address == 0:
        return None
    return _at(pointer, "*" + str(pointer.GetName()), address, pointer.GetType().GetPointeeType().GetCanonicalType())


def grad_fn_name(data):
    node = _pointee(shared_get(data.GetChildMemberWithName("grad_fn")))
    return string_text(node.GetChildMemberWithName("name")) if node is not None else None


def tensor_text(data):
    shape = shape_of(data.GetChildMemberWithName("shape"))
    numel = 1
    for s in shape:
        numel *= s
    storage = _pointee(shared_get(data.GetChildMemberWithName("storage")))
    address, count = vector_data(storage) if storage is not None else (None, 0)
    llm_format.check_tensor(shape, count)
    values = None
    if address is not None:
        values = llm_format.FloatReader(_memory_reader(data.GetProcess(), address), numel)
    grad = _pointee(shared_get(data.GetChildMemberWithName("grad")))
    grad_shape = shape_of(grad.GetChildMemberWithName("shape")) if grad is not None else None
    requires_grad = data.GetChildMemberWithName("requires_grad").GetValueAsUnsigned() != 0
    return llm_format.tensor_text(shape, data.GetChildMemberWithName("dtype").GetValueAsUnsigned(),
                                  values, requires_grad, grad_shape, grad_fn_name(data))


def _tensor_data(tensor):
    """The llm::TensorData behind an llm::Tensor, or None when undefined."""
    return _pointee(shared_get(tensor.GetChildMemberWithName("impl_")))


def _input_text(tensor):
    data = _tensor_data(tensor)
    if data is None:
        return llm_format.input_text(None, None, False)
    requires_grad = data.GetChildMemberWithName("requires_grad").GetValueAsUnsigned() != 0
    return llm_format.input_text(shape_of(data.GetChildMemberWithName("shape")), grad_fn_name(data), requires_grad)


def _module_params(module, prefix, out):
    """(name, shape) of every parameter, own first, then each child's, as PyTorch orders them."""
    for named in vector_items(_member(module, "params_")):
        data = _tensor_data(named.GetChildMemberWithName("tensor"))
        shape = shape_of(data.GetChildMemberWithName("shape")) if data is not None else None
        out.append((prefix + string_text(named.GetChildMemberWithName("name")), shape))
    for pair in vector_items(_member(module, "children_")):
        child = _pointee(pair.GetChildMemberWithName("second"))
        _module_params(child, prefix + string_text(pair.GetChildMemberWithName("first")) + ".", out)


def is_module(t):
    t = t.GetCanonicalType().GetUnqualifiedType()
    if t.GetName() == "llm::Module":
        return True
    return any(is_module(t.GetDirectBaseClassAtIndex(i).GetType()) for i in range(t.GetNumberOfDirectBaseClasses()))


# --- the summaries (lldb calls these with the value to show) ---------------------------

def _value(valobj):
    """The value to show, typed from the program's debug information. The result of `p`
    is typed in lldb's scratch context, where the standard library's classes are only
    partly known (a std::vector reached through a shared_ptr shows no fields)."""
    value = valobj.GetNonSyntheticValue()
    if value.GetType().IsReferenceType():
        value = value.Dereference()
    address = value.GetLoadAddress()
    own_type = value.GetTarget().FindFirstType(value.GetType().GetCanonicalType().GetUnqualifiedType().GetName())
    if address == lldb.LLDB_INVALID_ADDRESS or not own_type.IsValid():
        return value
    return _at(value, str(value.GetName()), address, own_type)


def _report(read):
    try:
        return read()
    except llm_format.NotReadable as e:  # e.g. a variable not yet constructed: show why, not a traceback
        return "<%s>" % e


def tensor_summary(valobj, internal_dict):
    def read():
        data = _tensor_data(_value(valobj))
        return "tensor(undefined)" if data is None else tensor_text(data)
    return _report(read)


def tensor_data_summary(valobj, internal_dict):
    return _report(lambda: tensor_text(_value(valobj)))


def node_summary(valobj, internal_dict):
    def read():
        node = _value(valobj)
        inputs = [_input_text(t) for t in vector_items(node.GetChildMemberWithName("inputs"))]
        return llm_format.node_text(string_text(node.GetChildMemberWithName("name")), inputs,
                                    shape_of(node.GetChildMemberWithName("output_shape")),
                                    node.GetChildMemberWithName("freed").GetValueAsUnsigned() != 0)
    return _report(read)


def module_summary(valobj, internal_dict):
    """Registered for every llm:: type: empty (lldb's usual display) unless it is a Module."""
    value = _value(valobj)
    if not is_module(value.GetType()):
        return ""

    def read():
        params = []
        _module_params(value, "", params)
        return llm_format.module_text(value.GetType().GetUnqualifiedType().GetName(), params)
    return _report(read)


class ModuleChildren:
    """Hides a Module's fields (its summary lists the parameters); any other llm:: type keeps
    its own. Fields stay reachable by name: `frame variable this->W_query`."""

    def __init__(self, valobj, internal_dict):
        self.value = valobj
        self.hide = is_module(valobj.GetType())

    def num_children(self):
        return 0 if self.hide else self.value.GetNumChildren()

    def get_child_index(self, name):
        return self.value.GetIndexOfChildWithName(name)

    def get_child_at_index(self, index):
        return self.value.GetChildAtIndex(index)

    def update(self):
        return False

    def has_children(self):
        return not self.hide and self.value.MightHaveChildren()


def __lldb_init_module(debugger, internal_dict):
    module = __name__
    any_llm_type = "'^llm::[A-Za-z0-9_]+$'"  # not pointers, not templates
    for command in (
            "type summary add -w llm -p -r -F %s.tensor_summary llm::Tensor" % module,
            "type summary add -w llm -p -r -F %s.tensor_data_summary llm::TensorData" % module,
            "type summary add -w llm -F %s.node_summary llm::Node" % module,
            "type summary add -w llm -e -p -x -F %s.module_summary %s" % (module, any_llm_type),
            "type synthetic add -w llm -p -x -l %s.ModuleChildren %s" % (module, any_llm_type),
            "type category enable llm"):
        debugger.HandleCommand(command)
